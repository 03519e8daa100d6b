"""Seed 001's PyTorch networks: shapes, He init, validation-only epoch choice, the run store
and its id checks, the command line. Synthetic inputs only (no corpus needed)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from serlib.data import corpora
from serlib.experiments import seed001
from serlib.models import seed001_nets
from serlib.protocols import registry
from serlib.training import runstore


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("model, shape", [("mlp", (192,)), ("cnn-1d", (187, 40)),
                                          ("cnn-2d", (32, 40)), ("cnn-2d", (128, 130))])
def test_models_map_inputs_to_class_logits(model, shape):
    net = seed001_nets.build_model(model, shape, n_classes=8)
    out = net(torch.randn(3, *shape))
    assert out.shape == (3, 8)
    assert seed001_nets.n_parameters(net) > 1000


def test_parameter_counts_of_the_default_architectures():
    assert seed001_nets.n_parameters(seed001_nets.build_model("mlp", (192,))) == 83_336
    assert seed001_nets.n_parameters(seed001_nets.build_model("cnn-1d", (187, 130))) == 159_688
    assert seed001_nets.n_parameters(seed001_nets.build_model("cnn-2d", (128, 130))) == 65_512


def test_he_initialisation():
    torch.manual_seed(0)
    mlp = seed001_nets.SeedMLP(n_inputs=4000, hidden=(512,))
    first = mlp.net[0]
    assert first.weight.std().item() == pytest.approx(np.sqrt(2 / 4000), rel=0.05)
    assert torch.count_nonzero(first.bias) == 0
    conv = seed001_nets.SeedCNN1d(n_channels=187).features[0]
    assert conv.weight.std().item() == pytest.approx(np.sqrt(2 / (187 * 5)), rel=0.05)
    assert torch.count_nonzero(conv.bias) == 0


def test_select_epoch_smooths_and_takes_the_earliest_of_equals():
    # one lucky epoch (2) loses to a steady plateau (epochs 6-10)
    acc = [0.1, 0.9, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5]
    assert seed001.select_epoch(acc) == 8
    assert seed001.select_epoch(acc, window=1) == 2
    assert seed001.select_epoch([0.3, 0.3, 0.3], window=1) == 1
    with pytest.raises(ValueError, match="no validation"):
        seed001.select_epoch([float("nan")] * 3)


def test_fix_length_and_standardizer_use_only_real_frames():
    long = np.arange(20, dtype=np.float32).reshape(2, 10)
    assert seed001.fix_length(long, 4).tolist() == long[:, 3:7].tolist()
    short = seed001.fix_length(np.ones((2, 3), np.float32), 6)
    assert np.isnan(short[:, [0, 4, 5]]).all() and (short[:, 1:4] == 1).all()
    x = np.stack([seed001.fix_length(np.full((2, k), float(k), np.float32), 6) for k in (2, 4)])
    scale = seed001.Standardizer.fit(x)  # per row, over the 6 real frames: values 2, 2, 4, 4, 4, 4
    assert scale.mean.ravel() == pytest.approx([10 / 3, 10 / 3])
    z = scale(x)
    assert not np.isnan(z).any() and (z[0, :, 0] == 0).all()


def _synthetic(n_speakers=8, per_speaker=16, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    speakers = np.repeat([f"{s:02d}" for s in range(1, n_speakers + 1)], per_speaker)
    y = np.tile(np.arange(4), len(speakers) // 4)
    x = (rng.normal(size=(len(y), dim)) + y[:, None]).astype(np.float32)
    return x, y, speakers


def test_epoch_choice_sees_validation_data_only():
    """Other test labels and other test inputs change nothing but the test probabilities."""
    x, y, speakers = _synthetic()
    train_idx = np.flatnonzero(np.isin(speakers, ["01", "02", "03", "04", "05", "06"]))
    test_idx = np.flatnonzero(~np.isin(speakers, ["01", "02", "03", "04", "05", "06"]))
    kwargs = {"seed": 0, "max_epochs": 6, "n_classes": 4, "val_frac": 0.34}
    a = seed001.run_fold("mlp", x, y, train_idx, test_idx, speakers, **kwargs)
    y2 = y.copy()
    y2[test_idx] = (y2[test_idx] + 1) % 4
    x2 = x.copy()
    x2[test_idx] = np.random.default_rng(1).normal(size=x2[test_idx].shape) * 100
    b = seed001.run_fold("mlp", x2, y2, train_idx, test_idx, speakers, **kwargs)
    assert a.epochs == b.epochs
    assert a.val_idx.tolist() == b.val_idx.tolist()
    assert not set(speakers[a.val_idx]) & set(speakers[test_idx])
    assert set(speakers[a.val_idx]) < set(speakers[train_idx])
    cols = ["phase", "epoch", "train_loss", "train_acc", "val_acc"]
    pd.testing.assert_frame_equal(a.log[cols], b.log[cols])
    assert a.probs.shape == (len(test_idx), 4)
    assert not np.allclose(a.probs, b.probs)
    assert list(a.log["phase"]).count("refit") == a.epochs
    assert list(a.log["phase"]).count("select") == 6


def _registry_table() -> pd.DataFrame:
    """A corpus table (no audio) holding exactly the recordings the actor hold-out lists."""
    fold = registry.get_protocol("actor-holdout-22-24").folds[0]
    ids = sorted(fold.train + fold.test)
    emotions = list(corpora.RAVDESS_EMOTIONS.values())
    return pd.DataFrame({
        "id": ids, "speaker": [i.split("/")[0][-2:] for i in ids],
        "emotion": pd.Categorical([corpora.RAVDESS_EMOTIONS[i.split("/")[1].split("-")[2]]
                                   for i in ids], categories=emotions)})


def _inputs(table: pd.DataFrame, seed: int = 0) -> seed001.Inputs:
    classes = seed001.class_names(table)
    y = table["emotion"].cat.codes.to_numpy().astype(np.int64)
    rng = np.random.default_rng(seed)
    clip = (rng.normal(size=(len(y), 12)) + y[:, None] * 0.5).astype(np.float32)
    return seed001.Inputs(ids=table["id"].to_numpy(), y=y,
                     speakers=table["speaker"].to_numpy(), classes=classes, clip=clip)


def test_train_store_skip_and_evaluate_against_the_registry(tmp_path, monkeypatch):
    monkeypatch.setitem(seed001.MAX_EPOCHS, "mlp", 2)
    table = _registry_table()
    inputs = _inputs(table)
    done = seed001.train(table, ["actor-holdout-22-24"], ["mlp"], tmp_path, inputs=inputs, log=None)
    assert done["status"].tolist() == ["trained"]
    name = "actor-holdout-22-24_mlp_fold1_seed0"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.csv", f"{name}.json",
                                                          f"{name}.probs.npy"]
    record = runstore.read_record(tmp_path, name)
    assert (record.recipe, record.selection, record.n_test) == ("seed001", "validation", 180)
    assert record.kept.startswith("epochs ") and "validation actors" in record.kept
    assert np.load(tmp_path / f"{name}.probs.npy").dtype == np.float32
    log = pd.read_csv(tmp_path / f"{name}.csv")
    assert {"train_loss", "train_acc", "val_acc"} <= set(log.columns)
    again = seed001.train(table, ["actor-holdout-22-24"], ["mlp"], tmp_path, inputs=inputs,
                          log=None)
    assert again["status"].tolist() == ["stored"]
    metrics, predictions = seed001.evaluate(tmp_path, table)
    assert len(metrics) == 1 and 0 <= metrics.loc[0, "accuracy"] <= 1
    assert {"accuracy", "uar"} <= set(metrics.columns)
    assert len(predictions) == 180
    assert set(predictions["speaker"]) == {"22", "23", "24"}
    assert {"speaker", "y_true", "y_pred", "replicate"} <= set(predictions.columns)
    assert seed001.summary(metrics).loc[0, "published_accuracy"] == pytest.approx(0.417)


def test_stored_run_with_other_test_ids_fails_naming_it(tmp_path, monkeypatch):
    monkeypatch.setitem(seed001.MAX_EPOCHS, "mlp", 1)
    table = _registry_table()
    seed001.train(table, ["actor-holdout-22-24"], ["mlp"], tmp_path, inputs=_inputs(table),
                  log=None)
    name = "actor-holdout-22-24_mlp_fold1_seed0"
    path = runstore.record_path(tmp_path, name)
    data = json.loads(path.read_text())
    data["test_ids_sha1"] = runstore.ids_digest(["Actor_01/other"])
    path.write_text(json.dumps(data))
    with pytest.raises(runstore.RunStoreError, match=name):
        seed001.evaluate(tmp_path, table)


def test_summary_averages_seeds_within_folds_first():
    metrics = pd.DataFrame({"protocol": "emobox-6fold", "model": "mlp",
                            "fold": [1, 1, 2, 2], "seed": [0, 1, 0, 1],
                            "accuracy": [0.4, 0.6, 0.2, 0.2], "uar": [0.4, 0.6, 0.2, 0.2]})
    row = seed001.summary(metrics).iloc[0]
    assert (row["runs"], row["folds"], row["seeds"]) == (4, 2, 2)
    assert row["accuracy"] == pytest.approx(0.35)
    assert row["accuracy_std"] == pytest.approx(0.15)  # folds 0.5 and 0.2
    assert row["accuracy_seed_std"] == pytest.approx(0.05)  # seeds 0.3 and 0.4
    assert np.isnan(row["published_accuracy"])


def test_command_line_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        seed001.main(["--help"])
    assert exit_.value.code == 0
    assert "train" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        seed001.main(["train", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--retrain" in out and "--protocol" in out and "--models" in out and "--out" in out
