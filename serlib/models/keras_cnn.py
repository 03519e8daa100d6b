"""Seed 004's three Keras CNNs (3x3 'same' convolutions, 2x2 max-pooling, dropout 0.5 after
flatten) on 128 x 130 mel segments, and TensorFlow's one-time setup (threads, determinism,
quiet logs).
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


#: The seed's three models: convolution filters per layer and dense units after flatten.
ARCHITECTURES: dict[str, dict[str, tuple[int, ...]]] = {
    "model1": {"conv": (16, 32), "dense": (64,)},
    "model2": {"conv": (16, 32, 32), "dense": (64, 32)},  # the report says 64 filters; code 32
    "model3": {"conv": (16, 32, 64, 128), "dense": (128, 64, 32)},
}


#: Class order of the models' outputs (AESDD's five emotions, alphabetical as in the seed).
EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "happiness", "sadness")


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
