import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from serlib.experiments import baselines
from serlib.protocols import splits


def synthetic(n_speakers: int = 12, per_class: int = 6, seed: int = 0) -> tuple:
    """4 classes; group ``good`` carries the class, ``noise`` is pure noise, ``voice`` is a
    per-speaker offset that says nothing about the class."""
    rng = np.random.default_rng(seed)
    rows, y, speakers = [], [], []
    centres = rng.normal(0, 1.5, (4, 3))
    voices = rng.normal(0, 3, (n_speakers + 1, 4))
    for s in range(1, n_speakers + 1):
        for c in range(4):
            for _ in range(per_class):
                good = centres[c] + rng.normal(0, 0.7, 3)
                noise = rng.normal(0, 1, 30)
                voice = voices[s] + rng.normal(0, 0.1, 4)
                rows.append(np.concatenate([good, noise, voice]))
                y.append(f"c{c}")
                speakers.append(s)
    cols = ([f"good_{i}" for i in range(3)] + [f"noise_{i}" for i in range(30)]
            + [f"voice_{i}" for i in range(4)])
    return pd.DataFrame(np.array(rows), columns=cols), np.array(y), np.array(speakers)


def test_backward_elimination_drops_useless_groups():
    X, y, spk = synthetic()
    cv = splits.group_kfold(spk, y, n_splits=4, seed=0)
    el = baselines.backward_elimination("lr", X, y, cv, params={"C": 1.0})
    assert el.selected == ("good",)
    assert el.selected_score > 0.7
    # one row for all groups, then 3 + 2 candidates; the path keeps one per step
    assert len(el.candidates) == 1 + 3 + 2 and list(el.path["n_groups"]) == [3, 2, 1]
    assert el.candidates.groupby("step")["kept"].sum().eq(1).all()
    # the score of the selected subset is the best on the path
    assert el.selected_score == pytest.approx(el.path["mean"].max())


class Spy(ClassifierMixin, BaseEstimator):
    """Majority-class classifier that records the speakers (column 0) it sees."""

    seen_fit: list = []
    seen_predict: list = []

    def __init__(self, C: float = 1.0):
        self.C = C

    def fit(self, X, y):
        Spy.seen_fit.append(set(np.asarray(X)[:, 0].astype(int)))
        self.classes_ = np.unique(y)
        self.label_ = pd.Series(y).mode()[0]
        return self

    def predict(self, X):
        Spy.seen_predict.append(set(np.asarray(X)[:, 0].astype(int)))
        return np.full(len(X), self.label_)


def test_grid_search_never_sees_test_speakers():
    X, y, spk = synthetic(n_speakers=24, per_class=2)
    X.insert(0, "speaker", spk)
    Spy.seen_fit, Spy.seen_predict = [], []
    res = baselines.tune_and_test(Spy(), X, y, spk, test_speakers=(22, 23, 24),
                                  grid={"C": [0.1, 1.0]}, n_splits=3)
    test = {22, 23, 24}
    # 2 grid points x 3 folds + the refit, all on training speakers only
    assert len(Spy.seen_fit) == 7
    assert all(not (s & test) for s in Spy.seen_fit)
    assert Spy.seen_fit[-1] == set(range(1, 22))
    # validation predictions are on unseen training speakers; the last one is the test set
    assert all(not (s & test) for s in Spy.seen_predict[:-1])
    assert Spy.seen_predict[-1] == test
    assert set(spk[res.test_idx]) == test and len(res.y_pred) == len(res.test_idx)
    assert set(res.tuned.results.columns) >= {"C", "mean", "std", "rank"}


def test_grid_search_finds_informative_setting():
    X, y, spk = synthetic()
    tuned = baselines.grid_search("lr", X, y, spk, grid={"C": [1e-5, 1.0]}, n_splits=3)
    assert tuned.best_params == {"C": 1.0}
    assert tuned.best_score > 0.5 and len(tuned.results) == 2


def test_evaluate_protocol_predicts_each_row_once():
    X, y, spk = synthetic()
    folds = splits.group_kfold(spk, y, n_splits=3, seed=1)
    run = baselines.evaluate_protocol("svm-rbf", X[["good_0", "good_1", "good_2"]], y, folds,
                                      params={"C": 1.0, "gamma": "scale"})
    assert len(run.folds) == 3 and not any(p is None for p in run.y_pred)
    assert run.summary.loc["accuracy", "n"] == 3 and run.summary.loc["accuracy", "mean"] > 0.6
    [(train, test)] = splits.actor_holdout(spk, (11, 12))
    hold = baselines.evaluate_protocol("lr", X, y, [(train, test)], params={"C": 1.0})
    assert all(p is None for p in hold.y_pred[train]) and hold.summary.loc["f1", "std"] == 0


def test_make_model_and_helpers():
    pipe = baselines.make_model("mlp", hidden_layer_sizes=(8,), alpha=0.5)
    assert pipe.named_steps["clf"].hidden_layer_sizes == (8,)
    assert list(pipe.named_steps) == ["scale", "clf"]
    with pytest.raises(ValueError, match="accepted: lr"):
        baselines.make_model("knn")
    groups = {"a": ["a_0"], "b": ["b_0", "b_1"]}
    assert baselines.columns_of(groups, ("b", "a")) == ["a_0", "b_0", "b_1"]
    with pytest.raises(ValueError, match="unknown feature group"):
        baselines.columns_of(groups, ("c",))
    report = baselines.per_class_report(["x", "x", "y"], ["x", "y", "y"])
    assert report["support"].sum() == 3 and report.loc["x", "recall"] == 0.5


def test_seed_rows_and_protocols():
    rows = pd.DataFrame(baselines.seed_rows())
    lr = rows[(rows["model"] == "lr") & (rows["metric"] == "accuracy")]
    assert lr["mean"].item() == 0.422 and (rows["source"] == "seed").all()
    assert set(rows["protocol"]) == {"actor-holdout-22-24"}
    from serlib.data import corpora
    from serlib.protocols import registry

    fold = registry.get_protocol("random-5fold").folds[0]  # every RAVDESS recording once
    ids = [*fold.train, *fold.test]
    table = pd.DataFrame([{"id": i, **corpora.parse_ravdess_name(i.split("/")[1])} for i in ids])
    folds = baselines.protocol_folds(table)  # the committed fold lists, matched on the ids
    assert list(folds) == list(baselines.PROTOCOLS)
    assert [len(f) for f in folds.values()] == [5, 1, 6]
    (train, test), = folds["actor-holdout-22-24"]
    assert set(table["actor"].iloc[test]) == {22, 23, 24} and len(train) + len(test) == 1440


def test_result_cache_reuses_and_keys_on_inputs(tmp_path):
    X, y, spk = synthetic(n_speakers=6, per_class=3)
    cv = splits.group_kfold(spk, y, n_splits=3, seed=0)
    mem = baselines.result_cache(folder=tmp_path)
    cached = mem.cache(baselines.cv_accuracy)
    first = cached("lr", X, y, cv, params={"C": 1.0})
    assert cached.check_call_in_cache("lr", X, y, cv, params={"C": 1.0})
    assert not cached.check_call_in_cache("lr", X, y, cv, params={"C": 0.5})
    np.testing.assert_array_equal(first, cached("lr", X, y, cv, params={"C": 1.0}))
    off = baselines.result_cache(use_cache=False).cache(baselines.cv_accuracy)
    np.testing.assert_array_equal(first, off("lr", X, y, cv, params={"C": 1.0}))
