"""Evaluation protocols as train/test index splits, with leakage checks.

Every split is a list of ``(train_idx, test_idx)`` pairs of positional indices (NumPy arrays)
into the corpus table. Splits that claim speaker or recording independence assert it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupShuffleSplit,
    LeaveOneGroupOut,
    StratifiedKFold,
    train_test_split,
)

Split = tuple[np.ndarray, np.ndarray]

#: EmoBox's speaker-independent RAVDESS folds: the test actors of each of the 6 folds.
EMOBOX_RAVDESS_TEST_ACTORS: tuple[tuple[int, ...], ...] = (
    (1, 11, 20, 21),
    (4, 10, 12, 14),
    (8, 9, 19, 23),
    (3, 5, 7, 24),
    (2, 15, 16, 18),
    (6, 13, 17, 22),
)
#: Seed 001's actor hold-out: actors 22-24 are the test set.
SEED001_TEST_ACTORS: tuple[int, ...] = (22, 23, 24)
#: Seed 003's actor split: development (validation) and test actors.
SEED003_DEV_ACTORS: tuple[int, ...] = (8, 19, 24)
SEED003_TEST_ACTORS: tuple[int, ...] = (11, 14, 15)


class LeakageError(AssertionError):
    """A split shares speakers or recordings between train and test although it claims not to."""


def assert_disjoint(groups: Sequence, splits: Sequence[Split], what: str = "speaker") -> None:
    """Raise :class:`LeakageError` if any ``groups`` value (speaker, recording, ...) appears on
    both sides of any split.

    Used in: every split below that claims independence, and in the notebooks' asserts.
    """
    groups = np.asarray(groups)
    for k, (train, test) in enumerate(splits):
        shared = set(groups[train]) & set(groups[test])
        if shared:
            raise LeakageError(f"fold {k}: {what}(s) {sorted(shared)[:10]} are in train and test")


def random_holdout(y: Sequence, test_size: float = 0.2, seed: int = 999) -> list[Split]:
    """Seed 000's stratified random hold-out (8:2, ``random_state`` 999). Speakers overlap.

    With the rows in the seed's file order this reproduces its exact split.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_size, stratify=np.asarray(y),
                                   shuffle=True, random_state=seed)
    return [(np.asarray(train), np.asarray(test))]


def stratified_kfold(y: Sequence, n_splits: int = 5, seed: int = 999) -> list[Split]:
    """Seed 000's stratified k-fold (5 folds, shuffled, ``random_state`` 999). Speakers overlap.

    Used in: notebooks/04_baselines.ipynb, notebooks/06_cabg_ravdess.ipynb.
    """
    skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(skf.split(np.zeros(len(y)), np.asarray(y)))


def actor_holdout(actors: Sequence[int], test_actors: Sequence[int]) -> list[Split]:
    """Train on every actor not in ``test_actors``, test on those (speaker-independent).

    Used in: notebooks/03_backward_selection.ipynb, notebooks/04_baselines.ipynb.
    """
    actors = np.asarray(actors)
    missing = set(test_actors) - set(actors.tolist())
    if missing:
        raise ValueError(f"test actor(s) {sorted(missing)} not in the table")
    is_test = np.isin(actors, test_actors)
    splits = [(np.flatnonzero(~is_test), np.flatnonzero(is_test))]
    assert_disjoint(actors, splits)
    return splits


def seed003_split(actors: Sequence[int]) -> dict[str, np.ndarray]:
    """Seed 003's three-way actor split: ``train`` (18 actors), ``dev`` (08, 19, 24) and
    ``test`` (11, 14, 15), as positional indices; asserts that no actor is shared.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    actors = np.asarray(actors)
    dev = np.isin(actors, SEED003_DEV_ACTORS)
    test = np.isin(actors, SEED003_TEST_ACTORS)
    parts = {"train": np.flatnonzero(~dev & ~test), "dev": np.flatnonzero(dev),
             "test": np.flatnonzero(test)}
    assert_disjoint(actors, [(parts["train"], parts["dev"]), (parts["train"], parts["test"]),
                             (parts["dev"], parts["test"])])
    return parts


def emobox_ravdess_folds(actors: Sequence[int]) -> list[Split]:
    """EmoBox's 6 speaker-independent RAVDESS folds (4 test actors each; see
    :data:`EMOBOX_RAVDESS_TEST_ACTORS`). Asserts speaker independence.

    Used in: notebooks/04_baselines.ipynb, notebooks/06_cabg_ravdess.ipynb.
    """
    actors = np.asarray(actors)
    splits = []
    for test_actors in EMOBOX_RAVDESS_TEST_ACTORS:
        is_test = np.isin(actors, test_actors)
        if not is_test.any():
            raise ValueError(f"none of the EmoBox test actors {test_actors} is in the table")
        splits.append((np.flatnonzero(~is_test), np.flatnonzero(is_test)))
    assert_disjoint(actors, splits)
    return splits


def group_kfold(groups: Sequence, y: Sequence, n_splits: int = 5, seed: int = 0) -> list[Split]:
    """Stratified k-fold over groups (e.g. actors): no group on both sides. Used for
    speaker-independent validation inside a training set.

    Used in: notebooks/03_backward_selection.ipynb, notebooks/04_baselines.ipynb.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    splits = list(sgkf.split(np.zeros(len(y)), np.asarray(y), np.asarray(groups)))
    assert_disjoint(groups, splits)
    return splits


def recording_holdout(recordings: Sequence, test_size: float = 0.2, seed: int = 0) -> list[Split]:
    """Seed 004's split by recording, made BEFORE segmentation: all segments of a recording
    fall on one side. ``recordings`` holds one id per row (a segment table repeats a
    recording's id on every segment row). Asserts recording independence.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    recordings = np.asarray(recordings)
    gss = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    splits = list(gss.split(np.zeros(len(recordings)), groups=recordings))
    assert_disjoint(recordings, splits, what="recording")
    return splits


def leave_one_speaker_out(speakers: Sequence) -> list[Split]:
    """One fold per speaker: train on the others, test on that speaker (AESDD: 6 folds).

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    speakers = np.asarray(speakers)
    splits = list(LeaveOneGroupOut().split(np.zeros(len(speakers)), groups=speakers))
    assert_disjoint(speakers, splits)
    return splits


def emobox_aesdd_split(y: Sequence, test_size: float = 0.25, seed: int = 0) -> list[Split]:
    """EmoBox's AESDD split: a stratified 25 % test set of recordings (seed 0). Speakers overlap.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    return random_holdout(y, test_size=test_size, seed=seed)


def describe_splits(table: pd.DataFrame, splits: Sequence[Split], group: str = "speaker"
                    ) -> pd.DataFrame:
    """One row per fold: train and test sizes, test groups, and how many groups the two sides
    share (0 for a speaker-independent protocol).

    Used in: notebooks/01_eda.ipynb, notebooks/04_baselines.ipynb.
    """
    values = table[group].to_numpy()
    rows = []
    for k, (train, test) in enumerate(splits):
        rows.append({
            "fold": k + 1,
            "n_train": len(train),
            "n_test": len(test),
            f"test_{group}s": ",".join(map(str, sorted(set(values[test])))),
            f"shared_{group}s": len(set(values[train]) & set(values[test])),
        })
    return pd.DataFrame(rows)
