"""Figures of the deep-model notebooks: training curves, confusion matrices, attention weights
over time, predicted examples with probabilities, protocol comparisons and ensemble sizes.
Every function returns a titled, labelled figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

SPLIT_COLOURS = {"train": "tab:blue", "val": "tab:green", "test": "tab:red"}


def training_curves(histories: pd.DataFrame, title: str = "",
                    selected: Sequence[int] = ()) -> plt.Figure:
    """Accuracy and loss per epoch for train, validation and test: the mean over runs (line)
    and the range over runs (band). ``selected``: the validation-selected epochs of the runs,
    drawn as dotted vertical lines.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for ax, metric in zip(axes, ("acc", "loss"), strict=True):
        for split, colour in SPLIT_COLOURS.items():
            col = f"{split}_{metric}"
            if col not in histories or histories[col].isna().all():
                continue
            g = histories.groupby("epoch")[col]
            mean, lo, hi = g.mean(), g.min(), g.max()
            ax.plot(mean.index, mean.to_numpy(), color=colour, lw=1.4,
                    label={"val": "validation"}.get(split, split))
            ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=colour, alpha=0.15)
        for e in selected:
            ax.axvline(e, color="tab:green", ls=":", lw=1)
        ax.set(xlabel="epoch", ylabel="accuracy" if metric == "acc" else "loss (label smoothing)",
               title=f"{title} {'accuracy' if metric == 'acc' else 'loss'}".strip())
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def confusion_matrices(y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str],
                       title: str = "") -> plt.Figure:
    """Counts and row-normalised (recall per class) confusion matrices side by side; rows are
    the true classes, columns the predicted ones.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    cm = confusion_matrix(y_true, y_pred, labels=range(len(labels)))
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, values, fmt, name in ((axes[0], cm, "d", "counts"),
                                  (axes[1], norm, ".2f", "normalised by true class")):
        im = ax.imshow(values, cmap="Blues")
        for i in range(len(labels)):
            for j in range(len(labels)):
                ax.text(j, i, format(values[i, j], fmt), ha="center", va="center", fontsize=8,
                        color="white" if values[i, j] > values.max() / 2 else "black")
        ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set(xlabel="predicted", ylabel="true", title=f"{title} ({name})".strip())
        ax.grid(False)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def attention_examples(inputs: Sequence[np.ndarray], weights: Sequence[np.ndarray],
                       titles: Sequence[str], hop_seconds: float, ncols: int = 4
                       ) -> plt.Figure:
    """One panel per example: its log-mel input (frames on x) with the attention weights over
    time drawn on top (each weight covers the two input frames that the max-pool merged).

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    nrows = int(np.ceil(len(inputs) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
    for ax, x, w, title in zip(axes.flat, inputs, weights, titles, strict=False):
        n = x.shape[1]
        extent = (0, n * hop_seconds, 0, x.shape[0])
        ax.imshow(x, origin="lower", aspect="auto", cmap="magma", extent=extent)
        t = (np.arange(len(w)) * 2 + 1) * hop_seconds
        twin = ax.twinx()
        twin.plot(t, w, color="cyan", lw=1.8, marker="o", ms=2.5)
        twin.set_ylim(0, max(float(np.max(w)) * 1.1, 1e-6))
        twin.set_ylabel("attention", fontsize=7)
        twin.tick_params(labelsize=6)
        twin.grid(False)
        ax.grid(False)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("time (s)", fontsize=8)
        ax.set_ylabel("mel band", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(inputs):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def predicted_examples(inputs: Sequence[np.ndarray], y_true: Sequence[int],
                       probs: np.ndarray, labels: Sequence[str], hop_seconds: float,
                       ncols: int = 4) -> plt.Figure:
    """Log-mel inputs titled ``true / predicted (probability %)`` as the seed shows them;
    wrong predictions get a red title.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    nrows = int(np.ceil(len(inputs) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), squeeze=False)
    for ax, x, t, p in zip(axes.flat, inputs, y_true, probs, strict=False):
        k = int(np.argmax(p))
        ax.imshow(x, origin="lower", aspect="auto", cmap="magma",
                  extent=(0, x.shape[1] * hop_seconds, 0, x.shape[0]))
        ax.set_title(f"{labels[t]} / {labels[k]} ({100 * p[k]:.1f}%)", fontsize=9,
                     color="black" if k == t else "red")
        ax.set_xlabel("time (s)", fontsize=8)
        ax.set_ylabel("mel band", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(False)
    for ax in list(axes.flat)[len(inputs):]:
        ax.axis("off")
    fig.suptitle("true / predicted (probability of the prediction)", fontsize=10)
    fig.tight_layout()
    return fig


def protocol_comparison(table: pd.DataFrame, title: str = "") -> plt.Figure:
    """Horizontal bars of accuracy (percent) with error bars: ``table`` has columns
    ``label``, ``mean``, ``std`` (fractions) and ``kind`` (ours / seed / anchor, coloured).

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    colours = {"ours": "tab:blue", "seed": "tab:orange", "anchor": "tab:gray"}
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(table) + 1.2))
    ypos = np.arange(len(table))[::-1]
    ax.barh(ypos, 100 * table["mean"], xerr=100 * table["std"].fillna(0),
            color=[colours.get(k, "tab:blue") for k in table["kind"]], alpha=0.85)
    for yp, m in zip(ypos, table["mean"], strict=True):
        ax.text(100 * m + 0.6, yp, f"{100 * m:.1f}", va="center", fontsize=8)
    ax.set_yticks(ypos, table["label"], fontsize=8)
    ax.set(xlabel="accuracy (%)", title=title, xlim=(0, 100))
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend(handles, list(colours), fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def ensemble_curves(curves: pd.DataFrame, title: str = "") -> plt.Figure:
    """Ensemble accuracy (percent) against the number of models averaged, one panel per
    protocol and one line per recipe, with the spread over groups and folds as error bars.
    ``curves`` has columns ``protocol``, ``recipe``, ``size``, ``accuracy`` and ``std``
    (fractions), e.g. rows of :func:`serlib.training.ensemble_curve` labelled by protocol and
    recipe.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    protocols = list(dict.fromkeys(curves["protocol"]))
    fig, axes = plt.subplots(1, len(protocols), figsize=(4.2 * len(protocols), 3.6),
                             squeeze=False)
    for ax, protocol in zip(axes[0], protocols, strict=True):
        part = curves[curves["protocol"] == protocol]
        for recipe, line in part.groupby("recipe", sort=False):
            ax.errorbar(line["size"], 100 * line["accuracy"], yerr=100 * line["std"],
                        marker="o", ms=4, capsize=3, lw=1.4, label=recipe)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.set(xlabel="models averaged", ylabel="test accuracy (%)",
               title=f"{title} {protocol}".strip())
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
