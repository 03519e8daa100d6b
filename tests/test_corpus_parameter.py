"""The study on any corpus: the ``corpus`` parameter of chapters 01-04, ``serlib run --corpus``,
protocols chosen for a manifest corpus, EMO-DB's listening test, and that a run on another
corpus never writes into ``notebooks/``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from synthetic_audio import tone

from serlib import paths
from serlib.app import cli, notebook, runner
from serlib.data import corpora
from serlib.evaluation import results_table, scoring
from serlib.protocols import registry

CORPUS_SPEC = {"corpus": {"type": str, "corpus": True}}


def manifest_corpus(folder: Path, n_speakers: int, emotions=("ANGER ", "Happiness", "sad"),
                    extra: dict[str, int] | None = None) -> Path:
    """A manifest corpus of short tones: one clip per speaker and emotion label."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for s in range(1, n_speakers + 1):
        for k, label in enumerate(emotions):
            name = f"s{s:02d}_{k}.wav"
            sf.write(folder / name, tone(0.5, 16000, 150 + 30 * k + s), 16000)
            rows.append({"path": name, "emotion": label, "speaker": f"spk{s}"})
    for label, count in (extra or {}).items():
        rows += [{"path": rows[i]["path"], "emotion": label, "speaker": "spk1"}
                 for i in range(count)]
    pd.DataFrame(rows).to_csv(folder / "manifest.csv", index=False)
    return folder


def emodb_root(root: Path) -> Path:
    """A data root with a tiny EMO-DB layout (3 speakers x 3 emotions) and its listening test."""
    wav = root / "emodb" / "wav"
    wav.mkdir(parents=True)
    lines = ["Nr.\tSatz\terkannt\tnatuerlich"]
    for i, (speaker, letter) in enumerate([(s, e) for s in ("03", "08", "09") for e in "WFT"]):
        name = f"{speaker}a01{letter}a.wav"
        sf.write(wav / name, tone(0.5, 16000, 160 + 20 * i), 16000)
        lines.append(f"{i + 1}  \t{name}\t{80 + i},00     \t{60 + i},50     ")
    (root / "emodb" / "erkennung.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


# ------------------------------------------------------------------------------------------
# the parameter
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["ravdess", "EMODB", " aesdd "])
def test_corpus_names_are_accepted(value):
    notebook.check_parameters({"corpus": value}, CORPUS_SPEC)
    assert notebook.check_corpus(value) == value.strip().lower()


@pytest.mark.parametrize("value", ["emo-db", "", 3, None])
def test_a_wrong_corpus_lists_the_accepted_values(value):
    with pytest.raises(notebook.ParameterError) as err:
        notebook.check_parameters({"corpus": value}, CORPUS_SPEC)
    text = str(err.value)
    assert "'corpus'" in text and "'ravdess', 'aesdd', 'emodb'" in text and "manifest.csv" in text


def test_a_missing_corpus_folder_is_named(tmp_path: Path):
    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(notebook.DataNotFoundError, match=str(missing)):
        notebook.check_corpus(str(missing))
    with pytest.raises(notebook.ParameterError, match=str(missing)):
        notebook.check_parameters({"corpus": str(missing)}, CORPUS_SPEC)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(notebook.DataNotFoundError, match="no manifest.csv"):
        notebook.check_corpus(str(empty))


def test_a_manifest_folder_is_a_corpus_named_after_it(tmp_path: Path):
    folder = manifest_corpus(tmp_path / "my_corpus", 3, extra={"xyzzy": 2})
    study = notebook.choose_study(str(folder))
    assert study.name == "my_corpus" and not study.is_default and not study.registered
    assert study.main.emotions == ["happy", "sad", "angry"]  # normalised, canonical order
    assert study.reports.parts[-2:] == ("corpora", "my_corpus")
    assert study.artifacts.parts[-2:] == ("corpora", "my_corpus")
    from serlib.data import audit

    unknown = audit.unknown_labels(study.main)
    assert unknown.loc["xyzzy", "recordings"] == 2


def test_loaded_corpora_default_pair_and_other_corpus(tmp_path: Path, monkeypatch):
    other = notebook.choose_study(str(manifest_corpus(tmp_path / "mine", 3)))
    assert other.loaded_corpora() == (None, None, [other.main], None)
    default = notebook.choose_study("ravdess", "", use_demo=True)
    ravdess, aesdd, loaded, note = default.loaded_corpora()
    assert ravdess is default.main and aesdd is not None and loaded == [ravdess, aesdd]
    assert note is None
    monkeypatch.setattr(type(default.data), "has", lambda self, name: name != "aesdd")
    ravdess, aesdd, loaded, note = default.loaded_corpora()
    assert aesdd is None and loaded == [ravdess] and "AESDD is not in" in note


# ------------------------------------------------------------------------------------------
# protocols of a corpus
# ------------------------------------------------------------------------------------------
def test_a_manifest_corpus_with_few_speakers_gets_leave_one_speaker_out(tmp_path: Path):
    study = notebook.choose_study(str(manifest_corpus(tmp_path / "few", 4)))
    (name, p), = study.protocols().items()
    assert name == "loso-4" and p.kind == "speaker-independent" and len(p.splits) == 4
    speakers = study.main.table["speaker"].to_numpy()
    for train, test in p.splits:
        assert len(set(speakers[test])) == 1 and not set(speakers[test]) & set(speakers[train])


def test_a_manifest_corpus_with_many_speakers_gets_grouped_folds(tmp_path: Path):
    study = notebook.choose_study(str(manifest_corpus(tmp_path / "many", 12)))
    (name, p), = study.protocols().items()
    assert name == f"speaker-{registry.GROUPED_FOLDS}fold" and len(p.splits) == 5
    speakers = study.main.table["speaker"].to_numpy()
    tested = np.concatenate([t for _, t in p.splits])
    assert sorted(tested) == list(range(len(speakers)))  # every clip tested once
    assert all(not set(speakers[a]) & set(speakers[b]) for a, b in p.splits)


def test_one_speaker_is_not_enough(tmp_path: Path):
    study = notebook.choose_study(str(manifest_corpus(tmp_path / "one", 1)))
    with pytest.raises(ValueError, match="1 speaker"):
        study.protocols()


def test_emodb_by_name_has_emobox_folds_and_loso():
    assert {"emobox-5fold", "loso-10"} <= set(registry.protocol_names("emodb"))
    assert registry.get_protocol("loso-10", "emodb").kind == "speaker-independent"


# ------------------------------------------------------------------------------------------
# EMO-DB's listening test
# ------------------------------------------------------------------------------------------
def test_emodb_loader_reads_the_listening_test(tmp_path: Path):
    root = emodb_root(tmp_path)
    corpus = corpora.load_emodb(root / "emodb")
    table = corpus.table.set_index("file")
    assert table.loc["03a01Wa.wav", "recognition"] == pytest.approx(0.80)
    assert table.loc["09a01Ta.wav", "recognition"] == pytest.approx(0.88)
    assert table.loc["03a01Wa.wav", "naturalness"] == pytest.approx(0.605)
    (root / "emodb" / "erkennung.txt").write_text("Nr.\tSatz\n1\tx.wav\tabc\t1,0\n")
    with pytest.raises(ValueError, match="line 2"):
        corpora.load_emodb(root / "emodb")
    (root / "emodb" / "erkennung.txt").unlink()
    assert "recognition" not in corpora.load_emodb(root / "emodb").table


def test_write_manifest_relabels_and_keeps_ids(tmp_path: Path):
    corpus = corpora.load_emodb(emodb_root(tmp_path) / "emodb")
    manifest = corpora.write_manifest(corpus, tmp_path / "relabelled", unknown={"xyzzy": 2})
    written = pd.read_csv(manifest)
    assert "ANGER " in set(written["emotion"]) and (written["emotion"] == "xyzzy").sum() == 2
    again = corpora.load_manifest(manifest)
    assert again.name == "relabelled"
    assert sorted(again.table["id"]) == sorted(corpus.table["id"])
    assert list(again.table.sort_values("id")["emotion"].astype(str)) == list(
        corpus.table.sort_values("id")["emotion"].astype(str))


# ------------------------------------------------------------------------------------------
# the runner and the command line
# ------------------------------------------------------------------------------------------
def test_run_corpus_missing_folder_exits_2_before_any_kernel(tmp_path: Path, monkeypatch, capsys):
    import papermill

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel started")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    missing = tmp_path / "no" / "such" / "folder"
    assert cli.main(["run", "--corpus", str(missing), "--only", "01"]) == 2
    assert str(missing) in capsys.readouterr().err
    assert cli.main(["run", "--corpus", "emo-db", "--only", "01"]) == 2
    assert "accepted: one of 'ravdess'" in capsys.readouterr().err


def test_corpus_run_names_and_out_folders(tmp_path: Path):
    folder = manifest_corpus(tmp_path / "mine", 2)
    chosen = runner.corpus_run(str(folder))
    assert (chosen.name, chosen.is_default, chosen.named) == ("mine", False, False)
    assert chosen.out == paths.project_root() / "reports" / "corpora" / "mine"
    assert runner.corpus_run("ravdess").is_default
    named = runner.corpus_run("emodb", out=tmp_path / "o")
    assert (named.name, named.named, named.out) == ("emodb", True, (tmp_path / "o").resolve())
    with pytest.raises(ValueError, match="never writes into"):
        runner.corpus_run("emodb", out=runner.notebooks_dir() / "x")


def test_only_accepts_commas_and_spaces(tmp_path: Path, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("01_a", "02_b", "03_c", "04_d"):
        nbformat.write(nbformat.v4.new_notebook(), folder / f"{name}.ipynb")
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    stems = [nb.stem for nb in runner.list_notebooks(["01,02", "03 04"])]
    assert stems == ["01_a", "02_b", "03_c", "04_d"]
    assert [nb.stem for nb in runner.list_notebooks(["2,4"])] == ["02_b", "04_d"]


CHAPTER = """corpus: str = "ravdess"  # the corpus
data_root: str = ""  # where
use_demo: bool = False  # demo"""
WRITES = """from serlib.app import notebook
from serlib.evaluation import results_table, scoring
from serlib.plots import figures
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
study = notebook.choose_study(corpus, data_root, use_demo)
fig = plt.figure(); figures.save_figure(fig, study.reports, "01_x")
summary = scoring.summarize_folds([{"accuracy": 0.5}, {"accuracy": 0.7}])
results_table.upsert_results(study.reports, results_table.make_rows(
    study.name, "loso-3", "m", summary, selection="validation", notebook="01"))
print("ran on", study.name)"""


def chapter(path: Path, parameters: str, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_another_corpus_never_writes_into_notebooks_and_upserts_its_rows(tmp_path: Path,
                                                                        monkeypatch):
    """EMO-DB by name: the chapter that takes a corpus runs and lands in --out; the one that
    does not is skipped; notebooks/ is untouched; the live results keep their other rows and
    gain EMO-DB's."""
    notebooks = tmp_path / "notebooks"
    chapter(notebooks / "01_eda.ipynb", CHAPTER, WRITES)
    chapter(notebooks / "05_other.ipynb", 'data_root: str = ""  # where', "print('ran')")
    before = digests(notebooks)
    monkeypatch.setattr(runner, "notebooks_dir", lambda: notebooks)
    monkeypatch.setenv(paths.DATA_ENV, str(emodb_root(tmp_path / "data")))
    live = tmp_path / "reports"
    live.mkdir()
    old_row = results_table.make_rows("ravdess", "emobox-6fold", "lr", scoring.summarize_folds(
        [{"accuracy": 0.4}]), selection="validation", notebook="04")
    results_table.upsert_results(live, old_row)
    ravdess_before = [line for line in (live / "results.csv").read_text().splitlines()
                      if line.startswith("ravdess,")]
    monkeypatch.setenv(paths.REPORTS_ENV, str(live))
    out = tmp_path / "out"
    messages: list[str] = []
    results = runner.run_notebooks(corpus="emodb", out=out, build_dir=tmp_path / "build",
                                   log=messages.append, progress=False, html=False)
    assert [(r.notebook, r.skipped is None) for r in results] == [
        ("01_eda.ipynb", True), ("05_other.ipynb", False)]
    assert digests(notebooks) == before
    assert "ran on emodb" in (out / "notebooks" / "01_eda.ipynb").read_text()
    assert (out / "figures" / "01_x.png").is_file()
    assert not (live / "figures").exists()
    text = (live / "results.csv").read_text().splitlines()
    assert [line for line in text if line.startswith("ravdess,")] == ravdess_before
    assert any(line.startswith("emodb,loso-3,m,accuracy") for line in text)


def test_a_manifest_corpus_run_keeps_its_rows_in_its_folder(tmp_path: Path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    chapter(notebooks / "01_eda.ipynb", CHAPTER, WRITES)
    monkeypatch.setattr(runner, "notebooks_dir", lambda: notebooks)
    live = tmp_path / "reports"
    live.mkdir()
    monkeypatch.setenv(paths.REPORTS_ENV, str(live))
    folder = manifest_corpus(tmp_path / "mine", 3)
    out = tmp_path / "out"
    runner.run_notebooks(corpus=str(folder), out=out, build_dir=tmp_path / "build",
                         log=lambda *_: None, progress=False, html=False)
    assert "ran on mine" in (out / "notebooks" / "01_eda.ipynb").read_text()
    assert "mine,loso-3,m,accuracy" in (out / "results.csv").read_text()
    assert not (live / "results.csv").exists()


# ------------------------------------------------------------------------------------------
# cells marked for one corpus
# ------------------------------------------------------------------------------------------
def test_marked_cells_are_skipped_with_one_line_on_another_corpus():
    other = notebook.corpus_cell_filter(False, "emodb")
    cell = ["# NBVAL_CHECK_OUTPUT\n", "# default corpus only: the actors table\n", "x = 1\n"]
    assert other(cell) == ["print('skipped on emodb: the actors table')\n"]
    assert other(["# other corpora only: an inventory\n", "y = 2\n"])[1] == "y = 2\n"
    assert other(["x = 1\n", "# default corpus only: late marks do not count\n"])[0] == "x = 1\n"
    default = notebook.corpus_cell_filter(True, "ravdess")
    assert default(cell) == cell
    assert default(["# other corpora only: an inventory\n", "y = 2\n"]) == ["pass\n"]


@pytest.mark.parametrize("number", ["01", "02", "03", "04"])
def test_chapters_declare_and_check_the_corpus(number):
    source = next((paths.project_root() / "notebooks").glob(f"{number}_*.py")).read_text()
    assert 'corpus: str = "ravdess"' in source
    assert '"corpus": {"type": str, "corpus": True}' in source
    assert "notebook.choose_study(corpus" in source
    assert "notebook.skip_marked_cells(study)" in source


# ------------------------------------------------------------------------------------------
# tuning inside each fold (chapter 04 on another corpus)
# ------------------------------------------------------------------------------------------
def test_tune_per_fold_tunes_on_training_speakers_only():
    from serlib.experiments import baselines
    from serlib.protocols import splits

    rng = np.random.default_rng(0)
    speakers = np.repeat([f"s{k}" for k in range(4)], 30)
    y = np.tile(np.repeat(["a", "b", "c"], 10), 4)
    X = pd.DataFrame(rng.normal(size=(len(y), 5)))
    X[0] += pd.Series(y).map({"a": -3.0, "b": 0.0, "c": 3.0}).to_numpy()
    folds = splits.leave_one_speaker_out(speakers)
    run = baselines.tune_per_fold("lr", X, y, speakers, folds, grid={"C": [0.01, 1.0]},
                                  n_splits=3)
    assert len(run.params) == len(run.val_scores) == 4
    assert all(p["C"] in (0.01, 1.0) for p in run.params)
    assert pd.notna(run.y_pred).all() and run.summary.loc["accuracy", "mean"] > 0.9
    with pytest.raises(ValueError, match="1 speaker"):
        baselines.tune_per_fold("lr", X, y, np.where(speakers == "s0", "s0", "s1"),
                                splits.leave_one_speaker_out(np.where(speakers == "s0", "s0",
                                                                      "s1")),
                                grid={"C": [1.0]})
