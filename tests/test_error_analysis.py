import numpy as np
import pandas as pd
import pytest

from serlib.evaluation import error_analysis as ea


@pytest.fixture
def pred() -> pd.DataFrame:
    return pd.DataFrame({
        "y_true": ["calm", "calm", "sad", "sad", "sad", "happy"],
        "y_pred": ["calm", "sad", "calm", "calm", "sad", "happy"],
        "intensity": ["normal", "strong", "normal", "strong", "strong", "normal"],
        "prob_calm": [0.9, 0.4, 0.6, 0.7, 0.2, 0.1],
        "prob_happy": [0.05, 0.1, 0.1, 0.1, 0.1, 0.8],
        "prob_sad": [0.05, 0.5, 0.3, 0.2, 0.7, 0.1],
    })


def test_recall_and_pairs(pred):
    recall = ea.per_class_recall(pred, ["calm", "sad", "happy"])
    assert recall.tolist() == pytest.approx([0.5, 1 / 3, 1.0])
    pairs = ea.confused_pairs(pred)
    top = pairs.iloc[0]
    assert (top.y_true, top.y_pred, top.errors, top.share_of_true_class) == ("sad", "calm", 2,
                                                                            0.667)


def test_accuracy_by_factor(pred):
    table = ea.accuracy_by(pred, "intensity", n_boot=200)
    assert table.loc["normal", "accuracy"] == pytest.approx(2 / 3)
    assert table.loc["strong", "n"] == 3
    assert (table["ci_low"] <= table["accuracy"]).all()
    assert (table["accuracy"] <= table["ci_high"]).all()


def test_mcnemar():
    a = np.array([True] * 30 + [False] * 10)
    b = np.array([True] * 10 + [False] * 30)
    result = ea.mcnemar(a, b)
    assert (result["only_a"], result["only_b"]) == (20, 0) and result["p_value"] < 1e-5
    assert ea.mcnemar(a, a)["p_value"] == 1.0
    with pytest.raises(ValueError, match="same recordings"):
        ea.mcnemar(a, b[:5])


def test_bootstrap_ci_brackets_mean():
    low, high = ea.bootstrap_ci([1, 0] * 100)
    assert low < 0.5 < high and high - low < 0.2


def test_calibration(pred):
    table, ece = ea.calibration(pred, n_bins=5)
    assert table["n"].sum() == 6 and 0 <= ece <= 1
    perfect = pd.DataFrame({"y_true": ["a", "b"], "y_pred": ["a", "b"],
                            "prob_a": [1.0, 0.0], "prob_b": [0.0, 1.0]})
    assert ea.calibration(perfect)[1] == 0.0
    with pytest.raises(ValueError, match="probabilities"):
        ea.calibration(pred.drop(columns=["prob_calm", "prob_happy", "prob_sad"]))


def test_protocol_gap_and_paired_bootstrap():
    results = pd.DataFrame({
        "corpus": ["ravdess"] * 3, "model": ["svm"] * 3, "metric": ["accuracy"] * 3,
        "source": ["ours"] * 3, "mean": [0.80, 0.50, 0.60],
        "protocol": ["random-5fold", "emobox-6fold", "actor-holdout-22-24"]})
    gap = ea.protocol_gap(results)
    assert gap.iloc[0]["gap (points)"] == 25.0
    a = np.array([True] * 80 + [False] * 20)
    b = np.array([True] * 50 + [False] * 50)
    diff, low, high = ea.paired_bootstrap_diff(a, b)
    assert diff == pytest.approx(0.3) and low < 0.3 < high and low > 0
