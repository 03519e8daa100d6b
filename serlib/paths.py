"""Where the project, the data, the caches and the outputs live.

Every path is resolved from the project root (the folder holding ``pyproject.toml``), never from
the working directory: papermill and nbval start kernels in different folders.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "SERLIB_DATA"
CACHE_ENV = "SERLIB_CACHE"
#: Override of the reports folder (real data / demo corpus): ``python -m serlib run`` points the
#: kernels at a staged copy in the build folder and copies back only what a finished notebook
#: wrote.
REPORTS_ENV = "SERLIB_REPORTS"
DEMO_REPORTS_ENV = "SERLIB_REPORTS_DEMO"
CORPORA = ("ravdess", "aesdd", "emodb")


def project_root(start: Path | None = None) -> Path:
    """Return the project root: the nearest folder above ``start`` with a ``pyproject.toml``.

    Falls back to the folder above the installed ``serlib`` package.
    """
    here = Path(start or Path(__file__)).resolve()
    for folder in [here, *here.parents]:
        if (folder / "pyproject.toml").is_file() and (folder / "serlib").is_dir():
            return folder
    return Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """Folder holding ``ravdess/`` and ``aesdd/``: ``$SERLIB_DATA`` if set, else ``<project>/data``.

    A relative ``SERLIB_DATA`` is taken relative to the project root.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        path = Path(env).expanduser()
        return path if path.is_absolute() else (project_root() / path).resolve()
    return project_root() / "data"


def demo_root() -> Path:
    """Folder where the synthetic demo corpus is generated (git-ignored)."""
    return project_root() / "data" / "demo"


def cache_dir() -> Path:
    """Folder of the on-disk feature cache: ``$SERLIB_CACHE`` if set, else ``<project>/.cache``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser().resolve() if env else project_root() / ".cache" / "serlib"


def reports_dir(demo: bool = False) -> Path:
    """Folder for reports. Demo-corpus runs write to ``reports-demo/`` so that they never
    overwrite the committed real-data ``reports/``.

    ``$SERLIB_REPORTS`` (real data) or ``$SERLIB_REPORTS_DEMO`` (demo corpus) replaces the
    folder when set (relative values are taken from the project root).
    """
    env = os.environ.get(DEMO_REPORTS_ENV if demo else REPORTS_ENV)
    if env:
        path = Path(env).expanduser()
        return path if path.is_absolute() else (project_root() / path).resolve()
    return project_root() / ("reports-demo" if demo else "reports")


def build_dir() -> Path:
    """Folder where ``python -m serlib run`` executes notebooks before copying them into place
    (``<project>/build/run``, git-ignored)."""
    return project_root() / "build" / "run"


def artifacts_dir(demo: bool = False) -> Path:
    """Folder for files that notebooks hand to later notebooks (feature tables, predictions,
    models): ``artifacts/`` for the real corpora, ``artifacts-demo/`` for the demo corpus."""
    return project_root() / ("artifacts-demo" if demo else "artifacts")


def relative(path: Path | str) -> Path:
    """``path`` relative to the project root when it lies inside it (for messages)."""
    path = Path(path).resolve()
    root = project_root()
    return path.relative_to(root) if path.is_relative_to(root) else path


def shown(path: Path | str) -> str:
    """``path`` as notebooks print it, the same on every machine: relative to the project root
    when inside it, ``$SERLIB_DATA/...`` when inside the data root given by that variable,
    ``../...`` when beside the project, else the absolute path."""
    path = Path(path).resolve()
    root = project_root()
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix() or "."
    env = os.environ.get(DATA_ENV)
    if env:
        data = data_root().resolve()
        if path.is_relative_to(data):
            rest = path.relative_to(data).as_posix()
            return f"${DATA_ENV}" + ("" if rest == "." else f"/{rest}")
    if path.is_relative_to(root.parent):  # beside the project, e.g. ../shared/seed-artifacts
        return "../" + path.relative_to(root.parent).as_posix()
    return str(path)
