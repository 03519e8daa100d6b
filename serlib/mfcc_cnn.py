"""Seed 002's MFCC CNN, a comparison row for EmoCatcher on the same RAVDESS protocols.

The seed (``audioClassification.ipynb``) loads each file, keeps 3 s starting 0.9 s into it
(zero-padded when shorter), computes 32 MFCCs and classifies them with a small 2-D CNN: four
blocks of [Conv2d 3x3, ReLU, BatchNorm, AvgPool 2x2] with 8, 16, 32 and 16 channels, dropout
0.2 and one linear layer; Adam (lr 1e-3) with ``CosineAnnealingWarmRestarts``. It trained on
speech and song (2452 files); the song corpus is not available here, so this is speech only.

The model takes the same ``(x, lengths)`` arguments as :class:`serlib.cabg.EmoCatcher`, so
that :mod:`serlib.training` trains and evaluates both (every input has the same length here).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from serlib import audio

#: Seed 002's input: 32 MFCCs of 3 s starting at 0.9 s. ``sr`` is the corpus copies' rate
#: (the seed loaded at 48 kHz; the 16 kHz copies hold nothing above 8 kHz anyway).
MFCC_PARAMS = {"sr": 16000, "offset": 0.9, "duration": 3.0, "n_mfcc": 32}


def mfcc_input_file(path: str, params: dict) -> dict[str, np.ndarray]:
    """Seed 002's model input for one file: ``params["duration"]`` seconds from
    ``params["offset"]`` (zero-padded at the end when the file is shorter), ``n_mfcc``
    MFCCs (librosa defaults: 2048-sample FFT, hop 512). Key ``mfcc``: ``(n_mfcc, frames)``.

    Used in: notebooks/06_cabg_ravdess.ipynb.
    """
    import librosa

    p = {**MFCC_PARAMS, **params}
    y, sr = audio.load_audio(path, sr=p["sr"])
    start, n = int(round(p["offset"] * sr)), int(round(p["duration"] * sr))
    y = y[start:start + n]
    y = np.pad(y, (0, n - len(y))) if len(y) < n else y
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=int(p["n_mfcc"]))
    return {"mfcc": mfcc.astype(np.float32)}


class MfccCNN(nn.Module):
    """Seed 002's classifier on ``(batch, n_mfcc, frames)`` inputs (a channel axis is added):
    four [Conv2d 3x3 'same', ReLU, BatchNorm2d, AvgPool2d 2] blocks with ``channels``, global
    shape flattened, Dropout ``dropout``, Linear to ``num_classes``. ``frames`` fixes the size
    of the linear layer (94 for 3 s at 16 kHz, hop 512)."""

    def __init__(self, n_mfcc: int = 32, frames: int = 94, num_classes: int = 8,
                 channels: tuple[int, ...] = (8, 16, 32, 16), dropout: float = 0.2):
        super().__init__()
        blocks, c_in = [], 1
        for c_out in channels:
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(c_out),
                       nn.AvgPool2d(2)]
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        h, w = n_mfcc, frames
        for _ in channels:
            h, w = h // 2, w // 2
        if h < 1 or w < 1:
            raise ValueError(f"input {n_mfcc}x{frames} is too small for {len(channels)} poolings")
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                        nn.Linear(c_in * h * w, num_classes))
        self.frames = frames
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                return_attention_weights: bool = False):
        if x.shape[-1] != self.frames:  # batches are padded or cut to the trained length
            x = nn.functional.pad(x, (0, self.frames - x.shape[-1])) if x.shape[-1] < self.frames \
                else x[..., : self.frames]
        logits = self.classifier(self.features(x.unsqueeze(1)))
        if return_attention_weights:  # no attention: one weight per clip, for a shared API
            return logits, torch.ones(len(x), 1, 1)
        return logits
