"""Inventory of a corpus folder: what ``python -m serlib audit DIR`` prints.

Counts per field, durations, sample rates, channels, and every unusable file with its reason.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from serlib import corpora

#: The fields worth counting per corpus (besides emotion and speaker).
AUDIT_FIELDS = {
    "ravdess": ["gender", "intensity", "statement", "repetition", "channel", "modality"],
    "aesdd": ["take", "utterance"],
}


def count_table(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Recordings per value of ``column`` (in category order for categoricals), with shares.

    Used in: notebooks/01_eda.ipynb, python -m serlib audit.
    """
    counts = table[column].value_counts(sort=False)
    if not isinstance(table[column].dtype, pd.CategoricalDtype):
        counts = counts.sort_index()
    out = counts.rename("recordings").to_frame()
    out["share"] = (out["recordings"] / out["recordings"].sum()).round(3)
    out.index.name = column
    return out


def audit_fields(corpus: corpora.Corpus) -> list[str]:
    """The fields :func:`audit_text` counts for ``corpus``: emotion, speaker, then the
    corpus's own (for a manifest: its extra columns with at most 30 distinct values)."""
    table = corpus.table
    if corpus.name in AUDIT_FIELDS:
        extra = AUDIT_FIELDS[corpus.name]
    else:
        skip = {"path", "file", "corpus", "emotion", "speaker", "duration", "sample_rate",
                "channels", "frames", "format"}
        extra = [c for c in table.columns if c not in skip and table[c].nunique() <= 30]
    return ["emotion", "speaker", *[c for c in extra if c in table.columns]]


def duration_summary(table: pd.DataFrame) -> pd.Series:
    """Count, total hours, min, median, mean and max duration in seconds."""
    d = table["duration"]
    return pd.Series({"recordings": len(d), "hours": round(d.sum() / 3600, 2),
                      "min_s": round(d.min(), 2), "median_s": round(d.median(), 2),
                      "mean_s": round(d.mean(), 2), "max_s": round(d.max(), 2)})


def audit_text(corpus: corpora.Corpus) -> str:
    """A readable inventory of a loaded corpus (see module docstring)."""
    table = corpus.table
    lines = [f"Corpus {corpus.name} at {corpus.root}", corpus.summary(), ""]
    if len(table):
        for column in audit_fields(corpus):
            lines += [f"-- recordings per {column}", count_table(table, column).to_string(), ""]
        lines += ["-- durations (seconds)", duration_summary(table).to_string(), ""]
        lines += ["-- sample rates (Hz)", count_table(table, "sample_rate").to_string(), ""]
        lines += ["-- channels", count_table(table, "channels").to_string(), ""]
        lines += ["-- formats", count_table(table, "format").to_string(), ""]
    if len(corpus.skipped):
        lines.append(f"-- {len(corpus.skipped)} file(s) skipped")
        for row in corpus.skipped.itertuples():
            where = Path(row.path)
            where = where.relative_to(corpus.root) if where.is_relative_to(corpus.root) else where
            lines.append(f"{where}: {row.reason}")
    else:
        lines.append("-- no file skipped")
    return "\n".join(lines)


def audit(root: Path | str, corpus: str | None = None) -> str:
    """Load the corpus at ``root`` (recognised from its file names unless ``corpus`` says
    ``ravdess``, ``aesdd`` or ``manifest``) and return its inventory as text.

    Used in: python -m serlib audit.
    """
    name = corpus or corpora.detect_corpus(root)
    return audit_text(corpora.load_corpus(name, root))
