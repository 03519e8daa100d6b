"""The predict command: one row per file, errors as rows, never a crash."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
from synthetic_audio import tone

from serlib import cabg, cli, predict


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "model.pt"
    torch.save({"state_dict": cabg.EmoCatcher().state_dict(), "model_kwargs": {}}, path)
    return path


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    folder = tmp_path / "clips"
    (folder / "sub").mkdir(parents=True)
    sf.write(folder / "a.wav", tone(1.5, 16000, 180), 16000)
    sf.write(folder / "sub" / "b.flac", tone(1.0, 48000, 250), 48000)
    (folder / "broken.wav").write_bytes(b"RIFF....not audio")
    (folder / "notes.txt").write_text("not audio: ignored")
    return folder


def test_predict_folder_rows_and_errors(clips: Path, model_file: Path):
    table = predict.run(clips, model_file)
    assert [Path(p).name for p in table["path"]] == ["a.wav", "broken.wav", "b.flac"]
    ok = table[table["error"] == ""]
    assert len(ok) == 2
    probs = ok[[f"prob_{e}" for e in cabg.EMOTIONS]].to_numpy()
    assert np.allclose(probs.sum(1), 1, atol=1e-3)
    assert set(ok["predicted"]) <= set(cabg.EMOTIONS)
    bad = table[table["path"].str.endswith("broken.wav")].iloc[0]
    assert bad["error"] and pd.isna(bad["predicted"])


def test_predict_is_per_file(clips: Path, model_file: Path):
    alone = predict.run(clips / "a.wav", model_file)
    together = predict.run(clips, model_file)
    assert alone.iloc[0]["prob_calm"] == together.iloc[0]["prob_calm"]


def test_cli_predict_writes_csv(clips: Path, model_file: Path, tmp_path: Path, capsys):
    out = tmp_path / "pred.csv"
    assert cli.main(["predict", str(clips), "--model", str(model_file), "--out", str(out)]) == 0
    assert "3 files, 1 failed" in capsys.readouterr().out
    assert len(pd.read_csv(out)) == 3
    assert cli.main(["predict", str(clips / "a.wav"), "--model", str(model_file)]) == 0
    assert capsys.readouterr().out.startswith("path,predicted,probability")


def test_cli_predict_missing_inputs(tmp_path: Path, model_file: Path, capsys):
    assert cli.main(["predict", str(tmp_path / "nope"), "--model", str(model_file)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert cli.main(["predict", str(tmp_path), "--model", str(tmp_path / "x.pt")]) == 2
    assert "no model file" in capsys.readouterr().err


def test_committed_model_exists():
    if not predict.default_model().is_file():
        pytest.skip("default model not committed yet")
    model = cabg.load_state(predict.default_model())
    assert model.num_classes == 8


@pytest.mark.realdata
def test_predict_matches_the_stored_test_probabilities_of_the_committed_model():
    """``serlib predict`` (one file at a time, from the audio) gives the probabilities that the
    notebooks' evaluation stored for the committed model's test clips (batched): a clip's
    prediction does not depend on the clips beside it."""
    import os

    from serlib import corpora, paths, runstore, training

    data = os.environ.get("SERLIB_DATA")
    if not data or not (Path(data) / "ravdess").is_dir():
        pytest.skip("needs the real RAVDESS (set SERLIB_DATA)")
    table = corpora.load_ravdess(Path(data) / "ravdess", probe=False).table
    y = table["emotion"].map(cabg.EMOTIONS.index).to_numpy()
    (run,) = training.protocol_runs("random-holdout-8-2", table, y, [999])
    folder = paths.project_root() / "models" / "cabg"
    assert predict.default_model() == training.checkpoint_path(folder, run)
    runstore.read_record(folder, run.name).check_ids(run.test_ids)
    stored = np.load(training.probabilities_path(folder, run))
    picked = np.arange(0, len(run.test_idx), 9)  # 32 of the 288 test clips
    files = [table["path"].iloc[run.test_idx[i]] for i in picked]
    out = predict.predict_files(files)
    assert (out["error"] == "").all()
    got = out[[f"prob_{e}" for e in cabg.EMOTIONS]].to_numpy()
    np.testing.assert_allclose(got, stored[picked], atol=6e-5)
