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
#: PNG metadata of saved figures: no "Software" entry (it names the matplotlib version), so the
#: same figure gives the same bytes on every run and machine.
PNG_METADATA: dict[str, str | None] = {"Software": None}


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
    labels = np.asarray(labels).astype(str)
    palette = "tab10" if len(set(labels)) <= 10 else "husl"
    sns.scatterplot(x=points[:, 0], y=points[:, 1], hue=labels, s=12, linewidth=0, ax=ax,
                    legend=legend, palette=palette)
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
    """Save ``fig`` as ``<folder>/figures/<name>.png`` at screen resolution (reports stay lean),
    with fixed metadata (:data:`PNG_METADATA`): saving the same figure twice gives the same
    bytes.

    Used in: every notebook, with ``folder`` = the run's reports folder.
    """
    from pathlib import Path

    target = Path(folder) / "figures" / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=dpi, bbox_inches="tight", metadata=PNG_METADATA)


def elimination_path(path: pd.DataFrame, candidates: pd.DataFrame, title: str = "",
                     selected: Sequence[str] | None = None,
                     ax: plt.Axes | None = None) -> plt.Axes:
    """Backward elimination of feature groups: every candidate subset's mean validation
    accuracy (grey dots) against its number of groups, the kept path (line, with +- one std
    over folds), the group removed at each step, and the selected subset (star).
    ``path``/``candidates``: :class:`serlib.baselines.Elimination` tables.

    Used in: notebooks/03_backward_selection.ipynb.
    """
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    ax.scatter(candidates["n_groups"], candidates["mean"], color="0.6", s=14, zorder=2,
               label="candidate subsets")
    ax.errorbar(path["n_groups"], path["mean"], yerr=path["std"], color="tab:blue", marker="o",
                ms=5, capsize=3, zorder=3, label="kept subset (+- 1 std over folds)")
    for _, row in path.iterrows():
        text = "all groups" if not row["removed"] else f"- {row['removed']}"
        ax.annotate(text, (row["n_groups"], row["mean"]), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=8)
    if selected is not None:
        best = path[path["subset"] == "+".join(selected)]
        ax.scatter(best["n_groups"], best["mean"], marker="*", s=220, color="tab:red", zorder=4,
                   label="selected")
    ax.set(title=title, xlabel="feature groups in the subset",
           ylabel="validation accuracy (grouped CV)")
    ax.set_xticks(sorted(path["n_groups"].unique()))
    ax.invert_xaxis()
    ax.legend(fontsize=7, loc="lower left")
    return ax


def grouped_bars(table: pd.DataFrame, x: str, hue: str, value: str = "mean",
                 err: str | None = "std", title: str = "", ylabel: str = "",
                 chance: float | None = None, ax: plt.Axes | None = None,
                 annotate: bool = True) -> plt.Axes:
    """Grouped bar chart of a precomputed ``value`` per ``x`` and ``hue`` (long table), with
    error bars from the ``err`` column (e.g. std over folds) and an optional chance line.

    Used in: notebooks/04_baselines.ipynb.
    """
    ax = ax or plt.subplots(figsize=(8, 3.6))[1]
    xs = list(dict.fromkeys(table[x]))
    hues = list(dict.fromkeys(table[hue]))
    width = 0.8 / len(hues)
    palette = sns.color_palette("tab10", len(hues))
    for j, h in enumerate(hues):
        part = table[table[hue] == h].set_index(x).reindex(xs)
        pos = np.arange(len(xs)) - 0.4 + width * (j + 0.5)
        yerr = part[err].fillna(0).to_numpy() if err else None
        bars = ax.bar(pos, part[value].to_numpy(), width, yerr=yerr, capsize=3, label=str(h),
                      color=palette[j])
        if annotate:
            ax.bar_label(bars, labels=[f"{v:.2f}" if np.isfinite(v) else "" for v in
                                       part[value].to_numpy()], fontsize=7, padding=2)
    if chance is not None:
        ax.axhline(chance, color="k", ls="--", lw=1, label=f"chance {chance:.2f}")
    ax.set_xticks(np.arange(len(xs)), [str(v) for v in xs])
    ax.set(title=title, xlabel=x, ylabel=ylabel or value)
    ax.legend(fontsize=7, ncols=2, loc="upper right")
    return ax


def confusion_pair(y_true: Sequence, y_pred: Sequence, labels: Sequence, title: str = ""
                   ) -> plt.Figure:
    """Confusion matrix of a classifier in counts and row-normalised (each true class sums
    to 1, so the diagonal is the per-class recall), side by side.

    Used in: notebooks/04_baselines.ipynb.
    """
    from sklearn.metrics import confusion_matrix

    counts = confusion_matrix(y_true, y_pred, labels=list(labels))
    rows = counts / counts.sum(axis=1, keepdims=True).clip(min=1)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    sns.heatmap(counts, annot=True, fmt="d", cmap="Blues", xticklabels=labels,
                yticklabels=labels, ax=axes[0], cbar_kws={"label": "clips"})
    sns.heatmap(rows, annot=True, fmt=".2f", cmap="Blues", vmin=0, vmax=1, xticklabels=labels,
                yticklabels=labels, ax=axes[1], cbar_kws={"label": "share of the true class"})
    axes[0].set(title="counts", xlabel="predicted", ylabel="true")
    axes[1].set(title="row-normalised (diagonal = recall)", xlabel="predicted", ylabel="true")
    for ax in axes:
        ax.tick_params(axis="x", rotation=45)
        ax.tick_params(axis="y", rotation=0)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def grid_heatmap(results: pd.DataFrame, row: str, col: str, value: str = "mean",
                 title: str = "", ax: plt.Axes | None = None) -> plt.Axes:
    """Heatmap of a two-parameter grid search's mean validation score (e.g. the RBF SVM's C
    by gamma); ``results`` is :class:`serlib.baselines.Tuned`'s table.

    Used in: notebooks/04_baselines.ipynb.
    """
    ax = ax or plt.subplots(figsize=(5, 3.5))[1]
    table = results.assign(**{row: results[row].astype(str), col: results[col].astype(str)})
    pivot = table.pivot_table(index=row, columns=col, values=value, sort=False)
    sns.heatmap(pivot, annot=True, fmt=".3f", cmap="viridis", ax=ax,
                cbar_kws={"label": "validation accuracy"})
    ax.set(title=title, xlabel=col, ylabel=row)
    return ax


def results_overview(table: pd.DataFrame, corpus: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Horizontal bars of accuracy (%) per protocol and model for one corpus, coloured by source
    (this study, seed's published number, external anchor), with the std as error bars.
    ``table``: rows of the results file with metric accuracy.

    Used in: notebooks/07_error_analysis.ipynb.
    """
    rows = table[(table["corpus"] == corpus)].copy()
    rows["label"] = rows["protocol"] + " · " + rows["model"]
    rows = rows.sort_values(["protocol", "mean"], ascending=[True, True])
    ax = ax or plt.subplots(figsize=(8, 0.32 * len(rows) + 1.2))[1]
    colours = {"ours": "tab:blue", "seed": "tab:orange", "anchor": "tab:gray"}
    ax.barh(rows["label"], rows["mean"] * 100, xerr=rows["std"].fillna(0) * 100,
            color=[colours[s] for s in rows["source"]], capsize=2)
    for source, colour in colours.items():
        ax.barh([], [], color=colour, label={"ours": "this study", "seed": "seed (published)",
                                              "anchor": "external anchor"}[source])
    ax.set(title=f"{corpus}: accuracy by protocol and model", xlabel="accuracy (%)", ylabel="")
    ax.tick_params(axis="y", labelsize=8)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def recall_heatmap(recall: pd.DataFrame, title: str = "", ax: plt.Axes | None = None
                   ) -> plt.Axes:
    """Heat map of per-class recall (rows: models, columns: classes), annotated in percent.

    Used in: notebooks/07_error_analysis.ipynb.
    """
    ax = ax or plt.subplots(figsize=(1.0 * recall.shape[1] + 3, 0.5 * recall.shape[0] + 1.5))[1]
    sns.heatmap(recall * 100, annot=True, fmt=".0f", cmap="viridis", vmin=0, vmax=100, ax=ax,
                cbar_kws={"label": "recall (%)"})
    ax.set(title=title, xlabel="true emotion", ylabel="")
    return ax


def factor_accuracy(table: pd.DataFrame, factor: str, title: str = "",
                    ax: plt.Axes | None = None) -> plt.Axes:
    """Accuracy (%) per level of a factor with 95 % bootstrap intervals (from
    :func:`serlib.error_analysis.accuracy_by`).

    Used in: notebooks/07_error_analysis.ipynb.
    """
    ax = ax or plt.subplots(figsize=(5, 3))[1]
    levels = table.index.astype(str)
    ax.bar(levels, table["accuracy"] * 100, color="tab:blue",
           yerr=[(table["accuracy"] - table["ci_low"]) * 100,
                 (table["ci_high"] - table["accuracy"]) * 100], capsize=3)
    ax.set(title=title, xlabel=factor, ylabel="accuracy (%)", ylim=(0, 100))
    ax.tick_params(axis="x", rotation=30 if len(levels) > 6 else 0)
    return ax


def reliability_diagram(table: pd.DataFrame, ece: float, title: str = "",
                        ax: plt.Axes | None = None) -> plt.Axes:
    """Accuracy against confidence per bin (from :func:`serlib.error_analysis.calibration`),
    with the diagonal of perfect calibration and the ECE in the title.

    Used in: notebooks/07_error_analysis.ipynb.
    """
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    ax.plot([0, 1], [0, 1], ls="--", color="0.5", label="perfectly calibrated")
    ax.plot(table["confidence"], table["accuracy"], marker="o", label="model")
    for row in table.itertuples():
        ax.annotate(str(row.n), (row.confidence, row.accuracy), fontsize=7,
                    textcoords="offset points", xytext=(3, -10))
    ax.set(title=f"{title} (ECE {ece:.3f})", xlabel="confidence (max probability)",
           ylabel="accuracy", xlim=(0, 1), ylim=(0, 1))
    ax.legend(fontsize=8, loc="upper left")
    return ax
