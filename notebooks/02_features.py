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
# # 02 · Feature extraction: every representation the later notebooks use
#
# **What you will learn.**
#
# * what the classic frame features of speech are (MFCC, log-mel, chroma, spectral contrast), how window
#   and hop sizes set their time resolution, and how to read them as images;
# * how a clip becomes one fixed-length vector (statistics over frames) for linear models and MLPs;
# * how to extract features for thousands of files in parallel, with an on-disk cache that recomputes only
#   what changed;
# * how to check whether features carry the **emotion** or mostly the **speaker**, and why that decides how
#   models must be evaluated;
# * what the inputs of the deep models look like (EmoCatcher's voice-activity-cut log-mel, AESDD's 3 s
#   segments).
#
# **Run time** of this notebook with `python -m serlib run --only 02`, measured with the runner on a shared
# two-core machine (first run, empty feature cache; a second run reads the cache and takes under a minute):
#
# | profile | data | run time |
# |---|---|---|
# | `full` (default) | RAVDESS and AESDD | about 2 min |
# | `class` (`--profile class`) | RAVDESS alone (the AESDD parts say they are skipped) | about 2 min |
# | `smoke` (`--profile smoke`) | the synthetic demo corpus | about 1 min |
#
# What the notebook produces, once, for the later notebooks:
#
# * **frame features** (MFCC, log-mel, spectral contrast, chroma) with each seed's window and hop;
# * **per-clip statistics** (seed 001): the clip vectors of the linear and MLP baselines (notebooks 03-04);
# * the **mel inputs of the deep models**: EmoCatcher's 64-mel log spectrogram cut by its voice-activity
#   detection (seed 000) and the 128-mel 3 s segments of AESDD (seed 004).
#
# Extraction is cached by file content and parameters (`serlib.features.extraction.extract`): change a parameter or a
# file and only that is recomputed; a second run reads the cache. Later notebooks only load.

# %%
# NBVAL_IGNORE_OUTPUT
from serlib.app import notebook

notebook.quiet()
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from serlib.data import audio
from serlib.evaluation import analysis
from serlib.features import acoustic, extraction
from serlib.plots import figures

pd.set_option("display.width", 120)
print(notebook.versions())

# %% [markdown]
# ## Parameters

# %% tags=["parameters"]
corpus: str = "ravdess"  # ravdess (with the AESDD parts), aesdd, emodb, or a corpus folder with a manifest.csv
data_root: str = ""  # folder with ravdess/ and aesdd/; empty means $SERLIB_DATA or <project>/data
use_demo: bool = False  # True: run on the synthetic demo corpus even if the real corpora exist
smoke: bool = False  # True: quick run for the smoke tests
n_jobs: int = -1  # worker processes for extraction (-1: all cores)
clip_sr: int = 22050  # sample rate (Hz) of seed 001's clip features
clip_n_fft: int = 1024  # FFT size (samples) of the frame features: 46 ms at 22.05 kHz
clip_hop: int = 512  # hop (samples) of the frame features: 50 % overlap
n_mfcc: int = 40  # MFCC coefficients (seed 001: 40)
clip_stats: str = "mean"  # comma-separated statistics over frames: mean,std,max,min,range
aesdd_sr: int = 44100  # sample rate (Hz) of seed 004's AESDD segments (input 128 x 130)

# %%
# NBVAL_IGNORE_OUTPUT
notebook.check_parameters(globals(), {  # every parameter checked before any work
    "corpus": {"type": str, "corpus": True}, "data_root": str, "use_demo": bool, "smoke": bool, "n_jobs": int,
    "clip_sr": {"type": int, "range": (8000, 48000)}, "clip_n_fft": {"type": int, "range": (64, 16384)},
    "clip_hop": {"type": int, "range": (16, 16384)}, "n_mfcc": {"type": int, "range": (1, 128)},
    "clip_stats": {"type": str, "choices": list(acoustic.STATISTICS), "sep": ","},
    "aesdd_sr": {"type": int, "range": (8000, 48000)}})
study = notebook.choose_study(corpus, data_root, use_demo)  # the corpus, its protocols, its output folders
notebook.skip_marked_cells(study)  # cells marked "default corpus only" print one line on another corpus
data, main = study.data, study.main
display(Markdown(study.banner()))
ravdess, aesdd, loaded, missing_note = study.loaded_corpora()  # RAVDESS and AESDD, or the one corpus
if missing_note:
    display(Markdown(missing_note))
frame_params = acoustic.FrameParams(sr=clip_sr, n_fft=clip_n_fft, hop_length=clip_hop,
                                     n_mfcc=n_mfcc, stats=tuple(clip_stats.split(",")))
reports, artifacts = study.reports, study.artifacts

# %% [markdown]
# ## 1. Frame features of one clip
# Each seed framed the signal differently. The table converts their settings to milliseconds: a 46 ms
# window with a 23 ms hop (seed 001) resolves pitch harmonics and fast changes; EmoCatcher's 93 ms window
# and 62 ms hop (seed 000) trade time resolution for a short, cheap sequence for its recurrent layer.

# %%
# NBVAL_CHECK_OUTPUT
print(acoustic.frame_settings_table())

# %% [markdown]
# The four frame-feature groups of seed 001 for one clip (the first *angry* clip at strong intensity). Each
# panel has time on the x axis, one column per hop of `clip_hop` samples:
#
# * **MFCC** (`n_mfcc` coefficients): the spectral envelope, decorrelated (vocal-tract shape, timbre);
#   coefficient 0 is the overall level;
# * **log-mel** (128 bands from 0 Hz to half the sample rate, in dB): the same envelope, before the cosine
#   transform;
# * **chroma** (12 pitch classes): energy per semitone class, a rough pitch/harmonicity view;
# * **spectral contrast** (7 bands, one per octave): peak-to-valley level per band, in dB (voiced vs noisy).

# %%
table = main.table
strong = (table["intensity"] == "strong") if "intensity" in table else True  # RAVDESS's strong intensity
clip = table[(table["emotion"] == "angry") & strong].iloc[0] if (table["emotion"] == "angry").any() else table.iloc[0]
y, sr = audio.load_audio(clip.path, sr=frame_params.sr)
frames = acoustic.frame_features(y, sr, frame_params)
fig = figures.frame_feature_panel(frames, sr, frame_params.hop_length,
                                title=f"{clip.file} ({clip.emotion})")
figures.save_figure(fig, reports, "02_frame_features")
plt.show()

# %%
stored = int(clip.sample_rate)
display(Markdown(
    f"The clip is stored at {stored} Hz" + (
        f", so above {stored // 2} Hz the log-mel panel is empty: there is nothing to resample up."
        if stored < frame_params.sr else f" and analysed at {frame_params.sr} Hz.")
    + f" One column is {1000 * frame_params.hop_length / frame_params.sr:.0f} ms here."))

# %% [markdown]
# Seed 001 summarises each clip by **statistics over frames** (here the mean; `clip_stats` adds std, max,
# min, range) plus five **global** statistics of the raw waveform (mean, std, max, min, range). For the
# clip above, the first three MFCCs:

# %%
# NBVAL_CHECK_OUTPUT
stats = acoustic.clip_statistics(frames["mfcc"][:3])
print(pd.DataFrame(stats.reshape(5, 3), index=list(acoustic.STATISTICS),
                   columns=["mfcc 0", "mfcc 1", "mfcc 2"]).astype(float).round(1))

# %% [markdown]
# ## 2. Clip features of the corpora (parallel, cached)
# `extraction.feature_table` runs the extractor over every recording with `n_jobs` processes and a progress
# bar. The first run computes; the second reads the cache. Times are wall-clock seconds on this machine.

# %%
# NBVAL_IGNORE_OUTPUT
tables, runs = {}, {}
for corpus in loaded:
    tables[corpus.name], runs[corpus.name] = extraction.feature_table(
        corpus.table, frame_params, n_jobs=n_jobs)
    print(f"{corpus.name}: {runs[corpus.name].summary()}")

# %%
# NBVAL_IGNORE_OUTPUT
for corpus in loaded:
    _, warm = extraction.feature_table(corpus.table, frame_params, n_jobs=n_jobs, progress=False)
    print(f"{corpus.name} again (warm cache): {warm.n_cached} of {len(warm.paths)} files "
          "read from the cache")

# %% [markdown]
# Shapes of the saved tables (one row per recording) and the size of each feature group:

# %%
# NBVAL_CHECK_OUTPUT
for corpus in loaded:
    table = tables[corpus.name]
    groups = extraction.feature_groups(table.columns)
    print(f"{corpus.name}: X {table.shape}, failed {len(runs[corpus.name].failed)}; groups "
          + ", ".join(f"{g} {len(c)}" for g, c in groups.items()))
    extraction.save_table(corpus.table, table, corpus.name, artifacts)

# %% [markdown]
# ## 3. Do the features carry emotion, or mostly the speaker?
# ### 3.1 Which features relate to emotion
# Eta squared is the share of a feature's variance explained by the emotion label (ANOVA): 0 means the
# feature has the same mean for every emotion, 1 that it is determined by the emotion. The box plot shows its
# spread within each feature group, RAVDESS.

# %%
meta, X = extraction.load_table(main.name, artifacts)
assoc = analysis.emotion_association(X, meta["emotion"])
fig, ax = plt.subplots(figsize=(7, 3.2))
sns.boxplot(data=assoc, x="group", y="eta2", ax=ax, color="tab:green")
ax.set(title=f"{'RAVDESS' if study.is_default else main.name}: variance explained by emotion, per feature", xlabel="feature group",
       ylabel="eta squared (share of variance)")
figures.save_figure(fig, reports, "02_eta2_by_group")
plt.show()
print(assoc.head(8)[["group", "eta2"]].round(3))

# %%
by_group = assoc.groupby("group")["eta2"].median().sort_values(ascending=False)
display(Markdown(
    f"By median, **{by_group.index[0]}** features relate most to the emotion (median eta squared "
    f"{by_group.iloc[0]:.2f}) and **{by_group.index[-1]}** least ({by_group.iloc[-1]:.2f}); the single "
    f"strongest feature, `{assoc.index[0]}`, explains {assoc['eta2'].iloc[0]:.0%} of its variance."))

# %% [markdown]
# ### 3.2 A 2-D view, coloured by emotion and by speaker
# The first two principal components of the standardised clip features. If points cluster more by
# speaker than by emotion, a classifier can learn voices instead of emotions, and a random split (same
# voices in train and test) rewards it. With 24 speakers colours cannot be told apart, so each speaker's
# number sits at the centre of their clips.

# %%
fig, axes = plt.subplots(len(loaded), 2, figsize=(13, 4.8 * len(loaded)), squeeze=False)
for row, corpus in enumerate(loaded):
    meta, X = extraction.load_table(corpus.name, artifacts)
    points, ratio = analysis.pca_2d(X)
    figures.projection_scatter(points, meta["emotion"], f"{corpus.name}: PCA by emotion "
                             f"({ratio.sum():.0%} of variance)", ax=axes[row, 0])
    figures.projection_scatter(points, meta["speaker"], f"{corpus.name}: PCA by speaker",
                             ax=axes[row, 1])
fig.tight_layout()
figures.save_figure(fig, reports, "02_pca_emotion_speaker")
plt.show()

# %% [markdown]
# ### 3.3 Speaker identity in numbers
# The same linear classifier (standardised features, ridge classifier, 5-fold stratified CV) asked to
# predict the **emotion** and then the **speaker** from the same clip vectors:

# %%
rows = []
for corpus in loaded:
    meta, X = extraction.load_table(corpus.name, artifacts)
    for target in ["emotion", "speaker"]:
        mean, std, chance = analysis.identification_accuracy(X, meta[target])
        rows.append({"corpus": corpus.name, "predict": target, "classes": meta[target].nunique(),
                     "accuracy": f"{mean:.3f} +- {std:.3f}", "chance": round(chance, 3),
                     "mean": mean})
identification = pd.DataFrame(rows)
print(identification.drop(columns="mean").to_string(index=False))

# %%
lines = []
for name, part in identification.groupby("corpus", sort=False):
    acc = part.set_index("predict")
    emo, spk = acc.loc["emotion"], acc.loc["speaker"]
    lines.append(f"* {name}: speaker {spk['mean']:.0%} (chance {spk['chance']:.0%}, "
                 f"{spk['classes']} speakers), emotion {emo['mean']:.0%} (chance {emo['chance']:.0%}).")
easier = all(p.set_index("predict").loc["speaker", "mean"] >= p.set_index("predict").loc["emotion", "mean"]
             for _, p in identification.groupby("corpus"))
display(Markdown("\n".join(lines) + "\n\n" + (
    "The features identify the speaker at least as easily as the emotion. " if easier else
    "The speaker is identified far above chance too. ")
    + "This is why the study reports **speaker-independent** protocols: a random split lets a model lean "
    "on voice identity."))

# %% [markdown]
# ## 4. Inputs of the deep models
# ### 4.1 EmoCatcher (seed 000): 64-mel log spectrogram cut by VAD, RAVDESS
# At 22050 Hz, FFT 4096, window 2048, hop 1364 (62 ms), 64 mel bands from 0 to 6 kHz (EmoCatcher's
# filterbank stops there), in dB; the frames outside the voice-activity bounds are dropped. Sequences keep
# their own length (the model packs them). Cached here so that the CABG chapter never recomputes a
# spectrogram per epoch, as the seed did.

# %%
# NBVAL_IGNORE_OUTPUT
# default corpus only: EmoCatcher's inputs (RAVDESS)
emo = extraction.extract(ravdess.table["path"], acoustic.emocatcher_input_file, {},
                       n_jobs=n_jobs, desc="EmoCatcher inputs")
print(emo.summary())

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: EmoCatcher's input lengths (RAVDESS)
logmels = [v["logmel"] for v in emo.values if v is not None]
print("mel bands:", sorted({m.shape[0] for m in logmels}))
print("frames per clip after VAD:")
print(acoustic.length_summary(logmels).to_string())

# %% [markdown]
# ### 4.2 AESDD 3 s segments (seed 004): 128-mel, 128 x 130 per segment
# Each recording is peak-normalised, resampled to 44.1 kHz as in the seed, cut into 3 s segments by the
# seed's rule (notebook 01, section 3) and turned into a 128-band mel spectrogram from 0 Hz to half the
# sample rate, in dB (FFT 2048, hop 1024). The segments of a recording stay together so that the AESDD chapter
# can split by recording before segmenting.

# %%
# NBVAL_IGNORE_OUTPUT
# default corpus only: AESDD's 3 s segments (seed 004)
if aesdd is not None:
    seg = extraction.extract(aesdd.table["path"], acoustic.aesdd_segment_mels, {"sr": aesdd_sr},
                           n_jobs=n_jobs, desc="AESDD segments")
    print(seg.summary())
else:
    print("skipped: the AESDD segments need AESDD, which this data root does not hold")

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: AESDD's segment shapes (seed 004)
if aesdd is not None:
    mels = [v["mels"] for v in seg.values if v is not None]
    print(f"{len(mels)} recordings -> {sum(m.shape[0] for m in mels)} segments")
    print("segment shape (mels x frames):", sorted({m.shape[1:] for m in mels}))
else:
    mels = []
    print("skipped: no AESDD in this data root")

# %%
# default corpus only: the deep models' inputs (RAVDESS, AESDD)
panels = 2 if mels else 1
fig, axes = plt.subplots(1, panels, figsize=(6.6 * panels, 3.4), squeeze=False)
example = logmels[0]
figures.logmel_image(example, audio.EMOCATCHER_SR, audio.EMOCATCHER_MEL["hop_length"], ax=axes[0, 0],
                   fmax=audio.EMOCATCHER_MEL["fmax"],
                   title=f"EmoCatcher input: {ravdess.table['file'].iloc[0]}\n(after VAD; "
                         + figures.mel_range_text(len(example), 0, audio.EMOCATCHER_MEL["fmax"]) + ")")
if mels:
    segment = mels[0][0]
    figures.logmel_image(segment, aesdd_sr, 1024, ax=axes[0, 1],
                       title=f"AESDD segment: {aesdd.table['file'].iloc[0]}\n(3 s; "
                             + figures.mel_range_text(len(segment), 0, aesdd_sr / 2) + ")")
fig.tight_layout()
figures.save_figure(fig, reports, "02_deep_inputs")
plt.show()
if mels and int(aesdd.table["sample_rate"].max()) < aesdd_sr:
    display(Markdown(f"The AESDD files here are stored at {int(aesdd.table['sample_rate'].max())} Hz: "
                     f"resampled to {aesdd_sr} Hz they hold nothing above "
                     f"{int(aesdd.table['sample_rate'].max()) // 2} Hz, hence the dark upper bands."))

# %% [markdown]
# ## Summary

# %%
n_values = tables[main.name].shape[1]
lines = [f"* Seed 001's clip vectors ({', '.join(extraction.feature_groups(tables[main.name].columns))}; "
         f"{n_values} values per clip with these parameters) are saved for notebooks 03-04 under "
         f"`{artifacts.name}/features/`."]
if study.is_default:
    lines.append("* EmoCatcher's VAD-cut 64-mel sequences" + (" and AESDD's 3 s segments are" if mels else " are")
                 + " in the cache; the deep-model chapters load them through the same calls, without recomputing.")
lines += [f"* The features carry the speaker's identity {'at least as strongly as' if easier else 'next to'} "
          "the emotion: evaluation must hold speakers out to measure emotion recognition in new voices."]
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Exercises
#
# 1. **Time resolution.** Re-run with `-p clip_hop 256` (twice as many frames). What changes in the frame
#    feature panel, and what in the number of clip features? *Expected:* the images get twice as many
#    columns (finer time steps); the clip vectors keep their length, because statistics over frames do not
#    depend on how many frames there are.
# 2. **More statistics.** Re-run with `-p clip_stats mean,std` and look at the shapes printed in section 2.
#    *Hint:* every frame-feature group doubles (means and standard deviations); the five global statistics of
#    the raw waveform stay five. Does the speaker identification accuracy of section 3.3 go up or down?
# 3. **Speaker or emotion?** In the PCA by speaker (section 3.2), pick two speakers whose numbers lie far
#    apart. What would a classifier trained on a random split learn from that distance? *Expected answer:*
#    that clips near one centre belong to that voice; on a random split the test clips of a voice lie near
#    the training clips of the same voice, so voice identity alone helps, which speaker-independent splits
#    rule out.
