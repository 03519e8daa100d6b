"""Structure of the committed notebooks, and a smoke run of all of them on the demo corpus."""

import json
import re
from pathlib import Path

import papermill
import pytest

from serlib import paths
from serlib.app import runner

NOTEBOOKS = runner.list_notebooks()
ASSIGNMENT = re.compile(r"^(\w+)\s*:\s*\w+\s*=")


def cells(nb_path: Path, kind: str = "code") -> list[dict]:
    nb = json.loads(nb_path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == kind]


def source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def test_there_are_notebooks():
    assert [nb.name[:2] for nb in NOTEBOOKS][:2] == ["01", "02"]


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_layout(nb_path: Path):
    code = cells(nb_path)
    assert json.loads(nb_path.read_text())["metadata"]["kernelspec"]["name"] == "python3"
    assert source(code[0]).startswith("# NBVAL_IGNORE_OUTPUT")
    assert "notebook.versions(" in source(code[0])
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert code.index(tagged[0]) == 1, "the parameters cell follows the setup cell"
    # every annotated assignment is seen by papermill (a '=' in a comment hides a line)
    declared = papermill.inspect_notebook(str(nb_path))
    written = [m.group(1) for line in source(tagged[0]).splitlines()
               if (m := ASSIGNMENT.match(line))]
    assert sorted(declared) == sorted(written)
    assert all(declared[name]["help"] for name in declared), "each parameter has a comment"
    for name in ("data_root", "use_demo", "smoke"):
        assert name in declared
    assert "choose_data(" in source(code[2]) or "choose_study(" in source(code[2])
    assert source(cells(nb_path, "markdown")[0]).startswith("# " + nb_path.stem[:2])


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_executed_and_clean(nb_path: Path):
    nb = json.loads(nb_path.read_text())
    assert "papermill" not in nb["metadata"], "strip papermill metadata before committing"
    code = cells(nb_path)
    assert any(c["outputs"] for c in code), "committed without outputs"
    for cell in code:
        assert not (cell["outputs"] and cell["execution_count"] is None)
        assert all(o["output_type"] != "error" for o in cell["outputs"])
        assert "papermill" not in cell.get("metadata", {})
    checked = [c for c in code if source(c).startswith("# NBVAL_CHECK_OUTPUT")]
    assert checked, "mark the stable outputs with # NBVAL_CHECK_OUTPUT"
    assert not any(str(paths.project_root()) in json.dumps(c["outputs"]) for c in checked)


@pytest.mark.slow
def test_smoke_run_all_notebooks_on_demo_corpus(tmp_path: Path):
    """The main job's quick profile: every notebook executes on the synthetic corpus."""
    results = runner.run_notebooks(profile="smoke", output_dir=tmp_path, log=lambda *_: None)
    assert [r.notebook for r in results] == [nb.name for nb in NOTEBOOKS]
    for result in results:
        nb = json.loads(result.output.read_text())
        banner = json.dumps(nb["cells"])
        assert "SYNTHETIC DEMO DATA" in banner
        assert result.html is not None and result.html.is_file()
        assert paths.reports_dir(demo=True) in result.html.parents


def test_failing_notebook_is_named(tmp_path: Path, monkeypatch):
    import nbformat

    bad = nbformat.v4.new_notebook()
    bad.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}
    params = nbformat.v4.new_code_cell("data_root: str = ''  # where\nuse_demo: bool = False  # x")
    params.metadata["tags"] = ["parameters"]
    bad.cells = [nbformat.v4.new_code_cell("x = 1"), params,
                 nbformat.v4.new_code_cell("raise ValueError('boom')")]
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(bad, folder / "01_bad.ipynb")
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    monkeypatch.setattr(runner.notebook, "choose_data",
                        lambda *a, **k: runner.notebook.DataChoice(tmp_path, True))
    with pytest.raises(runner.NotebookFailed, match="01_bad.ipynb failed.*ValueError: boom"):
        runner.run_notebooks(output_dir=tmp_path / "out", html=False, log=lambda *_: None)
