"""Seconds per EmoCatcher epoch: the seed's own training loop against serlib's, side by side.

* **seed's loop**, reproduced from EmoCatcher's code: a ``Dataset`` whose ``__getitem__`` calls
  ``librosa.load`` at 22 050 Hz, computes the 64-mel log spectrogram and its VAD cut for every
  clip in every epoch; a ``DataLoader`` with shuffled batches of 32, zero-padded; one training
  pass and one pass over the test clips per epoch, loaded the same way;
* **serlib's loop**: :func:`serlib.training.torch_training.fit` on the VAD-cut log-mels of notebook
02's
  on-disk cache (loaded once, timed separately), one training pass and one test pass per epoch.

Both train the same model (EmoCatcher, AdaBelief at 1e-3, cross-entropy with label smoothing
0.1) on the seed's hold-out training part (1152 clips; test part 288 clips), in ONE process with
one torch thread, alternating (seed, serlib, serlib, seed, ...) so that load from other jobs on a
shared machine hits both alike. Wall seconds and CPU seconds of this process are both recorded;
the CPU seconds are what the load of other processes disturbs least.

Run: SERLIB_DATA=../shared/data .venv/bin/python benchmarks/cabg_epoch_speed.py [--rounds 2]
Writes benchmarks/cabg_epoch_speed.md and benchmarks/cabg_epoch_speed.csv.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import torch
from adabelief_pytorch import AdaBelief
from torch import nn
from torch.utils.data import DataLoader, Dataset

from serlib.data import audio, corpora
from serlib.features import acoustic, extraction
from serlib.models import cabg
from serlib.protocols import registry
from serlib.training import torch_training

HERE = Path(__file__).parent
SEED_WAY = "seed's loop: librosa.load + mel + VAD every clip, every epoch"
SERLIB_WAY = "serlib: training.fit on cached VAD-cut log-mels"


class SeedMelDataset(Dataset):
    """EmoCatcher's ``RAVDESSMelS``: every item is read, resampled to 22 050 Hz, turned into
    the 64-mel log spectrogram and cut to its voice-activity bounds when it is asked for."""

    def __init__(self, files: list[str], labels: np.ndarray):
        self.files, self.labels = files, labels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        y, sr = librosa.load(self.files[i], sr=audio.EMOCATCHER_SR)
        return audio.emocatcher_input(y, sr), int(self.labels[i])


def collate(items: list[tuple[np.ndarray, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Zero-pad a batch at the end, as the seed does."""
    x, lengths = cabg.pad_batch([a for a, _ in items])
    return x, lengths, torch.tensor([label for _, label in items])


def seed_epoch(model: nn.Module, optimizer, criterion, train: Dataset, test: Dataset,
               seed: int) -> None:
    """One epoch of the seed's loop: a training pass over shuffled batches of 32, then the test
    pass (batches of 32, no gradients)."""
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for x, lengths, y in DataLoader(train, batch_size=32, shuffle=True, generator=gen,
                                    collate_fn=collate):
        loss = criterion(model(x, lengths), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        for x, lengths, y in DataLoader(test, batch_size=32, collate_fn=collate):
            criterion(model(x, lengths), y)


def timed(func) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``func()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(rounds: int = 2) -> pd.DataFrame:
    torch.set_num_threads(1)
    table = corpora.load_ravdess().table
    y = table["emotion"].map(cabg.EMOTIONS.index).to_numpy()
    # the seed's hold-out split
    ((train_idx, test_idx),) = registry.fold_splits("random-holdout-8-2", table)
    files = table["path"].tolist()

    start = time.perf_counter()
    cached = extraction.extract(files, acoustic.emocatcher_input_file, {}, n_jobs=1, progress=False)
    load_seconds = time.perf_counter() - start
    arrays = [v["logmel"] for v in cached.values]

    train_ds = SeedMelDataset([files[i] for i in train_idx], y[train_idx])
    test_ds = SeedMelDataset([files[i] for i in test_idx], y[test_idx])
    torch.manual_seed(0)
    seed_model = cabg.EmoCatcher()
    seed_opt = AdaBelief(seed_model.parameters(), lr=1e-3, eps=1e-8, betas=(0.9, 0.999),
                         weight_decay=1e-7, weight_decouple=False, rectify=False,
                         print_change_log=False)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

    def serlib_epoch(seed: int) -> None:
        torch_training.fit([arrays[i] for i in train_idx], y[train_idx], [], [],
                     [arrays[i] for i in test_idx], y[test_idx],
                     torch_training.TrainConfig(epochs=1, seed=seed))

    rows = []
    for r in range(rounds):
        ways = [(SEED_WAY, lambda r=r: seed_epoch(seed_model, seed_opt, criterion, train_ds,
                                                  test_ds, r)),
                (SERLIB_WAY, lambda r=r: serlib_epoch(r))]
        for way, run in (ways if r % 2 == 0 else ways[::-1]):
            wall, cpu = timed(run)
            rows.append({"way": way, "round": r + 1, "wall_seconds": wall, "cpu_seconds": cpu})
            print(f"round {r + 1}: {way}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    per_epoch = pd.DataFrame(rows)
    per_epoch.to_csv(HERE / "cabg_epoch_speed.csv", index=False)
    frame = per_epoch.groupby("way", sort=False)[["wall_seconds", "cpu_seconds"]].mean()
    ratio = frame.loc[SEED_WAY] / frame.loc[SERLIB_WAY]
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Seconds per EmoCatcher epoch (train 1152 clips + test 288 clips, batch 32, one thread)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load_avg:.1f} at the end (a machine shared with other jobs: wall seconds "
        "are inflated, CPU seconds much less); "
        f"{rounds} epoch(s) of each way, alternating, in one process with one torch thread; "
        "audio: the 16 kHz FLAC copies of RAVDESS (the seed read 48 kHz WAVs, slower to resample).",
        "",
        "| way | wall s per epoch | CPU s per epoch |",
        "|---|---:|---:|",
        *[f"| {way} | {r.wall_seconds:.2f} | {r.cpu_seconds:.2f} |" for way, r in frame.iterrows()],
        f"| **ratio** (seed / serlib) | **{ratio['wall_seconds']:.1f}x** | "
        f"**{ratio['cpu_seconds']:.1f}x** |",
        "",
        f"serlib loads the cached inputs once per run: {load_seconds:.1f} s for the "
        f"{len(files)} clips ({cached.n_cached} from cache, {cached.n_computed} computed).",
        "",
    ]
    (HERE / "cabg_epoch_speed.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return frame


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="epochs of each way (alternating)")
    main(parser.parse_args().rounds)
