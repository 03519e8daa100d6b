"""The scikit-learn baselines in the run store: stored folds re-score to the same numbers,
wrong ids fail naming the run, a changed configuration trains again, demo runs stay out of the
committed store."""

import numpy as np
import pandas as pd
import pytest

from serlib import paths
from serlib.experiments import baseline_store, baselines
from serlib.training import runstore


def _data(n_speakers: int = 4, per: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    speakers = np.repeat([f"s{i}" for i in range(n_speakers)], per)
    y = np.tile(["anger", "joy", "sadness"], n_speakers * per // 3)
    X = pd.DataFrame(rng.normal(size=(len(y), 5)) + (y == "joy")[:, None] * 1.5,
                     columns=[f"f{i}" for i in range(5)])
    ids = np.array([f"{s}/clip{i:02d}" for i, s in enumerate(speakers)])
    folds = [(np.flatnonzero(speakers != s), np.flatnonzero(speakers == s))
             for s in sorted(set(speakers))]
    return X, y, speakers, ids, folds


def _store(tmp_path, train, config, **kw):
    X, y, speakers, ids, folds = _data()
    kw = {"corpus": "toy", "protocol": "loso-4", "model": "lr", "folds": folds, "ids": ids,
          "y": y, "classes": ["anger", "joy", "sadness"], "selection": "validation",
          "kept": "fixed", "config": config, **kw}
    return baseline_store.stored_or_trained(train, tmp_path, **kw)


def test_round_trip_reproduces_the_trained_run(tmp_path):
    X, y, speakers, ids, folds = _data()
    trained = baselines.tune_per_fold("lr", X, y, speakers, folds, grid={"C": [0.1, 1.0]},
                                      n_splits=3)
    run, now = _store(tmp_path, lambda: trained, {"grid": [0.1, 1.0]})
    assert now
    np.testing.assert_array_equal(run.y_pred.astype(str), trained.y_pred.astype(str))
    pd.testing.assert_frame_equal(run.folds, trained.folds)
    assert [{k: str(v) for k, v in p.items()} for p in trained.params] == run.params
    record = runstore.read_record(tmp_path, "loso-4_lr_fold1_seed0")
    assert record.prediction == "labels" and record.recipe == baseline_store.RECIPE
    assert record.extra["classes"] == ["anger", "joy", "sadness"]


def test_stored_run_is_read_not_trained(tmp_path):
    X, y, speakers, ids, folds = _data()
    fitted = baselines.evaluate_protocol("lr", X, y, folds, params={"C": 1.0})
    _store(tmp_path, lambda: fitted, {"C": 1.0})

    def must_not_train():
        raise AssertionError("trained although the run store holds the run")

    run, now = _store(tmp_path, must_not_train, {"C": 1.0})
    assert not now and run.summary.loc["accuracy", "mean"] == fitted.summary.loc["accuracy", "mean"]
    calls = []
    _, now = _store(tmp_path, lambda: calls.append(1) or fitted, {"C": 1.0}, retrain=True)
    assert now and calls == [1]


def test_changed_config_trains_again(tmp_path):
    X, y, speakers, ids, folds = _data()
    first = baselines.evaluate_protocol("lr", X, y, folds, params={"C": 1.0})
    second = baselines.evaluate_protocol("lr", X, y, folds, params={"C": 0.001})
    _store(tmp_path, lambda: first, {"C": 1.0})
    run, now = _store(tmp_path, lambda: second, {"C": 0.001})
    assert now
    np.testing.assert_array_equal(run.y_pred.astype(str), second.y_pred.astype(str))


def test_wrong_ids_fail_naming_the_run(tmp_path):
    X, y, speakers, ids, folds = _data()
    fitted = baselines.evaluate_protocol("lr", X, y, folds, params={"C": 1.0})
    _store(tmp_path, lambda: fitted, {"C": 1.0})
    shuffled = ids.copy()
    shuffled[folds[2][1][0]] = "s2/another"
    with pytest.raises(runstore.RunStoreError, match="loso-4_lr_fold3_seed0"):
        baseline_store.load_run(tmp_path, protocol="loso-4", model="lr", folds=folds,
                                ids=shuffled, y=y)


def test_unknown_predicted_label_is_refused(tmp_path):
    X, y, speakers, ids, folds = _data()
    fitted = baselines.evaluate_protocol("lr", X, y, folds, params={"C": 1.0})
    with pytest.raises(ValueError, match="not in"):
        baseline_store.save_run(tmp_path, fitted, corpus="toy", protocol="loso-4", model="lr",
                                folds=folds, ids=ids, classes=["anger", "joy"],
                                selection="validation", kept="fixed", config={})


def test_demo_and_manifest_runs_stay_out_of_the_committed_store(tmp_path):
    assert baseline_store.store_for("ravdess", False, tmp_path) == (
        paths.project_root() / "models" / "sklearn" / "ravdess")
    assert baseline_store.store_for("ravdess", True, tmp_path) == tmp_path / "sklearn_runs"
    assert baseline_store.store_for("my_corpus", False, tmp_path) == tmp_path / "sklearn_runs"
