"""The run store: a stored run is tied to the recordings it was tested on."""

import numpy as np
import pytest

from serlib.experiments import cabg_runs
from serlib.training import runstore


def _record(ids, **changes):
    fields = dict(name="p_seed_fold1_seed0", corpus="ravdess", protocol="p", fold=1,
                  model="cabg", recipe="seed", seed=0, selection="validation", kept="epoch 3",
                  n_test=len(ids), test_ids_sha1=runstore.ids_digest(ids))
    return runstore.RunRecord(**{**fields, **changes})


def test_record_round_trip_and_id_check(tmp_path):
    ids = ["Actor_01/a", "Actor_01/b", "Actor_02/c"]
    runstore.write_record(tmp_path, _record(ids))
    record = runstore.read_record(tmp_path, "p_seed_fold1_seed0")
    record.check_ids(ids)  # the same recordings in the same order: fine
    with pytest.raises(runstore.RunStoreError, match="p_seed_fold1_seed0"):
        record.check_ids(ids[::-1])  # same recordings, other order
    with pytest.raises(runstore.RunStoreError, match="p_seed_fold1_seed0"):
        record.check_ids(ids[:2] + ["Actor_03/d"])


def test_record_rejects_unknown_selection_and_incomplete_files(tmp_path):
    with pytest.raises(runstore.RunStoreError, match="selection"):
        _record(["a"], selection="best-on-test")
    (tmp_path / "old.json").write_text('{"seconds_per_epoch": 1.0}')
    with pytest.raises(runstore.RunStoreError, match="old.*lacks"):
        runstore.read_record(tmp_path, "old")
    assert runstore.list_records(tmp_path) == []


def test_stored_run_with_wrong_ids_fails_naming_the_run(tmp_path):
    """Scoring stored probabilities against a fold whose recordings differ must fail."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 8, 10)
    ids = tuple(f"Actor_01/clip{i}" for i in range(10))
    run = cabg_runs.RunSpec("p", 1, 0, np.arange(6), np.arange(0), np.arange(6, 10),
                           variant="full", test_ids=ids[6:])
    np.save(cabg_runs.probabilities_path(tmp_path, run), rng.random((4, 8)).astype(np.float32))
    runstore.write_record(tmp_path, cabg_runs.run_record(run, "cabg", "last epoch (3)"))
    inputs = [rng.normal(size=(64, 20)).astype(np.float32) for _ in range(10)]
    scores, _ = cabg_runs.evaluate_runs([run], inputs, y, tmp_path)
    assert scores["source"].item() == "stored probabilities"
    moved = cabg_runs.RunSpec("p", 1, 0, np.arange(6), np.arange(0), np.arange(5, 9),
                             variant="full", test_ids=ids[5:9])
    with pytest.raises(runstore.RunStoreError, match="p_full_fold1_seed0"):
        cabg_runs.evaluate_runs([moved], inputs, y, tmp_path)


def test_training_seconds_from_logs_and_refit_times(tmp_path):
    ids = ["a", "b"]
    runstore.write_record(tmp_path, _record(ids, name="p_log_fold1_seed0", seconds_per_epoch=2.5))
    (tmp_path / "p_log_fold1_seed0.csv").write_text("epoch,lr\n1,0.1\n2,0.1\n3,0.1\n")
    runstore.write_record(tmp_path, _record(ids, name="p_refit_fold1_seed0",
                                            extra={"select_seconds": 10.0, "refit_seconds": 4.0}))
    runstore.write_record(tmp_path, _record(ids, name="p_untimed_fold1_seed0"))
    rows = {r["name"]: r["seconds"] for r in runstore.training_seconds(tmp_path)}
    assert rows == {"p_log_fold1_seed0": 7.5, "p_refit_fold1_seed0": 14.0}
