"""Seed 001's statistical baselines: logistic regression, linear and RBF SVMs and an MLP on clip
feature vectors; backward elimination of feature groups; grid search; and the evaluation of a
fixed configuration under several protocols.

Every model is a scikit-learn Pipeline ``StandardScaler -> classifier`` so that the scaling is
fitted on the training folds only. Validation inside a training set is always grouped by speaker
(:func:`serlib.protocols.splits.group_kfold`): a validation speaker is never a training speaker.

BLAS thread pools are limited (default 1 thread) inside the long functions: on a small shared
machine, multi-threaded BLAS on these small matrices is many times slower than one thread.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from serlib.evaluation import results_table, scoring
from serlib.protocols import splits

#: The four statistical models of seed 001, in the study's order.
MODELS: tuple[str, ...] = ("lr", "svm-linear", "svm-rbf", "mlp")
MODEL_LABELS: dict[str, str] = {"lr": "LR", "svm-linear": "SVM linear", "svm-rbf": "SVM rbf",
                                "mlp": "MLP"}

#: Fixed settings used while selecting feature groups (notebook 03): inside the grids below,
#: near the best values of a first grid search on actors 1-21 with all groups.
SELECTION_PARAMS: dict[str, dict] = {
    "lr": {"C": 0.03},
    "svm-linear": {"C": 0.01},
    "svm-rbf": {"C": 10.0, "gamma": "scale"},
    "mlp": {"hidden_layer_sizes": (128,), "alpha": 1.0},
}

#: Grid of each model (notebook 04): regularisation strength C (inverse), the RBF kernel width
#: gamma, and the MLP's hidden sizes and L2 penalty alpha.
PARAM_GRIDS: dict[str, dict[str, list]] = {
    "lr": {"C": [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]},
    "svm-linear": {"C": [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1]},
    "svm-rbf": {"C": [1.0, 10.0, 100.0, 1000.0],
                "gamma": [0.0001, 0.0003, 0.001, 0.003, 0.01]},
    "mlp": {"hidden_layer_sizes": [(128,), (256,)], "alpha": [0.3, 1.0, 3.0, 10.0]},
}
#: Smaller grids for smoke runs.
SMOKE_GRIDS: dict[str, dict[str, list]] = {
    "lr": {"C": [0.01, 0.1]},
    "svm-linear": {"C": [0.001, 0.01]},
    "svm-rbf": {"C": [1.0, 10.0], "gamma": [0.003]},
    "mlp": {"hidden_layer_sizes": [(64,)], "alpha": [0.1, 1.0]},
}

#: Seed 001's published test results (paper table; actors 22-24, 180 clips), as fractions.
SEED001_PUBLISHED: dict[str, dict[str, float]] = {
    "lr": {"accuracy": 0.422},
    "svm-linear": {"accuracy": 0.378},
    "svm-rbf": {"accuracy": 0.400},
    "mlp": {"accuracy": 0.417},
    "cnn-1d": {"accuracy": 0.356},
    "cnn-2d": {"accuracy": 0.489, "precision": 0.479, "f1": 0.463},
}
#: Seed 001's selected feature groups per model (its backward-selection table).
SEED001_SUBSETS: dict[str, tuple[str, ...]] = {
    "lr": ("mfcc", "mel", "chroma", "contrast"),
    "svm-linear": ("mfcc", "mel", "chroma", "global"),
    "svm-rbf": ("mfcc", "mel", "global"),
    "mlp": ("mfcc", "mel"),
}


def single_blas_thread(func: Callable) -> Callable:
    """Run ``func`` with BLAS/OpenMP pools limited to one thread (see the module note)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return func(*args, **kwargs)

    return wrapper


def make_model(name: str, seed: int = 0, **params) -> Pipeline:
    """``StandardScaler -> classifier`` for model ``name`` (one of :data:`MODELS`), with the
    classifier's parameters given by keyword (``C``, ``gamma``, ``hidden_layer_sizes``,
    ``alpha``). ``seed`` fixes the MLP's initialisation and early-stopping split.

    Used in: notebooks/03_backward_selection.ipynb, notebooks/04_baselines.ipynb.
    """
    if name == "lr":
        clf = LogisticRegression(max_iter=5000)
    elif name == "svm-linear":
        clf = SVC(kernel="linear")
    elif name == "svm-rbf":
        clf = SVC(kernel="rbf")
    elif name == "mlp":
        clf = MLPClassifier(early_stopping=True, max_iter=500, n_iter_no_change=10,
                            random_state=seed)
    else:
        raise ValueError(f"unknown model {name!r}; accepted: {', '.join(MODELS)}")
    pipe = Pipeline([("scale", StandardScaler()), ("clf", clf)])
    return pipe.set_params(**{f"clf__{k}": v for k, v in params.items()})


def _estimator(model: str | BaseEstimator, params: dict | None, seed: int) -> BaseEstimator:
    if isinstance(model, str):
        return make_model(model, seed=seed, **(params or {}))
    est = clone(model)
    return est.set_params(**params) if params else est


def columns_of(groups: dict[str, list[str]], subset: Sequence[str]) -> list[str]:
    """The feature columns of the groups in ``subset`` (in the groups' order)."""
    unknown = set(subset) - set(groups)
    if unknown:
        raise ValueError(f"unknown feature group(s) {sorted(unknown)}; have {list(groups)}")
    return [c for g in groups if g in subset for c in groups[g]]


def subset_name(subset: Sequence[str]) -> str:
    """``"mfcc+mel+global"``: how the study writes a feature-group subset."""
    return "+".join(subset)


@single_blas_thread
def cv_accuracy(model: str | BaseEstimator, X: pd.DataFrame | np.ndarray, y: Sequence,
                cv: Sequence[splits.Split], params: dict | None = None, seed: int = 0,
                n_jobs: int = 1) -> np.ndarray:
    """Validation accuracy of one configuration on each fold of ``cv``."""
    est = _estimator(model, params, seed)
    out = cross_validate(est, X, np.asarray(y), cv=list(cv), scoring="accuracy", n_jobs=n_jobs)
    return out["test_score"]


@dataclass
class Elimination:
    """What :func:`backward_elimination` returns.

    ``candidates``: one row per evaluated subset (step, removed group, subset, number of groups,
    mean and std of the validation accuracy over folds, and whether it was kept);
    ``path``: the kept subset of each step (step 0 = all groups); ``selected``: the best subset
    on the path; ``selected_score``: its mean validation accuracy.
    """

    candidates: pd.DataFrame
    path: pd.DataFrame
    selected: tuple[str, ...]
    selected_score: float


def backward_elimination(model: str | BaseEstimator, X: pd.DataFrame, y: Sequence,
                         cv: Sequence[splits.Split], groups: dict[str, list[str]] | None = None,
                         params: dict | None = None, seed: int = 0, n_jobs: int = 1,
                         min_groups: int = 1, tol: float = 0.0) -> Elimination:
    """Backward elimination of feature groups, scored by mean validation accuracy over ``cv``.

    Start with all groups; at each step try removing each remaining group, and drop the one
    whose removal scores best. Continue down to ``min_groups`` groups; the selected subset is
    the best-scoring subset on this path (a smaller subset wins when it is within ``tol`` of a
    larger one's score). Ties between candidates go to the group listed first.

    Args:
        model: a name of :data:`MODELS` (with ``params``) or any scikit-learn estimator.
        X: feature table with columns ``<group>_...``; y: labels.
        cv: validation folds as positional ``(train, val)`` pairs into ``X`` (use
            :func:`splits.group_kfold` over speakers: validation speakers unseen in training).
        groups: ``{group: columns}``; default :func:`extraction.feature_groups` of ``X``.

    Used in: notebooks/03_backward_selection.ipynb.
    """
    from serlib.features import extraction

    groups = groups or extraction.feature_groups(X.columns)
    y = np.asarray(y)
    rows: list[dict] = []

    def score(subset: tuple[str, ...]) -> tuple[float, float]:
        s = cv_accuracy(model, X[columns_of(groups, subset)].to_numpy(), y, cv, params=params,
                        seed=seed, n_jobs=n_jobs)
        return float(s.mean()), float(s.std())

    current = tuple(groups)
    mean, std = score(current)
    rows.append({"step": 0, "removed": "", "subset": subset_name(current),
                 "n_groups": len(current), "mean": mean, "std": std, "kept": True})
    path = [rows[-1]]
    step = 0
    while len(current) > max(min_groups, 1):
        step += 1
        trial = []
        for g in current:
            subset = tuple(x for x in current if x != g)
            mean, std = score(subset)
            trial.append({"step": step, "removed": g, "subset": subset_name(subset),
                          "n_groups": len(subset), "mean": mean, "std": std, "kept": False})
        best = max(range(len(trial)), key=lambda i: (trial[i]["mean"], -i))
        trial[best]["kept"] = True
        rows.extend(trial)
        path.append(trial[best])
        current = tuple(x for x in current if x != trial[best]["removed"])
    path_df = pd.DataFrame(path).reset_index(drop=True)
    top = path_df["mean"].max()
    chosen = path_df[path_df["mean"] >= top - tol].iloc[-1]
    return Elimination(candidates=pd.DataFrame(rows), path=path_df,
                       selected=tuple(chosen["subset"].split("+")),
                       selected_score=float(chosen["mean"]))


@dataclass
class Tuned:
    """What :func:`grid_search` returns: the best parameters, their mean and std validation
    accuracy, every grid point's scores (``results``), and the estimator refitted on all the
    rows it was given."""

    best_params: dict
    best_score: float
    best_std: float
    results: pd.DataFrame
    estimator: BaseEstimator


@single_blas_thread
def grid_search(model: str | BaseEstimator, X: pd.DataFrame | np.ndarray, y: Sequence,
                groups: Sequence, grid: dict[str, list] | None = None, n_splits: int = 7,
                seed: int = 0, n_jobs: int = 1) -> Tuned:
    """Grid search with speaker-grouped folds over the rows given (pass only training rows:
    the function never sees anything else), then refit the best setting on all of them.

    ``grid`` keys are classifier parameters (``C``, ``gamma``, ...); default
    :data:`PARAM_GRIDS` of ``model``. Folds: :func:`splits.group_kfold` over ``groups``
    (speakers) with ``n_splits`` and ``seed``.

    Used in: notebooks/04_baselines.ipynb.
    """
    if grid is None:
        if not isinstance(model, str):
            raise ValueError("give a grid for a custom estimator")
        grid = PARAM_GRIDS[model]
    y = np.asarray(y)
    cv = splits.group_kfold(np.asarray(groups), y, n_splits=n_splits, seed=seed)
    est = _estimator(model, None, seed)
    prefix = "clf__" if isinstance(est, Pipeline) else ""
    search = GridSearchCV(est, {f"{prefix}{k}": v for k, v in grid.items()}, cv=cv,
                          scoring="accuracy", n_jobs=n_jobs, refit=True)
    search.fit(X, y)
    res = pd.DataFrame(search.cv_results_)
    table = pd.DataFrame({k: res[f"param_{prefix}{k}"].astype(object) for k in grid})
    table["mean"] = res["mean_test_score"].to_numpy()
    table["std"] = res["std_test_score"].to_numpy()
    table["rank"] = res["rank_test_score"].to_numpy()
    best = {k.removeprefix(prefix): v for k, v in search.best_params_.items()}
    i = search.best_index_
    return Tuned(best_params=best, best_score=float(res["mean_test_score"][i]),
                 best_std=float(res["std_test_score"][i]), results=table,
                 estimator=search.best_estimator_)


@dataclass
class Holdout:
    """What :func:`tune_and_test` returns: the tuning record, the test rows' labels and
    predictions, their metrics, and the positional train and test indices."""

    tuned: Tuned
    y_true: np.ndarray
    y_pred: np.ndarray
    metrics: dict[str, float]
    train_idx: np.ndarray
    test_idx: np.ndarray


def tune_and_test(model: str | BaseEstimator, X: pd.DataFrame, y: Sequence, speakers: Sequence,
                  test_speakers: Sequence = splits.SEED001_TEST_ACTORS,
                  grid: dict[str, list] | None = None, n_splits: int = 7, seed: int = 0,
                  n_jobs: int = 1) -> Holdout:
    """Seed 001's protocol done honestly: grid search with speaker-grouped folds on the
    training speakers only, refit on all of them, then one prediction of the held-out
    ``test_speakers`` (default actors 22-24).

    Used in: notebooks/04_baselines.ipynb.
    """
    y, speakers = np.asarray(y), np.asarray(speakers)
    ((train, test),) = splits.actor_holdout(speakers, test_speakers)
    X_train = X.iloc[train] if isinstance(X, pd.DataFrame) else X[train]
    X_test = X.iloc[test] if isinstance(X, pd.DataFrame) else X[test]
    tuned = grid_search(model, X_train, y[train], speakers[train], grid=grid, n_splits=n_splits,
                        seed=seed, n_jobs=n_jobs)
    y_pred = single_blas_thread(tuned.estimator.predict)(X_test)
    return Holdout(tuned=tuned, y_true=y[test], y_pred=np.asarray(y_pred),
                   metrics=scoring.classification_metrics(y[test], y_pred),
                   train_idx=train, test_idx=test)


@dataclass
class ProtocolRun:
    """Per-fold metrics of one fixed configuration on one protocol (``folds``: one row per
    fold), their :func:`scoring.summarize_folds` summary, and out-of-fold predictions
    (``y_pred``; ``None`` for rows that are never tested)."""

    folds: pd.DataFrame
    summary: pd.DataFrame
    y_pred: np.ndarray = field(repr=False)


@single_blas_thread
def evaluate_protocol(model: str | BaseEstimator, X: pd.DataFrame | np.ndarray, y: Sequence,
                      folds: Sequence[splits.Split], params: dict | None = None, seed: int = 0
                      ) -> ProtocolRun:
    """Train a fixed configuration on each fold's training rows and score its test rows.

    Used in: notebooks/04_baselines.ipynb.
    """
    X = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
    y = np.asarray(y)
    y_pred = np.full(len(y), None, dtype=object)
    per_fold = []
    for train, test in folds:
        est = _estimator(model, params, seed).fit(X[train], y[train])
        pred = est.predict(X[test])
        y_pred[test] = pred
        per_fold.append(scoring.classification_metrics(y[test], pred))
    frame = pd.DataFrame(per_fold)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="fold")
    return ProtocolRun(folds=frame, summary=scoring.summarize_folds(per_fold), y_pred=y_pred)


@dataclass
class TunedProtocolRun(ProtocolRun):
    """A :class:`ProtocolRun` whose configuration was tuned inside each fold's training part:
    per fold the chosen parameters and their mean validation accuracy (speaker-grouped folds
    of the training speakers)."""

    params: list[dict] = field(default_factory=list)
    val_scores: list[float] = field(default_factory=list)


def tune_per_fold(model: str | BaseEstimator, X: pd.DataFrame, y: Sequence, speakers: Sequence,
                  folds: Sequence[splits.Split], grid: dict[str, list] | None = None,
                  n_splits: int = 7, seed: int = 0, n_jobs: int = 1) -> TunedProtocolRun:
    """Seed 001's tuning inside every fold: per fold, :func:`grid_search` on the training rows
    only (speaker-grouped folds over its speakers, at most ``n_splits``, at most one per
    training speaker), refit there, one prediction of the test rows. Nothing is chosen on a
    test part.

    Used in: notebooks/04_baselines.ipynb on a corpus other than RAVDESS.
    """
    y, speakers = np.asarray(y), np.asarray(speakers).astype(str)
    y_pred = np.full(len(y), None, dtype=object)
    per_fold, chosen, scores = [], [], []
    for train, test in folds:
        k = min(n_splits, len(set(speakers[train])))
        if k < 2:
            raise ValueError(f"a fold's training part holds {k} speaker(s): grouped tuning "
                             "needs at least 2")
        X_train = X.iloc[train] if isinstance(X, pd.DataFrame) else X[train]
        X_test = X.iloc[test] if isinstance(X, pd.DataFrame) else X[test]
        tuned = grid_search(model, X_train, y[train], speakers[train], grid=grid, n_splits=k,
                            seed=seed, n_jobs=n_jobs)
        pred = np.asarray(single_blas_thread(tuned.estimator.predict)(X_test))
        y_pred[test] = pred
        per_fold.append(scoring.classification_metrics(y[test], pred))
        chosen.append(tuned.best_params)
        scores.append(tuned.best_score)
    frame = pd.DataFrame(per_fold)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="fold")
    return TunedProtocolRun(folds=frame, summary=scoring.summarize_folds(per_fold),
                            y_pred=y_pred, params=chosen, val_scores=scores)


#: The protocol names of the results file for seed 001's notebooks.
PROTOCOLS: tuple[str, ...] = ("random-5fold", "actor-holdout-22-24", "emobox-6fold")


def protocol_folds(table: pd.DataFrame) -> dict[str, list[splits.Split]]:
    """The three protocols of notebook 04 on a RAVDESS table (with its ``id`` column), from
    the committed registry: seed 000's random stratified 5-fold (speakers overlap), actors 22-24
    held out (seed 001), and EmoBox's 6 speaker-independent folds; each asserts what its kind
    declares.

    Used in: notebooks/04_baselines.ipynb.
    """
    from serlib.protocols import registry

    return {name: registry.fold_splits(name, table) for name in PROTOCOLS}


def per_class_report(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None
                     ) -> pd.DataFrame:
    """Precision, recall and F1 per class, with the number of true rows (``support``).

    Used in: notebooks/04_baselines.ipynb.
    """
    labels = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s},
                        index=pd.Index(labels, name="class"))


def seed_rows(notebook: str = "04") -> list[dict]:
    """Seed 001's published test numbers (:data:`SEED001_PUBLISHED`) as results-file rows
    (``source="seed"``, protocol ``actor-holdout-22-24``, one test set: std 0, n 1).

    Used in: notebooks/04_baselines.ipynb.
    """
    return [r for r in results_table.published_rows(notebook, corpus="ravdess")
            if r["protocol"] == "actor-holdout-22-24"]


def selection_path(folder) -> Path:
    """Where notebook 03 hands its selected feature groups to notebook 04 (artifacts folder)."""
    return Path(folder) / "baselines" / "03_selected_groups.json"


def save_selection(folder, selection: dict[str, dict]) -> Path:
    """Save ``{model: {"groups": [...], "score": float, ...}}`` for notebook 04; returns the
    file's path.

    Used in: notebooks/03_backward_selection.ipynb.
    """
    import json

    target = selection_path(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(selection, indent=1, default=str) + "\n")
    return target


def load_selection(folder) -> dict[str, dict]:
    """What :func:`save_selection` wrote. Raises ``FileNotFoundError`` naming the notebook
    that writes it.

    Used in: notebooks/04_baselines.ipynb.
    """
    import json

    target = selection_path(folder)
    if not target.is_file():
        raise FileNotFoundError(f"No feature-group selection at {target}: run "
                                f"notebooks/03_backward_selection.ipynb first "
                                f"(python -m serlib run --only 03).")
    return json.loads(target.read_text())


def result_cache(use_cache: bool = True, folder: Path | None = None):
    """A ``joblib.Memory`` that caches slow calls (backward elimination, grid searches) on disk,
    keyed by their arguments (the feature matrix, labels, folds and settings). Its folder is
    named after a hash of this module's source and the scikit-learn version, so any change of
    the code behind a result recomputes it. ``use_cache=False`` gives a memory that caches
    nothing. Default folder: ``<cache dir>/baselines``.

    Used in: notebooks/03_backward_selection.ipynb, notebooks/04_baselines.ipynb.
    """
    import hashlib

    import joblib
    import sklearn

    from serlib import paths

    if not use_cache:
        return joblib.Memory(location=None, verbose=0)
    digest = hashlib.sha256(Path(__file__).read_bytes()
                            + sklearn.__version__.encode()).hexdigest()[:12]
    root = Path(folder) if folder else paths.cache_dir() / "baselines"
    return joblib.Memory(location=root / digest, verbose=0)
