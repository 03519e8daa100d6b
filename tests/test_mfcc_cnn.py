"""Seed 002's MFCC CNN: its input, its shape arithmetic, and training it with serlib.training."""

import numpy as np
import pytest
import soundfile as sf
import torch
from synthetic_audio import tone

from serlib.experiments import cabg_runs, seed002
from serlib.features import acoustic
from serlib.models import mfcc_cnn
from serlib.training import torch_training


def test_mfcc_input_is_three_seconds_from_offset(tmp_path):
    long, short = tmp_path / "long.wav", tmp_path / "short.wav"
    sf.write(long, tone(5.0, 16000, 220), 16000)
    sf.write(short, tone(1.5, 16000, 220), 16000)
    a = acoustic.mfcc_input_file(str(long), {})["mfcc"]
    b = acoustic.mfcc_input_file(str(short), {})["mfcc"]
    assert a.shape == b.shape == (32, 94)  # 3 s at 16 kHz, hop 512
    # the short file is zero-padded: its last frames are silence, the long file's are not
    assert b[0, -5:].max() < a[0, -5:].min()


def test_model_shapes_and_shared_interface():
    model = mfcc_cnn.MfccCNN()
    x = torch.randn(3, 32, 94)
    assert model(x, torch.full((3,), 94)).shape == (3, 8)
    logits, weights = model(x[:, :, :80], None, return_attention_weights=True)  # padded
    assert logits.shape == (3, 8) and weights.shape == (3, 1, 1)
    with pytest.raises(ValueError, match="too small"):
        mfcc_cnn.MfccCNN(n_mfcc=8)


def test_training_the_mfcc_cnn_with_serlib(tmp_path):
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    xs, ys = [], []
    for i in range(48):
        k = i % 3
        x = rng.normal(0, 1, (32, 94)).astype(np.float32)
        x[10 * k: 10 * k + 6] += 3
        xs.append(x)
        ys.append(k)
    ys = np.array(ys)
    cfg = torch_training.TrainConfig(arch="mfcc-cnn", optimizer="adam", schedule="cosine-restarts",
                               restart_epochs=2, epochs=4, batch_size=8, lr=3e-3,
                               label_smoothing=0.0, weight_decay=0.0, seed=0)
    result = torch_training.fit(xs[:32], ys[:32], xs[32:40], ys[32:40], xs[40:], ys[40:], cfg,
                          num_classes=3)
    assert result.history["train_acc"].iloc[-1] > 0.6
    lrs = result.history["lr"].tolist()
    assert lrs[0] == pytest.approx(3e-3) and lrs[2] == pytest.approx(3e-3)  # restarted
    assert lrs[1] < lrs[0]
    path = torch_training.save_checkpoint(tmp_path / "m.pt", result.best_state, result.model_kwargs,
                                    cfg)
    model, config, _ = torch_training.load_checkpoint(path)
    assert isinstance(model, mfcc_cnn.MfccCNN) and config.arch == "mfcc-cnn"
    probs = cabg_runs.cabg.predict_proba(model, xs[40:])
    assert probs.shape == (8, 3)
    with pytest.raises(ValueError, match="accepted: cabg, mfcc-cnn"):
        torch_training.TrainConfig(arch="resnet")


def _registry_table(protocol: str = "random-holdout-8-2"):
    """A RAVDESS table (no audio) holding exactly the recordings ``protocol`` lists."""
    import pandas as pd

    from serlib.data import corpora
    from serlib.protocols import registry

    fold = registry.get_protocol(protocol).folds[0]
    ids = sorted(fold.train + fold.dev + fold.test)
    return pd.DataFrame({"id": ids, "speaker": [i.split("/")[0][-2:] for i in ids],
                         "emotion": [corpora.RAVDESS_EMOTIONS[i.split("/")[1].split("-")[2]]
                                     for i in ids]})


def test_seven_class_runs_drop_sad_from_every_part():
    table = _registry_table()
    y8 = table["emotion"].map(seed002.cabg.EMOTIONS.index).to_numpy()
    runs, data = seed002.seven_class_runs("random-holdout-8-2", table, y8, [999])
    (full,) = cabg_runs.protocol_runs("random-holdout-8-2", table, y8, [999])
    (run,) = runs
    assert seed002.SEVEN_CLASSES == ("neutral", "calm", "happy", "angry", "fearful", "disgust",
                                      "surprised")
    assert (table["emotion"].iloc[data.keep] != "sad").all() and len(data.keep) == 1440 - 192
    for part, whole in ((run.fit_idx, full.fit_idx), (run.val_idx, full.val_idx),
                        (run.test_idx, full.test_idx)):
        kept = [i for i in whole if y8[i] != seed002.cabg.EMOTIONS.index("sad")]
        assert data.keep[part].tolist() == kept  # same clips, same order, sad left out
    assert list(run.test_ids) == table["id"].iloc[data.keep[run.test_idx]].tolist()
    names = np.array(seed002.SEVEN_CLASSES)[data.y]
    assert (names == table["emotion"].iloc[data.keep].to_numpy()).all()
    assert run.name == "random-holdout-8-2_mfcc-cnn-7class_fold1_seed999"


def test_seven_class_training_stores_and_reevaluates(tmp_path):
    import json

    from serlib.training import runstore

    torch.set_num_threads(1)
    table = _registry_table()
    y8 = table["emotion"].map(seed002.cabg.EMOTIONS.index).to_numpy()
    rng = np.random.default_rng(0)
    mfccs = [(rng.normal(0, 1, (32, 94)) + (k % 4)).astype(np.float32) for k in y8]
    cfg = torch_training.TrainConfig(arch="mfcc-cnn", optimizer="adam", schedule="cosine-restarts",
                               restart_epochs=2, epochs=1, batch_size=64, lr=1e-3,
                               label_smoothing=0.0, weight_decay=0.0)
    result, data = seed002.seven_class_result("random-holdout-8-2", table, y8, mfccs, cfg,
                                               [999], tmp_path, train="missing")
    name = "random-holdout-8-2_mfcc-cnn-7class_fold1_seed999"
    assert result.trained == [name] and result.available
    assert result.probs[name].shape == (len(result.runs[0].test_idx), 7)
    assert result.table()["val_epoch"].tolist() == [1]
    record = runstore.read_record(tmp_path, name)
    assert (record.recipe, record.selection) == ("mfcc-cnn-7class", "validation")
    assert (tmp_path / f"{name}.pt").stat().st_size < 100_000
    again, _ = seed002.seven_class_result("random-holdout-8-2", table, y8, mfccs, cfg, [999],
                                           tmp_path)
    assert again.trained == [] and again.scores["accuracy"].tolist() == \
        result.scores["accuracy"].tolist()
    path = runstore.record_path(tmp_path, name)
    rec = json.loads(path.read_text())
    rec["test_ids_sha1"] = runstore.ids_digest(["Actor_01/other"])
    path.write_text(json.dumps(rec))
    with pytest.raises(runstore.RunStoreError, match=name):
        seed002.seven_class_result("random-holdout-8-2", table, y8, mfccs, cfg, [999],
                                    tmp_path)
    with pytest.raises(ValueError, match="never, missing or all"):
        seed002.seven_class_result("random-holdout-8-2", table, y8, mfccs, cfg, [999],
                                    tmp_path, train="sometimes")


def test_classification_reports_ours_and_the_seeds():
    seed = seed002.published_seven_class_report()
    assert seed["class"].tolist() == [*seed002.SEVEN_CLASSES, "accuracy", "macro avg",
                                      "weighted avg"]
    assert seed["support"].iloc[:7].sum() == 416
    assert seed.loc[seed["class"] == "calm", "f1"].item() == 0.91
    y_true = np.array([0, 0, 1, 1, 2, 2, 3, 4, 5, 6])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 3, 4, 5, 5])
    report = seed002.classification_report_frame(y_true, y_pred)
    assert report.index.tolist()[:7] == list(seed002.SEVEN_CLASSES)
    assert report.loc["neutral", "recall"] == pytest.approx(0.5)
    assert report.loc["calm", "precision"] == pytest.approx(2 / 3)
    assert report.loc["surprised", "f1"] == 0 and report.loc["accuracy", "f1"] == 0.7
    assert report.loc["macro avg", "support"] == 10
