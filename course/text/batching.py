"""Turning token lists into tensors: padding with masks, and random windows for language modelling."""
from __future__ import annotations

import torch

from ..validate import check_int, check_number, check_tensor

__all__ = ["pad_batch", "lm_batch", "train_val_split"]


def pad_batch(sequences: list[list[int]], pad_id: int = 0, max_len: int | None = None):
    """Right-pad ``sequences`` to one length.

    Returns ``(ids (B, T) int64, mask (B, T) bool)`` with mask True on real tokens.
    """
    if not sequences:
        raise ValueError("sequences must hold at least one sequence")
    longest = max(len(s) for s in sequences)
    t = longest if max_len is None else check_int("max_len", max_len, minimum=1)
    if longest > t:
        raise ValueError(f"a sequence has {longest} tokens, more than max_len={t}")
    ids = torch.full((len(sequences), t), pad_id, dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, :len(s)] = torch.as_tensor(s, dtype=torch.long)
    mask = torch.arange(t)[None, :] < torch.tensor([len(s) for s in sequences])[:, None]
    return ids, mask


def lm_batch(data: torch.Tensor, batch_size: int, block: int, generator: torch.Generator | None = None,
             device=None):
    """Random windows of a 1-D token stream: x = data[i : i+block], y = data[i+1 : i+block+1].

    Returns ``(x (B, block), y (B, block))`` — y is x shifted by one: the next token at every position.
    """
    check_tensor("data", data, ndim=1, dtype="int")
    check_int("batch_size", batch_size, minimum=1)
    check_int("block", block, minimum=1)
    if len(data) <= block:
        raise ValueError(f"data has {len(data)} tokens; it needs more than block={block}")
    starts = torch.randint(len(data) - block, (batch_size,), generator=generator)
    offsets = torch.arange(block)
    x, y = data[starts[:, None] + offsets], data[starts[:, None] + offsets + 1]
    return (x.to(device), y.to(device)) if device is not None else (x, y)


def train_val_split(data: torch.Tensor, val_fraction: float = 0.1):
    """The first (1 − val_fraction) of a token stream for training, the rest for validation."""
    check_number("val_fraction", val_fraction)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(len(data) * (1 - val_fraction))
    return data[:cut], data[cut:]
