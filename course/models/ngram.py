"""The n-gram baseline every language model is measured against: a bigram model counted from data."""
from __future__ import annotations

import torch

from ..validate import check_int, check_positive, check_tensor

__all__ = ["bigram_probs"]


def bigram_probs(ids: torch.Tensor, vocab_size: int, alpha: float = 1.0) -> torch.Tensor:
    """P[a, b] = (count(a → b) + alpha) / (count(a → anything) + alpha·V), from a 1-D stream of ids.

    ids: (N,) int; returns (V, V) float32 whose rows sum to 1. ``alpha`` > 0 (add-alpha smoothing) keeps
    every transition possible, so a validation text never gets probability zero.
    """
    check_tensor("ids", ids, ndim=1, dtype="int")
    check_int("vocab_size", vocab_size, minimum=1)
    check_positive("alpha", alpha)
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"ids must lie in [0, vocab_size={vocab_size}), got values in "
                         f"[{int(ids.min())}, {int(ids.max())}]")
    pairs = torch.bincount(ids[:-1] * vocab_size + ids[1:], minlength=vocab_size * vocab_size)
    counts = pairs.view(vocab_size, vocab_size).float() + alpha
    return counts / counts.sum(dim=1, keepdim=True)
