"""Speaker normalisation from k enrolment clips: draws, exclusion, stored probabilities."""

from pathlib import Path

import numpy as np
import pytest
import torch

from serlib.experiments import speaker_norm
from serlib.features import acoustic
from serlib.models import cabg


def clips(n=24, seed=0):
    rng = np.random.default_rng(seed)
    speakers = np.array(["a", "b", "c"] * (n // 3))
    arrays = [rng.normal(-40 + 5 * "abc".index(s), 4, (64, int(rng.integers(5, 12))))
              .astype(np.float32) for s in speakers]
    return arrays, speakers


def test_all_clips_as_statistics_equals_speaker_standardize():
    arrays, speakers = clips()
    ref = acoustic.speaker_standardize(arrays, speakers)
    mine = [i for i, s in enumerate(speakers) if s == "b"]
    mean, std = speaker_norm.speaker_statistics([arrays[i] for i in mine])
    got = speaker_norm.standardize_with([arrays[i] for i in mine], mean, std)
    for i, g in zip(mine, got, strict=True):
        np.testing.assert_allclose(g, ref[i], atol=1e-5)


def test_enrolment_draws_are_reproducible_and_per_speaker():
    _, speakers = clips()
    pos = np.arange(6, 24)
    draws = speaker_norm.enrolment_draws(pos, speakers, 2, 3, seed=1)
    assert draws[0].keys() == {"a", "b", "c"}
    assert all(len(v) == 2 and set(speakers[v]) == {s} for s, v in draws[0].items())
    again = speaker_norm.enrolment_draws(pos, speakers, 2, 3, seed=1)
    assert all(np.array_equal(draws[d][s], again[d][s]) for d in range(3) for s in "abc")
    assert any(not np.array_equal(draws[0][s], draws[1][s]) for s in "abc")
    with pytest.raises(ValueError, match="too few for k=6"):
        speaker_norm.enrolment_draws(pos, speakers, 6, 1)
    with pytest.raises(ValueError, match="k must be at least 1"):
        speaker_norm.enrolment_draws(pos, speakers, 0, 1)


def test_enrolment_clips_are_not_scored_and_storage_roundtrips(tmp_path: Path):
    arrays, speakers = clips()
    torch.manual_seed(0)
    model = cabg.EmoCatcher(num_classes=4).eval()
    test_idx = np.arange(6, 24)
    stored = speaker_norm.enrolment_probabilities(model, arrays, test_idx, speakers, ks=(1, 3),
                                                  n_draws=2)
    assert stored["probs"].shape == (2, 2, 18, 4)
    assert stored["enrolled"].sum(axis=2).tolist() == [[3, 3], [9, 9]]
    assert np.isnan(stored["probs"][stored["enrolled"]]).all()
    assert not np.isnan(stored["probs"][~stored["enrolled"]]).any()
    speaker_norm.save_enrolment(tmp_path, "run", stored)
    back = speaker_norm.load_enrolment(tmp_path, "run")
    np.testing.assert_allclose(back["transductive"], stored["transductive"], atol=1e-3)
    y = np.zeros(24, int)
    pred = speaker_norm.enrolment_predictions(back, 3, y, speakers, fold=1)
    assert len(pred) == 2 * 9 and set(pred["replicate"]) == {"draw0", "draw1"}
    assert not set(pred["position"][pred["replicate"] == "draw0"]) & \
        set(np.flatnonzero(back["enrolled"][1, 0]) + 6)
    with pytest.raises(FileNotFoundError, match="other"):
        speaker_norm.load_enrolment(tmp_path, "other")


def test_ensure_enrolment_recomputes_retrained_runs_and_sets_weights_aside(tmp_path: Path):
    from serlib.experiments import cabg_runs
    from serlib.training import torch_training

    arrays, speakers = clips()
    run = cabg_runs.RunSpec("p", 1, 0, np.arange(6), np.array([], int), np.arange(6, 24))
    kwargs = {"input_dim": 64, "num_classes": 4}
    torch_training.save_checkpoint(cabg_runs.checkpoint_path(tmp_path, run),
                             cabg.EmoCatcher(**kwargs).state_dict(), kwargs,
                             torch_training.TrainConfig())
    assert speaker_norm.ensure_enrolment([run], arrays, speakers, tmp_path, ks=(1,), n_draws=1) \
        == [run.name]
    assert speaker_norm.ensure_enrolment([run], arrays, speakers, tmp_path, ks=(1,), n_draws=1) \
        == []
    done = speaker_norm.ensure_enrolment([run], arrays, speakers, tmp_path, ks=(1,), n_draws=1,
                                         set_aside=tmp_path / "aside", refresh=[run.name])
    assert done == [run.name] and not cabg_runs.checkpoint_path(tmp_path, run).is_file()
    assert (tmp_path / "aside" / f"{run.name}.pt").is_file()
