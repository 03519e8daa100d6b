"""Metrics, fold summaries, and the study's shared results file.

The results file (``reports/results.csv``; ``reports-demo/results.csv`` for demo runs) has one
row per (corpus, protocol, model, metric, source): the mean and standard deviation over folds or
seeds and how many there were. Notebooks upsert their rows; the README and notebook 07 read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
)

RESULTS_COLUMNS = ["corpus", "protocol", "model", "metric", "mean", "std", "n", "source",
                   "notebook", "note"]
#: Columns that identify a row: writing a row with the same key replaces the old one.
RESULTS_KEY = ["corpus", "protocol", "model", "metric", "source"]
#: ``source`` values: our own runs, numbers a seed published, external anchors (EmoBox, humans).
SOURCES = ("ours", "seed", "anchor")


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


def results_path(reports: Path) -> Path:
    """The results file inside a reports folder."""
    return Path(reports) / "results.csv"


def read_results(reports: Path) -> pd.DataFrame:
    """The results file as a DataFrame (empty, with the right columns, if there is none yet).

    Used in: notebooks/07_error_analysis.ipynb, the README table.
    """
    path = results_path(reports)
    if not path.is_file():
        return pd.DataFrame(columns=RESULTS_COLUMNS)
    table = pd.read_csv(path, dtype={"notebook": str, "note": str})
    table[["notebook", "note"]] = table[["notebook", "note"]].fillna("")
    return table


def make_rows(corpus: str, protocol: str, model: str, summary: pd.DataFrame, *,
              source: str = "ours", notebook: str = "", note: str = "") -> list[dict]:
    """Results rows from a :func:`summarize_folds` table (one row per metric). Means and
    standard deviations keep six decimals, so that the README's one-decimal percentages round
    the same way as the notebooks' printouts (no double rounding)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; accepted: {', '.join(SOURCES)}")
    return [{"corpus": corpus, "protocol": protocol, "model": model, "metric": metric,
             "mean": round(float(row["mean"]), 6), "std": round(float(row["std"]), 6),
             "n": int(row["n"]), "source": source, "notebook": notebook, "note": note}
            for metric, row in summary.iterrows()]


def upsert_results(reports: Path, rows: Iterable[dict]) -> pd.DataFrame:
    """Add ``rows`` to the results file, replacing rows with the same key
    (:data:`RESULTS_KEY`); keeps a stable order (sorted by key). Returns the new table.

    Used in: notebooks 04, 05, 06 (writers) and 07 (reader).
    """
    new = pd.DataFrame(list(rows), columns=RESULTS_COLUMNS)
    unknown = set(new["source"]) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown source(s) {sorted(unknown)}; accepted: {', '.join(SOURCES)}")
    old = read_results(reports)
    if len(old):
        keys = set(map(tuple, new[RESULTS_KEY].astype(str).to_numpy()))
        keep = [tuple(k) not in keys for k in old[RESULTS_KEY].astype(str).to_numpy()]
        old = old[keep]
    table = pd.concat([old, new], ignore_index=True) if len(old) else new
    table = table.sort_values(RESULTS_KEY, kind="stable").reset_index(drop=True)
    path = results_path(reports)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return table


def predictions_path(artifacts: Path, corpus: str, protocol: str, model: str) -> Path:
    """Where the per-recording predictions of one model under one protocol are saved."""
    return Path(artifacts) / "predictions" / f"{corpus}__{protocol}__{model}.parquet"


def save_predictions(artifacts: Path, corpus: str, protocol: str, model: str,
                     table: pd.DataFrame) -> Path:
    """Save per-recording predictions for the error analysis (notebook 07).

    ``table`` needs ``file``, ``speaker``, ``y_true``, ``y_pred`` and ``fold``; optional
    ``prob_<class>`` columns hold class probabilities (for calibration), and any metadata
    columns (intensity, statement, duration, ...) are kept.

    Used in: notebooks 04, 05, 06 (writers) and 07 (reader).
    """
    missing = {"file", "speaker", "y_true", "y_pred", "fold"} - set(table.columns)
    if missing:
        raise ValueError(f"predictions lack column(s) {sorted(missing)}")
    path = predictions_path(artifacts, corpus, protocol, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = table.copy()
    for column in ("y_true", "y_pred", "speaker"):
        out[column] = out[column].astype(str)
    out.assign(corpus=corpus, protocol=protocol, model=model).to_parquet(path, index=False)
    return path


def load_predictions(artifacts: Path) -> dict[tuple[str, str, str], pd.DataFrame]:
    """Every saved predictions table, keyed by (corpus, protocol, model).

    Used in: notebooks/07_error_analysis.ipynb.
    """
    found = {}
    for path in sorted((Path(artifacts) / "predictions").glob("*.parquet")):
        corpus, protocol, model = path.stem.split("__")
        found[(corpus, protocol, model)] = pd.read_parquet(path)
    return found
