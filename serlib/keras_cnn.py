"""Seed 004's Keras CNNs on AESDD 3 s mel segments: the three models as the seed built them,
seeded training with optional improvements, and recording-level evaluation.

The seed (Keras on TensorFlow) cut every recording into 3 s segments AFTER splitting the
recordings 80/20, turned each segment into a 128-mel dB spectrogram (128 x 130 at 44.1 kHz) and
trained small CNNs (3x3 'same' convolutions, 2x2 max-pooling, dropout 0.5 after flatten, Adam,
20 epochs, batch 64). Its accuracies are per segment.

Here a *run* trains one model on the segments of one set of training recordings with one seed,
and returns the test SEGMENTS' class probabilities. Two accuracies come from them:

* segment level: each segment's arg-max (what the seed reported);
* recording level (test-time averaging): the mean of a recording's segment probabilities, so
  that every recording gets exactly one prediction.

Improvements over the seed (all off by default, see :class:`TrainConfig`): input
standardisation, SpecAugment, class-balanced epochs, a cosine learning-rate schedule, early
stopping on a validation split of TRAINING recordings, and pitch-shifted copies of the training
recordings (:func:`aesdd_pitch_mels`, run through :func:`serlib.features.extract`).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import librosa
import numpy as np
import pandas as pd

from serlib import audio

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: The seed's three models: convolution filters per layer and dense units after flatten.
ARCHITECTURES: dict[str, dict[str, tuple[int, ...]]] = {
    "model1": {"conv": (16, 32), "dense": (64,)},
    "model2": {"conv": (16, 32, 32), "dense": (64, 32)},  # the report says 64 filters; code 32
    "model3": {"conv": (16, 32, 64, 128), "dense": (128, 64, 32)},
}
#: Class order of the models' outputs (AESDD's five emotions, alphabetical as in the seed).
EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "happiness", "sadness")
#: How pitch-shifted versions enter training (:class:`TrainConfig` ``pitch_mode``).
PITCH_MODES: tuple[str, ...] = ("draw", "expand")
HISTORY_COLUMNS = ["epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc", "seconds",
                   "cpu_seconds"]

_TF_CONFIGURED = False


def import_tensorflow():
    """Import TensorFlow and Keras with the process's standard error (file descriptor 2)
    silenced: TensorFlow 2.21 prints two lines about missing CUDA drivers from C++ at import,
    whatever ``TF_CPP_MIN_LOG_LEVEL`` says, and a notebook kernel would show them. Python
    exceptions still propagate. Returns ``tensorflow``.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb (first cell), :func:`configure_tensorflow`.
    """
    import sys

    if "tensorflow" not in sys.modules:
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    return sys.modules["tensorflow"]


def configure_tensorflow(threads: int = 1, deterministic: bool = True):
    """Import TensorFlow with its C++ log silenced, limit it to ``threads`` threads (intra- and
    inter-op) and make its ops deterministic. Call before any TensorFlow op; later calls only
    return the module. Returns ``tensorflow``.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb (setup), and by every function that trains.
    """
    global _TF_CONFIGURED
    tf = import_tensorflow()
    if not _TF_CONFIGURED:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TensorFlow already initialised: keep its settings
            pass
        if deterministic:
            tf.config.experimental.enable_op_determinism()
        tf.get_logger().setLevel("ERROR")
        _TF_CONFIGURED = True
    return tf


# --------------------------------------------------------------------------------------------
# Features: pitch-shifted segment mels (same pipeline as features.aesdd_segment_mels)
# --------------------------------------------------------------------------------------------
def segment_mels(y: np.ndarray, sr: int, params: dict) -> np.ndarray:
    """Seed 004's segment mels of a signal that is already normalised: 3 s segments
    (:func:`serlib.audio.aesdd_segments`), each ``power_to_db`` of a 128-mel spectrogram (FFT
    2048, hop 1024). Returns ``(n_segments, n_mels, frames)`` float32."""
    mel_kwargs = {"n_fft": params.get("n_fft", 2048), "hop_length": params.get("hop_length", 1024),
                  "n_mels": params.get("n_mels", 128)}
    mels = [librosa.power_to_db(librosa.feature.melspectrogram(y=seg, sr=sr, **mel_kwargs))
            for seg in audio.aesdd_segments(y, sr, params.get("segment", 3.0))]
    return np.stack(mels).astype(np.float32)


def aesdd_pitch_mels(path: str, params: dict) -> dict[str, np.ndarray]:
    """Segment mels of one recording pitch-shifted by ``params["semitones"]`` (seed 004's
    augmentation, +-1/3 octave = +-4 semitones, which never ran in the seed): load at ``sr``
    (default 44100 Hz), peak-normalise, shift the whole recording (duration kept, so the
    segments are those of the original), peak-normalise again, segment, mel. Key ``mels``.
    With ``semitones`` 0 this equals :func:`serlib.features.aesdd_segment_mels`.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb, through :func:`serlib.features.extract`.
    """
    y, sr = audio.load_audio(path, sr=params.get("sr", 44100))
    y = audio.peak_normalize(y)
    if params.get("semitones", 0):
        y = audio.peak_normalize(audio.pitch_shift(y, sr, float(params["semitones"])))
    return {"mels": segment_mels(y, sr, params)}


# --------------------------------------------------------------------------------------------
# Segment arrays
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------
def build_model(arch: str = "model3", input_shape: tuple[int, int] = (128, 130),
                n_classes: int = 5, kernel_size: int = 3, dropout: float = 0.5,
                batch_norm: bool = False, bn_momentum: float = 0.99, seed: int = 0):
    """One of the seed's CNNs (:data:`ARCHITECTURES`): per layer a ``kernel_size`` x
    ``kernel_size`` 'same' ReLU convolution and 2x2 max-pooling; flatten, dropout, ReLU dense
    layers, softmax. ``batch_norm`` adds batch normalisation after each convolution (not in the
    seed) with moving averages of momentum ``bn_momentum`` (Keras's default 0.99 is too slow
    for the ~150 steps of a run on AESDD: the moving statistics stay near their start values
    and the model in inference mode predicts near chance). Weights are initialised from
    ``seed``. Returns an uncompiled ``keras.Model`` with input
    ``(n_mels, frames, 1)``.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb, tests/test_keras_cnn.py.
    """
    configure_tensorflow()
    import keras
    from keras import layers

    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; accepted: {', '.join(ARCHITECTURES)}")
    keras.utils.set_random_seed(seed)
    spec = ARCHITECTURES[arch]
    inputs = keras.Input(shape=(*input_shape, 1))
    h = inputs
    for filters in spec["conv"]:
        h = layers.Conv2D(filters, kernel_size, padding="same",
                          activation=None if batch_norm else "relu")(h)
        if batch_norm:
            h = layers.Activation("relu")(layers.BatchNormalization(momentum=bn_momentum)(h))
        h = layers.MaxPooling2D(2)(h)
    h = layers.Flatten()(h)
    h = layers.Dropout(dropout)(h)
    for units in spec["dense"]:
        h = layers.Dense(units, activation="relu")(h)
    outputs = layers.Dense(n_classes, activation="softmax")(h)
    return keras.Model(inputs, outputs, name=arch)


def count_params(model) -> int:
    """Number of weights of a Keras model."""
    return int(sum(np.prod(w.shape) for w in model.weights))


# --------------------------------------------------------------------------------------------
# Augmentation
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------
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
        """Parameters of the segment mels this config trains on (features.aesdd_segment_mels)."""
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


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------
def recording_proba(proba: np.ndarray, rec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Test-time averaging: the mean segment probability of each recording. Returns
    ``(recordings, proba)`` with one row per recording, in ascending recording order."""
    recs, inverse = np.unique(rec, return_inverse=True)
    sums = np.zeros((len(recs), proba.shape[1]))
    np.add.at(sums, inverse, proba)
    counts = np.bincount(inverse, minlength=len(recs))[:, None]
    return recs, sums / counts


def recording_labels(y: np.ndarray, rec: np.ndarray) -> np.ndarray:
    """The class of each recording (ascending recording order); raises if a recording's
    segments disagree."""
    recs = np.unique(rec)
    out = []
    for r in recs:
        values = np.unique(y[rec == r])
        if len(values) != 1:
            raise ValueError(f"recording {r} has segments of several classes {values}")
        out.append(values[0])
    return np.asarray(out)


def recording_accuracy(proba: np.ndarray, y: np.ndarray, rec: np.ndarray) -> float:
    """Accuracy of one prediction per recording (mean of its segments' probabilities)."""
    _, rp = recording_proba(proba, rec)
    return float((rp.argmax(1) == recording_labels(y, rec)).mean())


def run_metrics(proba: np.ndarray, y: np.ndarray, rec: np.ndarray) -> dict[str, float]:
    """Metrics of one run at both levels: ``segment_accuracy``, ``segment_uar`` (per segment,
    as the seed), and ``accuracy``, ``uar``, ``f1``, ``precision`` per recording (test-time
    averaging)."""
    from serlib.evaluation import classification_metrics

    seg = classification_metrics(y, proba.argmax(1))
    _, rp = recording_proba(proba, rec)
    out = {"segment_accuracy": seg["accuracy"], "segment_uar": seg["uar"]}
    out.update(classification_metrics(recording_labels(y, rec), rp.argmax(1)))
    return out


# --------------------------------------------------------------------------------------------
# Saving what the notebook re-evaluates: predictions, histories, a few models
# --------------------------------------------------------------------------------------------
PRED_COLUMNS = ["experiment", "split", "recording", "segment", "label"]


def predictions_frame(experiment: str, split: int, run: Run, recording_ids: Sequence[str]
                      ) -> pd.DataFrame:
    """The test segments' probabilities of one run as a long table: ``experiment``, ``split``
    (repeat or fold), ``recording`` (id), ``segment`` (index within the recording), ``label``
    (true class index) and ``p_<emotion>`` columns (float32)."""
    recording_ids = np.asarray(recording_ids)
    seg_index = np.zeros(len(run.rec), dtype=int)
    for r in np.unique(run.rec):
        where = np.flatnonzero(run.rec == r)
        seg_index[where] = np.arange(len(where))
    frame = pd.DataFrame({"experiment": experiment, "split": split,
                          "recording": recording_ids[run.rec], "segment": seg_index,
                          "label": run.y})
    for k, emo in enumerate(EMOTIONS):
        frame[f"p_{emo}"] = run.proba[:, k].astype(np.float32)
    return frame


def metrics_from_predictions(pred: pd.DataFrame) -> pd.DataFrame:
    """:func:`run_metrics` of every (experiment, split) in a predictions table: one row each,
    columns ``experiment``, ``split`` and the metrics."""
    rows = []
    cols = [f"p_{e}" for e in EMOTIONS]
    for (exp, split), part in pred.groupby(["experiment", "split"], sort=False):
        rec = pd.factorize(part["recording"])[0]
        m = run_metrics(part[cols].to_numpy(np.float64), part["label"].to_numpy(), rec)
        rows.append({"experiment": exp, "split": split, **m})
    return pd.DataFrame(rows)


def ensemble_predictions(pred: pd.DataFrame, members: Sequence[str], name: str,
                         complete_only: bool = True) -> pd.DataFrame:
    """Model averaging: a predictions table for a new experiment ``name`` whose segment
    probabilities are the mean over the ``members`` experiments' probabilities of the same
    (split, recording, segment). With ``complete_only`` a split enters only when every member
    has it (otherwise the "ensemble" would be a single model). No test information is used:
    the members and their number are fixed before evaluation.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    cols = [f"p_{e}" for e in EMOTIONS]
    keys = ["split", "recording", "segment", "label"]
    part = pred[pred["experiment"].isin(members)]
    if part.empty:
        return pd.DataFrame(columns=PRED_COLUMNS + cols)
    have = part.groupby("split")["experiment"].nunique()
    splits_ok = have.index[have == len(set(members))] if complete_only else have.index
    part = part[part["split"].isin(splits_ok)]
    mean = part.groupby(keys, sort=False)[cols].mean().reset_index()
    mean.insert(0, "experiment", name)
    return mean[PRED_COLUMNS + cols].sort_values(["split", "recording", "segment"],
                                                  ignore_index=True)


def summarize_experiments(metrics: pd.DataFrame, columns: Sequence[str] = (
        "segment_accuracy", "accuracy", "uar")) -> pd.DataFrame:
    """Mean and std (ddof 0) over splits of each experiment, with the number of splits."""
    g = metrics.groupby("experiment", sort=False)
    out = pd.DataFrame({"n": g.size()})
    for c in columns:
        out[f"{c}_mean"] = g[c].mean()
        out[f"{c}_std"] = g[c].std(ddof=0)
    return out


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


def pitch_params(semitones: float, sr: int = 44100) -> dict:
    """The :func:`aesdd_pitch_mels` parameters of a shift (floats, so the cache key is stable)."""
    return {"sr": int(sr), "semitones": float(semitones)}


# --------------------------------------------------------------------------------------------
# A store of runs: predictions, histories, run facts, and a few models
# --------------------------------------------------------------------------------------------
def run_name(experiment: str, split: int) -> str:
    return f"{experiment}__{int(split)}"


def save_run(folder: Path, experiment: str, split: int, run: Run,
             recording_ids: Sequence[str], keep_model: bool = False) -> None:
    """Write one run under ``folder/runs/``: ``<experiment>__<split>.parquet`` (test segment
    probabilities, :func:`predictions_frame`), ``.history.csv`` and ``.json`` (config, kept
    epoch, times, sizes); with ``keep_model`` also the model (:func:`save_model`)."""
    runs = Path(folder) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    name = run_name(experiment, split)
    predictions_frame(experiment, split, run, recording_ids).to_parquet(runs / f"{name}.parquet")
    hist = run.history.assign(experiment=experiment, split=split)
    hist.to_csv(runs / f"{name}.history.csv", index=False, float_format="%.6g")
    facts = {"experiment": experiment, "split": int(split), "best_epoch": int(run.best_epoch),
             "epochs_run": len(run.history), "seconds": round(run.seconds, 1),
             "cpu_seconds": round(float(run.history["cpu_seconds"].sum()), 1),
             "n_fit_segments": run.n_fit, "n_val_segments": run.n_val,
             "n_test_segments": len(run.y), "n_params": count_params(run.model),
             "config": asdict(run.config)}
    (runs / f"{name}.json").write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")
    if keep_model:
        save_model(run.model, folder, name, run.scale, run.config)


def check_store(pred: pd.DataFrame, exps: dict[str, Experiment], table: pd.DataFrame) -> None:
    """Raise :class:`serlib.runstore.RunStoreError` naming the run when a stored run's test
    recordings (the ``recording`` column of its predictions, in order) are not those of its
    experiment's split: a store written for other splits or another copy of the corpus is never
    scored. Runs of experiments not in ``exps`` are ignored."""
    from serlib import runstore

    recordings = table["recording_id"].to_numpy()
    for (name, split), part in pred.groupby(["experiment", "split"], sort=False):
        if name not in exps:
            continue
        if split >= len(exps[name].splits):
            raise runstore.RunStoreError(f"stored run {run_name(name, split)}: "
                                         f"{exps[name].protocol} has no split {split}")
        expected = pd.unique(recordings[exps[name].splits[split][1]])
        stored = pd.unique(part["recording"].to_numpy())
        if len(stored) != len(set(stored) & set(expected)) or not np.array_equal(
                stored, [r for r in expected if r in set(stored)]):
            raise runstore.RunStoreError(
                f"stored run {run_name(name, split)} was tested on other recordings than split "
                f"{split} of {exps[name].protocol}: retrain it (retrain=True)")


def done_runs(folder: Path) -> set[str]:
    """Names ``<experiment>__<split>`` of the runs stored in ``folder``."""
    return {p.name[:-5] for p in (Path(folder) / "runs").glob("*.json")}


def load_store(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Everything :func:`save_run` wrote: ``(predictions, histories, facts)``, each one table
    over all runs (empty tables if there are none)."""
    runs = Path(folder) / "runs"
    names = sorted(done_runs(folder))
    if not names:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    pred = pd.concat([pd.read_parquet(runs / f"{n}.parquet") for n in names], ignore_index=True)
    hist = pd.concat([pd.read_csv(runs / f"{n}.history.csv") for n in names], ignore_index=True)
    facts = pd.DataFrame([json.loads((runs / f"{n}.json").read_text()) for n in names])
    return pred, hist, facts


@dataclass
class Experiment:
    """A named configuration evaluated on a list of splits (``protocol``: a results-file
    protocol name; ``splits``: (train rows, test rows) of the corpus table, one per repeat or
    fold)."""

    name: str
    config: TrainConfig
    protocol: str
    splits: list
    keep_models: tuple[int, ...] = ()


def run_experiment(exp: Experiment, segments: dict[str, Segments], recording_ids: Sequence[str],
                   folder: Path, variants: dict[float, Segments] | None = None,
                   skip_done: bool = True, only: Sequence[int] | None = None, log=print
                   ) -> list[str]:
    """Train ``exp.config`` on every split of ``exp`` (seed of split ``k``: ``config.seed +
    k``), asserting that no recording is on both sides, and store each run (:func:`save_run`).
    ``segments`` maps a features key (``"plain"`` or ``"wiener"``) to all the corpus's
    segments; ``variants`` maps a pitch shift to its aligned segments. Runs already stored are
    skipped unless ``skip_done`` is False. Returns the names of the runs trained.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb (retrain), the background training script.
    """
    from serlib import splits as splits_mod

    trained = []
    data = segments["wiener" if exp.config.wiener else "plain"]
    for k, (train_rows, test_rows) in enumerate(exp.splits):
        name = run_name(exp.name, k)
        if (only is not None and k not in only) or (skip_done and name in done_runs(folder)):
            continue
        train, test = data.take(train_rows), data.take(test_rows)
        splits_mod.assert_disjoint(np.concatenate([train.rec, test.rec]),
                                   [(np.arange(len(train)), len(train) + np.arange(len(test)))],
                                   what="recording")
        config = replace(exp.config, seed=exp.config.seed + k)
        chosen = [variants[s] for s in config.pitch_semitones] if config.pitch_semitones else []
        if log:
            log(f"== {name}: {len(train)} train / {len(test)} test segments")
        run = train_run(train, test, config, variants=chosen, log=log)
        save_run(folder, exp.name, k, run, recording_ids, keep_model=k in exp.keep_models)
        if log:
            m = run_metrics(run.proba, run.y, run.rec)
            log(f"   {name}: kept epoch {run.best_epoch}, segment acc "
                f"{m['segment_accuracy']:.4f}, recording acc {m['accuracy']:.4f}, "
                f"{run.seconds:.0f} s")
        trained.append(name)
    return trained


# --------------------------------------------------------------------------------------------
# The notebook's experiments
# --------------------------------------------------------------------------------------------
SEED_PROTOCOL = "seed004-random-80-20"
LOSO_PROTOCOL = "loso-6"
EMOBOX_PROTOCOL = "emobox-25"

#: Seed 004's training (Model3; 20 epochs, batch 64, Adam 1e-3, dropout 0.5, raw dB input).
SEED_CONFIG = TrainConfig()
#: The first improved recipe ("heavy"): Model3 with batch normalisation (momentum 0.9) on
#: standardised input, SpecAugment (2 + 2 masks), pitch-shifted training versions (+-4
#: semitones), a cosine learning rate, and the epoch kept by a validation split of the
#: training recordings (early stopping after 6 epochs without improvement). Its very first run
#: used Keras's default batch-norm momentum 0.99: validation accuracy stayed at chance while
#: training accuracy rose (moving statistics too slow for ~150 steps); experiment
#: ``heavy_aug_bn099`` keeps that run. With momentum 0.9 it still underfits in 20 epochs
#: (training accuracy about 0.6), so it was replaced by :data:`IMPROVED_CONFIG`.
HEAVY_CONFIG = TrainConfig(standardize=True, batch_norm=True, bn_momentum=0.9,
                           specaugment=True, pitch_semitones=(4.0, -4.0), schedule="cosine",
                           val_fraction=0.15, patience=6)
#: The improved recipe: the seed's Model3 on standardised input, pitch-shifted training
#: versions (+-4 semitones, drawn on the fly), milder SpecAugment (one frequency mask of up to
#: 12 bands, one time mask of up to 15 frames), a cosine learning rate over 25 epochs, the last
#: epoch kept (no data held out), and one prediction per recording (test-time averaging).
IMPROVED_CONFIG = TrainConfig(standardize=True, specaugment=True, freq_masks=1, freq_width=12,
                              time_masks=1, time_width=15, pitch_semitones=(4.0, -4.0),
                              schedule="cosine", epochs=25)

#: The seed's recipe plus SpecAugment alone (the seed's suggestion, never run there): two
#: frequency masks of up to 15 mel bands and two time masks of up to 20 frames per training
#: segment (:class:`TrainConfig`'s defaults, fixed before any SpecAugment run), raw dB input,
#: 20 epochs, the last epoch kept.
SPECAUGMENT_CONFIG = replace(SEED_CONFIG, specaugment=True)
#: The seed's recipe plus its pitch-shift augmentation as the seed meant it: every training
#: segment together with two copies shifted by +1/3 and -1/3 octave (+-4 semitones), the
#: training set tripled, 20 epochs, the last epoch kept (in the seed's code the augmentation
#: never ran).
PITCH_CONFIG = replace(SEED_CONFIG, pitch_semitones=(4.0, -4.0), pitch_mode="expand")

#: The seed's ablations and its two augmentations (pitch shift, which it planned, and
#: SpecAugment, which it suggested) on its protocol, each over all five repeats: experiment
#: name -> the seed 004 model of ``serlib/reference/published.csv`` it is compared with
#: (``None``: the seed published no number, only confusion matrices, a verdict or nothing).
SEED_ABLATIONS: dict[str, str | None] = {
    "model1_seed": "keras-model1 (seed 004)", "model2_seed": "keras-model2 (seed 004)",
    "model1_kernel5": "keras-model1 kernel5 (seed 004)", "model1_dropout03": None,
    "model1_dropout07": None, "model1_wiener": None,
    "model3_specaugment": None, "model3_pitch": "keras-model3 pitch-aug (seed 004)"}

#: The Model3 ensemble: the seed's recipe trained ``ENSEMBLE_SIZE`` times per split with
#: different initialisations (weights seeds ``k``, ``100 + k``, ``200 + k`` for split ``k``);
#: the ensemble averages their class probabilities (:func:`ensemble_predictions`).
ENSEMBLE_SIZE = 3


def ensemble_members(base: str = "model3_seed") -> tuple[str, ...]:
    """The experiments averaged by the ensemble of ``base`` (``model3_seed``,
    ``model3_emobox`` or ``model3_loso``): ``base`` and its re-initialised copies."""
    return (base,) + tuple(f"{base}_init{i}" for i in range(1, ENSEMBLE_SIZE))


ENSEMBLE_MEMBERS = ensemble_members("model3_seed")


def seed_splits(recording_ids: Sequence[str], repeats: int = 5) -> list:
    """Seed 004's protocol, seeded: ``repeats`` random 80/20 splits of the RECORDINGS (seed =
    repeat index), each asserted recording-disjoint."""
    from serlib import splits as splits_mod

    return [splits_mod.recording_holdout(recording_ids, 0.2, seed=r)[0] for r in range(repeats)]


def experiments(table: pd.DataFrame, repeats: int = 5) -> dict[str, Experiment]:
    """All experiments of notebooks/05 on an AESDD table (columns ``id``, ``recording_id``,
    ``speaker``, ``emotion``), with every split from the protocol registry (committed id lists:
    seed 004's five seeded 80/20 splits of the recordings, leave-one-speaker-out, EmoBox's own
    25 % split), in priority order: the seed's Model3 and the improved recipe on
    the seed protocol; both on EmoBox's split and leave-one-speaker-out; the seed's recipe
    from other initialisations (the members of the Model3 ensemble); the
    seed's ablations (Model1, Model2, 5x5 kernels, dropout 0.3 and 0.7, Wiener filter; on
    Model1 as in the seed), the seed's recipe with SpecAugment alone
    (:data:`SPECAUGMENT_CONFIG`) and with its pitch-shift augmentation (:data:`PITCH_CONFIG`),
    the improved recipe's ablations (each part removed or added), and
    the first, heavier recipe (:data:`HEAVY_CONFIG`). Only the improved recipe's first-repeat
    model is kept (4.6 MB in float32)."""
    from serlib import protocols

    seed = protocols.fold_splits(SEED_PROTOCOL, table)[:repeats]
    loso = protocols.fold_splits(LOSO_PROTOCOL, table)
    emobox = protocols.fold_splits(EMOBOX_PROTOCOL, table, warn=False)
    m1 = replace(SEED_CONFIG, arch="model1")
    imp = IMPROVED_CONFIG
    out = [
        Experiment("model3_seed", SEED_CONFIG, SEED_PROTOCOL, seed),
        Experiment("improved", imp, SEED_PROTOCOL, seed, keep_models=(0,)),
        Experiment("model3_emobox", SEED_CONFIG, EMOBOX_PROTOCOL, emobox),
        Experiment("model3_loso", SEED_CONFIG, LOSO_PROTOCOL, loso),
        Experiment("improved_emobox", imp, EMOBOX_PROTOCOL, emobox),
        Experiment("improved_loso", imp, LOSO_PROTOCOL, loso),
        *[Experiment(f"{base}_init{i}", replace(SEED_CONFIG, seed=100 * i), protocol, parts)
          for base, protocol, parts in (("model3_seed", SEED_PROTOCOL, seed),
                                        ("model3_emobox", EMOBOX_PROTOCOL, emobox),
                                        ("model3_loso", LOSO_PROTOCOL, loso))
          for i in range(1, ENSEMBLE_SIZE)],
        Experiment("model1_seed", m1, SEED_PROTOCOL, seed),
        Experiment("model2_seed", replace(SEED_CONFIG, arch="model2"), SEED_PROTOCOL, seed),
        Experiment("model1_kernel5", replace(m1, kernel_size=5), SEED_PROTOCOL, seed),
        Experiment("model1_dropout03", replace(m1, dropout=0.3), SEED_PROTOCOL, seed),
        Experiment("model1_dropout07", replace(m1, dropout=0.7), SEED_PROTOCOL, seed),
        Experiment("model1_wiener", replace(m1, wiener=True), SEED_PROTOCOL, seed),
        Experiment("model3_specaugment", SPECAUGMENT_CONFIG, SEED_PROTOCOL, seed),
        Experiment("model3_pitch", PITCH_CONFIG, SEED_PROTOCOL, seed),
        Experiment("improved_no_specaugment", replace(imp, specaugment=False), SEED_PROTOCOL,
                   seed),
        Experiment("improved_no_pitch", replace(imp, pitch_semitones=()), SEED_PROTOCOL, seed),
        Experiment("improved_constant_lr", replace(imp, schedule="constant"), SEED_PROTOCOL,
                   seed),
        Experiment("improved_early_stopping", replace(imp, val_fraction=0.15, patience=6),
                   SEED_PROTOCOL, seed),
        Experiment("improved_balanced", replace(imp, balanced=True), SEED_PROTOCOL, seed),
        Experiment("heavy_aug", HEAVY_CONFIG, SEED_PROTOCOL, seed),
        Experiment("heavy_aug_bn099", replace(HEAVY_CONFIG, bn_momentum=0.99), SEED_PROTOCOL,
                   seed),
    ]
    return {e.name: e for e in out}


# --------------------------------------------------------------------------------------------
# Tables and figures for the notebook
# --------------------------------------------------------------------------------------------
def pooled_recordings(pred: pd.DataFrame, experiment: str) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted class indices of every test recording of an experiment, pooled over
    its splits (one prediction per recording and split, by test-time averaging)."""
    cols = [f"p_{e}" for e in EMOTIONS]
    true, pred_all = [], []
    for _, part in pred[pred["experiment"] == experiment].groupby("split"):
        rec = pd.factorize(part["recording"])[0]
        _, rp = recording_proba(part[cols].to_numpy(np.float64), rec)
        true.append(recording_labels(part["label"].to_numpy(), rec))
        pred_all.append(rp.argmax(1))
    return np.concatenate(true), np.concatenate(pred_all)


def recording_predictions(pred: pd.DataFrame, experiment: str, speakers: dict[str, str],
                          repeats: bool = False) -> pd.DataFrame:
    """One row per test recording and split of an experiment (test-time averaging of its
    segments): ``replicate``, ``recording``, ``speaker`` (from ``speakers``, a map recording
    id -> speaker), ``y_true``, ``y_pred``: the input of the results' intervals
    (:func:`serlib.evaluation.make_rows`). ``repeats``: the splits are repeats of one protocol
    (seed 004's seeded 80/20 splits: each split is a replicate); otherwise they are folds that
    test every recording once (leave-one-speaker-out), pooled into one replicate."""
    cols = [f"p_{e}" for e in EMOTIONS]
    parts = []
    for split, part in pred[pred["experiment"] == experiment].groupby("split"):
        codes, names = pd.factorize(part["recording"])
        recs, rp = recording_proba(part[cols].to_numpy(np.float64), codes)
        parts.append(pd.DataFrame({
            "replicate": int(split) if repeats else 0, "recording": names[recs],
            "speaker": [speakers[r] for r in names[recs]],
            "y_true": recording_labels(part["label"].to_numpy(), codes), "y_pred": rp.argmax(1)}))
    columns = ["replicate", "recording", "speaker", "y_true", "y_pred"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def confusion_views(y_true: Sequence[int], y_pred: Sequence[int], title: str = ""):
    """The seed's two confusion-matrix views side by side: normalised over the TRUE class
    (rows sum to 1, diagonal = recall, red) and over the PREDICTED class (columns sum to 1,
    diagonal = precision, blue). Returns the figure.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns
    from sklearn.metrics import confusion_matrix

    counts = confusion_matrix(y_true, y_pred, labels=list(range(len(EMOTIONS))))
    recall = counts / counts.sum(axis=1, keepdims=True).clip(min=1)
    precision = counts / counts.sum(axis=0, keepdims=True).clip(min=1)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for ax, values, cmap, name in ((axes[0], recall, "Reds", "recall (rows sum to 1)"),
                                   (axes[1], precision, "Blues", "precision (columns sum to 1)")):
        sns.heatmap(values, annot=True, fmt=".2f", cmap=cmap, vmin=0, vmax=1, ax=ax,
                    xticklabels=EMOTIONS, yticklabels=EMOTIONS, cbar=False)
        ax.set(title=name, xlabel="predicted", ylabel="true")
        ax.tick_params(axis="x", rotation=45)
        ax.tick_params(axis="y", rotation=0)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def learning_curves(hist: pd.DataFrame, experiments_: Sequence[str], title: str = ""):
    """Training loss and accuracy (and validation recording accuracy where there is one) per
    epoch, one line per run, one column per experiment. Returns the figure.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(experiments_), figsize=(6 * len(experiments_), 6.4),
                             squeeze=False, sharey="row")
    for j, name in enumerate(experiments_):
        part = hist[hist["experiment"] == name]
        for split, runh in part.groupby("split"):
            axes[0, j].plot(runh["epoch"], runh["train_loss"], color="tab:blue", alpha=0.6,
                            label="train loss" if split == part["split"].min() else None)
            axes[1, j].plot(runh["epoch"], runh["train_acc"], color="tab:blue", alpha=0.6,
                            label="train accuracy (segments)" if split == part["split"].min()
                            else None)
            if runh["val_acc"].notna().any():
                axes[1, j].plot(runh["epoch"], runh["val_acc"], color="tab:orange", alpha=0.8,
                                label="validation accuracy (recordings)"
                                if split == part["split"].min() else None)
        axes[0, j].set(title=f"{name}: {part['split'].nunique()} runs", xlabel="epoch",
                       ylabel="cross-entropy")
        axes[1, j].set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
        for ax in axes[:, j]:
            ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
