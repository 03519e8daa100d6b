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
# **What you will learn.**
#
# * how two emotional-speech corpora are organised: **RAVDESS** (English, acted, 24 actors, 8 emotions) and
#   **AESDD** (Greek, acted, 6 speakers, 5 emotions), and how to check a corpus for files that cannot be used;
# * how long the clips are, and what that means for models that need inputs of a fixed size;
# * what a waveform and a log-mel spectrogram show, and where a voice-activity detector puts the speech;
# * why accuracy equals the weighted average recall (WAR) on these corpora, and what the unweighted one
#   (UAR) adds;
# * the most important pitfall of speech-emotion recognition (SER) on acted corpora: **the same speakers in
#   training and test**.
#
# **Run time** of this notebook with `python -m serlib run --only 01`, measured with the runner on a shared
# two-core machine:
#
# | profile | data | run time |
# |---|---|---|
# | `full` (default) | RAVDESS and AESDD | about 40 s |
# | `class` (`--profile class`) | RAVDESS alone (the AESDD parts say they are skipped) | about 40 s |
# | `smoke` (`--profile smoke`) | the synthetic demo corpus | about 20 s |
#
# For a class: `python -m serlib run --profile class` runs every chapter on RAVDESS alone (AESDD is sent by its
# authors only on request) with quicker settings; on a shared two-core machine with empty caches it took about
# 12 minutes, the chapter that needs AESDD skipped with a message.
#
# The later notebooks make choices that depend on what we find here: how to crop or pad clips, how to cut
# AESDD into segments, and which evaluation protocols measure what we want to know.
#
# All logic lives in the tested package `serlib`; this notebook calls it and explains it.

# %%
# NBVAL_IGNORE_OUTPUT
from serlib.app import notebook

notebook.quiet()
import librosa
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from serlib.data import audio, audit
from serlib.evaluation.analysis import train_test_overlap
from serlib.features import egemaps
from serlib.plots import figures
from serlib.protocols import registry

pd.set_option("display.width", 120)
print(notebook.versions())

# %% [markdown]
# ## Parameters
# Change these with papermill (`python -m serlib run --only 01 -p NAME VALUE`) or by hand.

# %% tags=["parameters"]
corpus: str = "ravdess"  # ravdess (with the AESDD parts), aesdd, emodb, or a corpus folder with a manifest.csv
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
    "corpus": {"type": str, "corpus": True}, "data_root": str, "use_demo": bool, "smoke": bool,
    "example_actor": {"type": int, "range": (1, 24)}, "example_speaker": {"type": int, "range": (1, 6)},
    "playback_sr": {"type": int, "range": (4000, 48000)}, "trim_top_db": {"type": float, "range": (1, 120)}})
study = notebook.choose_study(corpus, data_root, use_demo)  # the corpus, its protocols, its output folders
notebook.skip_marked_cells(study)  # cells marked "default corpus only" print one line on another corpus
data, main = study.data, study.main
display(Markdown(study.banner()))
ravdess, aesdd, loaded, missing_note = study.loaded_corpora()  # RAVDESS and AESDD, or the one corpus
if missing_note:
    display(Markdown(missing_note))
reports = study.reports


def skipped_without_aesdd(what: str) -> None:
    """Say that a part needs AESDD (for data roots that hold RAVDESS alone)."""
    print(f"skipped: {what} needs AESDD, which this data root does not hold")


# %% [markdown]
# ## 1. The corpora at a glance
# Each corpus becomes one table, one row per recording, parsed from the file names. RAVDESS encodes seven
# fields in every name (`MM-VV-EE-II-SS-RR-AA`: modality, vocal channel, emotion, intensity, statement,
# repetition, actor; odd actors are male). AESDD names read `<e><utt> (<speaker>)<take>`, e.g. `s01 (5)a`:
# emotion letter, utterance 1-20, speaker 1-6, and an optional take letter when an utterance was recorded twice.

# %%
# NBVAL_CHECK_OUTPUT
for corpus in loaded:
    print(corpus.summary())
for corpus in loaded:
    print(f"{corpus.name.upper()} columns:", ", ".join(corpus.table.columns))

# %% [markdown]
# ## 2. Inventory
# ### 2.1 RAVDESS
# Emotion by intensity: RAVDESS records every emotion at a *normal* and a *strong* intensity, except
# **neutral**, which has no strong version.

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: RAVDESS's emotion-by-intensity table
print(pd.crosstab(ravdess.table["emotion"], ravdess.table["intensity"], margins=True))

# %%
# other corpora only: the inventory of the corpus chosen by `corpus`
print(pd.crosstab(main.table["emotion"], main.table["speaker"], margins=True))
for column in dict.fromkeys([c for c in audit.audit_fields(main) if c not in ("emotion", "speaker")] + ["gender"]):
    print()
    print(audit.count_table(main.table, column))
mapping = audit.label_mapping(main.table)
if len(mapping):
    print("\nemotion labels normalised (as written -> emotion):")
    print(mapping.to_string(index=False))
unknown = audit.unknown_labels(main)
if len(unknown):
    print(f"\nrecordings skipped for an unknown emotion label ({int(unknown['recordings'].sum())}):")
    print(unknown.to_string())

# %%
# default corpus only: RAVDESS's neutral class
per_emotion = ravdess.table["emotion"].value_counts()
others = per_emotion.drop("neutral")
display(Markdown(
    f"Here *neutral* has {per_emotion['neutral']} clips and every other emotion "
    f"{others.min()}{'' if others.min() == others.max() else f' to {others.max()}'}: neutral is "
    f"{per_emotion['neutral'] / others.median():.2g} times the size of the others."))

# %% [markdown]
# Actors, gender, statements and repetitions:

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: RAVDESS's actors, statements and repetitions
per_actor = ravdess.table.groupby(["speaker", "gender"], observed=True).size().unstack(fill_value=0)
print(per_actor.T.to_string())
for column in ["gender", "statement", "repetition"]:
    print()
    print(audit.count_table(ravdess.table, column))

# %%
# default corpus only: RAVDESS's fully crossed design
clips = ravdess.table.groupby("speaker").size()
cells = ravdess.table.groupby(["speaker", "emotion", "intensity", "statement", "repetition"],
                              observed=True).size()
display(Markdown(
    f"{ravdess.table['speaker'].nunique()} actors with "
    + (f"{clips.iloc[0]} clips each" if clips.nunique() == 1 else f"{clips.min()} to {clips.max()} clips")
    + ("; every actor recorded every combination of emotion, intensity, statement and repetition once "
       "(a fully crossed design)." if cells.max() == 1 and clips.nunique() == 1 else
       "; the design is not fully crossed here.")))

# %% [markdown]
# ### 2.2 AESDD
# Emotion by speaker. AESDD's design is 5 emotions x 20 utterances x 6 speakers; some utterances were
# recorded twice (takes `a`/`b`), and some files of the original download cannot be read.

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the AESDD inventory
if aesdd is not None:
    print(pd.crosstab(aesdd.table["emotion"], aesdd.table["speaker"], margins=True))
    print()
    print(audit.count_table(aesdd.table, "take"))
    twice = aesdd.table.groupby("utterance_id").size()
    print(f"\nutterances recorded more than once: {int((twice > 1).sum())} "
          f"({int(twice[twice > 1].sum())} recordings)")
else:
    skipped_without_aesdd("the AESDD inventory")

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
for corpus in loaded:
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

# %%
ORIGINAL_RATES = {"ravdess": 48000, "aesdd": 44100, "emodb": 16000}  # the rates the corpora are distributed at
lines, resampled = [], []
for corpus in loaded:
    rates = sorted(int(r) for r in corpus.table["sample_rate"].unique())
    original = ORIGINAL_RATES.get(corpus.kind, max(rates))  # a manifest corpus: as stored
    note = ("as distributed" if rates == [original] and corpus.kind in ORIGINAL_RATES else
            "as listed in its manifest" if corpus.kind not in ORIGINAL_RATES else
            "generated by serlib, not a real recording" if data.is_demo else
            f"distributed at {original} Hz: resampled")
    lines.append(f"* **{corpus.name}**: stored at {' and '.join(f'{r} Hz' for r in rates)} ({note}); "
                 f"{len(corpus.skipped)} files could not be used.")
    if rates != [original] and not data.is_demo:
        resampled.append(min(rates))
if resampled:
    lines.append(f"\nEvery feature extractor resamples to the rate its seed used, so the pipeline is the same "
                 f"on the originals; but a copy stored at {min(resampled)} Hz holds nothing above "
                 f"{min(resampled) // 2} Hz, and features of those bands are empty.")
if aesdd is not None and aesdd.skipped.empty:
    lines.append("\nThe original AESDD download holds files that cannot be read (an empty file, a WAV "
                 "header without data); serlib's tests generate such files and check that they are reported.")
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## 3. Durations
# Models that need fixed-size inputs must crop, pad or segment. The distributions decide how much is lost.

# %%
# NBVAL_CHECK_OUTPUT
durations = pd.DataFrame({c.name: audit.duration_summary(c.table) for c in loaded})
print(durations)

# %%
fig = figures.duration_histograms({c.name.upper(): c.table for c in loaded})
figures.save_figure(fig, reports, "01_durations")
plt.show()

# %%
fig, axes = plt.subplots(1, len(loaded), figsize=(6.5 * len(loaded), 3.4), squeeze=False)
for ax, corpus in zip(axes[0], loaded, strict=True):
    figures.duration_by_emotion(corpus.table, f"{corpus.name.upper()}:", ax=ax)
fig.tight_layout()
figures.save_figure(fig, reports, "01_durations_by_emotion")
plt.show()

# %%
# default corpus only: what the durations mean for the seeds' inputs
r = durations["ravdess"]
text = [f"* **RAVDESS** clips last {r['min_s']:.1f} to {r['max_s']:.1f} s (median {r['median_s']:.1f} s), "
        "with silence before and after each sentence (section 4 shows how much). A fixed 3 s window from "
        "0.9 s (seed 002) keeps most of the speech; EmoCatcher's voice-activity detection (seed 000) cuts "
        "the silence and keeps variable lengths, which its recurrent layer handles."]
if aesdd is not None:
    a = durations["aesdd"]
    text.append(f"* **AESDD** recordings last {a['min_s']:.1f} to {a['max_s']:.1f} s, a "
                f"{a['max_s'] / a['min_s']:.0f}-fold range. Seed 004 cuts each recording into 3 s segments "
                "(pad if shorter; first and last 3 s; a middle piece from 6 s; two from 9 s). The rule's "
                "segment count on this copy:")
display(Markdown("What this means for the later choices:\n\n" + "\n".join(text)))

# %%
# other corpora only: what the durations mean for fixed-size inputs
d = durations[main.name]
display(Markdown(
    f"**{main.name}** recordings last {d['min_s']:.1f} to {d['max_s']:.1f} s (median {d['median_s']:.1f} s), a "
    f"{d['max_s'] / d['min_s']:.1f}-fold range. The clip statistics of chapters 02-04 summarise every clip "
    "whatever its length; a model with fixed-size inputs would have to crop, pad or segment."))

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: seed 004's AESDD segments
if aesdd is not None:
    n_segments = pd.Series([len(audio.aesdd_segment_starts(row.frames, row.sample_rate))
                            for row in aesdd.table.itertuples()])
    print(f"{len(aesdd.table)} recordings -> {int(n_segments.sum())} segments of 3 s "
          f"(seed 004 reported 1108 from its 603 recordings)")
    counts = n_segments.value_counts().sort_index().rename("recordings")
    counts.index.name = "segments per recording"
    print(counts.to_frame().T.to_string())
else:
    skipped_without_aesdd("the segment count")

# %% [markdown]
# Does the emotion change the duration? The box plots above say yes; in numbers, the emotions with the
# longest and the shortest median duration:

# %%
lines = []
for corpus in loaded:
    medians = corpus.table.groupby("emotion", observed=True)["duration"].median().sort_values()
    lines.append(f"* {corpus.name}: longest **{medians.index[-1]}** ({medians.iloc[-1]:.2f} s), shortest "
                 f"**{medians.index[0]}** ({medians.iloc[0]:.2f} s): "
                 f"{medians.iloc[-1] / medians.iloc[0] - 1:.0%} longer.")
display(Markdown("\n".join(lines) + "\n\nSo duration alone carries some information about the label. A "
                 "model that sees padded inputs can pick it up: a real cue, not leakage, but worth knowing "
                 "when reading results."))

# %% [markdown]
# ## 4. Listen and look
# One clip per emotion from one RAVDESS actor (same statement, strong intensity where it exists). Under
# each player: the waveform and the log-mel spectrogram that EmoCatcher (seed 000) uses: 64 mel bands from 0
# to 6 kHz (its filterbank stops there), in dB. **Red lines**: the voice-activity bounds of seed 000 (found on
# the mel power, see `serlib.data.audio.emocatcher_vad`); **yellow band**: the region kept by seed 003's silence
# trim (`trim_top_db` dB below the peak).

# %%
MEL_RANGE = {"fmin": 0.0, "fmax": float(audio.EMOCATCHER_MEL["fmax"])}  # EmoCatcher's filterbank


def show_example(row, corpus_label):
    y, sr = audio.load_audio(row.path, sr=audio.EMOCATCHER_SR)
    logmel = audio.emocatcher_logmel(y, sr)
    vad = audio.emocatcher_vad(logmel)
    _, (start, end) = librosa.effects.trim(y, top_db=trim_top_db)
    display(Markdown(f"**{corpus_label} · {row.emotion}** · `{row.file}` · {row.duration:.2f} s"))
    display(notebook.player(y, sr, playback_sr))
    fig = figures.waveform_and_logmel(y, sr, logmel, audio.EMOCATCHER_MEL["hop_length"],
                                    title=f"{row.emotion}: waveform and log-mel",
                                    vad=vad, trimmed=(start / sr, end / sr), **MEL_RANGE)
    plt.show()
    return fig


if study.is_default:
    table = ravdess.table
    picks = (table[(table["actor"] == example_actor) & (table["statement"] == 1)
                   & (table["repetition"] == 1)]
             .sort_values("intensity", ascending=False).drop_duplicates("emotion")
             .sort_values("emotion"))
else:  # another corpus: one clip per emotion of its first speaker (the first of each in file order)
    table = main.table
    picks = (table[table["speaker"] == sorted(table["speaker"].unique())[0]]
             .drop_duplicates("emotion").sort_values("emotion"))
if smoke:
    picks = picks.head(2)
for i, row in enumerate(picks.itertuples()):
    fig = show_example(row, "RAVDESS" if study.is_default else main.name.upper())
    if i == 0:
        figures.save_figure(fig, reports, "01_example_vad")

# %% [markdown]
# And the five AESDD emotions from one speaker:

# %%
# default corpus only: listening to AESDD
if aesdd is not None:
    table = aesdd.table
    picks = (table[table["speaker"] == f"{example_speaker:02d}"].sort_values("utterance")
             .drop_duplicates("emotion").sort_values("emotion"))
    if smoke:
        picks = picks.head(1)
    for row in picks.itertuples():
        show_example(row, "AESDD")
else:
    skipped_without_aesdd("listening to AESDD")

# %% [markdown]
# ### 4.1 Calm or sad?
# Seed 003 asked whether a listener could tell *calm* from *sad*. Here are both, same actor, same
# sentence, strong intensity. Listen before you read the labels under the plots. Both spectrograms use the
# same colour scale, so equal colours mean equal levels.

# %%
# default corpus only: RAVDESS's calm and sad
table = ravdess.table
pair = table[(table["actor"] == example_actor) & (table["statement"] == 1)
             & (table["repetition"] == 1) & (table["intensity"] == "strong")
             & table["emotion"].isin(["calm", "sad"])].sort_values("emotion")
signals = [audio.load_audio(row.path, sr=audio.EMOCATCHER_SR) for row in pair.itertuples()]
logmels = [audio.emocatcher_logmel(y, sr) for y, sr in signals]
low, high = min(m.min() for m in logmels), max(m.max() for m in logmels)
fig, axes = plt.subplots(1, len(pair), figsize=(13, 3.4), squeeze=False)
for ax, row, (y, sr), logmel in zip(axes[0], pair.itertuples(), signals, logmels, strict=True):
    display(notebook.player(y, sr, playback_sr))
    figures.logmel_image(logmel, sr, audio.EMOCATCHER_MEL["hop_length"], ax=ax, vmin=low, vmax=high,
                       title=f"{row.emotion} ({row.file}): "
                             + figures.mel_range_text(len(logmel), **MEL_RANGE), **MEL_RANGE)
fig.tight_layout()
figures.save_figure(fig, reports, "01_calm_vs_sad")
plt.show()

# %% [markdown]
# Pitch and level of this actor's clips of section 4 (openSMILE's eGeMAPS pitch over the voiced frames; the
# level is the mean RMS of the loudest second, in dB below full scale):

# %%
def voice_measures(path):
    y, sr = audio.load_audio(path, sr=audio.EMOCATCHER_SR)
    functionals = dict(zip(egemaps.feature_names(), egemaps.egemaps_signal(y, sr), strict=True))
    rms = np.sort(librosa.feature.rms(y=y, hop_length=512)[0])  # frames of 512 samples
    return {"mean pitch (Hz)": 27.5 * 2 ** (functionals["F0semitoneFrom27.5Hz_sma3nz_amean"] / 12),
            "level (dBFS)": float(librosa.amplitude_to_db(rms[-round(sr / 512):]).mean())}


if not study.is_default:
    print(f"skipped on {study.name}: pitch and level of a RAVDESS actor's clips")
    voice = pd.DataFrame()
else:
    actor_clips = ravdess.table[(ravdess.table["actor"] == example_actor) & (ravdess.table["statement"] == 1)
                                & (ravdess.table["repetition"] == 1)]
    actor_clips = (actor_clips.sort_values("intensity", ascending=False).drop_duplicates("emotion")
                   .sort_values("emotion"))
    voice = pd.DataFrame({row.emotion: voice_measures(row.path) for row in actor_clips.itertuples()}).T
    print(voice.round(1).to_string())

# %%
if {"calm", "sad"} <= set(voice.index):
    d = voice.loc["sad"] - voice.loc["calm"]
    spread = voice.max() - voice.min()
    small = bool((d.abs() < spread / 3).all())
    display(Markdown(
        f"For this actor, *sad* is {abs(d['mean pitch (Hz)']):.0f} Hz "
        f"{'lower' if d['mean pitch (Hz)'] < 0 else 'higher'} in mean pitch and "
        f"{abs(d['level (dBFS)']):.1f} dB {'quieter' if d['level (dBFS)'] < 0 else 'louder'} than *calm*, while "
        f"this actor's {len(voice)} emotions span {spread['mean pitch (Hz)']:.0f} Hz and "
        f"{spread['level (dBFS)']:.1f} dB: " + ("calm and sad lie close together on both." if small else
                                               "on these two measures calm and sad are told apart more "
                                               "easily than by ear.")))

# %% [markdown]
# ## 5. Class balance, and why accuracy equals WAR here

# %%
fig, axes = plt.subplots(1, len(loaded), figsize=(6.5 * len(loaded), 3.4), squeeze=False)
for ax, corpus in zip(axes[0], loaded, strict=True):
    figures.class_balance(corpus.table, title=f"{corpus.name.upper()}:", ax=ax)
fig.tight_layout()
figures.save_figure(fig, reports, "01_class_balance")
plt.show()

# %%
lines = []
for corpus in loaded:
    counts = corpus.table["emotion"].value_counts()
    lines.append(f"* {corpus.name}: from {counts.min()} clips (*{counts.idxmin()}*) to {counts.max()} "
                 f"(*{counts.idxmax()}*); always guessing the largest class scores {counts.max() / counts.sum():.1%}.")
display(Markdown("\n".join(lines)))

# %%
# other corpora only: the listeners' recognition rate (EMO-DB's human anchor)
if "recognition" in main.table:
    listeners = main.table.groupby("emotion", observed=True)[["recognition", "naturalness"]].mean()
    listeners["recordings"] = main.table.groupby("emotion", observed=True).size()
    display(Markdown(
        f"**The listeners' anchor.** {main.name}'s own listening test (`erkennung.txt`) gives, per recording, the "
        "share of its listeners who recognised the intended emotion and who found it natural. Mean recognition "
        f"over the {len(main.table)} recordings: {main.table['recognition'].mean():.1%}; its unweighted mean over "
        f"the emotions: {listeners['recognition'].mean():.1%}; the lowest rate of any recording here: "
        f"{main.table['recognition'].min():.0%}, since the corpus's authors kept the recordings that listeners "
        "recognised well and found natural: humans score high on this selection by construction. Chapter 04 "
        "puts the models beside this number."))
    print(listeners.round(3).to_string())
else:
    print(f"{main.name} has no listening test: no human anchor")

#
# * **WAR** (weighted average recall) weights each class's recall by its share of the test set; it is
#   exactly the accuracy.
# * **UAR** (unweighted average recall) is the plain mean of per-class recalls; it does not reward
#   doing well on frequent classes only.
#
# Under a *stratified* split the test set has the corpus's class shares, so accuracy = WAR, as seed 000
# notes. With one RAVDESS class at half weight WAR and UAR differ little; the later notebooks report both.
# The figure titles give the accuracy of always guessing the largest class: the floor every model must
# clear.

# %% [markdown]
# ## 6. Leakage: what a random split shares between train and test
# A random 8:2 split of RAVDESS (seed 000's protocol) puts clips of **every** actor on both sides. Worse,
# a test clip's *twin* (same actor, same sentence, same emotion and intensity, the other repetition) can be
# in training: the model can recognise the voice and the recording rather than the emotion.
# Speaker-independent protocols remove all of this by construction. The table below measures it: the
# share of test clips whose actor, actor + sentence, or twin recording also appears in training.

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: RAVDESS's leakage table
table = ravdess.table
keys = {"same actor": ["speaker"], "same actor+sentence": ["speaker", "statement"],
        "twin (other repetition)": ["speaker", "emotion", "intensity", "statement"]}
# every split from the committed registry (python -m serlib protocols lists them)
compared = {
    "random 8:2 (seed 000)": registry.fold_splits("random-holdout-8-2", table),
    "random 5-fold (seed 000)": registry.fold_splits("random-5fold", table),
    "actors 22-24 held out (seed 001)": registry.fold_splits("actor-holdout-22-24", table),
    "EmoBox 6 speaker-independent folds": registry.fold_splits("emobox-6fold", table),
}
overlap = pd.DataFrame({name: train_test_overlap(table, folds, keys).mean()
                        for name, folds in compared.items()}).T
print("share of test clips whose ... is also in training (mean over folds)")
print(overlap.round(3))

# %%
# default corpus only: the RAVDESS leakage in words
random_82 = overlap.loc["random 8:2 (seed 000)"]
has_twins = ravdess.table["repetition"].nunique() > 1
display(Markdown(
    f"Under the random 8:2 split, {random_82['same actor']:.0%} of the test clips have their actor in "
    "training" + (f" and {random_82['twin (other repetition)']:.0%} have their twin there too" if has_twins
                  else " (this corpus holds one repetition per sentence, so no clip has a twin)")
    + f"; under the two speaker-independent protocols, "
    f"{overlap.loc['EmoBox 6 speaker-independent folds', 'same actor']:.0%} do."))

# %% [markdown]
# For AESDD, seed 004 split **by recording before segmenting** (so no 3 s piece of a test recording is
# in training), but every speaker is still on both sides. Leave-one-speaker-out removes that.

# %%
# NBVAL_CHECK_OUTPUT
# default corpus only: the AESDD leakage table
if aesdd is not None:
    table = aesdd.table
    keys = {"same speaker": ["speaker"], "same utterance, other take": ["utterance_id"]}
    compared = {
        "random 80/20 by recording (seed 004)": registry.fold_splits("seed004-random-80-20", table)[:1],
        "EmoBox 25% (EmoBox's own list)": registry.fold_splits("emobox-25", table, warn=False),
        "leave one speaker out": registry.fold_splits("loso-6", table),
    }
    print(pd.DataFrame({name: train_test_overlap(table, folds, keys).mean()
                        for name, folds in compared.items()}).T.round(3))
else:
    skipped_without_aesdd("the AESDD leakage table")

# %%
# other corpora only: the protocols of this corpus, and what their splits share
study_protocols = study.protocols()
keys = {"same speaker": ["speaker"]}
if "text" in main.table:
    keys |= {"same text": ["text"], "same speaker+text": ["speaker", "text"]}
rows = []
for name, p in study_protocols.items():
    shared = train_test_overlap(main.table, list(p.splits), keys).mean()
    rows.append({"protocol": name, "kind": p.kind, "folds": len(p.splits),
                 "test clips per fold": round(float(np.mean([len(t) for _, t in p.splits])), 1),
                 **shared.round(3).to_dict()})
print(f"protocols of {main.name} (share of test clips whose ... is also in training, mean over folds):")
print(pd.DataFrame(rows).to_string(index=False))
for name, p in study_protocols.items():
    print(f"* {name}: {p.description}")

# %% [markdown]
# **Protocols used in the later notebooks** (each number in the study names its protocol):
#
# | protocol | corpus | speakers in train and test? | what for |
# |---|---|---|---|
# | random stratified 8:2 and 5-fold (seed 000) | RAVDESS | yes | reproducing the seeds' own numbers |
# | actors 22-24 held out (seed 001), actors 8,19,24 / 11,14,15 (seed 003) | RAVDESS | no | the seeds' speaker-independent tests |
# | EmoBox 6 speaker-independent folds | RAVDESS | no | comparing with published anchors |
# | random 80/20 by recording (seed 004), EmoBox 25 percent list | AESDD | yes | reproducing seed 004, EmoBox anchors |
# | leave one speaker out | AESDD | no | new speakers in AESDD |
#
# ## Summary

# %%
lines = [f"* {c.name}: {len(c.table)} recordings of {c.table['speaker'].nunique()} speakers, "
         f"{c.table['emotion'].nunique()} emotions, {c.table['duration'].min():.1f} to "
         f"{c.table['duration'].max():.1f} s; {len(c.skipped)} files could not be used." for c in loaded]
if aesdd is None and study.is_default:
    lines.append("* AESDD was not in this data root: its parts were skipped.")
if not study.is_default:
    lines += [f"* Protocols of {main.name}: " + "; ".join(f"`{n}` ({p.kind}, {len(p.splits)} folds)"
                                                          for n, p in study_protocols.items()) + ".",
              "* The sections written for RAVDESS, AESDD and the seeds were skipped, each with a message."]
else:
    lines += ["* Durations call for voice-activity detection (seed 000), fixed windows (seed 002) or 3 s "
              "segments (AESDD, seed 004).",
              "* *Calm* and *sad* are hard to tell apart by ear (section 4.1).",
              f"* A random split shares every actor ({random_82['same actor']:.0%} of test clips have their actor "
              "in training): numbers from such splits measure something easier than recognising emotion in a "
              "new voice. The study reports speaker-independent protocols beside the seeds' random ones."]
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Exercises
#
# 1. **Another voice.** Run the notebook for a female actor: `python -m serlib run --only 01 -p
#    example_actor 12` (even actors are female). Is *calm* against *sad* easier to hear, and how do the pitch
#    and level differences of section 4.1 compare with the spread over that actor's emotions?
#    *Hint:* compare the printed table of section 4.1 with this run's; a difference of a few Hz in mean
#    pitch is well below what separates two speakers.
# 2. **Trimming.** Re-run with `-p trim_top_db 15` and then `-p trim_top_db 60`. What happens to the yellow
#    band? *Expected:* a threshold closer to the peak (15 dB) keeps only the loud middle of the sentence;
#    60 dB keeps nearly the whole clip, breaths and room noise included. Voice-activity detection (red lines)
#    does not depend on this parameter.
# 3. **Why not all twins?** Under the random 8:2 split of the real RAVDESS (the demo corpus has one
#    repetition per sentence, so no twins), most but not all test clips have their twin in training. Why
#    that share, and not one? *Expected answer:* each clip has exactly one twin, and a random
#    split puts that twin in the test part with about the test share's probability (one in five), so about
#    four in five twins are in training.
# 4. **A useless model.** A classifier that always answers *calm* on RAVDESS: what are its accuracy and its
#    UAR? *Expected answer:* accuracy 192/1440 on the real corpus (calm's share of the clips), UAR 1/8 (recall 1 for calm, 0
#    for the other seven classes). UAR does not reward the choice of a large class.
