"""Acoustic features computed per file or per signal: frame-level MFCC, log-mel, spectral
contrast and chroma and their per-clip statistics; EmoCatcher's voiced log-mel input; AESDD's 3 s
segment mels (plain and pitch-shifted); seed 002's 32 MFCCs.

Conventions: frame features have shape ``(n_features, n_frames)``; clip vectors are flat. The
per-file functions take ``(path, params)`` and run through
:func:`serlib.features.extraction.extract`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import librosa
import numpy as np
import pandas as pd

from serlib.data import audio


def segment_mels(y: np.ndarray, sr: int, params: dict) -> np.ndarray:
    """Seed 004's segment mels of a signal that is already normalised: 3 s segments
    (:func:`serlib.data.audio.aesdd_segments`), each ``power_to_db`` of a 128-mel spectrogram (FFT
    2048, hop 1024). Returns ``(n_segments, n_mels, frames)`` float32."""
    mel_kwargs = {"n_fft": params.get("n_fft", 2048), "hop_length": params.get("hop_length", 1024),
                  "n_mels": params.get("n_mels", 128)}
    mels = [librosa.power_to_db(librosa.feature.melspectrogram(y=seg, sr=sr, **mel_kwargs))
            for seg in audio.aesdd_segments(y, sr, params.get("segment", 3.0))]
    return np.stack(mels).astype(np.float32)


def aesdd_pitch_mels(path: str, params: dict) -> dict[str, np.ndarray]:
    """Segment mels of one recording pitch-shifted by ``params["semitones"]`` (seed 004's
    augmentation, +-1/3 octave = +-4 semitones, which never ran in the seed): load at ``sr``
    (default 44100 Hz), peak-normalise, shift the whole recording (duration kept, so the
    segments are those of the original), peak-normalise again, segment, mel. Key ``mels``.
    With ``semitones`` 0 this equals :func:`serlib.features.acoustic.aesdd_segment_mels`.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb, through :func:`serlib.features.extraction.extract`.
    """
    y, sr = audio.load_audio(path, sr=params.get("sr", 44100))
    y = audio.peak_normalize(y)
    if params.get("semitones", 0):
        y = audio.peak_normalize(audio.pitch_shift(y, sr, float(params["semitones"])))
    return {"mels": segment_mels(y, sr, params)}


def pitch_params(semitones: float, sr: int = 44100) -> dict:
    """The :func:`aesdd_pitch_mels` parameters of a shift (floats, so the cache key is stable)."""
    return {"sr": int(sr), "semitones": float(semitones)}


#: Seed 002's input: 32 MFCCs of 3 s starting at 0.9 s. ``sr`` is the corpus copies' rate
#: (the seed loaded at 48 kHz; the 16 kHz copies hold nothing above 8 kHz anyway).
MFCC_PARAMS = {"sr": 16000, "offset": 0.9, "duration": 3.0, "n_mfcc": 32}


def mfcc_input_file(path: str, params: dict) -> dict[str, np.ndarray]:
    """Seed 002's model input for one file: ``params["duration"]`` seconds from
    ``params["offset"]`` (zero-padded at the end when the file is shorter), ``n_mfcc``
    MFCCs (librosa defaults: 2048-sample FFT, hop 512). Key ``mfcc``: ``(n_mfcc, frames)``.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    import librosa

    p = {**MFCC_PARAMS, **params}
    y, sr = audio.load_audio(path, sr=p["sr"])
    start, n = int(round(p["offset"] * sr)), int(round(p["duration"] * sr))
    y = y[start:start + n]
    y = np.pad(y, (0, n - len(y))) if len(y) < n else y
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=int(p["n_mfcc"]))
    return {"mfcc": mfcc.astype(np.float32)}


STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda x: x.mean(axis=-1),
    "std": lambda x: x.std(axis=-1),
    "max": lambda x: x.max(axis=-1),
    "min": lambda x: x.min(axis=-1),
    "range": lambda x: x.max(axis=-1) - x.min(axis=-1),
}


FRAME_GROUPS = ("mfcc", "mel", "chroma", "contrast")


@dataclass(frozen=True)
class FrameParams:
    """Frame-feature settings. Defaults are seed 001's: 22050 Hz, FFT 1024 samples (46 ms),
    hop 512 (50 % overlap), 40 MFCC, 128 mel bands, 12 chroma bins, 6 contrast bands (7 rows).

    ``stats`` are the per-clip statistics taken over frames (seed 001 used the mean).
    """

    sr: int = 22050
    n_fft: int = 1024
    hop_length: int = 512
    n_mfcc: int = 40
    n_mels: int = 128
    n_chroma: int = 12
    n_bands: int = 6
    stats: tuple[str, ...] = ("mean",)
    groups: tuple[str, ...] = FRAME_GROUPS

    def __post_init__(self) -> None:
        unknown = set(self.stats) - set(STATISTICS)
        if unknown:
            raise ValueError(f"unknown statistic(s) {sorted(unknown)}; accepted: "
                             f"{', '.join(STATISTICS)}")
        unknown = set(self.groups) - set(FRAME_GROUPS)
        if unknown:
            raise ValueError(f"unknown feature group(s) {sorted(unknown)}; accepted: "
                             f"{', '.join(FRAME_GROUPS)}")


def frame_features(y: np.ndarray, sr: int, params: FrameParams = FrameParams()) -> dict:
    """Frame-level features of one signal: ``mfcc`` (n_mfcc x T), ``mel`` (log-mel in dB,
    n_mels x T), ``chroma`` (12 x T) and ``contrast`` (n_bands + 1 x T), all with the same
    FFT size and hop. ``sr`` in Hz.

    Used in: notebooks/02_features.ipynb.
    """
    stft_power = np.abs(librosa.stft(y, n_fft=params.n_fft, hop_length=params.hop_length)) ** 2
    out = {}
    mel_power = librosa.feature.melspectrogram(S=stft_power, sr=sr, n_mels=params.n_mels)
    logmel = librosa.power_to_db(mel_power)
    if "mfcc" in params.groups:
        out["mfcc"] = librosa.feature.mfcc(S=logmel, sr=sr, n_mfcc=params.n_mfcc)
    if "mel" in params.groups:
        out["mel"] = logmel
    if "chroma" in params.groups:
        out["chroma"] = librosa.feature.chroma_stft(S=stft_power, sr=sr, n_chroma=params.n_chroma)
    if "contrast" in params.groups:
        out["contrast"] = librosa.feature.spectral_contrast(
            S=np.sqrt(stft_power), sr=sr, n_bands=params.n_bands)
    return {k: v.astype(np.float32) for k, v in out.items()}


def clip_statistics(frames: np.ndarray, stats: Sequence[str] = tuple(STATISTICS)) -> np.ndarray:
    """Per-clip statistics of a ``(n_features, n_frames)`` array (or of a 1-D signal): for
    each statistic in ``stats`` (mean, std, max, min, range) one value per feature, concatenated
    in the order of ``stats``.

    Used in: notebooks/02_features.ipynb, notebooks/03_backward_selection.ipynb.
    """
    frames = np.atleast_2d(frames)
    return np.concatenate([STATISTICS[s](frames) for s in stats]).astype(np.float32)


def clip_vector(path: str, params: dict) -> dict[str, np.ndarray]:
    """Seed 001's clip features of one file: for every frame group the statistics over frames,
    plus ``global``: mean, std, max, min and range of the raw signal. Keys are
    ``<group>_<stat>``. ``params`` are :class:`FrameParams` fields.

    Used in: notebooks/02_features.ipynb (through :func:`feature_table`).
    """
    fp = FrameParams(**{**params, "stats": tuple(params.get("stats", ("mean",))),
                        "groups": tuple(params.get("groups", FRAME_GROUPS))})
    y, sr = audio.load_audio(path, sr=fp.sr)
    out = {}
    for group, frames in frame_features(y, sr, fp).items():
        for stat in fp.stats:
            out[f"{group}_{stat}"] = STATISTICS[stat](frames).astype(np.float32)
    out["global"] = clip_statistics(y)
    return out


def emocatcher_input_file(path: str, params: dict) -> dict[str, np.ndarray]:
    """EmoCatcher's model input for one file (22050 Hz, 64-mel dB, cut to its VAD bounds),
    with the bounds: keys ``logmel`` (64 x frames) and ``vad`` ([start, end]). ``params``:
    ``sr`` (Hz), ``speed`` (a speed-perturbed copy, :func:`serlib.data.audio.speed_perturb`; 1 = the
    clip as it is).

    Used in: notebooks/02_features.ipynb, notebooks/06_cabg_ravdess.ipynb.
    """
    y, sr = audio.load_audio(path, sr=params.get("sr", audio.EMOCATCHER_SR))
    y = audio.speed_perturb(y, sr, float(params.get("speed", 1.0)))
    logmel = audio.emocatcher_logmel(y, sr)
    start, end = audio.emocatcher_vad(logmel)
    return {"logmel": logmel[:, start:end], "vad": np.array([start, end])}


def aesdd_segment_mels(path: str, params: dict) -> dict[str, np.ndarray]:
    """Seed 004's CNN input for one recording: peak-normalised, cut into 3 s segments, each a
    128-mel dB spectrogram (FFT 2048, hop 1024): key ``mels`` of shape
    ``(n_segments, 128, frames)``. ``params``: ``sr`` (Hz, seed: 44100), ``wiener`` (bool).

    Used in: notebooks/02_features.ipynb, notebooks/05_keras_cnn_aesdd.ipynb.
    """
    y, sr = audio.load_audio(path, sr=params.get("sr", 44100))
    y = audio.peak_normalize(y)
    if params.get("wiener", False):
        y = audio.wiener_filter(y)
    mel_kwargs = {"n_fft": params.get("n_fft", 2048), "hop_length": params.get("hop_length", 1024),
                  "n_mels": params.get("n_mels", 128)}
    mels = [librosa.power_to_db(librosa.feature.melspectrogram(y=seg, sr=sr, **mel_kwargs))
            for seg in audio.aesdd_segments(y, sr, params.get("segment", 3.0))]
    return {"mels": np.stack(mels).astype(np.float32)}


#: Window and hop of each seed's spectral features, in samples at the seed's sample rate.
SEED_FRAME_SETTINGS: dict[str, dict] = {
    "seed 001 (LR/SVM/MLP, clip statistics)": {"sr": 22050, "n_fft": 1024, "hop_length": 512},
    "seed 000 (EmoCatcher CABG, 64-mel)": {"sr": 22050, "n_fft": 4096, "win_length": 2048,
                                           "hop_length": 1364},
    "seed 002 (MFCC CNN, 32 MFCC)": {"sr": 48000, "n_fft": 2048, "hop_length": 512},
    "seed 004 (AESDD CNN, 128-mel)": {"sr": 44100, "n_fft": 2048, "hop_length": 1024},
}


def frame_settings_table() -> pd.DataFrame:
    """The seeds' window and hop in samples and milliseconds, one row per seed.

    Used in: notebooks/02_features.ipynb.
    """
    rows = []
    for name, s in SEED_FRAME_SETTINGS.items():
        win = s.get("win_length", s["n_fft"])
        rows.append({"representation": name, "sr_hz": s["sr"], "fft": s["n_fft"],
                     "window": win, "hop": s["hop_length"],
                     "window_ms": round(1000 * win / s["sr"], 1),
                     "hop_ms": round(1000 * s["hop_length"] / s["sr"], 1),
                     "overlap": f"{1 - s['hop_length'] / win:.0%}"})
    return pd.DataFrame(rows).set_index("representation")


def speaker_standardize(arrays: Sequence[np.ndarray], speakers: Sequence,
                        eps: float = 1e-6) -> list[np.ndarray]:
    """Per-speaker standardisation of frame-wise features (channels x frames, e.g. log-mel dB):
    every channel of every clip minus that speaker's mean over all frames of all their clips,
    divided by that speaker's standard deviation (plus ``eps``). No labels are used, but each
    speaker's own clips are: at test time that means every clip of the test speaker
    (transductive speaker normalisation, common in speaker-independent SER). ``speakers``: one
    id per array. Returns float32 arrays of the same shapes.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    if len(arrays) != len(speakers):
        raise ValueError(f"speaker_standardize: {len(arrays)} arrays but "
                         f"{len(speakers)} speaker ids")
    out: list[np.ndarray] = [np.empty(0)] * len(arrays)
    positions = pd.Series(range(len(arrays))).groupby(list(speakers), sort=False).indices
    for idx in positions.values():
        frames = np.concatenate([arrays[i] for i in idx], axis=-1)
        mean = frames.mean(axis=-1, keepdims=True)
        std = frames.std(axis=-1, keepdims=True)
        for i in idx:
            out[i] = ((arrays[i] - mean) / (std + eps)).astype(np.float32)
    return out


def length_summary(arrays: Sequence[np.ndarray], axis: int = -1) -> pd.Series:
    """Count and min/median/max (median rounded down) of ``array.shape[axis]`` over arrays
    (e.g. frames per clip).

    Used in: notebooks/02_features.ipynb.
    """
    lengths = pd.Series([a.shape[axis] for a in arrays])
    return pd.Series({"arrays": len(lengths), "min": int(lengths.min()),
                      "median": int(lengths.median()), "max": int(lengths.max())})
