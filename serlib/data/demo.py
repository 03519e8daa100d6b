"""Deterministic synthetic demo corpus in the layouts of RAVDESS and AESDD.

When the real corpora are absent, the notebooks run on this corpus instead. It has the real
corpora's folder layout, file names and fields (including the AESDD oddities: a re-recorded take,
a zero-padded speaker number and two broken files), and it carries emotion in prosody so that
every model of the study learns clearly above chance:

* the *speech* is a harmonic glottal-like source following an f0 contour, shaped per syllable by
  three formant resonators, with a syllable-rate amplitude envelope, consonant noise bursts and
  breath noise, framed by low-level background noise;
* an :class:`EmotionProfile` sets f0 level, contour, tremor, jitter, tempo, loudness, spectral
  tilt and breathiness; a :class:`SpeakerProfile` sets base f0, vocal-tract length (formant
  scale), loudness and voice quality, so that speakers differ as in real corpora but less than
  emotions do;
* every file is seeded from ``(seed, corpus/file name)``, so the same arguments give
  byte-identical files, whatever else is generated.

Used in: notebooks/01_eda.ipynb and the later notebooks when they run in demo mode.
"""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from itertools import product
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import lfilter
from tqdm.auto import tqdm

from serlib.data.corpora import AESDD_EMOTIONS, RAVDESS_EMOTIONS

#: Bump when the synthesis changes, so that existing demo corpora are regenerated.
GENERATOR_VERSION = 1
#: Marker file written into the demo root once a generation has completed.
MARKER_NAME = ".serlib-demo.json"

__all__ = [
    "AESDD_EMOTIONS",
    "AESDD_EMPTY_FILE",
    "AESDD_FACTOR",
    "AESDD_HEADER_ONLY_FILE",
    "AESDD_PROFILE_NAMES",
    "AESDD_SPEAKER_GENDERS",
    "AESDD_TIMING",
    "AESDD_UTTERANCES",
    "EMOTION_PROFILES",
    "GENERATOR_VERSION",
    "MARKER_NAME",
    "PROFILE_VARIATION",
    "RAVDESS_EMOTIONS",
    "RAVDESS_STATEMENT_VOWELS",
    "RAVDESS_TIMING",
    "STRONG_FACTOR",
    "VOWEL_FORMANTS",
    "EmotionProfile",
    "SpeakerProfile",
    "Timing",
    "aesdd_filename",
    "draw_speaker",
    "make_demo_corpus",
    "ravdess_filename",
    "synthesize_utterance",
]


@dataclass(frozen=True)
class EmotionProfile:
    """Prosody and voice quality of one emotion (all fields are floats, so profiles can be
    scaled and perturbed field by field).

    Args:
        f0_shift_st: mean f0 relative to the speaker's base f0, in semitones.
        f0_slope_st: f0 change from the start to the end of the utterance, in semitones
            (negative: falling, positive: rising).
        f0_accent_st: typical size of the per-syllable pitch accents, in semitones.
        f0_tremor_st: depth of a 6 Hz pitch tremor, in semitones.
        jitter: relative random f0 perturbation (0.01 = 1 %).
        syllable_rate: tempo, in syllables per second.
        loudness_db: level relative to the speaker's neutral level, in dB.
        tilt_db: spectral slope of the voice source, in dB per octave (nearer 0 = brighter).
        breathiness: amplitude ratio of aspiration noise to the harmonic source.
    """

    f0_shift_st: float
    f0_slope_st: float
    f0_accent_st: float
    f0_tremor_st: float
    jitter: float
    syllable_rate: float
    loudness_db: float
    tilt_db: float
    breathiness: float

    def intensified(self, factor: float) -> EmotionProfile:
        """Move every field ``factor`` times as far from the neutral profile.

        ``factor`` > 1 exaggerates the emotion (RAVDESS "strong" intensity).
        """
        neutral = EMOTION_PROFILES["neutral"]
        values = {}
        for f in fields(self):
            base = getattr(neutral, f.name)
            values[f.name] = base + factor * (getattr(self, f.name) - base)
        return EmotionProfile(**values)

    def perturbed(self, rng: np.random.Generator) -> EmotionProfile:
        """Return a copy with per-recording random variation (normal, with the standard
        deviations of :data:`PROFILE_VARIATION`), clipped to physically meaningful values."""
        values = {
            f.name: getattr(self, f.name) + getattr(PROFILE_VARIATION, f.name) * z
            for f, z in zip(fields(self), rng.normal(size=len(fields(self))), strict=True)
        }
        for name in ("f0_accent_st", "f0_tremor_st", "jitter", "breathiness"):
            values[name] = max(values[name], 0.0)
        values["syllable_rate"] = max(values["syllable_rate"], 1.5)
        values["tilt_db"] = min(values["tilt_db"], -3.0)
        return EmotionProfile(**values)


#: Emotion profiles, keyed by RAVDESS emotion name. Neutral/calm and calm/sad are the closest
#: pairs, as in real acted speech; high-arousal emotions differ in f0 level, tempo and loudness.
EMOTION_PROFILES: dict[str, EmotionProfile] = {
    "neutral": EmotionProfile(0.0, -2.0, 1.5, 0.0, 0.010, 4.0, 0.0, -12.0, 0.12),
    "calm": EmotionProfile(-1.0, -2.5, 1.0, 0.0, 0.010, 3.6, -2.5, -13.0, 0.20),
    "happy": EmotionProfile(4.0, 1.0, 4.0, 0.0, 0.015, 4.6, 4.0, -9.0, 0.12),
    "sad": EmotionProfile(-2.0, -3.5, 0.8, 0.0, 0.025, 3.0, -5.0, -14.5, 0.32),
    "angry": EmotionProfile(5.0, -4.0, 4.5, 0.0, 0.020, 5.0, 9.0, -6.0, 0.08),
    "fearful": EmotionProfile(7.0, 2.0, 2.5, 0.8, 0.040, 5.2, 2.0, -10.0, 0.30),
    "disgust": EmotionProfile(-1.5, -5.0, 3.0, 0.0, 0.030, 3.2, 1.0, -10.5, 0.18),
    "surprised": EmotionProfile(6.0, 6.0, 5.0, 0.0, 0.015, 4.2, 3.0, -9.0, 0.12),
}

#: Standard deviations of the per-recording variation applied by :meth:`EmotionProfile.perturbed`.
PROFILE_VARIATION = EmotionProfile(
    f0_shift_st=1.0,
    f0_slope_st=1.0,
    f0_accent_st=0.6,
    f0_tremor_st=0.1,
    jitter=0.004,
    syllable_rate=0.3,
    loudness_db=1.5,
    tilt_db=1.0,
    breathiness=0.04,
)

#: How much RAVDESS "strong" intensity exaggerates a profile (see :meth:`intensified`).
STRONG_FACTOR = 1.5
#: AESDD has no intensity levels; its acting is somewhat more marked than RAVDESS "normal".
AESDD_FACTOR = 1.2
#: Which profile renders each AESDD emotion.
AESDD_PROFILE_NAMES = {
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fearful",
    "happiness": "happy",
    "sadness": "sad",
}
#: Speaker genders of the *demo* AESDD (the real names do not encode gender; 3 female, 3 male).
AESDD_SPEAKER_GENDERS = {1: "female", 2: "male", 3: "female", 4: "male", 5: "female", 6: "male"}


@dataclass(frozen=True)
class SpeakerProfile:
    """Voice of one speaker.

    Args:
        gender: ``"male"`` or ``"female"``.
        f0_base_hz: f0 of neutral speech, in Hz.
        formant_scale: factor on all formant frequencies (shorter vocal tract: larger).
        loudness_db: level offset, in dB.
        tilt_db: offset of the source spectral slope, in dB per octave.
        breathiness: offset of the aspiration-noise ratio.
        rate_scale: factor on the tempo.
        noise_db: background-noise level of the speaker's recording session, in dBFS RMS.
    """

    gender: str
    f0_base_hz: float
    formant_scale: float
    loudness_db: float
    tilt_db: float
    breathiness: float
    rate_scale: float
    noise_db: float


def draw_speaker(gender: str, rng: np.random.Generator) -> SpeakerProfile:
    """Draw a random speaker of ``gender`` (``"male"``: f0 100-140 Hz, ``"female"``: 180-240 Hz)."""
    if gender not in ("male", "female"):
        raise ValueError(f"gender must be 'male' or 'female', not {gender!r}")
    male = gender == "male"
    return SpeakerProfile(
        gender=gender,
        f0_base_hz=float(rng.uniform(100, 140) if male else rng.uniform(180, 240)),
        formant_scale=float(rng.uniform(0.93, 1.03) if male else rng.uniform(1.08, 1.18)),
        loudness_db=float(rng.uniform(-3, 3)),
        tilt_db=float(rng.uniform(-1.5, 1.5)),
        breathiness=float(rng.uniform(-0.04, 0.06)),
        rate_scale=float(rng.uniform(0.9, 1.1)),
        noise_db=float(rng.uniform(-66, -58)),
    )


@dataclass(frozen=True)
class Timing:
    """Duration rules of one corpus.

    Args:
        voiced_s: (min, max) duration of the voiced part, in seconds.
        pad_s: (min, max) duration of the background noise before and after it, in seconds.
        min_total_s: minimum file duration, in seconds (reached by lengthening the trailing pad).
    """

    voiced_s: tuple[float, float]
    pad_s: tuple[float, float]
    min_total_s: float


#: RAVDESS files last 2.5-3.5 s, with at least 0.3 s of background noise around the speech.
RAVDESS_TIMING = Timing(voiced_s=(1.2, 2.4), pad_s=(0.3, 0.55), min_total_s=2.5)
#: AESDD files last 1.5-4.5 s, tightly cut.
AESDD_TIMING = Timing(voiced_s=(1.3, 4.1), pad_s=(0.1, 0.2), min_total_s=1.5)

#: Formant frequencies (F1, F2, F3) in Hz of an adult male voice.
VOWEL_FORMANTS: dict[str, tuple[float, float, float]] = {
    "i": (270.0, 2290.0, 3010.0),
    "e": (530.0, 1840.0, 2480.0),
    "a": (730.0, 1090.0, 2440.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (300.0, 870.0, 2240.0),
    "@": (500.0, 1500.0, 2500.0),
}
_FORMANT_BANDWIDTHS_HZ = (80.0, 110.0, 160.0)
#: Vowels of the two RAVDESS statements ("Kids are talking by the door",
#: "Dogs are sitting by the door"), one per syllable.
RAVDESS_STATEMENT_VOWELS = {1: "iaoia@o", 2: "oaiia@o"}
_REFERENCE_LEVEL_DBFS = -26.0
_MAX_PEAK = 0.95


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


def _formant_filter(vowel: str, scale: float, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of three cascaded two-pole resonators for ``vowel``."""
    den = np.ones(1)
    for freq, bw in zip(VOWEL_FORMANTS[vowel], _FORMANT_BANDWIDTHS_HZ, strict=True):
        freq = min(freq * scale, 0.45 * sample_rate)
        r = np.exp(-np.pi * bw / sample_rate)
        den = np.convolve(den, [1.0, -2.0 * r * np.cos(2 * np.pi * freq / sample_rate), r * r])
    return np.array([1.0]), den


def _harmonic_source(f0: np.ndarray, tilt_db: float, sample_rate: int) -> np.ndarray:
    """Band-limited sum of harmonics of the time-varying ``f0`` (Hz per sample), with amplitudes
    falling by ``tilt_db`` per octave; sin(k*phase) by the Chebyshev recurrence."""
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    guard = 0.45 * sample_rate  # no harmonic above this frequency (anti-aliasing)
    n_safe, n_all = int(guard // f0.max()), int(guard // f0.min())
    two_cos = 2 * np.cos(phase)
    previous, current = np.zeros_like(phase), np.sin(phase)
    out, tmp = np.zeros_like(phase), np.empty_like(phase)
    exponent = tilt_db / (20 * np.log10(2))
    for k in range(1, n_all + 1):
        np.multiply(current, k**exponent, out=tmp)
        if k > n_safe:  # this harmonic crosses the guard somewhere: mute it there
            tmp *= k * f0 < guard
        out += tmp
        np.multiply(two_cos, current, out=tmp)
        np.subtract(tmp, previous, out=previous)
        previous, current = current, previous
    return out


def _syllable_envelope(n: int, sample_rate: int) -> np.ndarray:
    """Raised-cosine attack (25 ms) and release (40 ms) around a slowly decaying nucleus."""
    env = np.linspace(1.0, 0.7, n)
    attack, release = min(int(0.025 * sample_rate), n // 3), min(int(0.04 * sample_rate), n // 3)
    env[:attack] *= 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, attack))
    env[n - release :] *= 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, release))
    return env


def synthesize_utterance(
    emotion: EmotionProfile,
    speaker: SpeakerProfile,
    rng: np.random.Generator,
    sample_rate: int = 16000,
    *,
    vowels: Sequence[str] = RAVDESS_STATEMENT_VOWELS[1],
    timing: Timing = RAVDESS_TIMING,
) -> np.ndarray:
    """Synthesize one speech-like utterance, one syllable per vowel.

    Args:
        emotion: prosody and voice quality (apply :meth:`EmotionProfile.perturbed` first for
            per-recording variation).
        speaker: the voice.
        rng: source of all randomness (same state: same samples).
        sample_rate: in Hz.
        vowels: one vowel (key of :data:`VOWEL_FORMANTS`) per syllable; the voiced duration is
            ``len(vowels)`` over the tempo, clipped to ``timing.voiced_s``.
        timing: duration rules of the corpus.

    Returns:
        Mono float64 signal in [-1, 1]: background noise, speech, background noise.
    """
    sr = sample_rate
    n_syl = len(vowels)
    rate = emotion.syllable_rate * speaker.rate_scale
    voiced_s = float(np.clip(n_syl / rate, *timing.voiced_s))
    n = int(round(voiced_s * sr))
    t = np.arange(n) / sr

    # Syllable boundaries (samples) with uneven syllable lengths.
    weights = rng.uniform(0.7, 1.3, n_syl)
    bounds = np.round(np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum() * n).astype(int)
    centers = (bounds[:-1] + bounds[1:]) / 2 / sr

    # f0 contour in semitones relative to the speaker's base f0.
    accents = np.clip(rng.normal(0.0, 1.0, n_syl), -2.0, 2.0)
    semitones = (
        emotion.f0_shift_st
        + emotion.f0_slope_st * (t / voiced_s - 0.5)
        + emotion.f0_accent_st * np.interp(t, centers, accents)
        + emotion.f0_tremor_st * np.sin(2 * np.pi * 6.0 * t + rng.uniform(0, 2 * np.pi))
    )
    control = np.arange(int(voiced_s * 100) + 2) / 100  # 100 Hz jitter control rate
    wobble = np.interp(t, control, rng.normal(0.0, 1.0, control.size))
    f0 = speaker.f0_base_hz * 2 ** (semitones / 12) * (1 + emotion.jitter * wobble)

    source = _harmonic_source(f0, emotion.tilt_db + speaker.tilt_db, sr)
    source /= _rms(source)
    breath = max(emotion.breathiness + speaker.breathiness, 0.0)
    source += breath * rng.normal(0.0, 1.0, n)

    voiced = np.zeros(n)
    for i, vowel in enumerate(vowels):
        start, stop = bounds[i], bounds[i + 1]
        b, a = _formant_filter(vowel, speaker.formant_scale * rng.uniform(0.95, 1.05), sr)
        syllable = lfilter(b, a, source[start:stop] * _syllable_envelope(stop - start, sr))
        stress = 0.75 + 0.12 * accents[i]  # accented syllables are louder
        voiced[start:stop] = syllable * (stress / max(_rms(syllable), 1e-12))
        if rng.random() < 0.7:  # consonant onset: short burst of high-passed noise
            burst = min(int(rng.uniform(0.03, 0.07) * sr), stop - start)
            noise = np.diff(rng.normal(0.0, 1.0, burst + 1)) * np.linspace(1.0, 0.0, burst)
            voiced[start : start + burst] += 0.25 * stress * noise
    level_db = _REFERENCE_LEVEL_DBFS + emotion.loudness_db + speaker.loudness_db
    voiced *= 10 ** (level_db / 20) / _rms(voiced)

    # Background noise (slightly low-pass, never digital silence) around and under the speech.
    lead = int(rng.uniform(*timing.pad_s) * sr)
    trail = int(rng.uniform(*timing.pad_s) * sr)
    trail = max(trail, int(np.ceil(timing.min_total_s * sr)) - lead - n)
    background = lfilter([1.0], [1.0, -0.8], rng.normal(0.0, 1.0, lead + n + trail))
    out = background * (10 ** (speaker.noise_db / 20) / _rms(background))
    out[lead : lead + n] += voiced
    peak = np.abs(out).max()
    return out * (_MAX_PEAK / peak) if peak > _MAX_PEAK else out


# --------------------------------------------------------------------------- corpus layouts

#: AESDD demo utterances are 01-04; the broken files use utterance 05 so that no name collides.
AESDD_UTTERANCES = 4
#: (folder, utterance, speaker) recorded twice, as takes "a" and "b" (as in the real corpus).
_AESDD_RETAKE = ("sadness", 1, 5)
#: (folder, utterance, speaker) whose speaker number is written zero-padded, "(01)".
_AESDD_ZERO_PADDED = ("happiness", 2, 1)
#: Broken files of the real AESDD download: an empty file and a header without a data chunk.
AESDD_EMPTY_FILE = "sadness/s05 (3).wav"
AESDD_HEADER_ONLY_FILE = "fear/f05 (2).wav"
_GREEK_VOWELS = "aeiou"


@dataclass(frozen=True)
class _Job:
    """One file to synthesize: its path relative to the demo root and how it sounds."""

    relpath: str
    emotion: EmotionProfile
    speaker: SpeakerProfile
    vowels: str
    timing: Timing


def _rng(seed: int, key: str) -> np.random.Generator:
    """Generator seeded from ``seed`` and a stable hash of ``key`` (not Python's ``hash``)."""
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def ravdess_filename(
    emotion: int, intensity: int, statement: int, repetition: int, actor: int
) -> str:
    """RAVDESS name ``03-01-EE-II-SS-RR-AA.wav`` of an audio-only (03) speech (01) recording."""
    return f"03-01-{emotion:02d}-{intensity:02d}-{statement:02d}-{repetition:02d}-{actor:02d}.wav"


def aesdd_filename(
    letter: str, utterance: int, speaker: int, take: str = "", speaker_digits: int = 1
) -> str:
    """AESDD name ``<e><utt> (<speaker>)<take>.wav``, e.g. ``a01 (1).wav`` or ``s01 (5)b.wav``."""
    return f"{letter}{utterance:02d} ({speaker:0{speaker_digits}d}){take}.wav"


def _ravdess_jobs(seed: int, statements: int, repetitions: int) -> list[_Job]:
    speakers = {}
    for actor in range(1, 25):  # odd actors are male, even actors female
        gender = "male" if actor % 2 else "female"
        speakers[actor] = draw_speaker(gender, _rng(seed, f"ravdess/Actor_{actor:02d}"))
    jobs = []
    for actor, code, intensity, statement, repetition in product(
        speakers, RAVDESS_EMOTIONS, (1, 2), range(1, statements + 1), range(1, repetitions + 1)
    ):
        name = RAVDESS_EMOTIONS[code]
        if name == "neutral" and intensity == 2:  # RAVDESS has no strong neutral
            continue
        profile = EMOTION_PROFILES[name].intensified(STRONG_FACTOR if intensity == 2 else 1.0)
        fname = ravdess_filename(int(code), intensity, statement, repetition, actor)
        relpath = f"ravdess/Actor_{actor:02d}/{fname}"
        vowels = RAVDESS_STATEMENT_VOWELS[statement]
        jobs.append(_Job(relpath, profile, speakers[actor], vowels, RAVDESS_TIMING))
    return jobs


def _aesdd_jobs(seed: int) -> list[_Job]:
    speakers = {
        number: draw_speaker(gender, _rng(seed, f"aesdd/speaker {number}"))
        for number, gender in AESDD_SPEAKER_GENDERS.items()
    }
    texts = {}  # the same utterance number is the same sentence for every speaker and emotion
    for utterance in range(1, AESDD_UTTERANCES + 1):
        text_rng = _rng(seed, f"aesdd/utterance {utterance:02d}")
        texts[utterance] = "".join(text_rng.choice(list(_GREEK_VOWELS), text_rng.integers(6, 16)))
    jobs = []
    for letter, folder in AESDD_EMOTIONS.items():
        profile = EMOTION_PROFILES[AESDD_PROFILE_NAMES[folder]].intensified(AESDD_FACTOR)
        for utterance in range(1, AESDD_UTTERANCES + 1):
            for number, speaker in speakers.items():
                key = (folder, utterance, number)
                takes = ("a", "b") if key == _AESDD_RETAKE else ("",)
                digits = 2 if key == _AESDD_ZERO_PADDED else 1
                for take in takes:
                    fname = aesdd_filename(letter, utterance, number, take, digits)
                    relpath = f"aesdd/{folder}/{fname}"
                    jobs.append(_Job(relpath, profile, speaker, texts[utterance], AESDD_TIMING))
    return jobs


def _render(job: _Job, root: Path, seed: int, sample_rate: int) -> None:
    """Synthesize ``job`` and write it as 16-bit PCM mono WAV."""
    rng = _rng(seed, job.relpath)
    signal = synthesize_utterance(
        job.emotion.perturbed(rng),
        job.speaker,
        rng,
        sample_rate,
        vowels=job.vowels,
        timing=job.timing,
    )
    path = root / job.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = np.round(np.clip(signal, -1.0, 1.0) * 32767).astype(np.int16)
    sf.write(path, pcm, sample_rate, subtype="PCM_16")


def _write_header_only_wav(path: Path, sample_rate: int) -> None:
    """Write a RIFF/WAVE header with a 16-bit mono PCM ``fmt`` chunk and no ``data`` chunk."""
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, 2 * sample_rate, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def _read_marker(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_marker(path: Path, content: dict) -> None:
    path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _count_files(folders: Sequence[Path]) -> int:
    return sum(1 for folder in folders for p in folder.rglob("*") if p.is_file())


def make_demo_corpus(
    root: Path | str,
    *,
    seed: int = 0,
    sample_rate: int = 16000,
    overwrite: bool = False,
    include_broken: bool = True,
    progress: bool = True,
    ravdess_statements: int = 2,
    ravdess_repetitions: int = 1,
) -> dict[str, Path]:
    """Generate the synthetic demo corpus: ``root/ravdess`` and ``root/aesdd``.

    RAVDESS: 24 actors (odd: male, even: female) x 8 emotions x 2 intensities (none strong for
    neutral) x ``ravdess_statements`` x ``ravdess_repetitions``, 2.5-3.5 s each. AESDD: 6
    speakers (3 female, 3 male) x 5 emotions x utterances 01-04, 1.5-4.5 s each, with one
    re-recorded take (``sadness/s01 (5)a.wav`` and ``...b.wav``), one zero-padded speaker
    (``happiness/h02 (01).wav``) and, with ``include_broken``, an empty file
    (:data:`AESDD_EMPTY_FILE`) and a header-only WAV (:data:`AESDD_HEADER_ONLY_FILE`).

    A marker file ``root/.serlib-demo.json`` records the generator version and the arguments.
    When it matches and the file count agrees, nothing is done (fast). Otherwise the two
    folders are deleted and regenerated; to protect real data, folders without a marker are
    only replaced with ``overwrite=True``.

    Args:
        root: folder to hold ``ravdess/`` and ``aesdd/`` (e.g. :func:`serlib.paths.demo_root`).
        seed: seed of all randomness; the same arguments give byte-identical files.
        sample_rate: in Hz.
        overwrite: regenerate even if the marker matches, and replace folders without a marker.
        include_broken: also write the two broken AESDD files.
        progress: show a tqdm progress bar.
        ravdess_statements: statements per actor, emotion and intensity (1 or 2).
        ravdess_repetitions: repetitions per statement (1 or 2).

    Returns:
        ``{"ravdess": root/"ravdess", "aesdd": root/"aesdd"}``.

    Used in: notebooks/01_eda.ipynb and the other notebooks in demo mode.
    """
    if ravdess_statements not in (1, 2) or ravdess_repetitions not in (1, 2):
        raise ValueError("ravdess_statements and ravdess_repetitions must be 1 or 2")
    root = Path(root).expanduser()
    folders = {"ravdess": root / "ravdess", "aesdd": root / "aesdd"}
    marker = root / MARKER_NAME
    settings = {
        "generator": "serlib.data.demo",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "sample_rate": sample_rate,
        "include_broken": include_broken,
        "ravdess_statements": ravdess_statements,
        "ravdess_repetitions": ravdess_repetitions,
    }
    previous = _read_marker(marker)
    if (
        not overwrite
        and previous is not None
        and previous.get("settings") == settings
        and previous.get("complete")
        and previous.get("files") == _count_files(list(folders.values()))
    ):
        return folders
    if previous is None and not overwrite:
        occupied = [str(p) for p in folders.values() if p.is_dir() and any(p.iterdir())]
        if occupied:
            raise FileExistsError(
                f"{', '.join(occupied)} exist(s) but {marker} does not: not a demo corpus? "
                "Pass overwrite=True to replace it."
            )

    for folder in folders.values():
        if folder.exists():
            shutil.rmtree(folder)
    root.mkdir(parents=True, exist_ok=True)
    _write_marker(marker, {"settings": settings, "complete": False})
    jobs = _ravdess_jobs(seed, ravdess_statements, ravdess_repetitions) + _aesdd_jobs(seed)
    for job in tqdm(jobs, desc="demo corpus", unit="file", disable=not progress):
        _render(job, root, seed, sample_rate)
    if include_broken:
        (root / "aesdd" / AESDD_EMPTY_FILE).write_bytes(b"")
        _write_header_only_wav(root / "aesdd" / AESDD_HEADER_ONLY_FILE, sample_rate)
    files = _count_files(list(folders.values()))
    _write_marker(marker, {"settings": settings, "complete": True, "files": files})
    return folders
