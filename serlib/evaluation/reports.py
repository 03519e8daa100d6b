"""The study's headline table, built from the results file, for ``reports/README.md`` and the
top-level README (between the markers ``<!-- results:start -->`` and ``<!-- results:end -->``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from serlib import paths
from serlib.evaluation import results_table

START, END = "<!-- results:start -->", "<!-- results:end -->"
CAVEAT_START, CAVEAT_END = "<!-- caveats:start -->", "<!-- caveats:end -->"
CROSS_START, CROSS_END = "<!-- cross:start -->", "<!-- cross:end -->"
SOURCE_LABEL = {"ours": "this study", "seed": "seed (published)", "anchor": "external anchor"}


def _value(mean: float, std: float, n: int) -> str:
    return f"{mean * 100:.1f} +- {std * 100:.1f}" if n > 1 and pd.notna(std) else \
        f"{mean * 100:.1f}"


def _interval(lo: float, hi: float) -> str:
    return f"{lo * 100:.1f} to {hi * 100:.1f}" if pd.notna(lo) and pd.notna(hi) else ""


def headline_table(results: pd.DataFrame, metric: str = "accuracy",
                   compact: bool = False) -> pd.DataFrame:
    """One row per corpus, protocol, model and source with ``metric`` as "mean +- std" in
    percent (std omitted where a single number has none), its 95 % interval, and how the
    configuration was chosen.

    ``compact`` keeps, per corpus and protocol, only this study's PRIMARY rows (declared in the
    study plan before their test numbers were read; never test-picked, post-hoc or
    transductive) beside every published row, and says how many of this study's
    configurations were measured on that protocol: the README's table.

    Used in: notebooks/08_error_analysis.ipynb, the README.
    """
    rows = results[results["metric"] == metric].copy()
    tried = (rows[rows["source"] == "ours"].groupby(["corpus", "protocol"])["model"].nunique())
    if compact:
        rows = rows[rows["primary"] | (rows["source"] != "ours")]
    rows["value"] = [_value(m, s, n) for m, s, n in
                     zip(rows["mean"], rows["std"], rows["n"], strict=True)]
    rows["interval"] = [_interval(lo, hi) for lo, hi in
                        zip(rows["ci_low"], rows["ci_high"], strict=True)]
    rows["who"] = rows["source"].map(SOURCE_LABEL)
    rows["tried"] = [int(tried.get((c, p), 0)) if src == "ours" else ""
                     for c, p, src in zip(rows["corpus"], rows["protocol"], rows["source"],
                                          strict=True)]
    order = {"ours": 0, "seed": 1, "anchor": 2}
    rows["_order"] = rows["source"].map(order)
    rows = rows.sort_values(["corpus", "protocol", "_order", "mean"],
                            ascending=[True, True, True, False])
    columns = ["corpus", "protocol", "model", "who", "selection", "value", "interval", "n"]
    if compact:
        columns.insert(-1, "tried")
    table = rows[[*columns, "notebook"]]
    return table.rename(columns={"who": "source", "value": f"{metric} (%)",
                                 "interval": "95 % interval", "n": "folds/seeds",
                                 "tried": "configurations measured"})


def caveat_table(results: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """This study's rows that must never head a table: chosen on the test set
    (``test-picked``), formed after that protocol's test numbers had been seen (``post-hoc``),
    or using the unlabelled test recordings (``transductive``); with their intervals.

    Used in: the README (the labelled second table).
    """
    rows = results[(results["metric"] == metric) & (results["source"] == "ours")
                   & results["selection"].isin(results_table.NOT_PRIMARY)].copy()
    rows["value"] = [_value(m, s, n) for m, s, n in
                     zip(rows["mean"], rows["std"], rows["n"], strict=True)]
    rows["interval"] = [_interval(lo, hi) for lo, hi in
                        zip(rows["ci_low"], rows["ci_high"], strict=True)]
    rows = rows.sort_values(["corpus", "protocol", "selection", "model"])
    return rows[["corpus", "protocol", "model", "selection", "value", "interval", "n",
                 "notebook"]].rename(columns={"value": f"{metric} (%)",
                                              "interval": "95 % interval",
                                              "n": "folds/seeds"})


def cross_corpus_table(results: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """This study's across-corpus rows (protocols ``cross-<train>-to-<test>``, chapter 07): one
    row per pair (trained on, tested on) and one column per model with ``metric`` in percent and
    its 95 % interval; empty when the results file has none.

    Used in: the README (section on classifying your own recordings).
    """
    rows = results[results["protocol"].str.startswith("cross-") & (results["metric"] == metric)
                   & (results["source"] == "ours")]
    if not len(rows):
        return pd.DataFrame()
    pairs = rows["protocol"].str.removeprefix("cross-").str.split("-to-", n=1)
    rows = rows.assign(trained=[p[0] for p in pairs], tested=[p[1] for p in pairs],
                       cell=[f"{m * 100:.1f}" + (f" ({lo * 100:.1f}-{hi * 100:.1f})"
                                                 if pd.notna(lo) and pd.notna(hi) else "")
                             for m, lo, hi in zip(rows["mean"], rows["ci_low"], rows["ci_high"],
                                                  strict=True)])
    table = rows.pivot_table(index=["trained", "tested"], columns="model", values="cell",
                             aggfunc="first").reset_index()
    table.columns.name = None
    return table.rename(columns={"trained": "trained on", "tested": "tested on"})


def markdown_table(table: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table (no extra dependency)."""
    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in table.to_numpy()]
    return "\n".join([head, rule, *body])


def replace_between_markers(text: str, block: str, start: str = START, end: str = END) -> str:
    """Put ``block`` between the markers ``start`` and ``end`` in ``text`` (which must contain
    them)."""
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"markers {start} ... {end} not found")
    return pattern.sub(lambda _: f"{start}\n{block}\n{end}", text)


def write_readme_tables(reports: Path | None = None, readme: Path | None = None,
                        update_readme: bool = True, demo: bool = False) -> str:
    """Regenerate the headline table (primary rows and published numbers) and the labelled
    table of test-picked, post-hoc and transductive rows from ``<reports>/results.csv`` into
    the top-level README (between the markers; skipped with ``update_readme=False``, as for
    demo runs) and into ``<reports>/README.md`` (titled DEMO for ``demo`` runs). Returns the
    headline markdown table.

    Used in: python -m serlib run (after a real-data run), notebooks/08_error_analysis.ipynb.
    """
    reports = Path(reports) if reports else paths.reports_dir()
    readme = Path(readme) if readme else paths.project_root() / "README.md"
    results = results_table.read_results(reports)
    block = (markdown_table(headline_table(results, compact=True)) if len(results)
             else "_no results yet_")
    caveats = caveat_table(results) if len(results) else pd.DataFrame()
    caveat_block = markdown_table(caveats) if len(caveats) else "_none_"
    if update_readme:
        text = replace_between_markers(readme.read_text(), block)
        if CAVEAT_START in text:
            text = replace_between_markers(text, caveat_block, CAVEAT_START, CAVEAT_END)
        if CROSS_START in text:
            cross = cross_corpus_table(results) if len(results) else pd.DataFrame()
            text = replace_between_markers(text, markdown_table(cross) if len(cross)
                                           else "_no cross-corpus rows yet_", CROSS_START,
                                           CROSS_END)
        readme.write_text(text)
    pages = sorted((reports / "html").glob("*.html"))
    links = "\n".join(f"- [{p.stem}](html/{p.name})" for p in pages)
    title = "# DEMO reports (synthetic demo corpus, not real results)" if demo else "# Reports"
    label = " (DEMO: synthetic corpus)" if demo else ""
    (reports / "README.md").write_text(
        f"{title}\n\nGenerated by `python -m serlib run` from the executed notebooks and "
        "`results.csv`; do not edit by hand.\n\n## Notebooks (HTML, open in any browser)\n\n"
        f"{links}\n\n## Headline results{label} (accuracy, %; primary rows of the study plan "
        f"and published numbers)\n\n{START}\n{block}\n{END}\n\n"
        f"## Rows chosen on test data, formed after it, or transductive{label}\n\n"
        f"{CAVEAT_START}\n{caveat_block}\n{CAVEAT_END}\n\n"
        "Figures: `figures/`. Every number comes from `results.csv`, written by the notebooks.\n")
    return block
