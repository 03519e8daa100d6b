"""A small on-disk cache for per-file results, keyed by the file's content, the parameters and
the computing function (its qualified name and a hash of its source code).

Each entry is an ``.npz`` file at ``<cache dir>/<function>/<key hash>/<content hash>.npz``, where
``<function>`` is the function's ``module.qualname`` and ``<key hash>`` hashes the parameters and
the function's source. Changing the audio (its bytes), any parameter or the function's code gives
another key, so the value is recomputed; renaming or moving a file keeps its entry. Functions the
computing function calls are not hashed: bump :data:`CACHE_VERSION` when one of them changes.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import marshal
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FunctionKey:
    """What identifies a computing function in the cache: its ``module.qualname`` and the
    SHA-256 of its source code (hex, 16 chars)."""

    name: str
    code: str

    @property
    def folder(self) -> str:
        """The name as a folder name (characters other than letters, digits, ``._-`` become
        ``_``, e.g. in ``<locals>``)."""
        return re.sub(r"[^A-Za-z0-9._-]", "_", self.name)


def source_digest(func: Callable) -> str:
    """SHA-256 (hex, 16 chars) of ``func``'s source (``inspect.getsource``); where the source
    cannot be read, of its compiled code."""
    try:
        text = inspect.getsource(func).encode()
    except (OSError, TypeError):
        code = getattr(func, "__code__", None)
        text = marshal.dumps(code) if code is not None else repr(func).encode()
    return hashlib.sha256(text).hexdigest()[:16]


def function_key(func: Callable) -> FunctionKey:
    """The cache identity of ``func``: qualified name and source hash."""
    name = f"{getattr(func, '__module__', None) or '?'}.{getattr(func, '__qualname__', repr(func))}"
    return FunctionKey(name=name, code=source_digest(func))


def params_digest(name: str, params: dict, code: str = "") -> str:
    """Stable hash of a function name, its source hash ``code`` and its JSON-serialisable
    parameters (hex, 16 chars)."""
    text = json.dumps({"name": name, "code": code, "params": params, "version": CACHE_VERSION},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def entry_path(cache_dir: Path, func: str | Callable | FunctionKey, params: dict,
               path: Path | str) -> Path:
    """Where the cached value of ``func(path, params)`` lives; ``func`` is the function, its
    :class:`FunctionKey`, or a bare name (no code hash)."""
    if isinstance(func, str):
        key = FunctionKey(name=func, code="")
    else:
        key = func if isinstance(func, FunctionKey) else function_key(func)
    digest = params_digest(key.name, params, key.code)
    return Path(cache_dir) / key.folder / digest / f"{file_digest(path)}.npz"


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
