# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Error analysis: what the numbers mean, and where the models fail
#
# Chapters 03-07 trained and evaluated every model of the study and wrote two kinds of files: the shared
# results file (`reports/results.csv`: one row per corpus, protocol, model and metric, with mean, standard
# deviation, number of folds, how the configuration was chosen and an interval) and per-recording
# predictions (`artifacts/predictions/`, written by chapters 04, 05 and 06). This chapter reads both,
# trains nothing, and asks:
#
# 1. how every model compares, ours beside the seeds' published numbers and external anchors (EmoBox,
#    human raters);
# 2. how much the **protocol** decides the result, with a paired significance test;
# 3. which emotions and which recordings the models get wrong, and whether you would do better;
# 4. which factors matter (intensity, gender, sentence, repetition, speaker, duration);
# 5. whether the deep models' probabilities can be trusted (calibration).
#
# **Learning goals.** After this chapter you can
# * read a results table by its protocol and its selection column before reading its numbers;
# * test whether two protocols really differ on the same recordings (McNemar, paired bootstrap);
# * find a model's systematic confusions and the factors (speaker, intensity, duration) behind them;
# * check whether a model's confidence can be taken at face value (reliability diagram, ECE).
#
# **Run time.** Default profile: about half a minute (it reads files and bootstraps); smoke profile:
# about 20 seconds (fewer resamples); measured with `python -m serlib run --only 08`. It needs the
# results and predictions of the earlier chapters: run them first (for the demo corpus,
# `python -m serlib run --profile smoke`).

# %%
# NBVAL_IGNORE_OUTPUT
from serlib.app import notebook

notebook.quiet()
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from serlib.data import audio
from serlib.evaluation import error_analysis, reports, results_table, scoring
from serlib.plots import figures

pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 40)
print(notebook.versions())

# %% [markdown]
# ## Parameters

# %% tags=["parameters"]
data_root: str = ""  # folder with ravdess/ and aesdd/; empty means $SERLIB_DATA or <project>/data
use_demo: bool = False  # True: read the demo-corpus results (reports-demo/, artifacts-demo/)
smoke: bool = False  # True: quick run for the smoke tests (fewer bootstrap draws, fewer clips)
n_boot: int = 2000  # bootstrap resamples for confidence intervals
n_error_examples: int = 2  # misclassified clips to listen to per corpus
playback_sr: int = 16000  # sample rate (Hz) of the embedded audio players

# %%
# NBVAL_IGNORE_OUTPUT
notebook.check_parameters(globals(), {  # every parameter checked before any work
    "data_root": str, "use_demo": bool, "smoke": bool, "n_boot": {"type": int, "range": (10, 100000)},
    "n_error_examples": {"type": int, "range": (0, 20)}, "playback_sr": {"type": int, "range": (4000, 48000)}})
data = notebook.choose_data(data_root, use_demo)
display(Markdown(data.banner()))
if smoke:
    n_boot, n_error_examples = 200, 1
results = results_table.read_results(data.reports)
predictions = results_table.load_predictions(data.artifacts)
accuracy = results[results["metric"] == "accuracy"]
print(f"{len(results)} result rows, {len(predictions)} prediction tables")

# %% [markdown]
# ## 1. Every model and protocol of the study
# One row per corpus, protocol, model and source: **this study** (mean +- std over folds or seeds),
# **seed (published)** (the number the seed's write-up reports, under the seed's own protocol, often
# picked on the test set) and **external anchor** (EmoBox's published results of large pretrained models
# under the same folds, human raters). Read a row only together with its protocol.

# %%
# NBVAL_CHECK_OUTPUT
headline = reports.headline_table(results)
print(headline.to_string(index=False) if len(headline) else "no results yet: run chapters 03-07")

# %%
corpora_with_results = sorted(accuracy["corpus"].unique())
if corpora_with_results:
    fig, axes = plt.subplots(len(corpora_with_results), 1, squeeze=False,
                             figsize=(9, 0.3 * len(accuracy) + 2.5 * len(corpora_with_results)))
    for ax, corpus in zip(axes[:, 0], corpora_with_results, strict=True):
        figures.results_overview(accuracy, corpus, ax=ax)
    fig.tight_layout()
    figures.save_figure(fig, data.reports, "08_results_overview")
    plt.show()

# %% [markdown]
# ## 2. How much the protocol decides the result
# ### 2.1 Random splits against speaker-independent ones
# For every model of this study evaluated both ways: the random-split accuracy (speakers shared between
# training and test), the mean over speaker-independent protocols, and the gap in percentage points.

# %%
# NBVAL_CHECK_OUTPUT
gap = error_analysis.protocol_gap(results)
print(gap.to_string(index=False) if len(gap) else "no model evaluated under both kinds of protocol")

# %% [markdown]
# ### 2.2 Is the gap real? A paired test on the same recordings
# Random 5-fold and EmoBox 6-fold each test **every** RAVDESS clip exactly once, so the same model's
# per-clip correctness under the two protocols is paired. McNemar's exact test asks whether the clips
# only one protocol gets right split evenly, as they would if the protocols were equally easy; the paired
# bootstrap gives a 95-percent interval for the accuracy difference.

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for (corpus, protocol, model), pred in predictions.items():
    other = predictions.get((corpus, "emobox-6fold", model))
    if protocol != "random-5fold" or other is None:
        continue
    paired = pred.merge(other, on="file", suffixes=("_random", "_si"))
    ok_random = paired["y_true_random"] == paired["y_pred_random"]
    ok_si = paired["y_true_si"] == paired["y_pred_si"]
    test = error_analysis.mcnemar(ok_random, ok_si)
    diff, low, high = error_analysis.paired_bootstrap_diff(ok_random, ok_si, n_boot=n_boot)
    rows.append({"corpus": corpus, "model": model, "clips": test["n"],
                 "random": round(test["acc_a"], 3), "speaker-indep.": round(test["acc_b"], 3),
                 "only random right": test["only_a"], "only SI right": test["only_b"],
                 "McNemar p": f"{test['p_value']:.1e}",
                 "difference (95% CI)": f"{diff:.3f} [{low:.3f}, {high:.3f}]"})
print(pd.DataFrame(rows).to_string(index=False) if rows else "no paired predictions available")

# %% [markdown]
# ### 2.3 Picking the epoch on the test set
# Seed 000 reported the best test accuracy over 120 epochs: the epoch was chosen *on the test set*.
# Chapter 06 trained the same runs and recorded both that number and the honest one (epoch chosen on a
# validation split of the training data). Rows of the results file that name the selection:

# %%
# NBVAL_CHECK_OUTPUT
ours = accuracy[accuracy["source"] == "ours"]
rows = []
for _, picked in ours[ours["model"].str.endswith(" test-picked")].iterrows():
    model = picked["model"].removesuffix(" test-picked")
    honest = ours[(ours["corpus"] == picked["corpus"]) & (ours["protocol"] == picked["protocol"])
                  & (ours["model"] == model)]
    for label, frame in [("validation-picked", honest), ("test-picked", picked.to_frame().T)]:
        for _, r in frame.iterrows():
            rows.append({"corpus": r["corpus"], "protocol": r["protocol"], "model": model,
                         "epoch chosen": label,
                         "accuracy (%)": scoring.format_mean_std(r["mean"], r["std"])})
print(pd.DataFrame(rows).to_string(index=False) if rows
      else "no run has both a test-picked and a validation-picked number")

# %% [markdown]
# ## 3. Where the models fail
# ### 3.1 Per-class recall
# Recall per emotion for every model under a speaker-independent protocol (all folds pooled):

# %%
independent = {key: pred for key, pred in predictions.items()
               if error_analysis.PROTOCOL_KIND.get(key[1]) == "speaker-independent"}
for corpus in sorted({key[0] for key in independent}):
    recall = pd.DataFrame({f"{model} ({protocol})": error_analysis.per_class_recall(pred)
                           for (c, protocol, model), pred in independent.items() if c == corpus}).T
    ax = figures.recall_heatmap(recall, title=f"{corpus}: recall per emotion, speaker-independent")
    figures.save_figure(ax.figure, data.reports, f"08_recall_{corpus}")
    plt.show()

# %% [markdown]
# ### 3.2 The most confused pairs
# The seeds name *happy* (seed 000), *fear* vs *happiness* (seed 004) and *calm* vs *sad* (seed 003).
# The five most frequent errors of each model, as counts and as the share of the true class:

# %%
# NBVAL_CHECK_OUTPUT
for (corpus, protocol, model), pred in sorted(independent.items()):
    print(f"== {corpus} · {protocol} · {model}")
    print(error_analysis.confused_pairs(pred).to_string(index=False))


# %% [markdown]
# ### 3.3 Would you tell them apart?
# For each corpus, a few clips the best speaker-independent model got wrong, each next to a clip of the
# class it predicted (same speaker where possible) that it got right. Listen before reading the labels.

# %%
def best_key(corpus):
    keys = [k for k in independent if k[0] == corpus]
    return max(keys, key=lambda k: (independent[k]["y_true"] == independent[k]["y_pred"]).mean(),
               default=None)


def show_clip(path, label):
    y, sr = audio.load_audio(path, sr=audio.EMOCATCHER_SR)
    display(Markdown(label))
    display(notebook.player(y, sr, playback_sr))
    return y, sr


for corpus in ("ravdess", "aesdd"):
    key = best_key(corpus)
    if key is None:
        continue
    table = data.load(corpus).table.set_index("file")
    pred = independent[key]
    wrong = pred[pred["y_true"] != pred["y_pred"]].head(n_error_examples)
    right = pred[pred["y_true"] == pred["y_pred"]]
    for row in wrong.itertuples():
        twin = right[(right["y_true"] == row.y_pred) & (right["speaker"] == row.speaker)]
        twin = twin if len(twin) else right[right["y_true"] == row.y_pred]
        fig, axes = plt.subplots(1, 2, figsize=(11, 2.8))
        pairs = [(row.file, f"true **{row.y_true}**, predicted **{row.y_pred}** (wrong)")]
        if len(twin):
            pairs.append((twin.iloc[0]["file"], f"true **{row.y_pred}**, predicted "
                          f"**{row.y_pred}** (right)"))
        for ax, (file, label) in zip(axes, pairs, strict=False):
            y, sr = show_clip(table.loc[file, "path"], f"{corpus} · `{file}` · {label}")
            logmel = audio.emocatcher_logmel(y, sr)
            ax.imshow(logmel, origin="lower", aspect="auto", cmap="magma")
            ax.set(title=f"{file}", xlabel="frame", ylabel="mel band")
        fig.suptitle(f"{corpus}: {key[2]} ({key[1]})")
        fig.tight_layout()
        plt.show()

# %% [markdown]
# ## 4. Which factors matter
# Accuracy of the best speaker-independent model per level of each factor, with 95-percent bootstrap
# intervals. Wide intervals mean few clips: do not over-read small differences.

# %%
# NBVAL_CHECK_OUTPUT
FACTORS = {"ravdess": ["intensity", "gender", "statement", "repetition", "duration_bin"],
           "aesdd": ["take", "duration_bin"]}
factor_tables = {}
for corpus, factors in FACTORS.items():
    key = best_key(corpus)
    if key is None:
        continue
    meta = data.load(corpus).table
    pred = independent[key].drop(columns=[c for c in meta.columns if c != "file"], errors="ignore")
    pred = pred.merge(meta, on="file")
    pred["duration_bin"] = pd.qcut(pred["duration"], 4, precision=1, duplicates="drop").astype(str)
    print(f"== {corpus}: {key[2]} ({key[1]})")
    for factor in factors:
        t = error_analysis.accuracy_by(pred, factor, n_boot=n_boot)
        factor_tables[(corpus, factor)] = t
        print(t.round(3).to_string())
    factor_tables[(corpus, "speaker")] = error_analysis.accuracy_by(pred, "speaker", n_boot=n_boot)

# %%
for corpus in ("ravdess", "aesdd"):
    keys = [k for k in factor_tables if k[0] == corpus]
    if not keys:
        continue
    fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 3.2), squeeze=False)
    for ax, (c, factor) in zip(axes[0], keys, strict=True):
        figures.factor_accuracy(factor_tables[(c, factor)], factor, title=f"{c}: {factor}", ax=ax)
    fig.tight_layout()
    figures.save_figure(fig, data.reports, f"08_factors_{corpus}")
    plt.show()

# %% [markdown]
# The speaker panel shows how much single voices differ (section 6 gives the range); that spread is the
# reason to report speaker-independent results as mean **and** standard deviation over folds.
#
# ## 5. Calibration of the deep models
# A model is calibrated when, among the clips it predicts with confidence 0.8, four in five are right. The
# reliability diagram bins the test clips by their top probability; the expected calibration error (ECE)
# is the clip-weighted mean gap between confidence and accuracy.

# %%
# NBVAL_CHECK_OUTPUT
calibrated = {k: p for k, p in predictions.items() if any(c.startswith("prob_") for c in p)}
if calibrated:
    fig, axes = plt.subplots(1, len(calibrated), figsize=(4.2 * len(calibrated), 4), squeeze=False)
    for ax, (key, pred) in zip(axes[0], sorted(calibrated.items()), strict=True):
        table, ece = error_analysis.calibration(pred)
        print(f"{key[0]} · {key[1]} · {key[2]}: ECE {ece:.3f} over {len(pred)} clips")
        figures.reliability_diagram(table, ece, title=f"{key[0]}: {key[2]}", ax=ax)
    fig.tight_layout()
    figures.save_figure(fig, data.reports, "08_calibration")
    plt.show()
else:
    print("no predictions with class probabilities")

# %% [markdown]
# ## 6. What to take away
# The lessons below are computed from the tables above, so a run on other data states its own.

# %%
lines = []
if len(gap):
    g = gap["gap (points)"]
    lines.append(f"* **{'The protocol decides the number' if g.median() > 5 else 'The protocol matters less here'}.** "
                 f"For the {len(gap)} models evaluated both ways, the random-split accuracy minus the "
                 f"speaker-independent one is {g.min():+.1f} to {g.max():+.1f} points (median {g.median():+.1f}). "
                 "Random splits measure recognition of voices that training has heard; only speaker-independent "
                 "numbers say how a model does on a new person, and only they compare with EmoBox's anchors.")
if rows:
    sel = pd.DataFrame(rows)
    sel["value"] = sel["accuracy (%)"].str.split(" ").str[0].astype(float)
    wide = sel.pivot_table(index=["corpus", "protocol"], columns="epoch chosen", values="value")
    if {"test-picked", "validation-picked"} <= set(wide.columns):
        d = (wide["test-picked"] - wide["validation-picked"]).dropna()
        lines.append(f"* **{'Selecting on the test set inflates results' if d.max() > 0.5 else 'Selecting on the test set added nothing here'}.** "
                     f"Picking the epoch on the test set changes the accuracy by {d.min():+.1f} to {d.max():+.1f} "
                     f"points against the validation-picked epoch across {len(d)} protocols (section 2.3). A "
                     "test-picked number is a maximum over noisy values: pick on validation data and report the "
                     "spread over seeds or folds.")
key = best_key("ravdess")
if key is not None:
    top = error_analysis.confused_pairs(independent[key]).iloc[0]
    lines.append(f"* **Some confusions are in the data.** The most frequent error of the best "
                 f"speaker-independent RAVDESS model ({key[2]}) is *{top['y_true']}* taken for "
                 f"*{top['y_pred']}* ({100 * top['share_of_true_class']:.0f} % of the true class); listen to "
                 "the pairs of section 3.3 and judge whether you would tell them apart.")
intensity = factor_tables.get(("ravdess", "intensity"))
if intensity is not None and {"normal", "strong"} <= set(intensity.index):
    lines.append(f"* **Strong intensity is {'easier' if intensity.loc['strong', 'accuracy'] > intensity.loc['normal', 'accuracy'] else 'not easier'}.** "
                 f"RAVDESS clips acted with strong intensity: {100 * intensity.loc['strong', 'accuracy']:.1f} % "
                 f"right, normal intensity: {100 * intensity.loc['normal', 'accuracy']:.1f} % (section 4).")
for corpus in ("ravdess", "aesdd"):
    per = factor_tables.get((corpus, "speaker"))
    if per is not None and len(per) > 1:
        lines.append(f"* **Speakers differ ({corpus}).** Per-speaker accuracy of the best speaker-independent "
                     f"model spans {100 * per['accuracy'].min():.0f} to {100 * per['accuracy'].max():.0f} % over "
                     f"{len(per)} speakers; a single hold-out of a few speakers can land anywhere in it.")
display(Markdown("\n".join(lines) if lines else "*No results to draw lessons from yet: run chapters 03-07.*"))

# %% [markdown]
# ## Exercises
# Run a chapter with other parameters (`python -m serlib run --only NN -p NAME VALUE`) and compare with
# the committed outputs:
#
# 1. **Features.** Chapter 02 with `-p clip_stats mean,std` adds standard deviations over frames to the
#    clip vectors; re-run 03, 04 and this chapter. Does the protocol gap of section 2.1 shrink? *Hint:*
#    compare the `gap (points)` column before and after; a gap that stays comes from the voices, not
#    from the features.
# 2. **Short training.** Run `python -m serlib run --profile smoke --only 06 08` (demo corpus, one epoch
#    per run): how do the validation-picked and test-picked rows of section 2.3 differ when training is
#    one epoch? *Expected answer:* they coincide, because there is only one epoch to choose from.
# 3. **The demo corpus.** Run everything with `--profile smoke` (synthetic speech whose emotion is carried
#    only by prosody) and read sections 2 and 4 of the demo report. *Hint:* compare the protocol gap and
#    the per-speaker spread with the real ones: how much of the gap do the voices explain when every
#    voice is generated by the same program?
# 4. **Add a paper.** Add the numbers of a paper you trust to `serlib/reference/published.csv` (as
#    `source` `anchor`, with its protocol) and re-run this chapter: where does its protocol place it in
#    section 1? *Expected answer:* next to the rows of the same protocol only; a number under another
#    protocol is not comparable.
