"""EmoCatcher (seed 000): a Convolutional, Attention-based Bidirectional GRU (CABG) for
speech-emotion recognition on 64-mel log spectrograms cut to their voiced region.

Architecture (the seed's, module names kept so that its published ``state_dict`` loads as is):

* three ``Conv1d`` blocks over time (64 -> 64 -> 64 -> 128 channels, kernel 3, ``same``
  padding), each followed by a LayerNorm over channels, GELU and Dropout 0.2;
* ``MaxPool1d(2)`` over time, LayerNorm(128);
* a one-layer bidirectional GRU (64 units per direction) on packed sequences;
* Bahdanau attention: the query is the concatenated last forward and backward states, keys and
  values the GRU outputs; padded steps are masked before the softmax over time;
* head: Linear 128 -> 64, BatchNorm, GELU, Dropout 0.1, Linear 64 -> classes.

Inputs are ``(batch, n_mels, frames)`` float tensors padded with zeros at the end, with the
true frame counts in ``lengths``. Classes follow RAVDESS's emotion codes (01 neutral ... 08
surprised -> 0 ... 7), as in the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: The seed's class order: RAVDESS emotion codes 01..08.
EMOTIONS: tuple[str, ...] = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust",
                             "surprised")
#: Parameters of the seed's model (64 mels, hidden 128, 8 classes).
SEED_PARAMETERS = 166_857


def pooled_lengths(lengths: torch.Tensor) -> torch.Tensor:
    """Frame counts after ``MaxPool1d(2)``: ``floor((L - 2) / 2) + 1`` as the seed computes
    them (truncating division), at least 1."""
    lengths = torch.as_tensor(lengths)
    return torch.clamp(torch.div(lengths - 2, 2, rounding_mode="trunc") + 1, min=1)


class BahdanauAttention(nn.Module):
    """Additive attention: ``score_t = w_z . tanh(W_q q + W_k k_t)``, masked beyond each
    sequence's length, softmax over time; returns the weighted sum of the values and the
    weights ``(batch, time, 1)``."""

    def __init__(self, hidden_dim: int):
        super().__init__()
        self.linear_q = nn.Linear(hidden_dim, hidden_dim)
        self.linear_k = nn.Linear(hidden_dim, hidden_dim)
        self.linear_z = nn.Linear(hidden_dim, 1)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        score = self.linear_z(torch.tanh(self.linear_q(query) + self.linear_k(key)))
        steps = torch.arange(score.shape[1], device=score.device)[None, :]
        padded = steps >= lengths.to(score.device)[:, None]
        score = score.masked_fill(padded[..., None], -1e9)
        weights = F.softmax(score, dim=1)
        return torch.bmm(weights.transpose(1, 2), value), weights


class ConvLN(nn.Module):
    """LayerNorm over the channels of a ``(batch, channels, time)`` tensor."""

    def __init__(self, n_feats: int):
        super().__init__()
        self.layer_norm = nn.LayerNorm(n_feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_norm(x.transpose(1, 2)).transpose(1, 2)


class Conv1dLNBlock(nn.Module):
    """``Conv1d -> ConvLN -> GELU -> Dropout``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 p: float = 0.2):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.Conv1d(in_channels, out_channels, kernel_size, padding="same"),
            ConvLN(out_channels), nn.GELU(), nn.Dropout(p))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_block(x)


class EmoCatcher(nn.Module):
    """The seed's CABG model. ``input_dim``: mel bands (x3 with deltas); ``hidden_dim``: GRU
    output size (both directions); ``num_classes``: 8 for RAVDESS.

    ``forward(x, lengths)`` returns logits ``(batch, num_classes)``; with
    ``return_attention_weights=True`` also the attention weights ``(batch, pooled time, 1)``.

    ``standardize`` (not the seed's; off by default, so the seed's ``state_dict`` loads as
    is): the model first standardises each input channel with a stored mean and standard
    deviation (buffers ``input_mean`` and ``input_std``, set from the training clips by
    :meth:`set_input_stats`) and zeroes the padded frames again. The seed feeds raw dB levels.

    ``gain_norm`` (not the seed's; off by default): before anything else, each clip's mean
    level in dB over its valid frames and its first ``level_channels`` channels (the log-mel
    bands; default all ``input_dim``) is subtracted from those channels (:func:`gain_normalize`).
    Scaling a signal by a factor ``g`` adds ``20 log10 g`` dB to every log-mel value, so the
    model's output no longer depends on the recording level.
    """

    def __init__(self, input_dim: int = 64, hidden_dim: int = 128, kernel_size: int = 3,
                 num_classes: int = 8, conv_dropout: float = 0.2, head_dropout: float = 0.1,
                 standardize: bool = False, gain_norm: bool = False,
                 level_channels: int | None = None):
        super().__init__()
        self.input_dim, self.hidden_dim, self.num_classes = input_dim, hidden_dim, num_classes
        self.standardize = standardize
        self.gain_norm = gain_norm
        self.level_channels = input_dim if level_channels is None else int(level_channels)
        if not 0 < self.level_channels <= input_dim:
            raise ValueError(f"level_channels must be in 1..input_dim ({input_dim}), not "
                             f"{level_channels}")
        if standardize:
            self.register_buffer("input_mean", torch.zeros(input_dim))
            self.register_buffer("input_std", torch.ones(input_dim))
        half = hidden_dim // 2
        self.conv_block1 = Conv1dLNBlock(input_dim, half, kernel_size, conv_dropout)
        self.conv_block2 = Conv1dLNBlock(half, half, kernel_size, conv_dropout)
        self.conv_block3 = Conv1dLNBlock(half, hidden_dim, kernel_size, conv_dropout)
        self.maxpool1 = nn.MaxPool1d(2)
        self.gru_layernorm = nn.LayerNorm(hidden_dim)
        self.gru = nn.GRU(hidden_dim, half, batch_first=True, num_layers=1, bidirectional=True)
        self.attention = BahdanauAttention(hidden_dim)
        self.linear1 = nn.Sequential(nn.Linear(hidden_dim, half), nn.BatchNorm1d(half),
                                     nn.GELU(), nn.Dropout(head_dropout))
        self.linear2 = nn.Linear(half, num_classes)
        self.initialize_weights()

    def initialize_weights(self) -> None:
        """The seed's initialisation: Kaiming-normal conv and linear weights, Xavier GRU
        input weights, orthogonal GRU hidden weights, Xavier attention query/key weights,
        zero biases, BatchNorm 1/0."""
        for m in self.modules():
            if isinstance(m, nn.Conv1d | nn.Linear):
                nn.init.kaiming_normal_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm1d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.GRU):
                for name, param in m.named_parameters():
                    if "weight_ih" in name:
                        nn.init.xavier_uniform_(param)
                    elif "weight_hh" in name:
                        nn.init.orthogonal_(param)
                    else:
                        nn.init.zeros_(param)
            if isinstance(m, BahdanauAttention):
                for name, param in m.named_parameters():
                    if "weight" in name:
                        if "z" in name:
                            nn.init.kaiming_normal_(param)
                        else:
                            nn.init.xavier_uniform_(param)
                    else:
                        nn.init.zeros_(param)

    @torch.no_grad()
    def set_input_stats(self, inputs: Sequence[np.ndarray]) -> None:
        """Store the per-channel mean and standard deviation over all frames of ``inputs``
        (``(channels, frames)`` arrays: the training clips) for ``standardize``."""
        if not self.standardize:
            raise ValueError("set_input_stats needs a model built with standardize=True")
        frames = np.concatenate([np.asarray(a, dtype=np.float64) for a in inputs], axis=1)
        self.input_mean.copy_(torch.from_numpy(frames.mean(axis=1)))
        self.input_std.copy_(torch.from_numpy(frames.std(axis=1) + 1e-5))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor,
                return_attention_weights: bool = False, mask_padding: bool = False):
        """Logits of a zero-padded batch. ``mask_padding`` zeroes the padded frames again
        after every convolution block, so that a clip's output does not depend on the other
        clips of its batch (it equals the clip's output alone); the seed trained and evaluated
        without it, where the padded frames' activations leak into a clip's last frames."""
        if x.dim() == 4:  # the seed's (batch, 1, mels, time)
            x = x.squeeze(1)
        frames = torch.arange(x.shape[-1], device=x.device)[None, :]
        valid = (frames < torch.as_tensor(lengths).to(x.device)[:, None])[:, None, :]
        if self.gain_norm:
            x = gain_normalize(x, lengths, self.level_channels)
        if self.standardize:
            x = (x - self.input_mean[None, :, None]) / self.input_std[None, :, None]
            x = x * valid
        z = x
        for block in (self.conv_block1, self.conv_block2, self.conv_block3):
            z = block(z)
            if mask_padding:
                z = z * valid
        z = self.maxpool1(z).transpose(1, 2)  # (batch, time, hidden)
        pooled = pooled_lengths(torch.as_tensor(lengths).cpu())
        z = self.gru_layernorm(z)
        packed = nn.utils.rnn.pack_padded_sequence(z, pooled, batch_first=True,
                                                   enforce_sorted=False)
        out, h = self.gru(packed)
        out, out_lengths = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        query = torch.cat((h[0], h[1]), dim=-1).unsqueeze(1)
        att, weights = self.attention(query, out, out, out_lengths)
        logits = self.linear2(self.linear1(att.squeeze(1)))
        return (logits, weights) if return_attention_weights else logits


def gain_normalize(x: torch.Tensor, lengths: torch.Tensor,
                   level_channels: int | None = None) -> torch.Tensor:
    """Per-utterance gain normalisation of a zero-padded batch ``(batch, channels, frames)`` of
    dB levels: each clip's mean over its ``lengths`` valid frames and its first
    ``level_channels`` channels (default all) is subtracted from those channels; padded frames
    stay 0 and the other channels (e.g. deltas, already level-free) are left as they are.
    Adding a constant (in dB) to a clip's level channels leaves the result unchanged."""
    c = x.shape[1] if level_channels is None else int(level_channels)
    frames = torch.arange(x.shape[-1], device=x.device)[None, :]
    valid = (frames < torch.as_tensor(lengths).to(x.device)[:, None]).to(x.dtype)[:, None, :]
    level = x[:, :c]
    mean = (level * valid).sum(dim=(1, 2)) / (valid.sum(dim=(1, 2)) * c).clamp_min(1.0)
    level = (level - mean[:, None, None]) * valid
    return torch.cat([level, x[:, c:]], dim=1) if c < x.shape[1] else level


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def float32_state(state: dict) -> dict:
    """``state`` (a state_dict) with its floating tensors cast to float32: this project's
    checkpoints store float16 weights."""
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def load_state(path: Path | str, **model_kwargs) -> EmoCatcher:
    """An :class:`EmoCatcher` with the weights of a state_dict file (the seed's published
    ``.pth`` files or this project's checkpoints, whose ``model_kwargs`` are stored next to the
    weights; float16 weights are cast to float32), in eval mode. Raises ``RuntimeError`` when
    names or shapes do not match."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if "state_dict" in state:  # a serlib checkpoint: {"state_dict", "model_kwargs", ...}
        model_kwargs = {**state.get("model_kwargs", {}), **model_kwargs}
        state = state["state_dict"]
    model = EmoCatcher(**model_kwargs)
    model.load_state_dict(float32_state(state), strict=True)
    return model.eval()


def pad_batch(arrays: Sequence[np.ndarray], pad_value: float = 0.0
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``(channels, frames)`` arrays of different lengths into a zero-padded
    ``(batch, channels, max frames)`` tensor (the seed pads with 0 at the end) and their
    lengths."""
    lengths = torch.tensor([a.shape[1] for a in arrays], dtype=torch.long)
    out = torch.full((len(arrays), arrays[0].shape[0], int(lengths.max())), pad_value,
                     dtype=torch.float32)
    for i, a in enumerate(arrays):
        out[i, :, : a.shape[1]] = torch.from_numpy(np.asarray(a, dtype=np.float32))
    return out, lengths


@torch.no_grad()
def predict_proba(model: nn.Module, inputs: Sequence[np.ndarray], batch_size: int = 64,
                  transform=None, return_attention: bool = False, seed_padding: bool = False):
    """Class probabilities ``(n, classes)`` for a list of ``(n_mels, frames)`` inputs, in
    batches of ``batch_size`` in the given order. ``transform`` maps each input first (e.g.
    adds deltas). With ``return_attention`` also a list of per-clip attention weights (pooled
    frames).

    A clip's probabilities do not depend on the other clips of its batch (padded frames are
    masked, see :meth:`EmoCatcher.forward`), so every code path (evaluation, ``predict``)
    gives the same numbers. ``seed_padding=True`` is the one exception: the seed's own padded
    evaluation (batches of 64, padding leaking into short clips), kept only to check the
    seed's published weights against its published count."""
    model.eval()
    kwargs = {} if seed_padding or not isinstance(model, EmoCatcher) else {"mask_padding": True}
    probs, attention = [], []
    for start in range(0, len(inputs), batch_size):
        chunk = [transform(a) if transform else a for a in inputs[start:start + batch_size]]
        chunk = [a if a.shape[1] >= 2 else np.pad(a, ((0, 0), (0, 2 - a.shape[1])))
                 for a in chunk]
        x, lengths = pad_batch(chunk)
        x = x.to(next(model.parameters()).device)
        logits, weights = model(x, lengths, return_attention_weights=True, **kwargs)
        weights = weights.cpu()
        probs.append(F.softmax(logits, dim=-1).cpu().numpy())
        if return_attention:
            for w, n in zip(weights[..., 0].numpy(), pooled_lengths(lengths).tolist(),
                            strict=True):
                attention.append(w[:n])
    probs = np.concatenate(probs) if probs else np.zeros((0, model.num_classes), np.float32)
    return (probs, attention) if return_attention else probs
