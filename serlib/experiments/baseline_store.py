"""The scikit-learn baselines in the run store: every fold of every protocol run of chapter 04
(:class:`serlib.experiments.baselines.ProtocolRun`) is stored like the deep models' runs, so that
the chapter re-scores stored runs by default and trains only when asked.

A stored fold keeps a record (:class:`serlib.training.runstore.RunRecord`: corpus, protocol,
fold, model, recipe, seed, how the configuration was chosen, and the digest of its ordered test
recording ids) and ``<run>.pred.npy``, the predicted class index of every test recording in the
fold's test order (``prediction="labels"``: the SVMs give no probabilities). The record's
``extra`` holds the class list, the settings the fold used (tuned ones with their validation
score) and ``config``, what the run was computed from (features, grid or parameters, seeds):
a stored run whose ``config`` differs from the one asked for is stale and is trained again.

Loading checks the ids: a fold whose test recordings differ from the stored ones fails and names
the run (:class:`serlib.training.runstore.RunStoreError`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from serlib import paths
from serlib.evaluation import scoring
from serlib.experiments.baselines import ProtocolRun, TunedProtocolRun
from serlib.training import runstore

#: The recipe name of the records: seed 001's statistical models.
RECIPE = "seed001-sklearn"


def store_folder(corpus: str) -> Path:
    """Where chapter 04 stores the scikit-learn runs of ``corpus``: ``models/sklearn/<corpus>``."""
    return paths.project_root() / "models" / "sklearn" / corpus


def run_name(protocol: str, model: str, fold: int, seed: int = 0) -> str:
    """``<protocol>_<model>_fold<k>_seed<s>``: one fold of one configuration."""
    return f"{protocol}_{model}_fold{fold}_seed{seed}"


def _canonical(config: dict) -> str:
    return json.dumps(config, sort_keys=True, default=str)


def save_run(folder: Path | str, run: ProtocolRun, *, corpus: str, protocol: str, model: str,
             folds: Sequence[tuple[np.ndarray, np.ndarray]], ids: Sequence[str],
             classes: Sequence[str], selection: str, kept: str, config: dict,
             seed: int = 0) -> list[Path]:
    """Store every fold of ``run`` (its test predictions ``run.y_pred[test]``); returns the
    records' paths. ``ids`` are the corpus table's recording ids (positions as in ``folds``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = np.asarray(ids).astype(str)
    index = {c: i for i, c in enumerate(classes)}
    written = []
    for k, (_, test) in enumerate(folds, start=1):
        name = run_name(protocol, model, k, seed)
        predicted = run.y_pred[test]
        unknown = sorted({str(p) for p in predicted} - set(index))
        if unknown:
            raise ValueError(f"run {name}: predicted labels {unknown} are not in {list(classes)}")
        np.save(folder / f"{name}.pred.npy",
                np.array([index[p] for p in predicted], dtype=np.int16))
        extra = {"classes": list(classes), "config": json.loads(_canonical(config))}
        if isinstance(run, TunedProtocolRun) and run.params:
            extra["params"] = {key: str(v) for key, v in run.params[k - 1].items()}
            extra["validation_score"] = round(float(run.val_scores[k - 1]), 6)
        written.append(runstore.write_record(folder, runstore.RunRecord(
            name=name, corpus=corpus, protocol=protocol, fold=k, model=model, recipe=RECIPE,
            seed=seed, selection=selection, kept=kept, n_test=len(test),
            test_ids_sha1=runstore.ids_digest(ids[test]), prediction="labels", extra=extra)))
    return written


def load_run(folder: Path | str, *, protocol: str, model: str,
             folds: Sequence[tuple[np.ndarray, np.ndarray]], ids: Sequence[str], y: Sequence,
             config: dict | None = None, seed: int = 0) -> ProtocolRun | None:
    """The stored run of ``model`` under ``protocol`` rebuilt from its folds' records and
    predictions: out-of-fold ``y_pred``, per-fold metrics against ``y`` and their summary
    (a :class:`TunedProtocolRun` when the folds were tuned). ``None`` when a fold is missing
    or, given ``config``, when the stored one differs (stale). Raises
    :class:`~serlib.training.runstore.RunStoreError` naming the run when a fold's test ids are
    not the stored ones."""
    folder = Path(folder)
    ids, y = np.asarray(ids).astype(str), np.asarray(y)
    y_pred = np.full(len(y), None, dtype=object)
    per_fold, params, scores = [], [], []
    for k, (_, test) in enumerate(folds, start=1):
        name = run_name(protocol, model, k, seed)
        pred_path = folder / f"{name}.pred.npy"
        if not runstore.record_path(folder, name).is_file() or not pred_path.is_file():
            return None
        record = runstore.read_record(folder, name)
        if config is not None and _canonical(record.extra.get("config", {})) != _canonical(config):
            return None
        record.check_ids(ids[test])
        classes = np.asarray(record.extra["classes"], dtype=object)
        predicted = classes[np.load(pred_path).astype(int)]
        y_pred[test] = predicted
        per_fold.append(scoring.classification_metrics(y[test], predicted))
        if "params" in record.extra:
            params.append(record.extra["params"])
            scores.append(record.extra["validation_score"])
    frame = pd.DataFrame(per_fold)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="fold")
    summary = scoring.summarize_folds(per_fold)
    if params and len(params) == len(per_fold):
        return TunedProtocolRun(folds=frame, summary=summary, y_pred=y_pred, params=params,
                                val_scores=scores)
    return ProtocolRun(folds=frame, summary=summary, y_pred=y_pred)


def stored_or_trained(train: Callable[[], ProtocolRun], folder: Path | str, *, corpus: str,
                      protocol: str, model: str, folds: Sequence[tuple[np.ndarray, np.ndarray]],
                      ids: Sequence[str], y: Sequence, classes: Sequence[str], selection: str,
                      kept: str, config: dict, seed: int = 0,
                      retrain: bool = False) -> tuple[ProtocolRun, bool]:
    """The run from the store when it is there and was computed from ``config``; else
    ``train()`` is called, its folds stored, and the run read back from the store. Returns the
    run and whether it was trained now."""
    if not retrain:
        run = load_run(folder, protocol=protocol, model=model, folds=folds, ids=ids, y=y,
                       config=config, seed=seed)
        if run is not None:
            return run, False
    save_run(folder, train(), corpus=corpus, protocol=protocol, model=model, folds=folds,
             ids=ids, classes=classes, selection=selection, kept=kept, config=config, seed=seed)
    run = load_run(folder, protocol=protocol, model=model, folds=folds, ids=ids, y=y,
                   config=config, seed=seed)
    assert run is not None
    return run, True


def store_for(corpus: str, is_demo: bool, artifacts: Path | str) -> Path:
    """The run store of a chapter run: ``models/sklearn/<corpus>`` for a named real corpus (the
    committed runs), else ``<artifacts>/sklearn_runs`` (the demo corpus, a manifest folder), so
    that a run on other data never writes into the committed store."""
    from serlib.data import corpora

    if not is_demo and corpus in corpora.LOADERS:
        return store_folder(corpus)
    return Path(artifacts) / "sklearn_runs"
