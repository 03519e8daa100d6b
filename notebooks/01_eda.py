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
# # 01 · Exploratory data analysis: know the data before modelling
#
# **Purpose.** Before any model is trained, this notebook takes stock of the two corpora of the study:
# **RAVDESS** (English, 24 actors, 8 emotions) and **AESDD** (Greek, 6 speakers, 5 emotions). It counts
# what is there (and what is broken), looks at durations, lets you *listen* to a few clips, and shows the
# single most important pitfall of speech-emotion recognition (SER) on these corpora: **speaker overlap
# between training and test sets**.
#
# The later notebooks make choices that depend on what we find here: how to crop or pad clips (notebooks
# 04 and 06), how to segment AESDD (notebook 05), and which evaluation protocols are honest (all of them).
#
# All logic lives in the tested package `serlib`; this notebook calls it and explains it.

# %%
# NBVAL_IGNORE_OUTPUT
from serlib import notebook

notebook.quiet()
import librosa
import librosa.display
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from serlib import audio, audit, plots, protocols
from serlib.analysis import train_test_overlap

pd.set_option("display.width", 120)
print(notebook.versions())

# %% [markdown]
# ## Parameters
# Change these with papermill (`python -m serlib run --only 01 -p NAME VALUE`) or by hand.

# %% tags=["parameters"]
data_root: str = ""  # folder with ravdess/ and aesdd/; empty means $SERLIB_DATA or <project>/data
use_demo: bool = False  # True: run on the synthetic demo corpus even if the real corpora exist
smoke: bool = False  # True: quick run for the smoke tests (fewer examples)
example_actor: int = 1  # RAVDESS actor whose clips we listen to (1-24)
example_speaker: int = 1  # AESDD speaker whose clips we listen to (1-6)
playback_sr: int = 16000  # sample rate (Hz) of the embedded audio players (small notebook)
trim_top_db: float = 30.0  # silence-trim threshold (dB below peak) of seed 003

# %%
# NBVAL_IGNORE_OUTPUT
notebook.check_parameters(globals(), {  # every parameter checked before any work
    "data_root": str, "use_demo": bool, "smoke": bool,
    "example_actor": {"type": int, "range": (1, 24)}, "example_speaker": {"type": int, "range": (1, 6)},
    "playback_sr": {"type": int, "range": (4000, 48000)}, "trim_top_db": {"type": float, "range": (1, 120)}})
data = notebook.choose_data(data_root, use_demo)
display(Markdown(data.banner()))
ravdess = data.load("ravdess")
aesdd = data.load("aesdd")
reports = data.reports

# %% [markdown]
# ## 1. The two corpora at a glance
# Each corpus becomes one table, one row per recording, parsed from the file names. RAVDESS encodes seven
# fields in every name (`MM-VV-EE-II-SS-RR-AA`: modality, vocal channel, emotion, intensity, statement,
# repetition, actor; odd actors are male). AESDD names read `<e><utt> (<speaker>)<take>`, e.g. `s01 (5)a`:
# emotion letter, utterance 1-20, speaker 1-6, and an optional take letter when an utterance was recorded twice.

# %%
# NBVAL_CHECK_OUTPUT
print(ravdess.summary())
print(aesdd.summary())
print("RAVDESS columns:", ", ".join(ravdess.table.columns))
print("AESDD columns:  ", ", ".join(aesdd.table.columns))

# %% [markdown]
# ## 2. Inventory
# ### 2.1 RAVDESS
# Emotion by intensity: every emotion has a *normal* and a *strong* version, except **neutral**, which has
# only *normal*: neutral has half as many clips as every other class.

# %%
# NBVAL_CHECK_OUTPUT
print(pd.crosstab(ravdess.table["emotion"], ravdess.table["intensity"], margins=True))

# %% [markdown]
# Actors, gender, statements and repetitions: the design is fully crossed, 60 clips per actor.

# %%
# NBVAL_CHECK_OUTPUT
per_actor = ravdess.table.groupby(["speaker", "gender"], observed=True).size().unstack(fill_value=0)
print(per_actor.T.to_string())
for column in ["gender", "statement", "repetition"]:
    print()
    print(audit.count_table(ravdess.table, column))

# %% [markdown]
# ### 2.2 AESDD
# Emotion by speaker. The design is 5 emotions x 20 utterances x 6 speakers; some utterances were recorded
# twice (takes `a`/`b`) and some files of the original download are unreadable, so the cells are not all 20.

# %%
# NBVAL_CHECK_OUTPUT
print(pd.crosstab(aesdd.table["emotion"], aesdd.table["speaker"], margins=True))
print()
print(audit.count_table(aesdd.table, "take"))
twice = aesdd.table.groupby("utterance_id").size()
print(f"\nutterances recorded more than once: {int((twice > 1).sum())} "
      f"({int(twice[twice > 1].sum())} recordings)")

# %% [markdown]
# A re-recorded take is a *separate recording of the same utterance by the same speaker*. Splitting
# AESDD at random by recording can put one take in training and the other in test: a mild form of leakage
# (the seed's own report lists it as a limitation). We keep both takes and group them where it matters.

# %% [markdown]
# ### 2.3 Formats, channels and files that could not be used
# Loaders accept any format libsndfile reads, any sample rate and stereo files (downmixed). Files that
# cannot be used are never dropped silently: each is listed with its reason.

# %%
# NBVAL_CHECK_OUTPUT
for corpus in (ravdess, aesdd):
    table = corpus.table
    print(f"== {corpus.name}")
    print("sample rates (Hz):", table["sample_rate"].value_counts().to_dict())
    print("formats:", table["format"].value_counts().to_dict())
    stereo = table.loc[table["channels"] > 1, "file"].tolist()
    print(f"stereo files ({len(stereo)}):", ", ".join(stereo) or "none")
    if corpus.skipped.empty:
        print("skipped files: none")
    for row in corpus.skipped.itertuples():
        print(f"skipped {row.path.split('/')[-1]}: {row.reason}")

# %% [markdown]
# The copies used here were resampled to 16 kHz (the originals are 48 kHz for RAVDESS and 44.1 kHz for
# AESDD); every feature extractor resamples to the rate its seed used, so the pipeline is the same on the
# originals. The unreadable files of the original AESDD download (an empty file, a WAV header without a
# data chunk) are not in this copy; serlib's tests generate such files and check that they are reported.

# %% [markdown]
# ## 3. Durations
# Models that need fixed-size inputs must crop, pad or segment. The distributions decide how much is lost.

# %%
# NBVAL_CHECK_OUTPUT
print(pd.DataFrame({c.name: audit.duration_summary(c.table) for c in (ravdess, aesdd)}))

# %%
fig = plots.duration_histograms({"RAVDESS": ravdess.table, "AESDD": aesdd.table})
plots.save_figure(fig, reports, "01_durations")
plt.show()

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 3.4))
plots.duration_by_emotion(ravdess.table, "RAVDESS:", ax=axes[0])
plots.duration_by_emotion(aesdd.table, "AESDD:", ax=axes[1])
fig.tight_layout()
plots.save_figure(fig, reports, "01_durations_by_emotion")
plt.show()

# %% [markdown]
# What this means for the later choices:
#
# * **RAVDESS** clips are short and uniform; about half a second of near-silence surrounds each sentence.
#   A fixed 3 s window from 0.9 s (seed 002) keeps most of the speech; EmoCatcher's voice-activity
#   detection (seed 000) cuts the silence and keeps variable lengths, which its GRU handles.
# * **AESDD** durations vary several-fold. Seed 004 cuts each recording into 3 s segments (pad if shorter;
#   first and last 3 s; a middle piece from 6 s; two from 9 s). The rule's segment count on this copy:

# %%
# NBVAL_CHECK_OUTPUT
n_segments = pd.Series([len(audio.aesdd_segment_starts(row.frames, row.sample_rate))
                        for row in aesdd.table.itertuples()])
print(f"{len(aesdd.table)} recordings -> {int(n_segments.sum())} segments of 3 s "
      f"(seed 004 reported 1108 from its 603 recordings)")
counts = n_segments.value_counts().sort_index().rename("recordings")
counts.index.name = "segments per recording"
print(counts.to_frame().T.to_string())


# %% [markdown]
# Emotion changes duration: in the box plots above some emotions run longer than others (disgust, in
# both corpora), so duration alone carries some information about the label. A model that sees padded
# inputs can pick this up; it is a real cue, not leakage, but worth knowing when reading results.
#
# ## 4. Listen and look
# One clip per emotion from one RAVDESS actor (same statement, strong intensity where it exists). Under
# each player: the waveform and the 64-band log-mel spectrogram that EmoCatcher uses. **Red lines**: the
# voice-activity bounds of seed 000 (found on the mel power, see `serlib.audio.emocatcher_vad`); **yellow
# band**: the region kept by seed 003's silence trim (30 dB below the peak).

# %%
def show_example(row, corpus_label):
    y, sr = audio.load_audio(row.path, sr=audio.EMOCATCHER_SR)
    logmel = audio.emocatcher_logmel(y, sr)
    vad = audio.emocatcher_vad(logmel)
    _, (start, end) = librosa.effects.trim(y, top_db=trim_top_db)
    display(Markdown(f"**{corpus_label} · {row.emotion}** · `{row.file}` · {row.duration:.2f} s"))
    display(notebook.player(y, sr, playback_sr))
    fig = plots.waveform_and_logmel(y, sr, logmel, audio.EMOCATCHER_MEL["hop_length"],
                                    title=f"{row.emotion}: waveform and log-mel",
                                    vad=vad, trimmed=(start / sr, end / sr))
    plt.show()
    return fig


table = ravdess.table
picks = (table[(table["actor"] == example_actor) & (table["statement"] == 1)
               & (table["repetition"] == 1)]
         .sort_values("intensity", ascending=False).drop_duplicates("emotion")
         .sort_values("emotion"))
if smoke:
    picks = picks.head(2)
for i, row in enumerate(picks.itertuples()):
    fig = show_example(row, "RAVDESS")
    if i == 0:
        plots.save_figure(fig, reports, "01_example_vad")

# %% [markdown]
# And the five AESDD emotions from one speaker:

# %%
table = aesdd.table
picks = (table[table["speaker"] == f"{example_speaker:02d}"].sort_values("utterance")
         .drop_duplicates("emotion").sort_values("emotion"))
if smoke:
    picks = picks.head(1)
for row in picks.itertuples():
    show_example(row, "AESDD")

# %% [markdown]
# ### 4.1 Calm or sad?
# Seed 003 asked whether a listener could tell *calm* from *sad*. Here are both, same actor, same
# sentence, strong intensity. Listen before you read the labels under the plots: the two differ mostly in
# a slightly lower pitch and energy for *sad*; the spectrograms look alike.

# %%
table = ravdess.table
pair = table[(table["actor"] == example_actor) & (table["statement"] == 1)
             & (table["repetition"] == 1) & (table["intensity"] == "strong")
             & table["emotion"].isin(["calm", "sad"])].sort_values("emotion")
fig, axes = plt.subplots(1, len(pair), figsize=(12, 3.2), squeeze=False)
for ax, row in zip(axes[0], pair.itertuples(), strict=True):
    y, sr = audio.load_audio(row.path, sr=audio.EMOCATCHER_SR)
    display(notebook.player(y, sr, playback_sr))
    logmel = audio.emocatcher_logmel(y, sr)
    librosa.display.specshow(logmel, sr=sr, hop_length=audio.EMOCATCHER_MEL["hop_length"],
                             x_axis="time", y_axis="mel", ax=ax, fmax=sr / 2)
    ax.set(title=f"{row.emotion} ({row.file})")
fig.tight_layout()
plots.save_figure(fig, reports, "01_calm_vs_sad")
plt.show()

# %% [markdown]
# ## 5. Class balance, and why accuracy equals WAR here

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 3.4))
plots.class_balance(ravdess.table, title="RAVDESS:", ax=axes[0])
plots.class_balance(aesdd.table, title="AESDD:", ax=axes[1])
fig.tight_layout()
plots.save_figure(fig, reports, "01_class_balance")
plt.show()

# %% [markdown]
# RAVDESS is balanced except for *neutral*, which has half the clips of every other emotion (no strong
# version); AESDD is nearly balanced. Two common summary metrics:
#
# * **WAR** (weighted average recall) weights each class's recall by its share of the test set; it is
#   exactly the accuracy.
# * **UAR** (unweighted average recall) is the plain mean of per-class recalls; it does not reward
#   doing well on frequent classes only.
#
# Under a *stratified* split the test set has the corpus's class shares, so accuracy = WAR, as seed 000
# notes. For RAVDESS the difference between WAR and UAR is small (one class at half weight); we still
# report both (notebooks 04-07). The figure titles give the accuracy of always guessing the majority
# class: the floor every model must clear.

# %% [markdown]
# ## 6. Leakage: what a random split shares between train and test
# A random 8:2 split of RAVDESS (seed 000's protocol) puts clips of **every** actor on both sides. Worse,
# a test clip's *twin* (same actor, same sentence, same emotion and intensity, the other repetition) is
# usually in training: the model can recognise the voice and the recording rather than the emotion.
# Speaker-independent protocols remove all of this by construction. The table below measures it: the
# share of test clips whose actor, actor + sentence, or twin recording also appears in training.

# %%
# NBVAL_CHECK_OUTPUT
table = ravdess.table
keys = {"same actor": ["speaker"], "same actor+sentence": ["speaker", "statement"],
        "twin (other repetition)": ["speaker", "emotion", "intensity", "statement"]}
# every split from the committed registry (python -m serlib protocols lists them)
compared = {
    "random 8:2 (seed 000)": protocols.fold_splits("random-holdout-8-2", table),
    "random 5-fold (seed 000)": protocols.fold_splits("random-5fold", table),
    "actors 22-24 held out (seed 001)": protocols.fold_splits("actor-holdout-22-24", table),
    "EmoBox 6 speaker-independent folds": protocols.fold_splits("emobox-6fold", table),
}
overlap = pd.DataFrame({name: train_test_overlap(table, folds, keys).mean()
                        for name, folds in compared.items()}).T
print("share of test clips whose ... is also in training (mean over folds)")
print(overlap.round(3))

# %% [markdown]
# For AESDD, seed 004 split **by recording before segmenting** (so no 3 s piece of a test recording is
# in training), but every speaker is still on both sides. Leave-one-speaker-out removes that.

# %%
# NBVAL_CHECK_OUTPUT
table = aesdd.table
keys = {"same speaker": ["speaker"], "same utterance, other take": ["utterance_id"]}
compared = {
    "random 80/20 by recording (seed 004)": protocols.fold_splits("seed004-random-80-20", table)[:1],
    "EmoBox 25% (EmoBox's own list)": protocols.fold_splits("emobox-25", table, warn=False),
    "leave one speaker out": protocols.fold_splits("loso-6", table),
}
print(pd.DataFrame({name: train_test_overlap(table, folds, keys).mean()
                    for name, folds in compared.items()}).T.round(3))

# %% [markdown]
# **Protocols used in the later notebooks** (each number in the study names its protocol):
#
# | protocol | corpus | speakers in train and test? | used in |
# |---|---|---|---|
# | random stratified 8:2 and 5-fold (seed 000) | RAVDESS | yes | 04, 06 (to reproduce the seed) |
# | actors 22-24 held out (seed 001), actors 8,19,24 / 11,14,15 (seed 003) | RAVDESS | no | 03, 04, 06 |
# | EmoBox 6 speaker-independent folds | RAVDESS | no | 04, 06, 07 |
# | random 80/20 by recording (seed 004), EmoBox 25 % | AESDD | yes | 05 |
# | leave one speaker out | AESDD | no | 05, 07 |
#
# ## Summary
# * RAVDESS: 1440 clips, 24 actors, fully crossed design; neutral has half the clips. AESDD: about 600
#   recordings of 6 speakers, with re-recorded takes, durations from 1 to 10 s.
# * Durations call for VAD (RAVDESS, seed 000), fixed windows (seed 002) or 3 s segments (AESDD, seed 004).
# * *Calm* vs *sad* is hard even for a listener.
# * Random splits share every actor, and most test clips have their twin recording in training: numbers
#   from such splits measure something easier than recognising emotion in a new voice. The study reports
#   speaker-independent protocols beside the seeds' random ones.
