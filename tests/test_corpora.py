from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf
from synthetic_audio import requires_real_data, tone

from serlib import paths
from serlib.data import corpora


def test_ravdess_fields_and_skips(ravdess_dir: Path):
    corpus = corpora.load_ravdess(ravdess_dir)
    table = corpus.table
    assert len(table) == 7  # 6 mono WAVs + 1 stereo FLAC
    row = table[table["file"] == "03-01-05-02-01-01-02.wav"].iloc[0]
    assert (row.emotion, row.intensity, row.statement, row.repetition) == ("angry", "strong", 1, 1)
    assert (row.actor, row.speaker, row.gender) == (2, "02", "female")
    assert (row.modality, row.channel) == ("audio-only", "speech")
    flac = table[table["file"].str.endswith(".flac")].iloc[0]
    assert (flac.sample_rate, flac.channels, flac.gender) == (48000, 2, "male")
    assert flac.duration == pytest.approx(1.6, abs=0.01)
    reasons = dict(zip(corpus.skipped["path"].map(lambda p: Path(p).name),
                       corpus.skipped["reason"], strict=True))
    assert set(reasons) == {
        "03-01-03-01-01-01-02.wav", "03-01-03-01-02-01-02.wav", "03-01-03-02-01-01-02.wav",
        "03-01-06-01-01-01-02.wav", "03-01-09-01-01-01-02.wav", "recording.wav"}
    assert "empty" in reasons["03-01-03-01-01-01-02.wav"]
    assert "no audio samples" in reasons["03-01-03-01-02-01-02.wav"] or "not readable" in \
        reasons["03-01-03-01-02-01-02.wav"]
    assert "truncated" in reasons["03-01-03-02-01-01-02.wav"]
    assert "not readable" in reasons["03-01-06-01-01-01-02.wav"]
    assert "emotion code '09'" in reasons["03-01-09-01-01-01-02.wav"]
    assert "not a RAVDESS name" in reasons["recording.wav"]
    assert corpus.emotions[:3] == ["neutral", "calm", "happy"]


def test_parse_ravdess_rejects_bad_fields():
    with pytest.raises(ValueError, match="intensity"):
        corpora.parse_ravdess_name("03-01-05-03-01-01-02")
    with pytest.raises(ValueError, match="actor"):
        corpora.parse_ravdess_name("03-01-05-01-01-01-25")


def test_aesdd_takes_speakers_and_skips(aesdd_dir: Path):
    corpus = corpora.load_aesdd(aesdd_dir)
    table = corpus.table.set_index("file")
    assert len(table) == 7
    assert table.loc["a02 (01).wav", "speaker"] == "01"
    assert table.loc["s01 (5)a.wav", "take"] == "a"
    assert table.loc["s01 (5)a.wav", "utterance_id"] == table.loc["s01 (5)b.wav", "utterance_id"]
    assert table.loc["s01 (5)a.wav", "recording_id"] != table.loc["s01 (5)b.wav", "recording_id"]
    assert table.loc["a03 (2).wav", "emotion"] == "anger"
    reasons = {Path(p).name: r for p, r in corpus.skipped[["path", "reason"]].to_numpy()}
    assert set(reasons) == {"s05 (3).wav", "h01 (1).wav", "x01 (1).wav"}
    assert "empty" in reasons["s05 (3).wav"]
    assert "fear/" in reasons["h01 (1).wav"]
    assert "unknown emotion code 'x'" in reasons["x01 (1).wav"]


def test_manifest(tmp_path: Path):
    (tmp_path / "clips").mkdir()
    for name in ("a.wav", "b.flac"):
        sf.write(tmp_path / "clips" / name, tone(), 16000)
    pd.DataFrame({
        "path": ["clips/a.wav", "clips/b.flac", "clips/missing.wav", "clips/a.wav"],
        "emotion": ["joy", "anger", "joy", ""],
        "speaker": ["s1", "s2", "s1", "s3"],
        "session": ["x", "y", "x", "z"],
    }).to_csv(tmp_path / "manifest.csv", index=False)
    corpus = corpora.load_corpus("manifest", tmp_path)
    assert corpus.table["emotion"].tolist() == ["happy", "angry"]
    assert corpus.table["emotion_label"].tolist() == ["joy", "anger"]
    assert corpus.table["session"].tolist() == ["x", "y"]
    assert corpus.emotions == ["happy", "angry"]  # the vocabulary's order
    assert sorted(corpus.skipped["reason"]) == ["empty emotion in manifest",
                                                "file listed in manifest not found"]
    assert corpus.name == tmp_path.name and corpus.kind == "manifest"
    assert corpus.table["id"].tolist() == ["clips/a", "clips/b"]


@pytest.mark.parametrize("label, emotion", [
    ("angry", "angry"), ("ANGRY ", "angry"), ("  Anger", "angry"), ("ang", "angry"),
    ("Happiness", "happy"), ("joy", "happy"), ("JOYFUL", "happy"), ("sadness", "sad"),
    ("fear", "fearful"), ("Scared", "fearful"), ("afraid", "fearful"), ("disgusted", "disgust"),
    ("surprise", "surprised"), ("Pleasant  surprise", "surprised"),
    ("pleasant_surprise", "surprised"), ("bored", "boredom"), ("neu", "neutral"),
    ("fear ful", "fearful"), ("Ärger", "angry"), ("Langeweile", "boredom"), ("calm", "calm"),
    ("xyzzy", None), ("", None), ("s", None), ("frustrated", None), ("angry sad", None),
])
def test_normalize_emotion(label: str, emotion: str | None):
    assert corpora.normalize_emotion(label) == emotion


def test_vocabulary_covers_the_loaders_labels():
    vocabulary = set(corpora.EMOTION_VOCABULARY)
    assert set(corpora.RAVDESS_EMOTIONS.values()) | set(corpora.EMODB_EMOTIONS.values()) == \
        vocabulary
    assert {corpora.normalize_emotion(e) for e in corpora.AESDD_EMOTIONS.values()} == \
        {"angry", "disgust", "fearful", "happy", "sad"}
    assert all(corpora.normalize_emotion(e) == e for e in vocabulary)


def _manifest_corpus(root: Path, rows: list[tuple[str, str, str]], name: str = "manifest.csv"
                     ) -> Path:
    for path, _, _ in rows:
        file = Path(path) if Path(path).is_absolute() else root / path.replace("\\", "/")
        if not file.exists() and "missing" not in path:
            file.parent.mkdir(parents=True, exist_ok=True)
            sf.write(file, tone(0.5), 16000)
    frame = pd.DataFrame(rows, columns=["path", "emotion", "speaker"])
    frame.to_csv(root / name, index=False)
    return root / name


def test_manifest_unknown_labels_are_skipped_and_named(tmp_path: Path):
    root = tmp_path / "mycorpus"
    _manifest_corpus(root, [("a.wav", "ANGRY ", "s1"), ("b.wav", " Happy", "s1"),
                            ("c.wav", "xyzzy", "s2"), ("d.wav", "XYZZY", "s2"),
                            ("e.wav", "frustrated", "s3"), ("f.wav", "anger", "s3")])
    corpus = corpora.load_corpus("manifest", root)
    assert corpus.emotions == ["happy", "angry"]
    assert corpus.table["emotion"].tolist() == ["angry", "happy", "angry"]
    skipped = corpus.skipped.set_index(corpus.skipped["path"].map(lambda p: Path(p).name))
    assert sorted(skipped.index) == ["c.wav", "d.wav", "e.wav"]
    assert "unknown emotion label 'xyzzy'" in skipped.loc["c.wav", "reason"]
    assert "unknown emotion label 'XYZZY'" in skipped.loc["d.wav", "reason"]
    assert skipped["label"].tolist() == ["xyzzy", "xyzzy", "frustrated"]


def test_manifest_corpus_is_named_after_its_folder(tmp_path: Path):
    root = tmp_path / "mycorpus"
    _manifest_corpus(root, [("a.wav", "sad", "s1")], name="labels.csv")
    for corpus in (corpora.load_manifest(root / "labels.csv"),
                   corpora.load_corpus("manifest", root / "labels.csv")):
        assert corpus.name == "mycorpus" and corpus.table["corpus"].tolist() == ["mycorpus"]
    assert corpora.load_manifest(root / "labels.csv", name="other").name == "other"
    (root / "labels.csv").rename(root / "manifest.csv")
    assert corpora.load_corpus("manifest", root).summary().startswith("mycorpus: 1 recordings")


def test_manifest_id_column(tmp_path: Path):
    root = tmp_path / "mycorpus"
    rows = [("spk1/take1.wav", "sad", "1"), ("./spk1/take2.flac", "sad", "1"),
            ("spk2\\x.y.wav", "happy", "2"), (str(root / "spk3" / "z.wav"), "happy", "3"),
            ("spk1/../spk1/take1.wav", "angry", "1"), ("missing.wav", "sad", "4")]
    _manifest_corpus(root, rows)
    corpus = corpora.load_corpus("manifest", root)
    table = corpus.table
    assert table.columns[-1] == "id" and table["id"].is_unique
    assert table["id"].tolist() == ["spk1/take1", "spk1/take2", "spk2/x.y", "spk3/z"]
    expected = [Path(p).relative_to(root).with_suffix("").as_posix() for p in table["path"]]
    assert table["id"].tolist() == expected
    reasons = sorted(corpus.skipped["reason"])
    assert reasons[0] == "file listed in manifest not found"
    assert reasons[1] == "listed again in manifest (line 6; first on line 2)"


def test_manifest_missing_columns(tmp_path: Path):
    (tmp_path / "m.csv").write_text("file,label\nx.wav,joy\n")
    with pytest.raises(ValueError, match="lacks column.*emotion, path, speaker"):
        corpora.load_manifest(tmp_path / "m.csv")


def test_missing_corpus_says_where_and_how(tmp_path: Path):
    with pytest.raises(corpora.CorpusNotFoundError) as err:
        corpora.load_ravdess(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(err.value)
    assert "python -m serlib download ravdess" in str(err.value)


def test_unknown_corpus_name_lists_accepted():
    with pytest.raises(ValueError, match="accepted: ravdess, aesdd, manifest"):
        corpora.load_corpus("iemocap")


def test_detect_corpus(ravdess_dir: Path, aesdd_dir: Path, tmp_path: Path):
    assert corpora.detect_corpus(ravdess_dir) == "ravdess"
    assert corpora.detect_corpus(aesdd_dir) == "aesdd"
    (tmp_path / "other").mkdir()
    sf.write(tmp_path / "other" / "hello.wav", tone(), 16000)
    with pytest.raises(ValueError, match="manifest"):
        corpora.detect_corpus(tmp_path / "other")


def test_data_root_from_env(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path))
    assert paths.data_root() == tmp_path
    monkeypatch.delenv(paths.DATA_ENV)
    assert paths.data_root() == paths.project_root() / "data"


@requires_real_data
def test_real_corpora_counts():
    ravdess = corpora.load_ravdess()
    assert len(ravdess) == 1440 and ravdess.skipped.empty
    assert ravdess.table["speaker"].nunique() == 24
    counts = ravdess.table["emotion"].value_counts()
    assert counts["neutral"] == 96 and (counts.drop("neutral") == 192).all()
    assert (ravdess.table.groupby("speaker").size() == 60).all()
    aesdd = corpora.load_aesdd()
    assert len(aesdd) == 602
    assert aesdd.table["speaker"].nunique() == 6
    assert aesdd.table["emotion"].value_counts().to_dict() == {
        "anger": 120, "disgust": 122, "fear": 120, "happiness": 119, "sadness": 121}


def test_id_column_is_relative_path_without_extension(ravdess_dir: Path, aesdd_dir: Path):
    for corpus in (corpora.load_ravdess(ravdess_dir), corpora.load_aesdd(aesdd_dir)):
        table = corpus.table
        assert table.columns[-1] == "id" and table["id"].is_unique
        expected = [Path(p).relative_to(corpus.root).with_suffix("").as_posix()
                    for p in table["path"]]
        assert table["id"].tolist() == expected
    ids = set(corpora.load_ravdess(ravdess_dir).table["id"])
    assert {"Actor_02/03-01-05-02-01-01-02", "Actor_01/03-01-04-02-02-02-01"} <= ids  # wav, flac
    ids = set(corpora.load_aesdd(aesdd_dir).table["id"])
    assert {"sadness/s01 (5)a", "anger/a02 (01)", "fear/f01 (4)"} <= ids
    assert corpora.id_from_path("Actor_01\\03-01-01-01-01-01-01.flac") == \
        "Actor_01/03-01-01-01-01-01-01"


def test_flac_copies_and_wavs_give_the_same_ids(tmp_path: Path):
    names = ["Actor_01/03-01-01-01-01-01-01", "Actor_01/03-01-05-02-01-02-01",
             "Actor_12/03-01-08-01-02-01-12"]
    for ext, sr in ((".wav", 48000), (".flac", 16000)):
        for name in names:
            path = tmp_path / ext[1:] / f"{name}{ext}"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, tone(0.5, sr), sr)
    wav = corpora.load_ravdess(tmp_path / "wav").table
    flac = corpora.load_ravdess(tmp_path / "flac").table
    assert wav["id"].tolist() == flac["id"].tolist() == names
    audio_columns = ["path", "file", "sample_rate", "format", "duration", "frames"]
    assert wav.drop(columns=audio_columns).equals(
        flac.drop(columns=audio_columns))


def test_emodb_fields_ids_and_skips(tmp_path: Path):
    root = tmp_path / "emodb"
    (root / "wav").mkdir(parents=True)
    for name in ("03a01Fa.wav", "10b02Lb.wav", "16a05Tc.wav", "08a02Wa.flac"):
        sf.write(root / "wav" / name, tone(), 16000)
    sf.write(root / "wav" / "03a01Xa.wav", tone(), 16000)  # unknown emotion letter
    sf.write(root / "wav" / "05a01Fa.wav", tone(), 16000)  # no speaker 05 in EMO-DB
    (root / "wav" / "09a01Na.wav").write_bytes(b"")
    corpus = corpora.load_corpus("emodb", root)
    table = corpus.table.set_index("id")
    assert list(table.index) == ["wav/03a01Fa", "wav/08a02Wa", "wav/10b02Lb", "wav/16a05Tc"]
    assert tuple(table.loc["wav/03a01Fa", ["emotion", "speaker", "gender", "text", "version"]]
                 ) == ("happy", "03", "male", "a01", "a")
    assert table.loc["wav/10b02Lb", "emotion"] == "boredom"
    assert table.loc["wav/16a05Tc", ["emotion", "gender"]].tolist() == ["sad", "female"]
    assert table.loc["wav/08a02Wa", "emotion"] == "angry"
    assert corpus.emotions == ["neutral", "happy", "sad", "angry", "fearful", "disgust",
                               "boredom"]
    reasons = {Path(p).name: r for p, r in corpus.skipped[["path", "reason"]].to_numpy()}
    assert "unknown emotion code 'X'" in reasons["03a01Xa.wav"]
    assert "unknown speaker '05'" in reasons["05a01Fa.wav"]
    assert "empty" in reasons["09a01Na.wav"]
    assert corpora.detect_corpus(root) == "emodb"
    assert corpora.parse_emodb_name("12b10Ed")["emotion"] == "disgust"
    with pytest.raises(ValueError, match="not an EMO-DB name"):
        corpora.parse_emodb_name("03-01-01-01-01-01-01")


@requires_real_data
def test_real_corpora_ids():
    ravdess = corpora.load_ravdess(probe=False).table
    assert ravdess["id"].is_unique and ravdess["id"].iloc[0] == "Actor_01/03-01-01-01-01-01-01"
    aesdd = corpora.load_aesdd(probe=False).table
    assert aesdd["id"].is_unique and "anger/a01 (1)" in set(aesdd["id"])
    if (paths.data_root() / "emodb").is_dir():
        emodb = corpora.load_emodb(probe=False).table
        assert len(emodb) == 535 and "wav/03a01Fa" in set(emodb["id"])
        assert emodb["speaker"].nunique() == 10
