"""Figures of chapter 05 (seed 004's Keras CNNs): confusion matrices at segment and recording
level, and learning curves.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from serlib.models.keras_cnn import EMOTIONS


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
