"""Seed 003's classifier over a sequence of frame embeddings: batch normalisation, dropout, a
bidirectional GRU, dropout, batch normalisation and a dense layer (sizes from the seed's
configuration: GRU of 128 units per direction, dropout 0.6).
"""

from __future__ import annotations

import torch
from torch import nn

#: The seed's training settings (its repository's configuration).
HIDDEN = 128


DROPOUT = 0.6


class SeedBiGRU(nn.Module):
    """Seed 003's network on ``(batch, n_features, steps)`` inputs: BatchNorm over features,
    Dropout, bidirectional GRU (``hidden`` units per direction; the last forward and backward
    states, concatenated), Dropout, BatchNorm, Linear to ``n_classes`` (logits)."""

    def __init__(self, n_features: int, n_classes: int = 8, hidden: int = HIDDEN,
                 dropout: float = DROPOUT):
        super().__init__()
        self.bn_in = nn.BatchNorm1d(n_features)
        self.drop_in = nn.Dropout(dropout)
        self.gru = nn.GRU(n_features, hidden, batch_first=True, bidirectional=True)
        self.drop_out = nn.Dropout(dropout)
        self.bn_out = nn.BatchNorm1d(2 * hidden)
        self.dense = nn.Linear(2 * hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, n_classes)``."""
        x = self.drop_in(self.bn_in(x)).transpose(1, 2)  # (batch, steps, features)
        _, h = self.gru(x)  # (2, batch, hidden): last forward and last backward state
        h = torch.cat([h[0], h[1]], dim=1)
        return self.dense(self.bn_out(self.drop_out(h)))
