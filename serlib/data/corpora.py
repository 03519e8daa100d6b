"""Corpus tables: one row per recording, parsed from file names, with unreadable files reported.

Four sources are understood:

* **RAVDESS** (``Actor_NN/MM-VV-EE-II-SS-RR-AA.wav``, Zenodo record 1188976),
* **AESDD** (``<emotion>/<e><utt> (<speaker>)<take>.wav``),
* **EMO-DB** (``wav/SSTTTEV.wav``, the Berlin Database of Emotional Speech),
* any other corpus through a **CSV manifest** with columns ``path,emotion,speaker`` (more columns
  are kept; paths are relative to the manifest). Its labels are normalised to
  :data:`EMOTION_VOCABULARY` by :func:`normalize_emotion` (case, spaces, common synonyms); a
  recording whose label matches nothing is skipped with the label in its reason.

Every table ends with an ``id`` column: the recording's path relative to the corpus root in its
distributed layout, without extension, with ``/`` separators (``Actor_01/03-01-01-01-01-01-01``,
``anger/a01 (1)``, ``wav/03a01Fa``); for RAVDESS, AESDD and EMO-DB it is built from the parsed
name, so the original WAVs, the 16 kHz FLAC copies and a nested folder give the same ids; for a
manifest it is the listed path relative to the manifest's folder. The committed fold lists of
:mod:`serlib.protocols` name recordings by it.

Bad input never crashes a load and is never dropped silently: every file that cannot be used
(unknown name, unknown emotion code, empty, no data chunk, truncated, not audio) lands in
:attr:`Corpus.skipped` with its reason.
"""

from __future__ import annotations

import posixpath
import re
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import soundfile as sf

from serlib import paths

RAVDESS_EMOTIONS: dict[str, str] = {
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fearful",
    "07": "disgust",
    "08": "surprised",
}
#: The canonical emotion names: those the RAVDESS and EMO-DB tables use (RAVDESS's order,
#: EMO-DB's boredom last). Manifest labels are normalised to them (:func:`normalize_emotion`);
#: the AESDD table keeps its folder names (anger, happiness, ...), which map to them too.
EMOTION_VOCABULARY: tuple[str, ...] = ("neutral", "calm", "happy", "sad", "angry", "fearful",
                                       "disgust", "surprised", "boredom")

#: Other spellings accepted for each canonical emotion (after case folding and collapsing spaces,
#: ``_`` and ``-``): nouns and adjectives, the 3-letter codes of IEMOCAP and CREMA-D, and
#: EMO-DB's German names. One-letter codes are left out: they are ambiguous (s: sad or surprise).
EMOTION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "neutral": ("neu", "neutrality", "neutre"),
    "calm": ("calmness",),
    "happy": ("happiness", "joy", "joyful", "hap", "freude"),
    "sad": ("sadness", "sorrow", "trauer"),
    "angry": ("anger", "ang", "ärger", "aerger", "wut"),
    "fearful": ("fear", "scared", "afraid", "fea", "angst"),
    "disgust": ("disgusted", "dis", "ekel"),
    "surprised": ("surprise", "sur", "pleasant surprise"),
    "boredom": ("bored", "langeweile"),
}


def _label_key(label: str) -> str:
    """``label`` case-folded (Unicode NFC), with runs of spaces, ``_`` and ``-`` made one space
    and the ends stripped."""
    text = unicodedata.normalize("NFC", str(label)).casefold()
    return " ".join(re.split(r"[\s_\-]+", text)).strip()


_EMOTION_LOOKUP: dict[str, str] = {
    key: canonical
    for canonical in EMOTION_VOCABULARY
    for spelling in (canonical, *EMOTION_SYNONYMS.get(canonical, ()))
    for key in (_label_key(spelling), _label_key(spelling).replace(" ", ""))
}


def normalize_emotion(label: str) -> str | None:
    """The canonical name (:data:`EMOTION_VOCABULARY`) of an emotion label, or ``None`` when it
    matches none: case, surrounding and inner spaces (``" Pleasant  surprise"``), ``_``/``-``
    and the synonyms of :data:`EMOTION_SYNONYMS` are ignored (``"ANGRY "`` and ``"anger"`` give
    ``"angry"``, ``"Joy"`` gives ``"happy"``, ``"xyzzy"`` gives ``None``)."""
    key = _label_key(label)
    return _EMOTION_LOOKUP.get(key) or _EMOTION_LOOKUP.get(key.replace(" ", ""))


RAVDESS_MODALITY = {"01": "full-AV", "02": "video-only", "03": "audio-only"}
RAVDESS_CHANNEL = {"01": "speech", "02": "song"}
RAVDESS_INTENSITY = {"01": "normal", "02": "strong"}
RAVDESS_STATEMENT = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}

AESDD_EMOTIONS: dict[str, str] = {
    "a": "anger",
    "d": "disgust",
    "f": "fear",
    "h": "happiness",
    "s": "sadness",
}

#: EMO-DB's German emotion initials, in the RAVDESS vocabulary (boredom has no RAVDESS
#: counterpart). Categories are ordered as RAVDESS orders them, boredom last.
EMODB_EMOTIONS: dict[str, str] = {
    "N": "neutral",
    "F": "happy",
    "T": "sad",
    "W": "angry",
    "A": "fearful",
    "E": "disgust",
    "L": "boredom",
}
EMODB_MALE_SPEAKERS: frozenset[str] = frozenset({"03", "10", "11", "12", "15"})
EMODB_SPEAKERS: tuple[str, ...] = ("03", "08", "09", "10", "11", "12", "13", "14", "15", "16")

#: File extensions that libsndfile reads (lower case, with the dot).
AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    "." + ext.lower() for ext in sf.available_formats()
) | {".wav", ".flac", ".ogg", ".aiff", ".aif"}

_RAVDESS_NAME = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
_AESDD_NAME = re.compile(r"^([a-z])(\d{1,2}) ?\((\d{1,2})\)([ab]?)$")
_EMODB_NAME = re.compile(r"^(\d{2})([ab]\d{2})([A-Z])([a-z])$")

HOW_TO_GET = {
    "ravdess": (
        "Download it with `python -m serlib download ravdess` (Zenodo record 1188976, "
        "Audio_Speech_Actors_01-24.zip, CC BY-NC-SA 4.0), or unpack that zip by hand so that "
        "the folder holds Actor_01 ... Actor_24."
    ),
    "aesdd": (
        "AESDD is distributed on request by its authors: run `python -m serlib download aesdd` "
        "for instructions, and put the five emotion folders (anger, disgust, fear, happiness, "
        "sadness) in this folder."
    ),
    "emodb": (
        "EMO-DB (Burkhardt et al., 2005) is free for research: download it from its authors' "
        "site and put its wav/ folder (SSTTTEV.wav files) in this folder."
    ),
}

SKIPPED_COLUMNS = ["path", "reason"]


class CorpusNotFoundError(FileNotFoundError):
    """Raised when a corpus folder does not exist; the message says where and how to get it."""


@dataclass
class Corpus:
    """A loaded corpus: ``table`` has one row per usable recording, ``skipped`` one row per
    file that could not be used, with the reason.

    Columns of ``table`` always include ``path`` (absolute), ``file`` (name), ``corpus``,
    ``emotion``, ``speaker`` (string), ``gender`` (``male``/``female`` or ``unknown``),
    ``duration`` (seconds), ``sample_rate`` (Hz), ``channels`` and ``format``; then every field
    that the corpus encodes in its names (a manifest's extra columns, and ``emotion_label``: its
    label as written); last the recording ``id``. ``kind`` is the loader that made it
    (``ravdess``, ``aesdd``, ``emodb`` or ``manifest``; default: ``name``). A manifest's
    ``skipped`` also has a ``label`` column: the unknown label (normalised key) of a recording
    skipped for it, else empty.
    """

    name: str
    root: Path
    table: pd.DataFrame
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))
    kind: str = ""

    def __post_init__(self) -> None:
        self.kind = self.kind or self.name

    def __len__(self) -> int:
        return len(self.table)

    @property
    def emotions(self) -> list[str]:
        """Emotion labels in the corpus's canonical order (code order for RAVDESS/AESDD)."""
        return list(self.table["emotion"].cat.categories)

    def summary(self) -> str:
        """One line: recordings, speakers, emotions and skipped files."""
        return (
            f"{self.name}: {len(self.table)} recordings, {self.table['speaker'].nunique()} "
            f"speakers, {self.table['emotion'].nunique()} emotions, {len(self.skipped)} skipped"
        )

    def __repr__(self) -> str:
        return f"<Corpus {self.summary()} at {self.root}>"


def require_folder(root: Path, corpus: str) -> Path:
    """Return ``root`` resolved, or raise :class:`CorpusNotFoundError` saying where we looked
    and how to get the data."""
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        how = HOW_TO_GET.get(corpus, "Point the loader at the folder that holds the corpus.")
        raise CorpusNotFoundError(
            f"No {corpus} corpus at {root} (data root: ${paths.DATA_ENV} or <project>/data). "
            f"{how}"
        )
    return root


def list_audio_files(root: Path) -> list[Path]:
    """All files below ``root`` whose extension libsndfile reads, sorted by relative path."""
    return sorted(
        (p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS),
        key=lambda p: p.relative_to(root).as_posix(),
    )


def probe_audio(path: Path) -> dict:
    """Read an audio file's header and check that it holds samples.

    Returns ``duration`` (s), ``sample_rate`` (Hz), ``channels``, ``frames`` and ``format``.
    Raises ``ValueError`` with a readable reason for empty, header-only, truncated or
    non-audio files.
    """
    size = path.stat().st_size
    if size == 0:
        raise ValueError("empty file (0 bytes)")
    try:
        info = sf.info(str(path))
    except Exception as err:  # libsndfile's errors are RuntimeError/LibsndfileError
        raise ValueError(f"not readable as audio: {_short(err)}") from err
    if info.frames <= 0 or info.samplerate <= 0:
        raise ValueError("no audio samples (header without data)")
    if info.format == "WAV":
        # libsndfile quietly shortens a cut-off WAV; compare the data chunk's declared size
        # with the bytes really there.
        declared, present = _wav_data_sizes(path)
        if declared is not None and declared > present:
            raise ValueError(f"truncated file (data chunk declares {declared} bytes, "
                             f"{present} present)")
    return {
        "duration": info.frames / info.samplerate,
        "sample_rate": info.samplerate,
        "channels": info.channels,
        "frames": info.frames,
        "format": info.format,
    }


def _wav_data_sizes(path: Path) -> tuple[int | None, int]:
    """(declared, present) byte counts of a RIFF WAV's data chunk; declared is ``None`` when
    the chunk is not found or its size is the streaming placeholder 0xFFFFFFFF."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if handle.read(12)[:4] != b"RIFF":
            return None, 0
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                declared = None if chunk_size == 0xFFFFFFFF else chunk_size
                return declared, size - offset - 8
            offset += 8 + chunk_size + (chunk_size & 1)
    return None, 0


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
    return text.split(": ", 1)[-1] if "Error opening" in text else text


def parse_ravdess_name(stem: str) -> dict:
    """Parse a RAVDESS file stem ``MM-VV-EE-II-SS-RR-AA`` into its seven fields.

    Returns a dict with ``modality``, ``channel``, ``emotion``, ``emotion_code``,
    ``intensity``, ``statement``, ``repetition``, ``actor`` (int), ``speaker`` (``"01"``..)
    and ``gender`` (odd actor = male). Raises ``ValueError`` with the reason if the stem is not
    a RAVDESS name or a field holds an unknown code.
    """
    match = _RAVDESS_NAME.match(stem)
    if not match:
        raise ValueError("file name is not a RAVDESS name (MM-VV-EE-II-SS-RR-AA)")
    mod, chan, emo, inten, stmt, rep, actor = match.groups()
    checks = [
        (mod, RAVDESS_MODALITY, "modality"),
        (chan, RAVDESS_CHANNEL, "vocal channel"),
        (emo, RAVDESS_EMOTIONS, "emotion"),
        (inten, RAVDESS_INTENSITY, "intensity"),
        (stmt, RAVDESS_STATEMENT, "statement"),
    ]
    for code, table, what in checks:
        if code not in table:
            raise ValueError(f"unknown {what} code {code!r} (known: {', '.join(table)})")
    if rep not in ("01", "02"):
        raise ValueError(f"unknown repetition code {rep!r} (known: 01, 02)")
    if not 1 <= int(actor) <= 24:
        raise ValueError(f"unknown actor {actor!r} (known: 01-24)")
    return {
        "emotion": RAVDESS_EMOTIONS[emo],
        "emotion_code": emo,
        "speaker": actor,
        "actor": int(actor),
        "gender": "male" if int(actor) % 2 else "female",
        "modality": RAVDESS_MODALITY[mod],
        "channel": RAVDESS_CHANNEL[chan],
        "intensity": RAVDESS_INTENSITY[inten],
        "statement": int(stmt),
        "repetition": int(rep),
    }


def parse_aesdd_name(stem: str) -> dict:
    """Parse an AESDD file stem ``<e><utt> (<speaker>)<take>``, e.g. ``a01 (1)``, ``s01 (5)a``.

    Returns ``emotion``, ``emotion_code`` (letter), ``utterance`` (int), ``speaker``
    (``"01"``..``"06"``, written ``(1)`` or ``(01)`` in names), ``take`` (``""`` for the only
    take, ``"a"``/``"b"`` for re-recordings) and ``utterance_id`` (emotion + utterance +
    speaker: the takes of one utterance share it). Raises ``ValueError`` with the reason.
    """
    match = _AESDD_NAME.match(stem)
    if not match:
        raise ValueError("file name is not an AESDD name (<e><utt> (<speaker>)<take>)")
    letter, utt, spk, take = match.groups()
    if letter not in AESDD_EMOTIONS:
        raise ValueError(f"unknown emotion code {letter!r} (known: {', '.join(AESDD_EMOTIONS)})")
    speaker = f"{int(spk):02d}"
    return {
        "emotion": AESDD_EMOTIONS[letter],
        "emotion_code": letter,
        "speaker": speaker,
        "utterance": int(utt),
        "take": take,
        "utterance_id": f"{letter}{int(utt):02d}_{speaker}",
    }


def parse_emodb_name(stem: str) -> dict:
    """Parse an EMO-DB file stem ``SSTTTEV``, e.g. ``03a01Fa``: speaker ``SS``, text ``TTT``,
    emotion ``E`` (German initial), version ``V``.

    Returns ``emotion`` (RAVDESS vocabulary plus ``boredom``), ``emotion_code`` (the letter),
    ``speaker`` (``"03"``..``"16"``), ``text`` (``"a01"``..``"b10"``), ``version`` (letter) and
    ``gender`` (male speakers 03, 10, 11, 12, 15). Raises ``ValueError`` with the reason.
    """
    match = _EMODB_NAME.match(stem)
    if not match:
        raise ValueError("file name is not an EMO-DB name (SSTTTEV, e.g. 03a01Fa)")
    speaker, text, letter, version = match.groups()
    if letter not in EMODB_EMOTIONS:
        raise ValueError(f"unknown emotion code {letter!r} (known: {', '.join(EMODB_EMOTIONS)})")
    if speaker not in EMODB_SPEAKERS:
        raise ValueError(f"unknown speaker {speaker!r} (known: {', '.join(EMODB_SPEAKERS)})")
    return {
        "emotion": EMODB_EMOTIONS[letter],
        "emotion_code": letter,
        "speaker": speaker,
        "gender": "male" if speaker in EMODB_MALE_SPEAKERS else "female",
        "text": text,
        "version": version,
    }


def id_from_path(relative: Path | str) -> str:
    """The ``id`` of a recording from its path relative to the corpus root: no extension,
    POSIX separators (``Actor_01\\x.flac`` and ``Actor_01/x.wav`` both give ``Actor_01/x``)."""
    parts = str(relative).replace("\\", "/").strip("/").split("/")
    stem = parts[-1].rsplit(".", 1)[0] if "." in parts[-1] else parts[-1]
    return "/".join([*parts[:-1], stem])


def _add_ids(corpus: Corpus, make_id: Callable[[pd.Series], str]) -> Corpus:
    """Append the ``id`` column (last) to ``corpus.table``: ``make_id(row)``, the recording's
    path in the corpus's distributed layout (so a nested or renamed folder gives the same id)."""
    table = corpus.table
    ids = [make_id(row) for _, row in table.iterrows()]
    table["id"] = pd.Series(ids, index=table.index, dtype=table["path"].dtype)
    return corpus


def _build(
    name: str,
    root: Path,
    rows: list[dict],
    skipped: list[dict],
    emotion_order: list[str],
    probe: bool,
) -> Corpus:
    good = []
    for row in rows:
        if probe:
            try:
                row.update(probe_audio(Path(row["path"])))
            except (ValueError, OSError) as err:
                skipped.append({"path": row["path"], "reason": str(err)})
                continue
        good.append(row)
    table = pd.DataFrame(good)
    if table.empty:
        table = pd.DataFrame(columns=["path", "file", "corpus", "emotion", "speaker", "gender"])
    table["corpus"] = name
    if "gender" not in table:
        table["gender"] = "unknown"
    table["gender"] = table["gender"].fillna("unknown")
    table["emotion"] = pd.Categorical(table["emotion"], categories=emotion_order)
    first = ["path", "file", "corpus", "emotion", "speaker", "gender"]
    table = table[first + [c for c in table.columns if c not in first]]
    table = table.sort_values("path", kind="stable").reset_index(drop=True)
    skipped_df = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    return Corpus(name=name, root=root, table=table, skipped=skipped_df)


def load_ravdess(root: Path | str | None = None, *, probe: bool = True) -> Corpus:
    """Load RAVDESS from ``root`` (default ``<data root>/ravdess``), original Zenodo layout
    ``Actor_NN/*.wav`` or any audio format libsndfile reads.

    Args:
        root: folder holding ``Actor_01`` .. ``Actor_24`` (or the files directly).
        probe: read every header (duration, sample rate, channels) and skip unreadable files.

    Used in: notebooks/01_eda.ipynb and every later notebook.
    """
    root = require_folder(Path(root) if root else paths.data_root() / "ravdess", "ravdess")
    rows, skipped = [], []
    for path in list_audio_files(root):
        try:
            fields = parse_ravdess_name(path.stem)
        except ValueError as err:
            skipped.append({"path": str(path), "reason": str(err)})
            continue
        rows.append({"path": str(path), "file": path.name, **fields})
    corpus = _build("ravdess", root, rows, skipped, list(RAVDESS_EMOTIONS.values()), probe)
    return _add_ids(corpus, lambda row: f"Actor_{row['actor']:02d}/{Path(row['file']).stem}")


def load_aesdd(root: Path | str | None = None, *, probe: bool = True) -> Corpus:
    """Load AESDD from ``root`` (default ``<data root>/aesdd``): one folder per emotion holding
    ``<e><utt> (<speaker>)<take>.wav``.

    A file whose emotion letter disagrees with its folder is skipped with that reason. A
    re-recorded take (suffix ``a``/``b``) is a separate recording of the same utterance: it keeps
    its own row and shares ``utterance_id`` with its sibling.

    Used in: notebooks/01_eda.ipynb, notebooks/05_keras_cnn_aesdd.ipynb.
    """
    root = require_folder(Path(root) if root else paths.data_root() / "aesdd", "aesdd")
    rows, skipped = [], []
    for path in list_audio_files(root):
        try:
            fields = parse_aesdd_name(path.stem)
        except ValueError as err:
            skipped.append({"path": str(path), "reason": str(err)})
            continue
        folder = path.parent.name.lower()
        if folder in AESDD_EMOTIONS.values() and folder != fields["emotion"]:
            reason = f"emotion letter says {fields['emotion']} but the file is in {folder}/"
            skipped.append({"path": str(path), "reason": reason})
            continue
        rows.append({"path": str(path), "file": path.name, "gender": "unknown", **fields})
    corpus = _build("aesdd", root, rows, skipped, list(AESDD_EMOTIONS.values()), probe)
    corpus.table["recording_id"] = corpus.table["file"].str.rsplit(".", n=1).str[0]
    return _add_ids(corpus, lambda row: f"{row['emotion']}/{Path(row['file']).stem}")


def load_emodb(root: Path | str | None = None, *, probe: bool = True) -> Corpus:
    """Load EMO-DB from ``root`` (default ``<data root>/emodb``), distributed layout
    ``wav/SSTTTEV.wav`` (e.g. ``wav/03a01Fa.wav``) or any audio format libsndfile reads.

    Columns beyond the common ones: ``emotion_code`` (German initial), ``text``, ``version``,
    and, where the corpus's listening test ``erkennung.txt`` is there
    (:func:`read_emodb_listening`), ``recognition`` and ``naturalness`` (fractions of 20
    listeners; the human anchor of the EMO-DB chapters). Emotions use the RAVDESS vocabulary
    (``angry``, ``happy``, ...) plus ``boredom``.

    Used in: serlib.protocols (EmoBox's EMO-DB folds, leave-one-speaker-out), chapters 01-04
    run with ``corpus`` ``emodb``.
    """
    root = require_folder(Path(root) if root else paths.data_root() / "emodb", "emodb")
    rows, skipped = [], []
    for path in list_audio_files(root):
        try:
            fields = parse_emodb_name(path.stem)
        except ValueError as err:
            skipped.append({"path": str(path), "reason": str(err)})
            continue
        rows.append({"path": str(path), "file": path.name, **fields})
    corpus = _build("emodb", root, rows, skipped, list(EMODB_EMOTIONS.values()), probe)
    listening = read_emodb_listening(root)
    if listening is not None and len(corpus.table):
        stems = corpus.table["file"].str.rsplit(".", n=1).str[0]
        for column in ("recognition", "naturalness"):
            corpus.table[column] = stems.map(listening[column]).astype(float)
    return _add_ids(corpus, lambda row: f"wav/{Path(row['file']).stem}")


#: EMO-DB's listening-test file: per recording, the share of 20 listeners who recognised the
#: intended emotion (``erkannt``) and who judged it natural (``natuerlich``), in percent.
EMODB_LISTENING_FILE = "erkennung.txt"


def read_emodb_listening(root: Path | str) -> pd.DataFrame | None:
    """EMO-DB's listening test (:data:`EMODB_LISTENING_FILE` in the corpus folder or one level
    above a ``wav/`` folder): one row per recording stem (index, e.g. ``03a01Fa``) with
    ``recognition`` and ``naturalness`` as fractions (0-1; the file's decimal commas and
    percentages converted). ``None`` when the file is not there; ``ValueError`` naming the
    line when a row cannot be read."""
    root = Path(root)
    candidates = [root / EMODB_LISTENING_FILE, root.parent / EMODB_LISTENING_FILE]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        return None
    rows = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("Nr"):
            continue
        try:
            _, name, recognised, natural = fields[:4]
            stem = name.rsplit(".", 1)[0]
            rows[stem] = {"recognition": float(recognised.replace(",", ".")) / 100,
                          "naturalness": float(natural.replace(",", ".")) / 100}
        except ValueError as err:
            raise ValueError(f"{path} line {number}: expected 'Nr. file recognised natural' "
                             f"with decimal commas; got {line.strip()!r}") from err
    return pd.DataFrame.from_dict(rows, orient="index")


def manifest_id(written: str, folder: Path) -> str:
    """The ``id`` of a manifest row: its path relative to the manifest's ``folder`` (an absolute
    path inside it is made relative), normalised (``./``, ``..``), without extension, POSIX
    separators (see :func:`id_from_path`)."""
    text = str(written).strip().replace("\\", "/")
    if Path(text).is_absolute():
        try:
            text = Path(text).resolve().relative_to(folder).as_posix()
        except ValueError:
            pass
    return id_from_path(posixpath.normpath(text))


def unknown_label_reason(label: str) -> str:
    """The ``skipped`` reason of a manifest row whose emotion label matches no canonical name."""
    return (f"unknown emotion label {label!r}: not one of {', '.join(EMOTION_VOCABULARY)} "
            "nor a known synonym")


def load_manifest(manifest: Path | str, *, probe: bool = True, name: str | None = None) -> Corpus:
    """Load any corpus from a CSV manifest with columns ``path,emotion,speaker`` (and any more).

    Paths are relative to the manifest's folder (``\\`` read as ``/``). Labels are normalised by
    :func:`normalize_emotion` (the table's ``emotion``; ``emotion_label`` keeps the label as
    written). Rows with an empty or unknown emotion, a missing or unreadable file, or a file
    listed twice are skipped with the reason (unknown labels also in ``skipped["label"]``).
    Emotion order: :data:`EMOTION_VOCABULARY`'s, for the emotions present. The corpus is named
    after the manifest's folder (``mycorpus`` for ``mycorpus/manifest.csv``) unless ``name``
    says otherwise; ``id``: the listed path without extension (:func:`manifest_id`; a column
    ``id`` of the manifest is kept as ``manifest_id``).

    Used in: python -m serlib audit, and by teachers who bring their own corpus.
    """
    manifest = Path(manifest).expanduser().resolve()
    if not manifest.is_file():
        raise CorpusNotFoundError(f"No manifest at {manifest}: expected a CSV file with "
                                  "columns path,emotion,speaker.")
    frame = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    missing = {"path", "emotion", "speaker"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"Manifest {manifest} lacks column(s) {', '.join(sorted(missing))}; "
            f"it has {', '.join(frame.columns)}. Required: path, emotion, speaker."
        )
    frame = frame.rename(columns={"id": "manifest_id"})
    folder = manifest.parent
    rows, skipped, first_row = [], [], {}
    for line, record in enumerate(frame.to_dict("records"), start=2):  # line 1: the header
        path = (folder / record["path"].strip().replace("\\", "/")).resolve()
        written = record["emotion"]
        emotion = normalize_emotion(written)
        record_id = manifest_id(record["path"], folder)
        if not written.strip():
            skipped.append({"path": str(path), "reason": "empty emotion in manifest"})
        elif emotion is None:
            skipped.append({"path": str(path), "reason": unknown_label_reason(written),
                            "label": _label_key(written)})
        elif not path.is_file():
            skipped.append({"path": str(path), "reason": "file listed in manifest not found"})
        elif record_id in first_row:
            skipped.append({"path": str(path), "reason": f"listed again in manifest (line "
                            f"{line}; first on line {first_row[record_id]})"})
        else:
            first_row[record_id] = line
            rows.append({**record, "path": str(path), "file": path.name, "emotion": emotion,
                         "emotion_label": written, "id": record_id})
    present = {r["emotion"] for r in rows}
    order = [e for e in EMOTION_VOCABULARY if e in present]
    ids = {r["path"]: r.pop("id") for r in rows}
    corpus = _build(name or folder.name or "manifest", folder, rows, skipped, order, probe)
    corpus.kind = "manifest"
    corpus.skipped = pd.DataFrame(skipped, columns=[*SKIPPED_COLUMNS, "label"]).fillna(
        {"label": ""})
    return _add_ids(corpus, lambda row: ids[row["path"]])


LOADERS = {"ravdess": load_ravdess, "aesdd": load_aesdd, "emodb": load_emodb}
PARSERS = {"ravdess": parse_ravdess_name, "aesdd": parse_aesdd_name, "emodb": parse_emodb_name}


def detect_corpus(root: Path | str) -> str:
    """Guess which corpus a folder holds from its file names: ``ravdess``, ``aesdd``,
    ``emodb`` or ``manifest`` (a folder with ``manifest.csv`` or a CSV file). Raises
    ``ValueError`` if no file name is recognised."""
    root = Path(root)
    if root.is_file() and root.suffix.lower() == ".csv":
        return "manifest"
    root = require_folder(root, "audio")
    if (root / "manifest.csv").is_file():
        return "manifest"
    votes = dict.fromkeys(PARSERS, 0)
    for path in list_audio_files(root)[:200]:
        for corpus, parse in PARSERS.items():
            try:
                parse(path.stem)
                votes[corpus] += 1
            except ValueError:
                pass
    best = max(votes, key=votes.get)
    if votes[best] == 0:
        raise ValueError(
            f"No RAVDESS, AESDD or EMO-DB file names under {root}; pass --corpus manifest with a "
            "manifest.csv (path,emotion,speaker) for another corpus."
        )
    return best


def load_corpus(name: str, root: Path | str | None = None, *, probe: bool = True) -> Corpus:
    """Load a corpus by name: ``ravdess``, ``aesdd``, ``emodb`` or ``manifest`` (``root`` = the
    CSV file or a folder with ``manifest.csv``). Raises ``ValueError`` naming the accepted
    values."""
    if name == "manifest":
        if root is None:
            raise ValueError("corpus 'manifest' needs the manifest's path")
        root = Path(root)
        return load_manifest(root / "manifest.csv" if root.is_dir() else root, probe=probe)
    if name not in LOADERS:
        raise ValueError(f"unknown corpus {name!r}; accepted: ravdess, aesdd, manifest, emodb")
    return LOADERS[name](root, probe=probe)


#: Other spellings of the canonical emotions used by :func:`write_manifest`'s example
#: relabelling (case, stray spaces and synonyms that :func:`normalize_emotion` folds back).
EXAMPLE_SPELLINGS: dict[str, str] = {
    "neutral": " Neutral", "happy": "Happiness", "sad": "sadness", "angry": "ANGER ",
    "fearful": "Fear", "disgust": "disgusted", "boredom": "Bored", "calm": "Calmness",
    "surprised": "pleasant_surprise",
}


def write_manifest(corpus: Corpus, folder: Path | str, *,
                   spellings: dict[str, str] | None = None,
                   unknown: dict[str, int] | None = None) -> Path:
    """Write ``corpus`` as a manifest corpus in ``folder``: a symbolic link per recording (at
    its ``id`` plus the file's extension, so the ids stay those of the corpus) and
    ``manifest.csv`` with ``path,emotion,speaker,gender``; the emotion written as
    ``spellings`` says (canonical name -> label; default :data:`EXAMPLE_SPELLINGS`). ``unknown``
    (label -> count) appends that many rows with a label no normaliser knows, pointing at the
    first recordings (``audit`` lists them). Returns the manifest's path.

    Used in: the README's any-corpus example, tests/test_corpus_parameter.py.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    spellings = EXAMPLE_SPELLINGS if spellings is None else spellings
    rows = []
    for row in corpus.table.itertuples():
        source = Path(row.path)
        rel = f"{row.id}{source.suffix}"
        link = folder / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source.resolve())
        rows.append({"path": rel, "emotion": spellings.get(str(row.emotion), str(row.emotion)),
                     "speaker": row.speaker, "gender": row.gender})
    for label, count in (unknown or {}).items():
        rows += [{**rows[i % len(rows)], "emotion": label} for i in range(count)]
    manifest = folder / "manifest.csv"
    frame = pd.DataFrame(rows, columns=["path", "emotion", "speaker", "gender"])
    frame.to_csv(manifest, index=False)
    return manifest
