"""The chapters' prose: numbers that describe results are rendered by code cells from the values
just computed (``display(Markdown(...))``), so a re-run on other data updates them with the
outputs; typed markdown holds only qualitative text. And product text speaks to readers: no word
of a goal ("target", a "bar" to meet).

Checked on the jupytext sources ``notebooks/NN_name.py`` (what people edit), markdown cells only.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

from serlib import paths

SOURCES = sorted((paths.project_root() / "notebooks").glob("[0-9][0-9]_*.py"))
#: A percentage typed into markdown: a result number that nothing checks.
PERCENT = re.compile(r"\d+(?:\.\d+)?\s*%")
#: "target" in any form: in these chapters' prose it only ever names a goal to reach.
TARGET = re.compile(r"\btargets?\b", re.IGNORECASE)
#: "bar" as a goal ("meets the bar"); plots keep their bars (error bars, bar charts, progress bars).
BAR = re.compile(r"\bbars?\b", re.IGNORECASE)
PLOT_BAR_BEFORE = ("error", "progress", "horizontal", "vertical", "stacked", "grouped")
PLOT_BAR_AFTER = ("chart", "charts", "plot", "plots", "graph", "graphs")


def markdown_cells(source: Path) -> list[tuple[int, str]]:
    """(cell number, text) of every markdown cell of a jupytext source."""
    nb = jupytext.read(source)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


def is_goal_bar(text: str, match: re.Match) -> bool:
    before = re.findall(r"[A-Za-z]+", text[:match.start()])[-1:]
    after = re.findall(r"[A-Za-z]+", text[match.end():])[:1]
    return not ((before and before[0].lower() in PLOT_BAR_BEFORE)
                or (after and after[0].lower() in PLOT_BAR_AFTER))


def problems(source: Path) -> list[str]:
    """One line per offending phrase: cell number, what it is, and the words around it."""
    found = []
    for number, text in markdown_cells(source):
        flat = " ".join(text.split())
        hits = [("percentage", m) for m in PERCENT.finditer(flat)]
        hits += [("goal word", m) for m in TARGET.finditer(flat)]
        hits += [("goal word", m) for m in BAR.finditer(flat) if is_goal_bar(flat, m)]
        for kind, m in hits:
            context = flat[max(0, m.start() - 40):m.end() + 40]
            found.append(f"cell {number}: {kind} {m.group(0)!r} in '...{context}...'")
    return found


def _param(source: Path):
    return pytest.param(source, id=source.stem)


def test_there_are_sources():
    assert SOURCES, "no notebook sources notebooks/NN_name.py"


@pytest.mark.parametrize("source", [_param(s) for s in SOURCES])
def test_markdown_has_no_typed_results_and_no_goal_words(source: Path):
    found = problems(source)
    assert not found, (f"{source.name}: {len(found)} phrase(s) to render from code or reword:\n"
                       + "\n".join(found))


def test_the_checks_catch_what_they_should(tmp_path: Path):
    sample = tmp_path / "99_sample.py"
    sample.write_text(
        "# %% [markdown]\n# # 99 · sample\n# It scores 85.1 % and meets the bar; the 65 % target.\n"
        "# %% [markdown]\n# Error bars show the spread; a bar chart and a progress bar.\n"
        "# %%\nprint(f'{0.851:.1%}')  # code may print percentages\n")
    found = problems(sample)
    assert len(found) == 4, found
    assert all(line.startswith("cell 0:") for line in found)
