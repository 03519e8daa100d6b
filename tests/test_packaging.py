"""pyproject.toml declares every third-party package serlib imports (as a dependency or in an
extra), and ships the package's data files."""

import ast
import re
import sys
import tomllib

from serlib import paths

#: import name -> distribution name, where they differ
DISTRIBUTIONS = {"sklearn": "scikit-learn", "IPython": "ipython",
                 "matplotlib_inline": "matplotlib-inline", "adabelief_pytorch": "adabelief-pytorch"}


def _imported_top_level() -> set[str]:
    names = set()
    for path in (paths.project_root() / "serlib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"serlib", "__future__"}


def _declared() -> set[str]:
    project = tomllib.loads((paths.project_root() / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values()
                                       for s in extra]
    return {re.split(r"[<>=!~\[; ]", s, maxsplit=1)[0].lower() for s in specs}


def test_every_import_is_declared():
    imported = {DISTRIBUTIONS.get(n, n).lower().replace("_", "-") for n in _imported_top_level()}
    assert {"torch", "tensorflow", "opensmile", "numpy"} <= imported  # the scan sees the package
    missing = sorted(imported - _declared())
    assert not missing, f"serlib imports {missing} but pyproject.toml does not declare them"


def test_the_scan_would_catch_an_undeclared_import(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "_declared", lambda: {"numpy"})
    imported = {DISTRIBUTIONS.get(n, n).lower() for n in _imported_top_level()}
    assert imported - _declared(), "an undeclared import must show up as missing"
