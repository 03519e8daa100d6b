"""A parallel, cached extractor that runs any per-file feature function over a corpus table (cache
keys: the file's content, the parameters, and the function's qualified name and source hash),
and the per-recording feature tables built with it (one row per recording, columns
``<group>_<stat>_<index>``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from serlib import cache, paths
from serlib.features.acoustic import FrameParams, clip_vector


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
