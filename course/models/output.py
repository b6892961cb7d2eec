"""The one output type every course model returns."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

__all__ = ["ModelOutput", "lm_loss"]


@dataclass
class ModelOutput:
    """logits: (B, T, V) or (B, n_classes); loss: scalar or None; cache: per-layer KV caches or None."""
    logits: torch.Tensor
    loss: torch.Tensor | None = None
    cache: list | None = None
    extras: dict = field(default_factory=dict)


def lm_loss(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Mean token-level cross-entropy. logits (B, T, V), targets (B, T) already shifted by one.

    Positions whose target is ``ignore_index`` (padding, prompt tokens) do not count.
    """
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"targets must have shape {tuple(logits.shape[:-1])} to match logits "
                         f"{tuple(logits.shape)}, got {tuple(targets.shape)}")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1),
                           ignore_index=ignore_index)
