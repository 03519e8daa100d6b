"""CABG (and seed 002's MFCC CNN) runs over registered protocols: one run trains one model on one
(train, validation, test) split of a protocol's fold with one seed (:func:`train_run`, with the
loop of :mod:`serlib.training.torch_training`); runs are stored (checkpoints where committed, else
logs, records and test probabilities) and re-evaluated by :func:`run_protocol`, which also forms
the fixed-size ensembles and the rows of the results file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from serlib.models import cabg
from serlib.training import runstore
from serlib.training.torch_training import (
    HISTORY_COLUMNS,
    FitResult,
    TrainConfig,
    fit,
    history_summary,
    load_checkpoint,
    prepare_inputs,
    save_checkpoint,
)


def seed_row_order(table: pd.DataFrame, row_order_csv: Path | str) -> pd.DataFrame:
    """``table`` (a RAVDESS corpus table) reordered like the seed's metadata table, whose
    order fixes its hold-out split and folds: ``row_order_csv`` lists ``Actor_NN/<name>.wav``;
    rows are matched by file name without extension. Raises ``ValueError`` if any is missing.
    """
    order = pd.read_csv(row_order_csv)["path"].map(lambda p: Path(p).stem)
    stems = table["path"].map(lambda p: Path(p).stem)
    position = pd.Series(range(len(table)), index=stems.to_numpy())
    missing = sorted(set(order) - set(position.index))
    if missing:
        raise ValueError(f"{len(missing)} of the seed's files are not in the table, e.g. "
                         f"{missing[:3]}")
    return table.iloc[position.loc[order.to_numpy()].to_numpy()].reset_index(drop=True)


def carve_validation(train_idx: np.ndarray, y: Sequence, frac: float = 0.1, seed: int = 0,
                     groups: Sequence | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Split a training part into (fit, validation) positional indices.

    Without ``groups``: a stratified random ``frac`` of the clips (speakers shared, like the
    random protocols). With ``groups`` (actors): whole groups, about ``frac`` of them, chosen
    with stratification by class (speaker-independent, like the actor protocols). ``frac`` 0:
    the whole part is fitted and the validation part is empty.
    """
    from sklearn.model_selection import StratifiedGroupKFold, train_test_split

    train_idx = np.asarray(train_idx)
    y = np.asarray(y)
    if frac <= 0:  # no validation: fit on the whole training part
        return np.sort(train_idx), np.array([], dtype=train_idx.dtype)
    if groups is None:
        fit_idx, val_idx = train_test_split(train_idx, test_size=frac, stratify=y[train_idx],
                                            shuffle=True, random_state=seed)
        return np.sort(fit_idx), np.sort(val_idx)
    groups = np.asarray(groups)
    n_splits = max(2, round(1 / frac))
    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    fit_pos, val_pos = next(sgkf.split(np.zeros(len(train_idx)), y[train_idx],
                                       groups[train_idx]))
    return np.sort(train_idx[fit_pos]), np.sort(train_idx[val_pos])


@dataclass
class RunSpec:
    """One training run of a protocol: its name, fold and seed, and its (fit, validation,
    test) positional indices into the corpus arrays."""

    protocol: str
    fold: int
    seed: int
    fit_idx: np.ndarray
    val_idx: np.ndarray
    test_idx: np.ndarray
    variant: str = "seed"
    #: the test recordings' ids in ``test_idx`` order (checked against a stored run's record)
    test_ids: tuple[str, ...] = ()
    corpus: str = "ravdess"

    @property
    def name(self) -> str:
        return f"{self.protocol}_{self.variant}_fold{self.fold}_seed{self.seed}"

    @property
    def selection(self) -> str:
        """How the run's kept weights are chosen: on its validation part, or the last epoch of
        a fixed budget when it has none."""
        return "validation" if len(self.val_idx) else "fixed-budget"


def make_runs(protocol: str, splits: Sequence[tuple[np.ndarray, np.ndarray]], y: Sequence,
              seeds: Sequence[int], groups: Sequence | None = None, val_frac: float = 0.1,
              variant: str = "seed") -> list[RunSpec]:
    """One :class:`RunSpec` per (split, seed): the validation part is carved from each
    split's training part with :func:`carve_validation` (by ``groups`` when given), with the
    run's seed, so that the test part never selects anything."""
    runs = []
    for k, (train, test) in enumerate(splits, start=1):
        for s in seeds:
            fit_idx, val_idx = carve_validation(train, y, val_frac, seed=s, groups=groups)
            runs.append(RunSpec(protocol, k, s, fit_idx, val_idx, np.asarray(test), variant))
    return runs


def train_run(run: RunSpec, inputs: Sequence[np.ndarray], y: Sequence[int],
              config: TrainConfig, out_dir: Path | str | None = None,
              log: Callable[[str], None] | None = None, save_weights: bool = True,
              augmented: Sequence[Sequence[np.ndarray]] = (), num_classes: int = 8
              ) -> tuple[FitResult, pd.DataFrame]:
    """Train one run and (with ``out_dir``) save ``<name>.pt`` (validation-selected weights,
    unless ``save_weights`` is false) and ``<name>.csv`` (history). Returns the fit and its
    history with run columns added.

    ``augmented``: extra versions of the corpus, each a list aligned with ``inputs`` (e.g.
    speed-perturbed copies); the fitted clips' versions are added to the fitted part (with the
    same labels). Validation and test clips are never augmented.
    """
    y = np.asarray(y)
    cfg = TrainConfig(**{**asdict(config), "seed": run.seed})

    def pick(idx):
        return [inputs[i] for i in idx]

    fit_x = pick(run.fit_idx) + [version[i] for version in augmented for i in run.fit_idx]
    fit_y = np.tile(y[run.fit_idx], 1 + len(augmented))
    result = fit(fit_x, fit_y, pick(run.val_idx), y[run.val_idx],
                 pick(run.test_idx), y[run.test_idx], cfg, num_classes=num_classes, log=log)
    history = result.history.assign(protocol=run.protocol, variant=run.variant, fold=run.fold,
                                    seed=run.seed)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir is not None and save_weights:
        save_checkpoint(checkpoint_path(out_dir, run), result.best_state, result.model_kwargs, cfg,
                        {"protocol": run.protocol, "fold": run.fold, "seed": run.seed,
                         "epoch": result.best_epoch, "n_fit": len(run.fit_idx),
                         "n_val": len(run.val_idx), "n_test": len(run.test_idx),
                         "variant": run.variant})
        save_test_probabilities(run, inputs, out_dir, cfg.eval_batch_size)
    if out_dir is not None:
        history.drop(columns=["seconds"]).to_csv(out_dir / f"{run.name}.csv",
                                                          index=False)
        kept = (f"epoch {result.best_epoch}" if len(run.val_idx)
                else f"last epoch ({len(result.history)})")
        runstore.write_record(out_dir, run_record(
            run, cfg.arch, kept,
            seconds_per_epoch=round(float(result.history["seconds"].mean()), 3)))
    return result, history


def run_record(run: RunSpec, model: str, kept: str, prediction: str = "per-clip",
               seconds_per_epoch: float | None = None) -> runstore.RunRecord:
    """The run store's record of ``run`` (see :mod:`serlib.training.runstore`)."""
    ids = list(run.test_ids)
    if len(ids) != len(run.test_idx):
        raise ValueError(f"run {run.name}: {len(ids)} test ids for {len(run.test_idx)} test "
                         "clips (build runs with protocol_runs, which attaches the ids)")
    return runstore.RunRecord(
        name=run.name, corpus=run.corpus, protocol=run.protocol, fold=run.fold, model=model,
        recipe=run.variant, seed=run.seed, selection=run.selection, kept=kept,
        n_test=len(ids), test_ids_sha1=runstore.ids_digest(ids), prediction=prediction,
        seconds_per_epoch=seconds_per_epoch)


def load_histories(folder: Path | str, protocol: str, variant: str = "seed") -> pd.DataFrame:
    """All saved histories of ``protocol`` and ``variant`` in ``folder``, concatenated (empty
    if none)."""
    files = sorted(Path(folder).glob(f"{protocol}_{variant}_fold*_seed*.csv"))
    if not files:
        return pd.DataFrame(columns=[*HISTORY_COLUMNS, "protocol", "variant", "fold", "seed"])
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def summarize_protocol(histories: pd.DataFrame, last_k: int = 10,
                       max_epoch: int | None = None) -> pd.DataFrame:
    """One row per (fold, seed) run with :func:`history_summary`'s numbers; ``max_epoch``
    truncates the histories first (the schedule does not depend on the number of epochs, so the
    first 60 epochs of a 120-epoch run are a 60-epoch run)."""
    if max_epoch is not None:
        histories = histories[histories["epoch"] <= max_epoch]
    rows = []
    for (fold, seed), h in histories.groupby(["fold", "seed"], sort=True):
        rows.append({"fold": int(fold), "seed": int(seed), **history_summary(h, last_k)})
    return pd.DataFrame(rows)


PROTOCOLS = ("random-holdout-8-2", "random-5fold", "emobox-6fold", "seed003-actors")


def protocol_runs(protocol: str, table: pd.DataFrame, y: Sequence[int], seeds: Sequence[int],
                  variant: str = "seed", folds: Sequence[int] | None = None,
                  val_frac: float = 0.1, corpus: str = "ravdess") -> list[RunSpec]:
    """The runs of one registered protocol (:mod:`serlib.protocols`, committed fold lists) on
    a corpus table with an ``id`` column, one per (fold, seed). The folds' train and test
    parts come from the registry in their committed order; the validation part is carved from
    each training part with the run's seed (:func:`carve_validation`): a stratified
    ``val_frac`` of the clips where speakers are shared anyway (the random protocols), whole
    speakers where the protocol is speaker-independent (EmoBox's folds); a protocol with a
    development part (seed 003's actors 08, 19, 24) validates on it.

    ``val_frac`` 0: no validation part (a development part is fitted too). ``folds``
    (1-based) keeps only some folds. Each run carries its test recordings' ids, which the run
    store checks when a stored run is scored.

    Raises ``ValueError`` naming the accepted protocols for an unknown name, and
    :class:`serlib.protocols.registry.MissingRecordingsError` when the table lacks listed
    recordings.
    """
    from serlib.protocols import registry

    try:
        spec = registry.get_protocol(protocol, corpus)
    except ValueError as err:
        raise ValueError(f"unknown protocol {protocol!r} for {corpus}; accepted: "
                         f"{', '.join(registry.protocol_names(corpus))}") from err
    y = np.asarray(y)
    ids = table["id"].to_numpy()
    group_column = "actor" if "actor" in table else "speaker"
    groups = (table[group_column].to_numpy() if spec.kind == "speaker-independent" else None)
    runs = []
    for fold in registry.fold_indices(spec, table):
        if folds is not None and fold.number not in set(folds):
            continue
        for s in seeds:
            if len(fold.dev):
                fit, val = fold.train, fold.dev
                if val_frac <= 0:  # no validation: the development part is fitted too
                    fit, val = np.sort(np.concatenate([fit, val])), val[:0]
            else:
                fit, val = carve_validation(fold.train, y, val_frac, seed=s, groups=groups)
            runs.append(RunSpec(protocol, fold.number, s, fit, val, np.asarray(fold.test),
                                variant, test_ids=tuple(ids[fold.test]), corpus=spec.corpus))
    return runs


def _train_in_worker(run: RunSpec, inputs, y, config: TrainConfig, folder: str,
                     augmented, num_classes: int = 8) -> str:
    """One run in a worker process (one torch thread, as every run here)."""
    torch.set_num_threads(1)
    train_run(run, inputs, y, config, out_dir=folder, augmented=augmented,
              num_classes=num_classes)
    return run.name


def ensure_trained(runs: Sequence[RunSpec], inputs: Sequence[np.ndarray], y: Sequence[int],
                   config: TrainConfig, folder: Path | str, retrain: bool = False,
                   log: Callable[[str], None] | None = None,
                   augmented: Sequence[Sequence[np.ndarray]] = (), n_jobs: int = 1,
                   num_classes: int = 8) -> list[str]:
    """Train the runs whose checkpoint is not in ``folder`` yet (all of them with
    ``retrain``); returns the names of the runs trained now. ``inputs`` (and ``augmented``,
    see :func:`train_run`) are prepared already.

    ``n_jobs`` above 1 trains independent runs in parallel worker processes (joblib), one
    torch thread each, with a progress bar over runs (on a 2-core machine, ``n_jobs=2`` uses
    both cores). Results do not depend on it: each run is seeded by itself.
    """
    todo = [run for run in runs if retrain or not has_result(run, folder)]
    if n_jobs == 1 or len(todo) < 2:
        for run in todo:
            train_run(run, inputs, y, config, out_dir=folder, log=log, augmented=augmented,
                      num_classes=num_classes)
        return [run.name for run in todo]
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    jobs = (delayed(_train_in_worker)(run, inputs, y, config, str(folder), augmented,
                                      num_classes) for run in todo)
    done = []
    with tqdm(total=len(todo), desc="training runs", unit="run") as bar:
        for name in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
            done.append(name)
            bar.update()
            if log:
                log(f"trained {name}")
    return done


def checkpoint_path(folder: Path | str, run: RunSpec) -> Path:
    """Where a run's weights are saved: ``<folder>/<run name>.pt``."""
    return Path(folder) / f"{run.name}.pt"


def probabilities_path(folder: Path | str, run: RunSpec) -> Path:
    """Where a run's test probabilities are stored: ``<folder>/<run name>.probs.npy``."""
    return Path(folder) / f"{run.name}.probs.npy"


def checkpoint_test_probabilities(run: RunSpec, inputs: Sequence[np.ndarray],
                                  folder: Path | str, batch_size: int = 64
                                  ) -> tuple[np.ndarray, dict]:
    """The test probabilities of a run's saved checkpoint (rows in ``run.test_idx`` order,
    batches of ``batch_size`` as the seed evaluated) and the checkpoint's meta data."""
    model, _, meta = load_checkpoint(checkpoint_path(folder, run))
    return cabg.predict_proba(model, [inputs[i] for i in run.test_idx],
                              batch_size=batch_size), meta


def save_test_probabilities(run: RunSpec, inputs: Sequence[np.ndarray], folder: Path | str,
                            batch_size: int = 64) -> Path:
    """Evaluate a run's saved checkpoint on its test part and store the probabilities
    (float32, rows in ``run.test_idx`` order) next to it, so that the run can be reported and
    averaged after its checkpoint is no longer kept (see :func:`evaluate_runs`)."""
    probs, _ = checkpoint_test_probabilities(run, inputs, folder, batch_size)
    path = probabilities_path(folder, run)
    np.save(path, probs.astype(np.float32))
    return path


def has_result(run: RunSpec, folder: Path | str) -> bool:
    """Whether a run has a checkpoint or stored test probabilities in ``folder``."""
    return checkpoint_path(folder, run).is_file() or probabilities_path(folder, run).is_file()


def evaluate_runs(runs: Sequence[RunSpec], inputs: Sequence[np.ndarray], y: Sequence[int],
                  folder: Path | str, batch_size: int = 64
                  ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Re-evaluate the saved (validation-selected) checkpoint of every run on its test part;
    a run whose checkpoint is not kept is scored from its stored test probabilities
    (:func:`save_test_probabilities`) instead.

    Returns a table with one row per run (``fold``, ``seed``, ``epoch`` of the checkpoint,
    accuracy, macro precision, UAR, macro F1, test size, ``source``: ``"checkpoint"`` or
    ``"stored probabilities"``) and the test probabilities per run name (rows in
    ``run.test_idx`` order). The inputs must be prepared as the run's config says (deltas or
    not). Raises ``FileNotFoundError`` naming a run that has neither.
    """
    from serlib.evaluation import scoring

    y = np.asarray(y)
    rows, probs = [], {}
    for run in runs:
        path = checkpoint_path(folder, run)
        stored = probabilities_path(folder, run)
        if run.test_ids:  # the stored run must have been tested on this fold's recordings
            runstore.read_record(folder, run.name).check_ids(run.test_ids)
        if path.is_file():
            p, meta = checkpoint_test_probabilities(run, inputs, folder, batch_size)
            epoch, source = meta.get("epoch"), "checkpoint"
        elif stored.is_file():
            p = np.load(stored)
            if p.shape[0] != len(run.test_idx):
                raise ValueError(f"{stored} has {p.shape[0]} rows, the run {len(run.test_idx)}")
            epoch, source = None, "stored probabilities"
        else:
            raise FileNotFoundError(f"no checkpoint {path}: train it with retrain=True")
        probs[run.name] = p
        metrics = scoring.classification_metrics(y[run.test_idx], p.argmax(1))
        rows.append({"fold": run.fold, "seed": run.seed, "epoch": epoch,
                     **metrics, "n_test": len(run.test_idx), "source": source})
    return pd.DataFrame(rows), probs


@dataclass
class ProtocolResult:
    """A protocol's runs with, when their checkpoints exist: the re-evaluated test metrics of
    each run (``scores``), the test probabilities per run, the per-epoch histories and their
    summary (``per_run``: validation-selected vs test-picked epochs). ``runs`` are the evaluated
    runs; ``missing`` names runs without a checkpoint (left out of everything)."""

    protocol: str
    runs: list[RunSpec]
    scores: pd.DataFrame | None = None
    probs: dict[str, np.ndarray] | None = None
    histories: pd.DataFrame | None = None
    per_run: pd.DataFrame | None = None
    missing: list[str] = field(default_factory=list)
    trained: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.scores is not None

    def table(self) -> pd.DataFrame:
        """One row per run: the checkpoint's epoch and re-evaluated test accuracy and UAR, next
        to the training log's test accuracy at the test-picked epoch, the last epoch, and the
        mean of the last 10 epochs (all fractions)."""
        keys = ["fold", "seed"]
        if "variant" in self.scores and "variant" in self.per_run:  # merged recipes
            keys = ["variant", *keys]
        merged = self.scores.merge(self.per_run, on=keys, how="left")
        return merged[[*keys, "epoch", "accuracy", "uar", "test_epoch_picked",
                       "test_acc_test_picked", "test_acc_last", "test_acc_last_k_mean"]].rename(
            columns={"epoch": "val_epoch", "accuracy": "test_acc", "uar": "test_uar",
                     "test_epoch_picked": "picked_epoch", "test_acc_test_picked": "picked_acc",
                     "test_acc_last": "last_acc", "test_acc_last_k_mean": "last10_acc"})

    def summary(self) -> pd.DataFrame:
        """Mean, std and count over runs of the honest (validation-selected, re-evaluated)
        accuracy, UAR and F1 and of the optimistic test-picked accuracy and the last-10 mean."""
        t = self.table().assign(f1=self.scores["f1"].to_numpy())
        rows = {"accuracy (validation-selected epoch)": t["test_acc"],
                "UAR (validation-selected epoch)": t["test_uar"],
                "macro F1 (validation-selected epoch)": t["f1"],
                "accuracy (test-picked epoch, optimistic)": t["picked_acc"],
                "accuracy (mean of last 10 epochs)": t["last10_acc"]}
        return pd.DataFrame({name: {"mean": v.mean(), "std": v.std(ddof=0), "n": v.count()}
                             for name, v in rows.items()}).T


def merge_results(*results: ProtocolResult) -> ProtocolResult:
    """One :class:`ProtocolResult` holding the evaluated runs of several recipes (variants) of
    the same protocol, e.g. to average models of two recipes with :func:`ensemble_scores`
    (runs of equal seed then sit next to each other: a group of ``2 * k`` holds seeds ``k``
    of each recipe). Raises ``ValueError`` for different protocols or unevaluated results.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    if not results or any(not r.available for r in results):
        raise ValueError("merge_results needs evaluated results (re-evaluated checkpoints)")
    if len({r.protocol for r in results}) > 1:
        raise ValueError(f"cannot merge protocols {sorted({r.protocol for r in results})}")
    return ProtocolResult(
        results[0].protocol, [run for r in results for run in r.runs],
        scores=pd.concat([r.scores.assign(variant=[run.variant for run in r.runs])
                          for r in results], ignore_index=True),
        probs={k: v for r in results for k, v in r.probs.items()},
        histories=pd.concat([r.histories for r in results], ignore_index=True),
        per_run=pd.concat([r.per_run.assign(variant=r.runs[0].variant) for r in results],
                          ignore_index=True),
        missing=[m for r in results for m in r.missing])


def ensemble_groups(result: ProtocolResult, size: int
                    ) -> list[tuple[int, int, list[RunSpec]]]:
    """The fixed model groups of averaging: within each fold the runs, in seed order, cut into
    consecutive groups of ``size`` (an incomplete last group is dropped). Returns
    ``(fold, group number, runs)`` triples; nothing here looks at a test score."""
    if size < 1:
        raise ValueError(f"ensemble size must be at least 1, not {size}")
    by_fold: dict[int, list[RunSpec]] = {}
    for run in result.runs:
        by_fold.setdefault(run.fold, []).append(run)
    groups = []
    for fold, runs in sorted(by_fold.items()):
        runs = sorted(runs, key=lambda r: r.seed)
        for k, start in enumerate(range(0, len(runs) - size + 1, size)):
            groups.append((fold, k, runs[start:start + size]))
    return groups


def result_predictions(result: ProtocolResult, y: Sequence[int], speakers: Sequence,
                       size: int = 1) -> pd.DataFrame:
    """Per tested clip and model (``size`` 1: every single run; else every ensemble group of
    :func:`ensemble_groups`): ``fold``, ``replicate`` (the seed or the group number),
    ``position``, ``speaker``, ``y_true``, ``y_pred``. The input of the results' intervals
    (:func:`serlib.evaluation.results_table.make_rows`).

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    y, speakers = np.asarray(y), np.asarray(speakers)
    parts = []
    if size == 1:
        units = [(run.fold, f"{run.variant}:{run.seed}", [run]) for run in result.runs]
    else:
        units = ensemble_groups(result, size)
    for fold, replicate, group in units:
        idx = group[0].test_idx
        probs = np.mean([result.probs[r.name] for r in group], axis=0)
        parts.append(pd.DataFrame({"fold": fold, "replicate": str(replicate), "position": idx,
                                   "speaker": speakers[idx], "y_true": y[idx],
                                   "y_pred": probs.argmax(1)}))
    columns = ["fold", "replicate", "position", "speaker", "y_true", "y_pred"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def ensemble_scores(result: ProtocolResult, y: Sequence[int], size: int) -> pd.DataFrame:
    """Model averaging: within each fold, the runs (in seed order) are cut into consecutive
    groups of ``size`` seeds (an incomplete last group is dropped) and each group's test
    probabilities are averaged. Nothing is chosen on the test set: the groups are fixed by
    the seed list.

    Returns one row per (fold, group): ``fold``, ``members`` (seeds joined by ``+``),
    ``member_acc`` (mean accuracy of the members alone) and the ensemble's ``accuracy``,
    ``precision``, ``uar``, ``f1``.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    from serlib.evaluation import scoring

    y = np.asarray(y)
    rows = []
    for fold, _, group in ensemble_groups(result, size):
        truth = y[group[0].test_idx]
        probs = [result.probs[r.name] for r in group]
        mixed = len({r.variant for r in group}) > 1
        rows.append({"fold": fold, "members": "+".join(
            f"{r.variant}:{r.seed}" if mixed else str(r.seed) for r in group),
                     "member_acc": float(np.mean([(p.argmax(1) == truth).mean()
                                                  for p in probs])),
                     **scoring.classification_metrics(
                         truth, np.mean(probs, axis=0).argmax(1))})
    return pd.DataFrame(rows, columns=["fold", "members", "member_acc", "accuracy",
                                       "precision", "uar", "f1"])


def ensemble_summary(result: ProtocolResult, y: Sequence[int], size: int) -> pd.DataFrame:
    """Mean, std and count of the test accuracy of the single models (their kept epoch), of
    the same models at their test-picked epoch (optimistic, from the training logs), and of
    the ensembles of :func:`ensemble_scores` (accuracy and UAR). Rows are labelled for
    printing; an ensemble row is left out when no group is complete.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    t = result.table()
    rows = {"single model, kept epoch": t["test_acc"],
            "single model, test-picked epoch (optimistic)": t["picked_acc"]}
    ens = ensemble_scores(result, y, size)
    if len(ens):
        rows[f"ensemble of {size}: accuracy"] = ens["accuracy"]
        rows[f"ensemble of {size}: UAR"] = ens["uar"]
    return pd.DataFrame({name: {"mean": v.mean(), "std": v.std(ddof=0), "n": v.count()}
                         for name, v in rows.items()}).T


def ensemble_curve(result: ProtocolResult, y: Sequence[int],
                   sizes: Sequence[int]) -> pd.DataFrame:
    """Test accuracy of model averages against their size: for each size (number of models
    averaged), the fixed groups of :func:`ensemble_scores` (consecutive seeds; incomplete groups
    dropped) summarised over groups and folds. Every size asked for is reported; nothing is
    chosen here. Sizes with no complete group are left out.

    Returns one row per size: ``size``, ``groups`` (how many ensembles), ``member_acc`` (mean
    accuracy of their members alone), ``accuracy`` and ``std`` (mean and population std of the
    ensembles' accuracy).

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    rows = []
    for size in sizes:
        groups = ensemble_scores(result, y, size)
        if len(groups):
            rows.append({"size": size, "groups": len(groups),
                         "member_acc": groups["member_acc"].mean(),
                         "accuracy": groups["accuracy"].mean(),
                         "std": groups["accuracy"].std(ddof=0)})
    return pd.DataFrame(rows, columns=["size", "groups", "member_acc", "accuracy", "std"])


def run_protocol(protocol: str, table: pd.DataFrame, y: Sequence[int],
                 logmels: Sequence[np.ndarray], config: TrainConfig, seeds: Sequence[int],
                 folder: Path | str, *, variant: str = "seed", folds: Sequence[int] | None = None,
                 train: str = "never", val_frac: float = 0.1,
                 log: Callable[[str], None] | None = None,
                 augmented: Sequence[Sequence[np.ndarray]] = (), n_jobs: int = 1,
                 corpus: str = "ravdess", num_classes: int = 8) -> ProtocolResult:
    """Everything a notebook needs for one protocol: make the runs, train them (``train``:
    ``"never"``, ``"missing"`` = those without a checkpoint, or ``"all"``), then re-evaluate
    every checkpoint on its test part and load the histories. With ``"never"`` and missing
    checkpoints only the runs that have one are evaluated (``runs``); the others are listed in
    ``missing`` (the notebook says "not run yet"). ``val_frac`` 0 fits on the whole training
    part and keeps the last epoch (see :func:`carve_validation`). ``augmented``: extra
    versions of ``logmels`` added to every fitted part (:func:`train_run`). ``n_jobs``: runs
    trained in parallel (:func:`ensure_trained`). ``corpus``: whose registered protocol
    (e.g. ``emodb``'s ``emobox-5fold``); ``num_classes``: the model's outputs (the corpus's
    emotions; labels ``y`` are indices into them)."""
    if train not in ("never", "missing", "all"):
        raise ValueError(f"train must be never, missing or all, not {train!r}")
    runs = protocol_runs(protocol, table, y, seeds, variant=variant, folds=folds,
                         val_frac=val_frac, corpus=corpus)
    folder = Path(folder)
    missing = [r.name for r in runs if not has_result(r, folder)]
    result = ProtocolResult(protocol, runs, missing=missing)
    inputs = prepare_inputs(logmels, config)
    if train != "never":
        extra = [prepare_inputs(version, config) for version in augmented]
        result.trained = ensure_trained(runs, inputs, y, config, folder,
                                        retrain=train == "all", log=log, augmented=extra,
                                        n_jobs=n_jobs, num_classes=num_classes)
        result.missing = []
    done = [r for r in runs if r.name not in result.missing]
    if not done:
        return result
    result.runs = done
    result.scores, result.probs = evaluate_runs(done, inputs, y, folder)
    keep = {(r.fold, r.seed) for r in done}
    h = load_histories(folder, protocol, variant)
    h = h[[(f, s) in keep for f, s in zip(h["fold"], h["seed"], strict=True)]]
    result.histories = h.reset_index(drop=True)
    result.per_run = summarize_protocol(result.histories)
    return result


def summary_frame(values: dict[str, Sequence[float]]) -> pd.DataFrame:
    """A :func:`serlib.evaluation.results_table.make_rows` summary from ``{metric: [mean, std,
                                                                                    n]}``: one row
    per metric with columns ``mean``, ``std``, ``n``.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    for metric, v in values.items():
        if len(v) != 3:
            raise ValueError(f"summary_frame: {metric!r} needs [mean, std, n], not {list(v)}")
    return pd.DataFrame(values, index=["mean", "std", "n"]).T


def result_rows(result: ProtocolResult, y: Sequence[int], speakers: Sequence, model: str,
                selection: str, notebook: str, note: str = "", corpus: str = "ravdess"
                ) -> list[dict]:
    """Results rows (:func:`serlib.evaluation.results_table.make_rows`) of a protocol's single
    models: the
    accuracy, UAR and macro F1 of their kept weights (mean, std and count over runs; fractions),
    with the speaker-clustered 95 % intervals of accuracy and UAR computed from every tested
    clip (:func:`result_predictions`). Raises ``ValueError`` for an unevaluated result.

    Used in: notebooks/06_cabg_ravdess.ipynb, notebooks/07_beyond_the_seeds.ipynb.
    """
    from serlib.evaluation import results_table

    if not result.available:
        raise ValueError(f"{result.protocol}: no evaluated runs (train them first)")
    kept = result.summary().loc[["accuracy (validation-selected epoch)",
                                 "UAR (validation-selected epoch)",
                                 "macro F1 (validation-selected epoch)"]]
    kept.index = ["accuracy", "uar", "f1"]
    return results_table.make_rows(corpus, result.protocol, model, kept, notebook=notebook,
                                note=note, selection=selection,
                                predictions=result_predictions(result, y, speakers))
