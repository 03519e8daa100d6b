"""Training EmoCatcher (CABG) on cached inputs: batching with padding and packing, the seed's
optimiser and schedule, augmentations, per-epoch histories, and honest epoch selection.

The seed recomputed every spectrogram from the audio in every epoch and kept the epoch with the
best TEST accuracy. Here inputs come from notebook 02's cache (``features.emocatcher_input_file``)
and the kept epoch is the one with the best accuracy on a VALIDATION split carved from the
training part (ties: lower validation loss). Test metrics are still logged per epoch, only to
show how much picking the epoch on the test set inflates a result.

A *run* trains one model on one (train, validation, test) split with one seed. Checkpoints are
small ``torch.save`` dicts ``{"state_dict", "model_kwargs", "config", "meta"}``; histories are
tables with one row per epoch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from serlib import cabg, runstore

HISTORY_COLUMNS = ["epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss",
                   "test_acc", "seconds"]


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run. Defaults are the seed's (``train.py``): 120
    epochs, batch 32, AdaBelief lr 1e-3 (eps 1e-8, betas 0.9/0.999, weight decay 1e-7, not
    decoupled, not rectified), label smoothing 0.1, ReduceLROnPlateau on the TRAIN loss (factor
    0.7, patience 2, cooldown 3, min lr 1e-6, threshold 1e-3), seed 999; no augmentation.

    Improvements (off by default): ``deltas`` (add first and second time derivatives: 192
    input channels), ``specaugment`` (``freq_masks`` masks of up to ``freq_width`` mel bands and
    ``time_masks`` masks of up to ``time_width`` frames, filled with the clip's mean level),
    ``mixup`` (Beta(alpha, alpha) mixing of pairs within a batch; 0 = off), ``standardize``
    (the CABG model standardises each input channel with the mean and std of the fitted clips,
    stored in the model; the seed feeds raw dB levels), ``gain_norm`` (the CABG model
    subtracts each clip's mean log-mel level in dB before anything else, so that its output
    does not depend on the recording level: :func:`serlib.cabg.gain_normalize`).

    Other models: ``arch`` ``"mfcc-cnn"`` is seed 002's CNN (:mod:`serlib.mfcc_cnn`), trained
    as that seed did with ``optimizer="adam"`` and ``schedule="cosine-restarts"``
    (``CosineAnnealingWarmRestarts`` with a first cycle of ``restart_epochs`` epochs, stepped
    once per epoch).
    """

    epochs: int = 120
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-7
    label_smoothing: float = 0.1
    seed: int = 999
    plateau_factor: float = 0.7
    plateau_patience: int = 2
    plateau_cooldown: int = 3
    min_lr: float = 1e-6
    deltas: bool = False
    specaugment: bool = False
    freq_masks: int = 2
    freq_width: int = 8
    time_masks: int = 2
    time_width: int = 4
    mixup: float = 0.0
    eval_batch_size: int = 64
    arch: str = "cabg"
    optimizer: str = "adabelief"
    schedule: str = "plateau"
    restart_epochs: int = 10
    standardize: bool = False
    gain_norm: bool = False
    #: where the model trains: ``"cpu"`` (default), ``"cuda"``/``"cuda:N"``, or ``"auto"``
    #: (a CUDA device when one is present, else the CPU); results are stored on the CPU
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name, accepted in (("arch", ARCHS), ("optimizer", OPTIMIZERS),
                               ("schedule", SCHEDULES)):
            if getattr(self, name) not in accepted:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; accepted: "
                                 f"{', '.join(accepted)}")
        for name in ("standardize", "gain_norm"):
            if getattr(self, name) and self.arch != "cabg":
                raise ValueError(f"{name} applies to arch 'cabg' only, not {self.arch!r}")
        if self.standardize and self.gain_norm:
            raise ValueError("standardize and gain_norm cannot be combined (the stored input "
                             "statistics would be those of the un-normalised levels)")

    def model_kwargs(self, n_mels: int = 64, num_classes: int = 8, frames: int = 94) -> dict:
        """Constructor arguments of the model (``n_mels``: input rows before deltas;
        ``frames``: input length, used by the fixed-size MFCC CNN only)."""
        if self.arch == "mfcc-cnn":
            return {"n_mfcc": n_mels, "frames": frames, "num_classes": num_classes}
        kwargs = {"input_dim": n_mels * (3 if self.deltas else 1), "num_classes": num_classes}
        if self.standardize:
            kwargs["standardize"] = True
        if self.gain_norm:
            kwargs.update(gain_norm=True, level_channels=n_mels)
        return kwargs


ARCHS = ("cabg", "mfcc-cnn")
OPTIMIZERS = ("adabelief", "adam")
SCHEDULES = ("plateau", "cosine-restarts")


def build_model(arch: str, **model_kwargs) -> nn.Module:
    """A fresh model of ``arch`` (``"cabg"``: :class:`serlib.cabg.EmoCatcher`;
    ``"mfcc-cnn"``: :class:`serlib.mfcc_cnn.MfccCNN`)."""
    if arch == "cabg":
        return cabg.EmoCatcher(**model_kwargs)
    if arch == "mfcc-cnn":
        from serlib.mfcc_cnn import MfccCNN

        return MfccCNN(**model_kwargs)
    raise ValueError(f"unknown arch {arch!r}; accepted: {', '.join(ARCHS)}")


def add_deltas(logmel: np.ndarray) -> np.ndarray:
    """Stack a ``(n_mels, frames)`` log-mel with its first and second time derivatives
    (librosa, width 5, edge frames repeated): ``(3 * n_mels, frames)``."""
    width = 5
    d1 = librosa.feature.delta(logmel, width=width, order=1, mode="nearest")
    d2 = librosa.feature.delta(logmel, width=width, order=2, mode="nearest")
    return np.concatenate([logmel, d1, d2]).astype(np.float32)


def prepare_inputs(arrays: Sequence[np.ndarray], config: TrainConfig) -> list[np.ndarray]:
    """The model inputs of a run: the cached log-mels, with deltas when ``config.deltas``."""
    if config.deltas:
        return [add_deltas(a) for a in arrays]
    return [np.asarray(a, dtype=np.float32) for a in arrays]


def spec_augment(x: torch.Tensor, lengths: torch.Tensor, config: TrainConfig,
                 gen: torch.Generator) -> torch.Tensor:
    """SpecAugment on a padded batch ``(batch, channels, frames)``: frequency and time masks
    inside each clip's true length, filled with the clip's mean level (0 dB would be loud).
    With deltas only the first third (the log-mel) is masked in frequency, and the same bands of
    the deltas. Returns a new tensor."""
    x = x.clone()
    n_mels = x.shape[1] // (3 if config.deltas else 1)
    for i, n in enumerate(lengths.tolist()):
        fill = float(x[i, :n_mels, :n].mean())
        for _ in range(config.freq_masks):
            w = int(torch.randint(0, config.freq_width + 1, (1,), generator=gen))
            f0 = int(torch.randint(0, max(n_mels - w, 1), (1,), generator=gen))
            for part in range(x.shape[1] // n_mels):
                x[i, part * n_mels + f0: part * n_mels + f0 + w, :n] = fill if part == 0 else 0.0
        for _ in range(config.time_masks):
            w = min(int(torch.randint(0, config.time_width + 1, (1,), generator=gen)), n // 4)
            t0 = int(torch.randint(0, max(n - w, 1), (1,), generator=gen))
            x[i, :n_mels, t0:t0 + w] = fill
            x[i, n_mels:, t0:t0 + w] = 0.0
    return x


@torch.no_grad()
def evaluate(model: nn.Module, inputs: Sequence[np.ndarray], labels: Sequence[int],
             batch_size: int = 64, label_smoothing: float = 0.1
             ) -> tuple[float, float, np.ndarray]:
    """Mean loss (over batches, as the seed averages), accuracy and class probabilities of
    ``model`` on inputs in their given order, in zero-padded batches of ``batch_size``."""
    labels = np.asarray(labels)
    probs = cabg.predict_proba(model, list(inputs), batch_size=batch_size)
    if len(labels) == 0:
        return float("nan"), float("nan"), probs
    losses = []
    for start in range(0, len(labels), batch_size):
        p = torch.from_numpy(probs[start:start + batch_size])
        y = torch.from_numpy(labels[start:start + batch_size]).long()
        losses.append(float(F.cross_entropy(torch.log(p.clamp_min(1e-12)), y,
                                            label_smoothing=label_smoothing)))
    return float(np.mean(losses)), float((probs.argmax(1) == labels).mean()), probs


@dataclass
class FitResult:
    """What :func:`fit` returns: the per-epoch ``history``, the validation-selected epoch
    (1-based) with its weights, the last epoch's weights, and the model's constructor
    arguments."""

    history: pd.DataFrame
    best_epoch: int
    best_state: dict
    last_state: dict
    model_kwargs: dict
    config: TrainConfig = field(default_factory=TrainConfig)


def _state_copy(model: nn.Module) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def resolve_device(name: str) -> torch.device:
    """The torch device for a :attr:`TrainConfig.device` setting. Raises ``ValueError`` naming
    the accepted values, or saying that no CUDA device is present."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit()):
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r}: no CUDA device is present here; use 'cpu' or "
                             "'auto'")
        return torch.device(name)
    raise ValueError(f"unknown device {name!r}; accepted: cpu, cuda, cuda:N, auto")


def fit(train_x: Sequence[np.ndarray], train_y: Sequence[int],
        val_x: Sequence[np.ndarray], val_y: Sequence[int],
        test_x: Sequence[np.ndarray] = (), test_y: Sequence[int] = (),
        config: TrainConfig | None = None, num_classes: int = 8,
        log: Callable[[str], None] | None = None) -> FitResult:
    """Train an :class:`~serlib.cabg.EmoCatcher` (or ``config.arch``'s model) on cached inputs.

    Args:
        train_x, val_x, test_x: lists of ``(channels, frames)`` arrays (already prepared with
            :func:`prepare_inputs`); ``test_x`` may be empty.
        train_y, val_y, test_y: integer labels.
        config: hyper-parameters (default: the seed's).
        log: called with one line per epoch.

    Every epoch: one pass over shuffled training batches (zero-padded, packed in the GRU,
    masked in the attention), then evaluation on validation and test. The scheduler steps on
    the training loss, as in the seed (per epoch, with ``cosine-restarts``). The kept epoch
    maximises validation accuracy (ties: lower validation loss); the test set never influences
    it. With an empty validation part the kept model is the last epoch's (a fixed budget,
    chosen before training).
    """
    config = config or TrainConfig()
    torch.manual_seed(config.seed)
    np.random.seed(config.seed % (2 ** 32))
    gen = torch.Generator().manual_seed(config.seed)
    model_kwargs = config.model_kwargs(train_x[0].shape[0] // (3 if config.deltas else 1),
                                       num_classes, frames=train_x[0].shape[1])
    device = resolve_device(config.device)
    model = build_model(config.arch, **model_kwargs)
    if config.standardize:
        model.set_input_stats(train_x)
    model = model.to(device)
    if config.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr,
                                     weight_decay=config.weight_decay)
    else:
        from adabelief_pytorch import AdaBelief

        optimizer = AdaBelief(model.parameters(), lr=config.lr, eps=1e-8, betas=(0.9, 0.999),
                              weight_decay=config.weight_decay, weight_decouple=False,
                              rectify=False, print_change_log=False)
    if config.schedule == "cosine-restarts":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            optimizer, T_0=config.restart_epochs, eta_min=config.min_lr)
    else:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=config.plateau_factor,
            patience=config.plateau_patience, cooldown=config.plateau_cooldown,
            min_lr=config.min_lr, threshold=1e-3)
    criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    train_y_t = torch.as_tensor(np.asarray(train_y), dtype=torch.long)
    n = len(train_x)
    rows, best, best_state = [], None, None
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=gen)
        batches = [order[i:i + config.batch_size] for i in range(0, n, config.batch_size)]
        if len(batches) > 1 and len(batches[-1]) < 2:  # BatchNorm needs 2 samples
            batches = batches[:-1]
        total_loss, correct, seen = 0.0, 0, 0
        for idx in batches:
            x, lengths = cabg.pad_batch([train_x[i] for i in idx.tolist()])
            y = train_y_t[idx]
            if config.specaugment:
                x = spec_augment(x, lengths, config, gen)
            if config.mixup > 0:
                lam = float(np.random.default_rng(int(torch.randint(0, 2**31, (1,),
                                                                    generator=gen)))
                            .beta(config.mixup, config.mixup))
                perm = torch.randperm(len(idx), generator=gen)
                x = lam * x + (1 - lam) * x[perm]
                lengths = torch.maximum(lengths, lengths[perm])
                x, y, y_perm = x.to(device), y.to(device), y[perm].to(device)
                logits = model(x, lengths)
                loss = lam * criterion(logits, y) + (1 - lam) * criterion(logits, y_perm)
            else:
                x, y = x.to(device), y.to(device)
                logits = model(x, lengths)
                loss = criterion(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += float(loss.detach())
            correct += int((logits.argmax(1) == y).sum())
            seen += len(idx)
        train_loss = total_loss / len(batches)
        val_loss, val_acc, _ = evaluate(model, val_x, val_y, config.eval_batch_size,
                                        config.label_smoothing)
        test_loss, test_acc, _ = evaluate(model, test_x, test_y, config.eval_batch_size,
                                          config.label_smoothing)
        row = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"], "train_loss": train_loss,
               "train_acc": correct / seen, "val_loss": val_loss, "val_acc": val_acc,
               "test_loss": test_loss, "test_acc": test_acc,
               "seconds": time.perf_counter() - start}
        if config.schedule == "cosine-restarts":
            scheduler.step()
        else:
            scheduler.step(train_loss)
        rows.append(row)
        if len(val_y) == 0:  # no validation part: the kept model is the last epoch's
            best_epoch = epoch
        elif best is None or (val_acc, -val_loss) > best:
            best, best_state, best_epoch = (val_acc, -val_loss), _state_copy(model), epoch
        if log:
            log(f"epoch {epoch:3d} lr {row['lr']:.2e} train {train_loss:.4f}/{row['train_acc']:.4f}"
                f" val {val_loss:.4f}/{val_acc:.4f} test {test_loss:.4f}/{test_acc:.4f}"
                f" {row['seconds']:.1f}s")
    last_state = _state_copy(model)
    return FitResult(pd.DataFrame(rows, columns=HISTORY_COLUMNS), best_epoch,
                     last_state if best_state is None else best_state, last_state,
                     model_kwargs, config)


def save_checkpoint(path: Path | str, state: dict, model_kwargs: dict, config: TrainConfig,
                    meta: dict | None = None, half: bool = True) -> Path:
    """Save weights with what is needed to rebuild the model. ``half`` stores floating
    tensors as float16 (half the size; :func:`load_checkpoint` casts back to float32, and the
    notebook re-evaluates the stored weights, so every printed number is that of the file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    torch.save({"state_dict": state, "model_kwargs": model_kwargs, "config": asdict(config),
                "meta": meta or {}}, path)
    return path


def load_checkpoint(path: Path | str) -> tuple[nn.Module, TrainConfig, dict]:
    """``(model in eval mode, its TrainConfig, meta)`` from a :func:`save_checkpoint` file
    (checkpoints written before ``arch`` existed are EmoCatcher models)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    config = TrainConfig(**ckpt["config"])
    model = build_model(config.arch, **ckpt["model_kwargs"])
    model.load_state_dict(cabg.float32_state(ckpt["state_dict"]))
    return model.eval(), config, ckpt.get("meta", {})


def seed_row_order(table: pd.DataFrame, row_order_csv: Path | str) -> pd.DataFrame:
    """``table`` (a RAVDESS corpus table) reordered like the seed's metadata table, whose
    order fixes its hold-out split and folds: ``row_order_csv`` lists ``Actor_NN/<name>.wav``;
    rows are matched by file name without extension. Raises ``ValueError`` if any is missing.
    """
    order = pd.read_csv(row_order_csv)["path"].map(lambda p: Path(p).stem)
    stems = table["path"].map(lambda p: Path(p).stem)
    position = pd.Series(range(len(table)), index=stems.to_numpy())
    missing = sorted(set(order) - set(position.index))
    if missing:
        raise ValueError(f"{len(missing)} of the seed's files are not in the table, e.g. "
                         f"{missing[:3]}")
    return table.iloc[position.loc[order.to_numpy()].to_numpy()].reset_index(drop=True)


def carve_validation(train_idx: np.ndarray, y: Sequence, frac: float = 0.1, seed: int = 0,
                     groups: Sequence | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Split a training part into (fit, validation) positional indices.

    Without ``groups``: a stratified random ``frac`` of the clips (speakers shared, like the
    random protocols). With ``groups`` (actors): whole groups, about ``frac`` of them, chosen
    with stratification by class (speaker-independent, like the actor protocols). ``frac`` 0:
    the whole part is fitted and the validation part is empty.
    """
    from sklearn.model_selection import StratifiedGroupKFold, train_test_split

    train_idx = np.asarray(train_idx)
    y = np.asarray(y)
    if frac <= 0:  # no validation: fit on the whole training part
        return np.sort(train_idx), np.array([], dtype=train_idx.dtype)
    if groups is None:
        fit_idx, val_idx = train_test_split(train_idx, test_size=frac, stratify=y[train_idx],
                                            shuffle=True, random_state=seed)
        return np.sort(fit_idx), np.sort(val_idx)
    groups = np.asarray(groups)
    n_splits = max(2, round(1 / frac))
    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    fit_pos, val_pos = next(sgkf.split(np.zeros(len(train_idx)), y[train_idx],
                                       groups[train_idx]))
    return np.sort(train_idx[fit_pos]), np.sort(train_idx[val_pos])


def history_summary(history: pd.DataFrame, last_k: int = 10) -> dict:
    """The numbers a run reports: the validation-selected epoch and its test accuracy, the
    test-picked (optimistic, the seed's way) epoch and accuracy, the last epoch's, and the mean
    test accuracy over the last ``last_k`` epochs (the seed's other number)."""
    h = history.reset_index(drop=True)
    key = list(zip(h["val_acc"], -h["val_loss"], strict=True))
    if h["val_acc"].isna().all():  # no validation part: the last epoch is the kept one
        sel = len(h) - 1
    else:
        sel = max(range(len(h)), key=lambda i: (key[i], -i))  # first epoch among equals
    pick = int(h["test_acc"].to_numpy().argmax())
    return {"val_epoch": int(h.loc[sel, "epoch"]), "val_acc": float(h.loc[sel, "val_acc"]),
            "test_acc_val_selected": float(h.loc[sel, "test_acc"]),
            "test_epoch_picked": int(h.loc[pick, "epoch"]),
            "test_acc_test_picked": float(h.loc[pick, "test_acc"]),
            "test_acc_last": float(h["test_acc"].iloc[-1]),
            "test_acc_last_k_mean": float(h["test_acc"].iloc[-last_k:].mean())}


@dataclass
class RunSpec:
    """One training run of a protocol: its name, fold and seed, and its (fit, validation,
    test) positional indices into the corpus arrays."""

    protocol: str
    fold: int
    seed: int
    fit_idx: np.ndarray
    val_idx: np.ndarray
    test_idx: np.ndarray
    variant: str = "seed"
    #: the test recordings' ids in ``test_idx`` order (checked against a stored run's record)
    test_ids: tuple[str, ...] = ()
    corpus: str = "ravdess"

    @property
    def name(self) -> str:
        return f"{self.protocol}_{self.variant}_fold{self.fold}_seed{self.seed}"

    @property
    def selection(self) -> str:
        """How the run's kept weights are chosen: on its validation part, or the last epoch of
        a fixed budget when it has none."""
        return "validation" if len(self.val_idx) else "fixed-budget"


def make_runs(protocol: str, splits: Sequence[tuple[np.ndarray, np.ndarray]], y: Sequence,
              seeds: Sequence[int], groups: Sequence | None = None, val_frac: float = 0.1,
              variant: str = "seed") -> list[RunSpec]:
    """One :class:`RunSpec` per (split, seed): the validation part is carved from each
    split's training part with :func:`carve_validation` (by ``groups`` when given), with the
    run's seed, so that the test part never selects anything."""
    runs = []
    for k, (train, test) in enumerate(splits, start=1):
        for s in seeds:
            fit_idx, val_idx = carve_validation(train, y, val_frac, seed=s, groups=groups)
            runs.append(RunSpec(protocol, k, s, fit_idx, val_idx, np.asarray(test), variant))
    return runs


def train_run(run: RunSpec, inputs: Sequence[np.ndarray], y: Sequence[int],
              config: TrainConfig, out_dir: Path | str | None = None,
              log: Callable[[str], None] | None = None, save_weights: bool = True,
              augmented: Sequence[Sequence[np.ndarray]] = (), num_classes: int = 8
              ) -> tuple[FitResult, pd.DataFrame]:
    """Train one run and (with ``out_dir``) save ``<name>.pt`` (validation-selected weights,
    unless ``save_weights`` is false) and ``<name>.csv`` (history). Returns the fit and its
    history with run columns added.

    ``augmented``: extra versions of the corpus, each a list aligned with ``inputs`` (e.g.
    speed-perturbed copies); the fitted clips' versions are added to the fitted part (with the
    same labels). Validation and test clips are never augmented.
    """
    y = np.asarray(y)
    cfg = TrainConfig(**{**asdict(config), "seed": run.seed})

    def pick(idx):
        return [inputs[i] for i in idx]

    fit_x = pick(run.fit_idx) + [version[i] for version in augmented for i in run.fit_idx]
    fit_y = np.tile(y[run.fit_idx], 1 + len(augmented))
    result = fit(fit_x, fit_y, pick(run.val_idx), y[run.val_idx],
                 pick(run.test_idx), y[run.test_idx], cfg, num_classes=num_classes, log=log)
    history = result.history.assign(protocol=run.protocol, variant=run.variant, fold=run.fold,
                                    seed=run.seed)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir is not None and save_weights:
        save_checkpoint(checkpoint_path(out_dir, run), result.best_state, result.model_kwargs, cfg,
                        {"protocol": run.protocol, "fold": run.fold, "seed": run.seed,
                         "epoch": result.best_epoch, "n_fit": len(run.fit_idx),
                         "n_val": len(run.val_idx), "n_test": len(run.test_idx),
                         "variant": run.variant})
        save_test_probabilities(run, inputs, out_dir, cfg.eval_batch_size)
    if out_dir is not None:
        history.drop(columns=["seconds"]).to_csv(out_dir / f"{run.name}.csv",
                                                          index=False)
        kept = (f"epoch {result.best_epoch}" if len(run.val_idx)
                else f"last epoch ({len(result.history)})")
        runstore.write_record(out_dir, run_record(
            run, cfg.arch, kept,
            seconds_per_epoch=round(float(result.history["seconds"].mean()), 3)))
    return result, history


def run_record(run: RunSpec, model: str, kept: str, prediction: str = "per-clip",
               seconds_per_epoch: float | None = None) -> runstore.RunRecord:
    """The run store's record of ``run`` (see :mod:`serlib.runstore`)."""
    ids = list(run.test_ids)
    if len(ids) != len(run.test_idx):
        raise ValueError(f"run {run.name}: {len(ids)} test ids for {len(run.test_idx)} test "
                         "clips (build runs with protocol_runs, which attaches the ids)")
    return runstore.RunRecord(
        name=run.name, corpus=run.corpus, protocol=run.protocol, fold=run.fold, model=model,
        recipe=run.variant, seed=run.seed, selection=run.selection, kept=kept,
        n_test=len(ids), test_ids_sha1=runstore.ids_digest(ids), prediction=prediction,
        seconds_per_epoch=seconds_per_epoch)


def load_histories(folder: Path | str, protocol: str, variant: str = "seed") -> pd.DataFrame:
    """All saved histories of ``protocol`` and ``variant`` in ``folder``, concatenated (empty
    if none)."""
    files = sorted(Path(folder).glob(f"{protocol}_{variant}_fold*_seed*.csv"))
    if not files:
        return pd.DataFrame(columns=[*HISTORY_COLUMNS, "protocol", "variant", "fold", "seed"])
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def summarize_protocol(histories: pd.DataFrame, last_k: int = 10,
                       max_epoch: int | None = None) -> pd.DataFrame:
    """One row per (fold, seed) run with :func:`history_summary`'s numbers; ``max_epoch``
    truncates the histories first (the schedule does not depend on the number of epochs, so the
    first 60 epochs of a 120-epoch run are a 60-epoch run)."""
    if max_epoch is not None:
        histories = histories[histories["epoch"] <= max_epoch]
    rows = []
    for (fold, seed), h in histories.groupby(["fold", "seed"], sort=True):
        rows.append({"fold": int(fold), "seed": int(seed), **history_summary(h, last_k)})
    return pd.DataFrame(rows)


PROTOCOLS = ("random-holdout-8-2", "random-5fold", "emobox-6fold", "seed003-actors")


def protocol_runs(protocol: str, table: pd.DataFrame, y: Sequence[int], seeds: Sequence[int],
                  variant: str = "seed", folds: Sequence[int] | None = None,
                  val_frac: float = 0.1, corpus: str = "ravdess") -> list[RunSpec]:
    """The runs of one registered protocol (:mod:`serlib.protocols`, committed fold lists) on
    a corpus table with an ``id`` column, one per (fold, seed). The folds' train and test
    parts come from the registry in their committed order; the validation part is carved from
    each training part with the run's seed (:func:`carve_validation`): a stratified
    ``val_frac`` of the clips where speakers are shared anyway (the random protocols), whole
    speakers where the protocol is speaker-independent (EmoBox's folds); a protocol with a
    development part (seed 003's actors 08, 19, 24) validates on it.

    ``val_frac`` 0: no validation part (a development part is fitted too). ``folds``
    (1-based) keeps only some folds. Each run carries its test recordings' ids, which the run
    store checks when a stored run is scored.

    Raises ``ValueError`` naming the accepted protocols for an unknown name, and
    :class:`serlib.protocols.MissingRecordingsError` when the table lacks listed recordings.
    """
    from serlib import protocols

    try:
        spec = protocols.get_protocol(protocol, corpus)
    except ValueError as err:
        raise ValueError(f"unknown protocol {protocol!r} for {corpus}; accepted: "
                         f"{', '.join(protocols.protocol_names(corpus))}") from err
    y = np.asarray(y)
    ids = table["id"].to_numpy()
    group_column = "actor" if "actor" in table else "speaker"
    groups = (table[group_column].to_numpy() if spec.kind == "speaker-independent" else None)
    runs = []
    for fold in protocols.fold_indices(spec, table):
        if folds is not None and fold.number not in set(folds):
            continue
        for s in seeds:
            if len(fold.dev):
                fit, val = fold.train, fold.dev
                if val_frac <= 0:  # no validation: the development part is fitted too
                    fit, val = np.sort(np.concatenate([fit, val])), val[:0]
            else:
                fit, val = carve_validation(fold.train, y, val_frac, seed=s, groups=groups)
            runs.append(RunSpec(protocol, fold.number, s, fit, val, np.asarray(fold.test),
                                variant, test_ids=tuple(ids[fold.test]), corpus=spec.corpus))
    return runs


def _train_in_worker(run: RunSpec, inputs, y, config: TrainConfig, folder: str,
                     augmented, num_classes: int = 8) -> str:
    """One run in a worker process (one torch thread, as every run here)."""
    torch.set_num_threads(1)
    train_run(run, inputs, y, config, out_dir=folder, augmented=augmented,
              num_classes=num_classes)
    return run.name


def ensure_trained(runs: Sequence[RunSpec], inputs: Sequence[np.ndarray], y: Sequence[int],
                   config: TrainConfig, folder: Path | str, retrain: bool = False,
                   log: Callable[[str], None] | None = None,
                   augmented: Sequence[Sequence[np.ndarray]] = (), n_jobs: int = 1,
                   num_classes: int = 8) -> list[str]:
    """Train the runs whose checkpoint is not in ``folder`` yet (all of them with
    ``retrain``); returns the names of the runs trained now. ``inputs`` (and ``augmented``,
    see :func:`train_run`) are prepared already.

    ``n_jobs`` above 1 trains independent runs in parallel worker processes (joblib), one
    torch thread each, with a progress bar over runs (on a 2-core machine, ``n_jobs=2`` uses
    both cores). Results do not depend on it: each run is seeded by itself.
    """
    todo = [run for run in runs if retrain or not has_result(run, folder)]
    if n_jobs == 1 or len(todo) < 2:
        for run in todo:
            train_run(run, inputs, y, config, out_dir=folder, log=log, augmented=augmented,
                      num_classes=num_classes)
        return [run.name for run in todo]
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    jobs = (delayed(_train_in_worker)(run, inputs, y, config, str(folder), augmented,
                                      num_classes) for run in todo)
    done = []
    with tqdm(total=len(todo), desc="training runs", unit="run") as bar:
        for name in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
            done.append(name)
            bar.update()
            if log:
                log(f"trained {name}")
    return done


def checkpoint_path(folder: Path | str, run: RunSpec) -> Path:
    """Where a run's weights are saved: ``<folder>/<run name>.pt``."""
    return Path(folder) / f"{run.name}.pt"


def probabilities_path(folder: Path | str, run: RunSpec) -> Path:
    """Where a run's test probabilities are stored: ``<folder>/<run name>.probs.npy``."""
    return Path(folder) / f"{run.name}.probs.npy"


def checkpoint_test_probabilities(run: RunSpec, inputs: Sequence[np.ndarray],
                                  folder: Path | str, batch_size: int = 64
                                  ) -> tuple[np.ndarray, dict]:
    """The test probabilities of a run's saved checkpoint (rows in ``run.test_idx`` order,
    batches of ``batch_size`` as the seed evaluated) and the checkpoint's meta data."""
    model, _, meta = load_checkpoint(checkpoint_path(folder, run))
    return cabg.predict_proba(model, [inputs[i] for i in run.test_idx],
                              batch_size=batch_size), meta


def save_test_probabilities(run: RunSpec, inputs: Sequence[np.ndarray], folder: Path | str,
                            batch_size: int = 64) -> Path:
    """Evaluate a run's saved checkpoint on its test part and store the probabilities
    (float32, rows in ``run.test_idx`` order) next to it, so that the run can be reported and
    averaged after its checkpoint is no longer kept (see :func:`evaluate_runs`)."""
    probs, _ = checkpoint_test_probabilities(run, inputs, folder, batch_size)
    path = probabilities_path(folder, run)
    np.save(path, probs.astype(np.float32))
    return path


def has_result(run: RunSpec, folder: Path | str) -> bool:
    """Whether a run has a checkpoint or stored test probabilities in ``folder``."""
    return checkpoint_path(folder, run).is_file() or probabilities_path(folder, run).is_file()


def evaluate_runs(runs: Sequence[RunSpec], inputs: Sequence[np.ndarray], y: Sequence[int],
                  folder: Path | str, batch_size: int = 64
                  ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Re-evaluate the saved (validation-selected) checkpoint of every run on its test part;
    a run whose checkpoint is not kept is scored from its stored test probabilities
    (:func:`save_test_probabilities`) instead.

    Returns a table with one row per run (``fold``, ``seed``, ``epoch`` of the checkpoint,
    accuracy, macro precision, UAR, macro F1, test size, ``source``: ``"checkpoint"`` or
    ``"stored probabilities"``) and the test probabilities per run name (rows in
    ``run.test_idx`` order). The inputs must be prepared as the run's config says (deltas or
    not). Raises ``FileNotFoundError`` naming a run that has neither.
    """
    from serlib import evaluation

    y = np.asarray(y)
    rows, probs = [], {}
    for run in runs:
        path = checkpoint_path(folder, run)
        stored = probabilities_path(folder, run)
        if run.test_ids:  # the stored run must have been tested on this fold's recordings
            runstore.read_record(folder, run.name).check_ids(run.test_ids)
        if path.is_file():
            p, meta = checkpoint_test_probabilities(run, inputs, folder, batch_size)
            epoch, source = meta.get("epoch"), "checkpoint"
        elif stored.is_file():
            p = np.load(stored)
            if p.shape[0] != len(run.test_idx):
                raise ValueError(f"{stored} has {p.shape[0]} rows, the run {len(run.test_idx)}")
            epoch, source = None, "stored probabilities"
        else:
            raise FileNotFoundError(f"no checkpoint {path}: train it with retrain=True")
        probs[run.name] = p
        metrics = evaluation.classification_metrics(y[run.test_idx], p.argmax(1))
        rows.append({"fold": run.fold, "seed": run.seed, "epoch": epoch,
                     **metrics, "n_test": len(run.test_idx), "source": source})
    return pd.DataFrame(rows), probs


@dataclass
class ProtocolResult:
    """A protocol's runs with, when their checkpoints exist: the re-evaluated test metrics of
    each run (``scores``), the test probabilities per run, the per-epoch histories and their
    summary (``per_run``: validation-selected vs test-picked epochs). ``runs`` are the evaluated
    runs; ``missing`` names runs without a checkpoint (left out of everything)."""

    protocol: str
    runs: list[RunSpec]
    scores: pd.DataFrame | None = None
    probs: dict[str, np.ndarray] | None = None
    histories: pd.DataFrame | None = None
    per_run: pd.DataFrame | None = None
    missing: list[str] = field(default_factory=list)
    trained: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.scores is not None

    def table(self) -> pd.DataFrame:
        """One row per run: the checkpoint's epoch and re-evaluated test accuracy and UAR, next
        to the training log's test accuracy at the test-picked epoch, the last epoch, and the
        mean of the last 10 epochs (all fractions)."""
        keys = ["fold", "seed"]
        if "variant" in self.scores and "variant" in self.per_run:  # merged recipes
            keys = ["variant", *keys]
        merged = self.scores.merge(self.per_run, on=keys, how="left")
        return merged[[*keys, "epoch", "accuracy", "uar", "test_epoch_picked",
                       "test_acc_test_picked", "test_acc_last", "test_acc_last_k_mean"]].rename(
            columns={"epoch": "val_epoch", "accuracy": "test_acc", "uar": "test_uar",
                     "test_epoch_picked": "picked_epoch", "test_acc_test_picked": "picked_acc",
                     "test_acc_last": "last_acc", "test_acc_last_k_mean": "last10_acc"})

    def summary(self) -> pd.DataFrame:
        """Mean, std and count over runs of the honest (validation-selected, re-evaluated)
        accuracy, UAR and F1 and of the optimistic test-picked accuracy and the last-10 mean."""
        t = self.table().assign(f1=self.scores["f1"].to_numpy())
        rows = {"accuracy (validation-selected epoch)": t["test_acc"],
                "UAR (validation-selected epoch)": t["test_uar"],
                "macro F1 (validation-selected epoch)": t["f1"],
                "accuracy (test-picked epoch, optimistic)": t["picked_acc"],
                "accuracy (mean of last 10 epochs)": t["last10_acc"]}
        return pd.DataFrame({name: {"mean": v.mean(), "std": v.std(ddof=0), "n": v.count()}
                             for name, v in rows.items()}).T


def merge_results(*results: ProtocolResult) -> ProtocolResult:
    """One :class:`ProtocolResult` holding the evaluated runs of several recipes (variants) of
    the same protocol, e.g. to average models of two recipes with :func:`ensemble_scores`
    (runs of equal seed then sit next to each other: a group of ``2 * k`` holds seeds ``k``
    of each recipe). Raises ``ValueError`` for different protocols or unevaluated results.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    if not results or any(not r.available for r in results):
        raise ValueError("merge_results needs evaluated results (re-evaluated checkpoints)")
    if len({r.protocol for r in results}) > 1:
        raise ValueError(f"cannot merge protocols {sorted({r.protocol for r in results})}")
    return ProtocolResult(
        results[0].protocol, [run for r in results for run in r.runs],
        scores=pd.concat([r.scores.assign(variant=[run.variant for run in r.runs])
                          for r in results], ignore_index=True),
        probs={k: v for r in results for k, v in r.probs.items()},
        histories=pd.concat([r.histories for r in results], ignore_index=True),
        per_run=pd.concat([r.per_run.assign(variant=r.runs[0].variant) for r in results],
                          ignore_index=True),
        missing=[m for r in results for m in r.missing])


def ensemble_groups(result: ProtocolResult, size: int
                    ) -> list[tuple[int, int, list[RunSpec]]]:
    """The fixed model groups of averaging: within each fold the runs, in seed order, cut into
    consecutive groups of ``size`` (an incomplete last group is dropped). Returns
    ``(fold, group number, runs)`` triples; nothing here looks at a test score."""
    if size < 1:
        raise ValueError(f"ensemble size must be at least 1, not {size}")
    by_fold: dict[int, list[RunSpec]] = {}
    for run in result.runs:
        by_fold.setdefault(run.fold, []).append(run)
    groups = []
    for fold, runs in sorted(by_fold.items()):
        runs = sorted(runs, key=lambda r: r.seed)
        for k, start in enumerate(range(0, len(runs) - size + 1, size)):
            groups.append((fold, k, runs[start:start + size]))
    return groups


def result_predictions(result: ProtocolResult, y: Sequence[int], speakers: Sequence,
                       size: int = 1) -> pd.DataFrame:
    """Per tested clip and model (``size`` 1: every single run; else every ensemble group of
    :func:`ensemble_groups`): ``fold``, ``replicate`` (the seed or the group number),
    ``position``, ``speaker``, ``y_true``, ``y_pred``. The input of the results' intervals
    (:func:`serlib.evaluation.make_rows`).

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    y, speakers = np.asarray(y), np.asarray(speakers)
    parts = []
    if size == 1:
        units = [(run.fold, f"{run.variant}:{run.seed}", [run]) for run in result.runs]
    else:
        units = ensemble_groups(result, size)
    for fold, replicate, group in units:
        idx = group[0].test_idx
        probs = np.mean([result.probs[r.name] for r in group], axis=0)
        parts.append(pd.DataFrame({"fold": fold, "replicate": str(replicate), "position": idx,
                                   "speaker": speakers[idx], "y_true": y[idx],
                                   "y_pred": probs.argmax(1)}))
    columns = ["fold", "replicate", "position", "speaker", "y_true", "y_pred"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def ensemble_scores(result: ProtocolResult, y: Sequence[int], size: int) -> pd.DataFrame:
    """Model averaging: within each fold, the runs (in seed order) are cut into consecutive
    groups of ``size`` seeds (an incomplete last group is dropped) and each group's test
    probabilities are averaged. Nothing is chosen on the test set: the groups are fixed by
    the seed list.

    Returns one row per (fold, group): ``fold``, ``members`` (seeds joined by ``+``),
    ``member_acc`` (mean accuracy of the members alone) and the ensemble's ``accuracy``,
    ``precision``, ``uar``, ``f1``.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    from serlib import evaluation

    y = np.asarray(y)
    rows = []
    for fold, _, group in ensemble_groups(result, size):
        truth = y[group[0].test_idx]
        probs = [result.probs[r.name] for r in group]
        mixed = len({r.variant for r in group}) > 1
        rows.append({"fold": fold, "members": "+".join(
            f"{r.variant}:{r.seed}" if mixed else str(r.seed) for r in group),
                     "member_acc": float(np.mean([(p.argmax(1) == truth).mean()
                                                  for p in probs])),
                     **evaluation.classification_metrics(
                         truth, np.mean(probs, axis=0).argmax(1))})
    return pd.DataFrame(rows, columns=["fold", "members", "member_acc", "accuracy",
                                       "precision", "uar", "f1"])


def ensemble_summary(result: ProtocolResult, y: Sequence[int], size: int) -> pd.DataFrame:
    """Mean, std and count of the test accuracy of the single models (their kept epoch), of
    the same models at their test-picked epoch (optimistic, from the training logs), and of
    the ensembles of :func:`ensemble_scores` (accuracy and UAR). Rows are labelled for
    printing; an ensemble row is left out when no group is complete.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    t = result.table()
    rows = {"single model, kept epoch": t["test_acc"],
            "single model, test-picked epoch (optimistic)": t["picked_acc"]}
    ens = ensemble_scores(result, y, size)
    if len(ens):
        rows[f"ensemble of {size}: accuracy"] = ens["accuracy"]
        rows[f"ensemble of {size}: UAR"] = ens["uar"]
    return pd.DataFrame({name: {"mean": v.mean(), "std": v.std(ddof=0), "n": v.count()}
                         for name, v in rows.items()}).T


def ensemble_curve(result: ProtocolResult, y: Sequence[int],
                   sizes: Sequence[int]) -> pd.DataFrame:
    """Test accuracy of model averages against their size: for each size (number of models
    averaged), the fixed groups of :func:`ensemble_scores` (consecutive seeds; incomplete groups
    dropped) summarised over groups and folds. Every size asked for is reported; nothing is
    chosen here. Sizes with no complete group are left out.

    Returns one row per size: ``size``, ``groups`` (how many ensembles), ``member_acc`` (mean
    accuracy of their members alone), ``accuracy`` and ``std`` (mean and population std of the
    ensembles' accuracy).

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    rows = []
    for size in sizes:
        groups = ensemble_scores(result, y, size)
        if len(groups):
            rows.append({"size": size, "groups": len(groups),
                         "member_acc": groups["member_acc"].mean(),
                         "accuracy": groups["accuracy"].mean(),
                         "std": groups["accuracy"].std(ddof=0)})
    return pd.DataFrame(rows, columns=["size", "groups", "member_acc", "accuracy", "std"])


def run_protocol(protocol: str, table: pd.DataFrame, y: Sequence[int],
                 logmels: Sequence[np.ndarray], config: TrainConfig, seeds: Sequence[int],
                 folder: Path | str, *, variant: str = "seed", folds: Sequence[int] | None = None,
                 train: str = "never", val_frac: float = 0.1,
                 log: Callable[[str], None] | None = None,
                 augmented: Sequence[Sequence[np.ndarray]] = (), n_jobs: int = 1,
                 corpus: str = "ravdess", num_classes: int = 8) -> ProtocolResult:
    """Everything a notebook needs for one protocol: make the runs, train them (``train``:
    ``"never"``, ``"missing"`` = those without a checkpoint, or ``"all"``), then re-evaluate
    every checkpoint on its test part and load the histories. With ``"never"`` and missing
    checkpoints only the runs that have one are evaluated (``runs``); the others are listed in
    ``missing`` (the notebook says "not run yet"). ``val_frac`` 0 fits on the whole training
    part and keeps the last epoch (see :func:`carve_validation`). ``augmented``: extra
    versions of ``logmels`` added to every fitted part (:func:`train_run`). ``n_jobs``: runs
    trained in parallel (:func:`ensure_trained`). ``corpus``: whose registered protocol
    (e.g. ``emodb``'s ``emobox-5fold``); ``num_classes``: the model's outputs (the corpus's
    emotions; labels ``y`` are indices into them)."""
    if train not in ("never", "missing", "all"):
        raise ValueError(f"train must be never, missing or all, not {train!r}")
    runs = protocol_runs(protocol, table, y, seeds, variant=variant, folds=folds,
                         val_frac=val_frac, corpus=corpus)
    folder = Path(folder)
    missing = [r.name for r in runs if not has_result(r, folder)]
    result = ProtocolResult(protocol, runs, missing=missing)
    inputs = prepare_inputs(logmels, config)
    if train != "never":
        extra = [prepare_inputs(version, config) for version in augmented]
        result.trained = ensure_trained(runs, inputs, y, config, folder,
                                        retrain=train == "all", log=log, augmented=extra,
                                        n_jobs=n_jobs, num_classes=num_classes)
        result.missing = []
    done = [r for r in runs if r.name not in result.missing]
    if not done:
        return result
    result.runs = done
    result.scores, result.probs = evaluate_runs(done, inputs, y, folder)
    keep = {(r.fold, r.seed) for r in done}
    h = load_histories(folder, protocol, variant)
    h = h[[(f, s) in keep for f, s in zip(h["fold"], h["seed"], strict=True)]]
    result.histories = h.reset_index(drop=True)
    result.per_run = summarize_protocol(result.histories)
    return result


def summary_frame(values: dict[str, Sequence[float]]) -> pd.DataFrame:
    """A :func:`serlib.evaluation.make_rows` summary from ``{metric: [mean, std, n]}``: one row
    per metric with columns ``mean``, ``std``, ``n``.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    for metric, v in values.items():
        if len(v) != 3:
            raise ValueError(f"summary_frame: {metric!r} needs [mean, std, n], not {list(v)}")
    return pd.DataFrame(values, index=["mean", "std", "n"]).T


def result_rows(result: ProtocolResult, y: Sequence[int], speakers: Sequence, model: str,
                selection: str, notebook: str, note: str = "", corpus: str = "ravdess"
                ) -> list[dict]:
    """Results rows (:func:`serlib.evaluation.make_rows`) of a protocol's single models: the
    accuracy, UAR and macro F1 of their kept weights (mean, std and count over runs; fractions),
    with the speaker-clustered 95 % intervals of accuracy and UAR computed from every tested
    clip (:func:`result_predictions`). Raises ``ValueError`` for an unevaluated result.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    from serlib import evaluation

    if not result.available:
        raise ValueError(f"{result.protocol}: no evaluated runs (train them first)")
    kept = result.summary().loc[["accuracy (validation-selected epoch)",
                                 "UAR (validation-selected epoch)",
                                 "macro F1 (validation-selected epoch)"]]
    kept.index = ["accuracy", "uar", "f1"]
    return evaluation.make_rows(corpus, result.protocol, model, kept, notebook=notebook,
                                note=note, selection=selection,
                                predictions=result_predictions(result, y, speakers))
