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

from serlib.plots.deep_plots import SOURCE_STYLE, error_extents, frequency_ticks, hz_text

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


def set_frequency_ticks(ax: plt.Axes, fmax: float, fmin: float = 0.0) -> None:
    """Hz ticks (round values up to ``fmax``, the top of the range) on the y axis of a
    spectrogram drawn by :func:`librosa.display.specshow` (whose y coordinates are in Hz)."""
    ticks = frequency_ticks(fmax, fmin)
    ax.set_yticks(ticks, [hz_text(f) for f in ticks])
    ax.set_ylim(fmin, fmax)
    ax.set_ylabel("frequency (Hz)")


def mel_range_text(n_mels: int, fmin: float, fmax: float) -> str:
    """``64 mel bands, 0-6000 Hz``: what a log-mel spectrogram's rows cover."""
    return f"{n_mels} mel bands, {fmin:.0f}-{fmax:.0f} Hz"


def logmel_image(logmel: np.ndarray, sr: int, hop_length: int, fmin: float = 0.0,
                 fmax: float | None = None, ax: plt.Axes | None = None, title: str = "",
                 colorbar: bool = True, vmin: float | None = None, vmax: float | None = None,
                 cax: plt.Axes | None = None):
    """A log-mel spectrogram in dB on a time axis (s) and a frequency axis labelled in Hz over
    the range its filterbank covers (``fmin`` to ``fmax``; ``None``: ``sr / 2``, librosa's
    default), with a dB colour bar (in ``cax`` if given); the title (default: the bands and
    their range, :func:`mel_range_text`). ``vmin``/``vmax`` fix the colour scale (to compare
    panels). Returns the image.

    Used in: notebooks/01_eda.ipynb, notebooks/02_features.ipynb.
    """
    ax = ax or plt.subplots(figsize=(7, 3))[1]
    fmax = float(sr / 2 if fmax is None else fmax)
    image = librosa.display.specshow(logmel, sr=sr, hop_length=hop_length, x_axis="time",
                                     y_axis="mel", fmin=fmin, fmax=fmax, ax=ax, cmap="magma",
                                     vmin=vmin, vmax=vmax)
    set_frequency_ticks(ax, fmax, fmin)
    ax.set(xlabel="time (s)", title=title or mel_range_text(logmel.shape[0], fmin, fmax))
    if colorbar:
        ax.figure.colorbar(image, ax=None if cax is not None else ax, cax=cax, label="dB",
                           pad=0.01)
    return image


def waveform_and_logmel(y: np.ndarray, sr: int, logmel: np.ndarray, hop_length: int,
                        title: str = "", vad: tuple[int, int] | None = None,
                        trimmed: tuple[float, float] | None = None, fmin: float = 0.0,
                        fmax: float | None = None) -> plt.Figure:
    """A clip's waveform over its log-mel spectrogram (frequency axis in Hz from ``fmin`` to
    ``fmax``, the range of the filterbank that made ``logmel``; ``None``: ``sr / 2``; dB
    colour bar), with the EmoCatcher VAD bounds (``vad``, in frames) and a trimmed region
    (``trimmed``, in seconds) drawn on both.

    Used in: notebooks/01_eda.ipynb.
    """
    fig = plt.figure(figsize=(7.6, 4.4), layout="constrained", dpi=80)  # small inline PNGs
    grid = fig.add_gridspec(2, 2, width_ratios=(1, 0.025), height_ratios=(1, 1.6))
    ax_w = fig.add_subplot(grid[0, 0])
    ax_m = fig.add_subplot(grid[1, 0], sharex=ax_w)
    librosa.display.waveshow(y, sr=sr, ax=ax_w, color="tab:blue")
    logmel_image(logmel, sr, hop_length, fmin=fmin, fmax=fmax, ax=ax_m,
                 cax=fig.add_subplot(grid[1, 1]))
    for ax in (ax_w, ax_m):
        if vad is not None:
            for frame in vad:
                ax.axvline(min(frame, logmel.shape[1]) * hop_length / sr, color="red", lw=1.5)
        if trimmed is not None:
            ax.axvspan(*trimmed, color="yellow", alpha=0.15)
    ax_w.set(title=title, ylabel="amplitude", xlabel="")
    ax_w.tick_params(labelbottom=False)
    ax_m.set(xlabel="time (s)")
    return fig


def projection_scatter(points: np.ndarray, labels: Sequence, title: str,
                       ax: plt.Axes | None = None, legend: bool = True,
                       name_centres: bool | None = None) -> plt.Axes:
    """2-D scatter of projected feature vectors coloured by ``labels``. With many labels (more
    than ten, e.g. 24 speakers) colours cannot be told apart, so each label's name is written
    at the centre of its points instead of a legend (``name_centres``; default: when there
    are more than ten labels).

    Used in: notebooks/02_features.ipynb.
    """
    ax = ax or plt.subplots(figsize=(5, 4))[1]
    labels = np.asarray(labels).astype(str)
    names = list(dict.fromkeys(sorted(labels)))
    many = len(names) > 10
    name_centres = many if name_centres is None else name_centres
    palette = "tab10" if not many else "husl"
    sns.scatterplot(x=points[:, 0], y=points[:, 1], hue=labels, hue_order=names, s=12,
                    linewidth=0, ax=ax, legend=legend and not name_centres, palette=palette,
                    alpha=0.55 if name_centres else 1.0)
    if name_centres:
        colours = dict(zip(names, sns.color_palette(palette, len(names)), strict=True))
        for name in names:
            centre = points[labels == name, :2].mean(axis=0)
            ax.annotate(name.lstrip("0") or "0", centre, ha="center", va="center", fontsize=8,
                        fontweight="bold", color="black",
                        bbox={"boxstyle": "circle,pad=0.2", "fc": colours[name], "ec": "black",
                              "lw": 0.5, "alpha": 0.9})
        title = f"{title} (number: centre of that one's clips)"
    ax.set(title=title, xlabel="component 1", ylabel="component 2")
    if legend and not name_centres:
        ax.legend(fontsize=7, markerscale=1.2, ncols=2, loc="best")
    return ax


#: How :func:`frame_feature_panel` labels each frame-feature group: y axis, colour bar.
FRAME_FEATURE_AXES = {
    "mfcc": ("MFCC coefficient", "coefficient value"),
    "mel": ("frequency (Hz)", "dB"),
    "chroma": ("pitch class", "energy (max 1)"),
    "contrast": ("octave band", "peak-to-valley (dB)"),
}


def frame_feature_panel(feats: dict[str, np.ndarray], sr: int, hop_length: int,
                        title: str = "", fmax: float | None = None) -> plt.Figure:
    """One image per frame-feature group (MFCC, log-mel, chroma, contrast) of one clip, on a
    time axis in seconds, each with its unit: the log-mel's frequency axis in Hz up to
    ``fmax`` (``None``: ``sr / 2``, what :func:`serlib.features.acoustic.frame_features` uses),
    chroma
    by pitch class, contrast by octave band, dB colour bars where the values are dB.

    Used in: notebooks/02_features.ipynb.
    """
    fig, axes = plt.subplots(len(feats), 1, figsize=(7.6, 2.1 * len(feats)), sharex=True)
    for ax, (name, values) in zip(np.atleast_1d(axes), feats.items(), strict=True):
        ylabel, unit = FRAME_FEATURE_AXES.get(name, ("bin", ""))
        shape = f"{values.shape[0]} x {values.shape[1]} frames"
        if name == "mel":
            top = sr / 2 if fmax is None else fmax
            img = logmel_image(values, sr, hop_length, fmax=fmax, ax=ax, colorbar=False,
                               title=f"log-mel ({shape}; {mel_range_text(len(values), 0, top)})")
        else:
            img = librosa.display.specshow(values, sr=sr, hop_length=hop_length, x_axis="time",
                                           y_axis="chroma" if name == "chroma" else None,
                                           ax=ax, cmap="magma")
            if name != "chroma":
                step = max(1, len(values) // 4)
                ticks = np.arange(0, len(values), step)
                first = 0 if name == "mfcc" else 1  # MFCC 0 is the energy term
                ax.set_yticks(ticks, [str(t + first) for t in ticks])  # rows centred on k
            ax.set(title=f"{name} ({shape})")
        ax.set(ylabel=ylabel, xlabel="")
        fig.colorbar(img, ax=ax, pad=0.01, label=unit)
    np.atleast_1d(axes)[-1].set_xlabel("time (s)")
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
    ``path``/``candidates``: :class:`serlib.experiments.baselines.Elimination` tables.

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
    error bars from the ``err`` column (e.g. std over folds) and an optional chance line. Rows
    with a 95 % interval (columns ``ci_low`` and ``ci_high``, e.g. one test split, where a std
    over folds does not exist) get that interval as their error bar.

    Used in: notebooks/04_baselines.ipynb.
    """
    ax = ax or plt.subplots(figsize=(8, 3.6))[1]
    xs = list(dict.fromkeys(table[x]))
    hues = list(dict.fromkeys(table[hue]))
    width = 0.8 / len(hues)
    palette = sns.color_palette("tab10", len(hues))
    has_ci = {"ci_low", "ci_high"} <= set(table.columns)
    for j, h in enumerate(hues):
        part = table[table[hue] == h].set_index(x).reindex(xs)
        pos = np.arange(len(xs)) - 0.4 + width * (j + 0.5)
        values = part[value].to_numpy(dtype=float)
        yerr = None
        if err or has_ci:
            spread = (part[err].fillna(0).to_numpy(dtype=float) if err
                      else np.full(len(xs), np.nan))  # no error bar where nothing is known
            low, high = spread.copy(), spread.copy()
            if has_ci:
                known = part["ci_low"].notna().to_numpy() & part["ci_high"].notna().to_numpy()
                low[known] = values[known] - part["ci_low"].to_numpy(dtype=float)[known]
                high[known] = part["ci_high"].to_numpy(dtype=float)[known] - values[known]
            yerr = np.clip(np.vstack([low, high]), 0, None)
        bars = ax.bar(pos, values, width, yerr=yerr, capsize=3, label=str(h), color=palette[j])
        if annotate:
            ax.bar_label(bars, labels=[f"{v:.2f}" if np.isfinite(v) else "" for v in values],
                         fontsize=7, padding=2)
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
    by gamma); ``results`` is :class:`serlib.experiments.baselines.Tuned`'s table.

    Used in: notebooks/04_baselines.ipynb.
    """
    ax = ax or plt.subplots(figsize=(5, 3.5))[1]
    table = results.assign(**{row: results[row].astype(str), col: results[col].astype(str)})
    pivot = table.pivot_table(index=row, columns=col, values=value, sort=False)
    sns.heatmap(pivot, annot=True, fmt=".3f", cmap="viridis", ax=ax,
                cbar_kws={"label": "validation accuracy"})
    ax.set(title=title, xlabel=col, ylabel=row)
    return ax


#: Selections whose rows must never head a table (chosen on the test set, formed after the
#: test numbers were seen, or using the unlabelled test recordings): hatched in
#: :func:`results_overview`.
CAVEAT_SELECTIONS = ("test-picked", "post-hoc", "transductive")


def _protocol_order(protocols) -> list[str]:
    """Protocols with speakers shared between training and test first, then the
    speaker-independent ones, then the rest; by name within each kind."""
    from serlib.evaluation.error_analysis import PROTOCOL_KIND

    rank = {"random (speakers shared)": 0, "speaker-independent": 1}
    return sorted(set(protocols), key=lambda p: (rank.get(PROTOCOL_KIND.get(p, ""), 2), p))


def _protocol_panel(ax: plt.Axes, rows: pd.DataFrame, protocol: str) -> None:
    """One protocol's bars (best on top), error bars and values, titled with its kind."""
    from serlib.evaluation.error_analysis import PROTOCOL_KIND

    rows = rows.sort_values("mean", ascending=True)
    ypos = np.arange(len(rows))
    errors = error_extents(rows)
    caveat = (rows["selection"].isin(CAVEAT_SELECTIONS).to_numpy() if "selection" in rows
              else np.zeros(len(rows), bool))
    bars = ax.barh(ypos, rows["mean"] * 100, xerr=errors, capsize=2, height=0.75,
                   color=[SOURCE_STYLE.get(s, SOURCE_STYLE["ours"])[0] for s in rows["source"]],
                   error_kw={"lw": 1})
    for bar, hatched in zip(bars, caveat, strict=True):
        if hatched:
            bar.set_hatch("///")
            bar.set_edgecolor("white")
    for yp, m, above in zip(ypos, rows["mean"], errors[1], strict=True):
        ax.text(100 * m + above + 0.8, yp, f"{100 * m:.1f}", va="center", fontsize=7)
    ax.set_yticks(ypos, rows["model"], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    kind = PROTOCOL_KIND.get(protocol)
    ax.set_title(f"{protocol}" + (f" ({kind})" if kind else ""), fontsize=9, loc="left")
    ax.set_xlim(0, 100)
    ax.grid(axis="y", visible=False)


def results_overview(table: pd.DataFrame, corpus: str, ax: plt.Axes | None = None
                     ) -> list[plt.Axes]:
    """Accuracy (%) of every model of one corpus, one panel per protocol (speakers shared
    first, then speaker-independent; best model on top), coloured by source (this study, a
    seed's published number, an external anchor; the legend shows each colour), hatched where
    the row was chosen on the test set, formed after the test numbers were seen or used the
    test recordings (:data:`CAVEAT_SELECTIONS`). Error bars: std over folds or seeds; for a
    single split, the 95 % interval (``ci_low``/``ci_high``) where the results file has it.
    ``table``: rows of the results file with metric accuracy.

    With ``ax`` the panels fill that axes' place in its figure (its row of a grid of subplots
    is resized to the number of bars); without, a new figure. Returns the panels.

    Used in: notebooks/08_error_analysis.ipynb (08_error_analysis).
    """
    rows = table[table["corpus"] == corpus]
    protocols = _protocol_order(rows["protocol"])
    sizes = [int((rows["protocol"] == p).sum()) for p in protocols]
    header, gap = 0.6, 1.7  # rows of room for the legend, and for each panel's title
    heights = [n + gap for n in sizes]
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.5, 0.24 * sum(heights) + 1.6))
    else:
        _resize_row(ax, sum(heights) + header + 2.5)
    ax.axis("off")
    # the panels are insets of ``ax`` (axes coordinates): they move with it in tight_layout
    total = sum(heights) + header
    tops = 1 - (header + np.concatenate([[0], np.cumsum(heights)[:-1]])) / total
    panels = []
    for k, protocol in enumerate(protocols):
        bottom, height = tops[k] - heights[k] / total, (heights[k] - gap) / total
        panel = ax.inset_axes((0, bottom, 1, height), sharex=panels[0] if panels else None)
        _protocol_panel(panel, rows[rows["protocol"] == protocol], protocol)
        if k < len(protocols) - 1:
            panel.tick_params(labelbottom=False)
        panels.append(panel)
    if panels:
        handles = [plt.Rectangle((0, 0), 1, 1, color=SOURCE_STYLE[k][0]) for k in SOURCE_STYLE
                   if k in set(rows["source"])]
        labels = [SOURCE_STYLE[k][1] for k in SOURCE_STYLE if k in set(rows["source"])]
        if "selection" in rows and rows["selection"].isin(CAVEAT_SELECTIONS).any():
            handles.append(plt.Rectangle((0, 0), 1, 1, fc="tab:blue", hatch="///", ec="white"))
            labels.append("test-picked / post-hoc / transductive")
        ax.legend(handles, labels, fontsize=7, ncols=len(handles), loc="upper left",
                  bbox_to_anchor=(0, 1), frameon=False, borderaxespad=0, handlelength=1.5)
        ax.set_title(f"{corpus}: accuracy by protocol and model", loc="left", fontsize=10,
                     fontweight="bold", pad=4)
        panels[-1].set_xlabel("accuracy (%)\nerror bars: std over folds or seeds; "
                              "single split: 95 % interval", fontsize=9)
    return panels


def _resize_row(ax: plt.Axes, height: float) -> None:
    """Give ``ax``'s row of a one-column grid of subplots the relative height ``height``
    (rows not yet sized get the largest one given so far), and move the grid's axes there."""
    place = ax.get_subplotspec()
    if place is None:
        return
    grid = place.get_gridspec()
    if grid.ncols != 1 or not hasattr(grid, "set_height_ratios"):
        return
    given = getattr(grid, "_serlib_rows", {})
    given[place.rowspan.start] = height
    grid._serlib_rows = given
    grid.set_height_ratios([given.get(r, max(given.values())) for r in range(grid.nrows)])
    for other in ax.figure.axes:
        spec = other.get_subplotspec() if hasattr(other, "get_subplotspec") else None
        if spec is not None and spec.get_gridspec() is grid:
            other._set_position(spec.get_position(ax.figure))


def _kind(protocol: str) -> str:
    from serlib.evaluation.error_analysis import PROTOCOL_KIND

    return PROTOCOL_KIND.get(protocol, "")


def results_overview_figure(table: pd.DataFrame, corpora: Sequence[str] | None = None
                            ) -> plt.Figure:
    """:func:`results_overview` for several corpora in one figure, one block of protocol
    panels per corpus, each block as tall as its number of bars.

    Used in: notebooks/08_error_analysis.ipynb (suggested).
    """
    corpora = list(corpora) if corpora is not None else sorted(table["corpus"].unique())
    heights = [sum(int((table[table["corpus"] == c]["protocol"] == p).sum()) + 1.6
                   for p in table[table["corpus"] == c]["protocol"].unique()) + 2
               for c in corpora]
    fig = plt.figure(figsize=(8.5, 0.24 * sum(heights) + 1.0))
    grid = fig.add_gridspec(len(corpora), 1, height_ratios=heights or [1], hspace=0.25)
    for k, corpus in enumerate(corpora):
        results_overview(table, corpus, ax=fig.add_subplot(grid[k]))
    return fig


def recall_heatmap(recall: pd.DataFrame, title: str = "", ax: plt.Axes | None = None
                   ) -> plt.Axes:
    """Heat map of per-class recall (rows: models, columns: classes), annotated in percent.

    Used in: notebooks/08_error_analysis.ipynb.
    """
    ax = ax or plt.subplots(figsize=(1.0 * recall.shape[1] + 3, 0.5 * recall.shape[0] + 1.5))[1]
    sns.heatmap(recall * 100, annot=True, fmt=".0f", cmap="viridis", vmin=0, vmax=100, ax=ax,
                cbar_kws={"label": "recall (%)"})
    ax.set(title=title, xlabel="true emotion", ylabel="")
    return ax


#: With more levels than this, :func:`factor_accuracy` draws points on a level axis
#: (e.g. 24 speakers) instead of labelled bars.
MANY_LEVELS = 8


def factor_accuracy(table: pd.DataFrame, factor: str, title: str = "",
                    ax: plt.Axes | None = None) -> plt.Axes:
    """Accuracy (%) per level of a factor with 95 % bootstrap intervals (from
    :func:`serlib.evaluation.error_analysis.accuracy_by`). Many levels (more than
    :data:`MANY_LEVELS`,
    e.g. the 24 RAVDESS speakers) are drawn as points with interval lines, the overall
    accuracy as a dashed line, and short tick labels (``7`` for speaker ``07``, every second
    one where they would not fit), so that a narrow panel stays readable.

    Used in: notebooks/08_error_analysis.ipynb (08_error_analysis).
    """
    ax = ax or plt.subplots(figsize=(5, 3))[1]
    levels = [str(v) for v in table.index]
    acc = table["accuracy"].to_numpy(dtype=float) * 100
    below = (table["accuracy"] - table["ci_low"]).to_numpy(dtype=float) * 100
    above = (table["ci_high"] - table["accuracy"]).to_numpy(dtype=float) * 100
    if len(levels) <= MANY_LEVELS:
        ax.bar(levels, acc, color="tab:blue", yerr=[below, above], capsize=3)
        ax.tick_params(axis="x", rotation=30 if len(levels) > 6 else 0)
    else:
        pos = np.arange(len(levels))
        ax.errorbar(pos, acc, yerr=[below, above], fmt="o", ms=4, color="tab:blue",
                    ecolor="tab:blue", elinewidth=1, capsize=0)
        if "n" in table:
            overall = float(np.average(acc, weights=table["n"].to_numpy(dtype=float)))
            ax.axhline(overall, color="k", ls="--", lw=1, label=f"all {overall:.0f} %")
            ax.legend(fontsize=7, loc="lower right")
        short = [v.lstrip("0") or "0" if v.isdigit() else v for v in levels]
        width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
        step = 1 if width_pt / len(levels) >= 11 else 2
        ax.set_xticks(pos[::step], short[::step], fontsize=8,
                      rotation=90 if max(map(len, short)) > 2 else 0)
        ax.set_xlim(-0.7, len(levels) - 0.3)
    ax.set(title=title, xlabel=factor, ylabel="accuracy (%)", ylim=(0, 100))
    return ax


def reliability_diagram(table: pd.DataFrame, ece: float, title: str = "",
                        ax: plt.Axes | None = None) -> plt.Axes:
    """Accuracy against confidence per bin (from
    :func:`serlib.evaluation.error_analysis.calibration`),
    with the diagonal of perfect calibration and the ECE in the title.

    Used in: notebooks/08_error_analysis.ipynb.
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
