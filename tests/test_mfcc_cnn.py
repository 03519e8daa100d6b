"""Seed 002's MFCC CNN: its input, its shape arithmetic, and training it with serlib.training."""

import numpy as np
import pytest
import soundfile as sf
import torch
from synthetic_audio import tone

from serlib import mfcc_cnn, training


def test_mfcc_input_is_three_seconds_from_offset(tmp_path):
    long, short = tmp_path / "long.wav", tmp_path / "short.wav"
    sf.write(long, tone(5.0, 16000, 220), 16000)
    sf.write(short, tone(1.5, 16000, 220), 16000)
    a = mfcc_cnn.mfcc_input_file(str(long), {})["mfcc"]
    b = mfcc_cnn.mfcc_input_file(str(short), {})["mfcc"]
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
    cfg = training.TrainConfig(arch="mfcc-cnn", optimizer="adam", schedule="cosine-restarts",
                               restart_epochs=2, epochs=4, batch_size=8, lr=3e-3,
                               label_smoothing=0.0, weight_decay=0.0, seed=0)
    result = training.fit(xs[:32], ys[:32], xs[32:40], ys[32:40], xs[40:], ys[40:], cfg,
                          num_classes=3)
    assert result.history["train_acc"].iloc[-1] > 0.6
    lrs = result.history["lr"].tolist()
    assert lrs[0] == pytest.approx(3e-3) and lrs[2] == pytest.approx(3e-3)  # restarted
    assert lrs[1] < lrs[0]
    path = training.save_checkpoint(tmp_path / "m.pt", result.best_state, result.model_kwargs,
                                    cfg)
    model, config, _ = training.load_checkpoint(path)
    assert isinstance(model, mfcc_cnn.MfccCNN) and config.arch == "mfcc-cnn"
    probs = training.cabg.predict_proba(model, xs[40:])
    assert probs.shape == (8, 3)
    with pytest.raises(ValueError, match="accepted: cabg, mfcc-cnn"):
        training.TrainConfig(arch="resnet")
