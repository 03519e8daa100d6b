from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf
from synthetic_audio import tone

from serlib.data import audio


def test_load_audio_resamples_and_downmixes(tmp_path: Path):
    stereo = tone(1.0, 48000, 300, channels=2)
    stereo[:, 1] *= 0.5
    sf.write(tmp_path / "x.flac", stereo, 48000)
    y, sr = audio.load_audio(tmp_path / "x.flac", sr=16000)
    assert sr == 16000 and y.dtype == np.float32 and y.ndim == 1
    assert len(y) == pytest.approx(1.6 * 16000, abs=2)
    ref, _ = librosa.load(tmp_path / "x.flac", sr=16000)  # the seeds' loader
    np.testing.assert_allclose(y, ref, atol=1e-4)
    both, native = audio.load_audio(tmp_path / "x.flac", mono=False)
    assert native == 48000 and both.shape[0] == 2


def test_emocatcher_vad_finds_the_voiced_part():
    sr = audio.EMOCATCHER_SR
    y = tone(1.5, sr, 200, silence=1.0)
    logmel = audio.emocatcher_logmel(y, sr)
    assert logmel.shape[0] == 64
    start, end = audio.emocatcher_vad(logmel)
    hop = audio.EMOCATCHER_MEL["hop_length"]
    # speech runs from 1.0 s to 2.5 s: the bounds land within a few frames of it
    assert abs(start * hop / sr - 1.0) < 0.35
    assert abs(end * hop / sr - 2.5) < 0.35
    assert audio.emocatcher_input(y, sr).shape == (64, min(end, logmel.shape[1]) - start)


def test_center_pad_and_trim():
    y = np.ones(10, dtype=np.float32)
    padded = audio.center_pad(y, 16)
    assert len(padded) == 16 and padded[:3].sum() == 0 and padded[3:13].sum() == 10
    assert len(audio.center_pad(np.arange(20.0), 10)) == 10
    sr = 16000
    trimmed = audio.trim_silence(tone(1.0, sr, 200, silence=0.5))
    assert 0.8 * sr < len(trimmed) < 1.3 * sr


def test_crop_or_pad():
    sr = 1000
    y = np.arange(2500, dtype=np.float32)
    out = audio.crop_or_pad(y, sr, duration=3.0, offset=0.9)
    assert len(out) == 3000 and out[0] == 900 and out[1599] == 2499 and out[1600:].sum() == 0


@pytest.mark.parametrize("seconds, n", [(2.0, 1), (3.0, 1), (4.5, 2), (6.0, 2), (7.5, 3),
                                        (9.0, 3), (10.0, 4)])
def test_aesdd_segment_rule(seconds, n):
    sr = 100
    y = np.arange(int(seconds * sr), dtype=np.float32) + 1
    segs = audio.aesdd_segments(y, sr)
    assert segs.shape == (n, 300)
    if seconds > 3:
        assert segs[0, 0] == 1 and segs[-1, -1] == y[-1]  # first and last 3 s
    else:
        assert segs[0, : len(y)].tolist() == y.tolist()


def test_peak_normalize_wiener_pitch_shift():
    sr = 16000
    y = tone(0.5, sr, 200, silence=0.0) * 0.2
    assert np.abs(audio.peak_normalize(y)).max() == pytest.approx(1.0)
    assert not np.any(audio.peak_normalize(np.zeros(10)))
    assert audio.wiener_filter(y).shape == y.shape
    shifted = audio.pitch_shift(y, sr, 4)
    assert shifted.shape == y.shape
    f0 = [np.median(librosa.yin(s, fmin=80, fmax=800, sr=sr)) for s in (y, shifted)]
    assert f0[1] / f0[0] == pytest.approx(2 ** (4 / 12), rel=0.05)


def test_speed_perturb_changes_tempo_and_pitch_together():
    sr = 16000
    y = tone(1.0, sr, 200, silence=0.0) * 0.2
    fast = audio.speed_perturb(y, sr, 1.25)
    assert len(fast) == pytest.approx(len(y) / 1.25, abs=2)
    f0 = [np.median(librosa.yin(s, fmin=80, fmax=800, sr=sr)) for s in (y, fast)]
    assert f0[1] / f0[0] == pytest.approx(1.25, rel=0.05)
    assert audio.speed_perturb(y, sr, 1.0).tolist() == y.astype(np.float32).tolist()
    with pytest.raises(ValueError, match="positive"):
        audio.speed_perturb(y, sr, 0)
