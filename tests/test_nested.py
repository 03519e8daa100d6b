"""Nested selection (serlib.experiments.nested): inner folds by speaker, inner runs and their
stored validation probabilities, the declared rules, outer scoring of stored runs."""

import json

import numpy as np
import pandas as pd
import pytest

from serlib.experiments import nested
from serlib.training import runstore
from serlib.training.torch_training import TrainConfig, fit


def _speakers(n_speakers=10, per=12, n_classes=4):
    groups = np.repeat(np.arange(n_speakers), per)
    y = np.tile(np.arange(n_classes), n_speakers * per // n_classes)
    return groups, y


def test_inner_folds_hold_out_whole_speakers_of_the_training_part():
    groups, y = _speakers()
    train = np.flatnonzero(groups < 8)  # speakers 8 and 9 are the outer test part
    folds = nested.inner_folds(train, y, groups, n_splits=4, n_used=2)
    assert len(folds) == 2
    for fit_idx, val_idx in folds:
        assert set(fit_idx) | set(val_idx) == set(train)
        assert not set(groups[fit_idx]) & set(groups[val_idx])
        assert len(set(groups[val_idx])) == 2
    assert not set(folds[0][1]) & set(folds[1][1])  # different validation speakers


def test_inner_folds_refuse_too_few_speakers():
    groups, y = _speakers(n_speakers=3)
    with pytest.raises(ValueError, match="3 training speakers"):
        nested.inner_folds(np.arange(len(y)), y, groups, n_splits=5)


def test_candidate_variants_and_lookup():
    short, full, speed = nested.CABG_CANDIDATES
    assert (short.outer_variant, full.outer_variant, speed.outer_variant) == (
        "full-e60", "full", "full-speed")
    assert nested.candidate_by_name("full@60") is short
    with pytest.raises(ValueError, match="accepted: full@60"):
        nested.candidate_by_name("full@30")
    with pytest.raises(ValueError, match="unknown recipe 'fast'"):
        nested.recipe_config("fast")
    assert nested.recipe_config("full-speed").schedule == "cosine-restarts"


def test_fit_keeps_validation_probabilities_at_the_asked_epochs():
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(8, 12)).astype(np.float32) for _ in range(16)]
    y = np.arange(16) % 2
    result = fit(x[:12], y[:12], x[12:], y[12:], config=TrainConfig(epochs=3, batch_size=4),
                 num_classes=2, snapshot_epochs=(1, 3))
    assert sorted(result.val_snapshots) == [1, 3]
    assert result.val_snapshots[3].shape == (4, 2)
    np.testing.assert_allclose(result.val_snapshots[1].sum(1), 1, rtol=1e-5)


def _store_inner(folder, run, probs_by_epoch):
    """A stored inner run as train_inner_run writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / f"{run.name}.val.npz",
                        **{f"epoch{e}": p for e, p in probs_by_epoch.items()})
    pd.DataFrame({"epoch": [1]}).to_csv(folder / f"{run.name}.csv", index=False)
    (folder / f"{run.name}.json").write_text(json.dumps(
        {"name": run.name, "val_ids_sha1": runstore.ids_digest(run.val_ids)}))


def _onehot(labels, n=4, confidence=0.7):
    p = np.full((len(labels), n), (1 - confidence) / (n - 1), dtype=np.float32)
    p[np.arange(len(labels)), labels] = confidence
    return p


def _runs(y, fold=1):
    idx = np.arange(len(y))
    runs = []
    for inner, seeds in ((1, (999, 1000)), (2, (999,))):
        val = idx[(inner - 1) * 10:(inner - 1) * 10 + 10]
        for recipe in ("full", "full-speed"):
            for s in seeds:
                runs.append(nested.InnerRun("ravdess", "p", fold, inner, recipe, s, idx, val,
                                            tuple(f"c{i}" for i in val)))
    return runs


def test_choose_cabg_applies_the_declared_rule(tmp_path):
    y = np.arange(20) % 4
    runs = _runs(y)
    wrong = (y + 1) % 4
    for run in runs:
        truth, other = y[run.val_idx], wrong[run.val_idx]
        if run.recipe == "full":  # right at 60 epochs on 3 of 10 clips, all wrong at 120
            at60 = np.where(np.arange(10) < 3, truth, other)
            _store_inner(tmp_path, run, {60: _onehot(at60), 120: _onehot(other)})
        else:  # speed: right on 6 of 10; the two seeds err on different clips, less surely
            bad = np.arange(10) < 4 if run.seed == 999 else np.arange(10) >= 6
            p = np.where(bad[:, None], _onehot(other, confidence=0.5),
                         _onehot(truth, confidence=0.9))
            _store_inner(tmp_path, run, {45: p.astype(np.float32)})
    choice = nested.choose_cabg(runs, y, tmp_path)
    row = choice.iloc[0]
    assert row["full@120"] == 0
    assert row["chosen"] == "full-speed@45"
    assert row["chosen"] == max(("full@60", "full@120", "full-speed@45"), key=lambda c: row[c])
    assert row["ensemble_gain"] > 0.3  # the average is right on every clip
    assert row["ensemble_size"] == nested.ENSEMBLE_CAP


def test_choose_cabg_ties_go_to_the_first_candidate_and_incomplete_folds_wait(tmp_path):
    y = np.arange(20) % 4
    runs = _runs(y, fold=1) + _runs(y, fold=2)
    for run in runs:
        p = _onehot(y[run.val_idx])
        epochs = {60: p, 120: p} if run.recipe == "full" else {45: p}
        if run.fold == 2 and run.recipe == "full-speed" and run.inner == 2:
            continue  # fold 2 not finished
        _store_inner(tmp_path, run, epochs)
    choice = nested.choose_cabg(runs, y, tmp_path)
    assert choice["fold"].tolist() == [1]
    assert choice.loc[0, "chosen"] == "full@60"
    assert choice.loc[0, "ensemble_size"] == 1  # identical members gain nothing


def test_inner_scores_refuse_other_validation_clips(tmp_path):
    y = np.arange(20) % 4
    run = _runs(y)[0]
    _store_inner(tmp_path, run, {60: _onehot(y[run.val_idx]), 120: _onehot(y[run.val_idx])})
    moved = nested.InnerRun(**{**run.__dict__, "val_ids": tuple(reversed(run.val_ids))})
    with pytest.raises(ValueError, match="validation clips differ"):
        nested.inner_scores([moved], y, tmp_path)


def test_train_inner_run_stores_history_probabilities_and_record(tmp_path):
    rng = np.random.default_rng(1)
    x = [rng.normal(size=(8, 10)).astype(np.float32) for _ in range(24)]
    y = np.arange(24) % 2
    idx = np.arange(24)
    run = nested.InnerRun("ravdess", "p", 1, 1, "full", 7, idx[:16], idx[16:],
                          tuple(f"c{i}" for i in idx[16:]))
    cands = (nested.Candidate("full", 2, "two epochs"),)
    nested.train_inner_run(run, x, y, tmp_path, num_classes=2, candidates=cands,
                           config=TrainConfig(epochs=2, batch_size=8))
    assert nested.has_inner_result(run, tmp_path)
    record = json.loads((tmp_path / f"{run.name}.json").read_text())
    assert record["seed"] == 7 and record["snapshots"] == [2] and record["n_val"] == 8
    assert nested.recorded_seconds(tmp_path) == pytest.approx(2 * record["seconds_per_epoch"])
    scores = nested.inner_scores([run], y, tmp_path, cands)
    assert scores["candidate"].tolist() == ["full@2"]
    with pytest.raises(ValueError, match="speed-perturbed copies"):
        nested.train_inner_run(
            nested.InnerRun(**{**run.__dict__, "recipe": "full-speed"}), x, y, tmp_path,
            num_classes=2, config=TrainConfig(epochs=1))


def test_plurality_vote_breaks_ties_by_rank():
    votes = nested.plurality_vote([np.array(["a", "b", "c"]), np.array(["b", "b", "a"]),
                                   np.array(["b", "c", "b"])])
    assert votes.tolist() == ["b", "b", "c"]
    assert nested.plurality_vote([np.array([1, 2]), np.array([2, 1])]).tolist() == [1, 2]


def test_choose_vote_size_prefers_the_smaller_on_ties():
    votes = pd.DataFrame({"fold": [1, 1, 1, 2, 2, 2], "size": [1, 3, 5, 1, 3, 5],
                          "members": ["a", "a+b+c", "a+b+c+d+e"] * 2,
                          "accuracy": [0.5, 0.6, 0.6, 0.7, 0.6, 0.5],
                          "uar": [0.0] * 6})
    chosen = nested.choose_vote_size(votes)
    assert chosen["size"].tolist() == [3, 1]
    assert chosen.loc[0, "members"] == "a+b+c"


def test_parse_params_reads_back_stored_settings():
    assert nested.parse_params({"C": "0.01", "hidden_layer_sizes": "(64,)", "kernel": "rbf"}) == {
        "C": 0.01, "hidden_layer_sizes": (64,), "kernel": "rbf"}


def test_feature_model_ranking_orders_by_validation_score():
    def rec(model, fold, score):
        return runstore.RunRecord(name=f"p_{model}_fold{fold}_seed0", corpus="emodb",
                                  protocol="p", fold=fold, model=model, recipe="r", seed=0,
                                  selection="validation", kept="k", n_test=1,
                                  test_ids_sha1="x", prediction="labels",
                                  extra={"validation_score": score})
    ranking = nested.choose_feature_models(
        [rec("lr", 1, 0.6), rec("svm-rbf", 1, 0.7), rec("mlp", 1, 0.7), rec("lr", 2, 0.5),
         rec("svm-linear", 2, 0.4)], "p")
    first = ranking[ranking["rank"] == 1].set_index("fold")["model"].to_dict()
    assert first == {1: "mlp", 2: "lr"}  # ties by name
    assert ranking[ranking["fold"] == 1]["model"].tolist() == ["mlp", "svm-rbf", "lr"]


def test_feature_choices_name_the_missing_vote_table(monkeypatch, tmp_path):
    monkeypatch.setattr(nested, "vote_store_path", lambda c, p: tmp_path / "none.csv")
    with pytest.raises(FileNotFoundError, match="nested votes --corpus emodb"):
        nested.feature_choices("emodb", "loso-10")
