from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from synthetic_audio import tone

from serlib.features import egemaps, extraction

pytest.importorskip("opensmile")


@pytest.fixture
def clips(tmp_path: Path) -> list[Path]:
    out = []
    for i, freq in enumerate((140, 260)):
        path = tmp_path / f"clip{i}.wav"
        sf.write(path, tone(1.5, 16000, freq), 16000)
        out.append(path)
    return out


def test_egemaps_vector_of_a_tone(clips):
    vec = egemaps.egemaps_file(str(clips[0]), {})["egemaps"]
    assert vec.shape == (egemaps.N_FUNCTIONALS,) == (88,)
    assert np.isfinite(vec).all()
    names = egemaps.feature_names()
    assert len(names) == 88 and names[0].startswith("F0semitone")
    # the mean pitch (semitones from 27.5 Hz) follows the tone: 140 Hz is about 28 semitones
    other = egemaps.egemaps_file(str(clips[1]), {})["egemaps"]
    assert vec[0] == pytest.approx(12 * np.log2(140 / 27.5), abs=1.5)
    assert other[0] > vec[0] + 8


def test_egemaps_table_cached_and_failures(tmp_path: Path, clips, monkeypatch):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    table = pd.DataFrame({"path": [str(c) for c in clips] + [str(bad)]}, index=[10, 11, 12])
    kw = {"n_jobs": 1, "progress": False}
    monkeypatch.setattr("serlib.paths.cache_dir", lambda: tmp_path / "cache")
    frame, run = egemaps.egemaps_table(table, **kw)
    again, run2 = egemaps.egemaps_table(table, **kw)
    assert list(frame.index) == [10, 11] and len(run.failed) == 1
    assert (run.n_computed, run2.n_cached) == (2, 2)
    assert extraction.feature_groups(frame.columns) == {"egemaps": list(frame.columns)}
    np.testing.assert_array_equal(frame.to_numpy(), again.to_numpy())


def test_with_egemaps_appends_group(clips, monkeypatch, tmp_path):
    monkeypatch.setattr("serlib.paths.cache_dir", lambda: tmp_path / "c")
    meta = pd.DataFrame({"path": [str(c) for c in clips], "emotion": ["a", "b"]})
    X = pd.DataFrame({"mfcc_mean_0": [1.0, 2.0]})
    meta2, X2, _ = egemaps.with_egemaps(meta, X, n_jobs=1, progress=False)
    assert X2.shape == (2, 89) and list(extraction.feature_groups(X2.columns)) == ["mfcc",
                                                                                   "egemaps"]
    assert meta2.equals(meta)
