"""Extractive question answering: from per-token start/end logits to the best valid answer span."""
from __future__ import annotations

import torch

from .validate import check_int, check_match, check_tensor

__all__ = ["best_span"]


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor, allowed: torch.Tensor | None = None,
              max_len: int = 15) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The span (i, j) maximising start_logits[i] + end_logits[j] with i ≤ j < i + max_len, both in ``allowed``.

    start_logits, end_logits: (B, T) float; allowed: (B, T) bool, True on tokens that may be part of an
    answer (the context, not the question or padding), None = every token; max_len: the longest answer in
    tokens. Adding logits is multiplying the two softmax probabilities, so this is the most probable span
    under the model's independent start and end distributions (BERT, Devlin et al., 2019, §4.2).
    Returns ``(starts, ends, scores)``, each (B,); ends are inclusive. A row with no allowed token gives
    score −inf.
    """
    check_tensor("start_logits", start_logits, ndim=2, dtype="float")
    check_tensor("end_logits", end_logits, ndim=2, dtype="float")
    check_match("end_logits", end_logits, "start_logits", start_logits, dims={0: "batch size", 1: "length"})
    check_int("max_len", max_len, minimum=1)
    b, t = start_logits.shape
    if allowed is None:
        allowed = torch.ones(b, t, dtype=torch.bool, device=start_logits.device)
    check_tensor("allowed", allowed, ndim=2, dtype="bool")
    check_match("allowed", allowed, "start_logits", start_logits, dims={0: "batch size", 1: "length"})
    pos = torch.arange(t, device=start_logits.device)
    length = pos[None, :] - pos[:, None]                                   # (T, T): j − i
    valid = (length >= 0) & (length < max_len)                              # (T, T)
    valid = valid & allowed[:, :, None] & allowed[:, None, :]               # (B, T, T)
    scores = start_logits[:, :, None] + end_logits[:, None, :]              # (B, T, T)
    scores = scores.masked_fill(~valid, float("-inf"))
    best, flat = scores.view(b, -1).max(-1)
    return flat // t, flat % t, best
