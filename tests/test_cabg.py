"""The EmoCatcher (CABG) re-implementation: architecture, masking, weights, faithfulness."""

from pathlib import Path

import numpy as np
import pytest
import torch

from serlib import paths
from serlib.models import cabg

SEED_DIR = paths.project_root().parent / "shared" / "seed-artifacts" / "emocatcher"


def random_inputs(n=5, n_mels=64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(-40, 10, (n_mels, int(rng.integers(6, 30)))).astype(np.float32)
            for _ in range(n)]


def test_parameter_count_matches_the_seed():
    model = cabg.EmoCatcher()
    n_state = sum(v.numel() for k, v in model.state_dict().items()
                  if not k.endswith("num_batches_tracked"))
    assert n_state == cabg.SEED_PARAMETERS  # the seed's 166,857 (with running stats)
    assert cabg.count_parameters(model) == 166_729  # minus BatchNorm's running statistics


def test_state_dict_names_are_the_seeds():
    keys = set(cabg.EmoCatcher().state_dict())
    for name in ("conv_block1.conv_block.0.weight", "conv_block3.conv_block.1.layer_norm.bias",
                 "gru_layernorm.weight", "gru.weight_hh_l0_reverse",
                 "attention.linear_z.weight", "linear1.1.running_var", "linear2.bias"):
        assert name in keys


def test_pooled_lengths_follow_maxpool():
    assert cabg.pooled_lengths(torch.tensor([2, 3, 10, 11])).tolist() == [1, 1, 5, 5]
    assert cabg.pooled_lengths(torch.tensor([1])).tolist() == [1]


def test_forward_shapes_and_masked_attention():
    torch.manual_seed(0)
    model = cabg.EmoCatcher().eval()
    x, lengths = cabg.pad_batch(random_inputs())
    with torch.no_grad():
        logits, weights = model(x, lengths, return_attention_weights=True)
    assert logits.shape == (5, 8)
    pooled = cabg.pooled_lengths(lengths)
    assert weights.shape == (5, int(pooled.max()), 1)
    for w, n in zip(weights[..., 0], pooled.tolist(), strict=True):
        assert float(w[:n].sum()) == pytest.approx(1.0, abs=1e-5)
        assert float(w[n:].abs().sum()) < 1e-6  # padded steps get no attention


def test_seed_layout_4d_input_is_accepted():
    model = cabg.EmoCatcher().eval()
    x, lengths = cabg.pad_batch(random_inputs(3))
    assert torch.allclose(model(x, lengths), model(x.unsqueeze(1), lengths))


def test_predict_proba_rows_sum_to_one_and_attention_lengths():
    model = cabg.EmoCatcher()
    inputs = random_inputs(7) + [np.zeros((64, 1), np.float32)]  # one frame: padded to two
    probs, att = cabg.predict_proba(model, inputs, batch_size=3, return_attention=True)
    assert probs.shape == (8, 8)
    assert np.allclose(probs.sum(1), 1, atol=1e-5)
    assert [len(a) for a in att] == [max(a.shape[1], 2) // 2 for a in inputs]


def test_load_state_roundtrip_and_half_precision(tmp_path: Path):
    model = cabg.EmoCatcher()
    torch.save(model.state_dict(), tmp_path / "plain.pth")
    half = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    torch.save({"state_dict": half, "model_kwargs": {"input_dim": 64}}, tmp_path / "half.pt")
    x, lengths = cabg.pad_batch(random_inputs(2))
    model.eval()
    assert torch.allclose(cabg.load_state(tmp_path / "plain.pth")(x, lengths), model(x, lengths))
    assert torch.allclose(cabg.load_state(tmp_path / "half.pt")(x, lengths), model(x, lengths),
                          atol=0.05)
    with pytest.raises(RuntimeError):
        cabg.load_state(tmp_path / "plain.pth", input_dim=192)


def test_standardize_uses_stored_statistics_and_keeps_padding_zero(tmp_path: Path):
    inputs = random_inputs(4)
    model = cabg.EmoCatcher(standardize=True).eval()
    model.set_input_stats(inputs)
    frames = np.concatenate(inputs, axis=1)
    assert np.allclose(model.input_mean.numpy(), frames.mean(1), atol=1e-3)
    assert np.allclose(model.input_std.numpy(), frames.std(1), atol=1e-3)
    # the same as feeding standardised clips, zero-padded, to the plain model
    plain = cabg.EmoCatcher().eval()
    plain.load_state_dict({k: v for k, v in model.state_dict().items()
                           if not k.startswith("input_")})
    scaled = [(a - frames.mean(1, keepdims=True)) / (frames.std(1, keepdims=True) + 1e-5)
              for a in inputs]
    x, lengths = cabg.pad_batch(inputs)
    with torch.no_grad():
        assert torch.allclose(model(x, lengths), plain(*cabg.pad_batch(scaled)), atol=1e-4)
    torch.save({"state_dict": model.state_dict(),
                "model_kwargs": {"input_dim": 64, "standardize": True}}, tmp_path / "s.pt")
    loaded = cabg.load_state(tmp_path / "s.pt")
    assert torch.equal(loaded.input_mean, model.input_mean)
    with pytest.raises(ValueError, match="standardize=True"):
        cabg.EmoCatcher().set_input_stats(inputs)
    assert "input_mean" not in cabg.EmoCatcher().state_dict()  # the seed's layout is unchanged


@pytest.mark.realdata
@pytest.mark.skipif(not (SEED_DIR / "best_model_0.8715_0.8655.pth").is_file(),
                    reason="seed artifacts not found")
def test_seed_weights_classify_the_seed_test_split():
    """The seed's best checkpoint in serlib's model, on serlib's cached inputs, classifies
    the seed's hold-out test set as it published (251 of 288), within 3 clips."""
    from synthetic_audio import real_data_root

    from serlib.data import corpora
    from serlib.experiments import cabg_runs
    from serlib.features import acoustic, extraction

    root = real_data_root()
    if root is None:
        pytest.skip("real corpora not found")
    table = corpora.load_corpus("ravdess", root / "ravdess").table
    y = table["emotion"].map(cabg.EMOTIONS.index).to_numpy()
    (run,) = cabg_runs.protocol_runs("random-holdout-8-2", table, y, [999])  # committed split
    test = run.test_idx
    inputs = extraction.extract(table["path"].iloc[test], acoustic.emocatcher_input_file, {},
                              n_jobs=1, progress=False)
    model = cabg.load_state(SEED_DIR / "best_model_0.8715_0.8655.pth")
    # the seed's own padded evaluation (batches of 64): the one place it is kept
    probs = cabg.predict_proba(model, [v["logmel"] for v in inputs.values], batch_size=64,
                               seed_padding=True)
    assert abs(int((probs.argmax(1) == y[test]).sum()) - 251) <= 3


def test_predictions_do_not_depend_on_the_batch():
    """A clip's probabilities are the same alone and beside longer clips; the seed's padded
    evaluation (kept for its published-weights check only) is not."""
    torch.manual_seed(0)
    model = cabg.EmoCatcher().eval()
    rng = np.random.default_rng(0)
    clips = [rng.normal(-40, 10, (64, n)).astype(np.float32) for n in (7, 30, 93, 2, 61)]
    batched = cabg.predict_proba(model, clips, batch_size=64)
    alone = np.concatenate([cabg.predict_proba(model, [c], batch_size=1) for c in clips])
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    padded = cabg.predict_proba(model, clips, batch_size=64, seed_padding=True)
    assert np.abs(padded - alone).max() > 1e-3


def test_gain_norm_makes_the_output_independent_of_the_level():
    """Scaling a signal by g adds 20 log10 g dB to its log-mel: a gain-normalised model's
    output does not move; the seed's model's does."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    clips = [rng.normal(-40, 8, (64, n)).astype(np.float32) for n in (9, 17, 30)]
    plain = cabg.EmoCatcher().eval()
    gain = cabg.EmoCatcher(gain_norm=True).eval()
    gain.load_state_dict(plain.state_dict())
    for db in (-12.04, -6.02, 6.02, 12.04):  # 0.25x, 0.5x, 2x, 4x
        shifted = [c + db for c in clips]
        np.testing.assert_allclose(cabg.predict_proba(gain, shifted),
                                   cabg.predict_proba(gain, clips), atol=1e-5)
        assert np.abs(cabg.predict_proba(plain, shifted)
                      - cabg.predict_proba(plain, clips)).max() > 1e-3


def test_gain_normalize_subtracts_the_clip_mean_of_level_channels_only():
    x, lengths = cabg.pad_batch([np.full((6, 4), -30.0, np.float32),
                                 np.arange(12, dtype=np.float32).reshape(6, 2)])
    out = cabg.gain_normalize(x, lengths, level_channels=3)
    assert torch.allclose(out[0, :3], torch.zeros(3, 4))  # a constant clip becomes 0
    assert torch.equal(out[0, 3:], x[0, 3:])  # the other channels are left alone
    assert torch.equal(out[1, :, 2:], torch.zeros(6, 2))  # padding stays 0
    assert float(out[1, :3, :2].mean()) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="level_channels"):
        cabg.EmoCatcher(input_dim=64, level_channels=65)
