"""What every notebook does first: print versions, find the data (real corpus or the demo
corpus), and say loudly when it runs on synthetic data.
"""

from __future__ import annotations

import importlib
import os
import platform
import warnings
from dataclasses import dataclass
from pathlib import Path

from serlib import corpora, paths

DEFAULT_PACKAGES = ("numpy", "pandas", "scipy", "librosa", "sklearn", "matplotlib", "seaborn")


def quiet() -> None:
    """Silence known noise in notebook outputs: TensorFlow's C++ log, and warnings that would
    land in checked cells."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*n_fft=.*is too large.*")
    warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm falls back to text


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

    def load(self, name: str) -> corpora.Corpus:
        """Load corpus ``name`` (``ravdess`` or ``aesdd``) from this data root."""
        return corpora.load_corpus(name, self.root / name)

    def banner(self) -> str:
        """Markdown to show at the top of a notebook: a loud warning on synthetic data."""
        if self.is_demo:
            return ("## ⚠️ SYNTHETIC DEMO DATA\n"
                    f"The real corpora were not found, so this run uses serlib's generated demo "
                    f"corpus at `{self.root}`. Its numbers say nothing about real speech; its "
                    f"outputs go to `{self.reports.name}/`, never to the real reports.")
        return f"Running on the real corpora at `{self.root}`."


def real_corpora_present(root: Path) -> bool:
    """True when ``root`` holds both ``ravdess/`` and ``aesdd/`` folders."""
    return all((Path(root) / name).is_dir() for name in paths.CORPORA)


def choose_data(data_root: str | Path = "", use_demo: bool = False, progress: bool = False
                ) -> DataChoice:
    """Decide which data a notebook runs on.

    Args:
        data_root: folder holding ``ravdess/`` and ``aesdd/``; empty = ``$SERLIB_DATA`` or
            ``<project>/data``.
        use_demo: force the synthetic demo corpus even when the real corpora exist.
        progress: show the demo generator's progress bar.

    The real corpora are used when both are present; otherwise the demo corpus is generated
    (once; later calls reuse it) under ``<project>/data/demo``.

    Used in: the setup cell of every notebook.
    """
    root = Path(data_root).expanduser() if str(data_root) else paths.data_root()
    if not use_demo and real_corpora_present(root):
        return DataChoice(root=root.resolve(), is_demo=False)
    from serlib import demo

    demo_dir = paths.demo_root()
    demo.make_demo_corpus(demo_dir, progress=progress)
    return DataChoice(root=demo_dir, is_demo=True)


def player(y, sr: int, playback_sr: int = 11025):
    """An embedded audio player for a signal, resampled to ``playback_sr`` Hz to keep the
    notebook small (a few tens of kB per clip).

    Used in: notebooks/01_eda.ipynb, notebooks/07_error_analysis.ipynb.
    """
    import librosa
    from IPython.display import Audio

    if sr != playback_sr:
        y = librosa.resample(y, orig_sr=sr, target_sr=playback_sr)
    return Audio(data=y, rate=playback_sr, normalize=True)
