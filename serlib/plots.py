"""Figures the notebooks share (matplotlib + seaborn). Every function draws into a new or given
axes, titles and labels it, and returns the figure or axes so the notebook can save it.
"""

from __future__ import annotations

from collections.abc import Sequence

import librosa
import librosa.display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

sns.set_theme(context="notebook", style="whitegrid")


def class_balance(table: pd.DataFrame, column: str = "emotion", title: str = "",
                  ax: plt.Axes | None = None) -> plt.Axes:
    """Bar chart of recordings per class, with the chance level of always guessing the
    majority class written in the title.

    Used in: notebooks/01_eda.ipynb.
    """
    ax = ax or plt.subplots(figsize=(7, 3.2))[1]
    counts = table[column].value_counts(sort=False)
    sns.barplot(x=counts.index.astype(str), y=counts.to_numpy(), ax=ax, color="tab:blue")
    majority = counts.max() / counts.sum()
    ax.set(title=f"{title} recordings per {column} (majority class {majority:.1%})",
           xlabel=column, ylabel="recordings")
    ax.tick_params(axis="x", rotation=30)
    return ax


def duration_histograms(tables: dict[str, pd.DataFrame], bins: int = 40) -> plt.Figure:
    """One histogram of clip durations (seconds) per corpus, side by side.

    Used in: notebooks/01_eda.ipynb.
    """
    fig, axes = plt.subplots(1, len(tables), figsize=(5.5 * len(tables), 3.2), squeeze=False)
    for ax, (name, table) in zip(axes[0], tables.items(), strict=True):
        sns.histplot(table["duration"], bins=bins, ax=ax)
        ax.axvline(table["duration"].median(), color="k", ls="--", lw=1, label="median")
        ax.set(title=f"{name}: clip durations", xlabel="duration (s)", ylabel="recordings")
        ax.legend()
    fig.tight_layout()
    return fig


def duration_by_emotion(table: pd.DataFrame, title: str = "",
                        ax: plt.Axes | None = None) -> plt.Axes:
    """Box plot of durations (seconds) per emotion.

    Used in: notebooks/01_eda.ipynb.
    """
    ax = ax or plt.subplots(figsize=(7, 3.2))[1]
    sns.boxplot(data=table, x="emotion", y="duration", ax=ax, color="tab:orange")
    ax.set(title=f"{title} duration per emotion", xlabel="emotion", ylabel="duration (s)")
    ax.tick_params(axis="x", rotation=30)
    return ax


def waveform_and_logmel(y: np.ndarray, sr: int, logmel: np.ndarray, hop_length: int,
                        title: str = "", vad: tuple[int, int] | None = None,
                        trimmed: tuple[float, float] | None = None) -> plt.Figure:
    """A clip's waveform over its log-mel spectrogram, with the EmoCatcher VAD bounds
    (``vad``, in frames) and a trimmed region (``trimmed``, in seconds) drawn on both.

    Used in: notebooks/01_eda.ipynb.
    """
    fig, (ax_w, ax_m) = plt.subplots(2, 1, figsize=(7, 4.2), sharex=True,
                                     gridspec_kw={"height_ratios": [1, 1.6]})
    librosa.display.waveshow(y, sr=sr, ax=ax_w, color="tab:blue")
    librosa.display.specshow(logmel, sr=sr, hop_length=hop_length, x_axis="time",
                             y_axis="mel", ax=ax_m, fmax=sr / 2)
    for ax in (ax_w, ax_m):
        if vad is not None:
            for frame in vad:
                ax.axvline(min(frame, logmel.shape[1]) * hop_length / sr, color="red", lw=1.5)
        if trimmed is not None:
            ax.axvspan(*trimmed, color="yellow", alpha=0.15)
    ax_w.set(title=title, ylabel="amplitude", xlabel="")
    ax_m.set(ylabel="mel frequency (Hz)", xlabel="time (s)")
    fig.tight_layout()
    return fig


def projection_scatter(points: np.ndarray, labels: Sequence, title: str,
                       ax: plt.Axes | None = None, legend: bool = True) -> plt.Axes:
    """2-D scatter of projected feature vectors coloured by ``labels``.

    Used in: notebooks/02_features.ipynb.
    """
    ax = ax or plt.subplots(figsize=(5, 4))[1]
    sns.scatterplot(x=points[:, 0], y=points[:, 1], hue=np.asarray(labels).astype(str),
                    s=12, linewidth=0, ax=ax, legend=legend, palette="tab10")
    ax.set(title=title, xlabel="component 1", ylabel="component 2")
    if legend:
        ax.legend(fontsize=7, markerscale=1.2, ncols=2, loc="best")
    return ax


def frame_feature_panel(feats: dict[str, np.ndarray], sr: int, hop_length: int,
                        title: str = "") -> plt.Figure:
    """One image per frame-feature group (MFCC, log-mel, chroma, contrast) of one clip.

    Used in: notebooks/02_features.ipynb.
    """
    fig, axes = plt.subplots(len(feats), 1, figsize=(7, 2.0 * len(feats)), sharex=True)
    for ax, (name, values) in zip(np.atleast_1d(axes), feats.items(), strict=True):
        img = librosa.display.specshow(values, sr=sr, hop_length=hop_length, x_axis="time",
                                       ax=ax, cmap="magma")
        fig.colorbar(img, ax=ax, pad=0.01)
        ax.set(title=f"{name} ({values.shape[0]} x {values.shape[1]})", ylabel="bin")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def save_figure(fig: plt.Figure, folder, name: str, dpi: int = 90) -> None:
    """Save ``fig`` as ``<folder>/figures/<name>.png`` at screen resolution (reports stay lean).

    Used in: every notebook, with ``folder`` = the run's reports folder.
    """
    from pathlib import Path

    target = Path(folder) / "figures" / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=dpi, bbox_inches="tight")
