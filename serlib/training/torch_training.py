"""Training PyTorch models (EmoCatcher/CABG, seed 002's MFCC CNN) on cached inputs: batching with
padding and packing, the seed's optimiser and schedule, augmentations, per-epoch histories,
checkpoints.

The seed recomputed every spectrogram from the audio in every epoch and kept the epoch with the
best TEST accuracy. Here inputs come from notebook 02's cache
(``serlib.features.acoustic.emocatcher_input_file``) and the kept epoch is the one with the best
accuracy on a VALIDATION split carved from the training part (ties: lower validation loss). Test
metrics are still logged per epoch, only to show how much picking the epoch on the test set
inflates a result.

Checkpoints are small ``torch.save`` dicts ``{"state_dict", "model_kwargs", "config", "meta"}``;
histories are tables with one row per epoch. Runs over protocols:
:mod:`serlib.experiments.cabg_runs`.
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

from serlib.models import cabg

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
    does not depend on the recording level: :func:`serlib.models.cabg.gain_normalize`).

    Other models: ``arch`` ``"mfcc-cnn"`` is seed 002's CNN (:mod:`serlib.experiments.seed002`),
    trained
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
    """A fresh model of ``arch`` (``"cabg"``: :class:`serlib.models.cabg.EmoCatcher`;
    ``"mfcc-cnn"``: :class:`serlib.models.mfcc_cnn.MfccCNN`)."""
    if arch == "cabg":
        return cabg.EmoCatcher(**model_kwargs)
    if arch == "mfcc-cnn":
        from serlib.models.mfcc_cnn import MfccCNN

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
    #: validation probabilities at the epochs asked for (``fit``'s ``snapshot_epochs``)
    val_snapshots: dict[int, np.ndarray] = field(default_factory=dict)


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
        log: Callable[[str], None] | None = None,
        snapshot_epochs: Sequence[int] = ()) -> FitResult:
    """Train an :class:`~serlib.models.cabg.EmoCatcher` (or ``config.arch``'s model) on cached
    inputs.

    Args:
        train_x, val_x, test_x: lists of ``(channels, frames)`` arrays (already prepared with
            :func:`prepare_inputs`); ``test_x`` may be empty.
        train_y, val_y, test_y: integer labels.
        config: hyper-parameters (default: the seed's).
        log: called with one line per epoch.
        snapshot_epochs: epochs (1-based) whose validation probabilities are kept in
            ``FitResult.val_snapshots`` (e.g. the candidate budgets of a nested selection).

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
    rows, best, best_state, snapshots = [], None, None, {}
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
        val_loss, val_acc, val_probs = evaluate(model, val_x, val_y, config.eval_batch_size,
                                                config.label_smoothing)
        if epoch in snapshot_epochs:
            snapshots[epoch] = val_probs.astype(np.float32)
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
                     model_kwargs, config, val_snapshots=snapshots)


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
