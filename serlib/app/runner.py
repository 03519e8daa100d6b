"""Run the notebooks in order with papermill: profiles, parameters, outputs, HTML.

Real-data runs write the executed notebooks back to ``notebooks/`` (what the project commits)
and HTML to ``reports/``; demo-corpus runs write both to ``reports-demo/`` so that they never
overwrite the real results.

Nothing is written into place while a notebook runs. Each run gets a folder
``build/run/<run>/`` (git-ignored) holding the executed notebooks and a staged copy of the reports
folder, which the kernels use as theirs (through ``$SERLIB_REPORTS`` or ``$SERLIB_REPORTS_DEMO``,
see :func:`serlib.paths.reports_dir`). Only when a notebook completes are its executed copy, its
HTML and the report files it changed (figures, ``results.csv``) copied into place; a failed or
interrupted notebook leaves ``notebooks/`` and the reports as they were, and the error names its
copy in the build folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from serlib import paths
from serlib.app import notebook

#: Parameters per profile; a notebook receives only the ones it declares. ``class``: every
#: chapter on the real data it finds (RAVDESS alone is enough), with settings that keep a
#: first run with empty caches to minutes on a two-core laptop (fewer validation folds,
#: smaller grids, fewer bootstrap draws).
PROFILES: dict[str, dict] = {
    "full": {},
    "smoke": {"use_demo": True, "smoke": True, "n_jobs": 2},
    "class": {"n_jobs": 2, "n_val_folds": 3, "random_splits": 5, "grid": "small"},
}
#: Corpora each chapter needs, by its name without the number (so renumbering keeps the
#: entry); a chapter not listed needs :data:`DEFAULT_CORPORA`. The runner skips, with a
#: message, a chapter whose corpus the data root lacks (AESDD is sent by its authors only on
#: request, so many machines hold RAVDESS alone).
CHAPTER_CORPORA: dict[str, tuple[str, ...]] = {
    "keras_cnn_aesdd": ("aesdd",),
}
DEFAULT_CORPORA: tuple[str, ...] = ("ravdess",)
#: Metadata keys papermill writes that change on every run (stripped before saving).
VOLATILE_CELL_KEYS = ("papermill", "execution")
#: Cell id given to papermill's injected-parameters cell (papermill draws a random one).
INJECTED_CELL_ID = "injected-parameters"
#: Environment of the kernels: no progress bars in the stored outputs. ``TQDM_DISABLE`` covers
#: bars created without ``disable=``; a bar given ``disable=False`` explicitly (as
#: ``serlib.features.extraction.extract`` does) ignores it but never draws within ``TQDM_DELAY``
# seconds.
KERNEL_ENV = {"TQDM_DISABLE": "1", "TQDM_DELAY": "1000000000"}
#: Finished (failed or build-only) run folders kept in the build folder.
KEEP_RUNS = 5
#: The values a bool parameter accepts on the command line.
BOOL_TEXT = {"true": True, "false": False}


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names it, the error and its executed copy."""


class RunInterrupted(KeyboardInterrupt):
    """The run was interrupted (Ctrl-C or SIGTERM); the message says what was kept where."""


@dataclass
class RunResult:
    notebook: str
    output: Path
    html: Path | None
    seconds: float
    #: why the chapter was not run (a corpus it needs is missing), else None
    skipped: str | None = None


def needed_corpora(nb: Path) -> tuple[str, ...]:
    """The corpora chapter ``nb`` needs (:data:`CHAPTER_CORPORA`)."""
    name = nb.stem.split("_", 1)[1] if "_" in nb.stem else nb.stem
    return CHAPTER_CORPORA.get(name, DEFAULT_CORPORA)


def skip_reason(nb: Path, data: notebook.DataChoice) -> str | None:
    """Why chapter ``nb`` cannot run on the real data root ``data`` (a corpus it needs is not
    there), or None when it can. The demo corpus holds every corpus's layout: never skipped."""
    if data.is_demo:
        return None
    missing = [c for c in needed_corpora(nb) if not data.has(c)]
    if not missing:
        return None
    return (f"needs {', '.join(f'{c}/' for c in missing)}, which "
            f"{paths.shown(data.root)} does not hold")


def notebooks_dir() -> Path:
    return paths.project_root() / "notebooks"


def list_notebooks(only: Sequence[str] | None = None) -> list[Path]:
    """The numbered notebooks ``NN_name.ipynb`` in order (a chapter that so far exists only
    as its jupytext source ``NN_name.py`` is listed by the ``.ipynb`` it will produce); ``only``
    keeps those whose number or name is listed (``"01"``, ``"1"``, ``"01_eda"``; an item may
    hold several, separated by commas or spaces: ``"01,02"``, ``"03 04"``). Raises
    ``ValueError`` naming the available ones when a selection matches nothing."""
    folder = notebooks_dir()
    stems = {p.stem for p in folder.glob("[0-9][0-9]_*.ipynb")}
    stems |= {p.stem for p in folder.glob("[0-9][0-9]_*.py")}
    found = [folder / f"{stem}.ipynb" for stem in sorted(stems)]
    if not only:
        return found
    wanted = {part for o in only for part in str(o).replace(",", " ").split()}
    if not wanted:
        return found
    chosen = [nb for nb in found
              if nb.stem in wanted or nb.stem[:2] in wanted or nb.stem[:2].lstrip("0") in wanted]
    if not chosen:
        names = ", ".join(nb.stem for nb in found) or "none"
        raise ValueError(f"no notebook matches {sorted(wanted)}; available: {names}")
    return chosen


def parse_text(text: str):
    """Turn a command-line value into int, float, bool or None where it reads as one (for
    parameters whose type papermill cannot infer)."""
    lowered = text.lower()
    if lowered in BOOL_TEXT:
        return BOOL_TEXT[lowered]
    if lowered in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _coerce(value, kind: str, default: str | None):
    """``value`` as a parameter of papermill's inferred type ``kind``; ``ValueError`` if it
    cannot be one. Text (from ``-p NAME VALUE``) is parsed; other values must have the type."""
    if value is None or (isinstance(value, str) and kind != "str"
                         and value.lower() in ("none", "null")):
        if default == "None":
            return None
        raise ValueError
    if kind == "bool":
        if isinstance(value, str) and value.strip().lower() in BOOL_TEXT:
            return BOOL_TEXT[value.strip().lower()]
        if isinstance(value, bool):
            return value
        raise ValueError
    if kind in ("int", "float"):
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, str):
            return int(value) if kind == "int" else float(value)
        if kind == "int" and isinstance(value, int):
            return value
        if kind == "float" and isinstance(value, int | float):
            return float(value)
        raise ValueError
    if kind == "str":
        if isinstance(value, str | os.PathLike):
            return os.fspath(value)
        raise ValueError
    return parse_text(value) if isinstance(value, str) else value


def check_values(values: dict, declared: dict[str, dict], nb_name: str) -> tuple[dict, list]:
    """``values`` converted to the types papermill infers from the parameters cell
    (``declared``: :func:`papermill.inspect_notebook`), and the problems: one
    ``(name, value, type)`` per value that cannot have its parameter's type."""
    checked, problems = {}, []
    for name, value in values.items():
        info = declared[name]
        kind = info.get("inferred_type_name") or "None"
        try:
            checked[name] = _coerce(value, kind, info.get("default"))
        except ValueError:
            problems.append((name, value, kind))
    return checked, problems


def _problem_text(name: str, value, kind: str, notebooks: list[str]) -> str:
    accepted = " (accepted values: True, False; also true, false)" if kind == "bool" else ""
    return (f"parameter {name!r} of {', '.join(notebooks)} expects {kind}{accepted}; "
            f"got {value!r}")


def parameters_for(nb_path: Path, profile: str, overrides: dict | None = None,
                   declared: dict | None = None) -> dict:
    """The parameters to inject into one notebook: the profile's and the overrides, kept only
    where the notebook's ``parameters`` cell declares them and converted to the declared type.
    Raises ``ValueError`` for an unknown profile, and :class:`serlib.app.notebook.ParameterError`
    for a value its parameter's type cannot take (unknown names are checked by the caller)."""

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; accepted: {', '.join(PROFILES)}")
    declared = declared if declared is not None else declared_parameters(nb_path)
    merged = {**PROFILES[profile], **(overrides or {})}
    checked, problems = check_values({k: v for k, v in merged.items() if k in declared},
                                     declared, nb_path.name)
    if problems:
        raise notebook.ParameterError("\n".join(_problem_text(*p, [nb_path.name])
                                                for p in problems))
    return checked


def check_parameters(selected: Sequence[Path], profile: str, overrides: dict | None
                     ) -> dict[str, dict]:
    """Per selected notebook (by stem) the parameters to inject, checked before any kernel
    starts: every override must be declared by some selected notebook and have the type its
    parameters cell gives it there. Raises ``ValueError`` (``ParameterError`` for wrong types)
    listing every problem."""

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; accepted: {', '.join(PROFILES)}")
    declared = {nb.stem: declared_parameters(nb) for nb in selected}
    unknown = set(overrides or {}) - {k for d in declared.values() for k in d}
    if unknown:
        raise ValueError(f"parameter(s) {sorted(unknown)} are declared by none of "
                         f"{[nb.stem for nb in selected]}")
    merged = {**PROFILES[profile], **(overrides or {})}
    params, grouped = {}, {}
    for nb in selected:
        wanted = {k: v for k, v in merged.items() if k in declared[nb.stem]}
        params[nb.stem], problems = check_values(wanted, declared[nb.stem], nb.name)
        for name, value, kind in problems:
            grouped.setdefault((name, repr(value), kind), (value, []))[1].append(nb.name)
    if grouped:
        raise notebook.ParameterError("\n".join(
            _problem_text(name, value, kind, names)
            for (name, _, kind), (value, names) in grouped.items()))
    return params


def merge_streams(outputs: list[dict]) -> list[dict]:
    """Join consecutive stream outputs of the same name (stdout, stderr) into one, as Jupyter
    and nbval show them: how the kernel happened to flush a cell's prints no longer changes
    the file."""
    merged: list[dict] = []
    for output in outputs:
        if output.get("output_type") != "stream":
            merged.append(output)
            continue
        last = merged[-1] if merged else {}
        if last.get("output_type") == "stream" and last.get("name") == output.get("name"):
            text = "".join(last["text"]) + "".join(output["text"])
            merged[-1] = {**last, "text": text.splitlines(keepends=True)}
        else:
            merged.append({**output, "text": "".join(output["text"]).splitlines(keepends=True)})
    return merged


def strip_volatile(nb_path: Path) -> None:
    """Remove papermill's run metadata (timings, start and end times) from a notebook file,
    keeping outputs and execution counts (nbval needs both); give the injected-parameters
    cell a fixed id (papermill draws a random one on every run); merge split stream outputs
    (:func:`merge_streams`)."""
    nb = json.loads(nb_path.read_text())
    nb.get("metadata", {}).pop("papermill", None)
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        for key in VOLATILE_CELL_KEYS:
            meta.pop(key, None)
        if "injected-parameters" in meta.get("tags", []) and "id" in cell:
            cell["id"] = INJECTED_CELL_ID
        if cell.get("outputs"):
            cell["outputs"] = merge_streams(cell["outputs"])
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def export_html(nb_path: Path, html_path: Path) -> Path:
    """Render an executed notebook to a standalone HTML file (figures embedded)."""
    from nbconvert import HTMLExporter

    html_path.parent.mkdir(parents=True, exist_ok=True)
    body, _ = HTMLExporter().from_filename(str(nb_path))
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _digest(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def _same_file(a: Path, b: Path) -> bool:
    return b.is_file() and a.stat().st_size == b.stat().st_size and _digest(a) == _digest(b)


def _copy_into_place(src: Path, dst: Path) -> bool:
    """Copy ``src`` over ``dst`` atomically (temporary file, then rename) unless their bytes
    are equal; True if ``dst`` changed."""
    if _same_file(src, dst):
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        shutil.copy2(src, tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return True


@dataclass
class StagedReports:
    """A copy of a reports folder that the kernels write to; :meth:`install` copies back what
    they changed since the copy (or the last install), and nothing else."""

    live: Path
    staged: Path
    skip: Path | None = None
    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, live: Path, staged: Path, skip: Path | None = None) -> StagedReports:
        """Copy ``live`` to ``staged`` (without ``skip``, e.g. the demo runs' notebooks)."""
        skip = skip.resolve() if skip else None
        if live.is_dir():
            shutil.copytree(live, staged, ignore=lambda folder, names: [
                n for n in names if skip is not None and (Path(folder) / n).resolve() == skip])
        staged.mkdir(parents=True, exist_ok=True)
        stage = cls(live=live, staged=staged, skip=skip)
        stage.seen = stage._digests()
        return stage

    def _digests(self) -> dict[str, str]:
        return {p.relative_to(self.staged).as_posix(): _digest(p)
                for p in sorted(self.staged.rglob("*")) if p.is_file()}

    def changed(self) -> list[str]:
        """Files (relative paths) written or changed in the staged copy since the last look."""
        now = self._digests()
        return [rel for rel, digest in now.items() if self.seen.get(rel) != digest]

    def install(self) -> list[Path]:
        """Copy the changed files into the live folder; returns the live files that changed."""
        written = []
        for rel in self.changed():
            if _copy_into_place(self.staged / rel, self.live / rel):
                written.append(self.live / rel)
        self.seen = self._digests()
        return written


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while files are copied into place (delivered afterwards), so an
    interruption never leaves half a notebook's files installed."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # no pthread_sigmask (Windows)
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt (as Ctrl-C) while the run lasts (main thread only)."""
    def on_term(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    try:
        old = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (inherited by the kernels) for the block; restore after."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def kernel_config(sockets: Path | None):
    """Configuration of the kernels' manager: IPC transport with its sockets in the private
    folder ``sockets`` (POSIX, where the path fits), so ipykernel does not warn that it "is
    running over TCP without encryption" and no socket lands in the kernel's working folder."""
    from traitlets.config import Config

    prefix = str(Path(sockets) / "kernel") if sockets is not None else ""
    if os.name != "posix" or not prefix or len(prefix) + len("-99") > 100:  # AF_UNIX: 107
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": prefix}})


def _new_run_dir(root: Path) -> Path:
    """A fresh folder for one run in ``root``; prunes finished runs beyond :data:`KEEP_RUNS`
    (never one whose ``RUNNING`` marker names a live process)."""
    root.mkdir(parents=True, exist_ok=True)
    finished = [d for d in sorted(root.iterdir()) if d.is_dir() and not _is_running(d)]
    for old in finished[:max(0, len(finished) - KEEP_RUNS + 1)]:
        shutil.rmtree(old, ignore_errors=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = root / f"{stamp}-{os.getpid()}"
    run_dir.mkdir()
    (run_dir / "RUNNING").write_text(f"{os.getpid()}\n")
    return run_dir


def _is_running(run_dir: Path) -> bool:
    marker = run_dir / "RUNNING"
    try:
        pid = int(marker.read_text().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def source_notebook(nb: Path):
    """The notebook to execute for ``nb``: its jupytext source ``NN_name.py`` (what people edit
    and review) combined with the committed ``.ipynb``'s cell ids, outputs and execution counts
    (so unchanged cells keep their ids and a one-line edit stays a one-line diff); the
    ``.ipynb`` alone where there is no source."""
    import jupytext
    import nbformat
    from jupytext.combine import combine_inputs_with_outputs

    source = nb.with_suffix(".py")
    if not source.is_file():
        return nbformat.read(nb, as_version=4)
    text = jupytext.read(source)
    if nb.is_file():
        return combine_inputs_with_outputs(text, nbformat.read(nb, as_version=4))
    return text


def declared_parameters(nb: Path) -> dict[str, dict]:
    """The parameters the notebook's ``parameters`` cell declares (name, inferred type,
    default, help), read from its source (:func:`source_notebook`) as papermill reads them."""
    from papermill.inspection import _infer_parameters

    node = source_notebook(nb)
    for cell in node.cells:  # as papermill's loader does: every cell has a tags list
        cell.metadata.setdefault("tags", [])
    return {p.name: p._asdict() for p in _infer_parameters(node)}


def _prepared_input(nb: Path, folder: Path) -> Path:
    """The notebook to run (:func:`source_notebook`) without a stale injected-parameters cell
    (papermill keeps one from an earlier run when no parameters are passed, so the old values
    would run again)."""
    import nbformat

    node = source_notebook(nb)
    node.cells = [c for c in node.cells
                  if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / nb.name
    nbformat.write(node, target)
    return target


@dataclass
class CorpusRun:
    """The corpus of a run (``--corpus``): the checked value passed to the chapters, its name,
    whether it is the default one, and (another corpus) the folder its outputs go to."""

    value: str
    name: str
    is_default: bool
    out: Path | None = None
    #: a corpus of the registry by name (its rows are upserted into the live results file)
    named: bool = True


def corpus_run(corpus: str, out: Path | None = None, demo: bool = False) -> CorpusRun:
    """Check ``corpus`` before any kernel starts (:func:`serlib.app.notebook.check_corpus`: a name,
    or a folder that exists and holds a corpus; ``ParameterError`` or ``DataNotFoundError``
    naming it otherwise) and decide where another corpus's outputs go: ``out``, default
    ``reports/corpora/<name>/`` (a manifest corpus is named after its folder)."""
    from serlib.data import corpora

    value = notebook.check_corpus(corpus)
    if value in notebook.CORPUS_NAMES:
        name, named = value, True
    elif (Path(value) / "manifest.csv").is_file():
        name, named = Path(value).name, False
    else:
        name, named = corpora.detect_corpus(value), False
    default = notebook.is_default_corpus(value)
    if default:
        return CorpusRun(value, name, True, None, named)
    folder = Path(out).expanduser().resolve() if out else (
        paths.project_root() / ("reports-demo" if demo else "reports") / "corpora" / name)
    notebooks = notebooks_dir().resolve()
    if folder == notebooks or folder.is_relative_to(notebooks):
        raise ValueError(f"--out {folder}: a run on corpus {name!r} never writes into "
                         f"{paths.relative(notebooks)}/; choose another folder")
    return CorpusRun(value, name, False, folder, named)


def _merge_corpus_rows(staged: Path, live: Path, name: str) -> int:
    """Upsert the rows of corpus ``name`` from the staged results file into the live one
    (rows of other corpora there stay as they are); returns how many rows were written."""
    from serlib.evaluation import results_table

    table = results_table.read_results(staged)
    rows = table[table["corpus"] == name] if len(table) else table
    if not len(rows):
        return 0
    results_table.upsert_results(live, rows.to_dict("records"))
    return len(rows)


def run_notebooks(
    only: Sequence[str] | None = None,
    profile: str = "full",
    overrides: dict | None = None,
    output_dir: Path | None = None,
    html: bool = True,
    log: Callable[[str], object] = print,
    install: bool = True,
    build_dir: Path | None = None,
    progress: bool = True,
    corpus: str | None = None,
    out: Path | None = None,
) -> list[RunResult]:
    """Execute the notebooks in order with papermill; stop at the first failure.

    Args:
        only: notebook numbers or names to run (default all).
        profile: ``full`` (real data where found), ``smoke`` (demo corpus, tiny settings) or
            ``class`` (real data, quick settings; see :data:`PROFILES`).
        overrides: more parameters (``-p name value`` on the command line; text is converted
            to the type each notebook's parameters cell gives the parameter).
        output_dir: where executed copies go; default: ``notebooks/`` for real data, else
            ``reports-demo/notebooks``.
        html: also write ``<reports>/html/NN_name.html`` and the README tables.
        install: copy each completed notebook and its files into place; ``False`` keeps
            everything in the build folder (to inspect or compare runs).
        build_dir: folder of the run folders (default :func:`serlib.paths.build_dir`).
        progress: show a progress bar of cells per notebook on stderr.
        corpus: the corpus of chapters 01-04 (their ``corpus`` parameter): ``ravdess`` (the
            default), ``aesdd``, ``emodb`` or a corpus folder (manifest). Checked before any
            kernel starts. Another corpus than the default runs only the chapters that take a
            corpus (the others are skipped with a message) and writes their executed copies,
            HTML and figures to ``out`` (default ``reports/corpora/<name>/``), never to
            ``notebooks/``; a named corpus's results rows are upserted into
            ``reports/results.csv`` (other corpora's rows stay as they are).
        out: where another corpus's outputs go (see ``corpus``).

    A chapter whose corpus the data root lacks (:data:`CHAPTER_CORPORA`) is skipped with a
    message and listed with its reason (``RunResult.skipped``).

    Every parameter is checked before a kernel starts (``ValueError`` naming the parameter,
    the notebook and the expected type). Raises :class:`NotebookFailed` naming the notebook,
    its error and its executed copy in the build folder, :class:`RunInterrupted` on Ctrl-C or
    SIGTERM; either way the failing notebook's files are not copied into place.

    Used in: python -m serlib run, make run, the smoke tests.
    """
    import papermill
    import tqdm.std  # noqa: F401  (read TQDM_* before the kernels' variables are set)

    selected = list_notebooks(only)
    overrides = dict(overrides or {})
    asked = corpus if corpus is not None else overrides.pop("corpus", None)
    overrides.pop("corpus", None)
    chosen = corpus_run(asked if asked is not None else notebook.DEFAULT_CORPUS, out,
                        demo=bool(PROFILES.get(profile, {}).get("use_demo")))
    takes_corpus = {nb.stem: "corpus" in declared_parameters(nb) for nb in selected}
    if not chosen.is_default and not any(takes_corpus.values()):
        raise ValueError(f"corpus {chosen.name!r}: none of {[nb.stem for nb in selected]} takes "
                         "a corpus parameter (chapters 01-04 do)")
    params_all = _with_corpus(check_parameters(selected, profile, overrides), takes_corpus,
                              chosen, asked is not None)
    sample = params_all[selected[0].stem] if selected else {}
    use_demo = bool(PROFILES[profile].get("use_demo") or sample.get("use_demo"))
    if chosen.value in notebook.CORPUS_NAMES:
        data = notebook.choose_data(sample.get("data_root", ""), use_demo=use_demo)
        if not chosen.is_default and not data.has(chosen.value):
            raise notebook.DataNotFoundError(
                f"corpus {chosen.value!r} was asked for, but {paths.shown(data.root)} holds no "
                f"{chosen.value}/ folder (it holds: {', '.join(data.available) or 'nothing'})")
    else:
        data = notebook.DataChoice(root=Path(chosen.value), is_demo=False)
    if data.is_demo and not chosen.is_default and out is None:  # demo outputs: reports-demo/
        chosen = corpus_run(chosen.value, None, demo=True)
    if data.is_demo and profile in ("full", "class"):
        # Without the real corpora the main job runs on the demo corpus: with the quick settings,
        # since retraining every deep model at full length on synthetic data would take hours.
        log("no real corpora found: the demo corpus runs with the smoke settings")
        profile = "smoke"
        params_all = _with_corpus(check_parameters(selected, profile, overrides), takes_corpus,
                                  chosen, asked is not None)
    run_dir = _new_run_dir(Path(build_dir) if build_dir else paths.build_dir())
    env = dict(KERNEL_ENV)
    if chosen.is_default:
        reports = data.reports
        out_dir = Path(output_dir) if output_dir else (
            reports / "notebooks" if data.is_demo else notebooks_dir())
        stage = StagedReports.create(reports, run_dir / reports.name, skip=out_dir)
        env[paths.DEMO_REPORTS_ENV if data.is_demo else paths.REPORTS_ENV] = str(stage.staged)
    else:
        reports = chosen.out
        out_dir = Path(output_dir).resolve() if output_dir else reports / "notebooks"
        if out_dir.is_relative_to(notebooks_dir().resolve()):
            raise ValueError(f"--output-dir {out_dir}: a run on corpus {chosen.name!r} never "
                             f"writes into {paths.relative(notebooks_dir())}/")
        stage = StagedReports.create(reports, run_dir / "corpus-reports", skip=out_dir)
        env[notebook.CORPUS_REPORTS_ENV] = str(stage.staged)
        env[notebook.CORPUS_OUT_ENV] = paths.relative(reports).as_posix()
        # the default reports are not this run's: anything written there stays in the build
        unused = run_dir / "default-reports-unused"
        unused.mkdir()
        env[paths.DEMO_REPORTS_ENV if data.is_demo else paths.REPORTS_ENV] = str(unused)
    live_results = data.reports if chosen.is_default else paths.reports_dir(data.is_demo)
    log(f"profile {profile}: {'DEMO corpus' if data.is_demo else 'real corpora'} at "
        f"{paths.shown(data.root)}"
        + ("" if chosen.is_default else f"; corpus {chosen.name}, outputs to "
           f"{paths.relative(reports)}")
        + f"; build folder {paths.relative(run_dir)}")
    results: list[RunResult] = []
    current: Path | None = None

    def kept(built: Path | None) -> str:
        return _kept_text(results, out_dir, reports, built, install)

    sockets = Path(tempfile.mkdtemp(prefix="serlib-kernel-"))
    config = kernel_config(sockets)
    try:
        with _sigterm_interrupts(), _environment(env):
            for nb in selected:
                reason = (skip_reason(nb, data) if chosen.is_default else
                          None if takes_corpus[nb.stem] else
                          f"takes no corpus parameter (corpus {chosen.name!r} asked for)")
                if reason is not None:
                    log(f"skipping {nb.name}: it {reason}")
                    results.append(RunResult(nb.name, out_dir / nb.name, None, 0.0, reason))
                    continue
                current = nb
                built = run_dir / "notebooks" / nb.name
                built.parent.mkdir(parents=True, exist_ok=True)
                log(f"running {nb.name}  params={params_all[nb.stem]}")
                start = time.perf_counter()
                bar = ({"desc": f"  {nb.stem}", "unit": "cell", "file": sys.stderr}
                       if progress else False)
                source = _prepared_input(nb, run_dir / "input")
                try:
                    papermill.execute_notebook(
                        str(source), str(built), parameters=params_all[nb.stem],
                        kernel_name="python3", cwd=str(nb.parent), progress_bar=bar,
                        log_output=False, config=config)
                except papermill.PapermillExecutionError as err:
                    raise NotebookFailed(
                        f"{nb.name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
                        + kept(built)) from err
                except Exception as err:
                    raise NotebookFailed(f"{nb.name} failed: {type(err).__name__}: {err}"
                                         + kept(built)) from err
                try:
                    strip_volatile(built)
                    page = (export_html(built, stage.staged / "html" / f"{nb.stem}.html")
                            if html else None)
                except Exception as err:
                    raise NotebookFailed(f"{nb.name} ran, but saving it failed: "
                                         f"{type(err).__name__}: {err}"
                                         + kept(built)) from err
                with _signals_deferred():
                    if install:
                        output = out_dir / nb.name
                        changed = _copy_into_place(built, output)
                        written = stage.install()
                        page = reports / "html" / f"{nb.stem}.html" if html else None
                        done = (f"{paths.relative(output)} {'updated' if changed else 'unchanged'}"
                                f", {len(written)} report file(s) updated")
                        if (not chosen.is_default and chosen.named
                                and any(p.name == "results.csv" for p in written)):
                            merged = _merge_corpus_rows(reports, live_results, chosen.name)
                            if merged:
                                done += (f"; {merged} {chosen.name} row(s) upserted into "
                                         f"{paths.relative(live_results)}/results.csv")
                    else:
                        output, done = built, f"kept in {paths.relative(built)}"
                    current = None
                results.append(RunResult(nb.name, output, page, time.perf_counter() - start))
                log(f"  done in {results[-1].seconds:.0f} s; {done}")
            if html and chosen.is_default:
                _write_readme_tables(data, stage, run_dir, install, log)
    except KeyboardInterrupt as err:
        where = (f" while {current.name} ran; its partial copy: "
                 f"{paths.relative(run_dir / 'notebooks' / current.name)}" if current else "")
        raise RunInterrupted(f"interrupted{where}" + kept(None)) from err
    finally:
        (run_dir / "RUNNING").unlink(missing_ok=True)
        shutil.rmtree(sockets, ignore_errors=True)
    if install:
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        log(f"build only: nothing copied into place; everything is in {paths.relative(run_dir)}")
    return results


def _with_corpus(params: dict[str, dict], takes_corpus: dict[str, bool], chosen: CorpusRun,
                 asked: bool) -> dict[str, dict]:
    """``params`` with the checked corpus added for each notebook that takes one (when a corpus
    was asked for; otherwise each keeps its parameters cell's default)."""
    if not asked:
        return params
    return {stem: ({**p, "corpus": chosen.value} if takes_corpus.get(stem) else p)
            for stem, p in params.items()}


def _kept_text(results: list[RunResult], out_dir: Path, reports: Path, built: Path | None,
               install: bool = True) -> str:
    """The lines of a failure message saying what was (not) copied into place."""
    done = ", ".join(r.notebook for r in results if r.skipped is None) if install else ""
    lines = [f"\n  {paths.relative(out_dir)}/ and {paths.relative(reports)}/ "
             + ("keep their files from before this notebook" if install else
                "are untouched (build only)")
             + (f" (copied into place earlier in this run: {done})" if done else "")]
    if built is not None and built.is_file():
        lines.append(f"\n  executed copy with the error: {paths.relative(built)}")
    return "".join(lines)


def _write_readme_tables(data: notebook.DataChoice, stage: StagedReports, run_dir: Path,
                         install: bool, log: Callable[[str], object]) -> None:
    """The headline tables from the staged results: into the staged reports' README.md and,
    for real data, a copy of the top-level README made now; then both into place."""
    from serlib.evaluation import reports as report_pages

    readme = paths.project_root() / "README.md"
    staged_readme = run_dir / "README.md"
    update = not data.is_demo and readme.is_file()
    if update:
        shutil.copy2(readme, staged_readme)
    report_pages.write_readme_tables(stage.staged, readme=staged_readme, update_readme=update,
                                     demo=data.is_demo)
    if not install:
        return
    with _signals_deferred():
        stage.install()
        if update:
            _copy_into_place(staged_readme, readme)
    log(f"wrote {paths.relative(stage.live / 'README.md')}"
        + (" and the README's headline table" if update else ""))
