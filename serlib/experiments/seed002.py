"""Seed 002's MFCC CNN, a comparison row for EmoCatcher on the same RAVDESS protocols.

The seed (``audioClassification.ipynb``) loads each file, keeps 3 s starting 0.9 s into it
(zero-padded when shorter), computes 32 MFCCs and classifies them with a small 2-D CNN: four
blocks of [Conv2d 3x3, ReLU, BatchNorm, AvgPool 2x2] with 8, 16, 32 and 16 channels, dropout
0.2 and one linear layer; Adam (lr 1e-3) with ``CosineAnnealingWarmRestarts``. It trained on
speech and song (2452 files); the song corpus is not available here, so this is speech only.

The model takes the same ``(x, lengths)`` arguments as :class:`serlib.models.cabg.EmoCatcher`, so
that :mod:`serlib.training` trains and evaluates both (every input has the same length here).

The seed's second model drops "sad" and trains on the seven other classes (Adam with
``CosineAnnealingWarmRestarts``). :func:`seven_class_runs` keeps a protocol's folds with the sad
clips removed from every part, :func:`train_seven_class` trains them with seven outputs and
stores them like :func:`serlib.experiments.cabg_runs.train_run`, and :func:`seven_class_result`
re-evaluates
the stored runs (``variant`` :data:`SEVEN_VARIANT`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from serlib.features.acoustic import MFCC_PARAMS, mfcc_input_file
from serlib.models import cabg
from serlib.training import runstore

#: The class the seed's second model leaves out, and the seven classes it keeps (cabg order).
DROPPED = "sad"


SEVEN_CLASSES = tuple(e for e in cabg.EMOTIONS if e != DROPPED)


#: Run-name variant (and run-store recipe) of the 7-class runs.
SEVEN_VARIANT = "mfcc-cnn-7class"


@dataclass
class SevenClassData:
    """The corpus without the dropped class: ``keep`` (positions into the full table),
    ``y`` (class numbers into :data:`SEVEN_CLASSES`) and ``speakers``, all in ``keep`` order."""

    keep: np.ndarray
    y: np.ndarray
    speakers: np.ndarray


def seven_class_data(table, y8: Sequence[int]) -> SevenClassData:
    """The 7-class view of a corpus table whose ``y8`` are indices into ``cabg.EMOTIONS``."""
    y8 = np.asarray(y8)
    sad = cabg.EMOTIONS.index(DROPPED)
    keep = np.flatnonzero(y8 != sad)
    lookup = {cabg.EMOTIONS.index(e): i for i, e in enumerate(SEVEN_CLASSES)}
    return SevenClassData(keep, np.array([lookup[int(v)] for v in y8[keep]], dtype=np.int64),
                          table["speaker"].to_numpy()[keep])


def seven_class_runs(protocol: str, table, y8: Sequence[int], seeds: Sequence[int],
                     folds: Sequence[int] | None = None):
    """The runs of ``protocol`` (:func:`serlib.experiments.cabg_runs.protocol_runs`, the same folds,
    validation parts and seeds as the 8-class runs) with the sad clips removed from the fit,
    validation and test parts. Positions index the 7-class view (:func:`seven_class_data`);
    the test ids follow. Returns ``(runs, data)``."""
    from serlib.experiments import cabg_runs

    data = seven_class_data(table, y8)
    new = np.full(len(y8), -1, dtype=np.intp)
    new[data.keep] = np.arange(len(data.keep))
    ids = table["id"].to_numpy()
    runs = []
    for run in cabg_runs.protocol_runs(protocol, table, y8, seeds, variant=SEVEN_VARIANT,
                                      folds=folds):
        parts = [new[idx[new[idx] >= 0]] for idx in (run.fit_idx, run.val_idx, run.test_idx)]
        runs.append(cabg_runs.RunSpec(run.protocol, run.fold, run.seed, *parts,
                                     variant=SEVEN_VARIANT,
                                     test_ids=tuple(ids[data.keep[parts[2]]]),
                                     corpus=run.corpus))
    return runs, data


def train_seven_class(run, inputs: Sequence[np.ndarray], y7: Sequence[int], config,
                      out_dir: Path | str, log: Callable[[str], None] | None = None):
    """Train one 7-class run (``inputs`` and ``y7`` in the 7-class view) with
    :func:`serlib.training.torch_training.fit` and seven outputs; store its validation-selected
    weights
    (``<name>.pt``, float16, a few kB), test probabilities, history and record in ``out_dir``,
    as :func:`serlib.experiments.cabg_runs.train_run` does. Returns the fit."""
    from serlib.experiments import cabg_runs
    from serlib.training import torch_training

    y7 = np.asarray(y7)
    cfg = torch_training.TrainConfig(**{**asdict(config), "seed": run.seed})

    def pick(idx):
        return [inputs[i] for i in idx]

    result = torch_training.fit(pick(run.fit_idx), y7[run.fit_idx], pick(run.val_idx),
                          y7[run.val_idx], pick(run.test_idx), y7[run.test_idx], cfg,
                          num_classes=len(SEVEN_CLASSES), log=log)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch_training.save_checkpoint(cabg_runs.checkpoint_path(out_dir, run), result.best_state,
                             result.model_kwargs, cfg,
                             {"protocol": run.protocol, "fold": run.fold, "seed": run.seed,
                              "epoch": result.best_epoch, "n_fit": len(run.fit_idx),
                              "n_val": len(run.val_idx), "n_test": len(run.test_idx),
                              "variant": run.variant, "classes": list(SEVEN_CLASSES)})
    cabg_runs.save_test_probabilities(run, inputs, out_dir, cfg.eval_batch_size)
    history = result.history.assign(protocol=run.protocol, variant=run.variant, fold=run.fold,
                                    seed=run.seed)
    history.drop(columns=["seconds"]).to_csv(out_dir / f"{run.name}.csv", index=False)
    runstore.write_record(out_dir, cabg_runs.run_record(
        run, cfg.arch, f"epoch {result.best_epoch}",
        seconds_per_epoch=round(float(result.history["seconds"].mean()), 3)))
    return result


def seven_class_result(protocol: str, table, y8: Sequence[int], mfccs: Sequence[np.ndarray],
                       config, seeds: Sequence[int], folder: Path | str, *,
                       folds: Sequence[int] | None = None, train: str = "never",
                       log: Callable[[str], None] | None = None):
    """Like :func:`serlib.experiments.cabg_runs.run_protocol` for the 7-class runs: train
    (``train``:
    ``never``, ``missing`` or ``all``), then re-evaluate every stored run on its test part
    (ids checked). ``mfccs`` are the 8-class corpus' inputs (full table order). Returns
    ``(result, data)``: a :class:`serlib.experiments.cabg_runs.ProtocolResult` in the 7-class view
    and the
    view (:func:`seven_class_data`)."""
    from serlib.experiments import cabg_runs

    if train not in ("never", "missing", "all"):
        raise ValueError(f"train must be never, missing or all, not {train!r}")
    runs, data = seven_class_runs(protocol, table, y8, seeds, folds)
    inputs = [np.asarray(mfccs[i], dtype=np.float32) for i in data.keep]
    folder = Path(folder)
    result = cabg_runs.ProtocolResult(protocol, runs)
    for run in runs:
        if train == "all" or (train == "missing" and not cabg_runs.has_result(run, folder)):
            train_seven_class(run, inputs, data.y, config, folder, log=log)
            result.trained.append(run.name)
    result.missing = [r.name for r in runs if not cabg_runs.has_result(r, folder)]
    done = [r for r in runs if r.name not in result.missing]
    if not done:
        return result, data
    result.runs = done
    result.scores, result.probs = cabg_runs.evaluate_runs(done, inputs, data.y, folder)
    keep = {(r.fold, r.seed) for r in done}
    h = cabg_runs.load_histories(folder, protocol, SEVEN_VARIANT)
    h = h[[(f, s) in keep for f, s in zip(h["fold"], h["seed"], strict=True)]]
    result.histories = h.reset_index(drop=True)
    result.per_run = cabg_runs.summarize_protocol(result.histories)
    return result, data


def published_seven_class_report():
    """Seed 002's published classification report of its 7-class model (its README): one
    row per class, then ``accuracy``, ``macro avg`` and ``weighted avg`` (columns ``class``,
    ``precision``, ``recall``, ``f1`` as fractions, ``support`` in clips, ``citation``), from
    ``serlib/reference/seed002_7class_report.csv``."""
    import pandas as pd

    return pd.read_csv(Path(__file__).resolve().parents[1] / "reference"
                       / "seed002_7class_report.csv")


def classification_report_frame(y_true: Sequence[int], y_pred: Sequence[int],
                                classes: Sequence[str] = SEVEN_CLASSES):
    """scikit-learn's ``classification_report`` of class numbers into ``classes`` as a
    table: one row per class and ``accuracy``, ``macro avg``, ``weighted avg`` (columns
    ``precision``, ``recall``, ``f1``, ``support``; fractions and clip counts)."""
    import pandas as pd
    from sklearn.metrics import classification_report

    report = classification_report(y_true, y_pred, labels=list(range(len(classes))),
                                   target_names=list(classes), output_dict=True,
                                   zero_division=0)
    acc = report.pop("accuracy")
    frame = pd.DataFrame(report).T.rename(columns={"f1-score": "f1"})
    frame.loc["accuracy"] = [np.nan, np.nan, acc, frame.loc["macro avg", "support"]]
    frame = frame.loc[[*classes, "accuracy", "macro avg", "weighted avg"]]
    return frame.astype({"support": int})


def main(argv: list[str] | None = None) -> int:
    """``python -m serlib.experiments.seed002 train-7class --protocol P [--seeds S ...] [--folds K
    ...]
    [--epochs N]``: train the missing 7-class runs into ``models/mfcc_cnn`` with chapter 06's
    settings (Adam lr 1e-3, cosine restarts every 10 epochs, batch 32, no label smoothing)."""
    import argparse
    import time

    from serlib import paths
    from serlib.data import corpora
    from serlib.experiments import cabg_runs
    from serlib.features import extraction
    from serlib.training import torch_training

    parser = argparse.ArgumentParser(prog="python -m serlib.experiments.seed002")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train-7class", help="train the missing 7-class runs of seed 002")
    p.add_argument("--protocol", nargs="+", default=["random-holdout-8-2"],
                   choices=cabg_runs.PROTOCOLS)
    p.add_argument("--seeds", nargs="+", type=int, default=[999])
    p.add_argument("--folds", nargs="+", type=int, default=None)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--out", type=Path, default=paths.project_root() / "models" / "mfcc_cnn")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        raise SystemExit(f"--epochs must be at least 1, not {args.epochs}")
    torch.set_num_threads(1)
    table = corpora.load_ravdess().table
    y8 = table["emotion"].map(cabg.EMOTIONS.index).to_numpy()
    run = extraction.extract(table["path"], mfcc_input_file, dict(MFCC_PARAMS), n_jobs=1,
                           progress=False)
    mfccs = [v["mfcc"] for v in run.values]
    config = torch_training.TrainConfig(arch="mfcc-cnn", optimizer="adam",
                                        schedule="cosine-restarts",
                                  restart_epochs=10, epochs=args.epochs, lr=1e-3, batch_size=32,
                                  label_smoothing=0.0, weight_decay=0.0)
    for protocol in args.protocol:
        start = time.perf_counter()
        result, _ = seven_class_result(protocol, table, y8, mfccs, config, args.seeds,
                                       args.out, folds=args.folds, train="missing")
        print(f"{protocol}: trained {len(result.trained)}; "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        if result.available:
            print(result.table().to_string(index=False), flush=True)
    return 0


if __name__ == "__main__":  # run the imported module, so that cache keys name it
    from serlib.experiments.seed002 import main as _main

    raise SystemExit(_main())
