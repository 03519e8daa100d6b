"""Scoring runs from the run store against the registry's folds: every stored run of a recipe
is checked (its test ids against its fold, its classes against the corpus table, the shape of
its probabilities) and scored per run and per clip. Used by the PyTorch seeds' experiments
(:mod:`serlib.experiments.seed001`, :mod:`serlib.experiments.seed003`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.evaluation import scoring
from serlib.training import runstore

METRIC_COLUMNS = ["protocol", "model", "fold", "seed", "epochs", "kept", "n_test", "accuracy",
                  "precision", "uar", "f1"]
PREDICTION_COLUMNS = ["protocol", "model", "fold", "id", "speaker", "y_true", "y_pred",
                      "replicate"]


def class_names(table: pd.DataFrame) -> list[str]:
    """The emotion classes of a corpus table: its categorical order, else sorted."""
    emotion = table["emotion"]
    if isinstance(emotion.dtype, pd.CategoricalDtype):
        return [str(c) for c in emotion.cat.categories]
    return sorted(map(str, emotion.unique()))


@dataclass
class StoredRun:
    """A stored run checked against its fold: its record, the fold's test ``ids`` (in the
    stored rows' order), the test ``probs`` and the per-epoch ``log``."""

    record: runstore.RunRecord
    ids: list[str]
    probs: np.ndarray
    log: pd.DataFrame


def load_runs(folder: Path | str, table: pd.DataFrame, recipe: str,
              protocols: Sequence[str] | None = None,
              models: Sequence[str] | None = None) -> list[StoredRun]:
    """Every stored run of ``recipe`` in ``folder`` (of ``protocols`` and ``models`` when
    given), with its test probabilities and the test recording ids of its fold in the
    registry. Raises :class:`serlib.training.runstore.RunStoreError` naming the run when its ids
    (:meth:`~serlib.training.runstore.RunRecord.check_ids`), classes or probability shape do not
    match."""
    from serlib.protocols import registry

    folder = Path(folder)
    ids = table["id"].astype(str).to_numpy()
    classes = class_names(table)
    folds: dict[str, dict[int, np.ndarray]] = {}
    out = []
    for record in runstore.list_records(folder):
        if record.recipe != recipe or (protocols is not None and record.protocol not in protocols
                                       ) or (models is not None and record.model not in models):
            continue
        if record.protocol not in folds:
            folds[record.protocol] = {f.number: f.test for f in
                                      registry.fold_indices(record.protocol, table, warn=False)}
        if record.fold not in folds[record.protocol]:
            raise runstore.RunStoreError(f"stored run {record.name}: {record.protocol} has no "
                                         f"fold {record.fold}")
        test_ids = ids[folds[record.protocol][record.fold]].tolist()
        record.check_ids(test_ids)
        if record.extra.get("classes", classes) != classes:
            raise runstore.RunStoreError(f"stored run {record.name} has classes "
                                         f"{record.extra['classes']}, the table {classes}")
        probs = np.load(folder / f"{record.name}.probs.npy")
        if probs.shape != (record.n_test, len(classes)):
            raise runstore.RunStoreError(f"stored run {record.name}: probabilities of shape "
                                         f"{probs.shape}, expected {(record.n_test, len(classes))}")
        out.append(StoredRun(record, test_ids, probs, pd.read_csv(folder / f"{record.name}.csv")))
    return out


def evaluate(folder: Path | str, table: pd.DataFrame, recipe: str,
             protocols: Sequence[str] | None = None,
             models: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score the stored runs of ``recipe`` (:func:`load_runs`, ids checked against the registry).

    Returns ``(metrics, predictions)``: ``metrics`` one row per run (``protocol``, ``model``,
    ``fold``, ``seed``, ``epochs``, ``kept``, ``n_test`` and
    :func:`serlib.evaluation.scoring.classification_metrics`: ``accuracy``, ``precision``, ``uar``,
    ``f1`` as fractions); ``predictions`` one row per tested clip and run (``protocol``,
    ``model``, ``fold``, ``id``, ``speaker``, ``y_true``, ``y_pred`` as emotion names,
    ``replicate`` = the seed), ready for :func:`serlib.evaluation.results_table.make_rows`'
    intervals.
    """
    classes = np.array(class_names(table))
    by_id = table.assign(id=table["id"].astype(str)).set_index("id")
    rows, preds = [], []
    for run in load_runs(folder, table, recipe, protocols, models):
        r = run.record
        truth = by_id.loc[run.ids, "emotion"].astype(str).to_numpy()
        pred = classes[run.probs.argmax(1)]
        rows.append({"protocol": r.protocol, "model": r.model, "fold": r.fold, "seed": r.seed,
                     "epochs": r.extra.get("epochs"), "kept": r.kept, "n_test": r.n_test,
                     **scoring.classification_metrics(truth, pred)})
        preds.append(pd.DataFrame({"protocol": r.protocol, "model": r.model, "fold": r.fold,
                                   "id": run.ids,
                                   "speaker": by_id.loc[run.ids, "speaker"].astype(str).values,
                                   "y_true": truth, "y_pred": pred, "replicate": r.seed}))
    metrics = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    predictions = (pd.concat(preds, ignore_index=True) if preds
                   else pd.DataFrame(columns=PREDICTION_COLUMNS))
    return (metrics.sort_values(["model", "protocol", "fold", "seed"]).reset_index(drop=True),
            predictions)
