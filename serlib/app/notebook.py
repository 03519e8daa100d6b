"""What every notebook does first: print versions, find the data (real corpus or the demo
corpus), and say loudly when it runs on synthetic data.
"""

from __future__ import annotations

import importlib
import numbers
import os
import platform
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from serlib import paths
from serlib.data import corpora

DEFAULT_PACKAGES = ("numpy", "pandas", "scipy", "librosa", "sklearn", "matplotlib", "seaborn")
#: PNG metadata of inline figures: no "Software" entry (it names the matplotlib version), so
#: the same figure gives the same bytes everywhere (as :data:`serlib.plots.figures.PNG_METADATA`).
INLINE_PNG_METADATA: dict[str, str | None] = {"Software": None}


class ParameterError(ValueError):
    """A notebook parameter has a value the notebook cannot use; the message names the
    parameter and the accepted values."""


def quiet() -> None:
    """Silence known noise in notebook outputs: TensorFlow's C++ log, and warnings that would
    land in checked cells; and make inline figures byte-identical from run to run."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*n_fft=.*is too large.*")
    warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm falls back to text
    _fixed_inline_figures()


def _fixed_inline_figures() -> None:
    """In a Jupyter kernel, have the inline backend write PNGs without version metadata."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.config import InlineBackend
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or "IPKernelApp" not in shell.config:
        return
    config = InlineBackend.instance(parent=shell)
    config.print_figure_kwargs = {**config.print_figure_kwargs, "metadata": INLINE_PNG_METADATA}


def versions(packages: tuple[str, ...] = DEFAULT_PACKAGES) -> str:
    """One line per package with its version (for the first cell of every notebook)."""
    lines = [f"python {platform.python_version()}"]
    import serlib

    lines.append(f"serlib {serlib.__version__}")
    for name in packages:
        try:
            module = importlib.import_module(name)
            lines.append(f"{name} {getattr(module, '__version__', '?')}")
        except ImportError:
            lines.append(f"{name} not installed")
    return "\n".join(lines)


@dataclass
class DataChoice:
    """Which data a notebook runs on: the data root, the corpora, and whether they are the
    synthetic demo corpus."""

    root: Path
    is_demo: bool

    @property
    def reports(self) -> Path:
        """Where this run's reports go: ``reports/`` for real data, ``reports-demo/`` else."""
        return paths.reports_dir(self.is_demo)

    @property
    def artifacts(self) -> Path:
        """Where this run hands files to later notebooks."""
        return paths.artifacts_dir(self.is_demo)

    @property
    def available(self) -> tuple[str, ...]:
        """The corpora this data root holds."""
        return corpora_present(self.root)

    def has(self, name: str) -> bool:
        """Whether this data root holds corpus ``name``."""
        return name in self.available

    def load(self, name: str) -> corpora.Corpus:
        """Load corpus ``name`` (``ravdess``, ``aesdd``, ``emodb``) from this data root; raises
        :class:`serlib.data.corpora.CorpusNotFoundError` saying where it looked when it is not
        there."""
        return corpora.load_corpus(name, self.root / name)

    def banner(self) -> str:
        """Markdown to show at the top of a notebook: a loud warning on synthetic data."""
        if self.is_demo:
            return ("## ⚠️ SYNTHETIC DEMO DATA\n"
                    "The real corpora were not found, so this run uses serlib's generated demo "
                    f"corpus at `{paths.shown(self.root)}`. Its numbers say nothing about real "
                    f"speech; its outputs go to `{self.reports.name}/`, never to the real "
                    "reports.")
        return f"Running on the real corpora at `{paths.shown(self.root)}`."


class DataNotFoundError(FileNotFoundError):
    """A data root that was asked for (``data_root`` or ``$SERLIB_DATA``) holds no corpus."""


def corpora_present(root: Path) -> tuple[str, ...]:
    """The corpora (:data:`serlib.paths.CORPORA`) whose folders ``root`` holds."""
    return tuple(name for name in paths.CORPORA if (Path(root) / name).is_dir())


def real_corpora_present(root: Path) -> bool:
    """True when ``root`` holds both ``ravdess/`` and ``aesdd/`` folders (every chapter's
    corpora)."""
    return all((Path(root) / name).is_dir() for name in ("ravdess", "aesdd"))


def choose_data(data_root: str | Path = "", use_demo: bool = False, progress: bool = False
                ) -> DataChoice:
    """Decide which data a notebook runs on.

    Args:
        data_root: folder holding the corpora (``ravdess/``, ``aesdd/``, ``emodb/``); empty =
            ``$SERLIB_DATA`` or ``<project>/data``.
        use_demo: run on the synthetic demo corpus even when real corpora exist.
        progress: show the demo generator's progress bar.

    No silent stand-ins: a data root that was asked for (``data_root`` or ``$SERLIB_DATA``)
    and holds no corpus raises :class:`DataNotFoundError` saying where it looked. The demo
    corpus (generated once under ``<project>/data/demo``) runs only when asked or when no data
    root was named and ``<project>/data`` holds no corpus; the banner says so.

    Used in: the setup cell of every notebook, ``python -m serlib run``.
    """
    asked = bool(str(data_root)) or bool(os.environ.get(paths.DATA_ENV))
    root = Path(data_root).expanduser() if str(data_root) else paths.data_root()
    if not use_demo:
        if corpora_present(root):
            return DataChoice(root=root.resolve(), is_demo=False)
        if asked:
            where = f"{root}" + (f" (from ${paths.DATA_ENV})" if not str(data_root) else "")
            raise DataNotFoundError(
                f"no corpus found in {where}: looked for "
                + ", ".join(f"{name}/" for name in paths.CORPORA)
                + ". Point data_root or $SERLIB_DATA at the folder holding them, or run with "
                "use_demo=True (python -m serlib run --profile smoke) for the synthetic demo.")
    from serlib.data import demo

    demo_dir = paths.demo_root()
    demo.make_demo_corpus(demo_dir, progress=progress)
    return DataChoice(root=demo_dir, is_demo=True)


#: Sample rate (Hz) of the embedded audio players: the rate the corpora are analysed at and
#: enough for speech (8 kHz bandwidth), about 32 kB per second of audio in a notebook.
PLAYBACK_SR = 16000


def player(y, sr: int, playback_sr: int = PLAYBACK_SR):
    """An embedded audio player for a signal, resampled to ``playback_sr`` Hz (16-bit WAV,
    peak-normalised) to keep the notebook small: about 150 kB of notebook per 3.5 s clip at
    16 kHz.

    Used in: notebooks/01_eda.ipynb, the error-analysis chapter.
    """
    import librosa
    from IPython.display import Audio

    playback_sr = int(playback_sr)
    if sr != playback_sr:
        y = librosa.resample(y, orig_sr=sr, target_sr=playback_sr)
    return Audio(data=y, rate=playback_sr, normalize=True)


#: Python types of :func:`check_parameters`' specs, by the names papermill infers.
TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str}


def _type_ok(value, kind: type) -> bool:
    """``value`` is a ``kind``: bools only True/False, ints for floats too, no bool as int."""
    if kind is bool:
        return isinstance(value, bool)
    if kind is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    return isinstance(value, kind)


def _describe(rule: Mapping) -> str:
    """The accepted values of one spec entry, in words."""
    kind = rule["type"]
    if rule.get("corpus"):
        return CORPUS_ACCEPTED
    if kind is bool:
        return "True or False"
    parts = [kind.__name__]
    if rule.get("choices") is not None:
        each = f" ({rule['sep']!r}-separated)" if rule.get("sep") else ""
        parts.append(f"one of {', '.join(map(repr, rule['choices']))}{each}")
    if rule.get("range") is not None:
        low, high = rule["range"]
        parts.append(f"from {'-inf' if low is None else low} to {'inf' if high is None else high}")
    return ", ".join(parts)


def check_parameters(values: Mapping, spec: Mapping[str, type | Mapping]) -> None:
    """Check a notebook's parameters before any work; raise :class:`ParameterError` listing
    every wrong one with its accepted values.

    Args:
        values: the parameters by name (in a notebook: ``globals()``).
        spec: per name either a type (``int``, ``float``, ``bool``, ``str``) or a dict with
            ``type`` and optionally ``range`` (``(low, high)``, inclusive; ``None`` = open),
            ``choices`` (the accepted values) and ``sep`` (a ``str`` holding a list: each
            ``sep``-separated item must be one of ``choices``); ``{"type": str, "corpus":
            True}``: a corpus name or folder (:func:`check_corpus`).

    Bools accept only ``True``/``False``; a float accepts an int; an int does not accept a
    float or a bool.

    Example, the cell after the ``parameters`` cell::

        notebook.check_parameters(globals(), {
            "use_demo": bool, "smoke": bool, "data_root": str,
            "n_mfcc": {"type": int, "range": (1, 128)},
            "clip_stats": {"type": str, "choices": list(acoustic.STATISTICS), "sep": ","},
        })

    Used in: the cell after every notebook's parameters cell.
    """
    problems = []
    for name, entry in spec.items():
        rule = dict(entry) if isinstance(entry, Mapping) else {"type": entry}
        if rule.get("type") not in TYPES.values():
            raise TypeError(f"spec of {name!r}: type must be one of int, float, bool, str")
        if name not in values:
            problems.append(f"parameter {name!r} is missing; accepted: {_describe(rule)}")
            continue
        value = values[name]
        if rule.get("corpus"):
            try:
                check_corpus(value)
            except (ParameterError, FileNotFoundError) as err:
                problems.append(str(err))
            continue
        if not _type_ok(value, rule["type"]) or not _in_rule(value, rule):
            problems.append(f"parameter {name!r} = {value!r} is not accepted; accepted: "
                            f"{_describe(rule)}")
    if problems:
        raise ParameterError("\n".join(problems))


def _in_rule(value, rule: Mapping) -> bool:
    """``value`` (of the right type) lies in the rule's range and choices."""
    if rule.get("range") is not None:
        low, high = rule["range"]
        if (low is not None and value < low) or (high is not None and value > high):
            return False
    choices: Iterable | None = rule.get("choices")
    if choices is not None:
        items = value.split(rule["sep"]) if rule.get("sep") else [value]
        return all(item in list(choices) for item in items)
    return True


# --------------------------------------------------------------------------------------------
# The corpus a chapter runs on (parameter ``corpus``)
# --------------------------------------------------------------------------------------------
#: Corpora a chapter takes by name (from the data root); any other value must be a folder.
CORPUS_NAMES: tuple[str, ...] = ("ravdess", "aesdd", "emodb")
#: The corpus of the committed chapters: RAVDESS, with their AESDD parts.
DEFAULT_CORPUS = "ravdess"
CORPUS_ACCEPTED = ("one of 'ravdess', 'aesdd', 'emodb', or a corpus folder (holding a "
                   "manifest.csv with columns path,emotion,speaker, or RAVDESS, AESDD or EMO-DB "
                   "file names)")
#: Where a chapter run on another corpus writes its figures and results; set by the runner to
#: its staged copy of ``--out`` (default ``reports/corpora/<corpus>/``).
CORPUS_REPORTS_ENV = "SERLIB_CORPUS_REPORTS"
#: The folder those outputs are copied to when a chapter completes (as the banner shows it).
CORPUS_OUT_ENV = "SERLIB_CORPUS_OUT"
#: First-line marks of chapter cells (after ``# NBVAL_...`` comments) that run only on the
#: default corpus (the rest of the line says what is skipped) or only on another corpus.
DEFAULT_ONLY_MARK = "# default corpus only:"
OTHER_ONLY_MARK = "# other corpora only"


def _looks_like_folder(text: str) -> bool:
    return any(ch in text for ch in "/\\") or text.startswith((".", "~")) or Path(text).exists()


def check_corpus(corpus: str) -> str:
    """The ``corpus`` parameter checked: a name of :data:`CORPUS_NAMES` (lower case), or the
    absolute path of a folder that holds a ``manifest.csv`` or recognisable file names.

    Raises :class:`ParameterError` (not a name and not a folder; the message lists the
    accepted values) or :class:`DataNotFoundError` naming a folder that does not exist or holds
    no corpus."""
    if not isinstance(corpus, str | os.PathLike):
        raise ParameterError(f"parameter 'corpus' = {corpus!r} is not accepted; accepted: "
                             f"{CORPUS_ACCEPTED}")
    text = os.fspath(corpus).strip()
    if text.lower() in CORPUS_NAMES:
        return text.lower()
    if not text or not _looks_like_folder(text):
        raise ParameterError(f"parameter 'corpus' = {corpus!r} is not accepted; accepted: "
                             f"{CORPUS_ACCEPTED}")
    folder = Path(text).expanduser()
    if not folder.is_dir():
        raise DataNotFoundError(f"corpus folder {folder} does not exist (parameter 'corpus'; "
                                f"accepted: {CORPUS_ACCEPTED})")
    if not (folder / "manifest.csv").is_file():
        try:
            corpora.detect_corpus(folder)
        except ValueError as err:
            raise DataNotFoundError(f"corpus folder {folder} holds no manifest.csv and no "
                                    f"recognisable audio file names ({err})") from err
    return str(folder.resolve())


def is_default_corpus(corpus: str) -> bool:
    """Whether ``corpus`` (a checked value, :func:`check_corpus`) is the committed chapters'."""
    return corpus == DEFAULT_CORPUS


@dataclass
class Study:
    """The corpus a chapter runs on: its ``name`` (a manifest corpus is named after its
    folder), the loaded corpus (``main``), whether it is the default (RAVDESS with its AESDD
    parts), the data root, and where the chapter writes (``reports``, ``artifacts``)."""

    name: str
    data: DataChoice
    main: corpora.Corpus
    is_default: bool
    reports: Path
    artifacts: Path
    registered: bool = True

    def banner(self) -> str:
        """Markdown for the top of a chapter: the data banner, and on another corpus where it
        comes from and where the outputs go."""
        if self.is_default:
            return self.data.banner()
        shown = os.environ.get(CORPUS_OUT_ENV) or paths.shown(self.reports)
        return (f"Running on corpus **{self.name}** ({len(self.main.table)} recordings, "
                f"{self.main.table['speaker'].nunique()} speakers) at "
                f"`{paths.shown(self.main.root)}`; figures and results go to "
                f"`{shown}`. Sections written for RAVDESS and the seeds "
                "are skipped, each with a one-line message.")

    def loaded_corpora(self) -> tuple[corpora.Corpus | None, corpora.Corpus | None,
                                      list[corpora.Corpus], str | None]:
        """The corpora a chapter explores: ``(ravdess, aesdd, loaded, note)``. On the default
        corpus RAVDESS and, when the data root holds it, AESDD (``note`` is Markdown saying
        what is skipped without it, else ``None``); on another corpus ``(None, None, [main],
        None)``."""
        if not self.is_default:
            return None, None, [self.main], None
        aesdd = self.data.load("aesdd") if self.data.has("aesdd") else None
        note = None if aesdd is not None else (
            f"**AESDD is not in `{self.data.root.name}/`**, so the AESDD parts of this chapter are "
            "skipped (each says so), and so is the AESDD chapter. AESDD is sent by its authors on "
            "request: `python -m serlib download aesdd` says where to ask and where to put it.")
        return self.main, aesdd, [c for c in (self.main, aesdd) if c is not None], note

    def protocols(self, seed: int = 0) -> dict:
        """The corpus's evaluation protocols (:func:`serlib.protocols.registry.study_protocols`)."""
        from serlib.protocols import registry

        return registry.study_protocols(self.name, self.main.table,
                                         registered=self.registered, seed=seed)


def corpus_reports(name: str, demo: bool = False) -> Path:
    """Where a chapter run on corpus ``name`` (not the default) writes: ``$SERLIB_CORPUS_REPORTS``
    when the runner set it, else ``reports/corpora/<name>`` (``reports-demo/...`` on demo
    data)."""
    env = os.environ.get(CORPUS_REPORTS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return paths.project_root() / ("reports-demo" if demo else "reports") / "corpora" / name


def choose_study(corpus: str = DEFAULT_CORPUS, data_root: str | Path = "", use_demo: bool = False,
                 progress: bool = False) -> Study:
    """Decide which corpus a chapter runs on (its ``corpus`` parameter, :func:`check_corpus`).

    A name is loaded from the data root (:func:`choose_data`: no silent stand-ins; a named
    corpus the root lacks raises :class:`serlib.data.corpora.CorpusNotFoundError` saying where it
    looked). A folder is loaded from its ``manifest.csv`` (labels normalised, named after the
    folder) or recognised from its file names. The default corpus keeps the chapters'
    committed layout (``reports/``, ``artifacts/``); any other writes to
    :func:`corpus_reports` and ``artifacts/corpora/<name>/``.

    Used in: the setup cell of chapters 01-04.
    """
    spec = check_corpus(corpus)
    if spec in CORPUS_NAMES:
        data = choose_data(data_root, use_demo, progress=progress)
        if not data.has(spec):
            raise corpora.CorpusNotFoundError(
                f"corpus {spec!r} was asked for, but {paths.shown(data.root)} holds no {spec}/ "
                f"folder (it holds: {', '.join(data.available) or 'nothing'})")
        main = data.load(spec)
        registered = True
    else:
        folder = Path(spec)
        data = DataChoice(root=folder, is_demo=False)
        if (folder / "manifest.csv").is_file():
            main = corpora.load_manifest(folder / "manifest.csv")
            registered = False
        else:
            kind = corpora.detect_corpus(folder)
            main = corpora.load_corpus(kind, folder)
            registered = True
    if main.table.empty:
        raise DataNotFoundError(f"corpus {main.name} at {main.root} has no usable recording "
                                f"({len(main.skipped)} skipped); see python -m serlib audit")
    default = is_default_corpus(spec)
    if default:
        reports, artifacts = data.reports, data.artifacts
    else:
        reports = corpus_reports(main.name, data.is_demo)
        artifacts = data.artifacts / "corpora" / main.name
    return Study(name=main.name, data=data, main=main, is_default=default, reports=reports,
                 artifacts=artifacts, registered=registered)


def skip_marked_cells(study: Study) -> None:
    """In a Jupyter kernel, make the cells marked :data:`DEFAULT_ONLY_MARK` print one line
    (``skipped on <corpus>: <what>``) instead of running when ``study`` is another corpus, and
    the cells marked :data:`OTHER_ONLY_MARK` do nothing on the default corpus. The mark is a
    comment line among a cell's first comment lines; unmarked cells always run. Outside
    IPython nothing changes.

    Used in: the setup cell of chapters 01-04.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    transforms = shell.input_transformers_post
    transforms[:] = [t for t in transforms if not getattr(t, "_serlib_corpus_marks", False)]
    transforms.append(corpus_cell_filter(study.is_default, study.name))


def corpus_cell_filter(is_default: bool, name: str):
    """The IPython input transformer of :func:`skip_marked_cells` (lines in, lines out)."""

    def transform(lines: list[str]) -> list[str]:
        for line in lines:
            text = line.strip()
            if not text:
                continue
            if not text.startswith("#"):
                break
            if text.startswith(DEFAULT_ONLY_MARK) and not is_default:
                what = text[len(DEFAULT_ONLY_MARK):].strip() or "this cell"
                return [f"print({f'skipped on {name}: {what}'!r})\n"]
            if text.startswith(OTHER_ONLY_MARK) and is_default:
                return ["pass\n"]
        return lines

    transform._serlib_corpus_marks = True  # type: ignore[attr-defined]
    return transform
