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
# # 05 · Keras CNNs on AESDD mel spectrograms (seed 004), reproduced and then beaten
#
# **Purpose.** Seed 004 trained three small Keras CNNs on 3 s mel-spectrogram segments of AESDD (Greek
# acted speech, 6 speakers, 5 emotions) and reported 64.12 % for its best model (Model3), averaged over
# five random 80/20 splits of the recordings. This notebook
#
# 1. **reproduces** the seed: its segmentation rule, the split by recording *before* segmenting (asserted),
#    Model1/2/3 built by `serlib.keras_cnn`, 20 epochs of Adam with batch 64, but with **fixed seeds**
#    (the seed's five splits were unseeded), and reports accuracy per **segment** (the seed's number) and
#    per **recording** (test-time averaging of a recording's segment probabilities);
# 2. runs what the seed could not show: pitch-shift augmentation that really runs (training recordings
#    only, +-4 semitones = +-1/3 octave), SpecAugment, batch normalisation on standardised input, a
#    learning-rate schedule and early stopping on a validation split of the *training* recordings;
# 3. evaluates the improved recipe on two more protocols: **leave one speaker out** (the honest number) and
#    **EmoBox's split** (stratified 25 % of recordings), beside EmoBox's published anchors;
# 4. shows learning curves, confusion matrices (the seed's recall and precision views), per-speaker
#    accuracy and the training time per epoch on this CPU.
#
# By default the notebook loads the committed runs (`models/keras_aesdd/`: the test probabilities of every
# run, their histories, and two trained models, which are re-evaluated on their test recordings).
# `retrain=True` trains everything from scratch; on the demo corpus it always trains (a few epochs).

# %%
# NBVAL_IGNORE_OUTPUT
from serlib import notebook

notebook.quiet()
import shutil
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from serlib import evaluation, features, keras_cnn, paths, plots, splits

keras_cnn.import_tensorflow()  # silences TensorFlow's C++ lines about CUDA at import
pd.set_option("display.width", 120)
print(notebook.versions(("numpy", "tensorflow", "keras", "librosa", "sklearn")))

# %% [markdown]
# ## Parameters

# %% tags=["parameters"]
data_root: str = ""  # folder with ravdess/ and aesdd/; empty means $SERLIB_DATA or <project>/data
use_demo: bool = False  # True: run on the synthetic demo corpus even if the real corpora exist
smoke: bool = False  # True: quick run for the smoke tests (one repeat, one epoch, few ablations)
n_jobs: int = 1  # worker processes for feature extraction
retrain: bool = False  # True: train every model from scratch (hours on one CPU thread)
repeats: int = 5  # seeded repeats of the seed's random 80/20 split of the recordings
epochs: int = 0  # if above 0, the training epochs of every recipe (0 keeps each recipe's own)
ablations: bool = True  # when training, also train the ablations (first repeat only)
threads: int = 1  # TensorFlow threads (intra-op and inter-op)

# %%
# NBVAL_IGNORE_OUTPUT
notebook.check_parameters(globals(), {  # every parameter checked before any work
    "data_root": str, "use_demo": bool, "smoke": bool, "n_jobs": int, "retrain": bool,
    "repeats": {"type": int, "range": (1, 5)}, "epochs": {"type": int, "range": (0, 1000)},
    "ablations": bool, "threads": {"type": int, "range": (1, 64)}})
tf = keras_cnn.configure_tensorflow(threads)  # before any TensorFlow op
data = notebook.choose_data(data_root, use_demo)
display(Markdown(data.banner()))
aesdd = data.load("aesdd")
table = aesdd.table.reset_index(drop=True)
reports = data.reports
if smoke:
    repeats, epochs = 1, 1
train_now = retrain or data.is_demo  # no committed runs for the demo corpus: train on it
store = (data.artifacts / "keras_aesdd" if data.is_demo
         else paths.project_root() / "models" / "keras_aesdd")
exps = keras_cnn.experiments(table, repeats)
if epochs > 0:
    exps = {n: replace(e, config=replace(e.config, epochs=epochs)) for n, e in exps.items()}
ENSEMBLES = {f"{base}_ensemble{keras_cnn.ENSEMBLE_SIZE}": base
             for base in ("model3_seed", "model3_emobox", "model3_loso")}
MEMBERS = [m for base in ENSEMBLES.values() for m in keras_cnn.ensemble_members(base)[1:]]
MAIN = ["model3_seed", "improved", "model3_emobox", "model3_loso", "improved_emobox", "improved_loso",
        *MEMBERS]
ABLATIONS = [n for n in exps if n not in MAIN]
if smoke:
    for name in ("model3_loso", "improved_loso", *keras_cnn.ensemble_members("model3_loso")[1:]):
        exps[name].splits = exps[name].splits[:2]
    ABLATIONS = ["model1_seed", "heavy_aug"]
    exps = {n: exps[n] for n in MAIN + ABLATIONS}
EMOTIONS = list(keras_cnn.EMOTIONS)
print(aesdd.summary())
print(f"store: {paths.relative(store)}; train now: {train_now}")

# %% [markdown]
# ## 1. Segments, and the split by recording before segmentation
# Each recording is peak-normalised, resampled to the seed's 44.1 kHz, cut into 3 s segments by the seed's
# rule (pad if at most 3 s; else the first and last 3 s; a middle piece from 6 s; two from 9 s) and turned
# into a 128-band mel spectrogram in dB (FFT 2048, hop 1024): 128 x 130 per segment. Notebook 02 cached
# them; here they are loaded (`features.extract`), one label and one recording id per segment.

# %%
# NBVAL_IGNORE_OUTPUT
labels = table["emotion"].map({e: i for i, e in enumerate(EMOTIONS)}).to_numpy()


def segments_of(func, params, desc):
    run = features.extract(table["path"], func, params, n_jobs=n_jobs, desc=desc, progress=False)
    print(f"{desc}: {run.summary()}")
    return keras_cnn.stack_segments([v["mels"] if v is not None else None for v in run.values],
                                    labels)


segments = {"plain": segments_of(features.aesdd_segment_mels, {"sr": 44100}, "segment mels")}

# %%
# NBVAL_CHECK_OUTPUT
seg = segments["plain"]
print(f"{len(table)} recordings -> {len(seg)} segments of {seg.x.shape[1]} x {seg.x.shape[2]} "
      f"(seed: 603 recordings -> 1108 segments of 128 x 130)")
print(pd.crosstab(pd.Series(np.asarray(EMOTIONS)[seg.y], name="emotion"),
                  pd.Series(np.bincount(seg.rec)[seg.rec], name="segments of its recording")))

# %% [markdown]
# The seed's protocol, seeded: five random 80/20 splits of the **recordings** (repeat *k* uses seed *k*),
# segmented afterwards. The check below asserts that no recording has segments on both sides. What the
# protocol does *not* separate: every speaker is on both sides, and an utterance recorded twice (takes
# `a`/`b`) can have one take in training and the other in test (the seed names this as a limitation).

# %%
# NBVAL_CHECK_OUTPUT
rows = []
rec_ids = table["recording_id"].to_numpy()
for k, (train, test) in enumerate(exps["model3_seed"].splits):
    splits.assert_disjoint(rec_ids, [(train, test)], what="recording")
    tr, te = seg.take(train), seg.take(test)
    splits.assert_disjoint(rec_ids[np.concatenate([tr.rec, te.rec])],
                           [(np.arange(len(tr)), len(tr) + np.arange(len(te)))], what="recording")
    rows.append({"repeat": k, "train recordings": len(train), "test recordings": len(test),
                 "train segments": len(tr), "test segments": len(te),
                 "shared recordings": len(set(rec_ids[train]) & set(rec_ids[test])),
                 "shared speakers": len(set(table["speaker"][train]) & set(table["speaker"][test])),
                 "utterances split across takes": len(set(table["utterance_id"][train])
                                                      & set(table["utterance_id"][test]))})
print(pd.DataFrame(rows).to_string(index=False))

# %% [markdown]
# ## 2. Training, or loading the committed runs
# With `retrain=True` (and always on the demo corpus) every experiment is trained here; otherwise the
# committed runs are loaded. A *run* is one model trained on one split with one seed; the store keeps each
# run's test-segment probabilities, its per-epoch history and facts (kept epoch, times, sizes). The
# ablations are trained on the first repeat only (compute budget).

# %%
# NBVAL_IGNORE_OUTPUT
if train_now:
    if data.is_demo:
        shutil.rmtree(store, ignore_errors=True)
    variants = {s: segments_of(keras_cnn.aesdd_pitch_mels, keras_cnn.pitch_params(s),
                               f"pitch {s:+g} semitones") for s in (4.0, -4.0)}
    if any(exps[n].config.wiener for n in ABLATIONS) and ablations:
        segments["wiener"] = segments_of(features.aesdd_segment_mels,
                                         {"sr": 44100, "wiener": True}, "Wiener-filtered mels")
    for name in MAIN + (ABLATIONS if ablations else []):
        done = keras_cnn.run_experiment(exps[name], segments, table["recording_id"].tolist(),
                                        store, variants=variants, skip_done=False,
                                        only=[0] if name in ABLATIONS else None, log=None)
        print(f"{name}: trained {len(done)} run(s)")
pred, hist, facts = keras_cnn.load_store(store)
if len(pred):  # every stored run must have been tested on its split's recordings
    keras_cnn.check_store(pred, exps, table)
needs_wiener = [p for p in store.glob("*.keras")  # a kept model trained on Wiener-filtered input
                if exps[p.stem.rsplit("__", 1)[0]].config.wiener]
if "wiener" not in segments and needs_wiener:
    segments["wiener"] = segments_of(features.aesdd_segment_mels, {"sr": 44100, "wiener": True},
                                     "Wiener-filtered mels")
print(f"{len(facts)} runs in the store")

# %% [markdown]
# Which runs exist (an experiment with fewer runs than planned was cut by the compute budget):

# %%
# NBVAL_CHECK_OUTPUT
have = facts.groupby("experiment")["split"].apply(sorted) if len(facts) else pd.Series(dtype=object)
rows = []
for name, exp in exps.items():
    planned = 1 if name in ABLATIONS else len(exp.splits)
    got = have.get(name, [])
    rows.append({"experiment": name, "protocol": exp.protocol, "planned runs": planned,
                 "runs": len(got), "status": "complete" if len(got) >= planned
                 else ("not run here: compute budget" if not got else "partial: compute budget")})
status = pd.DataFrame(rows)
print(status.to_string(index=False))

# %% [markdown]
# One trained model is committed (the improved recipe's first repeat, 4.6 MB; all models of all runs
# would not fit the repository's size budget). Re-evaluating it on its test recordings must give exactly
# the stored probabilities: this ties the stored predictions, from which every number below is computed,
# to a real model.

# %%
# NBVAL_CHECK_OUTPUT
pcols = [f"p_{e}" for e in EMOTIONS]
for path in sorted(store.glob("*.keras")):
    exp_name, split = path.stem.rsplit("__", 1)
    model, scale, config = keras_cnn.load_model(store, path.stem)
    test = segments["wiener" if config.wiener else "plain"].take(exps[exp_name].splits[int(split)][1])
    proba = keras_cnn.predict_proba(model, test.x, scale)
    stored = pred[(pred["experiment"] == exp_name) & (pred["split"] == int(split))]
    same = bool(np.abs(proba - stored[pcols].to_numpy()).max() < 1e-5)
    m = keras_cnn.run_metrics(proba, test.y, test.rec)
    print(f"{path.stem}: {keras_cnn.count_params(model)} weights, {len(test)} test segments of "
          f"{len(np.unique(test.rec))} recordings; equals the stored probabilities: {same}; "
          f"segment accuracy {m['segment_accuracy']:.4f}, recording accuracy {m['accuracy']:.4f}")

# %% [markdown]
# ## 3. Faithful reproduction: the seed's Model3
# All metrics are recomputed from the stored test probabilities. *segment accuracy* is what the seed
# reported; *recording accuracy* and UAR give one prediction per recording (mean of its segments'
# probabilities). Standard deviations are over repeats (population, as `numpy.std`).

# %%
# NBVAL_CHECK_OUTPUT
metrics = keras_cnn.metrics_from_predictions(pred) if len(pred) else pd.DataFrame(
    columns=["experiment", "split", "segment_accuracy", "accuracy", "uar", "f1", "precision"])
summary = keras_cnn.summarize_experiments(metrics, ("segment_accuracy", "accuracy", "uar", "f1"))
SHOW = ["split", "segment_accuracy", "segment_uar", "accuracy", "uar", "f1"]


def pm(name, col):
    if name not in summary.index:
        return "not run"
    return evaluation.format_mean_std(summary.loc[name, f"{col}_mean"], summary.loc[name, f"{col}_std"])


m3 = metrics[metrics["experiment"] == "model3_seed"]
print(m3[SHOW].round(4).to_string(index=False))
print(f"Model3, seed recipe ({len(m3)} repeats): segment accuracy {pm('model3_seed', 'segment_accuracy')} %, "
      f"recording accuracy {pm('model3_seed', 'accuracy')} %")
published_05 = {(r["protocol"], r["model"]): r for r in evaluation.published_rows("05")}
seed_m3 = published_05[(keras_cnn.SEED_PROTOCOL, "keras-model3 (seed 004)")]
print(f"seed 004 published (segments, 5 unseeded splits): "
      f"{evaluation.format_mean_std(seed_m3['mean'], seed_m3['std'], digits=2)} %")
if len(m3):
    gap = summary.loc["model3_seed", "segment_accuracy_mean"] - seed_m3["mean"]
    print(f"difference to the seed: {100 * gap:+.2f} points; within the seed's +-1 sd: "
          f"{abs(gap) <= seed_m3['std']}")

# %% [markdown]
# ### 3.1 The seed's ablations
# The seed compared Model1, Model2 and Model3, and on Model1 a 5x5 kernel, dropout 0.3/0.7 and the Wiener
# filter. Here each ablation is one run on the first repeat's split (compute budget), so compare it with
# the same split's Model3 run (repeat 0 above), not with a 5-repeat mean; one test recording is 0.8 points.

# %%
# NBVAL_CHECK_OUTPUT
seed_published = {"model1_seed": "50.45 (5 splits)", "model2_seed": "58.05 +- 2.7 (5 splits)",
                  "model3_seed": "64.12 +- 5.7 (5 splits)", "model1_kernel5": "48.63 (5 splits)",
                  "model1_dropout03": "no better than 0.5", "model1_dropout07": "no better than 0.5",
                  "model1_wiener": "worse (confusion matrices only)"}
rows = []
for name, published in seed_published.items():
    if name not in exps:
        continue
    part = metrics[(metrics["experiment"] == name) & (metrics["split"] == 0)]
    c = exps[name].config
    rows.append({"experiment": name, "model": c.arch, "kernel": c.kernel_size, "dropout": c.dropout,
                 "wiener": c.wiener,
                 "segment acc (repeat 0)": round(part["segment_accuracy"].iloc[0], 4) if len(part) else "not run",
                 "recording acc (repeat 0)": round(part["accuracy"].iloc[0], 4) if len(part) else "not run",
                 "seed published (segments, %)": published})
print(pd.DataFrame(rows).to_string(index=False))

# %% [markdown]
# On this one split the seed's ordering Model1 < Model2 < Model3 reproduces, and so do two of its
# findings on Model1: dropout 0.3 and 0.7 are both worse than 0.5, and the Wiener filter costs a little
# (about 2 points per segment). The 5x5 kernel, which the seed found worse (48.63 %), is better than 3x3
# here by about 4.6 points per segment; with 218 test segments from 121 recordings a single split cannot
# settle a difference of that size, so the seed's claim is neither confirmed nor refuted.
#
# ## 4. What the seed could not show: the improved recipe
# The recipe (`keras_cnn.IMPROVED_CONFIG`): the seed's Model3 unchanged, on input standardised with the
# training segments' mean and standard deviation; pitch-shifted versions of the *training* recordings (+-4
# semitones, the seed's +-1/3 octave, which never ran in the seed): each time a training segment enters a
# batch one of its three versions is drawn, so the augmentation costs no time per epoch; SpecAugment (one
# frequency mask of up to 12 mel bands and one time mask of up to 15 frames per segment); a cosine
# learning-rate decay over 25 epochs (the augmented input fits more slowly); the last epoch; and one
# prediction per recording. The test recordings are those of section 3.
#
# **How it was chosen, honestly.** A first, heavier recipe was fixed in advance (`keras_cnn.HEAVY_CONFIG`:
# batch normalisation, two frequency and two time masks, the same pitch shifts, 15 % of the training
# recordings held out for early stopping). Its first run used Keras's default batch-norm momentum 0.99 and
# its *validation* accuracy stayed at chance while the training accuracy rose (moving statistics that had
# not converged in about 150 steps); with momentum 0.9 it trained, but ended at about 0.6 training accuracy
# after 20 epochs: it underfits the compute budget. Both runs are kept (`heavy_aug_bn099`, `heavy_aug`,
# section 4.2). The lighter recipe above was then written from those training curves; the heavy recipe's
# test number had been printed by then, so the choice is not blind to the first repeat's test split.

# %%
# NBVAL_CHECK_OUTPUT
imp = metrics[metrics["experiment"] == "improved"]
kept = facts[facts["experiment"] == "improved"][["split", "best_epoch", "epochs_run"]] if len(facts) else None
print(imp[SHOW].round(4).merge(kept, on="split").to_string(index=False) if len(imp) else "not run")
print(f"improved ({len(imp)} repeats): segment accuracy {pm('improved', 'segment_accuracy')} %, "
      f"recording accuracy {pm('improved', 'accuracy')} %, UAR {pm('improved', 'uar')} %")
same = m3[m3["split"].isin(imp["split"])]
print(f"seed recipe on the same split(s) {sorted(imp['split'])}: segment accuracy "
      f"{100 * same['segment_accuracy'].mean():.1f} %, recording accuracy {100 * same['accuracy'].mean():.1f} %"
      if len(same) else "seed recipe: not run on these splits")
if len(imp):
    mean = summary.loc["improved", "accuracy_mean"]
    WHO = "improved recipe"
    verdict = ("met" if len(imp) == 5 and mean >= 0.70 else "not met" if mean < 0.70
               else f"not shown: {len(imp)} of 5 repeats")
    print(f"{WHO}, bar (recording-level mean >= 70 % over 5 seeded repeats): {verdict}")

# %% [markdown]
# ### 4.1 Model averaging: three Model3s per split
# The improvement that needs no new idea: train the seed's own recipe three times on each split, with
# different initial weights and batch orders (weight seeds *k*, 100 + *k* and 200 + *k* on repeat *k*),
# and average their class probabilities before the per-recording average. The ensemble size and the
# seeds were fixed before these runs and no member is chosen on anything, so there is nothing to select
# on the test set; but this idea did come *after* the single-model numbers above and the improved
# recipe's first repeat had been seen, and it is the last recipe tried on this protocol.

# %%
# NBVAL_CHECK_OUTPUT
ens_pred = [keras_cnn.ensemble_predictions(pred, keras_cnn.ensemble_members(base), name)
            for name, base in ENSEMBLES.items()] if len(pred) else []
ens_pred = [p for p in ens_pred if len(p)]
if ens_pred:
    metrics = pd.concat([metrics, keras_cnn.metrics_from_predictions(pd.concat(ens_pred))],
                        ignore_index=True)
    summary = keras_cnn.summarize_experiments(metrics, ("segment_accuracy", "accuracy", "uar", "f1"))
ENS = f"model3_seed_ensemble{keras_cnn.ENSEMBLE_SIZE}"
members = keras_cnn.ensemble_members("model3_seed")
per_member = metrics[metrics["experiment"].isin(members)].pivot(
    index="split", columns="experiment", values="accuracy")
ens = metrics[metrics["experiment"] == ENS].set_index("split")
if len(ens):
    table_ens = per_member.loc[ens.index, list(members)].assign(
        member_mean=lambda t: t.mean(axis=1), ensemble=ens["accuracy"],
        ensemble_segments=ens["segment_accuracy"], ensemble_uar=ens["uar"])
    print("recording accuracy per repeat (members alone, their mean, the ensemble):")
    print(table_ens.round(4).to_string())
    print(f"ensemble of {keras_cnn.ENSEMBLE_SIZE} ({len(ens)} repeats): recording accuracy {pm(ENS, 'accuracy')} %, "
          f"UAR {pm(ENS, 'uar')} %, segment accuracy {pm(ENS, 'segment_accuracy')} %")
    mean = summary.loc[ENS, "accuracy_mean"]
    WHO = f"ensemble of {keras_cnn.ENSEMBLE_SIZE}"
    verdict = ("met" if len(ens) == 5 and mean >= 0.70 else "not met" if mean < 0.70
               else f"not shown: {len(ens)} of 5 repeats")
    print(f"{WHO}, bar (recording-level mean >= 70 % over 5 seeded repeats): {verdict}")
else:
    print("ensemble: its members are not all run yet")

# %% [markdown]
# The three Model3s of a repeat are individually no better than the seed's single run (their recording
# accuracies range from 62.8 to 76.0 %, 67.5 % on average), but they err on different recordings:
# averaging their probabilities lifts the recording accuracy to **71.6 +- 3.7 %** over the five repeats
# (segment accuracy 67.0 +- 2.9 %), above the seed's single model on four of the five repeats and equal
# on the fifth. This meets the bar of 70 % recording-level accuracy over five seeded repeats, with two
# caveats printed above: the spread over repeats (3.7 points) is larger than the margin (1.6 points), and
# the recipe was the last one tried, after test numbers of the others had been seen.
#
# ### 4.2 Ablations of the improved recipe
# Each part removed (or, for class-balanced batches, added) in turn, one run on the first repeat's split,
# compared with the full recipe's run on the same split. Single runs differ by a few points from seed noise
# alone, so only large differences mean anything.

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for name in ["improved", "improved_no_specaugment", "improved_no_pitch", "improved_constant_lr",
             "improved_early_stopping", "improved_balanced", "heavy_aug", "heavy_aug_bn099"]:
    if name not in exps:
        continue
    part = metrics[(metrics["experiment"] == name) & (metrics["split"] == 0)]
    rows.append({"experiment": name,
                 "segment acc (repeat 0)": round(part["segment_accuracy"].iloc[0], 4) if len(part) else "not run",
                 "recording acc (repeat 0)": round(part["accuracy"].iloc[0], 4) if len(part) else "not run"})
print(pd.DataFrame(rows).to_string(index=False))

# %% [markdown]
# ## 5. Two more protocols
# **Leave one speaker out** (6 folds): the test speaker's voice is never heard in training, the honest
# number for a new speaker. **EmoBox's split** (stratified 25 % of the recordings, seed 0; speakers shared)
# makes our number comparable with EmoBox's published self-supervised models. Since the improved recipe did
# not beat the seed's on the seed protocol (section 4), the compute went to the seed's recipe (Model3,
# 20 epochs, one prediction per recording) on these protocols first; the improved recipe's runs follow if
# the budget allowed. The Model3 ensemble of section 4.1, the best recipe on the seed protocol, was then run
# on EmoBox's split; its leave-one-speaker-out members (12 more runs) did not fit this round's budget. The splits assert their disjointness (speakers, recordings) when they are made.

# %%
# NBVAL_CHECK_OUTPUT
for name, label in (("model3_loso", "seed recipe, leave one speaker out"),
                    ("model3_emobox", "seed recipe, EmoBox 25 % split"),
                    (f"model3_loso_ensemble{keras_cnn.ENSEMBLE_SIZE}", "Model3 ensemble, leave one speaker out"),
                    (f"model3_emobox_ensemble{keras_cnn.ENSEMBLE_SIZE}", "Model3 ensemble, EmoBox 25 % split"),
                    ("improved_loso", "improved recipe, leave one speaker out"),
                    ("improved_emobox", "improved recipe, EmoBox 25 % split")):
    part = metrics[metrics["experiment"] == name]
    n_splits = len(exps[ENSEMBLES.get(name, name)].splits)
    print(f"{label} ({len(part)} of {n_splits} splits): segment accuracy "
          f"{pm(name, 'segment_accuracy')} %, recording accuracy {pm(name, 'accuracy')} %, "
          f"UAR {pm(name, 'uar')} %")
anchors = ", ".join(f"{m.replace(' (EmoBox)', '')} {100 * r['mean']:.2f} %"
                    for (p_, m), r in published_05.items() if p_ == keras_cnn.EMOBOX_PROTOCOL)
print(f"EmoBox anchors on its AESDD split (WA, published): {anchors}")

# %% [markdown]
# Per-speaker accuracy: the leave-one-speaker-out fold that tests each speaker (recordings).

# %%
loso_name = "model3_loso" if "model3_loso" in set(metrics["experiment"]) else "improved_loso"
loso = metrics[metrics["experiment"] == loso_name].copy()
if len(loso):
    loso["speaker"] = [table["speaker"].iloc[exps[loso_name].splits[k][1][0]] for k in loso["split"]]
    print(loso[["speaker", "segment_accuracy", "accuracy", "uar"]].round(4).to_string(index=False))
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.bar(loso["speaker"], loso["accuracy"], color="tab:blue", label="recording accuracy")
    ax.axhline(loso["accuracy"].mean(), color="k", ls="--", lw=1, label="mean over speakers")
    ax.axhline(0.2, color="tab:red", ls=":", lw=1, label="chance (5 classes)")
    ax.set(title=f"AESDD, {loso_name}: accuracy on each unseen speaker", xlabel="test speaker",
           ylabel="recording accuracy", ylim=(0, 1))
    ax.legend(fontsize=8)
    plots.save_figure(fig, reports, "05_per_speaker")
    plt.show()
else:
    print("leave-one-speaker-out not run here: compute budget")

# %% [markdown]
# Per-recording predictions (segment probabilities averaged per recording) of the leave-one-speaker-out
# folds, saved with their class probabilities for the error analysis of notebook 07:

# %%
# NBVAL_IGNORE_OUTPUT
prob_cols = [f"p_{e}" for e in keras_cnn.EMOTIONS]
loso_pred = pred[pred["experiment"] == loso_name]
if len(loso_pred):
    per_rec = loso_pred.groupby(["split", "recording"], sort=False).agg(
        {**{c: "mean" for c in prob_cols}, "label": "first"}).reset_index()
    meta = table.set_index("recording_id")
    out = pd.DataFrame({
        "file": meta.loc[per_rec["recording"], "file"].to_numpy(),
        "speaker": meta.loc[per_rec["recording"], "speaker"].to_numpy(),
        "y_true": [keras_cnn.EMOTIONS[i] for i in per_rec["label"]],
        "y_pred": [keras_cnn.EMOTIONS[i] for i in per_rec[prob_cols].to_numpy().argmax(1)],
        "fold": per_rec["split"].to_numpy() + 1})
    out[[f"prob_{e}" for e in keras_cnn.EMOTIONS]] = per_rec[prob_cols].to_numpy()
    path = evaluation.save_predictions(data.artifacts, "aesdd", "loso-6",
                                       "keras-model3 seed-recipe" if loso_name == "model3_loso"
                                       else "keras-model3 improved", out)
    print(f"{path.name}: {len(out)} recordings")

# %% [markdown]
# ## 6. Learning curves and confusion matrices
# Training loss and accuracy per epoch for every run of the two main experiments; for the improved recipe
# also the validation recording accuracy that chose the kept epoch. The seed's Model3 fits its training
# segments almost perfectly within 20 epochs; the augmented recipe trains on a harder, changing input.

# %%
fig = keras_cnn.learning_curves(hist, [n for n in ("model3_seed", "improved", "heavy_aug")
                                       if n in set(hist.get("experiment", []))],
                                title="AESDD, seed protocol: learning curves (one line per repeat)")
plots.save_figure(fig, reports, "05_learning_curves")
plt.show()

# %% [markdown]
# Confusion matrices of the test recordings pooled over the repeats (one prediction per recording), in the
# seed's two views: normalised over the true class (diagonal = recall) and over the predicted class
# (diagonal = precision).

# %%
for name, title in (("model3_seed", "Model3, seed recipe"), ("improved", "Model3, improved recipe")):
    if name not in set(metrics["experiment"]):
        continue
    y_true, y_pred = keras_cnn.pooled_recordings(pred, name)
    fig = keras_cnn.confusion_views(y_true, y_pred, f"AESDD, seed protocol, {title}: "
                                    f"{len(y_true)} test recordings pooled over repeats")
    plots.save_figure(fig, reports, f"05_confusion_{name}")
    plt.show()

# %% [markdown]
# ## 7. Training time on this CPU
# Wall-clock and CPU seconds per epoch and per run, from the stored histories. Training ran with one
# TensorFlow thread on a machine shared with other jobs, so wall time is longer than CPU time; the CPU
# seconds are the better measure of cost. Parameters per model for scale.

# %%
# NBVAL_IGNORE_OUTPUT
if len(facts):
    per_epoch = hist.groupby("experiment")[["seconds", "cpu_seconds"]].mean().round(1)
    per_run = facts.groupby("experiment").agg(runs=("split", "size"), params=("n_params", "first"),
                                              epochs=("epochs_run", "mean"),
                                              fit_segments=("n_fit_segments", "mean"),
                                              run_minutes=("seconds", "mean"),
                                              run_cpu_minutes=("cpu_seconds", "mean"))
    per_run[["run_minutes", "run_cpu_minutes"]] = (per_run[["run_minutes", "run_cpu_minutes"]] / 60).round(1)
    per_run["fit_segments"] = per_run["fit_segments"].round(0).astype(int)
    out = per_run.join(per_epoch.rename(columns={"seconds": "epoch_s", "cpu_seconds": "epoch_cpu_s"}))
    print(out.to_string())
    print(f"total: {facts['seconds'].sum() / 60:.0f} min wall, {facts['cpu_seconds'].sum() / 60:.0f} "
          f"min CPU over {len(facts)} runs")
    sizes = {p.name: round(p.stat().st_size / 1e6, 3) for p in sorted(store.rglob("*")) if p.is_file()}
    print(f"store on disk: {sum(sizes.values()):.1f} MB in {len(sizes)} files; models: "
          + ", ".join(f"{k} {v} MB" for k, v in sizes.items() if k.endswith('.keras')))


# %% [markdown]
# ## 8. Results file
# Our rows (recording-level accuracy, UAR, macro F1, and the segment accuracy the seed reported), the
# seed's published numbers and EmoBox's anchors go to the shared results file.

# %%
# NBVAL_CHECK_OUTPUT
def summary_frame(values: dict) -> pd.DataFrame:
    return pd.DataFrame(values, index=["mean", "std", "n"]).T


MODEL_NAMES = {"model3_seed": "keras-model3 seed-recipe", "improved": "keras-model3 improved",
               "model3_emobox": "keras-model3 seed-recipe", "model3_loso": "keras-model3 seed-recipe",
               "improved_emobox": "keras-model3 improved", "improved_loso": "keras-model3 improved",
               "model1_seed": "keras-model1 seed-recipe", "model2_seed": "keras-model2 seed-recipe",
               "heavy_aug": "keras-model3 heavy-aug (first recipe)",
               **{name: f"keras-model3 seed-recipe ensemble-{keras_cnn.ENSEMBLE_SIZE}" for name in ENSEMBLES}}
# how each configuration was chosen: the seed's recipes are fixed budgets (20 epochs, last kept);
# the improved and heavy recipes and the ensemble were formed after test numbers had been seen
SELECTIONS = {"improved": "post-hoc", "improved_emobox": "post-hoc", "improved_loso": "post-hoc",
              "heavy_aug": "post-hoc", **{name: "post-hoc" for name in ENSEMBLES}}
speaker_of = dict(zip(table["recording_id"], table["speaker"].astype(str), strict=True))
all_pred = pd.concat([pred, *ens_pred], ignore_index=True)
rows = []
for name, model_name in MODEL_NAMES.items():
    part = metrics[metrics["experiment"] == name]
    if not len(part):
        continue
    if name in ENSEMBLES and len(part) < len(exps[ENSEMBLES[name]].splits):
        continue  # an incomplete ensemble protocol is not a result
    s = evaluation.summarize_folds(part[["accuracy", "uar", "f1", "segment_accuracy"]].to_dict("records"))
    note = ("recording level (mean of segment probabilities); segment_accuracy per 3 s segment"
            + ("; first repeat only" if name in ABLATIONS else ""))
    note += "; mean probabilities of 3 Model3s (weight seeds k, 100+k, 200+k)" if name in ENSEMBLES else ""
    base = ENSEMBLES.get(name, name)
    selection = SELECTIONS.get(name, "fixed-budget")
    rows += evaluation.make_rows("aesdd", exps[base].protocol, model_name, s, notebook="05",
                                 note=note, selection=selection,
                                 predictions=keras_cnn.recording_predictions(
                                     all_pred, name, speaker_of,
                                     repeats=exps[base].protocol == keras_cnn.SEED_PROTOCOL))
rows += evaluation.published_rows("05")  # seed 004's and EmoBox's numbers, cited
results = evaluation.upsert_results(reports, rows)
print(pd.DataFrame(rows)[["protocol", "model", "metric", "mean", "std", "n", "source"]].to_string(index=False))

# %% [markdown]
# ## Summary

# %%
# NBVAL_CHECK_OUTPUT
done_exps = set(metrics["experiment"])
LOSO = "model3_loso" if "model3_loso" in done_exps else "improved_loso"
EMOBOX = "model3_emobox" if "model3_emobox" in done_exps else "improved_emobox"
lines = [f"* **Reproduction (seed protocol, Model3, 20 epochs):** segment accuracy "
         f"{pm('model3_seed', 'segment_accuracy')} % (seed: "
         f"{evaluation.format_mean_std(seed_m3['mean'], seed_m3['std'])} %), recording accuracy "
         f"{pm('model3_seed', 'accuracy')} % ({len(metrics[metrics['experiment'] == 'model3_seed'])} seeded repeats).",
         f"* **Model3 ensemble of {keras_cnn.ENSEMBLE_SIZE} (same test recordings):** recording accuracy "
         f"{pm(ENS, 'accuracy')} %, segment accuracy {pm(ENS, 'segment_accuracy')} % "
         f"({len(metrics[metrics['experiment'] == ENS])} of 5 seeded repeats).",
         f"* **Improved recipe (same test recordings):** segment accuracy {pm('improved', 'segment_accuracy')} %, "
         f"recording accuracy {pm('improved', 'accuracy')} % "
         f"({len(metrics[metrics['experiment'] == 'improved'])} of 5 seeded repeats).",
         f"* **Leave one speaker out ({LOSO}):** recording accuracy {pm(LOSO, 'accuracy')} %; "
         f"**EmoBox split ({EMOBOX}):** {pm(EMOBOX, 'accuracy')} % (anchors: {anchors}).",
         "* Runs not made here (compute budget): "
         + (", ".join(status.loc[status["runs"] < status["planned runs"], "experiment"]) or "none") + "."]
display(Markdown("\n".join(lines)))

# %% [markdown]
# **What the runs show** (the numbers are those printed above):
#
# * **The seed's number reproduces.** Five seeded repeats of the seed's own recipe give a segment accuracy
#   within one standard deviation of its published 64.12 %. The seed's spread (5.7 points) came from five
#   *unseeded* splits; ours, from seeded splits and seeds, is smaller but of the same order: with 121 test
#   recordings one recording is 0.8 points, so single-split differences of a few points are noise.
# * **Test-time averaging is free, and it helps.** Averaging a recording's
#   segment probabilities gives one prediction per recording and lifts the accuracy by several points on
#   every repeat, with a smaller spread. It is also the honest unit: the seed counted segments, so a long
#   recording weighed up to four times as much as a short one.
# * **Augmentation did not help within this compute budget.** Pitch shifting that really runs (+-4
#   semitones, training recordings only) with SpecAugment and a cosine schedule left the model under-fitted
#   after 25 epochs (training accuracy about 0.7, where the seed's recipe passes 0.9 in 20), and its
#   first-repeat test accuracy is below the seed recipe's on the same split. The heavier first recipe (batch
#   normalisation, more masking, early stopping on held-out training recordings) was worse still, and with
#   Keras's default batch-norm momentum it predicted near chance. The seed's conclusion "augmentation did
#   not help" therefore stands here too, but only for short training: augmented training needs more epochs
#   than one CPU thread allowed (one repeat each; the other repeats and the ablations were not run).
# * **The seed's ablations mostly reproduce** (one split each, section 3.1): Model1 < Model2 < Model3,
#   dropout 0.5 beats 0.3 and 0.7, and the Wiener filter does not help; only the 5x5 kernel came out
#   better here, within the noise of one split.
# * **Averaging three independently trained Model3s works.** On the same test recordings it reaches
#   71.6 +- 3.7 % per recording (section 4.1), about four points above the average single model, meeting the 70 % bar
#   (narrowly, and with the caveats given there). It costs three times the training, nothing else.
# * **Unseen speakers are harder.** Leave-one-speaker-out falls below the random-split numbers, with a wide
#   spread over speakers (section 5), as notebook 01 predicted: the random split shares every speaker (and some utterances' second takes)
#   between training and test. EmoBox's split, which also shares speakers (and trains on 75 % of the
#   recordings), puts the small CNN (74.8 %; the three-model ensemble 75.5 %) above the wav2vec2-base anchor
#   and below HuBERT-base and WavLM-large:
#   a single split, so a few points either way are noise; the anchors are self-supervised models
#   pre-trained on thousands of hours of speech.
# * **Cost.** An epoch of Model3 on about 880 segments takes about 12-15 CPU seconds on this machine with
#   one thread (section 7); wall time depended on the other jobs sharing the two cores.
