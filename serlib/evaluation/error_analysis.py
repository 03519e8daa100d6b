"""Where models fail and how sure we can be: per-class recall, confused pairs, accuracy by
factor, paired significance tests, bootstrap intervals and calibration.

Inputs are prediction tables as saved by :func:`serlib.evaluation.results_table.save_predictions`:
one row
per test recording with ``y_true``, ``y_pred``, ``fold``, metadata, and optional
``prob_<class>`` columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import binomtest


def per_class_recall(pred: pd.DataFrame, classes: Sequence[str] | None = None) -> pd.Series:
    """Recall (share of each true class predicted correctly), in ``classes`` order.

    Used in: notebooks/08_error_analysis.ipynb.
    """
    correct = pred["y_true"] == pred["y_pred"]
    recall = correct.groupby(pred["y_true"]).mean()
    return recall.reindex(classes) if classes is not None else recall


def confused_pairs(pred: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The most frequent errors: true class, predicted class, count, and the share of the true
    class's recordings that went to that prediction.

    Used in: notebooks/08_error_analysis.ipynb.
    """
    wrong = pred[pred["y_true"] != pred["y_pred"]]
    counts = wrong.groupby(["y_true", "y_pred"]).size().rename("errors").reset_index()
    totals = pred["y_true"].value_counts()
    counts["share_of_true_class"] = (counts["errors"] / counts["y_true"].map(totals)).round(3)
    return counts.sort_values(["errors", "y_true"], ascending=[False, True]).head(top)


def accuracy_by(pred: pd.DataFrame, factor: str, n_boot: int = 1000, seed: int = 0
                ) -> pd.DataFrame:
    """Accuracy per level of ``factor`` (intensity, gender, speaker, a duration bin, ...) with
    the number of recordings and a 95 % bootstrap interval.

    Used in: notebooks/08_error_analysis.ipynb.
    """
    rows = []
    for level, group in pred.groupby(factor, observed=True):
        correct = (group["y_true"] == group["y_pred"]).to_numpy()
        low, high = bootstrap_ci(correct, n_boot=n_boot, seed=seed)
        rows.append({factor: level, "n": len(group), "accuracy": correct.mean(),
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows).set_index(factor)


def bootstrap_ci(values: Sequence[float], n_boot: int = 2000, level: float = 0.95,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (e.g. 0/1 correctness)."""
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def mcnemar(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> dict[str, float]:
    """Exact McNemar test for two models scored on the SAME recordings.

    ``b``: recordings only model A got right; ``c``: only model B got right. Under the null
    hypothesis (equal accuracy) each discordant recording is a fair coin: p is the two-sided
    binomial test of ``b`` out of ``b + c``.

    Used in: notebooks/08_error_analysis.ipynb.
    """
    a, b_ = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if a.shape != b_.shape:
        raise ValueError("McNemar needs both models scored on the same recordings")
    only_a, only_b = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    p = binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    return {"n": len(a), "acc_a": float(a.mean()), "acc_b": float(b_.mean()),
            "only_a": only_a, "only_b": only_b, "p_value": float(p)}


def probability_matrix(pred: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The ``prob_<class>`` columns as an array and the class names (in column order)."""
    columns = [c for c in pred.columns if c.startswith("prob_")]
    if not columns:
        raise ValueError("these predictions hold no class probabilities (prob_<class> columns)")
    return pred[columns].to_numpy(dtype=float), [c[len("prob_"):] for c in columns]


def calibration(pred: pd.DataFrame, n_bins: int = 10) -> tuple[pd.DataFrame, float]:
    """Reliability table (per confidence bin: count, mean confidence, accuracy) and the
    expected calibration error (ECE: the count-weighted mean gap between confidence and
    accuracy, 0 = perfectly calibrated).

    Used in: notebooks/08_error_analysis.ipynb.
    """
    probs, classes = probability_matrix(pred)
    confidence = probs.max(axis=1)
    predicted = np.asarray(classes)[probs.argmax(axis=1)]
    correct = predicted == pred["y_true"].to_numpy()
    edges = np.linspace(0, 1, n_bins + 1)
    bins = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)
    rows = []
    for k in range(n_bins):
        mask = bins == k
        if mask.any():
            rows.append({"bin": f"{edges[k]:.1f}-{edges[k + 1]:.1f}", "n": int(mask.sum()),
                         "confidence": confidence[mask].mean(), "accuracy": correct[mask].mean()})
    table = pd.DataFrame(rows)
    ece = float(np.sum(table["n"] * (table["confidence"] - table["accuracy"]).abs())
                / len(confidence))
    return table, ece


#: Which protocols share speakers between training and test (results-file protocol names).
PROTOCOL_KIND = {
    "random-holdout-8-2": "random (speakers shared)",
    "random-5fold": "random (speakers shared)",
    "seed002-random-80-20-speech+song": "random (speakers shared)",
    "seed004-random-80-20": "random (speakers shared)",
    "emobox-25": "random (speakers shared)",
    "actor-holdout-22-24": "speaker-independent",
    "seed003-actors": "speaker-independent",
    "emobox-6fold": "speaker-independent",
    "loso-6": "speaker-independent",
}


def protocol_gap(results: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """For each corpus and model of this study evaluated under both kinds of protocol: the mean
    over its random-split protocols, the mean over its speaker-independent protocols, and the
    gap in percentage points.

    Used in: notebooks/08_error_analysis.ipynb.
    """
    ours = results[(results["source"] == "ours") & (results["metric"] == metric)].copy()
    ours["kind"] = ours["protocol"].map(PROTOCOL_KIND)
    ours = ours.dropna(subset=["kind"])
    rows = []
    for (corpus, model), group in ours.groupby(["corpus", "model"]):
        kinds = group.groupby("kind")["mean"].mean()
        if len(kinds) == 2:
            random_, independent = kinds["random (speakers shared)"], kinds["speaker-independent"]
            rows.append({"corpus": corpus, "model": model, "random": round(random_ * 100, 1),
                         "speaker-independent": round(independent * 100, 1),
                         "gap (points)": round((random_ - independent) * 100, 1)})
    return pd.DataFrame(rows)


def paired_bootstrap_diff(correct_a: Sequence[bool], correct_b: Sequence[bool],
                          n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Accuracy difference A - B on the same recordings with a 95 % paired bootstrap interval
    (recordings resampled together for both models).

    Used in: notebooks/08_error_analysis.ipynb.
    """
    a = np.asarray(correct_a, dtype=float)
    b = np.asarray(correct_b, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    diffs = a[idx].mean(axis=1) - b[idx].mean(axis=1)
    return float(a.mean() - b.mean()), float(np.quantile(diffs, 0.025)), float(
        np.quantile(diffs, 0.975))
