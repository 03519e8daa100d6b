"""Seconds per EmoCatcher training epoch: the seed's way against serlib's, side by side.

* seed's way: every epoch reads every training clip, resamples it to 22050 Hz, computes the
  64-mel log spectrogram and its VAD cut inside the data loader (EmoCatcher's ``RAVDESSMelS``
  dataset), then trains on the batch;
* serlib's way: the VAD-cut log-mels come from notebook 02's on-disk cache, are loaded once
  (timed separately) and every epoch only trains.

Both train the same model with the same optimiser on the seed's hold-out training part (1152
clips), one thread (``torch.set_num_threads(1)``), for ``--epochs`` epochs each.

Run: SERLIB_DATA=../shared/data .venv/bin/python benchmarks/cabg_epoch_speed.py
Writes benchmarks/cabg_epoch_speed.md and benchmarks/cabg_epoch_speed.csv.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd
import torch
from adabelief_pytorch import AdaBelief
from torch import nn

from serlib import audio, cabg, corpora, features, protocols

HERE = Path(__file__).parent


def train_epoch(model, optimizer, criterion, n, get_batch, batch_size=32, seed=0) -> float:
    """One epoch over ``n`` clips in shuffled batches; ``get_batch(indices)`` returns the
    inputs. Returns the wall time in seconds."""
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=gen).tolist()
    start = time.perf_counter()
    model.train()
    for i in range(0, n, batch_size):
        idx = order[i:i + batch_size]
        arrays, labels = get_batch(idx)
        x, lengths = cabg.pad_batch(arrays)
        loss = criterion(model(x, lengths), torch.tensor(labels))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main(epochs: int = 1) -> pd.DataFrame:
    torch.set_num_threads(1)
    table = corpora.load_ravdess().table
    y = table["emotion"].map(cabg.EMOTIONS.index).to_numpy()
    ((train_idx, _),) = protocols.fold_splits("random-holdout-8-2", table)  # the seed's split
    files = table["path"].iloc[train_idx].tolist()
    labels = y[train_idx]

    start = time.perf_counter()
    cached = features.extract(files, features.emocatcher_input_file, {}, n_jobs=1,
                              progress=False)
    load_seconds = time.perf_counter() - start
    arrays = [v["logmel"] for v in cached.values]

    def seed_batch(idx):  # EmoCatcher's RAVDESSMelS.__getitem__: load, resample, mel, VAD
        out = []
        for i in idx:
            sig, sr = audio.load_audio(files[i], sr=audio.EMOCATCHER_SR)
            out.append(audio.emocatcher_input(sig, sr))
        return out, labels[idx].tolist()

    def cached_batch(idx):
        return [arrays[i] for i in idx], labels[idx].tolist()

    rows = []
    for epoch in range(epochs):
        for way, get_batch in (("seed: load + resample + mel + VAD every epoch", seed_batch),
                               ("serlib: cached VAD-cut log-mels", cached_batch)):
            torch.manual_seed(epoch)
            model = cabg.EmoCatcher()
            optimizer = AdaBelief(model.parameters(), lr=1e-3, eps=1e-8, betas=(0.9, 0.999),
                                  weight_decay=1e-7, weight_decouple=False, rectify=False,
                                  print_change_log=False)
            seconds = train_epoch(model, optimizer, nn.CrossEntropyLoss(label_smoothing=0.1),
                                  len(files), get_batch, seed=epoch)
            rows.append({"way": way, "epoch": epoch + 1, "seconds": seconds})
    result = pd.DataFrame(rows).groupby("way", sort=False)["seconds"].mean().round(2)
    frame = result.reset_index().rename(columns={"seconds": "seconds_per_epoch"})
    frame["speed_up"] = (frame["seconds_per_epoch"].iloc[0] / frame["seconds_per_epoch"]).round(1)
    frame.to_csv(HERE / "cabg_epoch_speed.csv", index=False)
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Seconds per EmoCatcher training epoch (1152 clips, batch 32, one thread)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load_avg:.1f} at the end (shared machine); {epochs} epoch(s) each; "
        "audio: the 16 kHz FLAC copies of RAVDESS (the seed resampled 48 kHz WAVs, slower).",
        "",
        "| way | seconds per epoch | speed-up |",
        "|---|---:|---:|",
        *[f"| {r.way} | {r.seconds_per_epoch:.2f} | {r.speed_up:.1f}x |"
          for r in frame.itertuples()],
        "",
        f"serlib loads the cached inputs once per run: {load_seconds:.1f} s for the 1152 clips "
        f"({cached.n_cached} from cache, {cached.n_computed} computed).",
        "",
    ]
    (HERE / "cabg_epoch_speed.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return frame


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    main(parser.parse_args().epochs)
