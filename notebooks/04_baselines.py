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
# # 04 · LR, SVM and MLP baselines (seed 001) under honest protocols
#
# **What you will learn.**
#
# * how to tune a model by grid search **without touching the test speakers**, and test it once;
# * how to read precision, recall, F1, WAR and UAR, and how uncertain one test on a few actors is;
# * how much the evaluation protocol changes the number: the same models under a random split and under
#   speaker-independent splits;
# * how the field-standard eGeMAPS features compare with hand-made spectral statistics;
# * how to read a confusion matrix, and where these models confuse emotions.
#
# **Run time** of this notebook with `python -m serlib run --only 04`, measured with the runner on a shared
# two-core machine (first run after notebook 03, whose eGeMAPS cache it reads; a second run reads the cached
# searches and takes under a minute):
#
# | profile | data | settings | run time |
# |---|---|---|---|
# | `full` (default) | RAVDESS | full grids, 7 grouped folds, 1 process | about 6.5 min |
# | `class` (`--profile class`) | RAVDESS | small grids, 3 grouped folds, 2 processes | about 1.5 min |
# | `smoke` (`--profile smoke`) | the synthetic demo corpus | small grids, 3 folds | about 1 min |
#
# **The question.** Seed 001 trained logistic regression (LR), linear and RBF support-vector machines (SVM) and a
# multi-layer perceptron (MLP) on clip feature vectors and reported their accuracy on actors 22-24. This
# notebook
#
# 1. tunes each model by **grid search on actors 1-21 only** (speaker-grouped folds), on the feature groups
#    notebook 03 selected, refits it on actors 1-21 and **tests it once** on actors 22-24, next to the seed's
#    published numbers;
# 2. evaluates the same configurations under **three protocols**, side by side: random stratified 5-fold
#    (speakers shared between training and test), the actor 22-24 hold-out, and EmoBox's 6
#    speaker-independent folds, and puts the gap between random and speaker-independent splits into numbers;
# 3. compares the seed's feature groups with the field-standard **eGeMAPS** set on the same protocols;
# 4. shows where the best model errs (confusion matrices), and writes every result to `reports/results.csv`.
#
# Every number below names its protocol; the seed's numbers are its published ones, labelled as such.

# %%
# NBVAL_IGNORE_OUTPUT
from serlib.app import notebook

notebook.quiet()
import functools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import soundfile as sf
from IPython.display import Markdown, display

from serlib import paths
from serlib.evaluation import results_table, scoring
from serlib.experiments import baseline_store, baselines, seed001
from serlib.features import egemaps, extraction
from serlib.plots import figures
from serlib.protocols import splits

pd.set_option("display.width", 130)
print(notebook.versions(notebook.DEFAULT_PACKAGES + ("opensmile",)))

# %% [markdown]
# ## Parameters
# Change these with papermill (`python -m serlib run --only 04 -p NAME VALUE`) or by hand.

# %% tags=["parameters"]
corpus: str = "ravdess"  # ravdess, aesdd, emodb, or a corpus folder with a manifest.csv
data_root: str = ""  # folder with ravdess/ and aesdd/; empty means $SERLIB_DATA or <project>/data
use_demo: bool = False  # True: run on the synthetic demo corpus even if the real corpora exist
smoke: bool = False  # True: quick run for the smoke tests (small grids, fewer folds)
n_jobs: int = 1  # worker processes for eGeMAPS extraction and the grid searches
use_cache: bool = True  # reuse slow results cached on disk, keyed by their inputs and the code
n_val_folds: int = 7  # speaker-grouped folds of the grid search over actors 1-21
cv_seed: int = 0  # seed of the grouped folds and of the MLP
grid: str = "full"  # hyper-parameter grids: full, or small (a few values each, minutes not hours)
retrain: bool = False  # True: train every scikit-learn run again even when the run store holds it

# %%
# NBVAL_IGNORE_OUTPUT
notebook.check_parameters(globals(), {  # every parameter checked before any work
    "corpus": {"type": str, "corpus": True}, "data_root": str, "use_demo": bool, "smoke": bool, "n_jobs": int, "use_cache": bool,
    "n_val_folds": {"type": int, "range": (2, 21)}, "cv_seed": int,
    "grid": {"type": str, "choices": ["full", "small"]}, "retrain": bool})
study = notebook.choose_study(corpus, data_root, use_demo)  # the corpus, its protocols, its output folders
notebook.skip_marked_cells(study)  # cells marked "default corpus only" print one line on another corpus
data = study.data
display(Markdown(study.banner()))
grids = baselines.SMOKE_GRIDS if smoke or grid == "small" else baselines.PARAM_GRIDS
if smoke:
    n_val_folds = 3
reports, artifacts = study.reports, study.artifacts
models = baselines.MODELS
memory = baselines.result_cache(use_cache)
store = baseline_store.store_for(study.name, data.is_demo, artifacts)  # the run store of this chapter

# %% [markdown]
# ## 1. Data, feature sets and protocols
# The clip vectors of notebook 02, the eGeMAPS functionals (cached by notebook 03) and the subsets notebook 03
# selected on actors 1-21.

# %%
# NBVAL_IGNORE_OUTPUT
meta, X = extraction.load_table(study.name, artifacts)
meta, X, run = egemaps.with_egemaps(meta, X, n_jobs=n_jobs)
print(run.summary())

# %% [markdown]
# Three feature sets per model:
#
# * `selected`: the subset notebook 03's backward elimination chose (grouped CV on actors 1-21, eGeMAPS allowed);
# * `seed-subset`: the subset the seed published for that model (the seed's features, our tuning and split);
# * `egemaps`: the 88 eGeMAPS functionals alone.

# %%
# NBVAL_CHECK_OUTPUT
groups = extraction.feature_groups(X.columns)
labels = list(dict.fromkeys(meta["emotion"]))
if study.is_default:
    y, actors = meta["emotion"].to_numpy(), meta["actor"].to_numpy()
    selection = baselines.load_selection(artifacts)
    feature_sets = {
        "selected": {m: tuple(selection[m]["groups"]) for m in models},
        "seed-subset": dict(baselines.SEED001_SUBSETS),
        "egemaps": {m: ("egemaps",) for m in models},
    }
else:  # chapter 03's selection saw every speaker of this corpus: fixed feature sets instead
    y, actors = meta["emotion"].to_numpy(), meta["speaker"].astype(str).to_numpy()
    labels = [e for e in study.main.emotions if e in set(y)]
    feature_sets = {
        "all-groups": {m: tuple(groups) for m in models},
        "seed-subset": dict(baselines.SEED001_SUBSETS),
        "egemaps": {m: ("egemaps",) for m in models},
    }
print(pd.DataFrame({fs: {baselines.MODEL_LABELS[m]: baselines.subset_name(s[m]) for m in models}
                    for fs, s in feature_sets.items()}).to_string())

# %% [markdown]
# The three protocols. Random 5-fold puts clips of every actor on both sides (24 shared speakers per fold);
# the hold-out and EmoBox folds share none (`serlib.protocols.splits` asserts it).

# %%
# NBVAL_CHECK_OUTPUT
if study.is_default:
    protocols = baselines.protocol_folds(meta)  # committed fold lists (serlib.protocols)
else:  # EmoBox's folds where published, else leave one speaker out or speaker-grouped k-fold
    protocols = {name: list(p.splits) for name, p in study.protocols(seed=cv_seed).items()}
overview = []
for name, folds in protocols.items():
    d = splits.describe_splits(meta, folds, group="actor" if study.is_default else "speaker")
    overview.append({"protocol": name, "folds": len(folds), "test clips per fold": int(d["n_test"].mean()),
                     "shared speakers per fold": int(d["shared_actors" if study.is_default
                                                       else "shared_speakers"].max())})
print(pd.DataFrame(overview).to_string(index=False))

# %% [markdown]
# ## 2. Grid search on actors 1-21
# For every model and feature set: grid search over the regularisation strength `C` (LR, SVMs), the RBF
# kernel width `gamma`, and the MLP's hidden sizes and L2 penalty `alpha`, scored by accuracy over
# speaker-grouped folds of actors 1-21 (`baselines.grid_search`; the test actors are removed before the search
# starts). The best setting is refitted on all of actors 1-21. (Searches and protocol runs are cached on disk,
# keyed by their inputs and by the code of `serlib.experiments.baselines`; `use_cache` False recomputes them.)

# %%
# NBVAL_CHECK_OUTPUT
print(pd.DataFrame({m: {k: str(v) for k, v in grids[m].items()} for m in models}).T.fillna(""))

# %%
# NBVAL_IGNORE_OUTPUT
# default corpus only: tuning on actors 1-21
holdouts = {}
tune_and_test = memory.cache(baselines.tune_and_test, ignore=["n_jobs"])
for fs, subsets in feature_sets.items():
    for m in models:
        cols = baselines.columns_of(groups, subsets[m])
        holdouts[fs, m] = tune_and_test(m, X[cols], y, actors, grid=grids[m],
                                        n_splits=n_val_folds, seed=cv_seed, n_jobs=n_jobs)
    print(f"{fs}: tuned and tested")

# %% [markdown]
# Best settings and their validation accuracy (mean +- std over the grouped folds of actors 1-21):

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the tuning table of actors 1-21
tuning = pd.DataFrame([{"features": fs, "model": baselines.MODEL_LABELS[m],
                        "best params": ", ".join(f"{k} {v}" for k, v in h.tuned.best_params.items()),
                        "val acc": f"{h.tuned.best_score:.3f} +- {h.tuned.best_std:.3f}"}
                       for (fs, m), h in holdouts.items()])
print(tuning.to_string(index=False))

# %% [markdown]
# The validation curves of the `selected` feature set: accuracy against `C` for the linear models, and the
# two-parameter grids of the RBF SVM and the MLP.

# %%
# default corpus only: the validation curves on actors 1-21
fig, axes = plt.subplots(2, 2, figsize=(13, 8))
for ax, m in zip(axes[0], ["lr", "svm-linear"], strict=True):
    res = holdouts["selected", m].tuned.results
    ax.errorbar(res["C"].astype(float), res["mean"], yerr=res["std"], marker="o", capsize=3)
    ax.set_xscale("log")
    ax.set(title=f"{baselines.MODEL_LABELS[m]}: validation accuracy vs C (actors 1-21)",
           xlabel="C (inverse regularisation strength)", ylabel="validation accuracy")
figures.grid_heatmap(holdouts["selected", "svm-rbf"].tuned.results, "C", "gamma", ax=axes[1, 0],
                   title="SVM rbf: validation accuracy (actors 1-21)")
figures.grid_heatmap(holdouts["selected", "mlp"].tuned.results, "hidden_layer_sizes", "alpha",
                   ax=axes[1, 1], title="MLP: validation accuracy (actors 1-21)")
fig.tight_layout()
figures.save_figure(fig, reports, "04_grid_search")
plt.show()

# %%
# other corpora only: every model and feature set tuned inside each training part, on each protocol
display(Markdown(
    f"**{study.name}: tuned inside every fold.** Each model and feature set is tuned by grid search on the "
    "training part of each fold alone (speaker-grouped folds of its training speakers, `baselines.tune_per_fold`), "
    "refitted there and tested once on the fold's test part. Feature sets: all groups, seed 001's published "
    "subset per model (fixed on RAVDESS, before these runs) and eGeMAPS alone; chapter 03's selection is not "
    "used, because on this corpus it saw every speaker. Protocols: " + "; ".join(
        f"`{n}` ({p.kind}: {p.description})" for n, p in study.protocols(seed=cv_seed).items()) + "."))
tuned_runs, n_trained = {}, 0
tune = memory.cache(baselines.tune_per_fold, ignore=["n_jobs"])
for fs, subsets in feature_sets.items():
    for m in models:
        cols = baselines.columns_of(groups, subsets[m])
        config = {"features": list(subsets[m]), "grid": grids[m], "n_val_folds": n_val_folds, "seed": cv_seed}
        for name, folds in protocols.items():
            tuned_runs[fs, m, name], now = baseline_store.stored_or_trained(
                functools.partial(tune, m, X[cols], y, actors, folds, grid=grids[m], n_splits=n_val_folds,
                                  seed=cv_seed, n_jobs=n_jobs),
                store, corpus=study.name, protocol=name, model=m + ("" if fs == "all-groups" else f"-{fs}"),
                folds=folds, ids=meta["id"], y=y, classes=labels, selection="validation",
                kept="settings tuned inside the fold's training part", config=config, retrain=retrain)
            n_trained += now
    print(f"{fs}: tuned and tested on {', '.join(protocols)}")
print(f"{len(tuned_runs)} configurations x protocols: {n_trained} trained now, {len(tuned_runs) - n_trained} read "
      f"from the run store {paths.relative(store)}")

# %%
# other corpora only: accuracy and UAR per protocol, with the listeners beside them
def tested_predictions(r) -> pd.DataFrame:
    """The clips a protocol tests, as evaluation.make_rows wants them (one replicate)."""
    tested = pd.notna(r.y_pred)
    return pd.DataFrame({"speaker": actors[tested], "y_true": y[tested], "y_pred": r.y_pred[tested].astype(str),
                         "replicate": 0})


def human_summary(folds) -> pd.DataFrame:
    """The listeners' recognition rate on each fold's test clips: accuracy (their mean) and UAR
    (the mean over emotions), summarised over folds like a model's."""
    per_fold = []
    for _, test in folds:
        part = study.main.table.iloc[test]
        per_fold.append({"accuracy": float(part["recognition"].mean()),
                         "uar": float(part.groupby("emotion", observed=True)["recognition"].mean().mean())})
    return scoring.summarize_folds(per_fold)


has_listeners = "recognition" in study.main.table
other_rows, shown_rows = [], []
for (fs, m, p), r in tuned_runs.items():
    settings = pd.Series([", ".join(f"{k} {v}" for k, v in q.items()) for q in r.params]).value_counts()
    note = (f"features {baselines.subset_name(feature_sets[fs][m])}; tuned inside each training part "
            f"({n_val_folds} speaker-grouped folds at most); settings per fold: "
            + "; ".join(f"{k} ({v}x)" for k, v in settings.items()))
    model_name = m + ("" if fs == "all-groups" else f"-{fs}")
    rows = results_table.make_rows(study.name, p, model_name, r.summary, notebook="04", note=note,
                                selection="validation", predictions=tested_predictions(r))
    other_rows += rows
    acc, uar = (next(x for x in rows if x["metric"] == k) for k in ("accuracy", "uar"))
    shown_rows.append({"protocol": p, "features": fs, "model": baselines.MODEL_LABELS[m],
                       "val acc (mean over folds)": round(float(np.mean(r.val_scores)), 3),
                       "accuracy": f"{acc['mean']:.3f} +- {acc['std']:.3f}",
                       "acc 95% interval": f"{acc['ci_low']:.3f}-{acc['ci_high']:.3f}",
                       "UAR": f"{uar['mean']:.3f} +- {uar['std']:.3f}",
                       "UAR 95% interval": f"{uar['ci_low']:.3f}-{uar['ci_high']:.3f}"})
if has_listeners:
    for p, folds in protocols.items():
        h = human_summary(folds)
        other_rows += results_table.make_rows(
            study.name, p, "human-listeners", h, source="anchor", selection="published", notebook="04",
            note=f"{study.name}'s listening test (erkennung.txt): share of listeners who recognised the intended "
                 "emotion, averaged over each fold's test recordings (UAR: over emotions); the corpus kept "
                 "recordings that listeners recognised well")
        shown_rows.append({"protocol": p, "features": "", "model": "human listeners (published)",
                           "val acc (mean over folds)": float("nan"),
                           "accuracy": f"{h.loc['accuracy', 'mean']:.3f} +- {h.loc['accuracy', 'std']:.3f}",
                           "acc 95% interval": "", "UAR": f"{h.loc['uar', 'mean']:.3f} +- {h.loc['uar', 'std']:.3f}",
                           "UAR 95% interval": ""})
other_table = pd.DataFrame(shown_rows)
print(f"{study.name}: accuracy and UAR, mean +- std over folds; 95 % intervals from the tested clips "
      "(speaker bootstrap, or binomial where a protocol's folds share speakers; see evaluation.make_rows)")
for p, part in other_table.groupby("protocol", sort=False):
    print(f"\n== {p} ({study.protocols(seed=cv_seed)[p].kind})")
    print(part.drop(columns="protocol").to_string(index=False))

# %%
# other corpora only: the figure
long_other = pd.DataFrame([{"model": baselines.MODEL_LABELS[m], "features": fs, "protocol": p,
                            "mean": r.summary.loc["accuracy", "mean"], "std": r.summary.loc["accuracy", "std"]}
                           for (fs, m, p), r in tuned_runs.items()])
fig, axes = plt.subplots(1, len(protocols), figsize=(7.5 * len(protocols), 4), squeeze=False)
for ax, p in zip(axes[0], protocols, strict=True):
    figures.grouped_bars(long_other[long_other["protocol"] == p], x="model", hue="features",
                       chance=1 / len(labels), ax=ax, ylabel="accuracy (+- std over folds)",
                       title=f"{study.name} {p}: tuned inside each training part")
    if has_listeners:
        ax.axhline(human_summary(protocols[p]).loc["accuracy", "mean"], color="black", ls=":",
                   label="human listeners")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_ylim(0, 1)
fig.tight_layout()
figures.save_figure(fig, reports, "04_models_by_protocol")
plt.show()

# %%
# other corpora only: the best configuration by validation, and where it errs
best_key = max(((fs, m) for fs, m, _ in tuned_runs),
               key=lambda k: np.mean([np.mean(tuned_runs[k[0], k[1], p].val_scores) for p in protocols]))
print(f"best by validation (mean inner validation accuracy over every fold of every protocol): "
      f"{baselines.MODEL_LABELS[best_key[1]]} on {best_key[0]} features")
independent = [p for p, q in study.protocols(seed=cv_seed).items() if q.kind == "speaker-independent"]
shown_protocol = independent[0] if independent else next(iter(protocols))
pooled = tuned_runs[best_key[0], best_key[1], shown_protocol].y_pred
tested = pd.notna(pooled)
fig = figures.confusion_pair(y[tested], pooled[tested].astype(str), labels,
                           title=f"{baselines.MODEL_LABELS[best_key[1]]} ({best_key[0]}): {study.name} "
                                 f"{shown_protocol} pooled ({int(tested.sum())} clips)")
figures.save_figure(fig, reports, "04_confusion_best")
plt.show()
print(baselines.per_class_report(y[tested], pooled[tested].astype(str), labels)[["recall", "f1", "support"]]
      .round(2).to_string())

# %%
# other corpora only: the results file
table = results_table.upsert_results(reports, other_rows)
print(f"{len(other_rows)} rows of {study.name} written to the results.csv of its reports folder"
      + (f" (python -m serlib run --corpus {study.name} upserts them into reports/results.csv)"
         if study.registered else " (a manifest corpus's rows stay there)")
      + f"; that file now has {len(table)} rows")

# %% [markdown]
# ## 3. One test on actors 22-24, beside the seed's published numbers

# %%
# default corpus only: the test on actors 22-24
((dev_idx, test_idx),) = protocols["actor-holdout-22-24"]
n_test = len(test_idx)
display(Markdown(
    f"Protocol `actor-holdout-22-24`: trained on actors 1-21 ({len(dev_idx)} clips), tested once on actors "
    f"22-24 ({n_test} clips). Precision, recall and F1 are macro averages over the {len(labels)} emotions; "
    "macro recall is the unweighted average recall (UAR), and accuracy is the weighted average recall (WAR). "
    f"The seed published accuracy only for these four models. `se` is the binomial standard error of the "
    f"accuracy on {n_test} clips."))

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the test table of actors 22-24
rows = []
for (fs, m), h in holdouts.items():
    seed_acc = baselines.SEED001_PUBLISHED[m]["accuracy"]
    acc = h.metrics["accuracy"]
    rows.append({"model": baselines.MODEL_LABELS[m], "features": fs,
                 **{k: round(v, 3) for k, v in h.metrics.items()},
                 "se": round(float(np.sqrt(acc * (1 - acc) / len(h.y_true))), 3),
                 "seed acc (published)": seed_acc,
                 "beats seed": h.metrics["accuracy"] > seed_acc})
test_table = pd.DataFrame(rows).rename(columns={"precision": "precision (macro)",
                                                "uar": "recall (macro) = UAR", "f1": "macro F1"})
print(test_table.to_string(index=False))
for name in ("cnn-1d", "cnn-2d"):
    print(f"seed's published {name} (not reproduced here):", baselines.SEED001_PUBLISHED[name])

# %%
# default corpus only: the figure of actors 22-24 against the seed
def with_interval(acc: float, n: int) -> dict:
    """A single split's accuracy with its 95 % (Wilson) interval, for the error bars."""
    low, high = scoring.wilson_interval(acc, n)
    return {"accuracy": acc, "ci_low": low, "ci_high": high}


bars = [{"model": baselines.MODEL_LABELS[m], "source": "seed 001 (published)",
         "accuracy": baselines.SEED001_PUBLISHED[m]["accuracy"]} for m in models]
bars += [{"model": baselines.MODEL_LABELS[m], "source": f"ours: {fs}",
          **with_interval(holdouts[fs, m].metrics["accuracy"], n_test)}
         for fs in feature_sets for m in models]
fig, ax = plt.subplots(figsize=(10, 4))
figures.grouped_bars(pd.DataFrame(bars), x="model", hue="source", value="accuracy", err=None,
                   chance=1 / len(labels), ax=ax, ylabel="test accuracy (95 % interval)",
                   title=f"Actors 22-24 ({n_test} clips), tuned on actors 1-21: ours vs seed 001")
ax.set_ylim(0, 0.8)
figures.save_figure(fig, reports, "04_test_vs_seed")
plt.show()

# %%
# default corpus only: the comparison with seed 001's published numbers
beats = test_table.pivot(index="model", columns="features", values="beats seed")
acc_of = test_table.pivot(index="model", columns="features", values="accuracy")
rate = max(sf.info(path).samplerate for path in meta["path"].iloc[::max(1, len(meta) // 40)])


def how_many(fs: str) -> str:
    k = int(beats[fs].sum())
    return "every model beats" if k == len(beats) else ("no model beats" if k == 0 else
                                                          f"{k} of {len(beats)} models beat")


display(Markdown(
    f"On the `selected` features (eGeMAPS included, chosen in notebook 03 on actors 1-21) {how_many('selected')} "
    f"the seed's published accuracy on the same {n_test} test clips; with the seed's **own subsets**, tuned "
    f"and tested the same way, {how_many('seed-subset')} it, and with eGeMAPS alone {how_many('egemaps')} it. "
    f"Part of any difference is noise (the 95 % intervals above span about "
    f"{100 * (bars[-1]['ci_high'] - bars[-1]['ci_low']):.0f} points; the seed's numbers come from one split "
    "too)" + (", and the data differ: these are the synthetic demo clips, not RAVDESS" if data.is_demo else
              f", and part may be the data: this copy of RAVDESS is stored at {rate} Hz, so its log-mel bands "
              f"above {rate // 2} Hz are empty, while the seed read the original 48 kHz files"
              if rate < 48000 else "")
    + f". Mean test accuracy over the four models: selected {acc_of['selected'].mean():.3f}, seed's subsets "
    f"{acc_of['seed-subset'].mean():.3f}, eGeMAPS alone {acc_of['egemaps'].mean():.3f}."))

# %% [markdown]
# Per-class results of every model (`selected` features, actors 22-24): recall (the share of a class's clips
# recognised) and F1 per emotion; `support` is the number of test clips of the class.

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: per-class results on actors 22-24
per_class = pd.concat({baselines.MODEL_LABELS[m]: baselines.per_class_report(
    holdouts["selected", m].y_true, holdouts["selected", m].y_pred, labels)[["recall", "f1"]]
    for m in models}, axis=1).round(2)
per_class["support"] = baselines.per_class_report(holdouts["selected", "lr"].y_true,
                                                  holdouts["selected", "lr"].y_pred, labels)["support"]
print(per_class.to_string())

# %% [markdown]
# ## 4. The same models under three protocols
# Each tuned configuration (features and hyper-parameters fixed in section 2) is retrained and tested on
# every fold of every protocol. Hyper-parameters and subsets were chosen on actors 1-21, who are most of the
# test actors of every EmoBox fold and of every random fold; this slightly favours both of those protocols
# (not the hold-out), so the comparison between them stays like for like.
#
# Every fold's test predictions go to the run store (`models/sklearn/<corpus>/`, one record per fold with
# its recording ids, like the deep models' runs; `serlib.experiments.baseline_store`), and the numbers
# below are read back from it: a re-run scores the stored folds instead of training again, unless the
# configuration changed or `retrain` is set.

# %%
# NBVAL_IGNORE_OUTPUT
# default corpus only: the three RAVDESS protocols
runs, n_trained = {}, 0
suffix = {"selected": "", "seed-subset": "-seed-subset", "egemaps": "-egemaps"}  # model names of the results
evaluate = memory.cache(baselines.evaluate_protocol)
for (fs, m), h in holdouts.items():
    cols = baselines.columns_of(groups, feature_sets[fs][m])
    config = {"features": list(feature_sets[fs][m]), "params": h.tuned.best_params, "seed": cv_seed}
    for name, folds in protocols.items():
        runs[fs, m, name], now = baseline_store.stored_or_trained(
            functools.partial(evaluate, m, X[cols], y, folds, params=h.tuned.best_params, seed=cv_seed),
            store, corpus="ravdess", protocol=name, model=m + suffix[fs], folds=folds, ids=meta["id"], y=y,
            classes=labels, selection="validation", kept="settings tuned on actors 1-21 (section 3)",
            config=config, retrain=retrain)
        n_trained += now
print(f"{len(runs)} evaluations: {n_trained} trained now, {len(runs) - n_trained} read from the run store "
      f"{paths.relative(store)}")

# %% [markdown]
# Accuracy (mean +- std over folds; the hold-out is a single fold) and the **gap**: random 5-fold minus
# EmoBox 6-fold, in accuracy points. The hold-out numbers equal section 3's (same model, same split).

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the RAVDESS protocol table
rows = []
for fs, m in holdouts:
    acc = {p: runs[fs, m, p].summary.loc["accuracy"] for p in protocols}
    rows.append({"features": fs, "model": baselines.MODEL_LABELS[m],
                 **{p: (f"{acc[p]['mean']:.3f}" if acc[p]["n"] == 1
                        else f"{acc[p]['mean']:.3f} +- {acc[p]['std']:.3f}") for p in protocols},
                 "gap random - emobox": round(acc["random-5fold"]["mean"]
                                              - acc["emobox-6fold"]["mean"], 3)})
protocol_table = pd.DataFrame(rows)
print(protocol_table.to_string(index=False))

# %%
# default corpus only: the RAVDESS protocol figure
def interval(r, p: str) -> dict:
    """The 95 % (Wilson) interval of a single-split protocol, where a std over folds is missing."""
    if len(protocols[p]) > 1:
        return {}
    low, high = scoring.wilson_interval(r.summary.loc["accuracy", "mean"], len(protocols[p][0][1]))
    return {"ci_low": low, "ci_high": high}


long = pd.DataFrame([{"model": baselines.MODEL_LABELS[m], "protocol": p, "features": fs,
                      "mean": r.summary.loc["accuracy", "mean"],
                      "std": r.summary.loc["accuracy", "std"], **interval(r, p)}
                     for (fs, m, p), r in runs.items()])
fig, axes = plt.subplots(1, 2, figsize=(15, 4.2), gridspec_kw={"width_ratios": [2, 1.2]})
figures.grouped_bars(long[long["features"] == "selected"], x="model", hue="protocol",
                   chance=1 / len(labels), ax=axes[0],
                   ylabel="accuracy (+- std over folds;\nhold-out: 95 % interval)",
                   title="RAVDESS, selected features: the same models under three protocols")
axes[0].set_ylim(0, 0.9)
wide = long.pivot_table(index=["features", "model"], columns="protocol", values="mean", sort=False)
gap = (wide["random-5fold"] - wide["emobox-6fold"]).rename("gap").reset_index()
figures.grouped_bars(gap, x="model", hue="features", value="gap", err=None, ax=axes[1],
                   ylabel="accuracy points", title="Gap: random 5-fold minus EmoBox 6-fold")
axes[1].set_ylim(0, max(0.3, gap["gap"].max() * 1.3))
fig.tight_layout()
figures.save_figure(fig, reports, "04_protocols_gap")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the RAVDESS gap in numbers
print(f"gap random 5-fold minus EmoBox 6-fold, accuracy points, over {len(gap)} configurations: "
      f"mean {gap['gap'].mean():.3f}, min {gap['gap'].min():.3f}, max {gap['gap'].max():.3f}")
rel = (wide["random-5fold"] / wide["emobox-6fold"] - 1)
print(f"relative: random 5-fold is {rel.mean():.0%} higher on average (min {rel.min():.0%}, "
      f"max {rel.max():.0%})")

# %%
# default corpus only: the RAVDESS gap in words
higher = int((gap["gap"] > 0).sum())
flatters = higher > len(gap) / 2 and gap["gap"].mean() > 0
display(Markdown(
    f"The random split scores higher than EmoBox's speaker-independent folds for {higher} of {len(gap)} "
    f"configurations, by {gap['gap'].mean():.3f} accuracy on average. "
    + ("Training on other clips of the test voices lets a model use the voice itself (notebook 02 showed how "
       "well the features identify the speaker), so random-split numbers overstate how well emotions are "
       "recognised in a new voice. " if flatters else
       "On this data speaker overlap does not inflate the random-split numbers. ")
    + "Only speaker-independent numbers (hold-out, EmoBox) answer the question the study asks: how well "
    "emotions are recognised in a voice the model has not heard."))

# %% [markdown]
# ## 5. eGeMAPS against the seed's features
# The same comparison per feature set on the two speaker-independent protocols (EmoBox 6-fold mean +- std;
# the hold-out is noisier, one split of 3 actors).

# %%
# default corpus only: the RAVDESS feature-set figure
fig, axes = plt.subplots(1, 2, figsize=(15, 4))
for ax, p in zip(axes, ["emobox-6fold", "actor-holdout-22-24"], strict=True):
    figures.grouped_bars(long[long["protocol"] == p], x="model", hue="features",
                       chance=1 / len(labels), ax=ax, ylabel="accuracy",
                       title=f"RAVDESS {p}: accuracy by feature set")
    ax.set_ylim(0, 0.75)
fig.tight_layout()
figures.save_figure(fig, reports, "04_feature_sets")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the RAVDESS feature-set table
emobox = wide["emobox-6fold"].unstack("features").reindex(columns=list(feature_sets))
emobox.loc["mean over models"] = emobox.mean()
print("EmoBox 6-fold accuracy by feature set:")
print(emobox.round(3).to_string())

# %%
# default corpus only: the RAVDESS feature sets in words
means = emobox.loc["mean over models"]
ege_wins = int((emobox.drop("mean over models")["egemaps"]
                > emobox.drop("mean over models")["seed-subset"]).sum())
display(Markdown(
    f"On EmoBox's folds eGeMAPS alone beats the seed's subsets for {ege_wins} of {len(models)} models "
    f"(mean {means['egemaps']:.3f} against {means['seed-subset']:.3f}); the selected subsets, which include "
    f"eGeMAPS, reach {means['selected']:.3f}."))

# %% [markdown]
# ## 6. Where the best model errs
# The best configuration is chosen by its **validation** accuracy on actors 1-21 (section 2), never by a test
# score. Its confusion matrices on the hold-out actors 22-24 and, pooled over the EmoBox folds, on every clip
# (each predicted by the fold that held its actor out).

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the best RAVDESS model
best_fs, best_m = max(holdouts, key=lambda k: holdouts[k].tuned.best_score)
best = holdouts[best_fs, best_m]
print(f"best by validation: {baselines.MODEL_LABELS[best_m]} on {best_fs} features "
      f"({baselines.subset_name(feature_sets[best_fs][best_m])}), {best.tuned.best_params}, "
      f"val acc {best.tuned.best_score:.3f}")
print("test on actors 22-24:", {k: round(v, 3) for k, v in best.metrics.items()})

# %%
# default corpus only: the confusions on actors 22-24
fig = figures.confusion_pair(best.y_true, best.y_pred, labels,
                           title=f"{baselines.MODEL_LABELS[best_m]} ({best_fs}): actors 22-24, "
                                 "trained on actors 1-21")
figures.save_figure(fig, reports, "04_confusion_holdout")
plt.show()

# %%
# default corpus only: the confusions on EmoBox's RAVDESS folds
pooled = runs[best_fs, best_m, "emobox-6fold"].y_pred
fig = figures.confusion_pair(y, pooled.astype(str), labels,
                           title=f"{baselines.MODEL_LABELS[best_m]} ({best_fs}): EmoBox 6 folds pooled "
                                 f"({len(y)} clips, speaker-independent)")
figures.save_figure(fig, reports, "04_confusion_emobox")
plt.show()

# %% [markdown]
# ## 7. Seed 001's three PyTorch networks
# Besides LR and SVMs, seed 001 trained three PyTorch networks: an MLP on the clip vectors, a 1-D CNN and a
# 2-D CNN, with cross-entropy, Adam at a learning rate of 1e-4, ReLU, He initialisation and mini-batches of 8.
# Its write-up does not give their layer sizes, so `serlib.experiments.seed001` chooses small ones (described in its docstrings).
# Each run chooses its number of epochs on validation actors carved from its training part, is refitted on the
# whole training part for that many epochs, and scores its test part once; the runs are stored in
# `models/seed001_nets` (training logs, records, test probabilities; `python -m serlib.experiments.seed001 train`
# retrains them). The demo corpus has no stored runs of these networks, so the section is skipped there.

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: seed 001's networks (stored for RAVDESS)
net_rows = []
if data.is_demo:
    print("demo corpus: seed 001's networks are stored for the real RAVDESS only; section skipped")
else:
    net_metrics, net_preds = seed001.evaluate(seed001.default_folder(), meta)
    net_summary = seed001.summary(net_metrics)
    shown = net_summary.assign(**{c: (100 * net_summary[c]).round(1) for c in
                                  ("accuracy", "accuracy_std", "uar", "uar_std", "accuracy_seed_std",
                                   "published_accuracy")})
    print(shown.to_string(index=False))
    for (protocol, model), part in net_metrics.groupby(["protocol", "model"], sort=False):
        per_fold = part.groupby("fold")[["accuracy", "uar", "f1"]].mean()  # seeds averaged within a fold
        s = scoring.summarize_folds(per_fold.to_dict("records"))
        pred = net_preds[(net_preds["protocol"] == protocol) & (net_preds["model"] == model)]
        n_seeds = part["seed"].nunique()
        note = (f"seed 001's recipe in PyTorch; {len(per_fold)} of {len(protocols[protocol])} folds, "
                f"{n_seeds} seed{'s' if n_seeds > 1 else ''} each averaged within its fold; "
                "epochs chosen on validation actors")
        net_rows += results_table.make_rows("ravdess", protocol, f"torch-{model} (seed 001 recipe)", s,
                                         notebook="04", note=note, selection="validation", predictions=pred)

# %% [markdown]
# ## 8. The results file
# One row per corpus, protocol, model and metric (mean, std, number of folds) in `results.csv` of the reports
# folder, which later notebooks and the README table read. Model names: `lr`, `svm-linear`, `svm-rbf`, `mlp` on
# the `selected` features, with `-seed-subset` or `-egemaps` appended for the other feature sets; the note
# gives the features and settings. The seed's published numbers go in as `source` `seed`.

# %%
# NBVAL_IGNORE_OUTPUT
# default corpus only: the RAVDESS results rows
result_rows = baselines.seed_rows(notebook="04")
for (fs, m, p), r in runs.items():
    h = holdouts[fs, m]
    note = (f"features {baselines.subset_name(feature_sets[fs][m])}; "
            + "; ".join(f"{k} {v}" for k, v in h.tuned.best_params.items())
            + "; tuned on actors 1-21" + ("; best by validation" if (fs, m) == (best_fs, best_m) else ""))
    tested = pd.notna(r.y_pred)  # out-of-fold predictions of the clips this protocol tests
    predictions = pd.DataFrame({"speaker": meta["speaker"].to_numpy()[tested], "y_true": y[tested],
                                "y_pred": r.y_pred[tested], "replicate": 0})
    result_rows += results_table.make_rows("ravdess", p, m + suffix[fs], r.summary, notebook="04",
                                        note=note, selection="validation", predictions=predictions)
table = results_table.upsert_results(reports, result_rows + net_rows)
print(f"{len(result_rows)} rows written; the file now has {len(table)} rows")

# %% [markdown]
# Per-clip predictions of the best configuration under the two protocols that test every clip once
# (random 5-fold and EmoBox 6-fold), saved for the error-analysis chapter:

# %%
# NBVAL_IGNORE_OUTPUT
# default corpus only: the RAVDESS predictions for the error analysis
for p in ("random-5fold", "emobox-6fold"):
    fold_of = np.zeros(len(y), dtype=int)
    for k, (_, test) in enumerate(protocols[p], start=1):
        fold_of[test] = k
    pred = meta[["file", "speaker"]].assign(y_true=y, y_pred=runs[best_fs, best_m, p].y_pred.astype(str),
                                            fold=fold_of)
    path = results_table.save_predictions(data.artifacts, "ravdess", p, best_m + suffix[best_fs], pred)
    print(f"{p}: {len(pred)} predictions -> {path.name}")

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the RAVDESS rows of the results file
written = results_table.read_results(reports)
mine = written[(written["corpus"] == "ravdess") & (written["metric"] == "accuracy")
               & written["model"].isin([*models, "cnn-1d", "cnn-2d"])
               & written["protocol"].isin(list(protocols))]
print(mine[["protocol", "model", "source", "mean", "std", "n"]].to_string(index=False))

# %% [markdown]
# ## Summary
# The key numbers, computed above:

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the RAVDESS summary
sel = test_table[test_table["features"] == "selected"].set_index("model")
print("actors 22-24, selected features, ours vs seed's published accuracy:")
for m in models:
    lab = baselines.MODEL_LABELS[m]
    print(f"  {lab:<10} {sel.loc[lab, 'accuracy']:.3f} vs {baselines.SEED001_PUBLISHED[m]['accuracy']:.3f}")
print(f"all four beat the seed: {bool(sel['beats seed'].all())}")
g = gap[gap["features"] == "selected"]
print(f"gap random 5-fold minus EmoBox 6-fold (selected features): "
      f"{g['gap'].min():.3f} to {g['gap'].max():.3f} accuracy points")
print("EmoBox 6-fold mean over models: " + ", ".join(f"{fs} {v:.3f}" for fs, v in
                                                      emobox.loc['mean over models'].items()))

# %%
# default corpus only: the RAVDESS summary in words
seed_beaten = sel["beats seed"].all()
display(Markdown("\n".join([
    f"* **Honest model selection {'beats' if seed_beaten else 'against'} the seed.** With standardised "
    "features, `C` / `gamma` / MLP size tuned on speaker-grouped folds of actors 1-21 and the feature groups "
    f"chosen the same way, {how_many('selected')} the seed's published accuracy on the same {n_test} test "
    "clips; the test actors were used once. The seed's own feature subsets, tuned the same way: "
    f"{how_many('seed-subset')} its published numbers.",
    (f"* **Random splits flatter.** The same models score {g['gap'].min():.3f} to {g['gap'].max():.3f} "
     "higher (selected features) on random stratified 5-fold than on speaker-independent folds: that is what "
     "speaker overlap adds. Numbers from random splits measure voice familiarity as much as emotion "
     "recognition." if flatters else
     f"* **Random against speaker-independent splits:** {g['gap'].min():.3f} to {g['gap'].max():.3f} "
     "(selected features): on this data speaker overlap adds little."),
    f"* **eGeMAPS** (88 functionals) against the seed's spectral groups on EmoBox's folds: "
    f"{means['egemaps']:.3f} against {means['seed-subset']:.3f} on average over the models (section 5); "
    + ("notebook 03 kept it for every model." if all("egemaps" in feature_sets["selected"][m] for m in models)
       else "notebook 03 kept it for some models."),
    "* All rows are in `results.csv` (protocols `random-5fold`, `actor-holdout-22-24`, `emobox-6fold`)."])))

# %% [markdown]
# ## Exercises
#
# 1. **One split is noisy.** The hold-out tests each model on three actors. Compute, from the `se` column of
#    section 3, the difference two models need before it exceeds about two standard errors. *Expected
#    answer:* for two independent estimates, about `2 * sqrt(2) * se`, roughly three times `se`: smaller
#    differences are not evidence (and the hold-out models share the same test clips, where a paired test
#    such as McNemar's is the right tool).
# 2. **Smaller grids.** Re-run with `-p grid small`. Do the best settings of section 2 change, and does the
#    test accuracy? *Hint:* compare the `best params` table; where the full grid's best value is in the small
#    grid too, the model does not change.
# 3. **Which protocol to quote?** A paper reports an accuracy on RAVDESS from a random 5-fold split. Which
#    number of this notebook should it be compared with, and what would you expect on EmoBox's folds?
#    *Expected answer:* with the random 5-fold column of section 4; on speaker-independent folds expect
#    that accuracy minus roughly the gap printed in section 4.
