"""Scores of segment models at the recording level: a recording's prediction is the mean of its
segment probabilities (test-time averaging), so that every recording gets exactly one; the seed
004 reported per-segment accuracy, kept beside it.
"""

from __future__ import annotations

import numpy as np


def recording_proba(proba: np.ndarray, rec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Test-time averaging: the mean segment probability of each recording. Returns
    ``(recordings, proba)`` with one row per recording, in ascending recording order."""
    recs, inverse = np.unique(rec, return_inverse=True)
    sums = np.zeros((len(recs), proba.shape[1]))
    np.add.at(sums, inverse, proba)
    counts = np.bincount(inverse, minlength=len(recs))[:, None]
    return recs, sums / counts


def recording_labels(y: np.ndarray, rec: np.ndarray) -> np.ndarray:
    """The class of each recording (ascending recording order); raises if a recording's
    segments disagree."""
    recs = np.unique(rec)
    out = []
    for r in recs:
        values = np.unique(y[rec == r])
        if len(values) != 1:
            raise ValueError(f"recording {r} has segments of several classes {values}")
        out.append(values[0])
    return np.asarray(out)


def recording_accuracy(proba: np.ndarray, y: np.ndarray, rec: np.ndarray) -> float:
    """Accuracy of one prediction per recording (mean of its segments' probabilities)."""
    _, rp = recording_proba(proba, rec)
    return float((rp.argmax(1) == recording_labels(y, rec)).mean())


def run_metrics(proba: np.ndarray, y: np.ndarray, rec: np.ndarray) -> dict[str, float]:
    """Metrics of one run at both levels: ``segment_accuracy``, ``segment_uar`` (per segment,
    as the seed), and ``accuracy``, ``uar``, ``f1``, ``precision`` per recording (test-time
    averaging)."""
    from serlib.evaluation.scoring import classification_metrics

    seg = classification_metrics(y, proba.argmax(1))
    _, rp = recording_proba(proba, rec)
    out = {"segment_accuracy": seg["accuracy"], "segment_uar": seg["uar"]}
    out.update(classification_metrics(recording_labels(y, rec), rp.argmax(1)))
    return out
