"""Cold and warm extraction time of every cached representation, over both whole corpora.

Run: SERLIB_DATA=../shared/data .venv/bin/python benchmarks/feature_extraction.py
It uses a fresh, temporary cache (cold), then the same cache again (warm), and writes the table
to benchmarks/feature_extraction.md.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from serlib.data import corpora
from serlib.features import acoustic, extraction


def main(n_jobs: int = -1) -> pd.DataFrame:
    ravdess, aesdd = corpora.load_ravdess(), corpora.load_aesdd()
    jobs = [
        ("clip features (seed 001)", ravdess.table["path"].tolist() + aesdd.table["path"].tolist(),
         acoustic.clip_vector, {}),
        ("EmoCatcher 64-mel + VAD (seed 000)", ravdess.table["path"].tolist(),
         acoustic.emocatcher_input_file, {}),
        ("AESDD 3 s segments, 128-mel (seed 004)", aesdd.table["path"].tolist(),
         acoustic.aesdd_segment_mels, {"sr": 44100}),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as store:
        for name, files, func, params in jobs:
            times = {}
            for phase in ("cold", "warm"):
                start = time.perf_counter()
                run = extraction.extract(files, func, params, n_jobs=n_jobs, cache_dir=Path(store),
                                       progress=False)
                times[phase] = time.perf_counter() - start
                assert run.failed.empty, run.failed
            rows.append({"representation": name, "files": len(files),
                         "cold_s": round(times["cold"], 1), "warm_s": round(times["warm"], 1)})
    table = pd.DataFrame(rows)
    total = table[["files", "cold_s", "warm_s"]].sum()
    table.loc[len(table)] = {"representation": "all", **total.to_dict()}
    return table


if __name__ == "__main__":
    result = main()
    text = (f"Feature extraction over both corpora, {os.cpu_count()} cores, n_jobs -1 "
            f"(seconds, wall clock)\n\n{result.to_markdown(index=False)}\n")
    Path(__file__).with_suffix(".md").write_text(text)
    print(text)
