"""predict's warning quotes the cross-corpus rows of the results file, read when asked."""

from pathlib import Path

import pandas as pd

from serlib.app import predict_warning


def test_warning_reads_the_numbers_from_the_results_file(tmp_path: Path):
    path = tmp_path / "results.csv"
    assert "not in reports/results.csv yet" in predict_warning.warning_text(path)
    model = predict_warning.WARNING_MODEL
    to_emodb = "cross-ravdess-to-emodb"
    pd.DataFrame([
        {"protocol": to_emodb, "model": model, "metric": "accuracy", "mean": 0.4321},
        {"protocol": "cross-ravdess-to-emodb", "model": model, "metric": "uar", "mean": 0.4},
        {"protocol": "cross-emodb-to-ravdess", "model": model, "metric": "accuracy", "mean": 0.9},
        {"protocol": "cross-ravdess-to-aesdd", "model": "other", "metric": "accuracy", "mean": 0.9},
    ]).to_csv(path, index=False)
    assert predict_warning.cross_corpus_numbers(path) == {"emodb": {"accuracy": 0.4321,
                                                                    "uar": 0.4}}
    text = predict_warning.warning_text(path)
    assert "EMO-DB (German): 43.2 % accuracy, 40.0 % UAR" in text and "90.0" not in text
