"""Tests of serlib.data.demo: layouts and names, broken files, audio format, determinism, the marker
logic and, most important, that emotion is learnable across speakers."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from serlib.data import demo

SR = 16000
RAVDESS_NAME = re.compile(r"^Actor_(\d{2})/03-01-(0[1-8])-(0[12])-(0[12])-01-(\d{2})\.wav$")
AESDD_NAME = re.compile(r"^[adfhs]\d{2} \(\d{1,2}\)[ab]?\.wav$")
BROKEN = {f"aesdd/{demo.AESDD_EMPTY_FILE}", f"aesdd/{demo.AESDD_HEADER_ONLY_FILE}"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo corpus, generated once for the module."""
    root = tmp_path_factory.mktemp("demo")
    folders = demo.make_demo_corpus(root, progress=False)
    assert folders == {"ravdess": root / "ravdess", "aesdd": root / "aesdd"}
    return root


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _hashes(root: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((root / name).read_bytes()).hexdigest()
        for name in _files(root)
        if not name.startswith(".")
    }


def _speaker(aesdd_name: str) -> int:
    return int(re.search(r"\((\d+)\)", aesdd_name).group(1))


def test_ravdess_layout(corpus: Path) -> None:
    files = _files(corpus / "ravdess")
    assert len(files) == 24 * (2 * 1 + 7 * 2 * 2)
    per_actor: dict[int, int] = {}
    for name in files:
        match = RAVDESS_NAME.match(name)
        assert match, name
        folder_actor, emotion, intensity, _, actor = match.groups()
        assert folder_actor == actor
        assert emotion in demo.RAVDESS_EMOTIONS
        assert not (emotion == "01" and intensity == "02"), f"strong neutral: {name}"
        per_actor[int(actor)] = per_actor.get(int(actor), 0) + 1
    assert per_actor == {actor: 30 for actor in range(1, 25)}


def test_aesdd_layout(corpus: Path) -> None:
    files = _files(corpus / "aesdd")
    assert len(files) == 6 * 5 * 4 + 1 + len(BROKEN)
    for name in files:
        folder, file = name.split("/")
        assert AESDD_NAME.match(file), name
        assert demo.AESDD_EMOTIONS[file[0]] == folder
    assert {"sadness/s01 (5)a.wav", "sadness/s01 (5)b.wav"} <= set(files)
    assert "sadness/s01 (5).wav" not in files
    assert "happiness/h02 (01).wav" in files
    assert "happiness/h02 (1).wav" not in files
    assert {_speaker(name) for name in files} == set(range(1, 7))


def test_broken_files_are_unreadable(corpus: Path) -> None:
    empty = corpus / "aesdd" / demo.AESDD_EMPTY_FILE
    header_only = corpus / "aesdd" / demo.AESDD_HEADER_ONLY_FILE
    assert empty.stat().st_size == 0
    content = header_only.read_bytes()
    assert content[:4] == b"RIFF" and content[8:16] == b"WAVEfmt "
    assert b"data" not in content
    for path in (empty, header_only):
        with pytest.raises(RuntimeError):
            sf.info(str(path))


def test_audio_format_and_durations(corpus: Path) -> None:
    ranges = {"ravdess": (2.5, 3.5), "aesdd": (1.5, 4.5)}
    durations: dict[str, list[float]] = {"ravdess": [], "aesdd": []}
    for name in _files(corpus):
        if name.startswith(".") or name in BROKEN:
            continue
        info = sf.info(str(corpus / name))
        assert (info.format, info.subtype, info.channels, info.samplerate) == (
            "WAV",
            "PCM_16",
            1,
            SR,
        ), name
        corpus_name = name.split("/")[0]
        low, high = ranges[corpus_name]
        assert low <= info.duration <= high, (name, info.duration)
        durations[corpus_name].append(info.duration)
    aesdd = np.array(durations["aesdd"])
    assert aesdd.max() - aesdd.min() > 2.0  # variable lengths
    assert np.mean(aesdd > 3.0) > 0.1  # some need more than one 3 s segment


def test_speech_is_framed_by_quiet_noise(corpus: Path) -> None:
    for path in sorted((corpus / "ravdess" / "Actor_01").glob("*.wav"))[:5]:
        y, sr = sf.read(path)
        edges = np.concatenate([y[: int(0.25 * sr)], y[-int(0.25 * sr) :]])
        middle = y[len(y) // 2 - sr // 4 : len(y) // 2 + sr // 4]
        assert np.count_nonzero(edges) > 0.5 * edges.size  # not digital silence
        assert np.std(edges) < 0.05 * np.std(middle)  # at least 26 dB below the speech


def test_second_call_is_a_noop(corpus: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in corpus.rglob("*")}
    start = time.perf_counter()
    demo.make_demo_corpus(corpus, progress=False)
    assert time.perf_counter() - start < 1.0
    assert {p: p.stat().st_mtime_ns for p in corpus.rglob("*")} == before


def test_generation_is_byte_identical(corpus: Path, tmp_path: Path) -> None:
    # One statement only, to save time: every file is seeded from its own name, so the files that
    # both generations write must be identical anyway.
    demo.make_demo_corpus(tmp_path, progress=False, ravdess_statements=1)
    reference, again = _hashes(corpus), _hashes(tmp_path)
    assert sum(name.startswith("ravdess/") for name in again) == 24 * 15
    assert sum(name.startswith("aesdd/") for name in again) == 123
    assert {name: reference[name] for name in again} == again


def test_file_seeds_are_stable_across_processes() -> None:
    # A golden value: Python's salted hash() would change it from one interpreter to the next.
    name = "ravdess/Actor_01/03-01-01-01-01-01-01.wav"
    assert demo._rng(0, name).integers(2**31) == 421201750
    assert demo._rng(1, name).integers(2**31) != 421201750


def test_synthesis_is_seeded_and_profiles_matter() -> None:
    speaker = demo.draw_speaker("female", np.random.default_rng(1))
    angry, sad = demo.EMOTION_PROFILES["angry"], demo.EMOTION_PROFILES["sad"]

    def render(profile: demo.EmotionProfile, seed: int) -> np.ndarray:
        return demo.synthesize_utterance(profile, speaker, np.random.default_rng(seed), SR)

    np.testing.assert_array_equal(render(angry, 0), render(angry, 0))
    assert not np.array_equal(render(angry, 0), render(angry, 1))
    assert np.abs(render(angry, 0)).max() <= 0.95
    loud, quiet = render(angry, 0), render(sad, 0)
    assert np.sqrt(np.mean(loud**2)) > 2 * np.sqrt(np.mean(quiet**2))


def test_intensified_exaggerates_relative_to_neutral() -> None:
    neutral, happy = demo.EMOTION_PROFILES["neutral"], demo.EMOTION_PROFILES["happy"]
    assert neutral.intensified(1.5) == neutral
    assert happy.intensified(1.0) == happy
    strong = happy.intensified(2.0)
    assert strong.f0_shift_st == pytest.approx(2 * happy.f0_shift_st)
    assert strong.syllable_rate - neutral.syllable_rate == pytest.approx(
        2 * (happy.syllable_rate - neutral.syllable_rate)
    )


def test_draw_speaker_genders() -> None:
    rng = np.random.default_rng(0)
    male, female = demo.draw_speaker("male", rng), demo.draw_speaker("female", rng)
    assert 100 <= male.f0_base_hz <= 140 < 180 <= female.f0_base_hz <= 240
    with pytest.raises(ValueError):
        demo.draw_speaker("child", rng)


def test_marker_logic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []

    def fake_render(job: demo._Job, root: Path, seed: int, sample_rate: int) -> None:
        path = root / job.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        rendered.append(job.relpath)

    monkeypatch.setattr(demo, "_render", fake_render)

    def generations(**kwargs: object) -> int:
        before = len(rendered)
        demo.make_demo_corpus(tmp_path, progress=False, **kwargs)
        return int(len(rendered) > before)

    assert generations() == 1
    assert generations() == 0
    assert generations(seed=1) == 1  # other arguments: regenerate
    assert generations(seed=1, overwrite=True) == 1
    (tmp_path / "ravdess" / "Actor_03" / "03-01-01-01-01-01-03.wav").unlink()
    assert generations(seed=1) == 1  # a file is missing: regenerate
    assert generations(seed=1) == 0
    assert (tmp_path / demo.MARKER_NAME).is_file()


def test_folders_without_marker_are_not_replaced(tmp_path: Path) -> None:
    real = tmp_path / "ravdess" / "Actor_01" / "03-01-01-01-01-01-01.wav"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"real data")
    with pytest.raises(FileExistsError):
        demo.make_demo_corpus(tmp_path, progress=False)
    assert real.read_bytes() == b"real data"


def _mfcc_features(path: Path) -> np.ndarray:
    """Means and standard deviations of 20 MFCCs (a simple, speaker-independent-ish baseline)."""
    y, sr = sf.read(path, dtype="float32")
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20, n_fft=512, hop_length=256)
    return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)])


def _held_out_accuracy(
    paths: list[Path], labels: list[str], speakers: list[int], train_speakers: set[int]
) -> float:
    features = np.array([_mfcc_features(p) for p in paths])
    labels_arr = np.array(labels)
    train = np.isin(speakers, list(train_speakers))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(features[train], labels_arr[train])
    return model.score(features[~train], labels_arr[~train])


def test_ravdess_emotion_generalises_to_held_out_actors(corpus: Path) -> None:
    # Statement 01 only (360 files) to keep the test fast.
    paths = sorted((corpus / "ravdess").rglob("03-01-??-??-01-01-??.wav"))
    fields = [p.stem.split("-") for p in paths]
    accuracy = _held_out_accuracy(
        paths, [f[2] for f in fields], [int(f[6]) for f in fields], set(range(1, 19))
    )
    assert 0.5 < accuracy < 0.99  # chance: 1/8; perfectly separable would be too easy


def test_aesdd_emotion_generalises_to_held_out_speakers(corpus: Path) -> None:
    names = [n for n in _files(corpus / "aesdd") if f"aesdd/{n}" not in BROKEN]
    paths = [corpus / "aesdd" / n for n in names]
    speakers = [_speaker(n) for n in names]
    accuracy = _held_out_accuracy(paths, [n.split("/")[0] for n in names], speakers, {1, 2, 3, 4})
    assert accuracy > 0.5  # chance: 1/5
