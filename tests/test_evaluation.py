import pandas as pd
import pytest

from serlib import evaluation


def test_metrics_war_and_uar():
    y_true = ["a"] * 8 + ["b"] * 2
    y_pred = ["a"] * 8 + ["a", "b"]
    m = evaluation.classification_metrics(y_true, y_pred)
    assert m["accuracy"] == pytest.approx(0.9)  # WAR
    assert m["uar"] == pytest.approx((1.0 + 0.5) / 2)


def test_summarize_and_format():
    summary = evaluation.summarize_folds([{"accuracy": 0.8}, {"accuracy": 0.9}])
    assert summary.loc["accuracy", "mean"] == pytest.approx(0.85)
    assert summary.loc["accuracy", "std"] == pytest.approx(0.05)
    assert summary.loc["accuracy", "n"] == 2
    assert evaluation.format_mean_std(0.8417, 0.0236) == "84.2 +- 2.4"


def test_upsert_replaces_same_key(tmp_path):
    summary = pd.DataFrame({"mean": [0.5], "std": [0.1], "n": [6]}, index=["accuracy"])
    rows = evaluation.make_rows("ravdess", "emobox-6fold", "lr", summary, notebook="04")
    evaluation.upsert_results(tmp_path, rows)
    summary.loc["accuracy", "mean"] = 0.6
    evaluation.upsert_results(tmp_path, evaluation.make_rows("ravdess", "emobox-6fold", "lr",
                                                            summary, notebook="04"))
    evaluation.upsert_results(tmp_path, evaluation.make_rows("ravdess", "random-5fold", "lr",
                                                            summary))
    table = evaluation.read_results(tmp_path)
    assert len(table) == 2
    assert table.loc[table["protocol"] == "emobox-6fold", "mean"].item() == 0.6
    with pytest.raises(ValueError, match="accepted: ours, seed, anchor"):
        evaluation.make_rows("x", "y", "z", summary, source="mine")


def test_predictions_round_trip(tmp_path):
    table = pd.DataFrame({"file": ["a.wav", "b.wav"], "speaker": ["01", "02"],
                          "y_true": ["sad", "calm"], "y_pred": ["calm", "calm"], "fold": [1, 2],
                          "prob_calm": [0.6, 0.9], "prob_sad": [0.4, 0.1]})
    evaluation.save_predictions(tmp_path, "ravdess", "emobox-6fold", "cabg", table)
    loaded = evaluation.load_predictions(tmp_path)
    got = loaded[("ravdess", "emobox-6fold", "cabg")]
    assert got["y_pred"].tolist() == ["calm", "calm"] and got["prob_sad"].tolist() == [0.4, 0.1]
    with pytest.raises(ValueError, match="fold"):
        evaluation.save_predictions(tmp_path, "r", "p", "m", table.drop(columns="fold"))


def test_results_file_keeps_types(tmp_path):
    summary = pd.DataFrame({"mean": [0.42], "std": [float("nan")], "n": [1]}, index=["accuracy"])
    evaluation.upsert_results(tmp_path, evaluation.make_rows("r", "p", "m", summary,
                                                             source="seed", notebook="04"))
    table = evaluation.read_results(tmp_path)
    assert table["notebook"].tolist() == ["04"] and table["note"].tolist() == [""]
    assert table["std"].dtype.kind == "f" and table["mean"].dtype.kind == "f"


def test_result_rows_keep_enough_decimals_to_round_once():
    # 0.884549 is 88.5 % at one decimal; stored with four decimals it would read 88.4 %
    summary = pd.DataFrame({"mean": [0.884549], "std": [0.005123], "n": [4]}, index=["accuracy"])
    row = evaluation.make_rows("ravdess", "random-5fold", "cabg", summary)[0]
    assert evaluation.format_mean_std(row["mean"], row["std"]) == "88.5 +- 0.5"

