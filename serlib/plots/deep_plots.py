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
#: Frequency range (Hz) of EmoCatcher's 64 mel bands (:data:`serlib.data.audio.EMOCATCHER_MEL`), the
#: inputs the CABG figures show.
EMOCATCHER_FMIN, EMOCATCHER_FMAX = 0.0, 6000.0
#: Colours and legend labels of the result sources (``source``/``kind`` of the results file).
SOURCE_STYLE = {"ours": ("tab:blue", "this study"), "seed": ("tab:orange", "seed (published)"),
                "anchor": ("tab:gray", "external anchor")}


def mel_band_centres(n_mels: int, fmin: float = EMOCATCHER_FMIN,
                     fmax: float = EMOCATCHER_FMAX) -> np.ndarray:
    """Centre frequency (Hz) of each of ``n_mels`` mel bands between ``fmin`` and ``fmax``
    (librosa's Slaney mel scale, as :func:`librosa.feature.melspectrogram` builds them)."""
    import librosa

    return librosa.mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax)[1:-1]


def frequency_ticks(fmax: float, fmin: float = 0.0, min_gap: float = 0.1) -> list[float]:
    """Round tick frequencies (Hz) from ``fmin`` up to and including ``fmax``, at least
    ``min_gap`` of the axis apart on the mel scale (so labels do not crowd at the top)."""
    import librosa

    candidates = [0, 250, 500, 1000, 2000, 4000, 6000, 8000, 11025, 16000, 22050, 24000]
    span = float(librosa.hz_to_mel(fmax) - librosa.hz_to_mel(fmin)) or 1.0
    kept = [float(fmax)]
    for f in sorted((c for c in candidates if fmin <= c < fmax), reverse=True):
        if (librosa.hz_to_mel(kept[-1]) - librosa.hz_to_mel(f)) / span >= min_gap:
            kept.append(float(f))
    return sorted(kept)


def hz_text(f: float) -> str:
    """A tick label: ``500``, ``2k``, ``11k``."""
    if f >= 1000:
        return f"{f / 1000:.1f}k".replace(".0k", "k")
    return f"{f:.0f}"


def label_mel_axis(ax: plt.Axes, n_mels: int, fmin: float = EMOCATCHER_FMIN,
                   fmax: float = EMOCATCHER_FMAX, fontsize: float | None = None) -> None:
    """Label the y axis of a mel spectrogram drawn as an image with band ``k`` between
    ``k`` and ``k + 1`` (``imshow(..., origin="lower", extent=(..., 0, n_mels))``) in Hz:
    ticks at round frequencies placed at their band, the range in the axis label."""
    centres = mel_band_centres(n_mels, fmin, fmax)
    ticks = frequency_ticks(fmax, fmin)
    positions = np.interp(ticks, centres, np.arange(n_mels) + 0.5, left=0.0, right=n_mels)
    ax.set_yticks(positions, [hz_text(f) for f in ticks])
    ax.set_ylabel("frequency (Hz)", fontsize=fontsize)


def _shared_colorbar(fig: plt.Figure, image, label: str = "dB") -> None:
    """One colour bar for every panel at the right edge of ``fig`` (after ``tight_layout``)."""
    fig.tight_layout(rect=(0, 0, 0.93, 1))
    cax = fig.add_axes((0.945, 0.15, 0.012, 0.7))
    fig.colorbar(image, cax=cax, label=label)


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
                       titles: Sequence[str], hop_seconds: float, ncols: int = 4,
                       fmin: float = EMOCATCHER_FMIN, fmax: float = EMOCATCHER_FMAX
                       ) -> plt.Figure:
    """One panel per example: its log-mel input (time in seconds on x, frequency on y: mel
    bands from ``fmin`` to ``fmax`` Hz, EmoCatcher's range by default) with the attention
    weights over time drawn on top (each weight covers the two input frames that the max-pool
    merged); one dB colour bar, the same scale for every panel.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    nrows = int(np.ceil(len(inputs) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols + 0.6, 2.6 * nrows),
                             squeeze=False)
    vmin, vmax = _range(inputs)
    image = None
    for ax, x, w, title in zip(axes.flat, inputs, weights, titles, strict=False):
        n = x.shape[1]
        extent = (0, n * hop_seconds, 0, x.shape[0])
        image = ax.imshow(x, origin="lower", aspect="auto", cmap="magma", extent=extent,
                          vmin=vmin, vmax=vmax)
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
        label_mel_axis(ax, x.shape[0], fmin, fmax, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(inputs):]:
        ax.axis("off")
    if image is not None:
        _shared_colorbar(fig, image)
    else:
        fig.tight_layout()
    return fig


def predicted_examples(inputs: Sequence[np.ndarray], y_true: Sequence[int],
                       probs: np.ndarray, labels: Sequence[str], hop_seconds: float,
                       ncols: int = 4, fmin: float = EMOCATCHER_FMIN,
                       fmax: float = EMOCATCHER_FMAX) -> plt.Figure:
    """Log-mel inputs (mel bands from ``fmin`` to ``fmax`` Hz, EmoCatcher's range by default)
    titled ``true / predicted (probability %)`` as the seed shows them; wrong predictions get
    a red title; one dB colour bar, the same scale for every panel.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    nrows = int(np.ceil(len(inputs) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols + 0.6, 2.4 * nrows),
                             squeeze=False)
    vmin, vmax = _range(inputs)
    image = None
    for ax, x, t, p in zip(axes.flat, inputs, y_true, probs, strict=False):
        k = int(np.argmax(p))
        image = ax.imshow(x, origin="lower", aspect="auto", cmap="magma", vmin=vmin, vmax=vmax,
                          extent=(0, x.shape[1] * hop_seconds, 0, x.shape[0]))
        ax.set_title(f"{labels[t]} / {labels[k]} ({100 * p[k]:.1f}%)", fontsize=9,
                     color="black" if k == t else "red")
        ax.set_xlabel("time (s)", fontsize=8)
        label_mel_axis(ax, x.shape[0], fmin, fmax, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(False)
    for ax in list(axes.flat)[len(inputs):]:
        ax.axis("off")
    fig.suptitle("true / predicted (probability of the prediction)", fontsize=10)
    if image is not None:
        _shared_colorbar(fig, image)
    else:
        fig.tight_layout()
    return fig


def _range(inputs: Sequence[np.ndarray]) -> tuple[float | None, float | None]:
    """The common colour range of a set of spectrograms (dB)."""
    values = [np.asarray(x) for x in inputs if np.size(x)]
    if not values:
        return None, None
    return (float(min(np.nanmin(v) for v in values)), float(max(np.nanmax(v) for v in values)))


def error_extents(table: pd.DataFrame, scale: float = 100.0) -> np.ndarray:
    """Error-bar lengths (2 x rows, below and above the mean) of result rows: the 95 % interval
    (``ci_low``/``ci_high``) for a single split (``n`` 1) where the interval is there, else the
    std over folds or seeds (``std``; none where missing). Values are fractions; ``scale``
    converts them (100: percent)."""
    mean = table["mean"].to_numpy(dtype=float)
    std = (table["std"].to_numpy(dtype=float) if "std" in table
           else np.zeros(len(table)))
    std = np.nan_to_num(std)
    low, high = std.copy(), std.copy()
    if {"n", "ci_low", "ci_high"} <= set(table.columns):
        single = (table["n"].to_numpy(dtype=float) == 1) & table["ci_low"].notna().to_numpy() \
            & table["ci_high"].notna().to_numpy()
        low[single] = mean[single] - table["ci_low"].to_numpy(dtype=float)[single]
        high[single] = table["ci_high"].to_numpy(dtype=float)[single] - mean[single]
    return scale * np.clip(np.vstack([low, high]), 0, None)


def source_legend(ax: plt.Axes, kinds, **kwargs):
    """A legend with one correctly coloured swatch per result source present in ``kinds``."""
    present = [k for k in SOURCE_STYLE if k in set(kinds)]
    handles = [plt.Rectangle((0, 0), 1, 1, color=SOURCE_STYLE[k][0]) for k in present]
    return ax.legend(handles, [SOURCE_STYLE[k][1] for k in present], **kwargs)


def protocol_comparison(table: pd.DataFrame, title: str = "") -> plt.Figure:
    """Horizontal bars of accuracy (percent) with error bars: ``table`` has columns
    ``label``, ``mean``, ``std`` (fractions) and ``kind`` (ours / seed / anchor, coloured);
    with columns ``n``, ``ci_low`` and ``ci_high`` a single split (``n`` 1) gets its 95 %
    interval as error bar instead (:func:`error_extents`).

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(table) + 1.2))
    ypos = np.arange(len(table))[::-1]
    errors = error_extents(table)
    ax.barh(ypos, 100 * table["mean"], xerr=errors,
            color=[SOURCE_STYLE.get(k, SOURCE_STYLE["ours"])[0] for k in table["kind"]],
            alpha=0.85)
    for yp, m, above in zip(ypos, table["mean"], errors[1], strict=True):
        ax.text(100 * m + above + 0.6, yp, f"{100 * m:.1f}", va="center", fontsize=8)
    ax.set_yticks(ypos, table["label"], fontsize=8)
    ax.set(xlabel="accuracy (%)", title=title, xlim=(0, 100))
    source_legend(ax, table["kind"], fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def ensemble_curves(curves: pd.DataFrame, title: str = "") -> plt.Figure:
    """Ensemble accuracy (percent) against the number of models averaged, one panel per
    protocol and one line per recipe, with the spread over groups and folds as error bars.
    ``curves`` has columns ``protocol``, ``recipe``, ``size``, ``accuracy`` and ``std``
    (fractions), e.g. rows of :func:`serlib.experiments.cabg_runs.ensemble_curve` labelled by
    protocol and
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


def nested_choices(choice: pd.DataFrame, candidates: Sequence[str], test: pd.DataFrame,
                   labels: dict[str, str] | None = None, metric: str = "uar",
                   title: str = "") -> plt.Figure:
    """What the inner folds saw and what the outer test fold gave: per outer fold, bars of
    each candidate's inner-validation score (``choice``: one row per fold with a column per
    candidate and ``chosen``; the chosen bar outlined), and the chosen configuration's outer
    test score (``test``: ``fold`` and ``metric``) as a black mark. Scores are fractions,
    shown in percent."""
    from matplotlib.patches import Patch

    labels = labels or {c: c for c in candidates}
    fig, ax = plt.subplots(figsize=(9, 3.8))
    handles = []
    folds = choice["fold"].to_numpy()
    width = 0.8 / len(candidates)
    colours = plt.get_cmap("tab10").colors
    for k, cand in enumerate(candidates):
        x = np.arange(len(folds)) + (k - (len(candidates) - 1) / 2) * width
        bars = ax.bar(x, 100 * choice[cand].to_numpy(), width, color=colours[k % 10],
                      alpha=0.75)
        handles.append(Patch(color=colours[k % 10], alpha=0.75, label=f"inner: {labels[cand]}"))
        for bar, chosen in zip(bars, choice["chosen"] == cand, strict=True):
            if chosen:
                bar.set_edgecolor("black")
                bar.set_linewidth(2)
    scores = test.set_index("fold")[metric].reindex(folds)
    handles.append(ax.scatter(np.arange(len(folds)), 100 * scores.to_numpy(), marker="D",
                              color="black", zorder=3, label="outer test, chosen (one model)"))
    handles.append(Patch(facecolor="none", edgecolor="black", linewidth=2, label="chosen"))
    low = np.nanmin([100 * choice[c].min() for c in candidates] + [100 * scores.min()])
    ax.set_ylim(max(0.0, 10 * np.floor(low / 10) - 10), None)
    ax.set_xticks(np.arange(len(folds)), [f"fold {f}" for f in folds])
    ax.set_ylabel(f"{'UAR' if metric == 'uar' else metric} (%)")
    ax.set_title(title or "Inner-fold scores per candidate (chosen: outlined) and the outer test")
    ax.legend(handles=handles, fontsize=8, loc="lower right", ncol=3)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
