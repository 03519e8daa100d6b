"""The runner and what makes runs safe and repeatable: the build folder, the parameter checks,
byte-identical figures, and feature-cache keys that include the code."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from serlib import cache, paths  # noqa: E402
from serlib.app import (
    notebook,  # noqa: E402
    runner,  # noqa: E402
)
from serlib.features import extraction  # noqa: E402
from serlib.plots import figures  # noqa: E402

PARAMETERS = ("data_root: str = ''  # where\nuse_demo: bool = False  # demo corpus\n"
              "smoke: bool = False  # quick\nlabel: str = 'x'  # a text\n"
              "steps: int = 1  # a count\nrate: float = 0.5  # a rate")
#: Kernel code that writes into the run's reports folder (the staged copy under the runner).
WRITE_REPORTS = ("from serlib import paths\nreports = paths.reports_dir(demo=True)\n"
                 "(reports / 'figures').mkdir(parents=True, exist_ok=True)\n")


def make_notebook(path: Path, *codes: str) -> Path:
    """A tiny notebook: a setup cell, the parameters cell, then ``codes``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_code_cell("import time"), params,
                *[nbformat.v4.new_code_cell(code) for code in codes]]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder``: its SHA-1 and modification time (ns)."""
    return {p.relative_to(folder).as_posix(): (hashlib.sha1(p.read_bytes()).hexdigest(),
                                               p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A stand-in project: notebooks/ (committed copies), reports/ with old files, the demo
    data choice; the runner's build folder is tmp_path/build."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    reports = tmp_path / "reports"
    (reports / "figures").mkdir(parents=True)
    (reports / "figures" / "old.png").write_bytes(b"old figure")
    (reports / "results.csv").write_text("corpus,protocol,model,metric,mean,std,n,source\n")
    monkeypatch.setenv(paths.DEMO_REPORTS_ENV, str(reports))
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    monkeypatch.setattr(runner.notebook, "choose_data",
                        lambda *a, **k: runner.notebook.DataChoice(tmp_path, True))
    return tmp_path


def run(project: Path, **kwargs) -> list[runner.RunResult]:
    return runner.run_notebooks(output_dir=project / "notebooks", build_dir=project / "build",
                                log=lambda *_: None, progress=False, **kwargs)


def test_failed_run_leaves_notebooks_and_reports_untouched(project: Path):
    make_notebook(project / "notebooks" / "01_ok.ipynb",
                  WRITE_REPORTS + "(reports / 'figures' / '01_ok.png').write_bytes(b'new')")
    make_notebook(project / "notebooks" / "02_bad.ipynb",
                  WRITE_REPORTS + "(reports / 'results.csv').write_text('half-written')\n"
                  "(reports / 'figures' / '02_bad.png').write_bytes(b'new')",
                  "raise ValueError('boom')")
    bad_before = (project / "notebooks" / "02_bad.ipynb").read_bytes()
    reports_before = snapshot(project / "reports")
    with pytest.raises(runner.NotebookFailed) as info:
        run(project, html=False)
    message = str(info.value)
    assert "02_bad.ipynb failed in cell" in message and "ValueError: boom" in message
    assert "keep their files from before this notebook" in message
    assert "copied into place earlier in this run: 01_ok.ipynb" in message
    failed = Path(message.split("executed copy with the error: ")[1].strip())
    assert failed.is_file() and project / "build" in failed.parents
    assert "boom" in failed.read_text()
    # the failing notebook changed nothing in place; the one before it was installed
    assert (project / "notebooks" / "02_bad.ipynb").read_bytes() == bad_before
    after = snapshot(project / "reports")
    assert after.pop("figures/01_ok.png")[0] == hashlib.sha1(b"new").hexdigest()
    assert after == reports_before
    assert (project / "build" / failed.parents[1].name / "RUNNING").exists() is False


def test_successful_run_copies_only_what_changed(project: Path):
    make_notebook(project / "notebooks" / "01_ok.ipynb",
                  WRITE_REPORTS + "(reports / 'figures' / 'old.png').write_bytes(b'old figure')\n"
                  "(reports / 'figures' / '01_ok.png').write_bytes(b'new')\nprint(label)")
    old = snapshot(project / "reports")
    results = run(project, overrides={"label": "07", "steps": "3", "rate": "1"})
    assert [r.output for r in results] == [project / "notebooks" / "01_ok.ipynb"]
    new = snapshot(project / "reports")
    assert new["figures/old.png"] == old["figures/old.png"]  # rewritten identically: untouched
    assert new["results.csv"] == old["results.csv"]
    assert {"figures/01_ok.png", "html/01_ok.html", "README.md"} <= set(new)
    executed = json.loads(results[0].output.read_text())
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"]["tags"]]
    assert injected[0]["id"] == runner.INJECTED_CELL_ID
    assert "label = \"07\"" in "".join(injected[0]["source"])  # text kept as text
    assert "steps = 3" in "".join(injected[0]["source"])
    assert "rate = 1.0" in "".join(injected[0]["source"])
    assert "papermill" not in executed["metadata"]
    assert not list((project / "build").iterdir()), "a finished run leaves no build folder"


def test_repeated_runs_give_identical_files(project: Path):
    make_notebook(project / "notebooks" / "01_fig.ipynb",
                  WRITE_REPORTS + "import matplotlib.pyplot as plt\n"
                  "from serlib.plots import figures\n"
                  "fig, ax = plt.subplots()\nax.plot([1, 3, 2])\n"
                  "figures.save_figure(fig, reports, '01_fig')\nplt.show()")
    first = run(project, overrides={"steps": "2"}, install=False)
    second = run(project, overrides={"steps": "2"}, install=False)
    assert first[0].output.read_bytes() == second[0].output.read_bytes()
    assert first[0].html.read_bytes() == second[0].html.read_bytes()
    figures = [r.html.parents[1] / "figures" / "01_fig.png" for r in (first[0], second[0])]
    assert figures[0].read_bytes() == figures[1].read_bytes()
    assert not (project / "reports" / "figures" / "01_fig.png").exists(), "build only"
    assert b"Matplotlib" not in figures[0].read_bytes()


def test_split_prints_are_merged():
    def out(name: str, text: str) -> dict:
        return {"output_type": "stream", "name": name, "text": [text]}

    image = {"output_type": "display_data", "data": {}, "metadata": {}}
    one_flush = [out("stdout", "a\nb\nc\n")]
    two_flushes = [out("stdout", "a\nb"), out("stdout", "\nc\n")]
    assert runner.merge_streams(two_flushes) == runner.merge_streams(one_flush)
    assert runner.merge_streams(one_flush)[0]["text"] == ["a\n", "b\n", "c\n"]
    kept = [out("stdout", "x\n"), image, out("stdout", "y\n"), out("stderr", "z\n")]
    assert runner.merge_streams([dict(o) for o in kept]) == kept


def test_stale_injected_cell_is_not_rerun(tmp_path: Path):
    nb = make_notebook(tmp_path / "01_x.ipynb", "print(steps)")
    node = nbformat.read(nb, as_version=4)
    stale = nbformat.v4.new_code_cell("steps = 99")
    stale.metadata["tags"] = ["injected-parameters"]
    node.cells.insert(2, stale)
    nbformat.write(node, nb)
    clean = nbformat.read(runner._prepared_input(nb, tmp_path / "in"), as_version=4)
    assert [c.source for c in clean.cells if "steps = 99" in c.source] == []


def test_interrupted_run_keeps_everything_in_place(project: Path):
    started = project / "started"
    make_notebook(project / "notebooks" / "01_slow.ipynb",
                  WRITE_REPORTS + "(reports / 'results.csv').write_text('partial')\n"
                  f"open({str(started)!r}, 'w').close()\ntime.sleep(120)")
    before = snapshot(project / "notebooks"), snapshot(project / "reports")

    def terminate():
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate, daemon=True).start()
    start = time.monotonic()
    with pytest.raises(runner.RunInterrupted, match="interrupted while 01_slow.ipynb ran") as info:
        run(project, html=False)
    assert time.monotonic() - start < 60
    partial = Path(str(info.value).split("its partial copy: ")[1].split("\n")[0])
    assert partial.is_file()
    assert (snapshot(project / "notebooks"), snapshot(project / "reports")) == before


def test_bad_parameter_fails_in_seconds_and_writes_nothing():
    target = runner.notebooks_dir() / "02_features.ipynb"
    mtime = target.stat().st_mtime_ns
    build = paths.build_dir()
    runs_before = sorted(build.iterdir()) if build.is_dir() else []
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "serlib", "run", "--only", "02", "-p",
                             "n_mfcc", "twenty"], capture_output=True, text=True,
                            cwd=paths.project_root(), timeout=120)
    seconds = time.monotonic() - start
    assert result.returncode == 2, result.stderr
    assert "'n_mfcc' of 02_features.ipynb expects int; got 'twenty'" in result.stderr
    assert seconds < 30, f"took {seconds:.1f} s"
    assert target.stat().st_mtime_ns == mtime
    assert (sorted(build.iterdir()) if build.is_dir() else []) == runs_before


def test_bad_bool_names_accepted_values(monkeypatch, capsys):
    from serlib.app import cli

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel started")

    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    assert cli.main(["run", "--only", "01", "-p", "use_demo", "maybe"]) == 2
    err = capsys.readouterr().err
    assert "'use_demo' of 01_eda.ipynb expects bool (accepted values: True, False" in err


@pytest.mark.parametrize("kind, text, value", [
    ("int", "20", 20), ("int", "-1", -1), ("float", "1", 1.0), ("float", "2.5e-3", 2.5e-3),
    ("bool", "True", True), ("bool", "false", False), ("str", "01", "01"), ("str", "1.0", "1.0"),
])
def test_command_line_text_gets_the_declared_type(kind, text, value):
    checked, problems = runner.check_values({"x": text}, {"x": {"inferred_type_name": kind}},
                                            "nb")
    assert problems == [] and checked["x"] == value and type(checked["x"]) is type(value)


@pytest.mark.parametrize("kind, value", [
    ("int", "twenty"), ("int", "2.5"), ("int", True), ("int", 2.5), ("float", "fast"),
    ("float", False), ("bool", "maybe"), ("bool", "1"), ("bool", 1), ("str", 3),
])
def test_impossible_values_are_reported(kind, value):
    _, problems = runner.check_values({"x": value}, {"x": {"inferred_type_name": kind}}, "nb")
    assert problems == [("x", value, kind)]


SPEC = {"use_demo": bool, "rate": float,
        "n_mfcc": {"type": int, "range": (1, 128)},
        "clip_stats": {"type": str, "choices": ["mean", "std", "max"], "sep": ","}}


def test_check_parameters_accepts_good_values():
    good = {"use_demo": False, "rate": 1, "n_mfcc": 40, "clip_stats": "mean,std", "other": 0}
    assert notebook.check_parameters(good, SPEC) is None


@pytest.mark.parametrize("name, value, accepted", [
    ("use_demo", 1, "True or False"), ("use_demo", "True", "True or False"),
    ("n_mfcc", 0, "from 1 to 128"), ("n_mfcc", 20.0, "int"), ("n_mfcc", True, "int"),
    ("rate", "0.5", "float"), ("clip_stats", "mean,median", "one of 'mean', 'std', 'max'"),
])
def test_check_parameters_names_parameter_and_accepted_values(name, value, accepted):
    values = {"use_demo": False, "rate": 0.5, "n_mfcc": 40, "clip_stats": "mean", name: value}
    with pytest.raises(notebook.ParameterError) as info:
        notebook.check_parameters(values, SPEC)
    assert isinstance(info.value, ValueError)
    assert f"parameter {name!r} = {value!r}" in str(info.value) and accepted in str(info.value)


def test_check_parameters_reports_missing_and_bad_spec():
    with pytest.raises(notebook.ParameterError, match="'n_mfcc' is missing"):
        notebook.check_parameters({}, {"n_mfcc": int})
    with pytest.raises(TypeError):
        notebook.check_parameters({"x": 1}, {"x": list})


def test_save_figure_bytes_are_identical(tmp_path: Path):
    def draw() -> plt.Figure:
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1, 4, 9])
        ax.set_title("squares")
        return fig

    fig = draw()
    figures.save_figure(fig, tmp_path / "a", "x")
    figures.save_figure(fig, tmp_path / "b", "x")
    plt.close(fig)
    fig = draw()
    figures.save_figure(fig, tmp_path / "c", "x")
    plt.close(fig)
    saved = [(tmp_path / d / "figures" / "x.png").read_bytes() for d in "abc"]
    assert saved[0] == saved[1] == saved[2]
    assert b"Software" not in saved[0] and b"Matplotlib" not in saved[0]


def test_reports_dir_honours_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.delenv(paths.REPORTS_ENV, raising=False)
    monkeypatch.delenv(paths.DEMO_REPORTS_ENV, raising=False)
    assert paths.reports_dir() == paths.project_root() / "reports"
    assert paths.reports_dir(demo=True) == paths.project_root() / "reports-demo"
    monkeypatch.setenv(paths.REPORTS_ENV, str(tmp_path / "r"))
    assert paths.reports_dir() == tmp_path / "r"
    assert paths.reports_dir(demo=True) == paths.project_root() / "reports-demo"
    monkeypatch.setenv(paths.DEMO_REPORTS_ENV, "build/x")
    assert paths.reports_dir(demo=True) == paths.project_root() / "build" / "x"


def test_shown_paths_are_machine_independent(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path))
    assert paths.shown(tmp_path / "ravdess") == "$SERLIB_DATA/ravdess"
    assert paths.shown(tmp_path) == "$SERLIB_DATA"
    assert paths.shown(paths.project_root() / "data" / "demo") == "data/demo"
    beside = paths.project_root().parent / "shared" / "seed-artifacts"
    assert paths.shown(beside) == "../shared/seed-artifacts"


def _load_module(folder: Path, body: str):
    """Module ``featmod`` from ``folder/featmod.py`` holding ``body`` (a fresh object)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "featmod.py").write_text("import numpy as np\n\n\n" + body)
    spec = importlib.util.spec_from_file_location("featmod", folder / "featmod.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cache_keys_include_the_function_source(tmp_path: Path):
    clip = tmp_path / "clip.bin"
    clip.write_bytes(b"any file: the cache keys its content")
    one = "def feat(path, params):\n    return {'x': np.array([1.0])}\n"
    two = "def feat(path, params):\n    return {'x': np.array([2.0])}\n"
    first = _load_module(tmp_path / "a", one).feat
    edited = _load_module(tmp_path / "b", two).feat
    assert cache.function_key(first).name == cache.function_key(edited).name == "featmod.feat"
    assert cache.function_key(first).code != cache.function_key(edited).code

    def extract(func):
        return extraction.extract([clip], func, {}, n_jobs=1, cache_dir=tmp_path / "cache",
                                progress=False)

    runs = [extract(first), extract(first), extract(edited), extract(edited),
            extract(_load_module(tmp_path / "c", one).feat)]  # unchanged source, new object
    assert [(r.n_computed, r.n_cached) for r in runs] == [(1, 0), (0, 1), (1, 0), (0, 1), (0, 1)]
    assert [float(r.values[0]["x"][0]) for r in runs] == [1.0, 1.0, 2.0, 2.0, 1.0]
    entries = sorted((tmp_path / "cache").rglob("*.npz"))
    assert len(entries) == 2 and {e.parents[1].name for e in entries} == {"featmod.feat"}
    assert np.load(entries[0])["x"].shape == (1,)


def test_a_data_root_that_was_asked_for_and_is_missing_stops_the_run(tmp_path, monkeypatch):
    """No silent stand-ins: a named data root without corpora is an error, never the demo."""
    from serlib.app import notebook

    missing = tmp_path / "no" / "such" / "folder"
    monkeypatch.setenv("SERLIB_DATA", str(missing))
    with pytest.raises(notebook.DataNotFoundError, match="no corpus found in .*folder"):
        notebook.choose_data()
    with pytest.raises(notebook.DataNotFoundError, match="ravdess/, aesdd/, emodb/"):
        notebook.choose_data(str(tmp_path))
    (tmp_path / "ravdess").mkdir()
    assert notebook.choose_data(str(tmp_path)).available == ("ravdess",)
    result = subprocess.run([sys.executable, "-m", "serlib", "run", "--only", "01"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "SERLIB_DATA": str(missing)})
    assert result.returncode == 2
    assert "no corpus found" in result.stderr and str(missing) in result.stderr


def test_a_chapter_needing_a_missing_corpus_is_skipped_with_a_message(project: Path, monkeypatch):
    """A data root with RAVDESS alone (AESDD comes only on request): the AESDD chapter is
    skipped, said so and listed with its reason; the RAVDESS chapters around it run."""
    root = project / "data"
    (root / "ravdess").mkdir(parents=True)
    monkeypatch.setenv(paths.REPORTS_ENV, str(project / "reports"))  # a real data root's reports
    monkeypatch.setattr(runner.notebook, "choose_data",
                        lambda *a, **k: runner.notebook.DataChoice(root, False))
    for name in ("01_eda", "05_keras_cnn_aesdd", "06_cabg_ravdess"):
        make_notebook(project / "notebooks" / f"{name}.ipynb", "print('ran')")
    aesdd_before = (project / "notebooks" / "05_keras_cnn_aesdd.ipynb").read_bytes()
    messages: list[str] = []
    results = runner.run_notebooks(output_dir=project / "notebooks", build_dir=project / "build",
                                   log=messages.append, progress=False, html=False,
                                   profile="class")
    assert [(r.notebook, r.skipped is None) for r in results] == [
        ("01_eda.ipynb", True), ("05_keras_cnn_aesdd.ipynb", False),
        ("06_cabg_ravdess.ipynb", True)]
    skipped = results[1]
    assert "aesdd/" in skipped.skipped and skipped.html is None and skipped.seconds == 0
    said = [m for m in messages if m.startswith("skipping 05_keras_cnn_aesdd.ipynb")]
    assert said and "needs aesdd/" in said[0]
    assert (project / "notebooks" / "05_keras_cnn_aesdd.ipynb").read_bytes() == aesdd_before
    assert "ran" in (project / "notebooks" / "06_cabg_ravdess.ipynb").read_text()


def test_chapter_corpora_follow_the_name_not_the_number():
    assert runner.needed_corpora(Path("05_keras_cnn_aesdd.ipynb")) == ("aesdd",)
    assert runner.needed_corpora(Path("09_keras_cnn_aesdd.ipynb")) == ("aesdd",)
    for name in ("01_eda", "04_baselines", "06_cabg_ravdess", "07_beyond_the_seeds",
                 "08_error_analysis"):
        assert runner.needed_corpora(Path(f"{name}.ipynb")) == ("ravdess",)
    nowhere = runner.notebook.DataChoice(Path("/nowhere"), False)
    assert "aesdd/" in runner.skip_reason(Path("05_keras_cnn_aesdd.ipynb"), nowhere)
    demo = runner.notebook.DataChoice(Path("/nowhere"), True)  # the demo holds every layout
    assert runner.skip_reason(Path("05_keras_cnn_aesdd.ipynb"), demo) is None


def test_class_profile_reaches_only_the_notebooks_that_declare_its_parameters(tmp_path: Path):
    nb = make_notebook(tmp_path / "01_x.ipynb", "print(steps)")
    assert runner.parameters_for(nb, "class") == {}  # declares none of n_jobs, grid, ...
    assert "class" in runner.PROFILES and not runner.PROFILES["class"].get("use_demo")
