"""Speaker normalisation without peeking: a new speaker's statistics from k enrolment clips.

The model is trained on per-speaker standardised log-mels (each TRAINING speaker with the mean
and standard deviation of their own clips, :func:`serlib.features.acoustic.speaker_standardize`).
At test
time a live system knows a new speaker only from what it has heard: here ``k`` clips of that
speaker drawn at random (labels unused), whose statistics standardise the speaker's OTHER clips;
the enrolment clips are not scored. Several draws per ``k`` show how much the choice of clips
matters. The transductive variant (statistics from all the speaker's test clips at once) is the
upper reference, not something a live system can do.

:func:`enrolment_probabilities` returns the model's probabilities for every draw; they are stored
next to the run (``<run>.enrol.npz``, :func:`save_enrolment`) so that the fold weights need not be
kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from torch import nn

#: Enrolment sizes (clips per test speaker) and draws per size of the study.
ENROLMENT_KS: tuple[int, ...] = (1, 5, 10)
N_DRAWS: int = 5


def speaker_statistics(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation over all frames of ``arrays`` (``(channels,
    frames)``, dB), each of shape ``(channels, 1)``."""
    if not len(arrays):
        raise ValueError("speaker_statistics needs at least one clip")
    frames = np.concatenate([np.asarray(a, dtype=np.float64) for a in arrays], axis=-1)
    return frames.mean(axis=-1, keepdims=True), frames.std(axis=-1, keepdims=True)


def standardize_with(arrays: Sequence[np.ndarray], mean: np.ndarray, std: np.ndarray,
                     eps: float = 1e-6) -> list[np.ndarray]:
    """``(a - mean) / (std + eps)`` for every array (float32), as
    :func:`serlib.features.acoustic.speaker_standardize` does with a speaker's own statistics."""
    return [((np.asarray(a) - mean) / (std + eps)).astype(np.float32) for a in arrays]


def enrolment_draws(positions: Sequence[int], speakers: Sequence, k: int, n_draws: int,
                    seed: int = 0) -> list[dict]:
    """For each draw, per speaker of ``positions``, ``k`` enrolment positions chosen at random
    (without replacement; a speaker with fewer than ``k + 1`` clips raises ``ValueError``).
    The draw depends only on ``seed``, ``k``, the draw number and the speaker."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    positions = np.asarray(positions)
    speakers = np.asarray(speakers)
    by_speaker = {s: positions[speakers[positions] == s] for s in pd.unique(speakers[positions])}
    draws = []
    for d in range(n_draws):
        draw = {}
        for s, pos in by_speaker.items():
            if len(pos) <= k:
                raise ValueError(f"speaker {s} has {len(pos)} clips: too few for k={k} "
                                 "enrolment clips and at least one scored clip")
            key = [seed, k, d, *[ord(c) for c in str(s)]]
            draw[s] = np.sort(np.random.default_rng(key).choice(pos, size=k, replace=False))
        draws.append(draw)
    return draws


def enrolment_probabilities(model: nn.Module, logmels: Sequence[np.ndarray],
                            test_idx: Sequence[int], speakers: Sequence,
                            ks: Sequence[int] = ENROLMENT_KS, n_draws: int = N_DRAWS,
                            seed: int = 0, batch_size: int = 64) -> dict[str, np.ndarray]:
    """The model's test probabilities with each test speaker standardised by the statistics of
    ``k`` of their own clips (raw log-mels ``logmels``; labels unused), for every ``k`` and draw.

    Returns ``probs`` ``(len(ks), n_draws, len(test_idx), classes)`` float32 (NaN on the
    enrolment clips, which are not scored), ``enrolled`` (bool, same first three axes), ``ks``
    and ``test_idx``. Also ``transductive``: the probabilities with all of each speaker's test
    clips as statistics (for comparison only)."""
    from serlib.models import cabg

    test_idx = np.asarray(test_idx)
    speakers = np.asarray(speakers)
    n_classes = int(model.num_classes)
    probs = np.full((len(ks), n_draws, len(test_idx), n_classes), np.nan, np.float32)
    enrolled = np.zeros((len(ks), n_draws, len(test_idx)), bool)
    row_of = {int(p): i for i, p in enumerate(test_idx)}
    for a, k in enumerate(ks):
        for d, draw in enumerate(enrolment_draws(test_idx, speakers, k, n_draws, seed)):
            for s, enrol in draw.items():
                mean, std = speaker_statistics([logmels[i] for i in enrol])
                scored = [int(p) for p in test_idx[speakers[test_idx] == s] if p not in set(enrol)]
                p = cabg.predict_proba(model, standardize_with([logmels[i] for i in scored],
                                                               mean, std), batch_size)
                probs[a, d, [row_of[i] for i in scored]] = p
                enrolled[a, d, [row_of[int(i)] for i in enrol]] = True
    transductive = np.zeros((len(test_idx), n_classes), np.float32)
    for s in pd.unique(speakers[test_idx]):
        mine = test_idx[speakers[test_idx] == s]
        mean, std = speaker_statistics([logmels[i] for i in mine])
        transductive[[row_of[int(i)] for i in mine]] = cabg.predict_proba(
            model, standardize_with([logmels[i] for i in mine], mean, std), batch_size)
    return {"probs": probs, "enrolled": enrolled, "ks": np.asarray(ks), "test_idx": test_idx,
            "transductive": transductive}


def enrolment_path(folder: Path | str, run_name: str) -> Path:
    """Where a run's enrolment probabilities are stored: ``<folder>/<run>.enrol.npz``."""
    return Path(folder) / f"{run_name}.enrol.npz"


def save_enrolment(folder: Path | str, run_name: str, stored: dict[str, np.ndarray]) -> Path:
    """Store :func:`enrolment_probabilities`' arrays (probabilities as float16)."""
    path = enrolment_path(folder, run_name)
    np.savez_compressed(path, **{k: v.astype(np.float16) if k in ("probs", "transductive")
                                 else v for k, v in stored.items()})
    return path


def load_enrolment(folder: Path | str, run_name: str) -> dict[str, np.ndarray]:
    """What :func:`save_enrolment` stored (probabilities back as float32). Raises
    ``FileNotFoundError`` naming the run."""
    path = enrolment_path(folder, run_name)
    if not path.is_file():
        raise FileNotFoundError(f"no enrolment probabilities {path}: train the run first")
    with np.load(path) as z:
        return {k: z[k].astype(np.float32) if k in ("probs", "transductive") else z[k]
                for k in z.files}


def enrolment_predictions(stored: dict[str, np.ndarray], k: int, y: Sequence[int],
                          speakers: Sequence, fold: int) -> pd.DataFrame:
    """Per scored clip and draw of enrolment size ``k``: ``fold``, ``replicate`` (the draw),
    ``position``, ``speaker``, ``y_true``, ``y_pred`` (input of
    :func:`serlib.evaluation.results_table.make_rows`; the enrolment clips are left out)."""
    y, speakers = np.asarray(y), np.asarray(speakers)
    a = list(stored["ks"]).index(k)
    idx = stored["test_idx"]
    parts = []
    for d in range(stored["probs"].shape[1]):
        keep = ~stored["enrolled"][a, d]
        parts.append(pd.DataFrame({"fold": fold, "replicate": f"draw{d}", "position": idx[keep],
                                   "speaker": speakers[idx[keep]], "y_true": y[idx[keep]],
                                   "y_pred": stored["probs"][a, d][keep].argmax(1)}))
    return pd.concat(parts, ignore_index=True)


def ensure_enrolment(runs: Sequence, logmels: Sequence[np.ndarray], speakers: Sequence,
                     folder: Path | str, ks: Sequence[int] = ENROLMENT_KS,
                     n_draws: int = N_DRAWS, set_aside: Path | str | None = None,
                     refresh: Sequence[str] = ()) -> list[str]:
    """For every run (:class:`serlib.experiments.cabg_runs.RunSpec`,
                      trained on per-speaker standardised
    inputs) with a checkpoint in ``folder`` and no enrolment file yet, compute and store its
    enrolment probabilities (:func:`enrolment_probabilities` on the RAW ``logmels``, draws
    seeded by the fold). ``set_aside``: move the checkpoint there afterwards (fold weights that
    are not committed). ``refresh``: names of runs trained again, whose enrolment file is
    recomputed even if one exists. Returns the names of the runs done now."""
    from serlib.experiments import cabg_runs
    from serlib.training import torch_training

    done = []
    for run in runs:
        ckpt = cabg_runs.checkpoint_path(folder, run)
        stale = run.name in set(refresh)
        if (enrolment_path(folder, run.name).is_file() and not stale) or not ckpt.is_file():
            continue
        model, _, _ = torch_training.load_checkpoint(ckpt)
        save_enrolment(folder, run.name, enrolment_probabilities(
            model, logmels, run.test_idx, speakers, ks, n_draws, seed=run.fold))
        done.append(run.name)
    if set_aside is not None:
        set_aside_weights(runs, folder, set_aside)
    return done


def set_aside_weights(runs: Sequence, folder: Path | str, target: Path | str) -> list[Path]:
    """Move the checkpoints of ``runs`` from ``folder`` to ``target`` (their test
    probabilities stay, so the runs are still scored); returns the new paths."""
    import shutil

    from serlib.experiments import cabg_runs

    moved = []
    for run in runs:
        ckpt = cabg_runs.checkpoint_path(folder, run)
        if ckpt.is_file():
            Path(target).mkdir(parents=True, exist_ok=True)
            moved.append(Path(shutil.move(str(ckpt), str(Path(target) / ckpt.name))))
    return moved


def fold_accuracy(stored: dict[str, np.ndarray], y: Sequence[int],
                  other: np.ndarray | None = None) -> pd.DataFrame:
    """Per enrolment size ``k`` and draw, the accuracy on the scored clips (the clips left
    after removing the draw's enrolment clips) of the enrolment probabilities, and, with
    ``other`` (another model's test probabilities in the same ``test_idx`` order), of that
    model on the SAME clips (``other_acc``). Columns ``k``, ``draw``, ``n_scored``,
    ``accuracy`` (and ``other_acc``)."""
    y = np.asarray(y)[stored["test_idx"]]
    rows = []
    for a, k in enumerate(stored["ks"]):
        for d in range(stored["probs"].shape[1]):
            keep = ~stored["enrolled"][a, d]
            row = {"k": int(k), "draw": d, "n_scored": int(keep.sum()),
                   "accuracy": float((stored["probs"][a, d][keep].argmax(1) == y[keep]).mean())}
            if other is not None:
                row["other_acc"] = float((other[keep].argmax(1) == y[keep]).mean())
            rows.append(row)
    return pd.DataFrame(rows)
