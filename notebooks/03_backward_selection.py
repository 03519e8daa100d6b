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
# # 03 · Backward selection of feature groups (seed 001), validated on unseen speakers
#
# **What you will learn.**
#
# * what backward elimination of feature groups is, and how to read its steps;
# * why a validation set drawn at random from the training speakers misleads, and how **speaker-grouped
#   cross-validation** measures what a test on new speakers measures;
# * how noisy a validation score is, and why that makes small differences between feature subsets a weak
#   basis for a choice;
# * how the field-standard **eGeMAPS** functionals compare with a hand-made set of spectral features.
#
# **Run time** of this notebook with `python -m serlib run --only 03`, measured with the runner on a shared
# two-core machine (first run, empty caches: eGeMAPS extraction and every elimination run; a second run
# reads both caches and takes under a minute):
#
# | profile | data | settings | run time |
# |---|---|---|---|
# | `full` (default) | RAVDESS | 7 grouped folds, 10 random splits, 1 process | about 7.5 min |
# | `class` (`--profile class`) | RAVDESS | 3 grouped folds, 5 random splits, 2 processes | about 5 min |
# | `smoke` (`--profile smoke`) | the synthetic demo corpus | 3 folds, 3 random splits | about 2 min |
#
# **The question.** Seed 001 chose, for each of its four statistical models (logistic regression, linear SVM, RBF
# SVM, MLP), which **feature groups** to keep by *backward elimination*: start from all groups, repeatedly
# drop the group whose removal helps validation accuracy most, keep the best subset. This notebook repeats
# that procedure on the seed's development actors (1-21), with two changes that make it honest:
#
# * **validation on unseen speakers:** the seed validated on a random tenth of the clips of actors 1-21, so
#   every validation voice was also a training voice. Here every score is a **speaker-grouped
#   cross-validation** over actors 1-21 (section 2 says why);
# * **one more group:** the field-standard **eGeMAPS** functionals (88 values from openSMILE) compete with the
#   seed's groups (MFCC, log-mel, chroma, spectral contrast means and 5 raw-signal statistics).
#
# The test actors 22-24 are never used here. Notebook 04 tunes each model on its selected subset and tests it
# once on them.
#
# (The cross-validation below uses `n_val_folds` folds; `python -m serlib run --profile class` runs it with
# fewer folds, so its numbers differ a little from a full run: every number below is computed, none typed.)

# %%
# NBVAL_IGNORE_OUTPUT
from serlib.app import notebook

notebook.quiet()
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from serlib.experiments import baselines
from serlib.features import egemaps, extraction
from serlib.plots import figures
from serlib.protocols import registry, splits

pd.set_option("display.width", 120)
print(notebook.versions(notebook.DEFAULT_PACKAGES + ("opensmile",)))

# %% [markdown]
# ## Parameters
# Change these with papermill (`python -m serlib run --only 03 -p NAME VALUE`) or by hand.

# %% tags=["parameters"]
corpus: str = "ravdess"  # ravdess, aesdd, emodb, or a corpus folder with a manifest.csv
data_root: str = ""  # folder with ravdess/ and aesdd/; empty means $SERLIB_DATA or <project>/data
use_demo: bool = False  # True: run on the synthetic demo corpus even if the real corpora exist
smoke: bool = False  # True: quick run for the smoke tests (fewer folds and random splits)
n_jobs: int = 1  # worker processes for eGeMAPS extraction and cross-validation
use_cache: bool = True  # reuse slow results cached on disk, keyed by their inputs and the code
n_val_folds: int = 7  # speaker-grouped validation folds over actors 1-21 (3 actors per fold)
cv_seed: int = 0  # seed of the grouped folds and of the MLP
random_splits: int = 10  # random 10 % validation splits drawn in section 2 to show their spread

# %%
# NBVAL_IGNORE_OUTPUT
notebook.check_parameters(globals(), {  # every parameter checked before any work
    "corpus": {"type": str, "corpus": True}, "data_root": str, "use_demo": bool, "smoke": bool, "n_jobs": int, "use_cache": bool,
    "n_val_folds": {"type": int, "range": (2, 21)}, "cv_seed": int,
    "random_splits": {"type": int, "range": (1, 1000)}})
study = notebook.choose_study(corpus, data_root, use_demo)  # the corpus, its protocols, its output folders
notebook.skip_marked_cells(study)  # cells marked "default corpus only" print one line on another corpus
data = study.data
display(Markdown(study.banner()))
if smoke:
    n_val_folds, random_splits = 3, 3
reports, artifacts = study.reports, study.artifacts
models = baselines.MODELS
memory = baselines.result_cache(use_cache)

# %% [markdown]
# ## 1. Data: seed 001's clip vectors plus eGeMAPS
# The clip vectors come from notebook 02 (means over 46 ms frames with a 23 ms hop at 22.05 kHz, plus raw
# signal statistics). The eGeMAPS functionals are extracted here through the same parallel, cached extractor
# (`serlib.features.egemaps.egemaps_file` run by `extraction.extract`); a second run reads the cache.

# %%
# NBVAL_IGNORE_OUTPUT
meta, X = extraction.load_table(study.name, artifacts)
meta, X, run = egemaps.with_egemaps(meta, X, n_jobs=n_jobs)
print(run.summary())

# %% [markdown]
# The feature groups that compete, with their sizes, and the seed's actor split. Only the development actors
# (1-21) are used in this notebook.

# %%
# NBVAL_CHECK_OUTPUT
groups = extraction.feature_groups(X.columns)
print("groups:", ", ".join(f"{g} {len(c)}" for g, c in groups.items()), f"(total {X.shape[1]})")
if study.is_default:
    y, actors = meta["emotion"].to_numpy(), meta["actor"].to_numpy()
    ((dev, test),) = registry.fold_splits("actor-holdout-22-24", meta)  # committed fold list
    print(f"development: actors {actors[dev].min()}-{actors[dev].max()}, {len(dev)} clips; "
          f"test: actors 22-24, {len(test)} clips (not used in this notebook)")
    dev_label, speaker_column = "actors 1-21", "actor"
else:  # another corpus: an exploratory selection over all its speakers (chapter 04 does not use it)
    y, actors = meta["emotion"].to_numpy(), meta["speaker"].astype(str).to_numpy()
    dev = np.arange(len(meta))
    n_val_folds = min(n_val_folds, len(set(actors)))
    dev_label, speaker_column = f"all {len(set(actors))} speakers of {study.name}", "speaker"
    print(f"development: all {len(set(actors))} speakers, {len(dev)} clips; no test part here: chapter 04 "
          "tests with its own protocols and does not use this selection")
X_dev, y_dev, actors_dev = X.iloc[dev], y[dev], actors[dev]

# %% [markdown]
# ## 2. Why grouped cross-validation instead of one random tenth
# Two problems with the seed's validation set (a random tenth of the development clips):
#
# 1. **Speaker overlap.** Its clips come from the same actors as the training clips. Notebook 02 showed that
#    these features identify the speaker well above chance, so such a validation score rewards
#    recognising voices, and the subset it selects need not help on new voices (the test actors are new).
# 2. **Noise.** One estimate from a small validation set has a large standard error (computed just below),
#    often larger than the differences between feature subsets that backward elimination has to rank.
#
# Speaker-grouped k-fold CV over actors 1-21 (`splits.group_kfold`, stratified by emotion) fixes both: each
# fold validates on actors that its training part has never heard, and every development clip is validated
# exactly once.

# %%
n_val = round(0.1 * len(dev))
se = {p: np.sqrt(p * (1 - p) / n_val) for p in (0.4, 0.5, 0.6)}
display(Markdown(f"A random tenth of the {len(dev)} development clips is {n_val} clips. At an accuracy "
                 f"between 0.4 and 0.6, the binomial standard error of one such estimate is "
                 f"{min(se.values()):.3f} to {max(se.values()):.3f}, i.e. about "
                 f"{100 * min(se.values()):.1f} to {100 * max(se.values()):.1f} points of accuracy."))

# %% [markdown]
# The folds:

# %%
# NBVAL_CHECK_OUTPUT
cv = splits.group_kfold(actors_dev, y_dev, n_splits=n_val_folds, seed=cv_seed)
print(splits.describe_splits(meta.iloc[dev].reset_index(drop=True), cv, group=speaker_column)
      .to_string(index=False))

# %% [markdown]
# The same model (logistic regression, standardised features, all groups, `C` as in
# `baselines.SELECTION_PARAMS`) scored both ways: on `random_splits` random stratified validation sets of a
# tenth of the clips (different seeds) and on the grouped folds. Each dot is one validation set.

# %%
lr_params = baselines.SELECTION_PARAMS["lr"]
random_scores = np.concatenate([
    baselines.cv_accuracy("lr", X_dev, y_dev, splits.random_holdout(y_dev, 0.1, seed=s),
                          params=lr_params, n_jobs=n_jobs)
    for s in range(random_splits)])
grouped_scores = baselines.cv_accuracy("lr", X_dev, y_dev, cv, params=lr_params, n_jobs=n_jobs)
schemes = pd.DataFrame({
    "validation": ["random 10 % (speakers seen)"] * len(random_scores)
    + [f"grouped {n_val_folds}-fold (unseen speakers)"] * len(grouped_scores),
    "accuracy": np.concatenate([random_scores, grouped_scores])})
fig, ax = plt.subplots(figsize=(7, 3))
np.random.seed(cv_seed)  # seaborn's jitter draws from numpy's global generator: the same figure every run
sns.stripplot(data=schemes, x="accuracy", y="validation", hue="validation", size=7, ax=ax,
              legend=False)
ax.set(title=f"LR, all groups, {dev_label}: validation accuracy by validation scheme",
       xlabel="validation accuracy", ylabel="")
figures.save_figure(fig, reports, "03_validation_schemes")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
scheme_table = (schemes.groupby("validation", sort=False)["accuracy"]
                .agg(["count", "mean", "std", "min", "max"]))
print(scheme_table.round(3))

# %%
rand, grouped = scheme_table.iloc[0], scheme_table.iloc[1]
display(Markdown(
    f"Random splits score {'higher' if rand['mean'] > grouped['mean'] else 'no higher'} than unseen speakers "
    f"do ({rand['mean']:.3f} against {grouped['mean']:.3f} on average"
    + (": the model has heard the validation voices" if rand["mean"] > grouped["mean"] else
       ": on this corpus, having heard the validation voices did not help") + "), and from one random "
    f"split to the next the score moves between {rand['min']:.3f} and "
    f"{rand['max']:.3f}. The grouped folds differ too ({grouped['min']:.3f} to {grouped['max']:.3f}: some "
    "actors are harder than others) but all of them are used together, and all of them measure what the "
    "test measures: emotion in voices the model has not heard."))

# %% [markdown]
# ## 3. Backward elimination, per model
# Each model is a pipeline `StandardScaler -> classifier` with fixed middle-of-the-grid settings during
# selection (`baselines.SELECTION_PARAMS`; notebook 04 tunes them on the selected subset, as the seed tuned
# before and after selecting). A candidate subset's score is its mean accuracy over the grouped folds. At each
# step the group whose removal scores best is dropped; the run continues to a single group and the best subset
# on that path is selected. (The runs are cached on disk, keyed by their inputs and by the code of
# `serlib.experiments.baselines`; `use_cache` False recomputes them.)

# %%
# NBVAL_CHECK_OUTPUT
print(pd.DataFrame({m: baselines.SELECTION_PARAMS[m] for m in models}).T.fillna("").astype(str))

# %%
# NBVAL_IGNORE_OUTPUT
elims = {}
eliminate = memory.cache(baselines.backward_elimination, ignore=["n_jobs"])
for m in models:
    elims[m] = eliminate(m, X_dev, y_dev, cv, groups=groups,
                         params=baselines.SELECTION_PARAMS[m], seed=cv_seed, n_jobs=n_jobs)
    print(f"{m}: {len(elims[m].candidates)} subsets scored")

# %% [markdown]
# ### 3.1 Every step as a table
# For each model: one row per step, one column per group; a cell is the mean grouped-CV accuracy after
# removing that group from the subset kept at the previous step (empty where the group is already gone).
# `dropped` names the group dropped at that step and `score` the accuracy of the kept subset; the header line
# gives the score of all groups.

# %%
# NBVAL_CHECK_OUTPUT
for m in models:
    cand = elims[m].candidates
    table = cand[cand["step"] > 0].pivot(index="step", columns="removed", values="mean")
    table = table.reindex(columns=list(groups)).round(3)
    table.columns.name = None
    path = elims[m].path.set_index("step")
    table.insert(0, "dropped", path["removed"].iloc[1:])
    table.insert(1, "score", path["mean"].iloc[1:].round(3))
    print(f"== {baselines.MODEL_LABELS[m]}: all groups {path['mean'].iloc[0]:.3f}")
    print(table.fillna("").to_string(), end="\n\n")

# %% [markdown]
# Read a row from left to right: the lowest cell is the group the model can least do without. Which group
# that is, step by step:

# %%
lines = []
for m in models:
    cand = elims[m].candidates
    cand = cand[cand["step"] > 0]
    worst = cand.loc[cand.groupby("step")["mean"].idxmin()]
    counts = worst["removed"].value_counts()
    top = counts.index[0]
    others = cand[(cand["removed"] != top)].groupby("step")["mean"]
    cost = (others.mean() - cand[cand["removed"] == top].set_index("step")["mean"]).dropna()
    lines.append(f"* {baselines.MODEL_LABELS[m]}: **{top}** at {counts.iloc[0]} of {len(worst)} steps"
                 + (f"; removing it costs {cost.mean():.3f} accuracy more than removing another group, "
                    "on average over those steps" if len(cost) else "") + ".")
display(Markdown("The group whose removal hurts most:\n\n" + "\n".join(lines)))

# %% [markdown]
# ### 3.2 The same steps as plots
# Grey dots are all candidate subsets of a step; the line follows the kept subset, with its spread (one std over
# the grouped folds); the red star is the selected subset.

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 8), sharey=True)
for ax, m in zip(axes.flat, models, strict=True):
    e = elims[m]
    figures.elimination_path(e.path, e.candidates, selected=e.selected, ax=ax,
                           title=f"{baselines.MODEL_LABELS[m]}: backward elimination ({dev_label})")
fig.tight_layout()
figures.save_figure(fig, reports, "03_elimination_paths")
plt.show()

# %%
spread = np.mean([elims[m].path["std"].mean() for m in models])
steps = np.concatenate([np.abs(np.diff(elims[m].path["mean"].to_numpy())) for m in models])
display(Markdown(
    f"Note the error bars: the spread of accuracy across folds (different actors) is {spread:.3f} on "
    f"average (one std), while neighbouring subsets on the kept paths differ by {np.median(steps):.3f} "
    f"(median; {np.mean(steps < spread):.0%} of the steps are smaller than one std). Backward "
    "elimination ranks subsets by such differences, so its choice is a mild preference; "
    + ("it is still made without the test actors, which is what matters for an honest test." if study.is_default
       else f"on {study.name} it saw every speaker, so it is a description of this corpus, not a choice for a "
       "test.")))

# %% [markdown]
# ## 4. Selected subsets, ours and the seed's
# Our selection next to the seed's published one. To compare like with like, the seed's subsets are scored
# here with the same grouped folds and settings.

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for m in models:
    seed_subset = baselines.SEED001_SUBSETS[m]
    seed_score = baselines.cv_accuracy(m, X_dev[baselines.columns_of(groups, seed_subset)], y_dev,
                                       cv, params=baselines.SELECTION_PARAMS[m], seed=cv_seed,
                                       n_jobs=n_jobs).mean()
    rows.append({"model": baselines.MODEL_LABELS[m],
                 "selected (ours)": baselines.subset_name(elims[m].selected),
                 "val acc": round(elims[m].selected_score, 3),
                 "all groups": round(float(elims[m].path["mean"].iloc[0]), 3),
                 "seed's subset": baselines.subset_name(seed_subset),
                 "seed's subset val acc": round(float(seed_score), 3)})
selection_table = pd.DataFrame(rows).set_index("model")
print(selection_table.to_string())

# %%
# NBVAL_IGNORE_OUTPUT
selection = {m: {"groups": list(elims[m].selected), "score": round(elims[m].selected_score, 4),
                 "params": baselines.SELECTION_PARAMS[m], "n_val_folds": n_val_folds,
                 "cv_seed": cv_seed} for m in models}
saved = baselines.save_selection(artifacts, selection)
print("selection saved for notebook 04:" if study.is_default else
      "selection saved (not used for chapter 04's tests on this corpus):", saved.relative_to(artifacts.parent))

# %% [markdown]
# How often each group survives, over the four models (1 = selected):

# %%
kept = pd.DataFrame({baselines.MODEL_LABELS[m]: [int(g in elims[m].selected) for g in groups]
                     for m in models}, index=list(groups))
fig, ax = plt.subplots(figsize=(6, 3.2))
sns.heatmap(kept.T, annot=True, cbar=False, cmap="Blues", vmin=0, vmax=1, ax=ax, linewidths=0.5)
ax.set(title=f"Selected feature groups per model (grouped CV, {dev_label})", xlabel="feature group",
       ylabel="model")
figures.save_figure(fig, reports, "03_selected_groups")
plt.show()

# %% [markdown]
# ## Summary

# %%
always = [g for g in groups if all(g in elims[m].selected for m in models)]
gain = selection_table["val acc"] - selection_table["seed's subset val acc"]
display(Markdown("\n".join([
    f"* Scores come from **speaker-grouped cross-validation over the development "
    f"{'actors' if study.is_default else 'speakers'}** ({n_val_folds} "
    f"folds; section 2: a random split shares voices with training; it scored {rand['mean']:.3f} against "
    f"{grouped['mean']:.3f}, from one split to the next between {rand['min']:.3f} and {rand['max']:.3f}).",
    "* Groups every model kept: " + (", ".join(f"`{g}`" for g in always) if always else "none") + "; "
    f"our subsets score {gain.min():.3f} to {gain.max():.3f} above the seed's own subsets on the same folds.",
    "* The selected subsets (section 4) are handed to notebook 04 through the artifacts folder; there each "
    "model is tuned on the development actors and tested **once** on actors 22-24." if study.is_default else
    f"* On {study.name} this selection saw every speaker, so chapter 04 does **not** use it for a test: it "
    "tests fixed feature sets (all groups, eGeMAPS) tuned inside each training part.",
    f"* Neighbouring subsets differ by {np.median(steps):.3f} (median) next to a spread of {spread:.3f} "
    "across folds (section 3.2): the selection is a mild preference, not a strong finding."])))

# %% [markdown]
# ## Exercises
#
# 1. **Fewer folds.** Re-run with `-p n_val_folds 3`. Do the selected subsets of section 4 change? *Hint:*
#    with three folds each validation part holds seven actors; compare the spread (std) on the kept paths of
#    section 3.2 with this run's, and remember that the selection is a mild preference.
# 2. **How noisy is one random split?** Re-run with `-p random_splits 50`. *Expected:* the random-split dots
#    of section 2 spread over roughly the range that the standard error computed there predicts (about two
#    standard errors either side of their mean), and on the real RAVDESS their mean stays above the grouped
#    folds' mean.
# 3. **Without eGeMAPS.** Which group would the models lean on if eGeMAPS were not offered? *Hint:* read the
#    step tables of section 3.1 without the `egemaps` column: the lowest remaining cell in each row is the
#    group the model could least do without among the seed's own groups.
