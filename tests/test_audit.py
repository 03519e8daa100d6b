"""``serlib audit`` on a manifest corpus: labels normalised, unknown labels counted, no id flood."""

from pathlib import Path

import pandas as pd
import soundfile as sf
from synthetic_audio import tone

from serlib.app import cli
from serlib.data import audit, corpora


def _mycorpus(tmp_path: Path) -> Path:
    root = tmp_path / "mycorpus"
    (root / "clips").mkdir(parents=True)
    labels = ["ANGRY ", "angry", "Joy", "happy", "xyzzy", "xyzzy", "XYZZY", "frustrated"]
    for i in range(len(labels)):
        sf.write(root / "clips" / f"c{i}.wav", tone(0.5), 16000)
    pd.DataFrame({"path": [f"clips/c{i}.wav" for i in range(len(labels))] + ["clips/gone.wav"],
                  "emotion": [*labels, "sad"],
                  "speaker": ["s1", "s1", "s2", "s2", "s3", "s3", "s4", "s4", "s5"],
                  "session": ["a", "b"] * 4 + ["a"]}).to_csv(root / "manifest.csv", index=False)
    return root


def test_audit_of_a_manifest_counts_unknown_labels(tmp_path: Path):
    text = audit.audit(_mycorpus(tmp_path))
    assert text.startswith(f"Corpus mycorpus at {tmp_path / 'mycorpus'}")
    assert "mycorpus: 4 recordings, 2 speakers, 2 emotions, 5 skipped" in text
    assert "-- 4 recording(s) skipped for 2 unknown emotion label(s)" in text
    block = text.split("unknown emotion label(s)\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[:2] for line in block.splitlines()[2:]] == [["xyzzy", "3"],
                                                                    ["frustrated", "1"]]
    assert "clips/gone.wav: file listed in manifest not found" in text
    assert "clips/c4.wav: unknown" not in text  # counted per label, not listed one by one
    assert "'ANGRY '" in text and "'Joy'" in text  # the labels the normaliser rewrote
    assert "-- recordings per session" in text


def test_audit_does_not_count_the_id_column(tmp_path: Path):
    corpus = corpora.load_corpus("manifest", _mycorpus(tmp_path))
    assert "id" in corpus.table and corpus.table["id"].nunique() == 4
    fields = audit.audit_fields(corpus)
    assert fields == ["emotion", "speaker", "gender", "session"]
    assert "-- recordings per id" not in audit.audit_text(corpus)


def test_unknown_labels_table_is_empty_for_the_named_corpora(ravdess_dir: Path):
    corpus = corpora.load_ravdess(ravdess_dir)
    assert audit.unknown_labels(corpus).empty and audit.label_mapping(corpus.table).empty
    assert audit.audit_fields(corpus)[:3] == ["emotion", "speaker", "gender"]


def test_cli_audit_manifest_and_emodb_choice(tmp_path: Path, capsys):
    root = _mycorpus(tmp_path)
    assert cli.main(["audit", str(root / "manifest.csv")]) == 0
    assert "xyzzy" in capsys.readouterr().out
    emodb = tmp_path / "emodb" / "wav"
    emodb.mkdir(parents=True)
    sf.write(emodb / "03a01Fa.wav", tone(), 16000)
    assert cli.main(["audit", str(emodb.parent), "--corpus", "emodb"]) == 0
    assert "Corpus emodb" in capsys.readouterr().out
