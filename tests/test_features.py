import shutil
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf
from synthetic_audio import tone

from serlib import cache
from serlib.data import audio, corpora
from serlib.features import acoustic, extraction


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.wav"
    sf.write(path, tone(1.0, 22050, 180), 22050)
    return path


def test_frame_features_match_librosa(clip: Path):
    y, sr = audio.load_audio(clip, sr=22050)
    out = acoustic.frame_features(y, sr)
    kw = {"n_fft": 1024, "hop_length": 512}
    refs = {
        "mfcc": librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40, **kw),
        "mel": librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=128, **kw)),
        "chroma": librosa.feature.chroma_stft(y=y, sr=sr, **kw),
        "contrast": librosa.feature.spectral_contrast(y=y, sr=sr, **kw),
    }
    for name, ref in refs.items():
        assert out[name].shape == ref.shape, name
        np.testing.assert_allclose(out[name], ref, rtol=1e-3, atol=1e-3, err_msg=name)


def test_clip_statistics():
    frames = np.array([[1.0, 3.0, 2.0], [0.0, -2.0, 2.0]])
    stats = acoustic.clip_statistics(frames)
    np.testing.assert_allclose(stats, [2, 0, np.std([1, 3, 2]), np.std([0, -2, 2]), 3, 2, 1, -2,
                                       2, 4], rtol=1e-6)
    with pytest.raises(ValueError, match="accepted: mean, std"):
        acoustic.FrameParams(stats=("median",))


def test_clip_vector_groups(clip: Path):
    vec = acoustic.clip_vector(str(clip), {})
    assert {k: v.shape for k, v in vec.items()} == {
        "mfcc_mean": (40,), "mel_mean": (128,), "chroma_mean": (12,), "contrast_mean": (7,),
        "global": (5,)}


def test_extract_cache_hits_and_keys(tmp_path: Path, clip: Path):
    other = tmp_path / "copy.wav"
    shutil.copy(clip, other)
    store = tmp_path / "cache"
    files = [clip, other]
    first = extraction.extract(files, acoustic.clip_vector, {}, n_jobs=1, cache_dir=store,
                             progress=False)
    # the cache is keyed by content: the identical copy is served from the first file's entry
    assert (first.n_computed, first.n_cached) == (1, 1)
    second = extraction.extract(files, acoustic.clip_vector, {}, n_jobs=1, cache_dir=store,
                              progress=False)
    assert (second.n_computed, second.n_cached) == (0, 2)
    np.testing.assert_array_equal(first.values[0]["mfcc_mean"], second.values[0]["mfcc_mean"])
    # a parameter change recomputes ...
    changed = extraction.extract(files, acoustic.clip_vector, {"n_mfcc": 20}, n_jobs=1,
                               cache_dir=store, progress=False)
    assert changed.n_computed == 1 and changed.values[0]["mfcc_mean"].shape == (20,)
    # ... and so does a change of the audio itself
    sf.write(other, tone(1.0, 22050, 300), 22050)
    third = extraction.extract(files, acoustic.clip_vector, {}, n_jobs=1, cache_dir=store,
                             progress=False)
    assert (third.n_computed, third.n_cached) == (1, 1)


def test_extract_parallel_reports_failures(tmp_path: Path, clip: Path):
    bad = tmp_path / "bad.wav"
    bad.write_text("no audio here")
    run = extraction.extract([clip, bad], acoustic.clip_vector, {}, n_jobs=2,
                           cache_dir=tmp_path / "c", progress=False)
    assert run.values[0] is not None and run.values[1] is None
    assert run.failed["path"].tolist() == [str(bad)]
    assert "1 failed" in run.summary()


def test_cache_entry_is_atomic_and_readable(tmp_path: Path):
    entry = tmp_path / "a" / "b.npz"
    cache.save_entry(entry, {"x": np.arange(3)})
    assert cache.load_entry(entry)["x"].tolist() == [0, 1, 2]
    entry.write_bytes(b"garbage")
    assert cache.load_entry(entry) is None
    assert list(entry.parent.glob("*.tmp")) == []


def test_feature_table_and_groups(ravdess_dir: Path):
    corpus = corpora.load_ravdess(ravdess_dir)
    table, run = extraction.feature_table(corpus.table, n_jobs=1, use_cache=False, progress=False)
    assert len(table) == len(corpus.table) and run.failed.empty
    groups = extraction.feature_groups(table.columns)
    assert {g: len(c) for g, c in groups.items()} == {
        "mfcc": 40, "mel": 128, "chroma": 12, "contrast": 7, "global": 5}


def test_deep_model_inputs(tmp_path: Path):
    path = tmp_path / "long.wav"
    sf.write(path, tone(6.5, 16000, 200, silence=0.2), 16000)
    mels = acoustic.aesdd_segment_mels(str(path), {"sr": 16000})["mels"]
    assert mels.shape == (3, 128, 47)  # 6.9 s -> 3 segments of 3 s, hop 1024 at 16 kHz
    emo = acoustic.emocatcher_input_file(str(path), {})
    assert emo["logmel"].shape[0] == 64 and emo["vad"][0] < emo["vad"][1]


def test_speaker_standardize_uses_each_speakers_own_statistics():
    rng = np.random.default_rng(0)
    # speaker "a" is louder and wider than speaker "b"; clips have different lengths
    arrays = [rng.normal(10, 3, (4, 50)), rng.normal(10, 3, (4, 30)), rng.normal(-5, 0.5, (4, 40))]
    out = acoustic.speaker_standardize(arrays, ["a", "a", "b"])
    assert [o.shape for o in out] == [a.shape for a in arrays]
    assert all(o.dtype == np.float32 for o in out)
    speaker_a = np.concatenate(out[:2], axis=1)
    np.testing.assert_allclose(speaker_a.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(speaker_a.std(axis=1), 1, atol=1e-4)
    np.testing.assert_allclose(out[2].mean(axis=1), 0, atol=1e-5)
    # a clip alone is not standardised by itself: its speaker's other clip counts too
    assert not np.allclose(out[0].mean(axis=1), 0, atol=1e-3)
    with pytest.raises(ValueError, match="3 arrays but 2 speaker ids"):
        acoustic.speaker_standardize(arrays, ["a", "b"])
