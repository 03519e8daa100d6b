"""Evaluation protocols as committed data: one registry whose folds name recordings by id.

Every protocol's folds live in ``serlib/protocols/protocol_data/<corpus>/<protocol>.csv`` (columns
``fold,part,id``; ``part`` is ``train``, ``dev`` or ``test``; ``id`` is the corpus table's
``id`` column, see :mod:`serlib.data.corpora`), so that a clone reproduces every split without the
sources they were derived from. ``python -m serlib.protocols build`` rebuilds the files from
those sources (the corpora, EmoBox's published fold lists, the seed's file order) with the
project's existing split functions.

Order is part of the data: within each (fold, part) the ids are in the order of the positional
indices that the existing code returns (:mod:`serlib.protocols.splits` on the table as the notebooks
build it; ``train_test_split`` returns a shuffled order and stored predictions follow it).
:func:`fold_indices` turns a protocol back into those positional indices for any table with an
``id`` column, and asserts the independence that the protocol's ``kind`` declares.

Recordings that a protocol lists but that are unreadable in the corpus's distribution are
recorded in ``protocol_data/<corpus>/known_unreadable.csv``; :func:`fold_indices` drops them
and says so (a warning and :attr:`FoldIndices.dropped`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from serlib import paths
from serlib.protocols import splits

if TYPE_CHECKING:
    from serlib.data.corpora import Corpus

KINDS: tuple[str, ...] = ("speaker-independent", "recording-independent", "none")
PARTS: tuple[str, ...] = ("train", "dev", "test")
#: Table column whose values may not appear on two parts of a fold, per kind.
GROUP_COLUMNS: dict[str, str] = {"speaker-independent": "speaker",
                                 "recording-independent": "recording_id"}
#: Where the committed fold lists are (written by ``build``; read as package data).
DATA_DIR: Path = Path(__file__).resolve().parent / "protocol_data"
UNREADABLE_FILE = "known_unreadable.csv"
CSV_COLUMNS = ("fold", "part", "id")

EMOBOX_CITATION = ("EmoBox (Ma et al., 'EmoBox: Multilingual Multi-corpus Speech Emotion "
                   "Recognition Toolkit and Benchmark', Interspeech 2024; emo-box/EmoBox, MIT)")


class MissingRecordingsError(ValueError):
    """A table lacks recordings that a protocol's folds name (and that are not known to be
    unreadable). ``missing`` holds all of them, sorted; the message names some and the count."""

    def __init__(self, protocol: str, missing: Iterable[str], table_size: int) -> None:
        self.protocol = protocol
        self.missing: tuple[str, ...] = tuple(sorted(set(missing)))
        self.count = len(self.missing)
        shown = ", ".join(repr(m) for m in self.missing[:5])
        more = f" and {self.count - 5} more" if self.count > 5 else ""
        super().__init__(
            f"{self.count} recording(s) named by protocol {protocol} are not in the table "
            f"({table_size} rows): {shown}{more}. Load the full corpus (serlib.data.corpora) or "
            "pick a protocol of this corpus.")


class DroppedRecordingsWarning(UserWarning):
    """Known-unreadable recordings of a protocol were left out of its folds."""


@dataclass(frozen=True)
class Fold:
    """One fold of a protocol: recording ids per part, in the committed order (``number`` is
    1-based; ``dev`` is empty unless the protocol has a development part)."""

    number: int
    train: tuple[str, ...]
    dev: tuple[str, ...] = ()
    test: tuple[str, ...] = ()

    def part(self, name: str) -> tuple[str, ...]:
        """The ids of part ``name`` (``train``, ``dev`` or ``test``)."""
        if name not in PARTS:
            raise ValueError(f"unknown part {name!r}; accepted: {', '.join(PARTS)}")
        return getattr(self, name)


@dataclass(frozen=True)
class Protocol:
    """A registered evaluation protocol: its ``kind`` (``speaker-independent``,
    ``recording-independent`` or ``none``), where it comes from (``source``), and its folds."""

    name: str
    corpus: str
    kind: str
    source: str
    description: str
    folds: tuple[Fold, ...] = field(default=(), repr=False)

    @property
    def key(self) -> str:
        """``<corpus>/<name>``."""
        return f"{self.corpus}/{self.name}"

    @property
    def has_dev(self) -> bool:
        """Whether any fold has a development part."""
        return any(f.dev for f in self.folds)

    def mean_size(self, part: str) -> float:
        """Mean number of listed recordings of ``part`` over the folds."""
        return float(np.mean([len(f.part(part)) for f in self.folds])) if self.folds else 0.0


@dataclass
class FoldIndices:
    """A fold as positional indices into a table (committed order), with the ids that were
    dropped because they are known to be unreadable."""

    number: int
    train: np.ndarray
    dev: np.ndarray
    test: np.ndarray
    dropped: tuple[str, ...] = ()

    @property
    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """``(train, test)``, as the functions of :mod:`serlib.protocols.splits` return a fold."""
        return self.train, self.test

    @property
    def note(self) -> str:
        """A line saying which ids were dropped (empty when none)."""
        if not self.dropped:
            return ""
        return (f"fold {self.number}: dropped {len(self.dropped)} known-unreadable "
                f"recording(s): {', '.join(self.dropped)}")


# --------------------------------------------------------------------------------------------
# Sources and builders (used by ``python -m serlib.protocols build``)
# --------------------------------------------------------------------------------------------
@dataclass
class Sources:
    """Where a build reads from: the corpora (``data``), EmoBox's fold lists (``protocols``,
    holding ``emobox/``) and the seeds' artifacts (``seed_artifacts``, holding
    ``emocatcher/row_order.csv``). Tables are loaded once, with headers probed as the
    notebooks load them."""

    data: Path
    protocols: Path
    seed_artifacts: Path
    _tables: dict = field(default_factory=dict, repr=False)

    def corpus(self, name: str) -> Corpus:
        """The loaded :class:`serlib.data.corpora.Corpus` ``name`` (load order)."""
        from serlib.data import corpora

        if name not in self._tables:
            self._tables[name] = corpora.load_corpus(name, self.data / name)
        return self._tables[name]

    def table(self, name: str) -> pd.DataFrame:
        """The corpus table in load order (sorted by path), as the notebooks have it."""
        return self.corpus(name).table

    def seed_table(self) -> pd.DataFrame:
        """The RAVDESS table in the seed's row order
        (:func:`serlib.experiments.cabg_runs.seed_row_order`)."""
        from serlib.experiments import cabg_runs

        if "ravdess-seed" not in self._tables:
            self._tables["ravdess-seed"] = cabg_runs.seed_row_order(
                self.table("ravdess"), self.seed_artifacts / "emocatcher" / "row_order.csv")
        return self._tables["ravdess-seed"]

    def emobox(self, corpus: str, part: str, fold: int) -> list[str]:
        """The ids of EmoBox's ``<corpus>_<part>_fold_<fold>.jsonl``, in file order."""
        path = self.protocols / "emobox" / corpus / f"{corpus}_{part}_fold_{fold}.jsonl"
        with open(path, encoding="utf-8") as handle:
            return [emobox_id(json.loads(line)["wav"], corpus) for line in handle if line.strip()]

    def emobox_folds(self, corpus: str) -> int:
        """How many folds EmoBox publishes for ``corpus``."""
        return len(list((self.protocols / "emobox" / corpus).glob(f"{corpus}_test_fold_*.jsonl")))


def emobox_id(wav: str, corpus: str) -> str:
    """The recording id of an EmoBox ``wav`` entry: the path after ``downloads/<corpus>/``, of
    which the last two components (the corpus's standard layout) without extension, e.g.
    ``downloads/ravdess/audio/Audio_Speech_Actors_01-24/Actor_18/x.wav`` -> ``Actor_18/x``."""
    from serlib.data import corpora

    rel = wav.replace("\\", "/")
    marker = f"downloads/{corpus}/"
    if marker in rel:
        rel = rel.split(marker, 1)[1]
    return corpora.id_from_path("/".join(rel.strip("/").split("/")[-2:]))


def _path_key(record_id: str) -> str:
    """Sort key that orders ids as the loaders order files (by relative path with extension)."""
    return record_id + "."


def _ordered(ids: Iterable[str], order: Sequence[str] | None = None) -> tuple[str, ...]:
    """``ids`` in the order of ``order`` (a table's ids); ids not in it, or all ids when
    ``order`` is None, sorted as the loaders sort files."""
    ids = list(ids)
    if order is None:
        return tuple(sorted(ids, key=_path_key))
    position = {r: i for i, r in enumerate(order)}
    known = sorted((r for r in ids if r in position), key=position.__getitem__)
    if len(known) == len(ids):
        return tuple(known)
    if list(order) != sorted(order, key=_path_key):
        raise ValueError("cannot place ids missing from a table that is not in path order")
    return tuple(sorted(ids, key=_path_key))


def _from_splits(ids: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[Fold]:
    return [Fold(k, tuple(ids[tr]), (), tuple(ids[te])) for k, (tr, te) in enumerate(folds, 1)]


def _ravdess_labels(table: pd.DataFrame) -> np.ndarray:
    """Integer emotion labels as notebook 06 and :func:`serlib.experiments.cabg_runs.protocol_runs`
    use them
    (index in :data:`serlib.models.cabg.EMOTIONS`): stratification depends on the label values."""
    from serlib.models import cabg

    return table["emotion"].map(list(cabg.EMOTIONS).index).to_numpy()


def _build_random_holdout(src: Sources) -> list[Fold]:
    t = src.seed_table()
    return _from_splits(t["id"].to_numpy(), splits.random_holdout(_ravdess_labels(t), 0.2, 999))


def _build_random_5fold(src: Sources) -> list[Fold]:
    t = src.seed_table()
    return _from_splits(t["id"].to_numpy(), splits.stratified_kfold(_ravdess_labels(t), 5, 999))


def _build_emobox(corpus: str, order: Callable[[Sources], Sequence[str] | None]
                  ) -> Callable[[Sources], list[Fold]]:
    def build(src: Sources) -> list[Fold]:
        ids = order(src)
        folds = []
        for k in range(1, src.emobox_folds(corpus) + 1):
            folds.append(Fold(k, _ordered(src.emobox(corpus, "train", k), ids), (),
                              _ordered(src.emobox(corpus, "test", k), ids)))
        if not folds:
            raise FileNotFoundError(f"no EmoBox fold lists for {corpus} under "
                                    f"{src.protocols / 'emobox' / corpus}")
        return folds
    return build


def _build_actor_holdout(src: Sources) -> list[Fold]:
    t = src.table("ravdess")
    return _from_splits(t["id"].to_numpy(),
                        splits.actor_holdout(t["actor"].to_numpy(), splits.SEED001_TEST_ACTORS))


def _build_seed003(src: Sources) -> list[Fold]:
    t = src.seed_table()
    ids = t["id"].to_numpy()
    parts = splits.seed003_split(t["actor"].astype(int).to_numpy())
    return [Fold(1, tuple(ids[parts["train"]]), tuple(ids[parts["dev"]]),
                 tuple(ids[parts["test"]]))]


def _build_seed004(src: Sources) -> list[Fold]:
    from serlib.experiments import seed004

    t = src.table("aesdd")
    return _from_splits(t["id"].to_numpy(), seed004.seed_splits(t["recording_id"].to_numpy(), 5))


def _build_loso(corpus: str) -> Callable[[Sources], list[Fold]]:
    def build(src: Sources) -> list[Fold]:
        t = src.table(corpus)
        return _from_splits(t["id"].to_numpy(),
                            splits.leave_one_speaker_out(t["speaker"].to_numpy()))
    return build


@dataclass(frozen=True)
class _Spec:
    name: str
    corpus: str
    kind: str
    source: str
    description: str
    build: Callable[[Sources], list[Fold]]


_SPECS: tuple[_Spec, ...] = (
    _Spec("random-holdout-8-2", "ravdess", "none",
          "seed 000 (EmoCatcher, CABG): train_test_split(test_size=0.2, stratify=emotion, "
          "shuffle=True, random_state=999) on the seed's file order (row_order.csv)",
          "stratified random 8:2 hold-out of clips; speakers shared",
          _build_random_holdout),
    _Spec("random-5fold", "ravdess", "none",
          "seed 000 (EmoCatcher, CABG): StratifiedKFold(5, shuffle=True, random_state=999) on "
          "the seed's file order (row_order.csv)",
          "stratified random 5-fold cross-validation of clips; speakers shared",
          _build_random_5fold),
    _Spec("emobox-6fold", "ravdess", "speaker-independent",
          f"{EMOBOX_CITATION}: ravdess_{{train,test}}_fold_1..6.jsonl",
          "EmoBox's 6 folds, 4 test actors each (1200 / 240 clips)",
          _build_emobox("ravdess", lambda src: list(src.seed_table()["id"]))),
    _Spec("actor-holdout-22-24", "ravdess", "speaker-independent",
          "seed 001: train on actors 01-21, test on actors 22-24",
          "actor hold-out: 21 training actors, 3 test actors",
          _build_actor_holdout),
    _Spec("seed003-actors", "ravdess", "speaker-independent",
          "seed 003: development actors 08, 19, 24; test actors 11, 14, 15",
          "three-way actor split: 18 training, 3 development, 3 test actors",
          _build_seed003),
    _Spec("emobox-25", "aesdd", "none",
          f"{EMOBOX_CITATION}: aesdd_{{train,test}}_fold_1.jsonl",
          "EmoBox's stratified 25 % random test set of recordings (455 / 149 listed, 2 of "
          "them unreadable); speakers shared",
          _build_emobox("aesdd", lambda src: list(src.table("aesdd")["id"]))),
    _Spec("seed004-random-80-20", "aesdd", "recording-independent",
          "seed 004 (Keras CNN), seeded: GroupShuffleSplit(test_size=0.2, random_state=r) over "
          "recordings, r = 0..4 (serlib.experiments.seed004.seed_splits)",
          "5 random 80/20 splits of the recordings, made before segmentation; speakers shared",
          _build_seed004),
    _Spec("loso-6", "aesdd", "speaker-independent",
          "leave one speaker out (LeaveOneGroupOut over AESDD's 6 speakers)",
          "6 folds, one test speaker each",
          _build_loso("aesdd")),
    _Spec("emobox-5fold", "emodb", "none",
          f"{EMOBOX_CITATION}: emodb_{{train,test}}_fold_1..5.jsonl",
          "EmoBox's 5 folds (428 / 107): a random partition of the recordings in which every "
          "test fold holds all 10 speakers, so speakers are shared",
          _build_emobox("emodb", lambda src: list(src.table("emodb")["id"]))),
    _Spec("loso-10", "emodb", "speaker-independent",
          "leave one speaker out (LeaveOneGroupOut over EMO-DB's 10 speakers)",
          "10 folds, one test speaker each",
          _build_loso("emodb")),
)


# --------------------------------------------------------------------------------------------
# Reading the committed data
# --------------------------------------------------------------------------------------------
def _data_text(corpus: str, filename: str) -> str | None:
    """Text of a committed data file (package data), or ``None`` when it does not exist."""
    ref = resources.files("serlib.protocols").joinpath("protocol_data", corpus, filename)
    return ref.read_text(encoding="utf-8") if ref.is_file() else None


def parse_folds(text: str, where: str = "fold list") -> tuple[Fold, ...]:
    """Folds from a ``fold,part,id`` CSV text; raises ``ValueError`` for a bad header, an
    unknown part, or an id listed twice in one fold."""
    reader = csv.reader(io.StringIO(text))
    header = tuple(next(reader, ()))
    if header != CSV_COLUMNS:
        raise ValueError(f"{where}: header {header} is not {','.join(CSV_COLUMNS)}")
    parts: dict[int, dict[str, list[str]]] = {}
    for row in reader:
        if not row:
            continue
        fold, part, record = int(row[0]), row[1], row[2]
        if part not in PARTS:
            raise ValueError(f"{where}: unknown part {part!r}; accepted: {', '.join(PARTS)}")
        parts.setdefault(fold, {p: [] for p in PARTS})[part].append(record)
    folds = []
    for number in sorted(parts):
        listed = [r for p in PARTS for r in parts[number][p]]
        if len(set(listed)) != len(listed):
            raise ValueError(f"{where}: fold {number} lists a recording twice")
        folds.append(Fold(number, *(tuple(parts[number][p]) for p in PARTS)))
    return tuple(folds)


def format_folds(folds: Sequence[Fold]) -> str:
    """The ``fold,part,id`` CSV text of ``folds`` (rows: per fold, train, dev, test)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for fold in folds:
        for part in PARTS:
            writer.writerows((fold.number, part, r) for r in fold.part(part))
    return out.getvalue()


@cache
def _protocol(corpus: str, name: str) -> Protocol:
    spec = next(s for s in _SPECS if (s.corpus, s.name) == (corpus, name))
    text = _data_text(corpus, f"{name}.csv")
    if text is None:
        raise FileNotFoundError(f"no committed fold list serlib/protocols/protocol_data/{corpus}/"
                                f"{name}.csv:"
                                " rebuild it with `python -m serlib.protocols build`")
    return Protocol(spec.name, spec.corpus, spec.kind, spec.source, spec.description,
                    parse_folds(text, f"{corpus}/{name}.csv"))


@cache
def known_unreadable(corpus: str) -> dict[str, str]:
    """Recordings of ``corpus`` that a protocol lists but that are unreadable in the corpus's
    distribution: id -> reason (empty when none are known)."""
    text = _data_text(corpus, UNREADABLE_FILE)
    if text is None:
        return {}
    return {row["id"]: row["reason"] for row in csv.DictReader(io.StringIO(text))}


def list_protocols(corpus: str | None = None) -> list[Protocol]:
    """Every registered protocol (of ``corpus`` when given), folds loaded, in registry order.
    Raises ``ValueError`` for an unknown corpus."""
    corpora_ = list(dict.fromkeys(s.corpus for s in _SPECS))
    if corpus is not None and corpus not in corpora_:
        raise ValueError(f"unknown corpus {corpus!r}; accepted: {', '.join(corpora_)}")
    return [_protocol(s.corpus, s.name) for s in _SPECS if corpus in (None, s.corpus)]


def protocol_names(corpus: str | None = None) -> list[str]:
    """Names of the registered protocols (of ``corpus`` when given), without loading folds."""
    return [s.name for s in _SPECS if corpus in (None, s.corpus)]


def get_protocol(name: str, corpus: str | None = None) -> Protocol:
    """The protocol called ``name`` (also accepted: ``<corpus>/<name>``). Raises
    ``ValueError`` naming the accepted names when there is none (of ``corpus``)."""
    if corpus is None and "/" in name:
        corpus, name = name.split("/", 1)
    matches = [s for s in _SPECS if s.name == name and corpus in (None, s.corpus)]
    if not matches:
        scope = f" of corpus {corpus!r}" if corpus else ""
        raise ValueError(f"unknown protocol {name!r}{scope}; accepted: "
                         f"{', '.join(protocol_names(corpus) or protocol_names())}")
    if len(matches) > 1:
        raise ValueError(f"protocol {name!r} exists for corpora "
                         f"{', '.join(s.corpus for s in matches)}: pass corpus=")
    return _protocol(matches[0].corpus, matches[0].name)


# --------------------------------------------------------------------------------------------
# Folds on a table
# --------------------------------------------------------------------------------------------
def assert_independent(table: pd.DataFrame, kind: str, parts: Mapping[str, np.ndarray],
                       where: str = "fold") -> None:
    """Raise :class:`serlib.protocols.splits.LeakageError` if two ``parts`` (name -> positional
    index
    array into ``table``) share a recording ``id``, or, as ``kind`` declares, a ``speaker``
    (``speaker-independent``) or a recording (``recording-independent``: the table's
    ``recording_id`` column where it has one, else ``id``). A speaker-independent check on a
    table without a ``speaker`` column raises ``ValueError``."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; accepted: {', '.join(KINDS)}")
    checks = [("id", "recording")]
    column = GROUP_COLUMNS.get(kind)
    if kind == "speaker-independent":
        if column not in table:
            raise ValueError(f"{where}: a speaker-independent protocol needs a {column!r} column")
        checks.append((column, "speaker"))
    elif kind == "recording-independent":
        checks.append((column if column in table else "id", "recording"))
    names = list(parts)
    for column, what in checks:
        values = table[column].to_numpy()
        for a, name_a in enumerate(names):
            for name_b in names[a + 1:]:
                try:
                    splits.assert_disjoint(values, [(parts[name_a], parts[name_b])], what=what)
                except splits.LeakageError as err:
                    detail = str(err).split(": ", 1)[-1].replace("train and test",
                                                                 f"{name_a} and {name_b}")
                    raise splits.LeakageError(
                        f"{where} ({kind}, column {column!r}): {detail}") from err


def is_demo_table(table: pd.DataFrame) -> bool:
    """Whether ``table`` holds serlib's synthetic demo corpus (its files lie under
    :func:`serlib.paths.demo_root`): a subset of the real corpora's names by design."""
    if "path" not in table or not len(table):
        return False
    demo = paths.demo_root().resolve()
    return Path(str(table["path"].iloc[0])).resolve().is_relative_to(demo)


def fold_indices(protocol: Protocol | str, table: pd.DataFrame, *, warn: bool = True,
                 subset: bool | None = None) -> list[FoldIndices]:
    """Per fold, positional index arrays into ``table`` (matched on its ``id`` column) for
    train, dev and test, in the committed order.

    Known-unreadable ids (:func:`known_unreadable`) missing from the table are dropped: each
    fold's :attr:`FoldIndices.dropped` names them and (``warn``) a
    :class:`DroppedRecordingsWarning` says so. Any other listed id missing from the table
    raises :class:`MissingRecordingsError`, unless ``subset`` (default: when the table is the
    synthetic demo corpus, :func:`is_demo_table`) restricts the folds to the recordings the
    table has. The independence that ``protocol.kind`` declares is asserted
    (:class:`serlib.protocols.splits.LeakageError`)."""
    if isinstance(protocol, str):
        protocol = get_protocol(protocol)
    if "id" not in table:
        raise ValueError("the table has no 'id' column: load it with serlib.data.corpora")
    ids = table["id"].to_numpy()
    position = pd.Series(np.arange(len(ids)), index=ids)
    if not position.index.is_unique:
        dup = position.index[position.index.duplicated()].unique()[:5].tolist()
        raise ValueError(f"the table's ids are not unique, e.g. {dup}")
    unreadable = known_unreadable(protocol.corpus)
    listed = {r for fold in protocol.folds for p in PARTS for r in fold.part(p)}
    absent = listed - set(position.index)
    missing = absent - set(unreadable)
    if subset is None:
        subset = is_demo_table(table)
    if subset:  # the demo corpus: the folds restricted to the recordings it has (no warning)
        unreadable = {**unreadable, **{r: "not in this (demo) corpus" for r in missing}}
        missing, warn = set(), False
    if missing:
        raise MissingRecordingsError(protocol.key, missing, len(table))
    out = []
    for fold in protocol.folds:
        arrays, dropped = [], []
        for p in PARTS:
            keep = [r for r in fold.part(p) if r not in absent]
            dropped += [r for r in fold.part(p) if r in absent]
            arrays.append(position.loc[keep].to_numpy().astype(np.intp) if keep
                          else np.array([], dtype=np.intp))
        assert_independent(table, protocol.kind, dict(zip(PARTS, arrays, strict=True)),
                           f"{protocol.key} fold {fold.number}")
        out.append(FoldIndices(fold.number, *arrays, dropped=tuple(dropped)))
    notes = [f.note for f in out if f.dropped]
    if notes and warn:
        reasons = "; ".join(sorted({unreadable[r] for f in out for r in f.dropped}))
        warnings.warn(DroppedRecordingsWarning(f"{protocol.key}: " + " | ".join(notes) +
                                               f" ({reasons})"), stacklevel=2)
    return out


def fold_splits(protocol: Protocol | str, table: pd.DataFrame, *, warn: bool = True,
                subset: bool | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` per fold, like the functions of :mod:`serlib.protocols.splits` (a dev part,
    if any, is left out)."""
    return [f.split for f in fold_indices(protocol, table, warn=warn, subset=subset)]


def describe(corpus: str | None = None) -> pd.DataFrame:
    """One row per protocol: ``protocol``, ``corpus``, ``kind``, ``folds`` and the mean
    number of listed recordings in ``train``, ``dev`` (when any protocol has one) and
    ``test`` per fold."""
    protocols = list_protocols(corpus)
    with_dev = any(p.has_dev for p in protocols)
    rows = []
    for p in protocols:
        row = {"protocol": p.name, "corpus": p.corpus, "kind": p.kind, "folds": len(p.folds),
               "mean_train": p.mean_size("train")}
        if with_dev:
            row["mean_dev"] = p.mean_size("dev")
        rows.append({**row, "mean_test": p.mean_size("test")})
    return pd.DataFrame(rows)


def describe_text(corpus: str | None = None) -> str:
    """:func:`describe` as printable text (sizes with one decimal)."""
    return describe(corpus).to_string(index=False, float_format=lambda v: f"{v:.1f}")


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------
def build(sources: Sources, out: Path = DATA_DIR, check: bool = False,
          log: Callable[[str], None] = print) -> bool:
    """Rebuild every protocol's fold list (and the known-unreadable lists) from ``sources``
    into ``out``; with ``check``, write nothing and report whether the files there are equal.
    A protocol whose sources are absent is skipped with a message. Returns ``True`` when every
    file was written (or, with ``check``, is up to date)."""
    ok = True
    unreadable: dict[str, dict[str, str]] = {}
    for spec in _SPECS:
        try:
            folds = spec.build(sources)
        except FileNotFoundError as err:
            log(f"skipped {spec.corpus}/{spec.name}: {str(err).split('. ')[0]}")
            ok = False
            continue
        corpus = sources.corpus(spec.corpus)
        listed = {r for f in folds for p in PARTS for r in f.part(p)}
        absent = sorted(listed - set(corpus.table["id"]))
        skipped = {Path(p).relative_to(corpus.root).as_posix().rsplit(".", 1)[0]: reason
                   for p, reason in corpus.skipped[["path", "reason"]].to_numpy()}
        for record in absent:
            unreadable.setdefault(spec.corpus, {})[record] = skipped.get(
                record, f"listed by {spec.corpus}/{spec.name} but unreadable in the corpus's "
                "distribution (does not open); absent from this copy")
        text = format_folds(folds)
        sizes = ", ".join(f"{p} {sum(len(f.part(p)) for f in folds)}" for p in PARTS
                          if any(f.part(p) for f in folds))
        ok &= _write(out / spec.corpus / f"{spec.name}.csv", text, check, log,
                     f"{len(folds)} fold(s), {text.count(chr(10)) - 1} rows ({sizes})"
                     + (f"; {len(absent)} not in the corpus: {', '.join(absent)}"
                        if absent else ""))
    for corpus, records in unreadable.items():
        body = io.StringIO()
        writer = csv.writer(body, lineterminator="\n")
        writer.writerow(("id", "reason"))
        writer.writerows(sorted(records.items()))
        ok &= _write(out / corpus / UNREADABLE_FILE, body.getvalue(), check, log,
                     f"{len(records)} known-unreadable recording(s)")
    _protocol.cache_clear()
    known_unreadable.cache_clear()
    return ok


def _write(path: Path, text: str, check: bool, log: Callable[[str], None], what: str) -> bool:
    shown = paths.relative(path)
    if check:
        same = path.is_file() and path.read_text(encoding="utf-8") == text
        log(f"{'up to date' if same else 'DIFFERS'}: {shown}: {what}")
        return same
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    log(f"wrote {shown}: {what}")
    return True


def _default_shared(name: str) -> Path:
    return paths.project_root().parent / "shared" / name


def main(argv: list[str] | None = None) -> int:
    """``python -m serlib.protocols [list | build ...]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m serlib.protocols",
        description="The registry of evaluation protocols (committed fold lists).")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="print the protocol table (the default)")
    b = sub.add_parser("build", help="rebuild serlib/protocols/protocol_data from its sources")
    b.add_argument("--data", type=Path, default=_default_shared("data"),
                   help="corpora folder (ravdess/, aesdd/, emodb/); default ../shared/data")
    b.add_argument("--protocols", type=Path, default=_default_shared("protocols"),
                   help="folder holding emobox/; default ../shared/protocols")
    b.add_argument("--seed-artifacts", type=Path, default=_default_shared("seed-artifacts"),
                   help="folder holding emocatcher/row_order.csv; default ../shared/seed-artifacts")
    b.add_argument("--out", type=Path, default=DATA_DIR,
                   help="default: serlib/protocols/protocol_data")
    b.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if a committed file differs from the rebuild")
    args = parser.parse_args(argv)
    if args.command == "build":
        from serlib.data import corpora

        sources = Sources(args.data, args.protocols, args.seed_artifacts)
        try:
            ok = build(sources, args.out, check=args.check)
        except (corpora.CorpusNotFoundError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        return 0 if ok else 1
    print(describe_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())


# --------------------------------------------------------------------------------------------
# The protocols of a corpus chosen by the chapters' ``corpus`` parameter
# --------------------------------------------------------------------------------------------
#: At most this many speakers: leave one speaker out; more: speaker-grouped k-fold.
MAX_LOSO_SPEAKERS = 10
#: Folds of the speaker-grouped k-fold of a corpus with more than :data:`MAX_LOSO_SPEAKERS`.
GROUPED_FOLDS = 5


@dataclass(frozen=True)
class StudyProtocol:
    """A protocol of the corpus a chapter runs on: its name, ``kind`` (:data:`KINDS`), where it
    comes from, and ``(train, test)`` positional index arrays per fold."""

    name: str
    kind: str
    description: str
    splits: tuple[tuple[np.ndarray, np.ndarray], ...] = field(repr=False)


def study_protocols(corpus: str, table: pd.DataFrame, *, registered: bool = True,
                    seed: int = 0) -> dict[str, StudyProtocol]:
    """The protocols of the corpus ``corpus`` for chapters 01-04 run on it (not the default
    RAVDESS study, whose seed-specific protocols the chapters name themselves).

    A corpus of the registry (``registered``; e.g. ``emodb``): EmoBox's published folds and its
    speaker-independent protocols from the committed fold lists (``emobox-5fold`` and
    ``loso-10`` for EMO-DB; the seeds' own splits are left to their chapters). Any other corpus
    (a manifest folder): leave one speaker out with up to :data:`MAX_LOSO_SPEAKERS` speakers
    (``loso-<n>``), else :data:`GROUPED_FOLDS`-fold speaker-grouped cross-validation stratified by
    emotion (``speaker-5fold``, ``seed``). Raises ``ValueError`` when the table has fewer than
    two speakers."""
    if registered and corpus in {s.corpus for s in _SPECS}:
        out = {}
        for spec in _SPECS:
            if spec.corpus != corpus or not (spec.name.startswith("emobox")
                                              or spec.kind == "speaker-independent"):
                continue
            if spec.corpus == "ravdess" and spec.name != "emobox-6fold":
                continue  # the seeds' RAVDESS hold-outs belong to their chapters
            folds = fold_splits(spec.name, table, warn=False)
            out[spec.name] = StudyProtocol(spec.name, spec.kind, spec.description, tuple(folds))
        return out
    speakers = table["speaker"].astype(str).to_numpy()
    n = len(set(speakers))
    if n < 2:
        raise ValueError(f"corpus {corpus!r} has {n} speaker(s): a speaker-independent protocol "
                         "needs at least 2 (column 'speaker' of its manifest)")
    if n <= MAX_LOSO_SPEAKERS:
        folds = splits.leave_one_speaker_out(speakers)
        name, what = f"loso-{n}", f"leave one speaker out: {n} folds, one test speaker each"
    else:
        folds = splits.group_kfold(speakers, table["emotion"].astype(str).to_numpy(),
                                   n_splits=GROUPED_FOLDS, seed=seed)
        name = f"speaker-{GROUPED_FOLDS}fold"
        what = (f"{GROUPED_FOLDS}-fold speaker-grouped cross-validation stratified by emotion "
                f"(seed {seed}): every speaker tested once, never in its own training part")
    for k, (train, test) in enumerate(folds, start=1):
        assert_independent(table, "speaker-independent", {"train": train, "test": test},
                           f"{corpus}/{name} fold {k}")
    return {name: StudyProtocol(name, "speaker-independent", what, tuple(folds))}
