"""Each executed notebook has a jupytext percent-format twin (``notebooks/NN_name.py``): the
source people edit and review. The two must hold the same cells."""

from pathlib import Path

import jupytext
import pytest

from serlib.app import runner

NOTEBOOKS = runner.list_notebooks()


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_its_paired_source(nb_path: Path):
    source = nb_path.with_suffix(".py")
    assert source.is_file(), f"{source.name} is missing: jupytext --set-formats ipynb,py:percent"
    executed = jupytext.read(nb_path)
    assert executed.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_in_sync(nb_path: Path):
    executed, edited = jupytext.read(nb_path), jupytext.read(nb_path.with_suffix(".py"))
    assert _cells(executed) == _cells(edited), (
        f"{nb_path.name} and its source {nb_path.with_suffix('.py').name} differ: run the "
        "chapter again (python -m serlib run --only NN) or jupytext --sync")
    tags = [c.metadata.get("tags", []) for c in edited.cells]
    assert tags == [c.metadata.get("tags", []) for c in executed.cells]


def test_sync_check_catches_an_edit(tmp_path: Path):
    nb_path = NOTEBOOKS[0]
    edited = jupytext.read(nb_path.with_suffix(".py"))
    edited.cells[0].source += "\nA sentence added to the source only."
    assert _cells(jupytext.read(nb_path)) != _cells(edited)
