"""The study's shared results file, its study plan, the published numbers and the saved
per-recording predictions.

The results file (``reports/results.csv``; ``reports-demo/results.csv`` for demo runs) has one
row per (corpus, protocol, model, metric, source): the mean and standard deviation over folds or
seeds and how many there were, how the configuration was chosen (``selection``), whether it is
one of the study plan's primary configurations (``primary``), and a 95 % interval (``ci_low``,
``ci_high``, :mod:`serlib.evaluation.scoring`). Notebooks upsert their rows; the seeds' and
external anchors' numbers come from one cited file, ``serlib/reference/published.csv``; the
README and notebook 07 read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from serlib.evaluation.scoring import INTERVAL_METRICS, metric_interval

RESULTS_COLUMNS = ["corpus", "protocol", "model", "metric", "mean", "std", "n", "source",
                   "selection", "primary", "ci_low", "ci_high", "notebook", "note"]


#: Columns that identify a row: writing a row with the same key replaces the old one.
RESULTS_KEY = ["corpus", "protocol", "model", "metric", "source"]


#: ``source`` values: our own runs, numbers a seed published, external anchors (EmoBox, humans).
SOURCES = ("ours", "seed", "anchor")


#: How a row's configuration was chosen: on validation speakers or clips inside the training
#: part; a fixed budget written down before the runs; on the test set (the seeds' way);
#: ``post-hoc``: formed after test numbers of that protocol had been seen; ``transductive``:
#: uses the unlabelled test recordings themselves; ``published``: a number somebody published.
SELECTIONS = ("validation", "fixed-budget", "test-picked", "post-hoc", "transductive",
              "published")


#: Selections that may never be a primary (headline) row.
NOT_PRIMARY = ("test-picked", "post-hoc", "transductive")


def results_path(reports: Path) -> Path:
    """The results file inside a reports folder."""
    return Path(reports) / "results.csv"


def read_results(reports: Path) -> pd.DataFrame:
    """The results file as a DataFrame (empty, with the right columns, if there is none yet).

    Used in: notebooks/08_error_analysis.ipynb, the README table.
    """
    path = results_path(reports)
    if not path.is_file():
        return pd.DataFrame(columns=RESULTS_COLUMNS)
    table = pd.read_csv(path, dtype={"notebook": str, "note": str, "selection": str})
    for column in RESULTS_COLUMNS:
        if column not in table:
            table[column] = {"primary": False}.get(column, float("nan"))
    table[["notebook", "note"]] = table[["notebook", "note"]].fillna("")
    table["selection"] = table["selection"].fillna("")
    table["primary"] = table["primary"].astype(str).str.lower().isin(["true", "1"])
    return table[RESULTS_COLUMNS]


def make_rows(corpus: str, protocol: str, model: str, summary: pd.DataFrame, *,
              source: str = "ours", selection: str | None = None, notebook: str = "",
              note: str = "", predictions: pd.DataFrame | None = None,
              single_split: bool | None = None) -> list[dict]:
    """Results rows from a :func:`summarize_folds` table (one row per metric). Means and
    standard deviations keep six decimals, so that the README's one-decimal percentages round
    the same way as the notebooks' printouts (no double rounding).

    ``selection`` (:data:`SELECTIONS`) is required for this study's rows; published rows are
    ``published``. With ``predictions`` (one row per tested clip and model: ``speaker``,
    ``y_true``, ``y_pred``, ``replicate``) the accuracy and UAR rows get their 95 % interval
    (:func:`metric_interval`; ``single_split`` defaults to what the protocol registry says:
    one fold of a protocol that is not speaker-independent). ``primary`` is set by
    :func:`upsert_results` from the study plan.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; accepted: {', '.join(SOURCES)}")
    if selection is None:
        if source == "ours":
            raise ValueError(f"{model} on {protocol}: say how it was chosen (selection=...; "
                             f"accepted: {', '.join(SELECTIONS)})")
        selection = "published"
    if selection not in SELECTIONS:
        raise ValueError(f"unknown selection {selection!r}; accepted: {', '.join(SELECTIONS)}")
    if predictions is not None and single_split is None:
        single_split = _single_split(corpus, protocol)
    rows = []
    for metric, row in summary.iterrows():
        lo = hi = float("nan")
        if predictions is not None and metric in INTERVAL_METRICS and len(predictions):
            lo, hi = metric_interval(predictions, metric, bool(single_split))
        rows.append({"corpus": corpus, "protocol": protocol, "model": model, "metric": metric,
                     "mean": round(float(row["mean"]), 6), "std": round(float(row["std"]), 6),
                     "n": int(row["n"]), "source": source, "selection": selection,
                     "primary": False, "ci_low": round(lo, 6), "ci_high": round(hi, 6),
                     "notebook": notebook, "note": note})
    return rows


def _single_split(corpus: str, protocol: str) -> bool:
    """Whether a protocol is one test split with speakers shared (binomial interval)."""
    from serlib.protocols import registry

    try:
        spec = registry.get_protocol(protocol, corpus)
    except ValueError:
        return False
    return len(spec.folds) == 1 and spec.kind != "speaker-independent"


def study_plan_path() -> Path:
    """The committed study plan: ``reports/study_plan.csv``."""
    from serlib import paths

    return paths.project_root() / "reports" / "study_plan.csv"


def read_study_plan(path: Path | None = None) -> pd.DataFrame:
    """The study plan: per corpus and protocol, the primary configurations (``role``
    ``single`` or ``ensemble``, ``model`` as in the results file), when each was declared
    (``declared``: ``before-runs`` or ``after-runs``) and how it was formed."""
    path = Path(path) if path else study_plan_path()
    if not path.is_file():
        return pd.DataFrame(columns=["corpus", "protocol", "role", "model", "selection",
                                     "declared", "note"])
    return pd.read_csv(path, dtype=str).fillna("")


def mark_primary(table: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Set ``primary`` on this study's rows whose (corpus, protocol, model) the plan declares,
    never on rows chosen on test data, formed after it, or transductive
    (:data:`NOT_PRIMARY`)."""
    declared = set(zip(plan["corpus"], plan["protocol"], plan["model"], strict=True))
    keys = zip(table["corpus"], table["protocol"], table["model"], strict=True)
    table = table.copy()
    table["primary"] = [k in declared and src == "ours" and sel not in NOT_PRIMARY
                        for k, src, sel in zip(keys, table["source"], table["selection"],
                                               strict=True)]
    return table


def published_path() -> Path:
    """The cited file of published numbers: ``serlib/reference/published.csv``."""
    return Path(__file__).resolve().parents[1] / "reference" / "published.csv"


def published_rows(notebook: str | None = None, corpus: str | None = None) -> list[dict]:
    """Results rows of the published numbers (the seeds' and external anchors'), from
    :func:`published_path`, optionally only those a notebook reports or of one corpus. Each
    row's note carries its citation."""
    table = pd.read_csv(published_path(), dtype={"notebook": str}).fillna({"note": ""})
    if notebook is not None:
        table = table[table["notebook"] == notebook]
    if corpus is not None:
        table = table[table["corpus"] == corpus]
    rows = []
    for r in table.itertuples(index=False):
        summary = pd.DataFrame({"mean": [r.mean], "std": [r.std], "n": [r.n]}, index=[r.metric])
        note = f"{r.citation}; {r.note}" if r.note else r.citation
        rows += make_rows(r.corpus, r.protocol, r.model, summary, source=r.source,
                          notebook=r.notebook, note=note)
    return rows


def upsert_results(reports: Path, rows: Iterable[dict]) -> pd.DataFrame:
    """Add ``rows`` to the results file, replacing rows with the same key
    (:data:`RESULTS_KEY`); marks the primary rows from the study plan (:func:`mark_primary`);
    keeps a stable order (sorted by key). Returns the new table.

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
    table = mark_primary(table, read_study_plan())
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

    Used in: notebooks/08_error_analysis.ipynb.
    """
    found = {}
    for path in sorted((Path(artifacts) / "predictions").glob("*.parquet")):
        corpus, protocol, model = path.stem.split("__")
        found[(corpus, protocol, model)] = pd.read_parquet(path)
    return found
