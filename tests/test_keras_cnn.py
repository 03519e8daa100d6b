"""Seed 004's Keras CNNs: architectures, augmentation, seeded training, recording-level
evaluation and the run store, on tiny random data (seconds on one CPU thread)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from synthetic_audio import tone

pytest.importorskip("tensorflow")

from serlib.evaluation import recording_level
from serlib.experiments import seed004
from serlib.features import acoustic  # noqa: E402
from serlib.models import keras_cnn
from serlib.training import keras_training


def tiny_segments(n_rec: int = 20, shape=(16, 20), seed: int = 0) -> keras_training.Segments:
    """Recordings of 1-3 segments; class c adds a bright band at rows 3c..3c+2."""
    rng = np.random.default_rng(seed)
    xs, ys, recs = [], [], []
    for r in range(n_rec):
        label = r % 5
        for _ in range(1 + r % 3):
            x = rng.normal(-40, 3, shape).astype(np.float32)
            x[3 * label:3 * label + 3] += 20
            xs.append(x)
            ys.append(label)
            recs.append(r)
    return keras_training.Segments(np.stack(xs), np.array(ys), np.array(recs))


def test_seed_architectures_match_the_seed():
    expected = {  # conv filters, dense units, parameter count at 128 x 130 input
        "model1": ((16, 32), (64,)),
        "model2": ((16, 32, 32), (64, 32)),
        "model3": ((16, 32, 64, 128), (128, 64, 32)),
    }
    for name, (convs, dense) in expected.items():
        model = keras_cnn.build_model(name)
        assert model.input_shape == (None, 128, 130, 1)
        assert model.output_shape == (None, 5)
        conv_layers = [la for la in model.layers if la.__class__.__name__ == "Conv2D"]
        assert tuple(la.filters for la in conv_layers) == convs
        assert all(la.kernel_size == (3, 3) and la.padding == "same" for la in conv_layers)
        pools = [la for la in model.layers if la.__class__.__name__ == "MaxPooling2D"]
        assert len(pools) == len(convs) and all(p.pool_size == (2, 2) for p in pools)
        dense_layers = [la for la in model.layers if la.__class__.__name__ == "Dense"]
        assert tuple(la.units for la in dense_layers) == (*dense, 5)
        names = [la.__class__.__name__ for la in model.layers]
        assert names[names.index("Flatten") + 1] == "Dropout"
    assert keras_cnn.build_model("model1", kernel_size=5).layers[1].kernel_size == (5, 5)
    with pytest.raises(ValueError, match="accepted: model1"):
        keras_cnn.build_model("model9")


def test_recording_level_averaging():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    rec = np.array([5, 5, 7, 7])
    recs, rp = recording_level.recording_proba(proba, rec)
    assert recs.tolist() == [5, 7]
    np.testing.assert_allclose(rp, [[0.55, 0.45], [0.45, 0.55]])
    y = np.array([0, 0, 1, 1])
    assert recording_level.recording_accuracy(proba, y, rec) == 1.0  # segments: 3 of 4 right
    m = recording_level.run_metrics(proba, y, rec)
    assert m["segment_accuracy"] == 0.5 and m["accuracy"] == 1.0
    with pytest.raises(ValueError, match="several classes"):
        recording_level.recording_labels(np.array([0, 1]), np.array([3, 3]))


def test_spec_augment_masks_and_keeps_input():
    rng = np.random.default_rng(0)
    x = np.arange(2 * 16 * 20, dtype=np.float32).reshape(2, 16, 20)
    out = keras_training.spec_augment(x, rng, freq_masks=1, freq_width=4, time_masks=1,
                                      time_width=5)
    assert out.shape == x.shape and not np.shares_memory(out, x)
    assert np.array_equal(x, np.arange(2 * 16 * 20, dtype=np.float32).reshape(2, 16, 20))
    same = keras_training.spec_augment(x, np.random.default_rng(0), 1, 4, 1, 5)
    assert np.array_equal(out, same)  # seeded
    assert np.array_equal(keras_training.spec_augment(x, rng, 0, 4, 0, 5), x)


def test_balanced_epoch_order():
    y = np.array([0] * 6 + [1] * 2 + [2] * 3)
    order = keras_training.epoch_order(y, np.random.default_rng(0), balanced=True)
    assert np.bincount(y[order]).tolist() == [6, 6, 6]
    plain = keras_training.epoch_order(y, np.random.default_rng(0))
    assert sorted(plain.tolist()) == list(range(len(y)))


def test_cosine_schedule():
    cfg = keras_training.TrainConfig(epochs=5, schedule="cosine", lr=1e-3, min_lr_ratio=0.1)
    lrs = [keras_training.learning_rate(cfg, e) for e in range(5)]
    assert lrs[0] == pytest.approx(1e-3) and lrs[-1] == pytest.approx(1e-4)
    assert all(a > b for a, b in zip(lrs, lrs[1:], strict=False))
    assert keras_training.learning_rate(keras_training.TrainConfig(), 3) == 1e-3
    with pytest.raises(ValueError, match="accepted: constant, cosine"):
        keras_training.TrainConfig(schedule="step")


def test_training_is_seeded_and_learns(tmp_path):
    data = tiny_segments()
    train, test = data.take(range(15)), data.take(range(15, 20))
    cfg = keras_training.TrainConfig(arch="model1", epochs=8, batch_size=8, standardize=True,
                                     seed=3)
    a = keras_training.train_run(train, test, cfg)
    b = keras_training.train_run(train, test, cfg)
    np.testing.assert_array_equal(a.proba, b.proba)  # one thread, fixed seeds: exact repeat
    assert len(a.history) == 8 and a.best_epoch == 8
    assert a.history["train_acc"].iloc[-1] > 0.5
    assert recording_level.recording_accuracy(a.proba, a.y, a.rec) >= 0.6
    with pytest.raises(AssertionError, match="test recording"):
        keras_training.train_run(train, data.take([0, 16]), cfg)


def test_improvements_run_with_validation_and_variants(tmp_path):
    data = tiny_segments(n_rec=30)
    shifted = keras_training.Segments(data.x + 1.0, data.y, data.rec)
    train, test = data.take(range(25)), data.take(range(25, 30))
    cfg = keras_training.TrainConfig(arch="model2", epochs=4, batch_size=8, standardize=True,
                         batch_norm=True, specaugment=True, freq_width=3, time_width=4,
                         balanced=True, schedule="cosine", val_fraction=0.3, patience=2,
                         pitch_semitones=(4.0,))
    run = keras_training.train_run(train, test, cfg, variants=[shifted])
    assert 1 <= run.best_epoch <= len(run.history) <= 4
    assert run.history["val_acc"].notna().all() and run.n_val > 0
    assert run.n_fit + run.n_val == len(train)
    with pytest.raises(ValueError, match="not aligned"):
        keras_training.train_run(train, test, cfg, variants=[data.take(range(10))])


def test_store_round_trip(tmp_path):
    data = tiny_segments()
    ids = [f"rec{i:02d}" for i in range(20)]
    exp = seed004.Experiment("tiny", keras_training.TrainConfig(arch="model1", epochs=1,
                                                                batch_size=16),
                        "test-protocol", [(np.arange(15), np.arange(15, 20)),
                                          (np.arange(5, 20), np.arange(5))], keep_models=(1,))
    trained = seed004.run_experiment(exp, {"plain": data}, ids, tmp_path, log=None)
    assert trained == ["tiny__0", "tiny__1"]
    assert seed004.run_experiment(exp, {"plain": data}, ids, tmp_path, log=None) == []  # cached
    pred, hist, facts = seed004.load_store(tmp_path)
    assert set(pred["recording"]) == set(ids[:5] + ids[15:])
    assert len(hist) == 2 and facts["n_params"].nunique() == 1
    metrics = seed004.metrics_from_predictions(pred)
    assert metrics["split"].tolist() == [0, 1]
    summary = seed004.summarize_experiments(metrics)
    assert summary.loc["tiny", "n"] == 2
    # the kept model reproduces its stored probabilities
    model, scale, config = keras_training.load_model(tmp_path, "tiny__1")
    assert config.arch == "model1"
    size = (tmp_path / "tiny__1.keras").stat().st_size
    assert size < 1.5 * 4 * keras_cnn.count_params(model) + 100_000  # weights only, no Adam state
    assert not (tmp_path / "tiny__0.keras").exists()
    test = data.take(np.arange(5))
    stored = pred[pred["split"] == 1][[f"p_{e}" for e in keras_cnn.EMOTIONS]].to_numpy()
    np.testing.assert_allclose(keras_training.predict_proba(model, test.x, scale), stored,
                               atol=1e-6)


def test_pitch_mels_match_the_segment_mels(tmp_path):
    path = tmp_path / "a01 (1).wav"
    sf.write(path, tone(4.0, 16000, 200), 16000)
    params = {"sr": 16000}
    plain = acoustic.aesdd_segment_mels(str(path), params)["mels"]
    same = acoustic.aesdd_pitch_mels(str(path), acoustic.pitch_params(0, 16000))["mels"]
    np.testing.assert_allclose(same, plain)
    up = acoustic.aesdd_pitch_mels(str(path), acoustic.pitch_params(4, 16000))["mels"]
    assert up.shape == plain.shape and not np.allclose(up, plain)
    assert acoustic.pitch_params(-4) == {"sr": 44100, "semitones": -4.0}


def test_experiments_cover_the_protocols():
    from serlib.data import corpora
    from serlib.protocols import registry

    fold = registry.get_protocol("loso-6", "aesdd").folds[0]  # every readable AESDD recording
    rows = [{"id": i, "recording_id": i.split("/")[1], **corpora.parse_aesdd_name(i.split("/")[1])}
            for i in [*fold.train, *fold.test]]
    table = pd.DataFrame(rows)
    exps = seed004.experiments(table)  # every split from the committed registry
    assert list(exps)[:6] == ["model3_seed", "improved", "model3_emobox", "model3_loso",
                              "improved_emobox", "improved_loso"]
    assert len(exps["model3_seed"].splits) == 5 and len(exps["improved_loso"].splits) == 6
    assert exps["improved_emobox"].protocol == seed004.EMOBOX_PROTOCOL
    for exp in exps.values():
        for train, test in exp.splits:
            assert not set(train) & set(test)
    assert exps["model1_wiener"].config.features() == {"sr": 44100, "wiener": True}
    # the ensemble's members: the seed's recipe on the same splits, other initialisations
    members = [exps[m] for m in seed004.ENSEMBLE_MEMBERS]
    assert len(members) == seed004.ENSEMBLE_SIZE == 3
    assert len({m.config.seed for m in members}) == 3
    assert all(m.splits is members[0].splits for m in members)
    assert all(replace(m.config, seed=0) == seed004.SEED_CONFIG for m in members)
    for base in ("model3_emobox", "model3_loso"):
        copies = [exps[m] for m in seed004.ensemble_members(base)]
        assert all(c.splits is exps[base].splits for c in copies)
        assert len({c.config.seed for c in copies}) == 3


def test_ensemble_averages_members_on_complete_splits():
    rows = []
    for exp, split, p_anger in (("a", 0, 0.9), ("b", 0, 0.1), ("a", 1, 0.7)):
        for seg in range(2):
            rows.append({"experiment": exp, "split": split, "recording": "r1", "segment": seg,
                         "label": 0, **{f"p_{e}": 0.0 for e in keras_cnn.EMOTIONS},
                         "p_anger": p_anger, "p_disgust": 1 - p_anger})
    pred = pd.DataFrame(rows)
    ens = seed004.ensemble_predictions(pred, ["a", "b"], "ab")
    assert set(ens["split"]) == {0}  # split 1 lacks member b
    assert ens["experiment"].unique().tolist() == ["ab"] and len(ens) == 2
    np.testing.assert_allclose(ens["p_anger"], 0.5)
    loose = seed004.ensemble_predictions(pred, ["a", "b"], "ab", complete_only=False)
    assert set(loose["split"]) == {0, 1}
    assert seed004.metrics_from_predictions(loose)["split"].tolist() == [0, 1]


def test_pitch_expand_triples_the_training_set():
    data = tiny_segments(n_rec=25)
    shifted = [keras_training.Segments(data.x + d, data.y, data.rec) for d in (1.0, -1.0)]
    train, test = data.take(range(20)), data.take(range(20, 25))
    cfg = keras_training.TrainConfig(arch="model1", epochs=1, batch_size=8, pitch_semitones=(4.0,
                                                                                             -4.0),
                         pitch_mode="expand")
    run = keras_training.train_run(train, test, cfg, variants=shifted)
    assert run.n_fit == 3 * len(train)  # every version of every training segment, each epoch
    drawn = keras_training.train_run(train, test, replace(cfg, pitch_mode="draw"), variants=shifted)
    assert drawn.n_fit == len(train)  # one version drawn per segment: the epoch keeps its length
    assert len(run.proba) == len(drawn.proba) == len(test)  # test segments never augmented
    with pytest.raises(ValueError, match="accepted: draw, expand"):
        keras_training.TrainConfig(pitch_mode="triple")
    restored = keras_training.TrainConfig.from_json(cfg.to_json())
    assert restored == cfg and restored.pitch_mode == "expand"


def test_seed_augmentations_and_ablations_on_the_seed_protocol():
    from serlib.data import corpora
    from serlib.evaluation import results_table
    from serlib.protocols import registry

    fold = registry.get_protocol("loso-6", "aesdd").folds[0]
    rows = [{"id": i, "recording_id": i.split("/")[1], **corpora.parse_aesdd_name(i.split("/")[1])}
            for i in [*fold.train, *fold.test]]
    exps = seed004.experiments(pd.DataFrame(rows))
    seed = exps["model3_seed"]
    for name in seed004.SEED_ABLATIONS:
        assert exps[name].protocol == seed004.SEED_PROTOCOL
        assert exps[name].splits is seed.splits and len(seed.splits) == 5  # all five repeats
        assert exps[name].keep_models == ()
    spec, pitch = exps["model3_specaugment"].config, exps["model3_pitch"].config
    # SpecAugment alone: the seed's recipe with only the masks switched on
    assert replace(spec, specaugment=False) == seed004.SEED_CONFIG
    assert (spec.freq_masks, spec.freq_width, spec.time_masks, spec.time_width) == (2, 15, 2, 20)
    assert not spec.standardize and not spec.pitch_semitones and spec.epochs == 20
    # pitch shift as the seed meant it: +-1/3 octave = +-4 semitones, every segment, tripled
    assert pitch.pitch_semitones == (4.0, -4.0) and pitch.pitch_mode == "expand"
    assert replace(pitch, pitch_semitones=(), pitch_mode="draw") == seed004.SEED_CONFIG
    assert 12 / 3 == abs(pitch.pitch_semitones[0])
    # the seed's published number each one is compared with, where the seed published one
    published = {r["model"] for r in results_table.published_rows("05")}
    for name, model in seed004.SEED_ABLATIONS.items():
        assert model is None or model in published, name
    assert seed004.SEED_ABLATIONS["model3_pitch"] == "keras-model3 pitch-aug (seed 004)"
