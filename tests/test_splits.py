import numpy as np
import pandas as pd
import pytest

from serlib.protocols import splits


@pytest.fixture
def ravdess_like() -> pd.DataFrame:
    """1440 rows in RAVDESS proportions: 24 actors x 60 clips, neutral half as frequent."""
    rows = []
    for actor in range(1, 25):
        for emo in range(1, 9):
            for k in range(4 if emo == 1 else 8):
                rows.append({"actor": actor, "speaker": f"{actor:02d}", "emotion": emo, "k": k})
    return pd.DataFrame(rows)


def test_random_holdout_and_kfold_are_stratified(ravdess_like):
    y = ravdess_like["emotion"]
    [(train, test)] = splits.random_holdout(y)
    assert (len(train), len(test)) == (1152, 288)
    assert y.iloc[test].value_counts()[1] == 19 or y.iloc[test].value_counts()[1] == 20
    folds = splits.stratified_kfold(y)
    assert len(folds) == 5
    assert sorted(np.concatenate([t for _, t in folds]).tolist()) == list(range(1440))
    # random protocols share speakers between train and test: the leakage check says so
    with pytest.raises(splits.LeakageError):
        splits.assert_disjoint(ravdess_like["speaker"], folds)


def test_actor_holdouts(ravdess_like):
    actors = ravdess_like["actor"]
    [(train, test)] = splits.actor_holdout(actors, splits.SEED001_TEST_ACTORS)
    assert len(test) == 180 and set(actors.iloc[test]) == {22, 23, 24}
    parts = splits.seed003_split(actors)
    assert {k: len(v) for k, v in parts.items()} == {"train": 1080, "dev": 180, "test": 180}
    with pytest.raises(ValueError, match="not in the table"):
        splits.actor_holdout(actors[actors < 20], (22,))


def test_emobox_folds_cover_every_actor_once(ravdess_like):
    folds = splits.emobox_ravdess_folds(ravdess_like["actor"])
    assert len(folds) == 6
    test_actors = [a for _, t in folds for a in set(ravdess_like["actor"].iloc[t])]
    assert sorted(test_actors) == list(range(1, 25))
    table = splits.describe_splits(ravdess_like, folds)
    assert (table["shared_speakers"] == 0).all() and (table["n_test"] == 240).all()


def test_group_kfold_is_speaker_independent(ravdess_like):
    folds = splits.group_kfold(ravdess_like["actor"], ravdess_like["emotion"], n_splits=3)
    splits.assert_disjoint(ravdess_like["actor"], folds)
    assert len(folds) == 3


def test_recording_split_keeps_segments_together():
    recordings = np.repeat([f"r{i}" for i in range(50)], [1 + i % 3 for i in range(50)])
    [(train, test)] = splits.recording_holdout(recordings, test_size=0.2, seed=1)
    assert not set(recordings[train]) & set(recordings[test])
    assert len(set(recordings[test])) == 10


def test_loso_and_leak_detection():
    speakers = np.repeat(["01", "02", "03"], 4)
    folds = splits.leave_one_speaker_out(speakers)
    assert [sorted(set(speakers[t])) for _, t in folds] == [["01"], ["02"], ["03"]]
    leaky = [(np.array([0, 1, 4]), np.array([2, 3, 5]))]
    with pytest.raises(splits.LeakageError, match="'01'"):
        splits.assert_disjoint(speakers, leaky)
