"""Training seed 004's Keras CNNs on AESDD's 3 s mel segments.

A *run* trains one model on the segments of one set of training recordings with one seed and
returns the test SEGMENTS' class probabilities. Improvements over the seed (all off by default,
see :class:`TrainConfig`): input standardisation, SpecAugment, class-balanced epochs, a cosine
learning-rate schedule, early stopping on a validation split of TRAINING recordings, and
pitch-shifted copies of the training recordings (:func:`serlib.features.acoustic.aesdd_pitch_mels`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.evaluation.recording_level import recording_accuracy
from serlib.models.keras_cnn import EMOTIONS, build_model, configure_tensorflow

#: How pitch-shifted versions enter training (:class:`TrainConfig` ``pitch_mode``).
PITCH_MODES: tuple[str, ...] = ("draw", "expand")


HISTORY_COLUMNS = ["epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc", "seconds",
                   "cpu_seconds"]


@dataclass
class Segments:
    """All segments of a set of recordings: ``x`` (n, n_mels, frames), ``y`` (n,) class indices,
    ``rec`` (n,) the recording (row of the corpus table) each segment comes from."""

    x: np.ndarray
    y: np.ndarray
    rec: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def take(self, recordings: Sequence[int]) -> Segments:
        """The segments of the given recordings (corpus-table rows), in segment order."""
        keep = np.isin(self.rec, np.asarray(recordings))
        return Segments(self.x[keep], self.y[keep], self.rec[keep])

    def concat(self, other: Segments) -> Segments:
        return Segments(np.concatenate([self.x, other.x]), np.concatenate([self.y, other.y]),
                        np.concatenate([self.rec, other.rec]))


def stack_segments(mels: Sequence[np.ndarray | None], labels: Sequence[int]) -> Segments:
    """Flatten per-recording segment stacks (``mels[i]``: (k_i, n_mels, frames), ``None`` for a
    file that failed) into one :class:`Segments`, each segment labelled with its recording's
    class and row ``i``.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    xs, ys, recs = [], [], []
    for i, (m, label) in enumerate(zip(mels, labels, strict=True)):
        if m is None:
            continue
        xs.append(m)
        ys.append(np.full(len(m), int(label)))
        recs.append(np.full(len(m), i))
    return Segments(np.concatenate(xs).astype(np.float32), np.concatenate(ys),
                    np.concatenate(recs))


def spec_augment(x: np.ndarray, rng: np.random.Generator, freq_masks: int = 2,
                 freq_width: int = 15, time_masks: int = 2, time_width: int = 20) -> np.ndarray:
    """SpecAugment's frequency and time masking (Park et al. 2019) on a batch ``(n, n_mels,
    frames)``: per example ``freq_masks`` bands of 0 to ``freq_width`` mel bins and
    ``time_masks`` spans of 0 to ``time_width`` frames, filled with the example's mean. Returns
    a new array; ``x`` is unchanged.

    Used in: :func:`train_run`.
    """
    out = x.copy()
    n, n_mels, n_frames = x.shape
    for i in range(n):
        fill = out[i].mean()
        for _ in range(freq_masks):
            w = int(rng.integers(0, freq_width + 1))
            f0 = int(rng.integers(0, max(n_mels - w, 0) + 1))
            out[i, f0:f0 + w, :] = fill
        for _ in range(time_masks):
            w = int(rng.integers(0, time_width + 1))
            t0 = int(rng.integers(0, max(n_frames - w, 0) + 1))
            out[i, :, t0:t0 + w] = fill
    return out


def epoch_order(y: np.ndarray, rng: np.random.Generator, balanced: bool = False) -> np.ndarray:
    """Indices of one epoch: a permutation of all examples, or with ``balanced`` every class
    resampled (with replacement beyond its size) to the largest class's count, shuffled."""
    if not balanced:
        return rng.permutation(len(y))
    classes, counts = np.unique(y, return_counts=True)
    picks = []
    for c in classes:
        members = np.flatnonzero(y == c)
        extra = rng.choice(members, counts.max() - len(members), replace=True)
        picks.append(np.concatenate([members, extra]))
    return rng.permutation(np.concatenate(picks))


@dataclass
class TrainConfig:
    """Hyper-parameters of one run. Defaults are seed 004's: Model3, 3x3 kernels, dropout 0.5,
    Adam (Keras defaults, lr 1e-3), 20 epochs, batch 64, raw dB input, no augmentation, the
    model after the last epoch.

    Improvements (off by default): ``standardize`` (subtract the training segments' mean dB and
    divide by their std), ``batch_norm`` (with ``bn_momentum``), ``specaugment`` (see
    :func:`spec_augment`),
    ``balanced`` (class-balanced epochs), ``schedule`` ``"cosine"`` (lr decays to
    ``lr * min_lr_ratio`` over the epochs), ``val_fraction`` (a stratified share of the
    TRAINING recordings held out; the kept model is the epoch with the best validation
    recording accuracy, ties to lower validation loss; training stops after ``patience``
    epochs without improvement, 0 = never), ``pitch_semitones`` (pitch-shifted copies of the
    training recordings; the caller supplies them to :func:`train_run`) with ``pitch_mode``
    ``"draw"`` (one version of each segment drawn at random each time it enters a batch: the
    epoch keeps its length) or ``"expand"`` (seed 004's plan: every version of every training
    segment in every epoch, so the training set and an epoch's cost are multiplied by
    ``1 + len(pitch_semitones)``). ``note`` is free text.
    """

    arch: str = "model3"
    kernel_size: int = 3
    dropout: float = 0.5
    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0
    wiener: bool = False
    standardize: bool = False
    batch_norm: bool = False
    bn_momentum: float = 0.99
    specaugment: bool = False
    freq_masks: int = 2
    freq_width: int = 15
    time_masks: int = 2
    time_width: int = 20
    balanced: bool = False
    schedule: str = "constant"
    min_lr_ratio: float = 0.05
    val_fraction: float = 0.0
    patience: int = 0
    pitch_semitones: tuple[float, ...] = ()
    pitch_mode: str = "draw"
    note: str = ""

    def __post_init__(self) -> None:
        if self.schedule not in ("constant", "cosine"):
            raise ValueError(f"unknown schedule {self.schedule!r}; accepted: constant, cosine")
        if self.pitch_mode not in PITCH_MODES:
            raise ValueError(f"unknown pitch_mode {self.pitch_mode!r}; accepted: "
                             f"{', '.join(PITCH_MODES)}")
        self.pitch_semitones = tuple(float(s) for s in self.pitch_semitones)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        return cls(**json.loads(text))

    def features(self) -> dict:
        """Parameters of the segment mels this config trains on (acoustic.aesdd_segment_mels)."""
        return {"sr": 44100, "wiener": True} if self.wiener else {"sr": 44100}


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """The learning rate of ``epoch`` (0-based) under ``config.schedule``."""
    if config.schedule == "constant" or config.epochs <= 1:
        return config.lr
    floor = config.lr * config.min_lr_ratio
    return floor + 0.5 * (config.lr - floor) * (1 + math.cos(math.pi * epoch / (config.epochs - 1)))


def validation_split(recordings: np.ndarray, labels: np.ndarray, fraction: float, seed: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Split training recordings (corpus-table rows) into (fit, validation), stratified by
    class, ``fraction`` of them for validation. Disjoint by construction."""
    from sklearn.model_selection import train_test_split

    fit, val = train_test_split(np.asarray(recordings), test_size=fraction,
                                stratify=np.asarray(labels), random_state=seed, shuffle=True)
    return np.sort(fit), np.sort(val)


@dataclass
class Run:
    """What :func:`train_run` returns: the trained model, its per-epoch history (one row per
    epoch, :data:`HISTORY_COLUMNS`; ``seconds`` wall, ``cpu_seconds`` process CPU time), the
    epoch kept (1-based), the test segments' probabilities ``proba`` (n_test_segments,
    n_classes) with their ``rec`` and true ``y``, the input scaling used, the wall time in
    seconds, and the numbers of fit and validation segments."""

    model: object
    history: pd.DataFrame
    best_epoch: int
    proba: np.ndarray
    y: np.ndarray
    rec: np.ndarray
    scale: tuple[float, float]
    seconds: float
    config: TrainConfig = field(default_factory=TrainConfig)
    n_fit: int = 0
    n_val: int = 0


def _prepare(x: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    return ((x - scale[0]) / scale[1])[..., None].astype(np.float32)


def predict_proba(model, x: np.ndarray, scale: tuple[float, float] = (0.0, 1.0),
                  batch_size: int = 64) -> np.ndarray:
    """Class probabilities of segments ``x`` (n, n_mels, frames) after input scaling
    ``(x - mean) / std``."""
    out = [model(_prepare(x[i:i + batch_size], scale), training=False).numpy()
           for i in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, model.output_shape[-1]), np.float32)


def _loss_acc(proba: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    p = np.clip(proba[np.arange(len(y)), y], 1e-7, 1.0)
    return float(-np.log(p).mean()), float((proba.argmax(1) == y).mean())


def train_run(train: Segments, test: Segments, config: TrainConfig | None = None,
              variants: Sequence[Segments] = (), log=None) -> Run:
    """Train one model on ``train`` and predict ``test``.

    ``variants`` are other versions of the same segments (e.g. pitch-shifted by +-4 semitones:
    :func:`aesdd_pitch_mels`), aligned with the corpus's segments (same order; any superset of
    the training recordings). With ``config.pitch_mode`` ``"draw"``, each time a training
    segment enters a batch one of its versions (original or a variant) is drawn at random: the
    augmentation costs no extra time per epoch. With ``"expand"`` (the seed's plan) the
    training set is the original segments followed by every variant of them, so an epoch with
    two variants is three times as long. Test segments are never augmented.

    The seed fixes Python's, NumPy's and TensorFlow's generators, the weights, the validation
    split, the batch order and the masks: on one machine with one thread, a run repeats exactly.
    ``log(str)`` receives one line per epoch.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    configure_tensorflow()
    import keras

    config = config or TrainConfig()
    start = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    train_recs = np.unique(train.rec)
    val = None
    if config.val_fraction > 0:
        rec_labels = np.array([train.y[train.rec == r][0] for r in train_recs])
        fit_recs, val_recs = validation_split(train_recs, rec_labels, config.val_fraction,
                                              config.seed)
        val = train.take(val_recs)
        fit = train.take(fit_recs)
    else:
        fit_recs, fit = train_recs, train
    bank = None
    if variants:
        parts = [v.take(fit_recs) for v in variants]
        for part in parts:
            if not (np.array_equal(part.rec, fit.rec) and np.array_equal(part.y, fit.y)):
                raise ValueError("variants are not aligned with the training segments")
        bank = np.stack([fit.x] + [part.x for part in parts])
        if config.pitch_mode == "expand":
            copies = len(bank)
            fit = Segments(bank.reshape(-1, *fit.x.shape[1:]), np.tile(fit.y, copies),
                           np.tile(fit.rec, copies))
            bank = None
    if set(np.unique(test.rec)) & set(train_recs):
        raise AssertionError("a test recording is among the training recordings")
    scale = ((float(fit.x.mean()), float(fit.x.std())) if config.standardize else (0.0, 1.0))
    model = build_model(config.arch, fit.x.shape[1:], n_classes=len(EMOTIONS),
                        kernel_size=config.kernel_size, dropout=config.dropout,
                        batch_norm=config.batch_norm, bn_momentum=config.bn_momentum,
                        seed=config.seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=config.lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    fit_x = _prepare(fit.x, scale) if not (config.specaugment or bank is not None) else None
    rows, best, best_key, best_weights, waited = [], 0, None, None, 0
    for epoch in range(config.epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        lr = learning_rate(config, epoch)
        model.optimizer.learning_rate.assign(lr)
        order = epoch_order(fit.y, rng, config.balanced)
        losses, hits = [], 0
        for b in range(0, len(order), config.batch_size):
            idx = order[b:b + config.batch_size]
            if fit_x is not None:
                xb = fit_x[idx]
            else:
                xb = fit.x[idx] if bank is None else bank[rng.integers(0, len(bank), len(idx)), idx]
                if config.specaugment:
                    xb = spec_augment(xb, rng, config.freq_masks, config.freq_width,
                                      config.time_masks, config.time_width)
                xb = _prepare(xb, scale)
            loss, acc = model.train_on_batch(xb, fit.y[idx])
            losses.append(float(loss) * len(idx))
            hits += float(acc) * len(idx)
        row = {"epoch": epoch + 1, "lr": lr, "train_loss": sum(losses) / len(order),
               "train_acc": hits / len(order), "val_loss": np.nan, "val_acc": np.nan}
        if val is not None:
            proba = predict_proba(model, val.x, scale)
            row["val_loss"] = _loss_acc(proba, val.y)[0]
            row["val_acc"] = recording_accuracy(proba, val.y, val.rec)
            key = (row["val_acc"], -row["val_loss"])
            if best_key is None or key > best_key:
                best_key, best, waited = key, epoch + 1, 0
                best_weights = [w.copy() for w in model.get_weights()]
            else:
                waited += 1
        else:
            best = epoch + 1
        row["seconds"] = time.perf_counter() - t0
        row["cpu_seconds"] = time.process_time() - c0
        rows.append(row)
        if log:
            log(f"epoch {epoch + 1}/{config.epochs} lr {lr:.2e} loss {row['train_loss']:.3f} "
                f"acc {row['train_acc']:.3f} val_acc {row['val_acc']:.3f} "
                f"({row['seconds']:.1f} s)")
        if val is not None and config.patience and waited >= config.patience:
            break
    if best_weights is not None:
        model.set_weights(best_weights)
    proba = predict_proba(model, test.x, scale)
    return Run(model=model, history=pd.DataFrame(rows, columns=HISTORY_COLUMNS),
               best_epoch=best, proba=proba, y=test.y.copy(), rec=test.rec.copy(), scale=scale,
               seconds=time.perf_counter() - start, config=config, n_fit=len(fit),
               n_val=0 if val is None else len(val))


def save_model(model, folder: Path, name: str, scale: tuple[float, float], config: TrainConfig
               ) -> Path:
    """Save a trained model as ``<name>.keras`` with ``<name>.json`` (input scaling and
    config). The optimizer's state is left out (a third of the size; not needed to predict).
    Returns the model file."""
    import keras

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.keras"
    bare = keras.Model.from_config(model.get_config())  # uncompiled: no optimizer saved
    bare.set_weights(model.get_weights())
    bare.save(target)
    (folder / f"{name}.json").write_text(json.dumps(
        {"scale": list(scale), "config": asdict(config)}, indent=1, sort_keys=True) + "\n")
    return target


def load_model(folder: Path, name: str):
    """Load what :func:`save_model` wrote: ``(model, scale, config)``."""
    configure_tensorflow()
    import keras

    folder = Path(folder)
    meta = json.loads((folder / f"{name}.json").read_text())
    model = keras.saving.load_model(folder / f"{name}.keras", compile=False)
    return model, tuple(meta["scale"]), TrainConfig(**meta["config"])


def config_variant(base: TrainConfig, **changes) -> TrainConfig:
    """A copy of ``base`` with some fields changed (validated again)."""
    return replace(base, **changes)
