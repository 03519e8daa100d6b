"""Seed 004's Keras CNNs on AESDD: its experiments (the three models as the seed built them, its
ablations over five seeded repeats, SpecAugment and pitch shifting alone, the improved recipes,
speaker-independent protocols), the store of their runs and its checks, and the tables chapter 05
reads.

The seed (Keras on TensorFlow) cut every recording into 3 s segments AFTER splitting the
recordings 80/20, turned each segment into a 128-mel dB spectrogram (128 x 130 at 44.1 kHz) and
trained small CNNs (:mod:`serlib.models.keras_cnn`; Adam, 20 epochs, batch 64). Its accuracies
are per segment; :mod:`serlib.evaluation.recording_level` gives one prediction per recording.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.evaluation.recording_level import recording_labels, recording_proba, run_metrics
from serlib.models.keras_cnn import EMOTIONS, count_params
from serlib.training.keras_training import Run, Segments, TrainConfig, save_model, train_run

PRED_COLUMNS = ["experiment", "split", "recording", "segment", "label"]


def predictions_frame(experiment: str, split: int, run: Run, recording_ids: Sequence[str]
                      ) -> pd.DataFrame:
    """The test segments' probabilities of one run as a long table: ``experiment``, ``split``
    (repeat or fold), ``recording`` (id), ``segment`` (index within the recording), ``label``
    (true class index) and ``p_<emotion>`` columns (float32)."""
    recording_ids = np.asarray(recording_ids)
    seg_index = np.zeros(len(run.rec), dtype=int)
    for r in np.unique(run.rec):
        where = np.flatnonzero(run.rec == r)
        seg_index[where] = np.arange(len(where))
    frame = pd.DataFrame({"experiment": experiment, "split": split,
                          "recording": recording_ids[run.rec], "segment": seg_index,
                          "label": run.y})
    for k, emo in enumerate(EMOTIONS):
        frame[f"p_{emo}"] = run.proba[:, k].astype(np.float32)
    return frame


def metrics_from_predictions(pred: pd.DataFrame) -> pd.DataFrame:
    """:func:`run_metrics` of every (experiment, split) in a predictions table: one row each,
    columns ``experiment``, ``split`` and the metrics."""
    rows = []
    cols = [f"p_{e}" for e in EMOTIONS]
    for (exp, split), part in pred.groupby(["experiment", "split"], sort=False):
        rec = pd.factorize(part["recording"])[0]
        m = run_metrics(part[cols].to_numpy(np.float64), part["label"].to_numpy(), rec)
        rows.append({"experiment": exp, "split": split, **m})
    return pd.DataFrame(rows)


def ensemble_predictions(pred: pd.DataFrame, members: Sequence[str], name: str,
                         complete_only: bool = True) -> pd.DataFrame:
    """Model averaging: a predictions table for a new experiment ``name`` whose segment
    probabilities are the mean over the ``members`` experiments' probabilities of the same
    (split, recording, segment). With ``complete_only`` a split enters only when every member
    has it (otherwise the "ensemble" would be a single model). No test information is used:
    the members and their number are fixed before evaluation.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb.
    """
    cols = [f"p_{e}" for e in EMOTIONS]
    keys = ["split", "recording", "segment", "label"]
    part = pred[pred["experiment"].isin(members)]
    if part.empty:
        return pd.DataFrame(columns=PRED_COLUMNS + cols)
    have = part.groupby("split")["experiment"].nunique()
    splits_ok = have.index[have == len(set(members))] if complete_only else have.index
    part = part[part["split"].isin(splits_ok)]
    mean = part.groupby(keys, sort=False)[cols].mean().reset_index()
    mean.insert(0, "experiment", name)
    return mean[PRED_COLUMNS + cols].sort_values(["split", "recording", "segment"],
                                                  ignore_index=True)


def summarize_experiments(metrics: pd.DataFrame, columns: Sequence[str] = (
        "segment_accuracy", "accuracy", "uar")) -> pd.DataFrame:
    """Mean and std (ddof 0) over splits of each experiment, with the number of splits."""
    g = metrics.groupby("experiment", sort=False)
    out = pd.DataFrame({"n": g.size()})
    for c in columns:
        out[f"{c}_mean"] = g[c].mean()
        out[f"{c}_std"] = g[c].std(ddof=0)
    return out


def run_name(experiment: str, split: int) -> str:
    return f"{experiment}__{int(split)}"


def save_run(folder: Path, experiment: str, split: int, run: Run,
             recording_ids: Sequence[str], keep_model: bool = False) -> None:
    """Write one run under ``folder/runs/``: ``<experiment>__<split>.parquet`` (test segment
    probabilities, :func:`predictions_frame`), ``.history.csv`` and ``.json`` (config, kept
    epoch, times, sizes); with ``keep_model`` also the model (:func:`save_model`)."""
    runs = Path(folder) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    name = run_name(experiment, split)
    predictions_frame(experiment, split, run, recording_ids).to_parquet(runs / f"{name}.parquet")
    hist = run.history.assign(experiment=experiment, split=split)
    hist.to_csv(runs / f"{name}.history.csv", index=False, float_format="%.6g")
    facts = {"experiment": experiment, "split": int(split), "best_epoch": int(run.best_epoch),
             "epochs_run": len(run.history), "seconds": round(run.seconds, 1),
             "cpu_seconds": round(float(run.history["cpu_seconds"].sum()), 1),
             "n_fit_segments": run.n_fit, "n_val_segments": run.n_val,
             "n_test_segments": len(run.y), "n_params": count_params(run.model),
             "config": asdict(run.config)}
    (runs / f"{name}.json").write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")
    if keep_model:
        save_model(run.model, folder, name, run.scale, run.config)


def check_store(pred: pd.DataFrame, exps: dict[str, Experiment], table: pd.DataFrame) -> None:
    """Raise :class:`serlib.training.runstore.RunStoreError` naming the run when a stored run's test
    recordings (the ``recording`` column of its predictions, in order) are not those of its
    experiment's split: a store written for other splits or another copy of the corpus is never
    scored. Runs of experiments not in ``exps`` are ignored."""
    from serlib.training import runstore

    recordings = table["recording_id"].to_numpy()
    for (name, split), part in pred.groupby(["experiment", "split"], sort=False):
        if name not in exps:
            continue
        if split >= len(exps[name].splits):
            raise runstore.RunStoreError(f"stored run {run_name(name, split)}: "
                                         f"{exps[name].protocol} has no split {split}")
        expected = pd.unique(recordings[exps[name].splits[split][1]])
        stored = pd.unique(part["recording"].to_numpy())
        if len(stored) != len(set(stored) & set(expected)) or not np.array_equal(
                stored, [r for r in expected if r in set(stored)]):
            raise runstore.RunStoreError(
                f"stored run {run_name(name, split)} was tested on other recordings than split "
                f"{split} of {exps[name].protocol}: retrain it (retrain=True)")


def done_runs(folder: Path) -> set[str]:
    """Names ``<experiment>__<split>`` of the runs stored in ``folder``."""
    return {p.name[:-5] for p in (Path(folder) / "runs").glob("*.json")}


def load_store(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Everything :func:`save_run` wrote: ``(predictions, histories, facts)``, each one table
    over all runs (empty tables if there are none)."""
    runs = Path(folder) / "runs"
    names = sorted(done_runs(folder))
    if not names:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    pred = pd.concat([pd.read_parquet(runs / f"{n}.parquet") for n in names], ignore_index=True)
    hist = pd.concat([pd.read_csv(runs / f"{n}.history.csv") for n in names], ignore_index=True)
    facts = pd.DataFrame([json.loads((runs / f"{n}.json").read_text()) for n in names])
    return pred, hist, facts


@dataclass
class Experiment:
    """A named configuration evaluated on a list of splits (``protocol``: a results-file
    protocol name; ``splits``: (train rows, test rows) of the corpus table, one per repeat or
    fold)."""

    name: str
    config: TrainConfig
    protocol: str
    splits: list
    keep_models: tuple[int, ...] = ()


def run_experiment(exp: Experiment, segments: dict[str, Segments], recording_ids: Sequence[str],
                   folder: Path, variants: dict[float, Segments] | None = None,
                   skip_done: bool = True, only: Sequence[int] | None = None, log=print
                   ) -> list[str]:
    """Train ``exp.config`` on every split of ``exp`` (seed of split ``k``: ``config.seed +
    k``), asserting that no recording is on both sides, and store each run (:func:`save_run`).
    ``segments`` maps a features key (``"plain"`` or ``"wiener"``) to all the corpus's
    segments; ``variants`` maps a pitch shift to its aligned segments. Runs already stored are
    skipped unless ``skip_done`` is False. Returns the names of the runs trained.

    Used in: notebooks/05_keras_cnn_aesdd.ipynb (retrain), the background training script.
    """
    from serlib.protocols import splits as splits_mod

    trained = []
    data = segments["wiener" if exp.config.wiener else "plain"]
    for k, (train_rows, test_rows) in enumerate(exp.splits):
        name = run_name(exp.name, k)
        if (only is not None and k not in only) or (skip_done and name in done_runs(folder)):
            continue
        train, test = data.take(train_rows), data.take(test_rows)
        splits_mod.assert_disjoint(np.concatenate([train.rec, test.rec]),
                                   [(np.arange(len(train)), len(train) + np.arange(len(test)))],
                                   what="recording")
        config = replace(exp.config, seed=exp.config.seed + k)
        chosen = [variants[s] for s in config.pitch_semitones] if config.pitch_semitones else []
        if log:
            log(f"== {name}: {len(train)} train / {len(test)} test segments")
        run = train_run(train, test, config, variants=chosen, log=log)
        save_run(folder, exp.name, k, run, recording_ids, keep_model=k in exp.keep_models)
        if log:
            m = run_metrics(run.proba, run.y, run.rec)
            log(f"   {name}: kept epoch {run.best_epoch}, segment acc "
                f"{m['segment_accuracy']:.4f}, recording acc {m['accuracy']:.4f}, "
                f"{run.seconds:.0f} s")
        trained.append(name)
    return trained


SEED_PROTOCOL = "seed004-random-80-20"


LOSO_PROTOCOL = "loso-6"


EMOBOX_PROTOCOL = "emobox-25"


#: Seed 004's training (Model3; 20 epochs, batch 64, Adam 1e-3, dropout 0.5, raw dB input).
SEED_CONFIG = TrainConfig()


#: The first improved recipe ("heavy"): Model3 with batch normalisation (momentum 0.9) on
#: standardised input, SpecAugment (2 + 2 masks), pitch-shifted training versions (+-4
#: semitones), a cosine learning rate, and the epoch kept by a validation split of the
#: training recordings (early stopping after 6 epochs without improvement). Its very first run
#: used Keras's default batch-norm momentum 0.99: validation accuracy stayed at chance while
#: training accuracy rose (moving statistics too slow for ~150 steps); experiment
#: ``heavy_aug_bn099`` keeps that run. With momentum 0.9 it still underfits in 20 epochs
#: (training accuracy about 0.6), so it was replaced by :data:`IMPROVED_CONFIG`.
HEAVY_CONFIG = TrainConfig(standardize=True, batch_norm=True, bn_momentum=0.9,
                           specaugment=True, pitch_semitones=(4.0, -4.0), schedule="cosine",
                           val_fraction=0.15, patience=6)


#: The improved recipe: the seed's Model3 on standardised input, pitch-shifted training
#: versions (+-4 semitones, drawn on the fly), milder SpecAugment (one frequency mask of up to
#: 12 bands, one time mask of up to 15 frames), a cosine learning rate over 25 epochs, the last
#: epoch kept (no data held out), and one prediction per recording (test-time averaging).
IMPROVED_CONFIG = TrainConfig(standardize=True, specaugment=True, freq_masks=1, freq_width=12,
                              time_masks=1, time_width=15, pitch_semitones=(4.0, -4.0),
                              schedule="cosine", epochs=25)


#: The seed's recipe plus SpecAugment alone (the seed's suggestion, never run there): two
#: frequency masks of up to 15 mel bands and two time masks of up to 20 frames per training
#: segment (:class:`TrainConfig`'s defaults, fixed before any SpecAugment run), raw dB input,
#: 20 epochs, the last epoch kept.
SPECAUGMENT_CONFIG = replace(SEED_CONFIG, specaugment=True)


#: The seed's recipe plus its pitch-shift augmentation as the seed meant it: every training
#: segment together with two copies shifted by +1/3 and -1/3 octave (+-4 semitones), the
#: training set tripled, 20 epochs, the last epoch kept (in the seed's code the augmentation
#: never ran).
PITCH_CONFIG = replace(SEED_CONFIG, pitch_semitones=(4.0, -4.0), pitch_mode="expand")


#: The seed's ablations and its two augmentations (pitch shift, which it planned, and
#: SpecAugment, which it suggested) on its protocol, each over all five repeats: experiment
#: name -> the seed 004 model of ``serlib/reference/published.csv`` it is compared with
#: (``None``: the seed published no number, only confusion matrices, a verdict or nothing).
SEED_ABLATIONS: dict[str, str | None] = {
    "model1_seed": "keras-model1 (seed 004)", "model2_seed": "keras-model2 (seed 004)",
    "model1_kernel5": "keras-model1 kernel5 (seed 004)", "model1_dropout03": None,
    "model1_dropout07": None, "model1_wiener": None,
    "model3_specaugment": None, "model3_pitch": "keras-model3 pitch-aug (seed 004)"}


#: The Model3 ensemble: the seed's recipe trained ``ENSEMBLE_SIZE`` times per split with
#: different initialisations (weights seeds ``k``, ``100 + k``, ``200 + k`` for split ``k``);
#: the ensemble averages their class probabilities (:func:`ensemble_predictions`).
ENSEMBLE_SIZE = 3


def ensemble_members(base: str = "model3_seed") -> tuple[str, ...]:
    """The experiments averaged by the ensemble of ``base`` (``model3_seed``,
    ``model3_emobox`` or ``model3_loso``): ``base`` and its re-initialised copies."""
    return (base,) + tuple(f"{base}_init{i}" for i in range(1, ENSEMBLE_SIZE))


ENSEMBLE_MEMBERS = ensemble_members("model3_seed")


def seed_splits(recording_ids: Sequence[str], repeats: int = 5) -> list:
    """Seed 004's protocol, seeded: ``repeats`` random 80/20 splits of the RECORDINGS (seed =
    repeat index), each asserted recording-disjoint."""
    from serlib.protocols import splits as splits_mod

    return [splits_mod.recording_holdout(recording_ids, 0.2, seed=r)[0] for r in range(repeats)]


def experiments(table: pd.DataFrame, repeats: int = 5) -> dict[str, Experiment]:
    """All experiments of notebooks/05 on an AESDD table (columns ``id``, ``recording_id``,
    ``speaker``, ``emotion``), with every split from the protocol registry (committed id lists:
    seed 004's five seeded 80/20 splits of the recordings, leave-one-speaker-out, EmoBox's own
    25 % split), in priority order: the seed's Model3 and the improved recipe on
    the seed protocol; both on EmoBox's split and leave-one-speaker-out; the seed's recipe
    from other initialisations (the members of the Model3 ensemble); the
    seed's ablations (Model1, Model2, 5x5 kernels, dropout 0.3 and 0.7, Wiener filter; on
    Model1 as in the seed), the seed's recipe with SpecAugment alone
    (:data:`SPECAUGMENT_CONFIG`) and with its pitch-shift augmentation (:data:`PITCH_CONFIG`),
    the improved recipe's ablations (each part removed or added), and
    the first, heavier recipe (:data:`HEAVY_CONFIG`). Only the improved recipe's first-repeat
    model is kept (4.6 MB in float32)."""
    from serlib.protocols import registry

    seed = registry.fold_splits(SEED_PROTOCOL, table)[:repeats]
    loso = registry.fold_splits(LOSO_PROTOCOL, table)
    emobox = registry.fold_splits(EMOBOX_PROTOCOL, table, warn=False)
    m1 = replace(SEED_CONFIG, arch="model1")
    imp = IMPROVED_CONFIG
    out = [
        Experiment("model3_seed", SEED_CONFIG, SEED_PROTOCOL, seed),
        Experiment("improved", imp, SEED_PROTOCOL, seed, keep_models=(0,)),
        Experiment("model3_emobox", SEED_CONFIG, EMOBOX_PROTOCOL, emobox),
        Experiment("model3_loso", SEED_CONFIG, LOSO_PROTOCOL, loso),
        Experiment("improved_emobox", imp, EMOBOX_PROTOCOL, emobox),
        Experiment("improved_loso", imp, LOSO_PROTOCOL, loso),
        *[Experiment(f"{base}_init{i}", replace(SEED_CONFIG, seed=100 * i), protocol, parts)
          for base, protocol, parts in (("model3_seed", SEED_PROTOCOL, seed),
                                        ("model3_emobox", EMOBOX_PROTOCOL, emobox),
                                        ("model3_loso", LOSO_PROTOCOL, loso))
          for i in range(1, ENSEMBLE_SIZE)],
        Experiment("model1_seed", m1, SEED_PROTOCOL, seed),
        Experiment("model2_seed", replace(SEED_CONFIG, arch="model2"), SEED_PROTOCOL, seed),
        Experiment("model1_kernel5", replace(m1, kernel_size=5), SEED_PROTOCOL, seed),
        Experiment("model1_dropout03", replace(m1, dropout=0.3), SEED_PROTOCOL, seed),
        Experiment("model1_dropout07", replace(m1, dropout=0.7), SEED_PROTOCOL, seed),
        Experiment("model1_wiener", replace(m1, wiener=True), SEED_PROTOCOL, seed),
        Experiment("model3_specaugment", SPECAUGMENT_CONFIG, SEED_PROTOCOL, seed),
        Experiment("model3_pitch", PITCH_CONFIG, SEED_PROTOCOL, seed),
        Experiment("improved_no_specaugment", replace(imp, specaugment=False), SEED_PROTOCOL,
                   seed),
        Experiment("improved_no_pitch", replace(imp, pitch_semitones=()), SEED_PROTOCOL, seed),
        Experiment("improved_constant_lr", replace(imp, schedule="constant"), SEED_PROTOCOL,
                   seed),
        Experiment("improved_early_stopping", replace(imp, val_fraction=0.15, patience=6),
                   SEED_PROTOCOL, seed),
        Experiment("improved_balanced", replace(imp, balanced=True), SEED_PROTOCOL, seed),
        Experiment("heavy_aug", HEAVY_CONFIG, SEED_PROTOCOL, seed),
        Experiment("heavy_aug_bn099", replace(HEAVY_CONFIG, bn_momentum=0.99), SEED_PROTOCOL,
                   seed),
    ]
    return {e.name: e for e in out}


def pooled_recordings(pred: pd.DataFrame, experiment: str) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted class indices of every test recording of an experiment, pooled over
    its splits (one prediction per recording and split, by test-time averaging)."""
    cols = [f"p_{e}" for e in EMOTIONS]
    true, pred_all = [], []
    for _, part in pred[pred["experiment"] == experiment].groupby("split"):
        rec = pd.factorize(part["recording"])[0]
        _, rp = recording_proba(part[cols].to_numpy(np.float64), rec)
        true.append(recording_labels(part["label"].to_numpy(), rec))
        pred_all.append(rp.argmax(1))
    return np.concatenate(true), np.concatenate(pred_all)


def recording_predictions(pred: pd.DataFrame, experiment: str, speakers: dict[str, str],
                          repeats: bool = False) -> pd.DataFrame:
    """One row per test recording and split of an experiment (test-time averaging of its
    segments): ``replicate``, ``recording``, ``speaker`` (from ``speakers``, a map recording
    id -> speaker), ``y_true``, ``y_pred``: the input of the results' intervals
    (:func:`serlib.evaluation.results_table.make_rows`). ``repeats``: the splits are repeats of one
    protocol
    (seed 004's seeded 80/20 splits: each split is a replicate); otherwise they are folds that
    test every recording once (leave-one-speaker-out), pooled into one replicate."""
    cols = [f"p_{e}" for e in EMOTIONS]
    parts = []
    for split, part in pred[pred["experiment"] == experiment].groupby("split"):
        codes, names = pd.factorize(part["recording"])
        recs, rp = recording_proba(part[cols].to_numpy(np.float64), codes)
        parts.append(pd.DataFrame({
            "replicate": int(split) if repeats else 0, "recording": names[recs],
            "speaker": [speakers[r] for r in names[recs]],
            "y_true": recording_labels(part["label"].to_numpy(), codes), "y_pred": rp.argmax(1)}))
    columns = ["replicate", "recording", "speaker", "y_true", "y_pred"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
