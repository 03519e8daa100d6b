"""Inventory of a corpus folder: what ``python -m serlib audit DIR`` prints.

Counts per field, durations, sample rates, channels, and every unusable file with its reason;
for a manifest also the labels the normaliser rewrote and the unknown labels with their counts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from serlib.data import corpora

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


#: Columns never counted for a manifest: per-recording values (``id``, paths) and those that
#: have sections of their own.
NOT_COUNTED = frozenset({"path", "file", "corpus", "emotion", "speaker", "duration",
                         "sample_rate", "channels", "frames", "format", "id", "emotion_label",
                         "manifest_id"})


def audit_fields(corpus: corpora.Corpus) -> list[str]:
    """The fields :func:`audit_text` counts for ``corpus``: emotion, speaker, then the
    corpus's own (for a manifest: its extra columns with at most 30 distinct values, never
    the ``id``)."""
    table = corpus.table
    if corpus.kind in AUDIT_FIELDS:
        extra = AUDIT_FIELDS[corpus.kind]
    else:
        extra = [c for c in table.columns if c not in NOT_COUNTED and table[c].nunique() <= 30]
    return ["emotion", "speaker", *[c for c in extra if c in table.columns]]


def unknown_labels(corpus: corpora.Corpus) -> pd.DataFrame:
    """Recordings skipped for an unknown emotion label (a manifest's), per label (normalised
    key), most frequent first, with one example path; empty when there are none."""
    skipped = corpus.skipped
    columns = ["recordings", "example"]
    if "label" not in skipped or not (skipped["label"] != "").any():
        return pd.DataFrame(columns=columns, index=pd.Index([], name="label"))
    rows = skipped[skipped["label"] != ""]
    out = rows.groupby("label", sort=True).agg(recordings=("path", "size"),
                                                example=("path", "first"))
    out["example"] = [_relative(p, corpus.root) for p in out["example"]]
    return out.sort_values("recordings", ascending=False, kind="stable")


def label_mapping(table: pd.DataFrame) -> pd.DataFrame:
    """Recordings per (label as written, quoted; canonical emotion) of a manifest table, for the
    labels the normaliser rewrote; empty when every label was written canonically."""
    if "emotion_label" not in table or table.empty:
        return pd.DataFrame(columns=["written", "emotion", "recordings"])
    pairs = pd.DataFrame({"written": table["emotion_label"],
                          "emotion": table["emotion"].astype(str)})
    pairs = pairs[pairs["written"] != pairs["emotion"]]
    counts = pairs.groupby(["written", "emotion"], sort=True).size().rename("recordings")
    out = counts.reset_index()
    out["written"] = out["written"].map(repr)  # quoted, so that stray spaces show
    return out


def _relative(path: str, root: Path) -> Path:
    where = Path(path)
    return where.relative_to(root) if where.is_relative_to(root) else where


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
    mapping = label_mapping(table)
    if len(mapping):
        lines += ["-- emotion labels normalised (as written -> emotion)",
                  mapping.to_string(index=False), ""]
    unknown = unknown_labels(corpus)
    if len(unknown):
        lines += [f"-- {int(unknown['recordings'].sum())} recording(s) skipped for "
                  f"{len(unknown)} unknown emotion label(s)", unknown.to_string(), ""]
    if len(corpus.skipped):
        lines.append(f"-- {len(corpus.skipped)} file(s) skipped")
        has_label = corpus.skipped["label"] != "" if "label" in corpus.skipped else None
        for i, row in enumerate(corpus.skipped.itertuples()):
            if has_label is not None and has_label.iloc[i]:
                continue  # counted per label above
            lines.append(f"{_relative(row.path, corpus.root)}: {row.reason}")
        if len(unknown):
            lines.append(f"(and the {int(unknown['recordings'].sum())} with unknown labels "
                         "above)")
    else:
        lines.append("-- no file skipped")
    return "\n".join(lines)


def audit(root: Path | str, corpus: str | None = None) -> str:
    """Load the corpus at ``root`` (recognised from its file names unless ``corpus`` says
    ``ravdess``, ``aesdd``, ``emodb`` or ``manifest``) and return its inventory as text.

    Used in: python -m serlib audit.
    """
    name = corpus or corpora.detect_corpus(root)
    return audit_text(corpora.load_corpus(name, root))
