"""Seed 001's three PyTorch networks (MLP, 1-D CNN, 2-D CNN), trained and scored honestly.

Seed 001 (mohnikbakht) reports, besides LR and SVMs, an MLP, a 1-D CNN and a 2-D CNN trained
with cross-entropy, Adam (lr 1e-4), ReLU, He initialisation and mini-batches of 8, on its
frame features (50 ms windows, 50 % overlap: MFCC, log-mel, chroma, spectral contrast) and
clip statistics. Its write-up gives no layer sizes (they were in figures), so the
architectures here are small, plausible choices of ours, described in each class.

Protocol (nothing is chosen on a test part). For every fold of a registered protocol
(:mod:`serlib.protocols`): whole validation actors are carved from the fold's training part
(:func:`serlib.experiments.cabg_runs.carve_validation`, 15 %, the run's seed); the network is
trained on
the rest for a fixed maximum number of epochs (:data:`MAX_EPOCHS`) with validation accuracy
logged after every epoch; the epoch count is chosen by :func:`select_epoch` (written down
before any run); a fresh network (same seed) is then trained on the whole training part for
that many epochs and scored on the test part once. Input standardisation statistics come from
the part being fitted only.

Inputs reuse :mod:`serlib.features`: the clip vectors of notebook 02
(:func:`serlib.features.extraction.feature_table`, read from its cache) and the frame features of
:func:`serlib.features.acoustic.frame_features`, cached per file by
:func:`serlib.features.extraction.extract`
through :func:`frame_file`.

The run store (``models/seed001_nets``) keeps, per run, a record (:class:`serlib.training.runstore.
RunRecord`), the test probabilities (``<run>.probs.npy``, rows in the fold's test order) and
the per-epoch log (``<run>.csv``); no weights. ``python -m serlib.experiments.seed001 train``
(re)trains; :func:`evaluate` scores what is stored.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
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
from serlib.features import acoustic, extraction
from serlib.models.seed001_nets import MODELS, build_model, n_parameters
from serlib.training import runstore

PROTOCOLS = ("actor-holdout-22-24", "emobox-6fold")


RECIPE = "seed001"


CORPUS = "ravdess"


#: Seed 001's training settings (its write-up): Adam at this learning rate, mini-batches of 8.
LR = 1e-4


BATCH_SIZE = 8


#: Share of the training part's actors held out for validation (3 of 20 or 21 actors).
VAL_FRAC = 0.15


#: Maximum number of epochs of the selection run per model, fixed before any run.
MAX_EPOCHS: dict[str, int] = {"mlp": 150, "cnn-1d": 60, "cnn-2d": 50}


#: Width (epochs) of the centred moving average of validation accuracy in :func:`select_epoch`.
SMOOTH_EPOCHS = 5


#: Frames kept per clip for the CNNs: 3 s at 22050 Hz with a 512-sample hop.
N_FRAMES = 130


#: Seed 001's frame settings (:class:`serlib.features.acoustic.FrameParams` defaults: notebook
# 02's).
FRAME_PARAMS = acoustic.FrameParams()


LOG_COLUMNS = ["phase", "epoch", "train_loss", "train_acc", "val_acc", "seconds"]


def default_folder() -> Path:
    """The committed run store of these networks: ``<project>/models/seed001_nets``."""
    return paths.project_root() / "models" / "seed001_nets"


def frame_file(path: str, params: dict) -> dict[str, np.ndarray]:
    """Seed 001's frame features of one file, for :func:`serlib.features.extraction.extract`
    (cached):
    ``mfcc``, ``mel`` (log-mel, dB), ``chroma`` and ``contrast`` of
    :func:`serlib.features.acoustic.frame_features`, each ``(rows, frames)``. ``params``: fields of
    :class:`serlib.features.acoustic.FrameParams` (``sr`` in Hz, ``n_fft`` and ``hop_length`` in
    samples; ``stats`` and ``groups`` as lists)."""
    fp = acoustic.FrameParams(**{k: tuple(v) if isinstance(v, list) else v
                                 for k, v in params.items()})
    y, sr = audio.load_audio(path, sr=fp.sr)
    return acoustic.frame_features(y, sr, fp)


def fix_length(frames: np.ndarray, n_frames: int = N_FRAMES) -> np.ndarray:
    """The centred ``n_frames`` of a ``(rows, frames)`` array: cropped equally at both ends
    when longer, padded equally with NaN (filled with 0 after standardisation) when shorter.
    RAVDESS clips last 2.9-5.3 s with silence around the sentence, so the centre keeps it."""
    rows, t = frames.shape
    if t >= n_frames:
        start = (t - n_frames) // 2
        return frames[:, start:start + n_frames].astype(np.float32)
    out = np.full((rows, n_frames), np.nan, dtype=np.float32)
    start = (n_frames - t) // 2
    out[:, start:start + t] = frames
    return out


@dataclass
class Inputs:
    """The networks' inputs for a corpus table, rows in the table's order: ``ids`` (recording
    ids), ``y`` (class numbers into ``classes``), ``speakers``, ``clip`` (``(n, 192)`` clip
    vectors, the MLP's input), ``frames`` (``(n, 187, N_FRAMES)`` MFCC, log-mel, chroma and
    contrast rows, NaN where padded; the CNNs' input) and ``rows`` (group -> row slice)."""

    ids: np.ndarray
    y: np.ndarray
    speakers: np.ndarray
    classes: list[str]
    clip: np.ndarray | None = None
    frames: np.ndarray | None = None
    rows: dict[str, slice] = field(default_factory=dict)

    def for_model(self, model: str) -> np.ndarray:
        """The unstandardised input array of ``model`` (:data:`MODELS`)."""
        if model == "mlp":
            if self.clip is None:
                raise ValueError("these inputs have no clip vectors (prepare them for 'mlp')")
            return self.clip
        if self.frames is None:
            raise ValueError(f"these inputs have no frame features (prepare them for {model!r})")
        if model == "cnn-1d":
            return self.frames
        if model == "cnn-2d":
            return self.frames[:, self.rows["mel"]]
        raise ValueError(f"unknown model {model!r}; accepted: {', '.join(MODELS)}")


def prepare_inputs(table: pd.DataFrame, models: Sequence[str] = MODELS, *, n_jobs: int = 1,
                   use_cache: bool = True, progress: bool = False) -> Inputs:
    """The inputs of ``models`` for every recording of a corpus table (columns ``path``,
    ``id``, ``emotion``, ``speaker``), from the feature cache: clip vectors through
    :func:`serlib.features.extraction.feature_table` (notebook 02's), frame features through
    :func:`frame_file`, cut to :data:`N_FRAMES` by :func:`fix_length`. ``n_jobs``: worker
    processes of the extraction. Raises ``ValueError`` when a file fails."""
    classes = class_names(table)
    lookup = {c: i for i, c in enumerate(classes)}
    out = Inputs(ids=table["id"].astype(str).to_numpy(),
                 y=np.array([lookup[str(e)] for e in table["emotion"]], dtype=np.int64),
                 speakers=table["speaker"].astype(str).to_numpy(), classes=classes)
    if "mlp" in models:
        clip, run = extraction.feature_table(table, FRAME_PARAMS, n_jobs=n_jobs,
                                           use_cache=use_cache, progress=progress)
        if len(run.failed):
            raise ValueError(f"clip features failed for {len(run.failed)} file(s), e.g. "
                             f"{run.failed.iloc[0].to_dict()}")
        out.clip = clip.loc[table.index].to_numpy(np.float32)
    if any(m != "mlp" for m in models):
        params = {k: list(v) if isinstance(v, tuple) else v
                  for k, v in asdict(FRAME_PARAMS).items()}
        run = extraction.extract(table["path"].tolist(), frame_file, params, n_jobs=n_jobs,
                               use_cache=use_cache, progress=progress, desc="frame features")
        if len(run.failed):
            raise ValueError(f"frame features failed for {len(run.failed)} file(s), e.g. "
                             f"{run.failed.iloc[0].to_dict()}")
        start = 0
        for group in FRAME_PARAMS.groups:
            n = run.values[0][group].shape[0]
            out.rows[group] = slice(start, start + n)
            start += n
        out.frames = np.stack([fix_length(np.concatenate([v[g] for g in FRAME_PARAMS.groups]))
                               for v in run.values])
    return out


@dataclass
class Standardizer:
    """Mean and standard deviation per feature (MLP), per row (1-D CNN: per channel; 2-D CNN:
    per mel band), fitted on training rows only; padded (NaN) frames are ignored and become 0."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Standardizer:
        """Statistics of ``x`` (``(n, features)`` or ``(n, rows, frames)``)."""
        axes = (0,) if x.ndim == 2 else (0, 2)
        mean = np.nanmean(x, axis=axes, keepdims=True)
        std = np.nanstd(x, axis=axes, keepdims=True)
        return cls(mean.astype(np.float32), np.where(std > 1e-8, std, 1.0).astype(np.float32))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``x`` standardised, NaN replaced by 0 (float32)."""
        return np.nan_to_num((x - self.mean) / self.std, nan=0.0).astype(np.float32)


def select_epoch(val_acc: Sequence[float], window: int = SMOOTH_EPOCHS) -> int:
    """The selection rule, fixed before any run: the epoch count (1-based) whose validation
    accuracy, averaged over a centred window of ``window`` epochs (truncated at both ends of
    the run), is highest; among equal values the smallest count. Smoothing keeps the choice
    from chasing one lucky epoch on ~180 validation clips."""
    acc = np.asarray(val_acc, dtype=float)
    if acc.size == 0 or np.isnan(acc).all():
        raise ValueError("no validation accuracy to select an epoch on")
    half = window // 2
    smooth = np.array([np.nanmean(acc[max(0, i - half):i + half + 1]) for i in range(acc.size)])
    return int(np.nanargmax(smooth)) + 1


@torch.no_grad()
def predict_proba(model: nn.Module, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Class probabilities (float32, ``(n, classes)``) of standardised inputs, in eval mode
    (every input has the same shape, so batching does not change them)."""
    model.eval()
    out = [torch.softmax(model(torch.from_numpy(x[i:i + batch_size])), dim=1)
           for i in range(0, len(x), batch_size)]
    if not out:
        return np.zeros((0, 0), dtype=np.float32)
    return torch.cat(out).numpy().astype(np.float32)


def train_network(model: str, x_fit: np.ndarray, y_fit: np.ndarray, epochs: int, seed: int, *,
                  x_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
                  n_classes: int = 8, phase: str = "select",
                  log: Callable[[str], None] | None = None) -> tuple[nn.Module, pd.DataFrame]:
    """Train a fresh ``model`` network for ``epochs`` epochs on standardised ``x_fit``:
    cross-entropy, Adam (:data:`LR`), shuffled mini-batches of :data:`BATCH_SIZE`; the
    initialisation and the shuffling follow ``seed``. After each epoch the validation accuracy
    is logged when ``x_val`` is given. Returns the network (last epoch) and its log
    (:data:`LOG_COLUMNS`: ``train_loss`` and ``train_acc`` are means over the epoch's batches,
    in training mode; ``seconds`` is the epoch's wall time)."""
    torch.manual_seed(seed)
    net = build_model(model, x_fit.shape[1:], n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x_fit), torch.from_numpy(np.asarray(y_fit, dtype=np.int64))
    rows = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(len(xt), generator=gen)
        loss_sum, correct = 0.0, 0
        for i in range(0, len(order), BATCH_SIZE):
            batch = order[i:i + BATCH_SIZE]
            logits = net(xt[batch])
            loss = F.cross_entropy(logits, yt[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += float(loss.detach()) * len(batch)
            correct += int((logits.argmax(1) == yt[batch]).sum())
        val_acc = float("nan")
        if x_val is not None and y_val is not None and len(x_val):
            val_acc = float((predict_proba(net, x_val).argmax(1) == np.asarray(y_val)).mean())
        rows.append({"phase": phase, "epoch": epoch, "train_loss": loss_sum / len(xt),
                     "train_acc": correct / len(xt), "val_acc": val_acc,
                     "seconds": time.perf_counter() - start})
        if log is not None and (epoch % 10 == 0 or epoch == epochs):
            log(f"  {phase} epoch {epoch}/{epochs}: loss {rows[-1]['train_loss']:.3f}, train "
                f"acc {rows[-1]['train_acc']:.3f}, val acc {val_acc:.3f}")
    return net, pd.DataFrame(rows, columns=LOG_COLUMNS)


@dataclass
class FoldRun:
    """One run's outcome: the chosen ``epochs``, the validation and test positions, the test
    probabilities (rows in ``test_idx`` order), the log of both phases and wall times (s)."""

    model: str
    seed: int
    epochs: int
    val_idx: np.ndarray
    test_idx: np.ndarray
    probs: np.ndarray
    log: pd.DataFrame
    select_seconds: float
    refit_seconds: float
    n_params: int


def run_fold(model: str, x: np.ndarray, y: np.ndarray, train_idx: np.ndarray,
             test_idx: np.ndarray, groups: np.ndarray, seed: int = 0, *,
             max_epochs: int | None = None, n_classes: int = 8, val_frac: float = VAL_FRAC,
             log: Callable[[str], None] | None = None) -> FoldRun:
    """Train, select, refit and test one network on one fold.

    Args:
        model: :data:`MODELS`.
        x: unstandardised inputs of every recording (:meth:`Inputs.for_model`).
        y: class numbers of every recording; ``y[test_idx]`` is never read for training or
            selection.
        train_idx, test_idx: positions of the fold's training and test parts.
        groups: speaker of every recording (validation actors are whole speakers).
        max_epochs: epochs of the selection run (default :data:`MAX_EPOCHS`).

    Validation actors are carved from ``train_idx``
    (:func:`serlib.experiments.cabg_runs.carve_validation`,
    ``val_frac``, ``seed``); the epoch count is :func:`select_epoch` of the validation curve;
    the refit trains a fresh network (same seed) on all of ``train_idx`` for that many epochs,
    standardised with its own statistics, and predicts ``x[test_idx]`` once.
    """
    from serlib.experiments.cabg_runs import carve_validation

    max_epochs = max_epochs or MAX_EPOCHS[model]
    y = np.asarray(y, dtype=np.int64)
    fit_idx, val_idx = carve_validation(np.asarray(train_idx), y, val_frac, seed,
                                        groups=np.asarray(groups))
    start = time.perf_counter()
    scale = Standardizer.fit(x[fit_idx])
    net, select_log = train_network(model, scale(x[fit_idx]), y[fit_idx], max_epochs, seed,
                                    x_val=scale(x[val_idx]), y_val=y[val_idx],
                                    n_classes=n_classes, phase="select", log=log)
    epochs = select_epoch(select_log["val_acc"])
    select_seconds = time.perf_counter() - start
    start = time.perf_counter()
    train_idx = np.sort(np.asarray(train_idx))
    scale = Standardizer.fit(x[train_idx])
    net, refit_log = train_network(model, scale(x[train_idx]), y[train_idx], epochs, seed,
                                   n_classes=n_classes, phase="refit", log=log)
    probs = predict_proba(net, scale(x[np.asarray(test_idx)]))
    return FoldRun(model, seed, epochs, val_idx, np.asarray(test_idx), probs,
                   pd.concat([select_log, refit_log], ignore_index=True), select_seconds,
                   time.perf_counter() - start, n_parameters(net))


def run_name(protocol: str, model: str, fold: int, seed: int) -> str:
    """``<protocol>_<model>_fold<k>_seed<s>``: the stem of a run's files."""
    return f"{protocol}_{model}_fold{fold}_seed{seed}"


def is_stored(folder: Path | str, name: str) -> bool:
    """Whether run ``name`` has its record, probabilities and log in ``folder``."""
    folder = Path(folder)
    return all((folder / f"{name}{ext}").is_file() for ext in (".json", ".probs.npy", ".csv"))


def write_run(folder: Path | str, protocol: str, fold: int, run: FoldRun, inputs: Inputs,
              corpus: str = CORPUS) -> runstore.RunRecord:
    """Store ``run`` (record, float32 probabilities, per-epoch log) in ``folder``; returns the
    record. The record's ``kept`` names the epoch count and the validation actors."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = run_name(protocol, run.model, fold, run.seed)
    test_ids = inputs.ids[run.test_idx].tolist()
    val_speakers = sorted(set(inputs.speakers[run.val_idx].tolist()))
    n_epochs = int((run.log["phase"] == "select").sum() + (run.log["phase"] == "refit").sum())
    record = runstore.RunRecord(
        name=name, corpus=corpus, protocol=protocol, fold=int(fold), model=run.model,
        recipe=RECIPE, seed=int(run.seed), selection="validation",
        kept=f"epochs {run.epochs} (validation actors {', '.join(val_speakers)})",
        n_test=len(test_ids), test_ids_sha1=runstore.ids_digest(test_ids),
        seconds_per_epoch=round((run.select_seconds + run.refit_seconds) / n_epochs, 3),
        extra={"classes": list(inputs.classes), "epochs": int(run.epochs),
               "max_epochs": int((run.log["phase"] == "select").sum()),
               "validation_speakers": val_speakers, "n_params": int(run.n_params),
               "select_seconds": round(run.select_seconds, 1),
               "refit_seconds": round(run.refit_seconds, 1),
               "selection_rule": f"best {SMOOTH_EPOCHS}-epoch centred mean validation "
                                 "accuracy, earliest among equals"})
    np.save(folder / f"{name}.probs.npy", run.probs.astype(np.float32))
    run.log.round(6).to_csv(folder / f"{name}.csv", index=False)
    runstore.write_record(folder, record)
    return record


def train(table: pd.DataFrame, protocols: Sequence[str] = PROTOCOLS,
          models: Sequence[str] = MODELS, folder: Path | str | None = None,
          seeds: Sequence[int] = (0,), folds: Sequence[int] | None = None,
          retrain: bool = False, inputs: Inputs | None = None,
          log: Callable[[str], None] | None = print) -> pd.DataFrame:
    """Train every (protocol, model, fold, seed) run that is not stored in ``folder``
    (default :func:`default_folder`; all of them with ``retrain``), in the order of
    ``models``, then ``protocols``, folds and seeds. ``folds`` (the registry's numbers) keeps
    only some folds. Folds come from the registry (:func:`serlib.protocols.registry.fold_indices`).

    Returns one row per run: ``name``, ``status`` (``trained``/``stored``), ``epochs``,
    ``accuracy`` (test, for trained runs) and ``seconds`` (wall time of the run).
    """
    from serlib.protocols import registry

    folder = Path(folder) if folder is not None else default_folder()
    inputs = inputs or prepare_inputs(table, models)
    say = log or (lambda _: None)
    rows = []
    for model in models:
        x = inputs.for_model(model)
        for protocol in protocols:
            for fold in registry.fold_indices(protocol, table):
                if folds is not None and fold.number not in set(folds):
                    continue
                for seed in seeds:
                    name = run_name(protocol, model, fold.number, seed)
                    if is_stored(folder, name) and not retrain:
                        say(f"{name}: stored, skipped")
                        rows.append({"name": name, "status": "stored"})
                        continue
                    say(f"{name}: training ({len(fold.train)} training, {len(fold.test)} "
                        "test clips)")
                    start = time.perf_counter()
                    run = run_fold(model, x, inputs.y, fold.train, fold.test, inputs.speakers,
                                   seed, n_classes=len(inputs.classes), log=log)
                    record = write_run(folder, protocol, fold.number, run, inputs)
                    seconds = time.perf_counter() - start
                    acc = float((run.probs.argmax(1) == inputs.y[run.test_idx]).mean())
                    say(f"{name}: {record.kept}; test accuracy {acc:.3f}; {seconds:.0f} s")
                    rows.append({"name": name, "status": "trained", "epochs": run.epochs,
                                 "accuracy": acc, "seconds": seconds})
    return pd.DataFrame(rows, columns=["name", "status", "epochs", "accuracy", "seconds"])


def evaluate(folder: Path | str, table: pd.DataFrame, protocols: Sequence[str] | None = None,
             models: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score the stored runs of this recipe: :func:`serlib.evaluation.stored_runs.evaluate`
    (ids, classes and probability shapes checked; ``(metrics, predictions)``)."""
    return stored_runs.evaluate(folder, table, RECIPE, protocols, models)


def summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per protocol and model (rows of :func:`evaluate`'s ``metrics``): ``runs``, ``folds``,
    ``seeds``; ``accuracy``/``uar`` and ``accuracy_std``/``uar_std``, the mean and population
    std over folds of each fold's value averaged over its seeds; ``accuracy_seed_std``, the
    population std over seeds of each seed's mean accuracy over folds (NaN with one seed); and
    seed 001's published test accuracy where it has one (actors 22-24). Fractions."""
    published = pd.read_csv(results_table.published_path())
    published = published[(published["corpus"] == CORPUS) & (published["source"] == "seed")
                          & (published["metric"] == "accuracy")]
    seed_acc = {(p, m): v for p, m, v in published[["protocol", "model", "mean"]].to_numpy()}
    rows = []
    for (protocol, model), g in metrics.groupby(["protocol", "model"], sort=False):
        per_fold = g.groupby("fold")[["accuracy", "uar"]].mean()
        per_seed = g.groupby("seed")["accuracy"].mean()
        rows.append({"protocol": protocol, "model": model, "runs": len(g),
                     "folds": len(per_fold), "seeds": g["seed"].nunique(),
                     "accuracy": per_fold["accuracy"].mean(),
                     "accuracy_std": per_fold["accuracy"].std(ddof=0),
                     "uar": per_fold["uar"].mean(), "uar_std": per_fold["uar"].std(ddof=0),
                     "accuracy_seed_std": (per_seed.std(ddof=0) if len(per_seed) > 1
                                           else float("nan")),
                     "published_accuracy": seed_acc.get((protocol, model), float("nan"))})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m serlib.experiments.seed001 {train,evaluate} ...``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m serlib.experiments.seed001",
        description="Seed 001's MLP, 1-D CNN and 2-D CNN on RAVDESS: validation-selected epoch "
                    "count, refit on the training part, one test score per run.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("train", "train the runs that are not stored yet"),
                       ("evaluate", "score the stored runs (ids checked against the registry)")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--protocol", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS,
                       help="protocols (default: both)")
        p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS,
                       help="models (default: all three)")
        p.add_argument("--out", type=Path, default=default_folder(),
                       help="run store folder (default: models/seed001_nets)")
        p.add_argument("--data", type=Path, default=None,
                       help="folder holding ravdess/ (default: $SERLIB_DATA or <project>/data)")
        if name == "train":
            p.add_argument("--seeds", nargs="+", type=int, default=[0], help="default: 0")
            p.add_argument("--folds", nargs="+", type=int, default=None,
                           help="only these fold numbers of the registry (default: all)")
            p.add_argument("--retrain", action="store_true",
                           help="retrain runs that are already stored")
            p.add_argument("--threads", type=int, default=1,
                           help="torch threads (default 1)")
    args = parser.parse_args(argv)
    from serlib.data import corpora

    root = args.data / "ravdess" if args.data else None
    table = corpora.load_ravdess(root).table
    if args.command == "train":
        torch.set_num_threads(args.threads)
        start = time.perf_counter()
        done = train(table, args.protocol, args.models, args.out, args.seeds, args.folds,
                     args.retrain, log=lambda s: print(s, flush=True))
        print(f"{(done['status'] == 'trained').sum()} run(s) trained, "
              f"{(done['status'] == 'stored').sum()} stored; {time.perf_counter() - start:.0f} s")
        return 0
    metrics, _ = evaluate(args.out, table, args.protocol, args.models)
    with pd.option_context("display.width", 120):
        print(metrics.drop(columns="kept").to_string(index=False, float_format="%.3f"))
        print(summary(metrics).to_string(index=False, float_format="%.3f"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
