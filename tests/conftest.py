"""Shared fixtures: small generated corpora, broken files included."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from synthetic_audio import tone, write_header_only_wav, write_truncated_wav


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
