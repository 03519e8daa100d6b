import numpy as np
import pandas as pd
import pytest

from serlib.evaluation import results_table, scoring


def test_metrics_war_and_uar():
    y_true = ["a"] * 8 + ["b"] * 2
    y_pred = ["a"] * 8 + ["a", "b"]
    m = scoring.classification_metrics(y_true, y_pred)
    assert m["accuracy"] == pytest.approx(0.9)  # WAR
    assert m["uar"] == pytest.approx((1.0 + 0.5) / 2)


def test_summarize_and_format():
    summary = scoring.summarize_folds([{"accuracy": 0.8}, {"accuracy": 0.9}])
    assert summary.loc["accuracy", "mean"] == pytest.approx(0.85)
    assert summary.loc["accuracy", "std"] == pytest.approx(0.05)
    assert summary.loc["accuracy", "n"] == 2
    assert scoring.format_mean_std(0.8417, 0.0236) == "84.2 +- 2.4"


def test_upsert_replaces_same_key(tmp_path):
    summary = pd.DataFrame({"mean": [0.5], "std": [0.1], "n": [6]}, index=["accuracy"])
    rows = results_table.make_rows("ravdess", "emobox-6fold", "lr", summary, notebook="04",
                                selection="validation")
    results_table.upsert_results(tmp_path, rows)
    summary.loc["accuracy", "mean"] = 0.6
    results_table.upsert_results(tmp_path, results_table.make_rows(
        "ravdess", "emobox-6fold", "lr", summary, notebook="04", selection="validation"))
    results_table.upsert_results(tmp_path, results_table.make_rows("ravdess", "random-5fold", "lr",
                                                            summary, selection="validation"))
    table = results_table.read_results(tmp_path)
    assert len(table) == 2
    assert table.loc[table["protocol"] == "emobox-6fold", "mean"].item() == 0.6
    with pytest.raises(ValueError, match="accepted: ours, seed, anchor"):
        results_table.make_rows("x", "y", "z", summary, source="mine")


def test_predictions_round_trip(tmp_path):
    table = pd.DataFrame({"file": ["a.wav", "b.wav"], "speaker": ["01", "02"],
                          "y_true": ["sad", "calm"], "y_pred": ["calm", "calm"], "fold": [1, 2],
                          "prob_calm": [0.6, 0.9], "prob_sad": [0.4, 0.1]})
    results_table.save_predictions(tmp_path, "ravdess", "emobox-6fold", "cabg", table)
    loaded = results_table.load_predictions(tmp_path)
    got = loaded[("ravdess", "emobox-6fold", "cabg")]
    assert got["y_pred"].tolist() == ["calm", "calm"] and got["prob_sad"].tolist() == [0.4, 0.1]
    with pytest.raises(ValueError, match="fold"):
        results_table.save_predictions(tmp_path, "r", "p", "m", table.drop(columns="fold"))


def test_results_file_keeps_types(tmp_path):
    summary = pd.DataFrame({"mean": [0.42], "std": [float("nan")], "n": [1]}, index=["accuracy"])
    results_table.upsert_results(tmp_path, results_table.make_rows("r", "p", "m", summary,
                                                             source="seed", notebook="04"))
    table = results_table.read_results(tmp_path)
    assert table["notebook"].tolist() == ["04"] and table["note"].tolist() == [""]
    assert table["std"].dtype.kind == "f" and table["mean"].dtype.kind == "f"


def test_result_rows_keep_enough_decimals_to_round_once():
    # 0.884549 is 88.5 % at one decimal; stored with four decimals it would read 88.4 %
    summary = pd.DataFrame({"mean": [0.884549], "std": [0.005123], "n": [4]}, index=["accuracy"])
    row = results_table.make_rows("ravdess", "random-5fold", "cabg", summary,
                               selection="validation")[0]
    assert scoring.format_mean_std(row["mean"], row["std"]) == "88.5 +- 0.5"



def _predictions(n_speakers=6, clips=20, acc_by_speaker=None, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_speakers):
        p = acc_by_speaker[s] if acc_by_speaker else 0.7
        for c in range(clips):
            y = c % 4
            rows.append({"speaker": f"s{s}", "y_true": y,
                         "y_pred": y if rng.random() < p else (y + 1) % 4, "replicate": 0})
    return pd.DataFrame(rows)


def test_speaker_bootstrap_is_wider_when_speakers_differ():
    alike = _predictions(acc_by_speaker=[0.7] * 6)
    unlike = _predictions(acc_by_speaker=[0.3, 0.95, 0.4, 0.9, 0.5, 1.0])
    lo_a, hi_a = scoring.speaker_bootstrap_interval(alike)
    lo_u, hi_u = scoring.speaker_bootstrap_interval(unlike)
    acc = (unlike["y_true"] == unlike["y_pred"]).mean()
    assert lo_u < acc < hi_u
    assert hi_u - lo_u > 1.5 * (hi_a - lo_a)
    lo, hi = scoring.speaker_bootstrap_interval(unlike, "uar")
    assert 0 <= lo < hi <= 1
    assert scoring.speaker_bootstrap_interval(unlike) == (lo_u, hi_u)  # deterministic


def test_wilson_interval_and_single_split_rows():
    lo, hi = scoring.wilson_interval(0.5, 100)
    assert lo == pytest.approx(0.404, abs=1e-3) and hi == pytest.approx(0.596, abs=1e-3)
    pred = _predictions()
    summary = pd.DataFrame({"mean": [0.7, 0.69], "std": [0.0, 0.0], "n": [1, 1]},
                           index=["accuracy", "uar"])
    rows = results_table.make_rows("ravdess", "p", "m", summary, selection="validation",
                                predictions=pred, single_split=True)
    assert all(r["ci_low"] < r["mean"] < r["ci_high"] for r in rows)
    with pytest.raises(ValueError, match="selection"):
        results_table.make_rows("ravdess", "p", "m", summary)
    with pytest.raises(ValueError, match="accepted: validation"):
        results_table.make_rows("ravdess", "p", "m", summary, selection="best")


def test_primary_comes_from_the_plan_and_never_from_test_picked_rows():
    table = pd.DataFrame({"corpus": ["r"] * 3, "protocol": ["p"] * 3,
                          "model": ["a", "b", "c"], "source": ["ours"] * 3,
                          "selection": ["validation", "post-hoc", "validation"]})
    plan = pd.DataFrame({"corpus": ["r", "r"], "protocol": ["p", "p"], "model": ["a", "b"]})
    assert results_table.mark_primary(table, plan)["primary"].tolist() == [True, False, False]


def test_published_rows_carry_citations():
    rows = results_table.published_rows(notebook="06")
    assert rows and all(r["selection"] == "published" and r["source"] in ("seed", "anchor")
                        for r in rows)
    assert all(r["note"] for r in rows)


def test_bootstrap_interval_contains_the_estimate_when_replicates_are_folds():
    """Leave-one-speaker-out: each fold tests one speaker; a resample that misses a fold's
    speaker must not count that fold as 0 % (it was a biased-low interval once)."""
    pred = _predictions(acc_by_speaker=[0.4, 0.6, 0.5, 0.7, 0.55, 0.65])
    pred["replicate"] = pred["speaker"]  # one fold per speaker
    lo, hi = scoring.speaker_bootstrap_interval(pred)
    per_fold = pred.assign(hit=pred["y_true"] == pred["y_pred"]).groupby("speaker")["hit"].mean()
    assert lo < per_fold.mean() < hi
