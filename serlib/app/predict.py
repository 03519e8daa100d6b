"""``python -m serlib predict``: classify audio files with a committed (or any) trained model.

One row per file: the predicted emotion, its probability, the probability of every class of the
chosen model and the model's name. A file that cannot be used gets a row with the reason
instead, and the run goes on: the checks are those of ``serlib audit``
(:func:`serlib.data.corpora.probe_audio`: empty, header without data, truncated, not audio), then
"too short for one analysis window of the model's front end" and "no voiced frames".

Models: the ``.pt`` files of :data:`MODEL_FOLDERS` that have a run-store record
(:mod:`serlib.training.runstore`), chosen by name (:func:`list_models`), or any checkpoint by path.
Probabilities come from :func:`serlib.models.cabg.predict_proba`, the function the evaluation uses,
one file at a time, so a file's result never depends on the other files.

The default model normalises each clip's level
(:attr:`serlib.training.torch_training.TrainConfig.gain_norm`),
so a louder or quieter recording of the same speech gets the same answer. It was trained on
RAVDESS only: on other speakers, languages and recording conditions it is less accurate, and
across corpora much less; :func:`serlib.app.predict_warning.warning_text` quotes the cross-corpus
numbers that chapter 07 measured (read from ``reports/results.csv`` when called).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from torch import nn

from serlib import paths
from serlib.data import audio, corpora
from serlib.features import acoustic
from serlib.models import cabg
from serlib.training import runstore

#: The model the command uses when ``--model`` is not given (committed, trained by notebook 07
#: on the seed's hold-out training part with per-utterance gain normalisation, a fixed budget of
#: 60 epochs, last epoch kept).
DEFAULT_MODEL = Path("models") / "cabg" / "random-holdout-8-2_full-gain_fold1_seed999.pt"
#: The default before gain normalisation (notebook 06's validation-selected seed recipe; still
#: listed by ``--list-models``).
PREVIOUS_DEFAULT = Path("models") / "cabg" / "random-holdout-8-2_seed_fold1_seed999.pt"

#: Where the committed models live (relative to the project root).
MODEL_FOLDERS = (Path("models") / "cabg", Path("models") / "mfcc_cnn")

#: Class names of a model by the corpus it was trained on (its record's ``corpus``).
CORPUS_LABELS: dict[str, tuple[str, ...]] = {"ravdess": cabg.EMOTIONS}

#: How ``--list-models`` explains a record's ``selection``.
SELECTION_NOTES = {
    "validation": "kept epoch chosen on a validation split carved from the training part",
    "fixed-budget": "last epoch of a fixed training budget (no validation split)",
    "test-picked": "kept epoch chosen on the test set (optimistic)",
}

LIST_HINT = "list the committed models with `python -m serlib predict --list-models`"

#: Loudest log-mel level (dB, EmoCatcher's scale) below which the voiced part is taken for
#: silence or faint background noise: white noise at -80 dBFS reaches about -52 dB; the
#: quietest of RAVDESS's 1440 clips peaks at -14.5 dB.
SILENCE_DB = -40.0


class NoAudioError(FileNotFoundError):
    """The input holds no audio file at all (missing, empty folder, only other files)."""


class ModelNotFoundError(FileNotFoundError):
    """``--model`` names no committed model and no file."""


def default_model() -> Path:
    """Absolute path of :data:`DEFAULT_MODEL` inside the project."""
    return paths.project_root() / DEFAULT_MODEL


def find_audio(target: Path | str) -> list[Path]:
    """The files to classify: ``target`` itself if it is a file (whatever its extension), or
    every audio file below a folder (extensions libsndfile reads, sorted). Raises
    :class:`NoAudioError` if ``target`` does not exist or a folder holds no audio file."""
    target = Path(target)
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise NoAudioError(f"no such file or folder: {target}")
    files = corpora.list_audio_files(target)
    if not files:
        others = sum(1 for p in target.rglob("*") if p.is_file())
        what = f"it holds {others} other file(s)" if others else "it is empty"
        raise NoAudioError(f"no audio files in {target}: {what} (audio: the extensions "
                           "libsndfile reads, such as .wav, .flac, .ogg, .aiff)")
    return files


@dataclass(frozen=True)
class ModelInfo:
    """A model to predict with: ``name`` (file stem), ``path`` and its run-store ``record``
    (``None`` for a checkpoint without one)."""

    name: str
    path: Path
    record: runstore.RunRecord | None = None


def _record_next_to(path: Path) -> runstore.RunRecord | None:
    try:
        return runstore.read_record(path.parent, path.stem)
    except (runstore.RunStoreError, TypeError, ValueError):
        return None


def list_models() -> list[ModelInfo]:
    """The committed models: every ``.pt`` in :data:`MODEL_FOLDERS` whose record
    ``<name>.json`` exists, sorted by folder and name."""
    found = []
    for folder in MODEL_FOLDERS:
        for path in sorted((paths.project_root() / folder).glob("*.pt")):
            record = _record_next_to(path)
            if record is not None:
                found.append(ModelInfo(path.stem, path, record))
    return found


def models_table() -> pd.DataFrame:
    """:func:`list_models` as a table: name, model, corpus, protocol, fold, recipe, seed,
    selection (how the kept epoch was chosen), kept, and ``default`` (``*`` on the default)."""
    default = default_model().resolve()
    rows = [{"name": m.name, "model": m.record.model, "corpus": m.record.corpus,
             "protocol": m.record.protocol, "fold": m.record.fold, "recipe": m.record.recipe,
             "seed": m.record.seed, "selection": m.record.selection, "kept": m.record.kept,
             "default": "*" if m.path.resolve() == default else ""}
            for m in list_models() if m.record is not None]
    return pd.DataFrame(rows, columns=["name", "model", "corpus", "protocol", "fold", "recipe",
                                       "seed", "selection", "kept", "default"])


def models_text() -> str:
    """What ``predict --list-models`` prints: the table and what each selection means."""
    table = models_table()
    if table.empty:
        return "no committed models (no .pt with a run record in models/cabg, models/mfcc_cnn)"
    notes = [f"  {k}: {v}" for k, v in SELECTION_NOTES.items() if k in set(table["selection"])]
    return "\n".join([table.to_string(index=False), "", "selection:", *notes,
                      "* = the default model; pass a name (without .pt) or a path to --model"])


def resolve_model(name_or_path: Path | str | None = None) -> ModelInfo:
    """The model ``--model`` names: ``None`` = :data:`DEFAULT_MODEL`; an existing file; or a
    committed model's name (with or without ``.pt``). Raises :class:`ModelNotFoundError`
    saying how to list the models."""
    path = Path(name_or_path) if name_or_path is not None else default_model()
    if path.is_file():
        return ModelInfo(path.stem, path, _record_next_to(path))
    name = path.name[:-3] if path.name.endswith(".pt") else path.name
    if path.parent == Path("."):
        for model in list_models():
            if model.name == name:
                return model
    if path.suffix or len(path.parts) > 1:
        raise ModelNotFoundError(f"no model file at {path} and no committed model of that "
                                 f"name; {LIST_HINT}")
    raise ModelNotFoundError(f"unknown model {str(name_or_path)!r}; {LIST_HINT}")


@dataclass(frozen=True)
class FrontEnd:
    """A model's input from a file: ``make(path)`` returns a ``(channels, frames)`` array;
    ``min_seconds`` is the shortest file that fills one analysis window (``window`` says which);
    ``silent`` is the reason given when the input holds no voiced frame; ``level(x)``, when
    given, is the input's loudest level in dB (compared with :data:`SILENCE_DB`)."""

    make: Callable[[str], np.ndarray]
    min_seconds: float
    window: str
    silent: str
    level: Callable[[np.ndarray], float] | None = None


def front_end(model: nn.Module) -> FrontEnd:
    """The input the evaluation feeds ``model``: EmoCatcher's voiced 64-mel log spectrogram at
    22050 Hz (plus deltas when the model was trained with them), or seed 002's 32 MFCCs of 3 s
    from 0.9 s for :class:`serlib.models.mfcc_cnn.MfccCNN`."""
    if isinstance(model, cabg.EmoCatcher):
        from serlib.training import torch_training

        n_fft, n_mels = audio.EMOCATCHER_MEL["n_fft"], audio.EMOCATCHER_MEL["n_mels"]
        deltas = model.input_dim == 3 * n_mels

        def make(path: str) -> np.ndarray:
            logmel = acoustic.emocatcher_input_file(path, {})["logmel"]
            return torch_training.add_deltas(logmel) if deltas and logmel.shape[1] else logmel

        return FrontEnd(make, n_fft / audio.EMOCATCHER_SR,
                        f"one {n_fft}-sample window at {audio.EMOCATCHER_SR} Hz",
                        "no voiced frames: the voice-activity detection found no frame above "
                        "its threshold (silent or constant signal)",
                        lambda x: float(x[:n_mels].max()))
    from serlib.models import mfcc_cnn

    if isinstance(model, mfcc_cnn.MfccCNN):
        params = dict(acoustic.MFCC_PARAMS)
        n_fft, sr = 2048, params["sr"]  # librosa.feature.mfcc's default FFT
        return FrontEnd(lambda path: acoustic.mfcc_input_file(path, params)["mfcc"],
                        params["offset"] + n_fft / sr,
                        f"one {n_fft}-sample window at {sr} Hz after the first "
                        f"{params['offset']} s, which the model skips",
                        f"no voiced frames: the {params['duration']} s the model reads from "
                        f"{params['offset']} s are silent or constant")
    raise TypeError(f"no front end known for {type(model).__name__}")


def load_model(path: Path | str) -> nn.Module:
    """The model in a checkpoint, in eval mode: a notebook-06 ``.pt`` (EmoCatcher or MFCC
    CNN, rebuilt from its config) or an EmoCatcher state_dict (the seed's ``.pth``)."""
    import torch

    from serlib.training import torch_training

    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(ckpt, dict) and "config" in ckpt:
        return torch_training.load_checkpoint(path)[0]
    return cabg.load_state(path)


def checkpoint_classes(path: Path | str) -> tuple[str, ...] | None:
    """The class names a notebook checkpoint stores in its ``meta`` (``classes``: e.g. seed
    002's 7-class model, trained without "sad"), or ``None``."""
    import torch

    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    classes = ckpt.get("meta", {}).get("classes") if isinstance(ckpt, dict) else None
    return tuple(classes) if classes else None


def model_labels(model: nn.Module, record: runstore.RunRecord | None,
                 path: Path | str | None = None) -> tuple[str, ...]:
    """The class names of ``model``: those its checkpoint ``path`` stores, else those of its
    training corpus (:data:`CORPUS_LABELS`; RAVDESS without a record), else ``class_0`` ... ."""
    n = int(model.num_classes)
    stored = checkpoint_classes(path) if path is not None else None
    if stored and len(stored) == n:
        return stored
    labels = CORPUS_LABELS.get(record.corpus if record else "ravdess")
    return labels if labels and len(labels) == n else tuple(f"class_{k}" for k in range(n))


def check_input(path: Path, end: FrontEnd) -> np.ndarray:
    """The model input of ``path`` after :func:`serlib.data.corpora.probe_audio`'s checks, the
    length check and the voiced-frames checks (a constant input; a level below
    :data:`SILENCE_DB`); raises ``ValueError`` with the reason."""
    info = corpora.probe_audio(path)
    if info["duration"] < end.min_seconds:
        raise ValueError(f"too short: {info['duration']:.3f} s of audio; the model's front end "
                         f"needs at least {end.min_seconds:.3f} s ({end.window})")
    x = end.make(str(path))
    if x.shape[1] == 0 or np.all(x == x[:, :1]):
        raise ValueError(end.silent)
    if end.level is not None and (level := end.level(x)) < SILENCE_DB:
        raise ValueError(f"no voiced frames: the loudest frame the voice-activity detection "
                         f"kept is at {level:.0f} dB, below {SILENCE_DB:.0f} dB (silence or "
                         "faint background noise only)")
    return x


def _reason(err: Exception) -> str:
    text = str(err).strip()
    if isinstance(err, ValueError) and text:
        return text
    return f"{type(err).__name__}: {text.splitlines()[-1]}" if text else type(err).__name__


def predict_files(files: Sequence[Path | str], model_path: Path | str | None = None,
                  labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Classify each file on its own (batch of one,
                                      through :func:`serlib.models.cabg.predict_proba`)
    with the model ``model_path`` (a path or a committed model's name; default
    :data:`DEFAULT_MODEL`). ``labels``: class names (default: the model's).

    Returns a table with columns ``path``, ``predicted``, ``probability`` (of the predicted
    class), ``prob_<label>`` for every class, ``model`` (its name) and ``error`` (empty when
    the file was classified; else the reason, and the prediction columns are empty).
    """
    info = resolve_model(model_path)
    model = load_model(info.path)
    labels = tuple(labels) if labels is not None else model_labels(model, info.record, info.path)
    if len(labels) != model.num_classes:
        raise ValueError(f"{len(labels)} labels for a model of {model.num_classes} classes")
    end = front_end(model)
    rows = []
    for path in files:
        row = {"path": str(path), "model": info.name}
        try:
            x = check_input(Path(path), end)
            probs = cabg.predict_proba(model, [x], batch_size=1)[0]
            k = int(np.argmax(probs))
            row.update({"predicted": labels[k], "probability": round(float(probs[k]), 4)})
            row.update({f"prob_{name}": round(float(p), 4)
                        for name, p in zip(labels, probs, strict=True)})
            row["error"] = ""
        except Exception as err:  # an unusable file gets a row, never a crash
            row["error"] = _reason(err)
        rows.append(row)
    columns = ["path", "predicted", "probability", *[f"prob_{n}" for n in labels], "model",
               "error"]
    return pd.DataFrame(rows, columns=columns)


def run(target: Path | str, model_path: Path | str | None = None,
        out: Path | str | None = None) -> pd.DataFrame:
    """What the command does: find the files (:class:`NoAudioError` when there are none),
    classify them, write ``out`` (CSV, error rows included) if given. Returns the table."""
    table = predict_files(find_audio(target), model_path)
    if out is not None:
        write_table(table, out)
    return table


def write_table(table: pd.DataFrame, out: Path | str) -> Path:
    """Write a :func:`predict_files` table as CSV to ``out`` (folders made as needed)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    return out
