"""What retraining every stored model of the chapters costs on this machine.

Sums the single-thread training time that every stored run recorded (its record's
``seconds_per_epoch`` times the epochs of its log, or its selection + refit seconds; Keras runs:
their ``seconds``), per run store, and divides by two for the wall time on two cores: the runs
are independent, and ``ensure_trained(n_jobs=2)`` / two background processes train two at a
time. The recorded times were measured while other jobs shared the machine, so they overstate
what a quiet machine needs. Feature extraction (about a minute cold, see
``feature_extraction.md``) and the scikit-learn fits of chapters 03-04 (refitted on every run,
minutes) come on top.

Run: .venv/bin/python benchmarks/retrain_time.py
Writes benchmarks/retrain_time.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from serlib import paths
from serlib.training import runstore

HERE = Path(__file__).parent
#: Run stores with run records, and the chapter that reads each.
RECORD_STORES = {"models/cabg": "06, 07", "models/cabg/cross": "07", "models/cabg_emodb": "07",
                 "models/mfcc_cnn": "06", "models/seed001_nets": "04",
                 "models/seed003_bigru": "06"}


def ablation_seconds(folder: Path) -> list[float]:
    """Seconds of the CABG ablation runs and of the nested selection's inner runs (chapter 07):
    ``seconds_per_epoch`` in their small JSON files times the rows of their logs."""
    out = []
    for log in sorted(folder.glob("*.csv")):
        meta = folder / f"{log.stem}.json"
        if meta.is_file():
            spe = json.loads(meta.read_text()).get("seconds_per_epoch")
            if spe:
                out.append(float(spe) * (len(log.read_text().splitlines()) - 1))
    return out


def keras_seconds(folder: Path) -> list[float]:
    """Seconds of the Keras runs of chapter 05 (their facts files' ``seconds``)."""
    out = []
    for path in sorted(folder.glob("*.json")):
        facts = json.loads(path.read_text())
        if "seconds" in facts:
            out.append(float(facts["seconds"]))
    return out


def main() -> pd.DataFrame:
    root = paths.project_root()
    rows = []
    for store, chapters in RECORD_STORES.items():
        if (root / store).is_dir():
            seconds = [r["seconds"] for r in runstore.training_seconds(root / store)]
            rows.append({"store": store, "chapters": chapters, "runs": len(seconds),
                         "seconds": sum(seconds)})
    for store in ("models/cabg/ablations", "models/cabg/nested"):  # logs + small JSON files
        abl = ablation_seconds(root / store)
        rows.append({"store": store, "chapters": "07", "runs": len(abl), "seconds": sum(abl)})
    ker = keras_seconds(root / "models/keras_aesdd/runs")
    rows.append({"store": "models/keras_aesdd/runs", "chapters": "05", "runs": len(ker),
                 "seconds": sum(ker)})
    frame = pd.DataFrame(rows)
    total = frame["seconds"].sum()
    lines = [
        "# Retraining every stored model (recorded single-thread training times)",
        "",
        "Sum of the training time each stored run recorded, per run store; wall time on two cores"
        " = total / 2 (independent runs, two at a time). Recorded on a machine shared with other"
        " jobs, so an upper estimate for a quiet 2-core machine.",
        "",
        "| run store | chapters | runs | single-thread hours |",
        "|---|---|---:|---:|",
        *[f"| `{r.store}` | {r.chapters} | {r.runs} | {r.seconds / 3600:.1f} |"
          for r in frame.itertuples()],
        f"| **all** | | **{int(frame['runs'].sum())}** | **{total / 3600:.1f}** |",
        "",
        f"Wall time of the whole retrain on two cores: about **{total / 2 / 3600:.1f} hours**.",
        "",
    ]
    (HERE / "retrain_time.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return frame


if __name__ == "__main__":
    main()
