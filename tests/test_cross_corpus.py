"""Across corpora: the mapping table, shared emotions, scoring on shared emotions, stored runs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from serlib.experiments import cross_corpus
from serlib.training import torch_training


def corpus(name: str, emotions, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"emotion": [emotions[i % len(emotions)] for i in range(n)],
                         "speaker": rng.choice(["s1", "s2", "s3"], n),
                         "id": [f"{name}/{i}" for i in range(n)], "path": ""})


TABLES = {"ravdess": corpus("r", ["neutral", "calm", "happy", "sad", "angry", "fearful",
                                  "disgust", "surprised"], 16),
          "aesdd": corpus("a", ["anger", "disgust", "fear", "happiness", "sadness"], 10),
          "emodb": corpus("e", ["neutral", "happy", "sad", "angry", "fearful", "disgust",
                                "boredom"], 14)}


def test_mapping_table_leaves_out_what_the_other_corpus_lacks():
    table = cross_corpus.mapping_table(TABLES)
    assert table.loc["angry", "aesdd"] == "anger" and table.loc["boredom", "ravdess"] == ""
    assert table.loc["boredom", "emodb->ravdess"] == ""
    assert table.loc["calm", "ravdess->emodb"] == ""
    assert table.loc["surprised", "ravdess->aesdd"] == ""
    assert table["ravdess->emodb"].eq("yes").sum() == 6
    assert table["aesdd->emodb"].eq("yes").sum() == 5 and table.loc["neutral", "aesdd->emodb"] == ""
    assert set(table.columns[3:]) == {f"{a}->{b}" for a, b in cross_corpus.PAIRS}


def test_shared_argmax_never_answers_an_emotion_the_test_corpus_lacks():
    train = ("neutral", "calm", "angry")
    probs = np.array([[0.1, 0.8, 0.1], [0.2, 0.1, 0.7]])
    assert cross_corpus.shared_argmax(probs, train, ("neutral", "angry")).tolist() == \
        ["neutral", "angry"]
    test = corpus("t", ["neutral", "boredom", "angry"], 6)
    pred = cross_corpus.pair_predictions(np.tile(probs, (3, 1)), train, test)
    assert len(pred) == 4 and set(pred["y_true"]) == {"neutral", "angry"}
    assert set(pred.columns) == {"speaker", "y_true", "y_pred", "replicate"}


def test_protocol_names_and_bad_corpus():
    assert cross_corpus.protocol_name("ravdess", "emodb") == "cross-ravdess-to-emodb"
    with pytest.raises(ValueError, match="accepted: ravdess, aesdd, emodb"):
        cross_corpus.protocol_name("ravdess", "iemocap")
    with pytest.raises(ValueError, match="not across corpora"):
        cross_corpus.protocol_name("emodb", "emodb")
    with pytest.raises(ValueError, match="'xyzzy' is not in the vocabulary"):
        cross_corpus.corpus_emotions(corpus("x", ["xyzzy"], 2))


def test_train_cabg_stores_one_checked_run_per_pair(tmp_path: Path):
    rng = np.random.default_rng(0)
    data = {k: (t, [rng.normal(-40, 5, (64, 8)).astype(np.float32) for _ in range(len(t))])
            for k, t in TABLES.items()}
    cfg = torch_training.TrainConfig(epochs=1, batch_size=8, gain_norm=True)
    names = cross_corpus.train_cabg("aesdd", data, cfg, tmp_path, "full-gain")
    assert names == ["cross-aesdd-to-ravdess_full-gain_fold1_seed999",
                     "cross-aesdd-to-emodb_full-gain_fold1_seed999"]
    probs, emotions = cross_corpus.stored_probabilities(tmp_path, "aesdd", "emodb", "full-gain",
                                                        999, TABLES["emodb"])
    assert emotions == ("happy", "sad", "angry", "fearful", "disgust") and probs.shape == (14, 5)
    with pytest.raises(Exception, match="test"):  # another corpus's clips: ids do not match
        cross_corpus.stored_probabilities(tmp_path, "aesdd", "emodb", "full-gain", 999,
                                          TABLES["emodb"].iloc[:5])
    with pytest.raises(FileNotFoundError, match="cross-emodb-to-aesdd"):
        cross_corpus.stored_probabilities(tmp_path, "emodb", "aesdd", "full-gain", 999,
                                          TABLES["aesdd"])


def test_feature_baseline_standardises_on_the_training_corpus_only():
    rng = np.random.default_rng(0)
    labels = ["angry", "sad"] * 20
    train = pd.DataFrame(rng.normal(0, 1, (40, 3)), columns=list("abc"))
    train.loc[[i for i, e in enumerate(labels) if e == "angry"], "a"] += 3
    test = train * 1.0 + 100  # a shifted corpus: its own statistics are never used
    probs = cross_corpus.feature_baseline(train, labels, test, labels)
    assert probs.shape == (40, 2) and np.allclose(probs.sum(1), 1)
    ok = cross_corpus.feature_baseline(train, labels, train, labels)  # columns: sad, angry
    assert (np.array(["sad", "angry"])[ok.argmax(1)] == np.array(labels)).mean() > 0.8


def test_speaker_independent_reads_the_registry():
    assert cross_corpus.speaker_independent("emobox-6fold", "ravdess")
    assert not cross_corpus.speaker_independent("random-5fold", "ravdess")
    assert not cross_corpus.speaker_independent("cross-ravdess-to-emodb", "emodb")
