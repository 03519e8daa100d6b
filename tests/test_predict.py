"""The predict command: one row per file, errors as rows, never a crash."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
from synthetic_audio import tone, write_header_only_wav, write_truncated_wav

from serlib.app import cli, predict
from serlib.models import cabg
from serlib.training import runstore, torch_training


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


HEADER = ",".join(["path", "predicted", "probability", *[f"prob_{e}" for e in cabg.EMOTIONS],
                   "model", "error"])


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """One file of each kind that predict must refuse, and nothing else."""
    folder = tmp_path / "broken"
    folder.mkdir()
    write_truncated_wav(folder / "truncated.wav")
    write_header_only_wav(folder / "header_only.wav")
    (folder / "empty.wav").write_bytes(b"")
    (folder / "text.wav").write_text("not audio at all")
    sf.write(folder / "short.wav", tone(0.08, 16000, 200, silence=0.0), 16000)  # < 0.186 s
    sf.write(folder / "silent.wav", np.zeros(16000, np.float32), 16000)
    noise = np.random.default_rng(0).normal(0, 1e-4, 16000).astype(np.float32)  # -80 dBFS
    sf.write(folder / "faint_noise.wav", noise, 16000)
    return folder


def test_each_kind_of_broken_file_gets_its_reason(broken: Path, model_file: Path):
    table = predict.run(broken, model_file)
    reasons = dict(zip(table["path"].map(lambda p: Path(p).name), table["error"], strict=True))
    assert len(reasons) == 7 and all(reasons.values())
    assert reasons["truncated.wav"].startswith("truncated file (data chunk declares")
    assert "no audio samples" in reasons["header_only.wav"] or \
        "not readable as audio" in reasons["header_only.wav"]
    assert reasons["empty.wav"] == "empty file (0 bytes)"
    assert reasons["text.wav"].startswith("not readable as audio")
    assert reasons["short.wav"].startswith("too short: 0.080 s")
    assert "4096-sample window at 22050 Hz" in reasons["short.wav"]
    assert reasons["silent.wav"].startswith("no voiced frames")
    assert reasons["faint_noise.wav"].startswith("no voiced frames")
    assert table["predicted"].isna().all() and (table["model"] == "model").all()


def test_truncated_wav_is_refused_like_audit_does(tmp_path: Path, model_file: Path):
    """The bug: a cut-off WAV was labelled with no error although audit rejects it."""
    from serlib.data import corpora

    write_truncated_wav(tmp_path / "cut.wav")
    with pytest.raises(ValueError) as err:
        corpora.probe_audio(tmp_path / "cut.wav")
    row = predict.run(tmp_path / "cut.wav", model_file).iloc[0]
    assert row["error"] == str(err.value) and pd.isna(row["predicted"])


def test_exit_codes(tmp_path: Path, clips: Path, broken: Path, model_file: Path, capsys):
    model = ["--model", str(model_file)]
    (tmp_path / "empty").mkdir()
    assert cli.main(["predict", str(tmp_path / "empty"), *model]) == 2
    assert "no audio files in" in capsys.readouterr().err
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "notes.txt").write_text("x")
    assert cli.main(["predict", str(tmp_path / "texts"), *model]) == 2
    assert "holds 1 other file(s)" in capsys.readouterr().err
    assert cli.main(["predict", str(tmp_path / "missing"), *model]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    out = tmp_path / "all_failed.csv"
    assert cli.main(["predict", str(broken), *model, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "none of the 7 file(s) could be classified" in err and "failed: " in err
    assert len(pd.read_csv(out)) == 7  # the reasons are written too
    out = tmp_path / "mixed.csv"
    assert cli.main(["predict", str(clips), *model, "--out", str(out)]) == 0
    table = pd.read_csv(out, keep_default_na=False)
    assert len(table) == 3 and (table["error"] != "").sum() == 1


def test_csv_header_names_the_models_classes_and_the_model(clips: Path, model_file: Path,
                                                          capsys):
    assert cli.main(["predict", str(clips / "a.wav"), "--model", str(model_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == HEADER
    assert lines[1].split(",")[-2:] == ["model", ""]


@pytest.fixture
def model_store(tmp_path: Path, model_file: Path, monkeypatch) -> Path:
    """A models folder with one recorded checkpoint and one without a record."""
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "p_seed_fold1_seed7.pt").write_bytes(model_file.read_bytes())
    (folder / "unrecorded.pt").write_bytes(model_file.read_bytes())
    runstore.write_record(folder, runstore.RunRecord(
        name="p_seed_fold1_seed7", corpus="ravdess", protocol="p", fold=1, model="cabg",
        recipe="seed", seed=7, selection="validation", kept="epoch 3", n_test=0,
        test_ids_sha1=runstore.ids_digest([])))
    monkeypatch.setattr(predict, "MODEL_FOLDERS", (folder,))
    return folder


def test_list_models_and_model_by_name(model_store: Path, clips: Path, capsys):
    assert cli.main(["predict", "--list-models"]) == 0
    out = capsys.readouterr().out
    assert "p_seed_fold1_seed7" in out and "unrecorded" not in out
    row = predict.models_table().iloc[0]
    assert (row["protocol"], row["recipe"], row["seed"], row["selection"]) == \
        ("p", "seed", 7, "validation")
    assert "validation: kept epoch chosen on a validation split" in out
    assert cli.main(["predict", str(clips / "a.wav"), "--model", "p_seed_fold1_seed7"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split(",")[-2] == "p_seed_fold1_seed7"
    assert predict.resolve_model("p_seed_fold1_seed7.pt").path == \
        model_store / "p_seed_fold1_seed7.pt"
    assert cli.main(["predict", str(clips), "--model", "no_such_model"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'no_such_model'" in err and "predict --list-models" in err
    assert cli.main(["predict"]) == 2
    assert "--list-models" in capsys.readouterr().err


def test_committed_models_are_listed():
    models = predict.list_models()
    if not models:
        pytest.skip("no committed models")
    names = {m.name for m in models}
    assert predict.DEFAULT_MODEL.stem in names
    assert all(m.path.with_suffix(".json").is_file() for m in models)


def test_mfcc_cnn_model_uses_its_own_front_end(tmp_path: Path, clips: Path):
    from serlib.models.mfcc_cnn import MfccCNN

    torch.manual_seed(0)
    config = torch_training.TrainConfig(arch="mfcc-cnn", optimizer="adam",
                                        schedule="cosine-restarts")
    kwargs = config.model_kwargs(32, 8, 94)
    path = torch_training.save_checkpoint(tmp_path / "cnn.pt", MfccCNN(**kwargs).state_dict(),
                                          kwargs,
                                    config)
    sf.write(tmp_path / "one_second.wav", tone(0.4, 16000, 200), 16000)  # 1.0 s < 1.028 s
    table = predict.predict_files([clips / "a.wav", tmp_path / "one_second.wav"], path)
    assert table["error"].iloc[0] == "" and table["model"].iloc[0] == "cnn"
    assert np.isclose(table[[f"prob_{e}" for e in cabg.EMOTIONS]].iloc[0].sum(), 1, atol=1e-3)
    assert table["error"].iloc[1].startswith("too short: 1.000 s")
    assert "after the first 0.9 s" in table["error"].iloc[1]


def test_a_model_trained_on_fewer_classes_is_labelled_from_its_checkpoint(tmp_path: Path,
                                                                           clips: Path):
    from serlib.experiments.seed002 import SEVEN_CLASSES
    from serlib.models.mfcc_cnn import MfccCNN

    config = torch_training.TrainConfig(arch="mfcc-cnn", optimizer="adam",
                                        schedule="cosine-restarts")
    kwargs = config.model_kwargs(32, len(SEVEN_CLASSES), 94)
    path = torch_training.save_checkpoint(tmp_path / "seven.pt", MfccCNN(**kwargs).state_dict(),
                                          kwargs,
                                    config, {"classes": list(SEVEN_CLASSES)})
    table = predict.predict_files([clips / "a.wav"], path)
    assert "prob_sad" not in table.columns
    assert [c for c in table.columns if c.startswith("prob_")] == [
        f"prob_{c}" for c in SEVEN_CLASSES]


def test_predict_help_warns_about_other_speakers():
    help_text = " ".join(cli.build_parser()._subparsers._group_actions[0]
                         .choices["predict"].format_help().split())
    assert "other speakers, languages and recording conditions" in help_text
    assert "less accurate than on RAVDESS" in help_text


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

    from serlib import paths
    from serlib.data import corpora
    from serlib.experiments import cabg_runs
    from serlib.training import runstore

    data = os.environ.get("SERLIB_DATA")
    if not data or not (Path(data) / "ravdess").is_dir():
        pytest.skip("needs the real RAVDESS (set SERLIB_DATA)")
    table = corpora.load_ravdess(Path(data) / "ravdess", probe=False).table
    y = table["emotion"].map(cabg.EMOTIONS.index).to_numpy()
    (run,) = cabg_runs.protocol_runs("random-holdout-8-2", table, y, [999], variant="full-gain",
                                    val_frac=0)
    folder = paths.project_root() / "models" / "cabg"
    assert predict.default_model() == cabg_runs.checkpoint_path(folder, run)
    runstore.read_record(folder, run.name).check_ids(run.test_ids)
    stored = np.load(cabg_runs.probabilities_path(folder, run))
    picked = np.arange(0, len(run.test_idx), 9)  # 32 of the 288 test clips
    files = [table["path"].iloc[run.test_idx[i]] for i in picked]
    out = predict.predict_files(files)
    assert (out["error"] == "").all()
    got = out[[f"prob_{e}" for e in cabg.EMOTIONS]].to_numpy()
    np.testing.assert_allclose(got, stored[picked], atol=6e-5)


def test_the_previous_default_stays_listed():
    if not predict.default_model().is_file():
        pytest.skip("default model not committed yet")
    names = {m.name for m in predict.list_models()}
    assert {predict.DEFAULT_MODEL.stem, predict.PREVIOUS_DEFAULT.stem} <= names
    model = predict.load_model(predict.default_model())
    assert model.gain_norm and model.level_channels == 64


def test_predict_help_quotes_the_cross_corpus_numbers_of_the_results_file():
    from serlib.app import predict_warning

    help_text = " ".join(cli.build_parser()._subparsers._group_actions[0]
                         .choices["predict"].format_help().split())
    assert " ".join(predict_warning.warning_text().split()) in help_text
    assert predict.DEFAULT_MODEL.stem in help_text.replace("- ", "-")


@pytest.mark.realdata
def test_the_default_model_is_robust_to_the_recording_level(tmp_path: Path):
    """Every clip of one RAVDESS speaker scaled by 0.25x, 0.5x, 2x and 4x (written as 32-bit
    float WAV, so nothing clips): the default model's accuracy on that speaker moves by at most one
    point (the seed's raw-dB model lost up to 15 points on Actor_01)."""
    import os

    from serlib.data import corpora

    data = os.environ.get("SERLIB_DATA")
    if not data or not (Path(data) / "ravdess").is_dir():
        pytest.skip("needs the real RAVDESS (set SERLIB_DATA)")
    table = corpora.load_ravdess(Path(data) / "ravdess", probe=False).table
    clips = table[table["speaker"] == table["speaker"].iloc[0]]
    accuracy = {}
    for gain in (1.0, 0.25, 0.5, 2.0, 4.0):
        folder = tmp_path / f"x{gain}"
        folder.mkdir()
        files = []
        for path in clips["path"]:
            signal, sr = sf.read(path, dtype="float32")
            files.append(folder / f"{Path(path).stem}.wav")
            sf.write(files[-1], signal * gain, sr, subtype="FLOAT")
        out = predict.predict_files(files)
        assert (out["error"] == "").all()
        accuracy[gain] = float((out["predicted"].to_numpy() == clips["emotion"].to_numpy()).mean())
    assert all(abs(a - accuracy[1.0]) <= 0.01 for a in accuracy.values()), accuracy
