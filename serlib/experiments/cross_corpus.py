"""Across corpora: train on one corpus, test on another on the emotions both have.

The three corpora label emotions differently (AESDD writes ``anger``, EMO-DB German initials);
:func:`serlib.data.corpora.normalize_emotion` maps them onto one vocabulary, and
:func:`mapping_table` shows the mapping and which emotions each pair of corpora shares
(boredom is EMO-DB's only, calm and surprised RAVDESS's only, neutral is missing from AESDD).

A model is trained on every clip and every emotion of its training corpus; on the test corpus
only the clips of shared emotions are scored, and the prediction is the most probable
*shared* emotion (:func:`shared_argmax`), so a RAVDESS model cannot answer "calm" on EMO-DB.
Stored runs live in ``models/cabg/cross/`` (:func:`train_cabg`): per (training, test) pair a
run-store record, the training log and the test probabilities over the training corpus's
classes; the weights are not kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.data import corpora
from serlib.features import acoustic, extraction
from serlib.training import runstore

#: The corpora of the study, by name.
CORPORA: tuple[str, ...] = ("ravdess", "aesdd", "emodb")
#: The (training, test) pairs reported.
PAIRS: tuple[tuple[str, str], ...] = (
    ("ravdess", "emodb"), ("emodb", "ravdess"), ("aesdd", "ravdess"), ("ravdess", "aesdd"),
    ("aesdd", "emodb"), ("emodb", "aesdd"))


def protocol_name(train: str, test: str) -> str:
    """The results' protocol of a pair: ``cross-<train>-to-<test>``."""
    for name in (train, test):
        if name not in CORPORA:
            raise ValueError(f"unknown corpus {name!r}; accepted: {', '.join(CORPORA)}")
    if train == test:
        raise ValueError(f"train and test corpus are both {train!r}: not across corpora")
    return f"cross-{train}-to-{test}"


def corpus_emotions(table: pd.DataFrame) -> tuple[str, ...]:
    """The canonical emotions (:data:`serlib.data.corpora.EMOTION_VOCABULARY` order) of a corpus
    table's ``emotion`` column. Raises ``ValueError`` naming a label that maps to nothing."""
    found = set()
    for label in table["emotion"].unique():
        canonical = corpora.normalize_emotion(label)
        if canonical is None:
            raise ValueError(f"emotion label {label!r} is not in the vocabulary "
                             f"({', '.join(corpora.EMOTION_VOCABULARY)})")
        found.add(canonical)
    return tuple(e for e in corpora.EMOTION_VOCABULARY if e in found)


def canonical_labels(table: pd.DataFrame) -> np.ndarray:
    """The canonical emotion of every row of a corpus table."""
    return np.array([corpora.normalize_emotion(e) for e in table["emotion"]], dtype=object)


def shared_emotions(train: Sequence[str], test: Sequence[str]) -> tuple[str, ...]:
    """The emotions of both lists, in the training list's order."""
    return tuple(e for e in train if e in set(test))


def mapping_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The explicit mapping: one row per canonical emotion found in any corpus, one column per
    corpus with the label as that corpus writes it (``""`` where it lacks the emotion), then
    one column per pair of :data:`PAIRS` present in ``tables`` (``"yes"`` where the emotion
    is scored for that pair, ``""`` where it is left out)."""
    labels: dict[str, dict[str, str]] = {}
    for name, table in tables.items():
        for label in sorted(table["emotion"].unique()):
            labels.setdefault(corpora.normalize_emotion(label), {})[name] = str(label)
    order = [e for e in corpora.EMOTION_VOCABULARY if e in labels]
    out = pd.DataFrame({name: [labels[e].get(name, "") for e in order] for name in tables},
                       index=pd.Index(order, name="emotion"))
    for train, test in PAIRS:
        if train in tables and test in tables:
            shared = set(shared_emotions(corpus_emotions(tables[train]),
                                         corpus_emotions(tables[test])))
            out[f"{train}->{test}"] = ["yes" if e in shared else "" for e in order]
    return out


def shared_argmax(probs: np.ndarray, train_emotions: Sequence[str],
                  shared: Sequence[str]) -> np.ndarray:
    """The most probable emotion among ``shared`` for each row of ``probs`` (columns in
    ``train_emotions`` order): an array of emotion names."""
    cols = [list(train_emotions).index(e) for e in shared]
    return np.asarray(shared, dtype=object)[np.asarray(probs)[:, cols].argmax(1)]


def scored_rows(labels: Sequence[str], shared: Sequence[str]) -> np.ndarray:
    """Positions of the test clips whose emotion is shared (the clips that are scored)."""
    return np.flatnonzero(np.isin(np.asarray(labels, dtype=object), list(shared)))


def load_inputs(table: pd.DataFrame, n_jobs: int = 1) -> list[np.ndarray]:
    """EmoCatcher's cached log-mel inputs (:func:`serlib.features.acoustic.emocatcher_input_file`)
    of
    every clip of a corpus table. Raises ``RuntimeError`` listing files that failed."""
    run = extraction.extract(table["path"], acoustic.emocatcher_input_file, {}, n_jobs=n_jobs,
                           progress=False)
    if len(run.failed):
        raise RuntimeError(f"{len(run.failed)} file(s) failed: {run.failed.head().to_dict()}")
    return [v["logmel"] for v in run.values]


def run_name(train: str, test: str, variant: str, seed: int) -> str:
    """The stored run of a pair: ``cross-<train>-to-<test>_<variant>_fold1_seed<seed>``."""
    return f"{protocol_name(train, test)}_{variant}_fold1_seed{seed}"


def probabilities_file(folder: Path | str, train: str, test: str, variant: str,
                       seed: int) -> Path:
    """Where the test probabilities of a pair's run are stored."""
    return Path(folder) / f"{run_name(train, test, variant, seed)}.probs.npy"


def train_cabg(train: str, data: dict[str, tuple[pd.DataFrame, list[np.ndarray]]],
               config, folder: Path | str, variant: str,
               log: Callable[[str], None] | None = None) -> list[str]:
    """Train one CABG model (:func:`serlib.training.torch_training.fit`,
                             ``config``; no validation part, so
    the last epoch of the fixed budget is kept) on every clip of corpus ``train`` and store,
    for every other corpus in ``data`` (name -> (table, log-mels)) that forms a pair of
    :data:`PAIRS`, the test probabilities over the training corpus's emotions on all its clips,
    the training log and a run-store record. Returns the stored run names."""
    from serlib.models import cabg
    from serlib.training import torch_training

    table, inputs = data[train]
    emotions = corpus_emotions(table)
    y = np.array([emotions.index(e) for e in canonical_labels(table)])
    start = time.perf_counter()
    fit = torch_training.fit(torch_training.prepare_inputs(inputs, config), y, [], [],
                             config=config,
                       num_classes=len(emotions), log=log)
    model = torch_training.build_model(config.arch, **fit.model_kwargs)
    model.load_state_dict(fit.last_state)
    model.eval()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for test, (test_table, test_inputs) in data.items():
        if (train, test) not in PAIRS:
            continue
        name = run_name(train, test, variant, config.seed)
        probs = cabg.predict_proba(model, torch_training.prepare_inputs(test_inputs, config))
        np.save(folder / f"{name}.probs.npy", probs.astype(np.float32))
        fit.history.assign(protocol=protocol_name(train, test), variant=variant, fold=1,
                           seed=config.seed).drop(columns=["seconds"]).to_csv(
            folder / f"{name}.csv", index=False)
        ids = test_table["id"].tolist()
        runstore.write_record(folder, runstore.RunRecord(
            name=name, corpus=test, protocol=protocol_name(train, test), fold=1, model="cabg",
            recipe=variant, seed=config.seed, selection="fixed-budget",
            kept=f"last epoch ({config.epochs})", n_test=len(ids),
            test_ids_sha1=runstore.ids_digest(ids),
            seconds_per_epoch=round(float(fit.history["seconds"].mean()), 3),
            extra={"train_corpus": train, "train_emotions": list(emotions),
                   "n_train": len(y), "config": asdict(config),
                   "wall_s": round(time.perf_counter() - start, 1)}))
        names.append(name)
    return names


def stored_probabilities(folder: Path | str, train: str, test: str, variant: str, seed: int,
                         test_table: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    """A stored pair's test probabilities and the training emotions (its columns), after
    checking the record against ``test_table``'s ids. Raises ``FileNotFoundError`` naming the
    run when it was not trained."""
    name = run_name(train, test, variant, seed)
    path = Path(folder) / f"{name}.probs.npy"
    if not path.is_file():
        raise FileNotFoundError(f"no stored run {name} in {folder}: train it (retrain=True)")
    record = runstore.read_record(folder, name)
    record.check_ids(test_table["id"].tolist())
    return np.load(path), tuple(record.extra["train_emotions"])


def pair_predictions(probs: np.ndarray, train_emotions: Sequence[str],
                     test_table: pd.DataFrame, replicate: str = "0") -> pd.DataFrame:
    """The scored clips of a pair: ``speaker``, ``y_true``, ``y_pred`` (emotion names; the
    prediction is the most probable shared emotion) and ``replicate``, the input of
    :func:`serlib.evaluation.results_table.make_rows`."""
    labels = canonical_labels(test_table)
    shared = shared_emotions(train_emotions, corpus_emotions(test_table))
    keep = scored_rows(labels, shared)
    return pd.DataFrame({"speaker": test_table["speaker"].to_numpy()[keep],
                         "y_true": labels[keep],
                         "y_pred": shared_argmax(probs[keep], train_emotions, shared),
                         "replicate": replicate})


def feature_baseline(train_x: pd.DataFrame, train_labels: Sequence[str],
                     test_x: pd.DataFrame, test_labels: Sequence[str], seed: int = 0
                     ) -> np.ndarray:
    """Seed 001's logistic regression (scikit-learn, ``max_iter`` 5000) on clip features,
    standardised with the training corpus's statistics only, trained on every training clip
    and emotion; returns the probabilities of the test clips over the training emotions
    (canonical order, as :func:`corpus_emotions`). ``seed``: the solver's random state."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    order = [e for e in corpora.EMOTION_VOCABULARY if e in set(train_labels)]
    y = np.array([order.index(e) for e in train_labels])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000,
                                                               random_state=seed))
    model.fit(train_x.to_numpy(), y)
    probs = np.zeros((len(test_x), len(order)))
    probs[:, model.classes_] = model.predict_proba(test_x[train_x.columns].to_numpy())
    return probs


def speaker_independent(protocol: str, corpus: str) -> bool:
    """Whether a registered protocol of ``corpus`` tests only unseen speakers (``False`` for a
    protocol the registry does not know, such as the cross-corpus ones)."""
    from serlib.protocols import registry

    try:
        return registry.get_protocol(protocol, corpus).kind == "speaker-independent"
    except ValueError:
        return False
