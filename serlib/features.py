"""Features: frame-level MFCC, log-mel, spectral contrast and chroma; per-clip statistics; and
a parallel, cached extractor that runs any per-file feature function over a corpus table.

Conventions: frame features have shape ``(n_features, n_frames)``; clip vectors are flat; a
feature table has one row per recording and columns ``<group>_<stat>_<index>``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from serlib import audio, cache, paths

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
    ``sr`` (Hz), ``speed`` (a speed-perturbed copy, :func:`serlib.audio.speed_perturb`; 1 = the
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


@dataclass
class Extraction:
    """What :func:`extract` returns: ``values[i]`` belongs to ``paths[i]`` (``None`` where the
    file failed; ``failed`` says why), with counts and the wall time in seconds."""

    paths: list[str]
    values: list[dict[str, np.ndarray] | None]
    failed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["path", "reason"]))
    n_cached: int = 0
    n_computed: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """What was extracted: files and failures (the same on every run, so a notebook that
        prints it re-runs to identical outputs)."""
        return f"{len(self.paths)} files, {len(self.failed)} failed"

    def cache_summary(self) -> str:
        """How this call went: computed, read from the cache, failed, wall time (changes with
        the cache's state and the machine)."""
        return (f"{len(self.paths)} files: {self.n_computed} computed, {self.n_cached} from "
                f"cache, {len(self.failed)} failed, {self.seconds:.1f} s")


def _run_one(func: Callable, path: str, params: dict, cache_dir: Path | None,
             key: cache.FunctionKey | None = None):
    """Worker: (value, from_cache, error message). ``key``: ``func``'s cache identity (name
    and source hash, computed once by the caller)."""
    entry = None
    try:
        if cache_dir is not None:
            entry = cache.entry_path(cache_dir, key or cache.function_key(func), params, path)
            hit = cache.load_entry(entry)
            if hit is not None:
                return hit, True, None
        value = func(path, params)
        if entry is not None:
            cache.save_entry(entry, value)
        return value, False, None
    except Exception as err:  # a bad file must not stop the run: report it
        return None, False, f"{type(err).__name__}: {err}"


def extract(
    files: Sequence[str | Path],
    func: Callable[[str, dict], dict[str, np.ndarray]],
    params: dict | None = None,
    *,
    n_jobs: int = -1,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    progress: bool = True,
    desc: str | None = None,
) -> Extraction:
    """Run a per-file feature function over many files in parallel, with a progress bar and
    an on-disk cache keyed by file content, ``params`` and ``func`` (its qualified name and a
    hash of its source: an edited function recomputes).

    Args:
        files: audio paths.
        func: a module-level function ``func(path, params) -> dict of arrays`` (e.g.
            :func:`clip_vector`, :func:`emocatcher_input_file`, :func:`aesdd_segment_mels`).
        params: JSON-serialisable parameters passed to ``func`` and hashed into the cache key.
        n_jobs: worker processes (joblib; -1 = all cores, 1 = in this process).
        use_cache: read and write the cache at ``cache_dir`` (default :func:`paths.cache_dir`).
        progress: show a tqdm bar.

    A file whose function raises is reported in ``failed`` and gets ``None``; the run goes on.

    Used in: notebooks/02_features.ipynb and the notebooks that load its features.
    """
    params = dict(params or {})
    files = [str(f) for f in files]
    where = (Path(cache_dir) if cache_dir else paths.cache_dir()) if use_cache else None
    start = time.perf_counter()
    key = cache.function_key(func) if where is not None else None
    jobs = (delayed(_run_one)(func, f, params, where, key) for f in files)
    if n_jobs == 1:
        results = (job[0](*job[1], **job[2]) for job in jobs)
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    out = Extraction(paths=files, values=[])
    failed = []
    bar = tqdm(results, total=len(files), desc=desc or func.__name__, disable=not progress,
               unit="file", mininterval=5.0)  # few refreshes: notebooks store every one
    for path, (value, cached, error) in zip(files, bar, strict=True):
        out.values.append(value)
        if error:
            failed.append({"path": path, "reason": error})
        elif cached:
            out.n_cached += 1
        else:
            out.n_computed += 1
    out.failed = pd.DataFrame(failed, columns=["path", "reason"])
    out.seconds = time.perf_counter() - start
    return out


def feature_table(
    table: pd.DataFrame,
    params: FrameParams = FrameParams(),
    *,
    n_jobs: int = -1,
    use_cache: bool = True,
    progress: bool = True,
) -> tuple[pd.DataFrame, Extraction]:
    """Seed 001's clip features for every recording of a corpus table.

    Returns ``(features, extraction)``: ``features`` has the corpus table's index and
    columns ``<group>_<stat>_<i>`` (``global_stats_0..4`` for the raw-signal statistics); rows
    of files that failed are dropped and listed in ``extraction.failed``.

    Used in: notebooks/02_features.ipynb.
    """
    run = extract(table["path"].tolist(), clip_vector, asdict(params), n_jobs=n_jobs,
                  use_cache=use_cache, progress=progress, desc="clip features")
    rows, index = [], []
    for idx, value in zip(table.index, run.values, strict=True):
        if value is None:
            continue
        row = {}
        for key, vec in value.items():
            prefix = "global_stats" if key == "global" else key
            row.update({f"{prefix}_{i}": float(v) for i, v in enumerate(vec)})
        rows.append(row)
        index.append(idx)
    return pd.DataFrame(rows, index=index), run


def feature_groups(columns: Sequence[str]) -> dict[str, list[str]]:
    """Group feature-table columns by their first name part (``mfcc``, ``mel``, ``chroma``,
    ``contrast``, ``global``, ...), in column order.

    Used in: notebooks/03_backward_selection.ipynb.
    """
    groups: dict[str, list[str]] = {}
    for col in columns:
        groups.setdefault(col.split("_", 1)[0], []).append(col)
    return groups


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


META_COLUMNS = ("id", "path", "file", "corpus", "emotion", "speaker", "gender", "actor",
                "intensity", "statement", "repetition", "utterance", "take", "utterance_id",
                "recording_id", "duration")


def table_path(name: str, folder: Path) -> Path:
    """Where the clip-feature table of corpus ``name`` is saved inside an artifacts folder."""
    return Path(folder) / "features" / f"{name}_clip_features.parquet"


def save_table(corpus_table: pd.DataFrame, feats: pd.DataFrame, name: str, folder: Path) -> Path:
    """Save the recordings' metadata joined with their clip features as Parquet, for the
    later notebooks. Returns the file's path.

    Used in: notebooks/02_features.ipynb.
    """
    meta = corpus_table[[c for c in META_COLUMNS if c in corpus_table.columns]]
    target = table_path(name, folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    meta.join(feats, how="inner").reset_index(drop=True).to_parquet(target)
    return target


def load_table(name: str, folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load what :func:`save_table` wrote: ``(meta, X)``, the metadata columns and the feature
    matrix (columns ``<group>_<stat>_<i>``). Raises ``FileNotFoundError`` saying which notebook
    writes it.

    Used in: notebooks/03_backward_selection.ipynb and later.
    """
    target = table_path(name, folder)
    if not target.is_file():
        raise FileNotFoundError(f"No feature table at {target}: run notebooks/02_features.ipynb "
                                f"first (python -m serlib run --only 02).")
    table = pd.read_parquet(target)
    meta_cols = [c for c in table.columns if c in META_COLUMNS]
    return table[meta_cols], table.drop(columns=meta_cols)


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
