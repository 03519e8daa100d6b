"""The warning of ``serlib predict``: how much accuracy drops on other recording conditions,
quoted from the cross-corpus rows of ``reports/results.csv`` at run time (chapter 07 writes
them), never typed in. Standard library only, so that building the command line stays fast.
"""

from __future__ import annotations

import csv
from pathlib import Path

#: The model whose cross-corpus rows are quoted (the recipe of predict's default model).
WARNING_MODEL = "cabg-emocatcher full-train gain-norm"
#: Test corpora quoted for a RAVDESS-trained model, with their printed names.
TEST_CORPORA = {"emodb": "EMO-DB (German)", "aesdd": "AESDD (Greek)"}


def results_file() -> Path:
    """``reports/results.csv`` of the project."""
    return Path(__file__).resolve().parents[2] / "reports" / "results.csv"


def cross_corpus_numbers(path: Path | str | None = None, train: str = "ravdess",
                         model: str = WARNING_MODEL) -> dict[str, dict[str, float]]:
    """``{test corpus: {"accuracy": mean, "uar": mean}}`` (fractions) of ``model``'s rows with
    protocol ``cross-<train>-to-<test>`` in the results file (empty when it or the rows are
    missing)."""
    path = Path(path) if path is not None else results_file()
    out: dict[str, dict[str, float]] = {}
    if not path.is_file():
        return out
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            prefix = f"cross-{train}-to-"
            if (row.get("model") == model and row.get("protocol", "").startswith(prefix)
                    and row.get("metric") in ("accuracy", "uar")):
                try:
                    value = float(row["mean"])
                except (TypeError, ValueError):
                    continue
                out.setdefault(row["protocol"][len(prefix):], {})[row["metric"]] = value
    return out


def warning_text(path: Path | str | None = None) -> str:
    """One sentence with the measured cross-corpus accuracy and UAR of the default model's
    recipe trained on RAVDESS, or a sentence saying they are not measured yet."""
    numbers = cross_corpus_numbers(path)
    parts = [f"{TEST_CORPORA.get(test, test)}: {100 * v['accuracy']:.1f} % accuracy, "
             f"{100 * v['uar']:.1f} % UAR" for test, v in sorted(numbers.items())
             if "accuracy" in v and "uar" in v]
    if not parts:
        return ("Across corpora the accuracy is lower still; the cross-corpus numbers are not in "
                "reports/results.csv yet (chapter 07 measures them).")
    return ("Measured across corpora (chapter 07; model trained on all of RAVDESS, tested on "
            "another corpus's emotions shared with RAVDESS): " + "; ".join(parts) + ".")
