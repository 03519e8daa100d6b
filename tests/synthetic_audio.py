"""Test helpers: synthetic signals, broken audio files, and the real-data switch.

A module of its own (not conftest.py) so that tests import it by a unique name: the notebooks
folder has a conftest.py too."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from serlib import paths
from serlib.app import notebook


def tone(seconds: float = 1.0, sr: int = 16000, freq: float = 220.0, channels: int = 1,
         silence: float = 0.3) -> np.ndarray:
    """A harmonic tone with quiet noise before and after (``silence`` s on each side)."""
    rng = np.random.default_rng(int(freq))
    t = np.arange(int(seconds * sr)) / sr
    voiced = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, 6)) * 0.3
    pad = rng.normal(0, 1e-3, int(silence * sr))
    y = np.concatenate([pad, voiced * np.hanning(len(t)) ** 0.2, pad]).astype(np.float32)
    return np.stack([y] * channels, axis=1) if channels > 1 else y


def write_header_only_wav(path: Path, sr: int = 16000) -> None:
    """A RIFF/WAVE file with a fmt chunk and no data chunk (as in the real AESDD download)."""
    fmt = struct.pack("<HHIIHH", 1, 1, sr, sr * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def write_truncated_wav(path: Path, sr: int = 16000) -> None:
    """A WAV whose header declares more samples than the file holds."""
    sf.write(path, tone(1.0, sr), sr, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def real_data_root() -> Path | None:
    """The real corpora's root when ``SERLIB_DATA`` points at both, else ``None``."""
    if not os.environ.get(paths.DATA_ENV):
        return None
    root = paths.data_root()
    return root if notebook.real_corpora_present(root) else None


requires_real_data = pytest.mark.skipif(
    real_data_root() is None,
    reason="real corpora not found: set SERLIB_DATA to a folder with ravdess/ and aesdd/",
)
