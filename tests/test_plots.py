"""Figures a reader can read: frequency axes over the range the filterbank covers, dB colour
bars, one panel per protocol with a legend whose swatches match the bars, error bars from the
95 % interval of single splits, legible panels of 24 speakers, players at 16 kHz."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from serlib.app import notebook  # noqa: E402
from serlib.data import audio  # noqa: E402
from serlib.plots import (
    deep_plots,  # noqa: E402
    figures,  # noqa: E402
)

SR, HOP = audio.EMOCATCHER_SR, audio.EMOCATCHER_MEL["hop_length"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def logmel() -> np.ndarray:
    t = np.arange(SR * 2) / SR
    y = (0.3 * np.sin(2 * np.pi * 220 * t) * (t > 0.5)).astype(np.float32)
    return audio.emocatcher_logmel(y, SR)


def results_rows() -> pd.DataFrame:
    rows = [
        ("ravdess", "random-5fold", "lr", "ours", "validation", 0.63, 0.03, 5, np.nan, np.nan),
        ("ravdess", "random-5fold", "emocatcher (seed 000)", "seed", "published", 0.84, 0.02, 5,
         np.nan, np.nan),
        ("ravdess", "actor-holdout-22-24", "lr", "ours", "validation", 0.54, 0.0, 1, 0.47, 0.62),
        ("ravdess", "actor-holdout-22-24", "lr", "seed", "published", 0.42, 0.0, 1, np.nan, np.nan),
        ("ravdess", "emobox-6fold", "wavlm-large (EmoBox)", "anchor", "published", 0.72, 0.0, 6,
         np.nan, np.nan),
        ("ravdess", "emobox-6fold", "cabg test-picked", "ours", "test-picked", 0.57, 0.04, 6,
         np.nan, np.nan),
        ("aesdd", "loso-6", "keras", "ours", "fixed-budget", 0.55, 0.07, 6, 0.24, 0.47),
    ]
    return pd.DataFrame(rows, columns=["corpus", "protocol", "model", "source", "selection",
                                       "mean", "std", "n", "ci_low", "ci_high"])


def bar_colours(ax: plt.Axes) -> list[tuple]:
    return [p.get_facecolor() for p in ax.patches]


def test_results_overview_has_one_panel_per_protocol_and_a_true_legend():
    table = results_rows()
    panels = figures.results_overview(table, "ravdess")
    assert len(panels) == 3  # random-5fold, actor-holdout-22-24, emobox-6fold
    titles = [p.get_title(loc="left") for p in panels]
    assert titles[0].startswith("random-5fold")  # speakers shared first
    assert {t.split(" ")[0] for t in titles} == {"random-5fold", "actor-holdout-22-24",
                                                 "emobox-6fold"}
    legend = panels[0].figure.axes[0].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:3] == ["this study", "seed (published)", "external anchor"]
    swatches = [to_rgba(h.get_facecolor()) for h in legend.legend_handles[:3]]
    assert len(set(swatches)) == 3, "three sources, three colours"
    drawn = {c for p in panels for c in bar_colours(p)}
    assert set(swatches) <= {to_rgba(c) for c in drawn}
    assert "test-picked / post-hoc / transductive" in labels
    holdout = next(p for p in panels if p.get_title(loc="left").startswith("actor-holdout"))
    assert [t.get_text() for t in holdout.get_yticklabels()] == ["lr", "lr"]


def test_results_overview_fills_a_given_axes_and_sizes_its_row():
    table = results_rows()
    fig, axes = plt.subplots(2, 1, figsize=(8, 10))
    for ax, corpus in zip(axes, ["aesdd", "ravdess"], strict=True):
        figures.results_overview(table, corpus, ax=ax)
    fig.tight_layout()
    ratios = axes[0].get_subplotspec().get_gridspec().get_height_ratios()
    assert ratios[1] > ratios[0], "the corpus with more bars gets the taller row"
    fig = figures.results_overview_figure(table)
    panels = [child for ax in fig.axes for child in ax.child_axes]
    assert len(panels) == 4  # loso-6 for aesdd, three protocols for ravdess


def test_single_splits_get_their_95_percent_interval():
    table = results_rows()
    errors = deep_plots.error_extents(table)
    ours = (table["protocol"] == "actor-holdout-22-24") & (table["source"] == "ours")
    holdout = table.index[ours][0]
    assert errors[:, holdout] == pytest.approx([7.0, 8.0])  # 54 - 47, 62 - 54 (percent)
    folds = table.index[table["model"] == "emocatcher (seed 000)"][0]
    assert errors[:, folds] == pytest.approx([2.0, 2.0])  # std where there are folds
    bars = pd.DataFrame({"model": ["a", "b"], "source": ["x", "x"], "accuracy": [0.5, 0.6],
                         "ci_low": [0.4, np.nan], "ci_high": [0.55, np.nan]})
    ax = figures.grouped_bars(bars, x="model", hue="source", value="accuracy", err=None)
    segments = [c for c in ax.collections if hasattr(c, "get_segments")][0].get_segments()
    (_, y0), (_, y1) = segments[0]
    assert (y0, y1) == pytest.approx((0.4, 0.55))


def test_24_speakers_stay_legible():
    levels = [f"{k:02d}" for k in range(1, 25)]
    acc = np.linspace(0.3, 0.8, 24)
    table = pd.DataFrame({"n": 60, "accuracy": acc, "ci_low": acc - 0.1, "ci_high": acc + 0.1},
                         index=pd.Index(levels, name="speaker"))
    fig, axes = plt.subplots(1, 6, figsize=(3.6 * 6, 3.2))
    ax = figures.factor_accuracy(table, "speaker", title="speaker", ax=axes[-1])
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ticks) <= 12 and ticks[0] == "1" and all(len(t) <= 2 for t in ticks)
    assert not ax.patches, "points, not 24 thin bars"
    few = figures.factor_accuracy(table.iloc[:2], "speaker", ax=axes[0])
    assert len(few.patches) == 2
    points = np.random.default_rng(0).normal(size=(240, 2))
    ax = figures.projection_scatter(points, np.repeat(levels, 10), "by speaker")
    assert ax.get_legend() is None
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(k) for k in range(1, 25))


def test_log_mel_axes_span_the_filterbank_and_carry_a_db_colour_bar(logmel):
    fig = figures.waveform_and_logmel(np.zeros(SR), SR, logmel, HOP, title="x", vad=(2, 10),
                                    fmax=6000)
    mel_ax = fig.axes[1]
    assert mel_ax.get_ylim()[1] == pytest.approx(6000)
    assert [t.get_text() for t in mel_ax.get_yticklabels()][-1] == "6k"
    assert mel_ax.get_ylabel() == "frequency (Hz)" and mel_ax.get_xlabel() == "time (s)"
    assert "0-6000 Hz" in mel_ax.get_title()
    assert any(ax.get_ylabel() == "dB" for ax in fig.axes), "a dB colour bar"
    assert fig.axes[0].get_ylabel() == "amplitude"
    fig, ax = plt.subplots()
    figures.logmel_image(logmel, SR, HOP, ax=ax)  # no fmax: librosa's default, sr / 2
    assert ax.get_ylim()[1] == pytest.approx(SR / 2)


def test_frame_feature_panels_name_their_units():
    from serlib.features import acoustic

    t = np.arange(22050) / 22050
    y = (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    params = acoustic.FrameParams()
    fig = figures.frame_feature_panel(acoustic.frame_features(y, 22050, params), 22050,
                                    params.hop_length)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert {"MFCC coefficient", "frequency (Hz)", "pitch class", "octave band", "dB",
            "peak-to-valley (dB)"} <= set(labels)
    assert fig.axes[len(fig.axes) // 2 - 1].get_xlabel() == "time (s)" or any(
        ax.get_xlabel() == "time (s)" for ax in fig.axes)


def test_deep_model_inputs_show_hz_and_one_db_scale(logmel):
    xs = [logmel[:, :12], logmel[:, 3:20]]
    fig = deep_plots.predicted_examples(xs, [0, 1], np.eye(2), ["a", "b"], HOP / SR, ncols=2)
    panel = fig.axes[0]
    assert panel.get_ylabel() == "frequency (Hz)"
    assert [t.get_text() for t in panel.get_yticklabels()][-1] == "6k"
    assert fig.axes[-1].get_ylabel() == "dB"
    images = [ax.images[0] for ax in fig.axes[:2]]
    assert images[0].get_clim() == images[1].get_clim(), "the same colour scale"
    fig = deep_plots.attention_examples(xs, [np.ones(6) / 6, np.ones(8) / 8], ["a", "b"],
                                        HOP / SR, ncols=2)
    assert fig.axes[-1].get_ylabel() == "dB"
    assert deep_plots.frequency_ticks(6000)[-1] == 6000
    assert deep_plots.hz_text(11025) == "11k" and deep_plots.hz_text(500) == "500"


def test_players_play_at_16_khz():
    y = np.sin(2 * np.pi * 220 * np.arange(22050) / 22050).astype(np.float32)
    clip = notebook.player(y, 22050)

    def wav_rate(data: bytes) -> int:
        return int.from_bytes(data[24:28], "little")

    assert wav_rate(clip.data) == 16000 == notebook.PLAYBACK_SR
    # 16-bit WAV: 44-byte header + 2 bytes per sample at the playback rate
    assert len(clip.data) == pytest.approx(44 + 2 * 16000, abs=4)
    assert wav_rate(notebook.player(y, 22050, playback_sr=8000).data) == 8000


def test_nested_choices_outlines_the_chosen_candidate():
    choice = pd.DataFrame({"fold": [1, 2], "a": [0.5, 0.6], "b": [0.55, 0.4],
                           "chosen": ["b", "a"]})
    test = pd.DataFrame({"fold": [2, 1], "uar": [0.58, 0.52]})
    fig = deep_plots.nested_choices(choice, ["a", "b"], test, {"a": "A", "b": "B"})
    ax = fig.axes[0]
    outlined = [p for p in ax.patches if p.get_linewidth() == 2]
    assert len(outlined) == 2
    assert sorted(round(p.get_height(), 1) for p in outlined) == [55.0, 60.0]
    offsets = ax.collections[0].get_offsets()
    assert np.allclose(offsets[:, 1], [52.0, 58.0])  # reordered by the choice's folds
    plt.close(fig)
