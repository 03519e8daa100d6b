"""Metrics, intervals, fold summaries, and the study's shared results file.

The results file (``reports/results.csv``; ``reports-demo/results.csv`` for demo runs) has one
row per (corpus, protocol, model, metric, source): the mean and standard deviation over folds or
seeds and how many there were, how the configuration was chosen (``selection``), whether it is
one of the study plan's primary configurations (``primary``), and a 95 % interval
(``ci_low``, ``ci_high``) that respects how the data cluster: a speaker-clustered bootstrap
(speakers resampled, not clips) where several speakers are tested, a binomial (Wilson) interval
for a single test split. Notebooks upsert their rows; the seeds' and external anchors' numbers
come from one cited file, ``serlib/reference/published.csv``; the README and notebook 07 read it.
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
    from serlib import protocols

    try:
        spec = protocols.get_protocol(protocol, corpus)
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
    return Path(__file__).resolve().parent / "reference" / "published.csv"


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
