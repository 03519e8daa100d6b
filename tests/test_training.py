"""Training loop, validation-based epoch selection, checkpoints and protocol runs, on tiny
random data."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from serlib.experiments import cabg_runs
from serlib.training import torch_training


def toy_data(n=48, n_classes=3, seed=0):
    """Separable toy inputs: class k has a bright band at mel bins 10k..10k+8."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for i in range(n):
        k = i % n_classes
        x = rng.normal(-50, 3, (64, int(rng.integers(8, 20)))).astype(np.float32)
        x[10 * k: 10 * k + 8] += 30
        xs.append(x)
        ys.append(k)
    return xs, np.array(ys)


def test_fit_learns_toy_data_and_keeps_validation_best():
    torch.set_num_threads(1)
    xs, ys = toy_data()
    cfg = torch_training.TrainConfig(epochs=4, batch_size=8, lr=3e-3, seed=1)
    result = torch_training.fit(xs[:32], ys[:32], xs[32:40], ys[32:40], xs[40:], ys[40:], cfg,
                          num_classes=3)
    h = result.history
    assert list(h.columns) == torch_training.HISTORY_COLUMNS
    assert h["epoch"].tolist() == [1, 2, 3, 4]
    assert h["train_acc"].iloc[-1] > 0.6
    summary = torch_training.history_summary(h)
    assert summary["val_epoch"] == result.best_epoch
    # the kept weights are those of the selected epoch: re-evaluating them reproduces it
    model = cabg_runs.cabg.EmoCatcher(**result.model_kwargs)
    model.load_state_dict(result.best_state)
    _, acc, _ = torch_training.evaluate(model, xs[32:40], ys[32:40])
    assert acc == pytest.approx(h.loc[h["epoch"] == result.best_epoch, "val_acc"].item())


def test_fit_is_reproducible_with_a_seed():
    xs, ys = toy_data(24)
    cfg = torch_training.TrainConfig(epochs=2, batch_size=8, seed=3, specaugment=True, mixup=0.2)
    a = torch_training.fit(xs[:16], ys[:16], xs[16:], ys[16:], config=cfg, num_classes=3)
    b = torch_training.fit(xs[:16], ys[:16], xs[16:], ys[16:], config=cfg, num_classes=3)
    cols = ["train_loss", "val_loss", "val_acc"]
    pd.testing.assert_frame_equal(a.history[cols], b.history[cols])
    assert a.history["test_acc"].isna().all()  # no test set given


def test_deltas_triple_the_channels():
    xs, ys = toy_data(12)
    cfg = torch_training.TrainConfig(epochs=1, batch_size=4, deltas=True)
    inputs = torch_training.prepare_inputs(xs, cfg)
    assert inputs[0].shape == (192, xs[0].shape[1])
    result = torch_training.fit(inputs[:8], ys[:8], inputs[8:], ys[8:], config=cfg, num_classes=3)
    assert result.model_kwargs["input_dim"] == 192


def test_spec_augment_masks_only_inside_each_clip():
    x = torch.full((2, 64, 10), -30.0)
    x[1, :, 6:] = 0.0  # padding of a 6-frame clip
    lengths = torch.tensor([10, 6])
    cfg = torch_training.TrainConfig(specaugment=True, freq_masks=2, freq_width=8, time_masks=2,
                               time_width=4)
    out = torch_training.spec_augment(x, lengths, cfg, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert torch.equal(out[1, :, 6:], x[1, :, 6:])
    assert torch.equal(x[0], torch.full((64, 10), -30.0))  # input untouched


def test_history_summary_separates_honest_and_test_picked():
    h = pd.DataFrame({"epoch": [1, 2, 3, 4], "val_acc": [0.5, 0.7, 0.7, 0.6],
                      "val_loss": [1.0, 0.9, 0.8, 0.9], "test_acc": [0.5, 0.6, 0.65, 0.8],
                      "test_loss": [1, 1, 1, 1], "train_acc": [0] * 4, "train_loss": [0] * 4})
    s = torch_training.history_summary(h, last_k=2)
    assert s["val_epoch"] == 3  # tie on accuracy: lower validation loss
    assert s["test_acc_val_selected"] == 0.65
    assert (s["test_epoch_picked"], s["test_acc_test_picked"]) == (4, 0.8)
    assert s["test_acc_last_k_mean"] == pytest.approx(0.725)


def test_carve_validation_random_and_by_group():
    y = np.repeat(np.arange(4), 30)
    groups = np.tile(np.arange(12), 10)
    train = np.arange(100)
    fit_idx, val_idx = cabg_runs.carve_validation(train, y, 0.2, seed=0)
    assert len(set(fit_idx) & set(val_idx)) == 0 and len(fit_idx) + len(val_idx) == 100
    fit_idx, val_idx = cabg_runs.carve_validation(train, y, 0.2, seed=0, groups=groups)
    assert not set(groups[fit_idx]) & set(groups[val_idx])
    assert set(fit_idx) | set(val_idx) == set(train)


def test_checkpoint_roundtrip(tmp_path: Path):
    xs, ys = toy_data(12)
    cfg = torch_training.TrainConfig(epochs=1, batch_size=4)
    result = torch_training.fit(xs[:8], ys[:8], xs[8:], ys[8:], config=cfg, num_classes=3)
    path = torch_training.save_checkpoint(tmp_path / "m.pt", result.best_state, result.model_kwargs,
                                    cfg, {"fold": 1})
    model, config, meta = torch_training.load_checkpoint(path)
    assert config == cfg and meta == {"fold": 1}
    assert path.stat().st_size < 400_000  # float16 storage
    assert next(model.parameters()).dtype == torch.float32


def fake_ravdess_table():
    """The 1440 names of RAVDESS speech (no audio), with the ids the protocol registry lists."""
    rows = []
    for a in range(1, 25):
        for e in range(1, 9):
            for i in ((1,) if e == 1 else (1, 2)):
                for st in (1, 2):
                    for r in (1, 2):
                        stem = f"03-01-{e:02d}-{i:02d}-{st:02d}-{r:02d}-{a:02d}"
                        rows.append({"path": f"/x/Actor_{a:02d}/{stem}.flac", "actor": a,
                                     "speaker": f"{a:02d}", "emotion": e,
                                     "id": f"Actor_{a:02d}/{stem}"})
    return pd.DataFrame(rows)


def test_protocol_runs_never_share_test_clips_or_test_speakers():
    table = fake_ravdess_table()
    y = table["emotion"].to_numpy() - 1
    actors = table["actor"].to_numpy()
    for protocol, n_runs in (("random-holdout-8-2", 2), ("random-5fold", 10),
                             ("emobox-6fold", 12), ("seed003-actors", 2)):
        runs = cabg_runs.protocol_runs(protocol, table, y, seeds=[0, 1])
        assert len(runs) == n_runs
        for r in runs:
            parts = [set(r.fit_idx), set(r.val_idx), set(r.test_idx)]
            assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
            if protocol in ("emobox-6fold", "seed003-actors"):
                a = [set(actors[list(p)]) for p in parts]
                assert not (a[0] & a[1] or a[0] & a[2] or a[1] & a[2])
    with pytest.raises(ValueError, match="accepted"):
        cabg_runs.protocol_runs("nope", table, y, [0])


def test_train_run_writes_history_and_checkpoint(tmp_path: Path):
    xs, ys = toy_data(30)
    run = cabg_runs.RunSpec("random-holdout-8-2", 1, 0, np.arange(18), np.arange(18, 24),
                           np.arange(24, 30), test_ids=tuple(f"c{i}" for i in range(24, 30)))
    cfg = torch_training.TrainConfig(epochs=2, batch_size=6)
    cabg_runs.train_run(run, xs, ys, cfg, out_dir=tmp_path)
    assert (tmp_path / f"{run.name}.pt").is_file()
    h = cabg_runs.load_histories(tmp_path, "random-holdout-8-2")
    assert len(h) == 2 and set(h["seed"]) == {0}
    s = cabg_runs.summarize_protocol(h, max_epoch=1)
    assert s["val_epoch"].tolist() == [1]


def test_seed_row_order(tmp_path: Path):
    table = fake_ravdess_table()
    order = table.sample(frac=1, random_state=0)["path"].map(
        lambda p: p.replace("/x/", "").replace(".flac", ".wav"))
    (tmp_path / "row_order.csv").write_text("path\n" + "\n".join(order) + "\n")
    out = cabg_runs.seed_row_order(table.iloc[::-1], tmp_path / "row_order.csv")
    assert [Path(p).stem for p in out["path"]] == [Path(p).stem for p in order]
    with pytest.raises(ValueError, match="not in the table"):
        cabg_runs.seed_row_order(table.iloc[:10], tmp_path / "row_order.csv")


def test_deep_plots_draw_titled_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from serlib.plots import deep_plots

    h = pd.DataFrame({"epoch": [1, 2, 1, 2], "train_acc": [0.3, 0.5, 0.2, 0.6],
                      "val_acc": [0.2, 0.4, 0.3, 0.4], "test_acc": [0.25, 0.45, 0.2, 0.5],
                      "train_loss": [2, 1.5, 2.1, 1.4], "val_loss": [2, 1.8, 2, 1.7],
                      "test_loss": [2, 1.7, 2.1, 1.6]})
    fig = deep_plots.training_curves(h, "toy:", selected=[2])
    assert [ax.get_title() for ax in fig.axes] == ["toy: accuracy", "toy: loss"]
    labels = ["a", "b", "c"]
    fig = deep_plots.confusion_matrices([0, 1, 2, 2], [0, 2, 2, 2], labels, "toy")
    assert "counts" in fig.axes[0].get_title()
    xs, _ = toy_data(4)
    w = [np.full(x.shape[1] // 2, 2 / x.shape[1]) for x in xs]
    deep_plots.attention_examples(xs, w, ["a", "b", "c", "a"], 0.062, ncols=3)
    probs = np.eye(3)[[0, 1, 1, 0]]
    deep_plots.predicted_examples(xs, [0, 1, 2, 0], probs, labels, 0.062)
    table = pd.DataFrame({"label": ["x", "y"], "mean": [0.8, 0.6], "std": [0.01, np.nan],
                          "kind": ["ours", "anchor"]})
    fig = deep_plots.protocol_comparison(table, "toy")
    assert fig.axes[0].get_title() == "toy"
    curves = pd.DataFrame({"protocol": ["p1", "p1", "p2"], "recipe": ["a", "a", "b"],
                           "size": [1, 2, 1], "accuracy": [0.5, 0.6, 0.4], "std": [0.1, 0, 0]})
    fig = deep_plots.ensemble_curves(curves, "toy:")
    assert [ax.get_title() for ax in fig.axes] == ["toy: p1", "toy: p2"]
    assert len(fig.axes[0].get_lines()) >= 1
    plt.close("all")


def toy_protocol(seed: int = 0):
    """A fake RAVDESS table, its labels, random 6-frame inputs and a one-epoch config."""
    table = fake_ravdess_table()
    rng = np.random.default_rng(seed)
    logmels = [rng.normal(-40, 5, (64, 6)).astype(np.float32) for _ in range(len(table))]
    return table, table["emotion"].to_numpy() - 1, logmels, torch_training.TrainConfig(epochs=1,
                                                                                 batch_size=64)


def test_run_protocol_trains_missing_then_reevaluates(tmp_path: Path):
    table, y, logmels, cfg = toy_protocol(0)
    before = cabg_runs.run_protocol("seed003-actors", table, y, logmels, cfg, [0], tmp_path)
    assert not before.available and before.missing == ["seed003-actors_seed_fold1_seed0"]
    trained = cabg_runs.run_protocol("seed003-actors", table, y, logmels, cfg, [0], tmp_path,
                                    train="missing")
    assert trained.trained == ["seed003-actors_seed_fold1_seed0"]
    again = cabg_runs.run_protocol("seed003-actors", table, y, logmels, cfg, [0, 1], tmp_path)
    assert again.missing == ["seed003-actors_seed_fold1_seed1"] and len(again.runs) == 1
    pd.testing.assert_frame_equal(again.scores, trained.scores)
    assert again.table()["test_acc"].item() == pytest.approx(again.scores["accuracy"].item())
    assert "accuracy (test-picked epoch, optimistic)" in again.summary().index
    with pytest.raises(ValueError, match="never, missing or all"):
        cabg_runs.run_protocol("seed003-actors", table, y, logmels, cfg, [0], tmp_path,
                              train="sometimes")


def test_without_validation_the_last_epoch_is_kept():
    xs, ys = toy_data(24)
    fit_idx, val_idx = cabg_runs.carve_validation(np.arange(24), ys, frac=0)
    assert fit_idx.tolist() == list(range(24)) and len(val_idx) == 0
    cfg = torch_training.TrainConfig(epochs=3, batch_size=8, seed=2)
    result = torch_training.fit(xs, ys, [], [], xs[:6], ys[:6], cfg, num_classes=3)
    assert result.best_epoch == 3
    for key, value in result.last_state.items():
        assert torch.equal(result.best_state[key], value)
    assert result.history["val_acc"].isna().all()
    summary = torch_training.history_summary(result.history)
    assert summary["val_epoch"] == 3
    assert summary["test_acc_val_selected"] == summary["test_acc_last"]


def test_ensemble_scores_average_fixed_groups_of_seeds(tmp_path: Path):
    table = fake_ravdess_table()
    y = table["emotion"].to_numpy() - 1
    runs = cabg_runs.protocol_runs("seed003-actors", table, y, [3, 1, 2, 4], val_frac=0)
    assert all(len(r.val_idx) == 0 for r in runs)
    assert len(runs[0].fit_idx) + len(runs[0].test_idx) == len(table)
    test = runs[0].test_idx
    truth = y[test]
    n, k = len(test), 8
    right = np.eye(k)[truth]
    wrong = np.eye(k)[(truth + 1) % k]
    # seeds 1 and 2 are each right on half of the clips, and confident where right
    half = np.arange(n) < n // 2
    p1 = np.where(half[:, None], 0.9 * right + 0.1 * wrong, 0.4 * right + 0.6 * wrong)
    p2 = np.where(half[:, None], 0.4 * right + 0.6 * wrong, 0.9 * right + 0.1 * wrong)
    probs = {r.name: {1: p1, 2: p2, 3: p1, 4: p1}[r.seed] for r in runs}
    result = cabg_runs.ProtocolResult("seed003-actors", runs, probs=probs)
    scores = cabg_runs.ensemble_scores(result, y, 2)
    assert scores["members"].tolist() == ["1+2", "3+4"]  # groups follow the seed order
    assert scores["member_acc"].tolist() == pytest.approx([0.5, 0.5], abs=1 / n)
    assert scores["accuracy"].tolist() == pytest.approx([1.0, 0.5], abs=1 / n)
    assert len(cabg_runs.ensemble_scores(result, y, 3)) == 1  # the incomplete group is dropped
    result.scores = pd.DataFrame({"fold": 1, "seed": [r.seed for r in runs], "epoch": 9,
                                  "accuracy": [0.5] * 4, "uar": 0.5, "f1": 0.5})
    result.per_run = pd.DataFrame({"fold": 1, "seed": [r.seed for r in runs],
                                   "test_epoch_picked": 3, "test_acc_test_picked": 0.6,
                                   "test_acc_last": 0.5, "test_acc_last_k_mean": 0.5})
    summary = cabg_runs.ensemble_summary(result, y, 2)
    assert summary.loc["ensemble of 2: accuracy", "mean"] == pytest.approx(0.75, abs=1 / n)
    assert summary.loc["single model, kept epoch", "n"] == 4
    assert "ensemble of 5: accuracy" not in cabg_runs.ensemble_summary(result, y, 5).index
    with pytest.raises(ValueError, match="at least 1"):
        cabg_runs.ensemble_scores(result, y, 0)
    curve = cabg_runs.ensemble_curve(result, y, [1, 2, 5])
    assert curve["size"].tolist() == [1, 2]  # no complete group of 5 seeds
    assert curve["groups"].tolist() == [4, 2]
    assert curve["accuracy"].tolist() == pytest.approx([0.5, 0.75], abs=1 / n)
    assert curve["std"].iloc[1] == pytest.approx(0.25, abs=1 / n)
    assert curve["member_acc"].tolist() == pytest.approx([0.5, 0.5], abs=1 / n)


def test_augmented_versions_join_the_fitted_part_only(tmp_path: Path, monkeypatch):
    xs, ys = toy_data(30)
    faster = [x[:, ::2] for x in xs]  # a stand-in for a speed-perturbed copy of the corpus
    run = cabg_runs.RunSpec("random-holdout-8-2", 1, 0, np.arange(18), np.arange(18, 24),
                           np.arange(24, 30), test_ids=tuple(f"c{i}" for i in range(24, 30)))
    seen = {}
    real_fit = torch_training.fit

    def spy(train_x, train_y, val_x, val_y, test_x, test_y, config, **kw):
        seen.update(n_fit=len(train_x), fit_y=np.asarray(train_y), n_val=len(val_x),
                    n_test=len(test_x), widths=[x.shape[1] for x in train_x])
        return real_fit(train_x, train_y, val_x, val_y, test_x, test_y, config, **kw)

    monkeypatch.setattr(cabg_runs, "fit", spy)
    cabg_runs.train_run(run, xs, ys, torch_training.TrainConfig(epochs=1, batch_size=6),
                       augmented=[faster])
    assert seen["n_fit"] == 36 and seen["n_val"] == 6 and seen["n_test"] == 6
    assert seen["fit_y"].tolist() == ys[:18].tolist() * 2
    assert seen["widths"][18:] == [faster[i].shape[1] for i in range(18)]


def test_standardize_option_stores_training_statistics(tmp_path: Path):
    xs, ys = toy_data(24)
    cfg = torch_training.TrainConfig(epochs=1, batch_size=8, standardize=True)
    result = torch_training.fit(xs[:16], ys[:16], [], [], xs[16:], ys[16:], cfg, num_classes=3)
    assert result.model_kwargs["standardize"] is True
    frames = np.concatenate(xs[:16], axis=1)
    assert np.allclose(result.best_state["input_mean"].numpy(), frames.mean(1), atol=1e-3)
    path = torch_training.save_checkpoint(tmp_path / "s.pt", result.best_state, result.model_kwargs,
                                    cfg)
    model, config, _ = torch_training.load_checkpoint(path)
    assert config.standardize and model.standardize
    with pytest.raises(ValueError, match="standardize applies to arch 'cabg'"):
        torch_training.TrainConfig(arch="mfcc-cnn", standardize=True)


def test_merge_results_groups_recipes_by_seed():
    table = fake_ravdess_table()
    y = table["emotion"].to_numpy() - 1

    def result(variant, probs_by_seed):
        runs = cabg_runs.protocol_runs("seed003-actors", table, y, [1, 2], variant=variant,
                                      val_frac=0)
        truth = y[runs[0].test_idx]
        probs = {r.name: probs_by_seed[r.seed](truth) for r in runs}
        scores = pd.DataFrame({"fold": 1, "seed": [1, 2], "epoch": 5, "accuracy": [0.5, 0.5],
                               "uar": 0.5, "f1": 0.5})
        per_run = pd.DataFrame({"fold": 1, "seed": [1, 2], "test_epoch_picked": 3,
                                "test_acc_test_picked": 0.6, "test_acc_last": 0.5,
                                "test_acc_last_k_mean": 0.5})
        histories = pd.DataFrame({"fold": [1, 1], "seed": [1, 2], "variant": variant})
        return cabg_runs.ProtocolResult("seed003-actors", runs, scores, probs, histories, per_run)

    def right(truth):
        return np.eye(8)[truth]

    def wrong(truth):
        return np.eye(8)[(truth + 1) % 8]

    a = result("full", {1: right, 2: wrong})
    b = result("full-speed", {1: right, 2: wrong})
    merged = cabg_runs.merge_results(a, b)
    assert len(merged.runs) == 4 and len(merged.table()) == 4  # no duplicated rows
    assert set(merged.table()["variant"]) == {"full", "full-speed"}
    groups = cabg_runs.ensemble_scores(merged, y, 2)
    assert groups["members"].tolist() == ["full:1+full-speed:1", "full:2+full-speed:2"]
    assert groups["accuracy"].tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="evaluated"):
        cabg_runs.merge_results(a, cabg_runs.ProtocolResult("seed003-actors", []))
    other = result("full", {1: right, 2: wrong})
    other.protocol = "random-5fold"
    with pytest.raises(ValueError, match="cannot merge"):
        cabg_runs.merge_results(a, other)


def test_runs_without_checkpoint_are_scored_from_stored_probabilities(tmp_path: Path):
    table, y, logmels, cfg = toy_protocol(1)
    trained = cabg_runs.run_protocol("seed003-actors", table, y, logmels, cfg, [0], tmp_path,
                                    train="missing")
    name = trained.runs[0].name
    assert (tmp_path / f"{name}.probs.npy").is_file()
    assert trained.scores["source"].tolist() == ["checkpoint"]
    (tmp_path / f"{name}.pt").unlink()
    stored = cabg_runs.run_protocol("seed003-actors", table, y, logmels, cfg, [0], tmp_path)
    assert stored.available and stored.missing == []
    assert stored.scores["source"].tolist() == ["stored probabilities"]
    assert np.allclose(stored.probs[name], trained.probs[name])
    assert stored.scores["accuracy"].item() == trained.scores["accuracy"].item()
    np.save(tmp_path / f"{name}.probs.npy", np.zeros((3, 8), np.float32))
    with pytest.raises(ValueError, match="rows"):
        cabg_runs.run_protocol("seed003-actors", table, y, logmels, cfg, [0], tmp_path)


def test_device_setting_names_accepted_values():
    assert torch_training.resolve_device("cpu").type == "cpu"
    assert torch_training.resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="accepted: cpu, cuda, cuda:N, auto"):
        torch_training.resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            torch_training.resolve_device("cuda")


def test_parallel_runs_give_the_same_results_as_serial(tmp_path: Path):
    table, y, logmels, cfg = toy_protocol(0)
    runs = cabg_runs.protocol_runs("seed003-actors", table, y, [0, 1], val_frac=0)
    serial = cabg_runs.ensure_trained(runs, logmels, y, cfg, tmp_path / "serial")
    parallel = cabg_runs.ensure_trained(runs, logmels, y, cfg, tmp_path / "parallel", n_jobs=2)
    assert sorted(serial) == sorted(parallel) == sorted(r.name for r in runs)
    for run in runs:
        a = np.load(cabg_runs.probabilities_path(tmp_path / "serial", run))
        b = np.load(cabg_runs.probabilities_path(tmp_path / "parallel", run))
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_gain_norm_option_builds_a_level_free_model_and_checks_its_arch():
    cfg = torch_training.TrainConfig(gain_norm=True, deltas=True)
    assert cfg.model_kwargs(64, 8) == {"input_dim": 192, "num_classes": 8, "gain_norm": True,
                                       "level_channels": 64}
    with pytest.raises(ValueError, match="gain_norm applies to arch 'cabg' only"):
        torch_training.TrainConfig(gain_norm=True, arch="mfcc-cnn", optimizer="adam")
    with pytest.raises(ValueError, match="cannot be combined"):
        torch_training.TrainConfig(gain_norm=True, standardize=True)
    xs, ys = toy_data(24)
    result = torch_training.fit(xs, ys, [], [], config=torch_training.TrainConfig(
        epochs=1, batch_size=8, gain_norm=True), num_classes=3)
    model = torch_training.build_model("cabg", **result.model_kwargs)
    model.load_state_dict(result.last_state)
    from serlib.models import cabg

    np.testing.assert_allclose(cabg.predict_proba(model, [x + 9.0 for x in xs[:5]]),
                               cabg.predict_proba(model, xs[:5]), atol=1e-5)


def test_result_rows_and_summary_frame(tmp_path: Path):
    table, y, logmels, cfg = toy_protocol(0)
    result = cabg_runs.run_protocol("seed003-actors", table, y, logmels, cfg, [0], tmp_path,
                                   train="missing")
    speakers = table["actor"].to_numpy()
    rows = cabg_runs.result_rows(result, y, speakers, "m", "validation", "07", note="n")
    assert [r["metric"] for r in rows] == ["accuracy", "uar", "f1"]
    assert rows[0]["mean"] == pytest.approx(result.scores["accuracy"].mean(), abs=1e-6)
    assert all(r["notebook"] == "07" and r["selection"] == "validation" for r in rows)
    assert rows[0]["ci_low"] <= rows[0]["mean"] <= rows[0]["ci_high"]
    frame = cabg_runs.summary_frame({"accuracy": [0.5, 0.1, 3]})
    assert frame.loc["accuracy", "n"] == 3
    with pytest.raises(ValueError, match="mean, std, n"):
        cabg_runs.summary_frame({"accuracy": [0.5]})
    with pytest.raises(ValueError, match="no evaluated runs"):
        cabg_runs.result_rows(cabg_runs.ProtocolResult("p", []), y, speakers, "m", "validation",
                             "07")
