"""The protocol registry: committed fold lists against their sources and the existing splits."""

from __future__ import annotations

import fnmatch
import json
import os
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from serlib import paths
from serlib.app import cli
from serlib.data import corpora
from serlib.protocols import registry, splits

SHARED = paths.project_root().parent / "shared"
EMOBOX = SHARED / "protocols" / "emobox"
ROW_ORDER = SHARED / "seed-artifacts" / "emocatcher" / "row_order.csv"
DATA = paths.data_root() if os.environ.get(paths.DATA_ENV) else SHARED / "data"

EXPECTED = {  # corpus/name: kind, folds, listed train / dev / test per fold
    "ravdess/random-holdout-8-2": ("none", 1, 1152, 0, 288),
    "ravdess/random-5fold": ("none", 5, 1152, 0, 288),
    "ravdess/emobox-6fold": ("speaker-independent", 6, 1200, 0, 240),
    "ravdess/actor-holdout-22-24": ("speaker-independent", 1, 1260, 0, 180),
    "ravdess/seed003-actors": ("speaker-independent", 1, 1080, 180, 180),
    "aesdd/emobox-25": ("none", 1, 455, 0, 149),
    "aesdd/seed004-random-80-20": ("recording-independent", 5, 481, 0, 121),
    "aesdd/loso-6": ("speaker-independent", 6, None, 0, None),
    "emodb/emobox-5fold": ("none", 5, 428, 0, 107),
    "emodb/loso-10": ("speaker-independent", 10, None, 0, None),
}
UNREADABLE_AESDD = {"anger/a20 (5)", "sadness/s19 (6)"}

needs_sources = pytest.mark.skipif(
    not (EMOBOX.is_dir() and ROW_ORDER.is_file()),
    reason=f"protocol sources not found: {EMOBOX} and {ROW_ORDER} (../shared beside the project)")


def _table_from_ids(corpus: str, ids) -> pd.DataFrame:
    """A corpus-like table built from ids alone (speaker and recording parsed from names)."""
    rows = []
    for record in ids:
        fields = corpora.PARSERS[corpus](record.rsplit("/", 1)[-1])
        rows.append({"id": record, "speaker": fields["speaker"],
                     "recording_id": record.rsplit("/", 1)[-1]})
    return pd.DataFrame(rows)


def _all_ids(protocol: registry.Protocol) -> list[str]:
    return sorted({r for f in protocol.folds for p in registry.PARTS for r in f.part(p)})


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """The real corpus tables in load order (headers not probed: the copies have no bad file)."""
    out = {}
    for name in ("ravdess", "aesdd", "emodb"):
        if not (DATA / name).is_dir():
            pytest.skip(f"real corpora not found at {DATA} (set SERLIB_DATA or use ../shared/data)")
        out[name] = corpora.load_corpus(name, DATA / name, probe=False).table
    return out


@pytest.fixture(scope="module")
def seed_table(tables) -> pd.DataFrame:
    """The RAVDESS table in the seed's row order, as notebook 06 builds it."""
    from serlib.experiments import cabg_runs

    if not ROW_ORDER.is_file():
        pytest.skip(f"seed's row order not found: {ROW_ORDER}")
    return cabg_runs.seed_row_order(tables["ravdess"], ROW_ORDER)


def test_registry_names_kinds_and_sizes():
    listed = {p.key: p for p in registry.list_protocols()}
    assert set(listed) == set(EXPECTED)
    for key, (kind, n_folds, n_train, n_dev, n_test) in EXPECTED.items():
        p = listed[key]
        assert p.kind == kind and p.kind in registry.KINDS and p.source and p.description
        assert [f.number for f in p.folds] == list(range(1, n_folds + 1))
        for fold in p.folds:
            sizes = (len(fold.train), len(fold.dev), len(fold.test))
            assert sizes[1] == n_dev
            assert n_train is None or sizes[0] == n_train
            assert n_test is None or sizes[2] == n_test
    assert [p.name for p in registry.list_protocols("emodb")] == ["emobox-5fold", "loso-10"]
    assert registry.get_protocol("emobox-6fold") is listed["ravdess/emobox-6fold"]
    assert registry.get_protocol("aesdd/loso-6").corpus == "aesdd"
    with pytest.raises(ValueError, match="accepted: .*random-holdout-8-2.*loso-10"):
        registry.get_protocol("no-such-protocol")
    with pytest.raises(ValueError, match="of corpus 'emodb'; accepted: emobox-5fold, loso-10"):
        registry.get_protocol("loso-6", corpus="emodb")
    with pytest.raises(ValueError, match="unknown corpus"):
        registry.list_protocols("iemocap")


def test_partitions_cover_each_recording_once():
    """Cross-validation and leave-one-speaker-out test parts partition the corpus."""
    for key in ("ravdess/random-5fold", "ravdess/emobox-6fold", "aesdd/loso-6",
                "emodb/emobox-5fold", "emodb/loso-10"):
        p = registry.get_protocol(key)
        tested = [r for f in p.folds for r in f.test]
        assert len(tested) == len(set(tested)) == len(_all_ids(p)), key
        for f in p.folds:
            assert set(f.train) | set(f.test) == set(tested), key
    sizes = {k: len(_all_ids(registry.get_protocol(k))) for k in EXPECTED}
    assert {sizes[k] for k in EXPECTED if k.startswith("ravdess")} == {1440}
    assert sizes["aesdd/emobox-25"] == 604 and sizes["aesdd/loso-6"] == 602
    assert sizes["emodb/loso-10"] == 535


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_declared_kind_holds(key: str):
    """Every protocol passes the check of its declared kind (speakers parsed from the ids),
    and only the speaker-independent ones keep speakers apart."""
    p = registry.get_protocol(key)
    table = _table_from_ids(p.corpus, _all_ids(p))
    speakers = table["speaker"].to_numpy()
    for f in registry.fold_indices(p, table):  # raises LeakageError on a broken fold
        shared = set(speakers[f.train]) & set(speakers[f.test])
        assert bool(shared) == (p.kind != "speaker-independent"), (key, f.number)
        assert not set(speakers[f.dev]) & (set(speakers[f.train]) | set(speakers[f.test]))


def test_broken_folds_raise_leakage_error():
    table = pd.DataFrame({"id": ["x/a", "x/b", "x/c", "x/d"], "speaker": ["1", "1", "2", "2"],
                          "recording_id": ["r1", "r2", "r2", "r3"]})
    broken = registry.Protocol("broken", "synthetic", "speaker-independent", "test", "test",
                                (registry.Fold(1, ("x/a", "x/c"), (), ("x/b", "x/d")),))
    with pytest.raises(splits.LeakageError, match="synthetic/broken fold 1.*speaker"):
        registry.fold_indices(broken, table)
    dev_leak = registry.Protocol("dev", "synthetic", "speaker-independent", "test", "test",
                                  (registry.Fold(1, ("x/a",), ("x/c",), ("x/d",)),))
    with pytest.raises(splits.LeakageError, match=r"speaker\(s\) \['2'\] are in dev and test"):
        registry.fold_indices(dev_leak, table)
    with pytest.raises(ValueError, match="needs a 'speaker' column"):
        registry.fold_indices(dev_leak, table.drop(columns="speaker"))
    by_recording = registry.Protocol("rec", "synthetic", "recording-independent", "t", "t",
                                      (registry.Fold(1, ("x/a", "x/b"), (), ("x/c",)),))
    with pytest.raises(splits.LeakageError, match="recording_id"):
        registry.fold_indices(by_recording, table)
    same_id = registry.Protocol("dup", "synthetic", "none", "t", "t",
                                 (registry.Fold(1, ("x/a", "x/b"), (), ("x/b",)),))
    with pytest.raises(splits.LeakageError, match="recording"):
        registry.fold_indices(same_id, table)
    fine = registry.Protocol("ok", "synthetic", "speaker-independent", "t", "t",
                              (registry.Fold(1, ("x/b", "x/a"), (), ("x/d", "x/c")),))
    (fold,) = registry.fold_indices(fine, table)
    assert fold.train.tolist() == [1, 0] and fold.test.tolist() == [3, 2]
    assert fold.dev.dtype == np.intp and len(fold.dev) == 0 and fold.note == ""


def test_missing_ids_raise_naming_them():
    p = registry.get_protocol("loso-6")
    ids = _all_ids(p)
    lacking = ["anger/a01 (1)", "fear/f05 (3)", "sadness/s20 (6)"]
    table = _table_from_ids("aesdd", [r for r in ids if r not in lacking])
    with pytest.raises(registry.MissingRecordingsError) as err:
        registry.fold_indices(p, table)
    assert err.value.count == 3 and set(err.value.missing) == set(lacking)
    assert "3 recording(s)" in str(err.value) and "'fear/f05 (3)'" in str(err.value)
    many = _table_from_ids("aesdd", ids[:100])
    with pytest.raises(registry.MissingRecordingsError, match=r"502 recording.*and 497 more"):
        registry.fold_indices(p, many)
    with pytest.raises(ValueError, match="no 'id' column"):
        registry.fold_indices(p, many.drop(columns="id"))


def test_known_unreadable_are_dropped_and_reported():
    assert set(registry.known_unreadable("aesdd")) == UNREADABLE_AESDD
    assert registry.known_unreadable("ravdess") == {}
    p = registry.get_protocol("emobox-25")
    readable = [r for r in _all_ids(p) if r not in UNREADABLE_AESDD]
    table = _table_from_ids("aesdd", readable)
    with pytest.warns(registry.DroppedRecordingsWarning, match=r"a20 \(5\).*s19 \(6\)"):
        (fold,) = registry.fold_indices(p, table)
    assert set(fold.dropped) == UNREADABLE_AESDD and "dropped 2 known-unreadable" in fold.note
    assert len(fold.train) + len(fold.test) == 602 and len(fold.test) == 149
    assert np.array_equal(fold.train, np.sort(fold.train))  # the table's order
    (quiet,) = registry.fold_indices(p, table, warn=False)
    assert quiet.dropped == fold.dropped
    with_them = _table_from_ids("aesdd", _all_ids(p))  # readable copies are kept
    (full,) = registry.fold_indices(p, with_them, warn=False)
    assert full.dropped == () and len(full.train) == 455


def test_cli_prints_every_protocol(capsys):
    assert cli.main(["protocols"]) == 0
    out = capsys.readouterr().out
    for key in EXPECTED:
        corpus, name = key.split("/")
        assert any(name in line and corpus in line for line in out.splitlines()), key
    assert "speaker-independent" in out and "mean_train" in out and "mean_dev" in out
    assert cli.main(["protocols", "--corpus", "emodb"]) == 0
    out = capsys.readouterr().out
    assert "loso-10" in out and "loso-6" not in out
    assert cli.main(["protocols", "--corpus", "iemocap"]) == 2


def test_fold_data_is_package_data():
    config = tomllib.loads((paths.project_root() / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["serlib"]
    package = paths.project_root() / "serlib"
    for path in registry.DATA_DIR.rglob("*.csv"):
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), f"{relative} not package data"
    files = sorted(p.relative_to(registry.DATA_DIR).as_posix()
                   for p in registry.DATA_DIR.rglob("*") if p.is_file())
    assert all(f.count("/") == 1 and f.endswith(".csv") for f in files), files
    assert len(files) == len(EXPECTED) + 1  # + aesdd/known_unreadable.csv


def _emobox_lists(corpus: str, fold: int) -> dict[str, list[str]]:
    """EmoBox's lists, normalised here independently: last two path components, no extension."""
    out = {}
    for part in ("train", "test"):
        lines = (EMOBOX / corpus / f"{corpus}_{part}_fold_{fold}.jsonl").read_text().splitlines()
        out[part] = ["/".join(Path(json.loads(line)["wav"]).with_suffix("").parts[-2:])
                     for line in lines if line.strip()]
    return out


@needs_sources
@pytest.mark.parametrize("key", ["ravdess/emobox-6fold", "aesdd/emobox-25", "emodb/emobox-5fold"])
def test_emobox_protocols_equal_published_lists(key: str):
    p = registry.get_protocol(key)
    assert len(p.folds) == len(list((EMOBOX / p.corpus).glob("*_test_fold_*.jsonl")))
    for fold in p.folds:
        published = _emobox_lists(p.corpus, fold.number)
        assert set(fold.train) == set(published["train"]) and not fold.dev
        assert set(fold.test) == set(published["test"])
        assert len(fold.train) == len(published["train"])


@needs_sources
def test_committed_files_equal_a_rebuild(capsys):
    if not all((DATA / c).is_dir() for c in ("ravdess", "aesdd", "emodb")):
        pytest.skip(f"real corpora not found at {DATA}")
    sources = registry.Sources(DATA, SHARED / "protocols", SHARED / "seed-artifacts")
    assert registry.build(sources, check=True), capsys.readouterr().out


def _assert_same(p: registry.Protocol, got, expected) -> None:
    assert len(got) == len(expected), p.key
    for f, parts in zip(got, expected, strict=True):
        for name, want in zip(registry.PARTS, parts, strict=True):
            assert np.array_equal(getattr(f, name), np.asarray(want, dtype=np.intp)), \
                (p.key, f.number, name)


@needs_sources
def test_ravdess_folds_equal_existing_splits(tables, seed_table):
    """Same positions, same order as serlib.protocols.splits and cabg_runs.protocol_runs give."""
    from serlib.experiments import cabg_runs
    from serlib.models import cabg

    y = seed_table["emotion"].map(list(cabg.EMOTIONS).index).to_numpy()
    actors = seed_table["actor"].astype(int).to_numpy()
    empty = np.array([], dtype=np.intp)
    want = {
        "random-holdout-8-2": splits.random_holdout(y),
        "random-5fold": splits.stratified_kfold(y, 5, 999),
        "emobox-6fold": splits.emobox_ravdess_folds(actors),
    }
    for name, folds in want.items():
        p = registry.get_protocol(name, "ravdess")
        got = registry.fold_indices(p, seed_table)
        _assert_same(p, got, [(tr, empty, te) for tr, te in folds])
        runs = cabg_runs.protocol_runs(name, seed_table, y, [999], val_frac=0.1)
        for f, run in zip(got, runs, strict=True):
            assert np.array_equal(f.test, run.test_idx)
            assert np.array_equal(np.sort(f.train),
                                  np.sort(np.concatenate([run.fit_idx, run.val_idx])))
    parts = splits.seed003_split(actors)
    p = registry.get_protocol("seed003-actors")
    got = registry.fold_indices(p, seed_table)
    _assert_same(p, got, [(parts["train"], parts["dev"], parts["test"])])
    (run,) = cabg_runs.protocol_runs("seed003-actors", seed_table, y, [999])
    assert np.array_equal(got[0].train, run.fit_idx) and np.array_equal(got[0].dev, run.val_idx)
    load_order = tables["ravdess"]
    p = registry.get_protocol("actor-holdout-22-24")
    ((tr, te),) = splits.actor_holdout(load_order["actor"], splits.SEED001_TEST_ACTORS)
    _assert_same(p, registry.fold_indices(p, load_order), [(tr, empty, te)])
    # the committed random hold-out is the seed's order of row_order.csv
    seed_ids = pd.read_csv(ROW_ORDER)["path"].str.rsplit(".", n=1).str[0].to_numpy()
    assert np.array_equal(seed_ids, seed_table["id"].to_numpy())


@needs_sources
def test_aesdd_and_emodb_folds_equal_existing_splits(tables):
    from serlib.experiments import seed004

    empty = np.array([], dtype=np.intp)
    aesdd = tables["aesdd"]
    exps = seed004.experiments(aesdd)
    for name, exp in (("seed004-random-80-20", "model3_seed"), ("loso-6", "model3_loso")):
        p = registry.get_protocol(name, "aesdd")
        _assert_same(p, registry.fold_indices(p, aesdd),
                     [(tr, empty, te) for tr, te in exps[exp].splits])
    p = registry.get_protocol("emobox-25")
    published = _emobox_lists("aesdd", 1)
    with pytest.warns(registry.DroppedRecordingsWarning):
        got = registry.fold_indices(p, aesdd)
    _assert_same(p, got, [(np.flatnonzero(aesdd["id"].isin(published["train"])), empty,
                           np.flatnonzero(aesdd["id"].isin(published["test"])))])
    emodb = tables["emodb"]
    p = registry.get_protocol("loso-10")
    _assert_same(p, registry.fold_indices(p, emodb),
                 [(tr, empty, te) for tr, te in splits.leave_one_speaker_out(emodb["speaker"])])
    p = registry.get_protocol("emobox-5fold")
    want = []
    for k in range(1, 6):
        published = _emobox_lists("emodb", k)
        want.append((np.flatnonzero(emodb["id"].isin(published["train"])), empty,
                     np.flatnonzero(emodb["id"].isin(published["test"]))))
    _assert_same(p, registry.fold_indices(p, emodb), want)
