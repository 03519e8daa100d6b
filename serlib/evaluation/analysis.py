"""Small analyses the exploration notebooks report: leakage of random splits, how strongly a
feature relates to emotion, 2-D projections, and how well features identify the speaker.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.feature_selection import f_classif
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from serlib.protocols.splits import Split


def train_test_overlap(table: pd.DataFrame, splits: Sequence[Split],
                 keys: dict[str, Sequence[str]]) -> pd.DataFrame:
    """For each split, the share of test recordings whose ``keys`` (a name -> columns mapping,
    e.g. ``{"same actor": ["speaker"]}``) also occur in the training set.

    A speaker-independent protocol gives 0 for every key that contains the speaker.

    Used in: notebooks/01_eda.ipynb.
    """
    rows = []
    for k, (train, test) in enumerate(splits):
        row = {"fold": k + 1}
        for name, columns in keys.items():
            seen = set(map(tuple, table.iloc[train][list(columns)].astype(str).to_numpy()))
            test_keys = map(tuple, table.iloc[test][list(columns)].astype(str).to_numpy())
            row[name] = round(float(np.mean([key in seen for key in test_keys])), 3)
        rows.append(row)
    return pd.DataFrame(rows).set_index("fold")


def emotion_association(X: pd.DataFrame, y: Sequence) -> pd.DataFrame:
    """Per feature: the ANOVA F statistic against the emotion label and eta squared (the share
    of the feature's variance explained by emotion, 0..1), sorted by eta squared.

    Used in: notebooks/02_features.ipynb.
    """
    y = np.asarray(y)
    f_stat, p_value = f_classif(X.to_numpy(), y)
    n, k = len(y), len(np.unique(y))
    eta2 = (f_stat * (k - 1)) / (f_stat * (k - 1) + (n - k))
    out = pd.DataFrame({"F": f_stat, "p": p_value, "eta2": eta2}, index=X.columns)
    out["group"] = [c.split("_", 1)[0] for c in X.columns]
    return out.sort_values("eta2", ascending=False)


def pca_2d(X: pd.DataFrame | np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standardise, then project onto the first two principal components.

    Returns ``(points, explained_variance_ratio)``.

    Used in: notebooks/02_features.ipynb.
    """
    pipe = make_pipeline(StandardScaler(), PCA(n_components=2, random_state=seed))
    points = pipe.fit_transform(np.asarray(X))
    return points, pipe[-1].explained_variance_ratio_


def identification_accuracy(X: pd.DataFrame | np.ndarray, labels: Sequence, n_splits: int = 5,
                            seed: int = 0) -> tuple[float, float, float]:
    """How well a linear model (standardised features, ridge classifier: fast and close to
    logistic regression here) tells ``labels`` (emotion or speaker) apart from the features:
    mean and std of stratified k-fold accuracy, and the chance level (majority class share).

    Run with speakers as labels it measures how much speaker identity the features carry:
    the reason to evaluate speaker-independently.

    Used in: notebooks/02_features.ipynb.
    """
    labels = np.asarray(labels).astype(str)
    model = make_pipeline(StandardScaler(), RidgeClassifier(alpha=10.0))
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    scores = cross_val_score(model, np.asarray(X), labels, cv=cv, n_jobs=1)
    chance = pd.Series(labels).value_counts(normalize=True).max()
    return float(scores.mean()), float(scores.std()), float(chance)
