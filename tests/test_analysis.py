import numpy as np
import pandas as pd
import pytest

from serlib.evaluation import analysis
from serlib.protocols import splits


@pytest.fixture
def table() -> pd.DataFrame:
    rows = [{"speaker": s, "statement": st, "emotion": e, "rep": r}
            for s in range(6) for st in (1, 2) for e in ("a", "b") for r in (1, 2)]
    return pd.DataFrame(rows)


def test_train_test_overlap(table):
    keys = {"speaker": ["speaker"], "twin": ["speaker", "statement", "emotion"]}
    independent = splits.leave_one_speaker_out(table["speaker"])
    assert (analysis.train_test_overlap(table, independent, keys).to_numpy() == 0).all()
    # hold out repetition 2 only: every test clip's twin (repetition 1) is in training
    test = np.flatnonzero(table["rep"] == 2)
    train = np.flatnonzero(table["rep"] == 1)
    overlap = analysis.train_test_overlap(table, [(train, test)], keys)
    assert overlap.loc[1, "speaker"] == 1.0 and overlap.loc[1, "twin"] == 1.0


def test_association_pca_and_identification():
    rng = np.random.default_rng(0)
    y = np.repeat(["x", "y", "z"], 40)
    informative = np.select([y == "x", y == "y"], [0.0, 3.0], 6.0) + rng.normal(0, 1, len(y))
    X = pd.DataFrame({"mfcc_mean_0": informative, "chroma_mean_0": rng.normal(0, 1, len(y))})
    assoc = analysis.emotion_association(X, y)
    assert assoc.index[0] == "mfcc_mean_0" and assoc.loc["mfcc_mean_0", "eta2"] > 0.8
    assert assoc.loc["chroma_mean_0", "eta2"] < 0.1
    assert assoc.loc["chroma_mean_0", "group"] == "chroma"
    points, ratio = analysis.pca_2d(X)
    assert points.shape == (120, 2) and ratio.sum() == pytest.approx(1.0)
    mean, std, chance = analysis.identification_accuracy(X, y)
    assert mean > 0.6 and chance == pytest.approx(1 / 3)
