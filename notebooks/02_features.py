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
# **Purpose.** Turn the recordings into the inputs of every model in the study, once, in parallel, with an
# on-disk cache, and check that the features make sense:
#
# * **frame features** (MFCC, log-mel, spectral contrast, chroma) with each seed's window and hop;
# * **per-clip statistics** (seed 001): the clip vectors of the linear and MLP baselines (notebooks 03-04);
# * the **mel inputs of the deep models**: EmoCatcher's 64-mel log spectrogram cut by its voice-activity
#   detection (seed 000, notebook 06) and the 128-mel 3 s segments of AESDD (seed 004, notebook 05).
#
# Extraction is cached by file content and parameters (`serlib.features.extract`): change a parameter or a
# file and only that is recomputed; a second run reads the cache. Later notebooks only load.

# %%
# NBVAL_IGNORE_OUTPUT
from serlib import notebook

notebook.quiet()
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from serlib import analysis, audio, features, plots

pd.set_option("display.width", 120)
print(notebook.versions())

# %% [markdown]
# ## Parameters

# %% tags=["parameters"]
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
    "data_root": str, "use_demo": bool, "smoke": bool, "n_jobs": int,
    "clip_sr": {"type": int, "range": (8000, 48000)}, "clip_n_fft": {"type": int, "range": (64, 16384)},
    "clip_hop": {"type": int, "range": (16, 16384)}, "n_mfcc": {"type": int, "range": (1, 128)},
    "clip_stats": {"type": str, "choices": list(features.STATISTICS), "sep": ","},
    "aesdd_sr": {"type": int, "range": (8000, 48000)}})
data = notebook.choose_data(data_root, use_demo)
display(Markdown(data.banner()))
ravdess = data.load("ravdess")
aesdd = data.load("aesdd")
frame_params = features.FrameParams(sr=clip_sr, n_fft=clip_n_fft, hop_length=clip_hop,
                                     n_mfcc=n_mfcc, stats=tuple(clip_stats.split(",")))
reports, artifacts = data.reports, data.artifacts

# %% [markdown]
# ## 1. Frame features of one clip
# Each seed framed the signal differently. The table converts their settings to milliseconds: a 46 ms
# window with a 23 ms hop (seed 001) resolves pitch harmonics and fast changes; EmoCatcher's 93 ms window
# and 62 ms hop (seed 000) trade time resolution for a short, cheap sequence for its GRU.

# %%
# NBVAL_CHECK_OUTPUT
print(features.frame_settings_table())

# %% [markdown]
# The four frame-feature groups of seed 001 for one clip (an *angry* clip of actor 1). Rows are
# coefficients or bands, columns are frames of 23 ms:
#
# * **MFCC** (40): the spectral envelope, decorrelated (vocal-tract shape, timbre);
# * **log-mel** (128 bands): the same envelope, before the cosine transform;
# * **chroma** (12 pitch classes): energy per semitone class, a rough pitch/harmonicity view;
# * **spectral contrast** (7 bands): peak-to-valley level per octave band (voiced vs noisy).

# %%
table = ravdess.table
clip = table[(table["emotion"] == "angry") & (table["intensity"] == "strong")].iloc[0]
y, sr = audio.load_audio(clip.path, sr=frame_params.sr)
frames = features.frame_features(y, sr, frame_params)
fig = plots.frame_feature_panel(frames, sr, frame_params.hop_length,
                                title=f"{clip.file} ({clip.emotion})")
plots.save_figure(fig, reports, "02_frame_features")
plt.show()

# %% [markdown]
# Seed 001 summarises each clip by **statistics over frames** (here the mean; `clip_stats` adds std, max,
# min, range) plus five **global** statistics of the raw waveform (mean, std, max, min, range). For the
# clip above, the first three MFCCs:

# %%
# NBVAL_CHECK_OUTPUT
stats = features.clip_statistics(frames["mfcc"][:3])
print(pd.DataFrame(stats.reshape(5, 3), index=list(features.STATISTICS),
                   columns=["mfcc 0", "mfcc 1", "mfcc 2"]).astype(float).round(1))

# %% [markdown]
# ## 2. Clip features of both corpora (parallel, cached)
# `features.feature_table` runs the extractor over every recording with `n_jobs` processes and a progress
# bar. The first run computes; the second reads the cache. Times are wall-clock seconds on this machine.

# %%
# NBVAL_IGNORE_OUTPUT
tables, runs = {}, {}
for corpus in (ravdess, aesdd):
    tables[corpus.name], runs[corpus.name] = features.feature_table(
        corpus.table, frame_params, n_jobs=n_jobs)
    print(f"{corpus.name}: {runs[corpus.name].summary()}")

# %%
# NBVAL_IGNORE_OUTPUT
for corpus in (ravdess, aesdd):
    _, warm = features.feature_table(corpus.table, frame_params, n_jobs=n_jobs, progress=False)
    print(f"{corpus.name} again (warm cache): {warm.n_cached} of {len(warm.paths)} files "
          "read from the cache")

# %% [markdown]
# Shapes of the saved tables (one row per recording) and the size of each feature group:

# %%
# NBVAL_CHECK_OUTPUT
for corpus in (ravdess, aesdd):
    table = tables[corpus.name]
    groups = features.feature_groups(table.columns)
    print(f"{corpus.name}: X {table.shape}, failed {len(runs[corpus.name].failed)}; groups "
          + ", ".join(f"{g} {len(c)}" for g, c in groups.items()))
    features.save_table(corpus.table, table, corpus.name, artifacts)

# %% [markdown]
# ## 3. Do the features carry emotion, or mostly the speaker?
# ### 3.1 Which features relate to emotion
# Eta squared is the share of a feature's variance explained by the emotion label (ANOVA). The box plot
# shows its spread within each feature group, RAVDESS.

# %%
meta, X = features.load_table("ravdess", artifacts)
assoc = analysis.emotion_association(X, meta["emotion"])
fig, ax = plt.subplots(figsize=(7, 3.2))
sns.boxplot(data=assoc, x="group", y="eta2", ax=ax, color="tab:green")
ax.set(title="RAVDESS: variance explained by emotion, per feature", xlabel="feature group",
       ylabel="eta squared")
plots.save_figure(fig, reports, "02_eta2_by_group")
plt.show()
print(assoc.head(8)[["group", "eta2"]].round(3))

# %% [markdown]
# ### 3.2 A 2-D view, coloured by emotion and by speaker
# The first two principal components of the standardised clip features. If points cluster more by
# speaker than by emotion, a classifier can learn voices instead of emotions, and a random split (same
# voices in train and test) rewards it.

# %%
fig, axes = plt.subplots(2, 2, figsize=(12, 9))
for row, name in enumerate(["ravdess", "aesdd"]):
    meta, X = features.load_table(name, artifacts)
    points, ratio = analysis.pca_2d(X)
    plots.projection_scatter(points, meta["emotion"], f"{name}: PCA by emotion "
                             f"({ratio.sum():.0%} of variance)", ax=axes[row, 0])
    plots.projection_scatter(points, meta["speaker"], f"{name}: PCA by speaker",
                             ax=axes[row, 1], legend=name == "aesdd")
fig.tight_layout()
plots.save_figure(fig, reports, "02_pca_emotion_speaker")
plt.show()

# %% [markdown]
# ### 3.3 Speaker identity in numbers
# The same linear classifier (standardised features, ridge classifier, 5-fold stratified CV) asked to
# predict the **emotion** and then the **speaker** from the same clip vectors:

# %%
rows = []
for name in ["ravdess", "aesdd"]:
    meta, X = features.load_table(name, artifacts)
    for target in ["emotion", "speaker"]:
        mean, std, chance = analysis.identification_accuracy(X, meta[target])
        rows.append({"corpus": name, "predict": target, "classes": meta[target].nunique(),
                     "accuracy": f"{mean:.3f} +- {std:.3f}", "chance": round(chance, 3)})
print(pd.DataFrame(rows).to_string(index=False))

# %% [markdown]
# The features identify the speaker far above chance, at least as easily as the emotion. This is why the
# study reports **speaker-independent** protocols: a random split lets a model lean on voice identity.
#
# ## 4. Inputs of the deep models
# ### 4.1 EmoCatcher (seed 000): 64-mel log spectrogram cut by VAD, RAVDESS
# At 22050 Hz, FFT 4096, window 2048, hop 1364 (62 ms), 64 mel bands up to 6 kHz, in dB; the frames
# outside the voice-activity bounds are dropped. Sequences keep their own length (the model packs them).
# Cached here so that notebook 06 never recomputes a spectrogram per epoch, as the seed did.

# %%
# NBVAL_IGNORE_OUTPUT
emo = features.extract(ravdess.table["path"], features.emocatcher_input_file, {},
                       n_jobs=n_jobs, desc="EmoCatcher inputs")
print(emo.summary())

# %%
# NBVAL_CHECK_OUTPUT
logmels = [v["logmel"] for v in emo.values if v is not None]
print("mel bands:", sorted({m.shape[0] for m in logmels}))
print("frames per clip after VAD:")
print(features.length_summary(logmels).to_string())

# %% [markdown]
# ### 4.2 AESDD 3 s segments (seed 004): 128-mel, 128 x 130 per segment
# Each recording is peak-normalised, resampled to 44.1 kHz as in the seed, cut into 3 s segments by the
# seed's rule (notebook 01, section 3) and turned into a 128-band mel spectrogram in dB (FFT 2048, hop 1024).
# The segments of a recording stay together so that notebook 05 can split by recording before
# segmenting.

# %%
# NBVAL_IGNORE_OUTPUT
seg = features.extract(aesdd.table["path"], features.aesdd_segment_mels, {"sr": aesdd_sr},
                       n_jobs=n_jobs, desc="AESDD segments")
print(seg.summary())

# %%
# NBVAL_CHECK_OUTPUT
mels = [v["mels"] for v in seg.values if v is not None]
print(f"{len(mels)} recordings -> {sum(m.shape[0] for m in mels)} segments")
print("segment shape (mels x frames):", sorted({m.shape[1:] for m in mels}))

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.2))
example = logmels[0]
img = axes[0].imshow(example, origin="lower", aspect="auto", cmap="magma")
axes[0].set(title=f"EmoCatcher input: {ravdess.table['file'].iloc[0]} (64 x {example.shape[1]})",
            xlabel="frame (62 ms hop)", ylabel="mel band")
fig.colorbar(img, ax=axes[0], label="dB")
segment = mels[0][0]
img = axes[1].imshow(segment, origin="lower", aspect="auto", cmap="magma")
axes[1].set(title=f"AESDD segment: {aesdd.table['file'].iloc[0]} (128 x {segment.shape[1]})",
            xlabel="frame (23 ms hop)", ylabel="mel band")
fig.colorbar(img, ax=axes[1], label="dB")
fig.tight_layout()
plots.save_figure(fig, reports, "02_deep_inputs")
plt.show()

# %% [markdown]
# ## Summary
# * Seed 001's clip vectors (MFCC, log-mel, chroma, contrast means and raw-signal statistics; 192 values
#   per clip with the default parameters) are saved for notebooks 03-04 under `artifacts/features/`.
# * EmoCatcher's VAD-cut 64-mel sequences and AESDD's 128 x 130 segments are in the cache; notebooks 05 and
#   06 load them through the same calls, without recomputing.
# * The features carry the speaker's identity at least as strongly as the emotion: evaluation must hold
#   speakers out to measure emotion recognition in new voices.
