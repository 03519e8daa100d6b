"""Shared fixtures: small generated corpora, broken files included, and the real-data switch."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from serlib import notebook, paths


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


@pytest.fixture
def ravdess_dir(tmp_path: Path) -> Path:
    """A tiny RAVDESS layout: 2 actors x a few emotions, one stereo 48 kHz FLAC, and bad files."""
    root = tmp_path / "ravdess"
    for actor in (1, 2):
        folder = root / f"Actor_{actor:02d}"
        folder.mkdir(parents=True)
        for emo, inten in (("01", "01"), ("02", "01"), ("05", "02")):
            name = f"03-01-{emo}-{inten}-01-01-{actor:02d}.wav"
            sf.write(folder / name, tone(1.0, 16000, 150 + 40 * int(emo)), 16000)
    sf.write(root / "Actor_01" / "03-01-04-02-02-02-01.flac", tone(1.0, 48000, 200, 2), 48000)
    (root / "Actor_02" / "03-01-03-01-01-01-02.wav").write_bytes(b"")  # empty
    write_header_only_wav(root / "Actor_02" / "03-01-03-01-02-01-02.wav")
    write_truncated_wav(root / "Actor_02" / "03-01-03-02-01-01-02.wav")
    (root / "Actor_02" / "03-01-06-01-01-01-02.wav").write_text("not audio at all")
    sf.write(root / "Actor_02" / "03-01-09-01-01-01-02.wav", tone(), 16000)  # emotion 09
    sf.write(root / "Actor_02" / "recording.wav", tone(), 16000)  # unknown name
    (root / "Actor_02" / "notes.txt").write_text("ignored: not an audio extension")
    return root


@pytest.fixture
def aesdd_dir(tmp_path: Path) -> Path:
    """A tiny AESDD layout with takes a/b, a (01) speaker, a misfiled and an empty file."""
    root = tmp_path / "aesdd"
    names = {
        "anger": ["a01 (1).wav", "a02 (01).wav", "a03 (2).wav"],
        "sadness": ["s01 (5)a.wav", "s01 (5)b.wav", "s02 (3).wav"],
        "fear": ["f01 (4).wav"],
    }
    for folder, files in names.items():
        (root / folder).mkdir(parents=True)
        for i, name in enumerate(files):
            sf.write(root / folder / name, tone(1.0 + i, 16000, 180 + 30 * i), 16000)
    (root / "sadness" / "s05 (3).wav").write_bytes(b"")
    sf.write(root / "fear" / "h01 (1).wav", tone(), 16000)  # happiness letter in fear/
    sf.write(root / "fear" / "x01 (1).wav", tone(), 16000)  # unknown emotion letter
    return root


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
