"""The one output type every course model returns."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..validate import check_ids, check_tensor

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
    check_tensor("logits", logits, dtype="float")
    check_tensor("targets", targets, dtype="int")
    if targets.device.type == "cpu":   # on a GPU reading the values would stall it; torch checks there
        check_ids("targets", targets.masked_fill(targets == ignore_index, 0), logits.shape[-1],
                  "number of classes")
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"targets must have shape {tuple(logits.shape[:-1])} to match logits "
                         f"{tuple(logits.shape)}, got {tuple(targets.shape)}")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1),
                           ignore_index=ignore_index)
