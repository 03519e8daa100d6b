import pandas as pd
import pytest

from serlib.evaluation import reports, results_table


def _results(tmp_path):
    summary = pd.DataFrame({"mean": [0.612, 0.55], "std": [0.031, 0.02], "n": [6, 6]},
                           index=["accuracy", "uar"])
    rows = results_table.make_rows("ravdess", "emobox-6fold", "svm-rbf", summary, notebook="04",
                                selection="validation")
    seed = pd.DataFrame({"mean": [0.422], "std": [0.0], "n": [1]}, index=["accuracy"])
    rows += results_table.make_rows("ravdess", "actor-holdout-22-24", "lr", seed, source="seed")
    results_table.upsert_results(tmp_path, rows)
    return results_table.read_results(tmp_path)


def test_headline_table_formats_mean_and_spread(tmp_path):
    table = reports.headline_table(_results(tmp_path))
    assert table["accuracy (%)"].tolist() == ["42.2", "61.2 +- 3.1"]
    assert set(table["source"]) == {"seed (published)", "this study"}


def test_readme_tables_between_markers(tmp_path):
    _results(tmp_path)
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "01_eda.html").write_text("<html></html>")
    readme = tmp_path / "top" / "README.md"
    readme.parent.mkdir()
    readme.write_text(f"intro\n{reports.START}\nPLACEHOLDER\n{reports.END}\noutro\n")
    results = results_table.read_results(tmp_path)
    results.loc[results["model"] == "svm-rbf", "primary"] = True
    results.to_csv(tmp_path / "results.csv", index=False)
    block = reports.write_readme_tables(tmp_path, readme)
    text = readme.read_text()
    assert "PLACEHOLDER" not in text and "61.2 +- 3.1" in text and text.endswith("outro\n")
    assert block in (tmp_path / "README.md").read_text()
    assert "[01_eda](html/01_eda.html)" in (tmp_path / "README.md").read_text()
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        reports.write_readme_tables(tmp_path, readme)


def test_compact_table_keeps_primary_rows_and_every_reference(tmp_path):
    results = _results(tmp_path)
    primary = results.iloc[[0]].assign(model="lr", mean=0.5, source="ours", primary=True)
    picked = results.iloc[[0]].assign(model="lr test-picked", mean=0.9, source="ours",
                                      selection="test-picked")
    table = reports.headline_table(pd.concat([results, primary, picked]), compact=True)
    ours = table[table["source"] == "this study"]
    assert ours["model"].tolist() == ["lr"]  # the best test score is not what heads the table
    assert ours["configurations measured"].tolist() == [2]  # lr and lr test-picked
    assert "seed (published)" in set(table["source"])
    caveats = reports.caveat_table(pd.concat([results, picked]))
    assert caveats["model"].tolist() == ["lr test-picked"]


def test_readme_table_traces_to_the_results_file():
    """Every number in the README's headline table is what the results file says now."""
    from serlib import paths

    readme = (paths.project_root() / "README.md").read_text()
    start, end = readme.index(reports.START), readme.index(reports.END)
    committed = readme[start + len(reports.START):end].strip()
    results = results_table.read_results(paths.reports_dir())
    assert len(results), "reports/results.csv is empty"
    assert committed == reports.markdown_table(reports.headline_table(results, compact=True))
    ours = results[(results["source"] == "ours") & (results["metric"] == "accuracy")]
    shown = ours[ours["primary"]]
    assert len(shown), "no primary row: the study plan names none that was measured"
    assert shown["selection"].isin(["validation", "fixed-budget"]).all()
    assert shown["ci_low"].notna().all() and shown["ci_high"].notna().all()


def test_cross_corpus_table_one_row_per_pair_with_intervals(tmp_path):
    summary = pd.DataFrame({"mean": [0.421], "std": [0.0], "n": [1]}, index=["accuracy"])
    preds = pd.DataFrame({"speaker": [f"s{i % 10}" for i in range(200)],
                          "y_true": [i % 6 for i in range(200)],
                          "y_pred": [(i % 6) if i % 5 else 0 for i in range(200)],
                          "replicate": 0})
    rows = results_table.make_rows("emodb", "cross-ravdess-to-emodb", "cabg", summary,
                                notebook="07", selection="fixed-budget", predictions=preds)
    rows += results_table.make_rows("emodb", "cross-ravdess-to-emodb", "lr", summary,
                                 notebook="07", selection="fixed-budget")
    rows += results_table.make_rows("ravdess", "emobox-6fold", "lr", summary, notebook="04",
                                 selection="validation")
    results_table.upsert_results(tmp_path, rows)
    table = reports.cross_corpus_table(results_table.read_results(tmp_path))
    assert table[["trained on", "tested on"]].values.tolist() == [["ravdess", "emodb"]]
    assert table["lr"].iloc[0] == "42.1"
    assert table["cabg"].iloc[0].startswith("42.1 (") and "-" in table["cabg"].iloc[0]
    assert reports.cross_corpus_table(results_table.read_results(tmp_path).iloc[0:0]).empty
