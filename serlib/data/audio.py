"""Audio loading and the signal processing each seed used.

Signals are float32 NumPy arrays in [-1, 1]; sample rates are in Hz; durations in seconds.
"""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import scipy.signal
import soundfile as sf
from scipy.ndimage import gaussian_filter1d

# EmoCatcher's (seed 000) mel parameters, at librosa's default 22050 Hz.
EMOCATCHER_SR = 22050
EMOCATCHER_MEL = {"n_mels": 64, "fmax": 6000, "win_length": 2048, "hop_length": 1364,
                  "n_fft": 4096}


def load_audio(path: Path | str, sr: int | None = None, mono: bool = True
               ) -> tuple[np.ndarray, int]:
    """Read any file libsndfile reads, downmix to mono and resample.

    Args:
        path: audio file (.wav, .flac, ...).
        sr: target sample rate in Hz; ``None`` keeps the file's rate.
        mono: average the channels (as ``librosa.load`` does).

    Returns:
        ``(y, sr)``: float32 signal, shape ``(n,)`` if mono else ``(channels, n)``, and its rate.
        Resampling uses soxr (``soxr_hq``), like ``librosa.load``.

    Used in: every notebook, through the feature extractors.
    """
    y, native_sr = sf.read(str(path), dtype="float32", always_2d=True)
    y = y.T  # (channels, n)
    if mono:
        y = y.mean(axis=0)
    if sr is not None and sr != native_sr:
        y = librosa.resample(y, orig_sr=native_sr, target_sr=sr, res_type="soxr_hq")
        native_sr = sr
    return np.ascontiguousarray(y, dtype=np.float32), int(native_sr)


def emocatcher_logmel(y: np.ndarray, sr: int = EMOCATCHER_SR, **mel_kwargs) -> np.ndarray:
    """EmoCatcher's log-mel spectrogram: ``power_to_db(melspectrogram(y))`` with 64 mels,
    fmax 6000 Hz, window 2048, hop 1364 and FFT 4096 samples (at 22050 Hz), reference power 1.

    Returns an array of shape ``(n_mels, frames)`` in dB.

    Used in: notebooks/02_features.ipynb, notebooks/06_cabg_ravdess.ipynb.
    """
    params = {**EMOCATCHER_MEL, **mel_kwargs}
    mel = librosa.feature.melspectrogram(y=y, sr=sr, **params)
    return librosa.power_to_db(mel).astype(np.float32)


def emocatcher_vad(logmel: np.ndarray, sigma: float = 10.0, n_spare: int = 3) -> tuple[int, int]:
    """Voice-activity bounds from mel power, as EmoCatcher computes them.

    The dB spectrogram is turned back into power, into dB again (``amplitude_to_db`` of the
    power, as the seed does), min-max scaled over the whole matrix and summed over mel bins per
    frame. These frame energies are sorted and smoothed (Gaussian, ``sigma`` frames); the
    threshold is the smoothed value where its gradient is steepest. Speech runs from the first to
    the last frame above the threshold, widened by ``n_spare`` frames on each side.

    Returns:
        ``(start, end)`` frame indices for slicing ``logmel[:, start:end]`` (``end`` may pass the
        last frame, as in the seed; slicing clips it).

    Used in: notebooks/01_eda.ipynb, notebooks/02_features.ipynb, notebooks/06_cabg_ravdess.ipynb.
    """
    power = librosa.db_to_amplitude(logmel) ** 2
    scaled = librosa.amplitude_to_db(power)
    span = scaled.max() - scaled.min()
    frame_energy = ((scaled - scaled.min()) / (span if span > 0 else 1.0)).sum(axis=0)
    smoothed = gaussian_filter1d(np.sort(frame_energy), sigma=sigma)
    threshold = smoothed[np.argmax(np.gradient(smoothed))]
    active = np.flatnonzero(frame_energy > threshold)
    if active.size == 0:  # flat signal: keep everything
        return 0, logmel.shape[1]
    return max(int(active[0]) - n_spare, 0), int(active[-1]) + n_spare


def emocatcher_input(y: np.ndarray, sr: int = EMOCATCHER_SR) -> np.ndarray:
    """The CABG model's input: EmoCatcher's log-mel cut to its voice-activity bounds,
    shape ``(64, frames)``.

    Used in: notebooks/02_features.ipynb, notebooks/06_cabg_ravdess.ipynb.
    """
    logmel = emocatcher_logmel(y, sr)
    start, end = emocatcher_vad(logmel)
    return logmel[:, start:end]


def trim_silence(y: np.ndarray, top_db: float = 30.0) -> np.ndarray:
    """Cut leading and trailing parts quieter than ``top_db`` dB below the peak (seed 003).

    Used in: notebooks/01_eda.ipynb.
    """
    trimmed, _ = librosa.effects.trim(y, top_db=top_db)
    return trimmed


def center_pad(y: np.ndarray, length: int) -> np.ndarray:
    """Pad ``y`` with zeros equally on both sides to ``length`` samples (seed 003); a longer
    signal is cut equally on both sides.

    Used in: notebooks/01_eda.ipynb.
    """
    excess = len(y) - length
    if excess >= 0:
        start = excess // 2
        return y[start:start + length]
    left = -excess // 2
    return np.pad(y, (left, -excess - left))


def crop_or_pad(y: np.ndarray, sr: int, duration: float = 3.0, offset: float = 0.9) -> np.ndarray:
    """Take ``duration`` seconds starting at ``offset`` seconds, zero-padding at the end when
    the signal is shorter (seed 002: 3 s from 0.9 s).

    Used in: notebooks/06_cabg_ravdess.ipynb (seed 002's MFCC CNN).
    """
    start = int(round(offset * sr))
    length = int(round(duration * sr))
    piece = y[start:start + length]
    return np.pad(piece, (0, length - len(piece)))


def aesdd_segment_starts(n_samples: int, sr: int, segment: float = 3.0) -> list[int]:
    """Start samples of seed 004's 3 s segments of a recording of ``n_samples`` samples.

    The rule: a recording of at most 3 s gives one (padded) segment; up to 6 s the first and the
    last 3 s; up to 9 s also the middle 3 s; longer recordings two middle pieces, evenly spaced
    between the first and the last. Segments overlap when the length is not a multiple of 3 s.

    Used in: notebooks/02_features.ipynb, notebooks/05_keras_cnn_aesdd.ipynb.
    """
    seg = int(round(segment * sr))
    if n_samples <= seg:
        return [0]
    last = n_samples - seg
    if n_samples <= 2 * seg:
        return [0, last]
    if n_samples <= 3 * seg:
        return [0, last // 2, last]
    return [0, last // 3, 2 * last // 3, last]


def aesdd_segments(y: np.ndarray, sr: int, segment: float = 3.0) -> np.ndarray:
    """Cut a recording into seed 004's 3 s segments (see :func:`aesdd_segment_starts`).

    Returns an array of shape ``(n_segments, segment * sr)``; a short recording is zero-padded
    at the end.

    Used in: notebooks/02_features.ipynb, notebooks/05_keras_cnn_aesdd.ipynb.
    """
    seg = int(round(segment * sr))
    padded = np.pad(y, (0, max(seg - len(y), 0)))
    return np.stack([padded[s:s + seg] for s in aesdd_segment_starts(len(y), sr, segment)])


def peak_normalize(y: np.ndarray) -> np.ndarray:
    """Scale so that the largest absolute sample is 1 (``librosa.util.normalize``, seed 004).
    A silent signal is returned unchanged."""
    return librosa.util.normalize(y) if np.any(y) else y


def wiener_filter(y: np.ndarray, size: int | None = None) -> np.ndarray:
    """SciPy's Wiener filter (seed 004's denoising; it hurt there). ``size``: window in samples
    (SciPy's default 3). Returns float32."""
    return scipy.signal.wiener(y.astype(np.float64), mysize=size).astype(np.float32)


def pitch_shift(y: np.ndarray, sr: int, semitones: float) -> np.ndarray:
    """Shift pitch by ``semitones`` keeping the duration (``librosa.effects.pitch_shift``).
    Seed 004 used +-1/3 octave = +-4 semitones.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    return librosa.effects.pitch_shift(y, sr=sr, n_steps=semitones).astype(np.float32)


def speed_perturb(y: np.ndarray, sr: int, factor: float) -> np.ndarray:
    """Play ``y`` ``factor`` times faster (tempo and pitch together, as Kaldi's speed
    perturbation): resample from ``sr`` to ``sr / factor`` Hz and keep reading it at ``sr``.
    ``factor`` 1.1 gives a clip 10 % shorter and about 1.7 semitones higher. Returns float32.

    Used in: notebooks/06_cabg_ravdess.ipynb (training copies of the CABG inputs).
    """
    if factor <= 0:
        raise ValueError(f"speed factor must be positive, not {factor}")
    if factor == 1.0:
        return np.asarray(y, dtype=np.float32)
    return librosa.resample(np.asarray(y, dtype=np.float32), orig_sr=sr,
                            target_sr=round(sr / factor)).astype(np.float32)
