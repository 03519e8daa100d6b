"""Nested selection on speaker-independent protocols: every choice (recipe, training budget,
ensemble size) is made on speaker-grouped inner folds of an outer fold's TRAINING speakers, by
a rule fixed before the runs (``reports/study_plan.csv``); each outer test fold is then scored
once, with the chosen configuration.

Two families of candidates:

* **CABG recipes** (:data:`CABG_CANDIDATES`): the seed's recipe stopped after 60 or 120 epochs
  (its learning-rate schedule reacts to the training loss only, so epoch 60 of a 120-epoch run
  is the 60-epoch run, and one inner run scores both budgets) and speed perturbation (45 epochs,
  one cosine decay). Inner runs (:func:`train_inner_run`) fit on the inner training speakers and
  store their validation probabilities at the candidate budgets (``models/cabg/nested/``); no
  weights. :func:`choose_cabg` applies the rule; the outer models are ordinary protocol runs of
  :mod:`serlib.experiments.cabg_runs` (variant :attr:`Candidate.outer_variant`).
* **Feature models** (:func:`choose_feature_models`): chapter 04's stored scikit-learn runs, each
  of which already tuned its settings on speaker-grouped folds of the outer training part and
  recorded that validation accuracy; the rule picks, per outer fold, the configuration with the
  best validation accuracy, and a plurality vote of the top ``k`` when the inner folds say so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.evaluation import scoring
from serlib.training import runstore
from serlib.training.torch_training import TrainConfig, fit, prepare_inputs

#: speaker-grouped inner folds: StratifiedGroupKFold with this many splits (4 of RAVDESS's 20
#: training speakers per validation part) ...
INNER_SPLITS = 5
#: ... of which the first ones are trained (compute: two inner folds per outer fold)
INNER_USED = 2
#: seeds of the inner runs, per inner fold: two on the first (so that it can say whether
#: averaging two models helps), one on the second (compute)
INNER_SEEDS = ((999, 1000), (999,))
#: the ensemble-size cap declared before the runs, and the smallest gain (UAR or accuracy,
#: fraction) of a two-model inner average over its members that makes the ensemble worth it
ENSEMBLE_CAP = 5
ENSEMBLE_MIN_GAIN = 0.01
#: speed factors of the speed-perturbed copies (chapter 07, section 3)
SPEED_FACTORS = (0.9, 1.1)


@dataclass(frozen=True)
class Candidate:
    """One configuration the inner folds choose among: a training ``recipe`` (what one inner run
    trains) stopped after ``epochs``."""

    recipe: str
    epochs: int
    label: str

    @property
    def name(self) -> str:
        return f"{self.recipe}@{self.epochs}"

    @property
    def outer_variant(self) -> str:
        """The variant of the outer runs (the run store's name part): the stored recipes'
        own names at their full budgets, ``<recipe>-e<epochs>`` for a shorter one."""
        return self.recipe if self.epochs == RECIPE_EPOCHS[self.recipe] else (
            f"{self.recipe}-e{self.epochs}")


#: epochs of one inner run per recipe
RECIPE_EPOCHS = {"full": 120, "full-speed": 45}

#: the CABG candidates, in the order that breaks ties (shorter and simpler first)
CABG_CANDIDATES = (
    Candidate("full", 60, "seed recipe, 60 epochs"),
    Candidate("full", 120, "seed recipe, 120 epochs"),
    Candidate("full-speed", 45, "speed perturbation, 45 epochs"),
)


def recipe_config(recipe: str, epochs: int | None = None, lr: float = 1e-3,
                  batch_size: int = 32) -> TrainConfig:
    """The training configuration of a recipe (chapter 07's): the seed's (plateau schedule) or
    speed perturbation's (one cosine decay over the run); ``epochs`` defaults to
    :data:`RECIPE_EPOCHS`."""
    if recipe not in RECIPE_EPOCHS:
        raise ValueError(f"unknown recipe {recipe!r}; accepted: {', '.join(RECIPE_EPOCHS)}")
    epochs = epochs or RECIPE_EPOCHS[recipe]
    if recipe == "full-speed":
        return TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size,
                           schedule="cosine-restarts", restart_epochs=epochs)
    return TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size)


def inner_folds(train_idx: np.ndarray, y: Sequence, groups: Sequence,
                n_splits: int = INNER_SPLITS, n_used: int = INNER_USED, seed: int = 0
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The first ``n_used`` of ``n_splits`` speaker-grouped, emotion-stratified folds of an
    outer training part (positional indices into the corpus): ``(fit, validation)`` pairs,
    no speaker on both sides."""
    from serlib.protocols import splits

    train_idx, y, groups = np.asarray(train_idx), np.asarray(y), np.asarray(groups)
    if len(set(groups[train_idx])) < n_splits:
        raise ValueError(f"{len(set(groups[train_idx]))} training speakers: too few for "
                         f"{n_splits} speaker-grouped inner folds")
    inner = splits.group_kfold(groups[train_idx], y[train_idx], n_splits=n_splits, seed=seed)
    return [(np.sort(train_idx[fit_pos]), np.sort(train_idx[val_pos]))
            for fit_pos, val_pos in inner[:n_used]]


@dataclass
class InnerRun:
    """One inner training run: outer ``fold``, ``inner`` fold number (1-based), ``recipe``,
    ``seed``, and its positional fit and validation indices."""

    corpus: str
    protocol: str
    fold: int
    inner: int
    recipe: str
    seed: int
    fit_idx: np.ndarray
    val_idx: np.ndarray
    val_ids: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.protocol}_{self.recipe}_fold{self.fold}_inner{self.inner}_seed{self.seed}"


def inner_runs(protocol: str, table: pd.DataFrame, y: Sequence[int], corpus: str = "ravdess",
               recipes: Sequence[str] = tuple(RECIPE_EPOCHS),
               seeds: Sequence[Sequence[int]] = INNER_SEEDS,
               folds: Sequence[int] | None = None) -> list[InnerRun]:
    """Every inner run of a registered speaker-independent protocol, outer fold by outer fold
    (so that a partial run leaves whole outer folds); ``seeds`` per inner fold (its length is
    the number of inner folds used)."""
    from serlib.protocols import registry

    spec = registry.get_protocol(protocol, corpus)
    if spec.kind != "speaker-independent":
        raise ValueError(f"{protocol} is {spec.kind}: nested selection by speakers needs a "
                         "speaker-independent protocol")
    groups = table["actor" if "actor" in table else "speaker"].to_numpy()
    ids = table["id"].to_numpy()
    runs = []
    for fold in registry.fold_indices(spec, table):
        if folds is not None and fold.number not in set(folds):
            continue
        pairs = inner_folds(fold.train, y, groups, n_used=len(seeds))
        for j, (fit_idx, val_idx) in enumerate(pairs, start=1):
            for recipe in recipes:
                for s in seeds[j - 1]:
                    runs.append(InnerRun(spec.corpus, protocol, fold.number, j, recipe, s,
                                         fit_idx, val_idx, tuple(ids[val_idx])))
    return runs


def snapshot_epochs(recipe: str, candidates: Sequence[Candidate] = CABG_CANDIDATES
                    ) -> list[int]:
    """The budgets of ``recipe`` among the candidates (the epochs whose validation
    probabilities an inner run keeps)."""
    return sorted({c.epochs for c in candidates if c.recipe == recipe})


def _paths(folder: Path, name: str) -> tuple[Path, Path, Path]:
    return folder / f"{name}.json", folder / f"{name}.csv", folder / f"{name}.val.npz"


def has_inner_result(run: InnerRun, folder: Path | str) -> bool:
    return all(p.is_file() for p in _paths(Path(folder), run.name))


def train_inner_run(run: InnerRun, inputs: Sequence[np.ndarray], y: Sequence[int],
                    folder: Path | str, augmented: Sequence[Sequence[np.ndarray]] = (),
                    num_classes: int = 8, log: Callable[[str], None] | None = None,
                    candidates: Sequence[Candidate] = CABG_CANDIDATES,
                    config: TrainConfig | None = None) -> Path:
    """Train one inner run (fit part, plus its speed-perturbed copies for ``full-speed``) and
    store its history (``.csv``), its validation probabilities at the recipe's candidate
    budgets (``.val.npz``) and a record (``.json``: the validation ids' digest, the budgets,
    seconds per epoch). The record is written last, so an interrupted run leaves no record.
    ``config`` replaces the recipe's (:func:`recipe_config`; tests and smoke runs); the run's
    seed is set in it."""
    y = np.asarray(y)
    config = config or recipe_config(run.recipe)
    config = TrainConfig(**{**config.__dict__, "seed": run.seed})
    epochs = [e for e in snapshot_epochs(run.recipe, candidates) if e <= config.epochs]
    fit_x = [inputs[i] for i in run.fit_idx]
    if run.recipe == "full-speed":
        if not augmented:
            raise ValueError("full-speed inner runs need the speed-perturbed copies")
        fit_x += [version[i] for version in augmented for i in run.fit_idx]
    fit_y = np.tile(y[run.fit_idx], len(fit_x) // len(run.fit_idx))
    result = fit(fit_x, fit_y, [inputs[i] for i in run.val_idx], y[run.val_idx],
                 config=config, num_classes=num_classes, log=log, snapshot_epochs=epochs)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record, history, probs = _paths(folder, run.name)
    result.history.drop(columns=["seconds", "test_loss", "test_acc"]).to_csv(history,
                                                                             index=False)
    np.savez_compressed(probs, **{f"epoch{e}": p for e, p in result.val_snapshots.items()})
    record.write_text(json.dumps({
        "name": run.name, "corpus": run.corpus, "protocol": run.protocol, "fold": run.fold,
        "inner": run.inner, "recipe": run.recipe, "seed": run.seed, "epochs": config.epochs,
        "snapshots": epochs, "n_fit": len(run.fit_idx), "n_val": len(run.val_idx),
        "val_ids_sha1": runstore.ids_digest(run.val_ids),
        "seconds_per_epoch": round(float(result.history["seconds"].mean()), 3)},
        indent=1, sort_keys=True) + "\n")
    return record


def recorded_seconds(folder: Path | str) -> float:
    """The single-thread training seconds the stored inner runs recorded (seconds per epoch
    times epochs, summed)."""
    total = 0.0
    for record in Path(folder).glob("*.json"):
        facts = json.loads(record.read_text())
        if facts.get("seconds_per_epoch"):
            total += float(facts["seconds_per_epoch"]) * int(facts.get("epochs", 0))
    return total


def inner_scores(runs: Sequence[InnerRun], y: Sequence[int], folder: Path | str,
                 candidates: Sequence[Candidate] = CABG_CANDIDATES) -> pd.DataFrame:
    """One row per (inner run, candidate budget) with a stored result: ``fold``, ``inner``,
    ``candidate``, ``seed``, validation ``accuracy`` and ``uar``. Raises ``ValueError`` when a
    stored run's validation ids differ from the run's (a changed fold list)."""
    y, folder = np.asarray(y), Path(folder)
    rows = []
    for run in runs:
        if not has_inner_result(run, folder):
            continue
        record_path, _, probs_path = _paths(folder, run.name)
        record = json.loads(record_path.read_text())
        if record["val_ids_sha1"] != runstore.ids_digest(run.val_ids):
            raise ValueError(f"inner run {run.name}: its stored validation clips differ from "
                             "the fold's (retrain it)")
        probs = np.load(probs_path)
        for c in candidates:
            if c.recipe != run.recipe or f"epoch{c.epochs}" not in probs:
                continue
            pred = probs[f"epoch{c.epochs}"].argmax(1)
            m = scoring.classification_metrics(y[run.val_idx], pred)
            rows.append({"fold": run.fold, "inner": run.inner, "candidate": c.name,
                         "seed": run.seed, "accuracy": m["accuracy"], "uar": m["uar"]})
    return pd.DataFrame(rows, columns=["fold", "inner", "candidate", "seed", "accuracy", "uar"])


def ensemble_gain(runs: Sequence[InnerRun], y: Sequence[int], folder: Path | str,
                  candidate: Candidate, fold: int, metric: str = "uar") -> float:
    """What averaging two models gains on the inner folds of outer ``fold`` for
    ``candidate``: per inner fold, the metric of the seeds' averaged validation probabilities
    minus the mean of the seeds alone; the mean over inner folds (NaN without two seeds)."""
    y, folder = np.asarray(y), Path(folder)
    gains = []
    by_inner: dict[int, list[InnerRun]] = {}
    for run in runs:
        if run.fold == fold and run.recipe == candidate.recipe and has_inner_result(run, folder):
            by_inner.setdefault(run.inner, []).append(run)
    for members in by_inner.values():
        if len(members) < 2:
            continue
        truth = y[members[0].val_idx]
        probs = [np.load(_paths(folder, r.name)[2])[f"epoch{candidate.epochs}"]
                 for r in members]
        alone = np.mean([scoring.classification_metrics(truth, p.argmax(1))[metric]
                         for p in probs])
        mixed = scoring.classification_metrics(truth, np.mean(probs, axis=0).argmax(1))[metric]
        gains.append(mixed - alone)
    return float(np.mean(gains)) if gains else float("nan")


def choose_cabg(runs: Sequence[InnerRun], y: Sequence[int], folder: Path | str,
                candidates: Sequence[Candidate] = CABG_CANDIDATES, metric: str = "uar",
                cap: int = ENSEMBLE_CAP, min_gain: float = ENSEMBLE_MIN_GAIN) -> pd.DataFrame:
    """The declared rule, per outer fold: the candidate with the highest mean inner-validation
    ``metric`` (the mean over a fold's seeds, then over inner folds; ties: the candidate listed
    first), and the ensemble
    size: ``cap`` when averaging two models gained at least ``min_gain`` on the inner folds
    (:func:`ensemble_gain`), else 1. Only outer folds whose inner runs are all stored are
    decided. One row per fold: ``fold``, ``chosen`` (candidate name), ``label``, one column per
    candidate with its inner score, ``ensemble_gain``, ``ensemble_size``."""
    scores = inner_scores(runs, y, folder, candidates)
    expected = {}
    for run in runs:
        expected[run.fold] = expected.get(run.fold, 0) + len(snapshot_epochs(run.recipe,
                                                                             candidates))
    rows = []
    for fold, part in scores.groupby("fold"):
        if len(part) < expected.get(fold, 0):
            continue
        means = part.groupby(["candidate", "inner"])[metric].mean().groupby("candidate").mean()
        best = max(candidates, key=lambda c: (round(means.get(c.name, -1.0), 9),
                                              -candidates.index(c)))
        gain = ensemble_gain(runs, y, folder, best, int(fold), metric)
        rows.append({"fold": int(fold), "chosen": best.name, "label": best.label,
                     **{c.name: float(means.get(c.name, np.nan)) for c in candidates},
                     "ensemble_gain": gain,
                     "ensemble_size": cap if gain >= min_gain else 1})
    return pd.DataFrame(rows)


def candidate_by_name(name: str, candidates: Sequence[Candidate] = CABG_CANDIDATES
                      ) -> Candidate:
    for c in candidates:
        if c.name == name:
            return c
    raise ValueError(f"unknown candidate {name!r}; accepted: "
                     f"{', '.join(c.name for c in candidates)}")


# ----------------------------------------------------------------------------- feature models

def choose_feature_models(records: Sequence[runstore.RunRecord], protocol: str,
                          candidates: Sequence[str] | None = None) -> pd.DataFrame:
    """Per outer fold, the stored scikit-learn configurations (chapter 04's run store) ranked
    by their recorded validation accuracy (speaker-grouped folds of that fold's training part;
    ties: name order). One row per (fold, model): ``fold``, ``model``, ``validation_score``,
    ``rank`` (1 = chosen)."""
    rows = []
    for rec in records:
        if rec.protocol != protocol or (candidates is not None and rec.model not in candidates):
            continue
        rows.append({"fold": rec.fold, "model": rec.model,
                     "validation_score": float(rec.extra["validation_score"]),
                     "name": rec.name})
    table = pd.DataFrame(rows, columns=["fold", "model", "validation_score", "name"])
    table = table.sort_values(["fold", "validation_score", "model"],
                              ascending=[True, False, True], kind="stable")
    table["rank"] = table.groupby("fold").cumcount() + 1
    return table.reset_index(drop=True)


def plurality_vote(predictions: Sequence[np.ndarray]) -> np.ndarray:
    """Per row, the label most members predict; ties go to the earliest member among the tied
    labels (members in rank order)."""
    stacked = np.asarray(predictions)
    out = np.empty(stacked.shape[1], dtype=stacked.dtype)
    for i in range(stacked.shape[1]):
        votes = list(stacked[:, i])
        counts = {v: votes.count(v) for v in votes}
        top = max(counts.values())
        out[i] = next(v for v in votes if counts[v] == top)
    return out


# ----------------------------------------------------------------------------- outer scoring

@dataclass
class OuterResult:
    """The outer test folds scored once with the chosen configurations: per fold what was
    chosen (``choices``) and its metrics (``folds``), the tested clips for the intervals
    (``predictions``: ``fold``, ``speaker``, ``y_true``, ``y_pred``, ``replicate``), and the
    folds that could not be scored yet (``missing``: the runs they lack)."""

    choices: pd.DataFrame
    folds: pd.DataFrame
    predictions: pd.DataFrame
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing and len(self.folds) > 0

    def summary(self) -> pd.DataFrame:
        """:func:`serlib.evaluation.scoring.summarize_folds` over the scored folds."""
        return scoring.summarize_folds(self.folds.drop(columns=["fold"]).to_dict("records"))


def _outer(choices: pd.DataFrame, per_fold: list[dict], parts: list[pd.DataFrame],
           missing: list[str]) -> OuterResult:
    columns = ["fold", "speaker", "y_true", "y_pred", "replicate"]
    pred = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return OuterResult(choices, pd.DataFrame(per_fold), pred, missing)


def score_cabg(choice: pd.DataFrame, protocol: str, table: pd.DataFrame, y: Sequence[int],
               inputs: Sequence[np.ndarray], store: Path | str, ensemble: bool,
               corpus: str = "ravdess") -> OuterResult:
    """Score each outer fold once with :func:`choose_cabg`'s choice: the chosen recipe's run
    of seed 999 on the whole training part (``ensemble`` False) or the average of its first
    ``ensemble_size`` seeds' test probabilities (``ensemble`` True), from the run store."""
    from serlib.experiments import cabg_runs

    y, speakers = np.asarray(y), table["speaker"].to_numpy()
    per_fold, parts, missing = [], [], []
    for row in choice.itertuples():
        c = candidate_by_name(row.chosen)
        size = int(row.ensemble_size) if ensemble else 1
        seeds = [INNER_SEEDS[0][0] + i for i in range(size)]
        runs = cabg_runs.protocol_runs(protocol, table, y, seeds, variant=c.outer_variant,
                                       folds=[int(row.fold)], val_frac=0, corpus=corpus)
        lacking = [r.name for r in runs if not cabg_runs.has_result(r, store)]
        if lacking:
            missing += lacking
            continue
        _, probs = cabg_runs.evaluate_runs(runs, inputs, y, store)
        idx = runs[0].test_idx
        pred = np.mean([probs[r.name] for r in runs], axis=0).argmax(1)
        per_fold.append({"fold": int(row.fold), **scoring.classification_metrics(y[idx], pred)})
        parts.append(pd.DataFrame({"fold": int(row.fold), "speaker": speakers[idx],
                                   "y_true": y[idx], "y_pred": pred, "replicate": "0"}))
    return _outer(choice, per_fold, parts, missing)


def feature_choices(corpus: str, protocol: str,
                    records: dict[str, runstore.RunRecord] | None = None) -> pd.DataFrame:
    """Per outer fold, the stored configuration ranked first and the vote size the inner folds
    chose (:func:`choose_vote_size` over the committed :func:`vote_store_path` table), with
    the members of the chosen vote (``records``: :func:`stored_records`, read when not
    given). Raises ``FileNotFoundError`` naming the command that writes a missing vote
    table."""
    path = vote_store_path(corpus, protocol)
    if not path.is_file():
        raise FileNotFoundError(f"no inner votes at {path}: run python -m "
                                f"serlib.experiments.nested votes --corpus {corpus}")
    records = stored_records(corpus, protocol) if records is None else records
    ranking = choose_feature_models(list(records.values()), protocol)
    sizes = choose_vote_size(pd.read_csv(path))
    first = ranking[ranking["rank"] == 1].set_index("fold")
    sizes["chosen"] = [first.loc[f, "model"] for f in sizes["fold"]]
    sizes["validation_score"] = [first.loc[f, "validation_score"] for f in sizes["fold"]]
    return sizes


def score_feature_models(corpus: str, protocol: str, table: pd.DataFrame, ensemble: bool
                         ) -> OuterResult:
    """Score each outer fold once: the stored test predictions of the configuration ranked
    first (``ensemble`` False) or the plurality vote of the chosen number of best-ranked ones
    (``ensemble`` True; :func:`feature_choices`). ``table``: the corpus table (its ``id``,
    ``speaker`` and ``emotion`` columns); the stored runs' test ids are checked."""
    from serlib.experiments import baseline_store
    from serlib.protocols import registry

    records = stored_records(corpus, protocol)
    choices = feature_choices(corpus, protocol, records)
    folder = baseline_store.store_for(corpus, False, None)
    folds = {f.number: f for f in registry.fold_indices(registry.get_protocol(protocol, corpus),
                                                         table, warn=False)}
    ids, speakers = table["id"].to_numpy(), table["speaker"].astype(str).to_numpy()
    truth = table["emotion"].to_numpy()
    per_fold, parts = [], []
    for row in choices.itertuples():
        members = row.members.split("+") if ensemble else row.members.split("+")[:1]
        idx = folds[int(row.fold)].test
        preds = []
        for name in members:
            rec = records[name]
            rec.check_ids(list(ids[idx]))
            classes = np.asarray(rec.extra["classes"])
            preds.append(classes[np.load(folder / f"{name}.pred.npy")])
        pred = plurality_vote(preds)
        per_fold.append({"fold": int(row.fold),
                         **scoring.classification_metrics(truth[idx], pred)})
        parts.append(pd.DataFrame({"fold": int(row.fold), "speaker": speakers[idx],
                                   "y_true": truth[idx], "y_pred": pred, "replicate": "0"}))
    return _outer(choices, per_fold, parts, [])


# ----------------------------------------------------------------------------- training driver

NESTED_FOLDER = "nested"  # inner runs live in <run store>/nested/


def _worker(run: InnerRun, inputs, y, folder: str, augmented, num_classes: int) -> str:
    import torch

    torch.set_num_threads(1)
    train_inner_run(run, inputs, y, folder, augmented=augmented, num_classes=num_classes)
    return run.name


def train_inner(runs: Sequence[InnerRun], inputs: Sequence[np.ndarray], y: Sequence[int],
                folder: Path | str, augmented: Sequence[Sequence[np.ndarray]] = (),
                n_jobs: int = 1, num_classes: int = 8,
                log: Callable[[str], None] = print) -> list[str]:
    """Train the inner runs without a stored result, ``n_jobs`` at a time (one torch thread
    each), with a progress bar over runs; returns the names trained."""
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    todo = [r for r in runs if not has_inner_result(r, folder)]
    done = []
    jobs = (delayed(_worker)(r, inputs, y, str(folder), augmented, num_classes) for r in todo)
    with tqdm(total=len(todo), desc="inner runs", unit="run") as bar:
        for name in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
            done.append(name)
            bar.update()
            log(f"trained {name}")
    return done


def train_cabg(protocol: str, table: pd.DataFrame, y: Sequence[int],
               inputs: Sequence[np.ndarray], copies: Sequence[Sequence[np.ndarray]],
               store: Path | str, folds: Sequence[int] | None = None, n_jobs: int = 2,
               retrain: bool = False, log: Callable[[str], None] = print) -> pd.DataFrame:
    """The whole nested selection of CABG on ``protocol``: train the inner runs the store
    (``<store>/nested``) lacks (all with ``retrain``), apply the rule (:func:`choose_cabg`),
    then train the chosen outer runs the store lacks (whole training part, last epoch, the
    chosen number of consecutive seeds from 999). ``copies``: the speed-perturbed versions of
    ``inputs`` (:data:`SPEED_FACTORS`). Returns the choice table."""
    from serlib.experiments import cabg_runs

    folder = Path(store) / NESTED_FOLDER
    runs = inner_runs(protocol, table, y, folds=folds)
    if retrain:
        for run in runs:
            for path in _paths(folder, run.name):
                path.unlink(missing_ok=True)
    train_inner(runs, inputs, y, folder, augmented=copies, n_jobs=n_jobs, log=log)
    choice = choose_cabg(runs, y, folder)
    for row in choice.itertuples():
        c = candidate_by_name(row.chosen)
        seeds = [INNER_SEEDS[0][0] + i for i in range(row.ensemble_size)]
        result = cabg_runs.run_protocol(
            protocol, table, y, inputs, recipe_config(c.recipe, c.epochs), seeds, store,
            variant=c.outer_variant, folds=[row.fold], train="all" if retrain else "missing",
            val_frac=0, augmented=copies if c.recipe == "full-speed" else (), n_jobs=n_jobs)
        log(f"fold {row.fold}: {c.outer_variant} seeds {seeds}: trained now "
            f"{result.trained or 'none'}")
    return choice


def main(argv: list[str] | None = None) -> int:
    """``python -m serlib.experiments.nested train`` trains the inner CABG runs of RAVDESS's
    EmoBox folds, applies the rule, and trains the chosen outer runs that the run store lacks;
    ``choose`` prints the choices from the stored inner runs."""
    import argparse

    import torch

    from serlib import paths
    from serlib.data import corpora
    from serlib.features import acoustic, extraction
    from serlib.models import cabg

    parser = argparse.ArgumentParser(prog="python -m serlib.experiments.nested",
                                     description=main.__doc__)
    parser.add_argument("command", choices=["train", "choose", "votes"])
    parser.add_argument("--corpus", default="emodb", help="votes: emodb or aesdd")
    parser.add_argument("--protocol", default="emobox-6fold", choices=["emobox-6fold"])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--folds", default="", help="outer folds, e.g. 1,2 (default: all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    folds = [int(f) for f in args.folds.split(",") if f.strip()] or None
    if args.command == "votes":
        for path in write_vote_store(args.corpus):
            print(f"wrote {paths.relative(path)}")
        return 0
    table = corpora.load_ravdess(probe=False).table
    y = table["emotion"].map(cabg.EMOTIONS.index).to_numpy()
    store = paths.project_root() / "models" / "cabg"
    folder = store / NESTED_FOLDER
    runs = inner_runs(args.protocol, table, y, folds=folds)

    def logmels(params: dict) -> list[np.ndarray]:
        run = extraction.extract(table["path"], acoustic.emocatcher_input_file, params,
                                 n_jobs=args.n_jobs, progress=False)
        if len(run.failed):
            raise RuntimeError(f"unreadable clips: {run.failed}")
        return prepare_inputs([v["logmel"] for v in run.values], TrainConfig())

    if args.command == "train":
        copies = [logmels({"speed": f}) for f in SPEED_FACTORS]
        choice = train_cabg(args.protocol, table, y, logmels({}), copies, store, folds=folds,
                            n_jobs=args.n_jobs)
        print(choice.to_string())
        return 0
    print(choose_cabg(runs, y, folder).to_string())
    return 0


#: the protocols whose feature models are nested-selected (the study plan's rows)
FEATURE_PROTOCOLS = {"emodb": ("emobox-5fold", "loso-10"), "aesdd": ("loso-6",)}


def vote_store_path(corpus: str, protocol: str) -> Path:
    """The committed inner-vote scores of a corpus's protocol:
    ``models/sklearn/<corpus>/nested-votes_<protocol>.csv``."""
    from serlib import paths

    return paths.project_root() / "models" / "sklearn" / corpus / f"nested-votes_{protocol}.csv"


def stored_records(corpus: str, protocol: str) -> dict[str, runstore.RunRecord]:
    """Chapter 04's stored scikit-learn runs of a corpus's protocol, by run name."""
    from serlib.experiments import baseline_store

    folder = baseline_store.store_for(corpus, False, None)
    return {r.name: r for r in runstore.list_records(folder) if r.protocol == protocol}


def write_vote_store(corpus: str, n_val_folds: int = 5, seed: int = 0) -> list[Path]:
    """Compute :func:`inner_vote_scores` for the :data:`FEATURE_PROTOCOLS` of ``corpus``
    from chapter 04's stored runs and the feature table notebook 02 wrote (run chapters 01-04
    with ``--corpus`` first), and store them (:func:`vote_store_path`)."""
    from serlib.app import notebook
    from serlib.features import egemaps, extraction

    study = notebook.choose_study(corpus)
    meta, X = extraction.load_table(study.name, study.artifacts)
    meta, X, _ = egemaps.with_egemaps(meta, X, n_jobs=1)
    if list(meta["id"]) != list(study.main.table["id"]):
        raise ValueError(f"{corpus}: the feature table's rows are not the corpus table's")
    y, speakers = meta["emotion"].to_numpy(), meta["speaker"].astype(str).to_numpy()
    written = []
    for name, protocol in study.protocols(seed=seed).items():
        if name not in FEATURE_PROTOCOLS.get(corpus, ()):
            continue
        records = stored_records(corpus, name)
        ranking = choose_feature_models(list(records.values()), name)
        votes = inner_vote_scores(ranking, records, X, y, speakers, list(protocol.splits),
                                  n_val_folds=n_val_folds, seed=seed)
        path = vote_store_path(corpus, name)
        votes.round(6).to_csv(path, index=False)
        written.append(path)
    return written



VOTE_SIZES = (1, 3, 5)


def parse_params(params: dict[str, str]) -> dict:
    """The tuned settings as the run store keeps them (strings) back as Python values."""
    import ast

    out = {}
    for key, text in params.items():
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[key] = text
    return out


def inner_vote_scores(ranking: pd.DataFrame, records: dict[str, runstore.RunRecord],
                      X: pd.DataFrame, y: Sequence, speakers: Sequence,
                      folds: Sequence[tuple[np.ndarray, np.ndarray]],
                      sizes: Sequence[int] = VOTE_SIZES, n_val_folds: int = 5, seed: int = 0,
                      progress: bool = True) -> pd.DataFrame:
    """For every outer fold, the inner accuracy and UAR of a plurality vote of the ``k``
    best-ranked configurations (``ranking`` from :func:`choose_feature_models`), ``k`` in
    ``sizes``: out-of-fold predictions of each member (its stored settings; speaker-grouped
    folds of the outer training part, at most ``n_val_folds``, as chapter 04 tuned) voted
    together. The outer test part is never touched. One row per (fold, k)."""
    from sklearn.model_selection import cross_val_predict
    from tqdm.auto import tqdm

    from serlib.experiments import baselines
    from serlib.features import extraction
    from serlib.protocols import splits

    y, speakers = np.asarray(y), np.asarray(speakers).astype(str)
    groups = extraction.feature_groups(X.columns)
    rows = []
    todo = list(enumerate(folds, start=1))
    for fold, (train, _) in tqdm(todo, desc="inner votes", unit="fold", disable=not progress):
        part = ranking[ranking["fold"] == fold].sort_values("rank")
        members = part["name"].tolist()[:max(sizes)]
        k = min(n_val_folds, len(set(speakers[train])))
        cv = splits.group_kfold(speakers[train], y[train], n_splits=k, seed=seed)
        preds = []
        for name in members:
            rec = records[name]
            base = next(m for m in baselines.MODELS if rec.model == m or
                        rec.model.startswith(f"{m}-"))
            cols = baselines.columns_of(groups, rec.extra["config"]["features"])
            est = baselines.make_model(base, seed=rec.seed,
                                       **parse_params(rec.extra.get("params", {})))
            predict = baselines.single_blas_thread(cross_val_predict)
            preds.append(np.asarray(predict(est, X.iloc[train][cols], y[train], cv=cv)))
        for size in sizes:
            if size > len(preds):
                continue
            vote = plurality_vote(preds[:size])
            m = scoring.classification_metrics(y[train], vote)
            rows.append({"fold": fold, "size": size, "members": "+".join(members[:size]),
                         "accuracy": m["accuracy"], "uar": m["uar"]})
    return pd.DataFrame(rows, columns=["fold", "size", "members", "accuracy", "uar"])


def choose_vote_size(votes: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """The declared rule: per outer fold, the vote size with the best inner ``metric`` (ties:
    the smaller). One row per fold: ``fold``, ``size``, ``members`` and the score of every
    size (``score_k``)."""
    rows = []
    for fold, part in votes.groupby("fold"):
        part = part.sort_values("size")
        best = part.loc[part[metric].round(9).idxmax()]
        rows.append({"fold": int(fold), "size": int(best["size"]), "members": best["members"],
                     **{f"score_{int(r['size'])}": float(r[metric]) for _, r in part.iterrows()}})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    raise SystemExit(main())
