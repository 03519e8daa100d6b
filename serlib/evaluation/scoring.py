"""Metrics (accuracy, unweighted average recall), fold summaries, and 95 % intervals that respect
how the data cluster: a speaker-clustered bootstrap (speakers resampled, not clips) where several
speakers are tested, a binomial (Wilson) interval for a single test split.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
)

#: Metrics that get an interval when per-recording predictions are given.
INTERVAL_METRICS = ("accuracy", "uar")


def classification_metrics(y_true: Sequence, y_pred: Sequence) -> dict[str, float]:
    """Accuracy (= WAR), macro precision, UAR (macro recall) and macro F1, as fractions.

    Used in: notebooks/04_baselines.ipynb, 05, 06, 07.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(precision_score(y_true, y_pred, average="macro", zero_division=0)),
        "uar": float(recall_score(y_true, y_pred, average="macro", zero_division=0)),
        "f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def summarize_folds(per_fold: Iterable[dict[str, float]]) -> pd.DataFrame:
    """Mean, standard deviation (population, ddof 0) and count of each metric over folds or
    seeds. Returns one row per metric with columns ``mean``, ``std``, ``n``.

    Used in: every notebook that reports a protocol with several folds or seeds.
    """
    frame = pd.DataFrame(list(per_fold))
    return pd.DataFrame({"mean": frame.mean(), "std": frame.std(ddof=0), "n": frame.count()})


def format_mean_std(mean: float, std: float, digits: int = 1, percent: bool = True) -> str:
    """``"84.2 +- 2.4"`` (percent by default): how the study prints a number with its spread."""
    scale = 100 if percent else 1
    return f"{mean * scale:.{digits}f} +- {std * scale:.{digits}f}"


def _metric_tables(pred: pd.DataFrame, classes: Sequence) -> tuple[np.ndarray, ...]:
    """Per speaker and replicate: correct counts, clip counts, per-class hits and totals."""
    speakers = pd.Index(sorted(pred["speaker"].astype(str).unique()))
    reps = pd.Index(sorted(pred["replicate"].unique()))
    s = speakers.get_indexer(pred["speaker"].astype(str))
    r = reps.get_indexer(pred["replicate"])
    c = pd.Index(classes).get_indexer(pred["y_true"])
    hit = (pred["y_true"].to_numpy() == pred["y_pred"].to_numpy()).astype(float)
    n_s, n_r, n_c = len(speakers), len(reps), len(classes)
    correct = np.zeros((n_s, n_r))
    total = np.zeros((n_s, n_r))
    tp = np.zeros((n_s, n_r, n_c))
    per_class = np.zeros((n_s, n_r, n_c))
    np.add.at(correct, (s, r), hit)
    np.add.at(total, (s, r), 1.0)
    np.add.at(tp, (s, r, c), hit)
    np.add.at(per_class, (s, r, c), 1.0)
    return correct, total, tp, per_class


def _weighted_metric(weights: np.ndarray, tables: tuple[np.ndarray, ...], metric: str
                     ) -> np.ndarray:
    """The metric, averaged over replicates, for each row of speaker ``weights`` (b, s)."""
    correct, total, tp, per_class = tables
    if metric == "accuracy":
        counts = weights @ total  # (b, r); a replicate none of whose speakers was drawn: NaN
        with np.errstate(invalid="ignore", divide="ignore"):
            acc = np.where(counts > 0, (weights @ correct) / counts, np.nan)
        return np.nanmean(acc, axis=1)
    hits = np.einsum("bs,src->brc", weights, tp)
    counts = np.einsum("bs,src->brc", weights, per_class)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(counts > 0, hits / counts, np.nan)
    return np.nanmean(np.nanmean(recall, axis=2), axis=1)


def speaker_bootstrap_interval(pred: pd.DataFrame, metric: str = "accuracy",
                               n_boot: int = 2000, level: float = 0.95, seed: int = 0
                               ) -> tuple[float, float]:
    """Percentile interval of ``metric`` (``accuracy`` or ``uar``) from a bootstrap over
    SPEAKERS: each resample draws the tested speakers with replacement and keeps all of each
    drawn speaker's clips, so clips of one voice count as one correlated unit.

    ``pred`` has one row per tested clip and model: ``speaker``, ``y_true``, ``y_pred`` and
    ``replicate`` (a seed or an ensemble group that covers every tested clip once, e.g. the same
    seed on every fold; the metric is averaged over replicates). Returns fractions;
    deterministic for a given ``seed``.
    """
    if metric not in INTERVAL_METRICS:
        raise ValueError(f"no interval for metric {metric!r}; accepted: "
                         f"{', '.join(INTERVAL_METRICS)}")
    pred = pred if "replicate" in pred else pred.assign(replicate=0)
    classes = sorted(pd.unique(pred["y_true"]))
    tables = _metric_tables(pred, classes)
    n_s = tables[0].shape[0]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_s, size=(n_boot, n_s))
    weights = np.zeros((n_boot, n_s))
    np.add.at(weights, (np.repeat(np.arange(n_boot), n_s), draws.ravel()), 1.0)
    values = _weighted_metric(weights, tables, metric)
    alpha = (1 - level) / 2
    return float(np.nanquantile(values, alpha)), float(np.nanquantile(values, 1 - alpha))


def wilson_interval(p: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` observed on ``n`` independent trials
    (scipy's binomial test gives the same bounds)."""
    from scipy.stats import binomtest

    k = int(round(p * n))
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


#: Fewer tested speakers than this: a speaker bootstrap has too few distinct resamples, and the
#: row gets the binomial interval of its clips instead.
MIN_BOOTSTRAP_SPEAKERS = 6


def metric_interval(pred: pd.DataFrame, metric: str, single_split: bool,
                    level: float = 0.95) -> tuple[float, float]:
    """The study's 95 % interval for one row: a binomial (Wilson) interval when the row is one
    test split shared by speakers in training and test (``single_split``) or tests fewer than
    :data:`MIN_BOOTSTRAP_SPEAKERS` speakers (the metric averaged over replicates, ``n`` = clips
    of one replicate); otherwise :func:`speaker_bootstrap_interval`."""
    pred = pred if "replicate" in pred else pred.assign(replicate=0)
    if single_split or pred["speaker"].nunique() < MIN_BOOTSTRAP_SPEAKERS:
        values = [classification_metrics(g["y_true"], g["y_pred"])[metric]
                  for _, g in pred.groupby("replicate")]
        n = int(pred.groupby("replicate").size().iloc[0])
        return wilson_interval(float(np.mean(values)), n, level)
    return speaker_bootstrap_interval(pred, metric, level=level)
