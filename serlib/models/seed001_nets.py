"""Seed 001's three PyTorch networks: MLP, 1-D CNN and 2-D CNN (ReLU, He initialisation). The
seed's write-up gives no layer sizes (they were in figures), so the architectures are small,
plausible choices, described in each class. Training and protocols:
:mod:`serlib.experiments.seed001`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

MODELS = ("mlp", "cnn-1d", "cnn-2d")


def he_init(module: nn.Module) -> None:
    """He (Kaiming normal, fan-in, ReLU gain) initialisation of every linear and convolution
    weight of ``module``; their biases start at 0 (BatchNorm keeps weight 1, bias 0)."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class SeedMLP(nn.Module):
    """MLP on the standardised clip vector (our sizes; the seed's are not published):
    ``n_inputs`` -> Linear+ReLU per ``hidden`` size (default 256, 128) -> Linear to
    ``n_classes``. No dropout or normalisation (the seed names none)."""

    def __init__(self, n_inputs: int = 192, n_classes: int = 8,
                 hidden: Sequence[int] = (256, 128)):
        super().__init__()
        layers: list[nn.Module] = []
        width = n_inputs
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)
        he_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, n_classes)`` of ``(batch, n_inputs)`` inputs."""
        return self.net(x)


class SeedCNN1d(nn.Module):
    """1-D CNN over time on the frame features (our sizes): the ``n_channels`` feature rows
    (40 MFCC + 128 log-mel + 12 chroma + 7 contrast = 187) are the input channels; three
    blocks [Conv1d 'same' (kernels 5, 5, 3; 64, 128, 128 channels), BatchNorm, ReLU], the
    first two followed by MaxPool 2; global average pooling over time; Linear 128->64, ReLU,
    Linear to ``n_classes``. BatchNorm is our addition, so that the net trains within the
    epoch budget at lr 1e-4."""

    def __init__(self, n_channels: int = 187, n_classes: int = 8,
                 channels: Sequence[int] = (64, 128, 128), kernels: Sequence[int] = (5, 5, 3),
                 hidden: int = 64):
        super().__init__()
        layers: list[nn.Module] = []
        width = n_channels
        for i, (c, k) in enumerate(zip(channels, kernels, strict=True)):
            layers += [nn.Conv1d(width, c, k, padding=k // 2), nn.BatchNorm1d(c), nn.ReLU()]
            if i < len(channels) - 1:
                layers.append(nn.MaxPool1d(2))
            width = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(),
                                  nn.Linear(hidden, n_classes))
        he_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of ``(batch, n_channels, frames)`` inputs."""
        return self.head(self.features(x).mean(dim=2))


class SeedCNN2d(nn.Module):
    """2-D CNN on the standardised log-mel image ``(128 bands, N_FRAMES)`` (our sizes): Conv
    5x5 stride 2 (16 channels), BatchNorm, ReLU, MaxPool 2; two blocks [Conv 3x3 'same' (32,
    64), BatchNorm, ReLU, MaxPool 2]; Conv 3x3 (64), BatchNorm, ReLU; global average pooling;
    Linear 64->64, ReLU, Linear to ``n_classes``. The strided first layer keeps one epoch at a
    few seconds on one CPU thread; BatchNorm is our addition."""

    def __init__(self, n_classes: int = 8, channels: Sequence[int] = (16, 32, 64, 64),
                 hidden: int = 64):
        super().__init__()
        c1, c2, c3, c4 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 5, stride=2, padding=2), nn.BatchNorm2d(c1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.BatchNorm2d(c3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c3, c4, 3, padding=1), nn.BatchNorm2d(c4), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(c4, hidden), nn.ReLU(),
                                  nn.Linear(hidden, n_classes))
        he_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of ``(batch, bands, frames)`` inputs (a channel axis is added)."""
        return self.head(self.features(x.unsqueeze(1)).mean(dim=(2, 3)))


def build_model(model: str, input_shape: Sequence[int], n_classes: int = 8) -> nn.Module:
    """A fresh, He-initialised network of ``model`` (:data:`MODELS`) for inputs of
    ``input_shape`` (one example, without the batch axis)."""
    if model == "mlp":
        return SeedMLP(int(input_shape[0]), n_classes)
    if model == "cnn-1d":
        return SeedCNN1d(int(input_shape[0]), n_classes)
    if model == "cnn-2d":
        return SeedCNN2d(n_classes)
    raise ValueError(f"unknown model {model!r}; accepted: {', '.join(MODELS)}")


def n_parameters(module: nn.Module) -> int:
    """Number of trainable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
