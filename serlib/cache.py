"""A small on-disk cache for per-file results, keyed by the file's content and the parameters.

Each entry is an ``.npz`` file at ``<cache dir>/<function>/<parameter hash>/<content hash>.npz``.
Changing the audio (its bytes) or any parameter gives another key, so the value is recomputed;
renaming or moving a file keeps its entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

#: Bump when the code behind a cached value changes its output (invalidates every entry).
CACHE_VERSION = 1


def hash_file(path: Path | str, algorithm: str = "sha256", chunk_size: int = 1 << 20) -> str:
    """Hex digest of a file's bytes with ``algorithm`` (any name ``hashlib.new`` takes), read in
    chunks of ``chunk_size`` bytes.

    Used in: the feature cache's keys, the downloader's checksum.
    """
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(path: Path | str, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex, first 32 characters): the cache key of its content."""
    return hash_file(path, "sha256", chunk_size)[:32]


def params_digest(name: str, params: dict) -> str:
    """Stable hash of a function name and its JSON-serialisable parameters (hex, 16 chars)."""
    text = json.dumps({"name": name, "params": params, "version": CACHE_VERSION},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def entry_path(cache_dir: Path, name: str, params: dict, path: Path | str) -> Path:
    """Where the cached value of ``name(path, **params)`` lives."""
    return Path(cache_dir) / name / params_digest(name, params) / f"{file_digest(path)}.npz"


def load_entry(entry: Path) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``entry``, or ``None`` if it is missing or unreadable."""
    try:
        with np.load(entry, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError):
        return None


def save_entry(entry: Path, arrays: dict[str, np.ndarray]) -> None:
    """Store ``arrays`` at ``entry`` atomically (write to a temporary file, then rename), so
    parallel workers and interrupted runs never leave a half-written entry."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)
        os.replace(tmp, entry)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
