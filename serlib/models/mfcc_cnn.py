"""Seed 002's MFCC CNN: four blocks of [Conv2d 3x3, ReLU, BatchNorm, AvgPool 2x2] with 8, 16, 32
and 16 channels, dropout 0.2 and one linear layer. It takes the same ``(x, lengths)`` arguments
as :class:`serlib.models.cabg.EmoCatcher`, so that :mod:`serlib.training.torch_training` trains
both.
"""

from __future__ import annotations

import torch
from torch import nn


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
