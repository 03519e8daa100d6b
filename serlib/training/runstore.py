"""The run store: what every trained model of the study leaves behind, and the checks on
loading it.

A run is one model trained on one fold of one protocol with one seed. Next to its training log
and its test probabilities, a run keeps a record (``<run>.json``) that says what it is: its
corpus, protocol, fold, model, recipe, seed, how its kept epoch or model was chosen, how its
probabilities were computed, and a digest of the ordered list of its test recording ids. The
probabilities' rows follow that list, so a stored run is tied to the recordings it was tested
on: loading it against a fold whose ids differ fails and names the run, instead of scoring a
model on clips it may have been trained on.

Used by the PyTorch runs (:mod:`serlib.experiments.cabg_runs`, seed001, seed002, seed003), the
Keras runs (:mod:`serlib.experiments.seed004`) and the scikit-learn baselines
(:mod:`serlib.experiments.baseline_store`, which stores predicted labels: ``labels``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

#: How a run's kept epoch or model was chosen.
SELECTIONS = ("validation", "fixed-budget", "test-picked")
#: How the stored test probabilities were computed.
PREDICTIONS = ("per-clip", "batched-64-padded", "labels")


class RunStoreError(ValueError):
    """A stored run does not belong to the fold it is loaded for (or its record is broken)."""


def ids_digest(ids: Sequence[str]) -> str:
    """SHA-1 of the ordered recording ids (one per line): equal digests mean the same
    recordings in the same order."""
    return hashlib.sha1("\n".join(map(str, ids)).encode("utf-8")).hexdigest()


@dataclass
class RunRecord:
    """What a stored run is. ``kept`` says which weights were kept (``"epoch 87"``,
    ``"last epoch (120)"``); ``selection`` how (:data:`SELECTIONS`); ``prediction`` how the
    stored probabilities were computed (:data:`PREDICTIONS`: runs stored before predictions
    were made independent of batching keep ``batched-64-padded``)."""

    name: str
    corpus: str
    protocol: str
    fold: int
    model: str
    recipe: str
    seed: int
    selection: str
    kept: str
    n_test: int
    test_ids_sha1: str
    prediction: str = "per-clip"
    seconds_per_epoch: float | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.selection not in SELECTIONS:
            raise RunStoreError(f"run {self.name}: selection {self.selection!r} is not one of "
                                f"{', '.join(SELECTIONS)}")
        if self.prediction not in PREDICTIONS:
            raise RunStoreError(f"run {self.name}: prediction {self.prediction!r} is not one "
                                f"of {', '.join(PREDICTIONS)}")

    def check_ids(self, test_ids: Sequence[str]) -> None:
        """Raise :class:`RunStoreError` naming the run when ``test_ids`` (the fold's test
        recordings, in order) are not the ones the run was tested on."""
        if len(test_ids) != self.n_test or ids_digest(test_ids) != self.test_ids_sha1:
            raise RunStoreError(
                f"stored run {self.name} was tested on {self.n_test} other recordings (or in "
                f"another order) than fold {self.fold} of {self.protocol} lists "
                f"({len(test_ids)}): its probabilities cannot be scored on this fold. Was the "
                "corpus or the protocol changed? Retrain the run (retrain=True).")


def record_path(folder: Path | str, name: str) -> Path:
    """Where a run's record lives: ``<folder>/<name>.json``."""
    return Path(folder) / f"{name}.json"


def write_record(folder: Path | str, record: RunRecord) -> Path:
    """Write ``record`` as ``<folder>/<name>.json`` (sorted keys, so rewrites are stable)."""
    path = record_path(folder, record.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(record), indent=1, sort_keys=True) + "\n")
    return path


def read_record(folder: Path | str, name: str) -> RunRecord:
    """The record of run ``name`` in ``folder``. Raises :class:`RunStoreError` naming the run
    when there is none or it lacks fields (a run stored before the run store existed)."""
    path = record_path(folder, name)
    if not path.is_file():
        raise RunStoreError(f"stored run {name} has no record {path}")
    data = json.loads(path.read_text())
    known = {f.name for f in fields(RunRecord)}
    required = {"name", "corpus", "protocol", "fold", "model", "recipe", "seed", "selection",
                "kept", "n_test", "test_ids_sha1"}
    missing = sorted(required - set(data))
    if missing:
        raise RunStoreError(f"stored run {name}: record {path} lacks {', '.join(missing)}")
    return RunRecord(**{k: v for k, v in data.items() if k in known})


def list_records(folder: Path | str) -> list[RunRecord]:
    """Every run record in ``folder`` (files that are not run records are skipped)."""
    records = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            records.append(read_record(folder, path.stem))
        except (RunStoreError, TypeError, json.JSONDecodeError):
            continue
    return records


def run_seconds(folder: Path | str, record: RunRecord) -> float | None:
    """Recorded single-thread training seconds of one stored run: ``select_seconds`` plus
    ``refit_seconds`` where the record has them (runs that chose their epoch on validation data
    and were refitted), else ``seconds_per_epoch`` times the epochs of its training log
    (``<name>.csv``, one row per epoch). ``None`` when the record says nothing about time."""
    extra = record.extra or {}
    if "select_seconds" in extra or "refit_seconds" in extra:
        return float(extra.get("select_seconds", 0.0)) + float(extra.get("refit_seconds", 0.0))
    if record.seconds_per_epoch is None:
        return None
    log = Path(folder) / f"{record.name}.csv"
    if not log.is_file():
        return None
    with log.open() as handle:
        epochs = max(sum(1 for _ in handle) - 1, 0)
    return float(record.seconds_per_epoch) * epochs


def training_seconds(folder: Path | str) -> list[dict]:
    """One dict per stored run with a record in ``folder``: ``name``, ``protocol``, ``model``,
    ``recipe``, ``seconds`` (:func:`run_seconds`; runs without recorded times are left out)."""
    rows = []
    for record in list_records(folder):
        seconds = run_seconds(folder, record)
        if seconds is not None:
            rows.append({"name": record.name, "protocol": record.protocol, "model": record.model,
                         "recipe": record.recipe, "seconds": seconds})
    return rows
