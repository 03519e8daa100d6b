"""``python -m serlib predict``: classify audio files with a trained EmoCatcher (CABG) model.

One row per file: the predicted emotion, its probability and the probability of every class.
A file that cannot be read or processed gets a row with the error instead; the run goes on
(seed 002's ``eval.py`` did the same job for its CNN).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from serlib import cabg, corpora, features, paths

#: The model the command uses when ``--model`` is not given (committed, trained by notebook 06
#: on the seed's hold-out training part).
DEFAULT_MODEL = Path("models") / "cabg" / "random-holdout-8-2_seed_fold1_seed999.pt"


def default_model() -> Path:
    """Absolute path of :data:`DEFAULT_MODEL` inside the project."""
    return paths.project_root() / DEFAULT_MODEL


def find_audio(target: Path | str) -> list[Path]:
    """The files to classify: ``target`` itself if it is a file (whatever its extension), or
    every audio file below a folder (extensions libsndfile reads, sorted). Raises
    ``FileNotFoundError`` if ``target`` does not exist."""
    target = Path(target)
    if target.is_file():
        return [target]
    if target.is_dir():
        return corpora.list_audio_files(target)
    raise FileNotFoundError(f"no such file or folder: {target}")


def predict_files(files: Sequence[Path | str], model_path: Path | str | None = None,
                  labels: Sequence[str] = cabg.EMOTIONS) -> pd.DataFrame:
    """Classify each file on its own (batch of one, so a file's result never depends on the
    other files). Input: EmoCatcher's 64-mel log spectrogram at 22050 Hz cut to its voiced
    part (plus deltas when the model was trained with them).

    Returns a table with columns ``path``, ``predicted``, ``probability`` (of the predicted
    class), ``prob_<emotion>`` for every class and ``error`` (empty when the file was
    classified; then the other columns are empty).
    """
    from serlib import training

    model = cabg.load_state(model_path or default_model())
    use_deltas = model.input_dim == 3 * 64
    rows = []
    for path in files:
        row = {"path": str(path)}
        try:
            logmel = features.emocatcher_input_file(str(path), {})["logmel"]
            if logmel.shape[1] == 0:
                raise ValueError("no frames (file too short)")
            x = training.add_deltas(logmel) if use_deltas else logmel
            probs = cabg.predict_proba(model, [x], batch_size=1)[0]
            k = int(np.argmax(probs))
            row.update({"predicted": labels[k], "probability": round(float(probs[k]), 4)})
            row.update({f"prob_{name}": round(float(p), 4)
                        for name, p in zip(labels, probs, strict=True)})
            row["error"] = ""
        except Exception as err:  # an unreadable file gets a row, never a crash
            row["error"] = f"{type(err).__name__}: {str(err).strip().splitlines()[-1]}" \
                if str(err).strip() else type(err).__name__
        rows.append(row)
    columns = ["path", "predicted", "probability", *[f"prob_{n}" for n in labels], "error"]
    return pd.DataFrame(rows, columns=columns)


def run(target: Path | str, model_path: Path | str | None = None,
        out: Path | str | None = None) -> pd.DataFrame:
    """What the command does: find the files, classify them, write ``out`` (CSV) if given.
    Returns the table."""
    table = predict_files(find_audio(target), model_path)
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False)
    return table
