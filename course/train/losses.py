"""Losses of a language model, written out: token-level cross-entropy, the shift by one, MSE on softmax
outputs (the loss a classifier should not use), and z-loss.

``token_cross_entropy`` equals ``F.cross_entropy(logits.flatten(0, -2), targets.flatten(),
ignore_index=...)``, which the course models' :func:`course.models.lm_loss` calls; here each step is
visible: log-sum-exp with the maximum subtracted, the target's log-probability picked, ignored positions
dropped, the mean taken over the real targets only.
"""
from __future__ import annotations

import torch

from ..validate import check_in, check_int, check_match, check_number, check_positive, check_tensor

__all__ = ["IGNORE_INDEX", "logsumexp", "token_cross_entropy", "next_token_targets", "mse_on_probs",
           "z_loss"]

IGNORE_INDEX = -100        # the value torch's cross_entropy skips by default


def _upcast(logits: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16 to float32 for the loss; float32 and float64 stay as they are."""
    return logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits


def logsumexp(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log Σ exp(logits) along ``dim``, computed as m + log Σ exp(logits − m), m the maximum.

    Subtracting m makes the largest term exp(0) = 1: nothing overflows, and the sum is at least 1, so its
    log is finite. Equals ``torch.logsumexp``. logits: (..., V) -> (...).
    """
    check_tensor("logits", logits, dtype="float", nonempty=True)
    check_int("dim", dim, minimum=-logits.dim(), maximum=logits.dim() - 1)
    m = logits.amax(dim=dim, keepdim=True).detach()       # a constant shift: no gradient needed through it
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))   # a row of all −inf stays −inf
    return (m + (logits - m).exp().sum(dim=dim, keepdim=True).log()).squeeze(dim)


def token_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = IGNORE_INDEX,
                        reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy of next-token predictions, −log p(target), from raw logits.

    logits: (..., V) float; targets: (...) int, already shifted (target t is the token after position t),
    ``ignore_index`` where no prediction is scored (padding, prompt). ``reduction``: ``"mean"`` over the
    real targets only (what torch does), ``"sum"``, or ``"none"`` — the (...) tensor of per-token losses,
    0 at ignored positions.
    """
    check_tensor("logits", logits, dtype="float", nonempty=True)
    check_tensor("targets", targets, dtype="int")
    check_int("ignore_index", ignore_index)
    check_in("reduction", reduction, ("mean", "sum", "none"))
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"targets must have shape {tuple(logits.shape[:-1])} to match logits "
                         f"{tuple(logits.shape)}, got {tuple(targets.shape)}")
    real = targets != ignore_index
    safe = targets.masked_fill(~real, 0)                 # any valid index; these positions are dropped below
    if targets.device.type == "cpu" and real.any():
        low, high = int(targets[real].min()), int(targets[real].max())
        if low < 0 or high >= logits.shape[-1]:
            raise ValueError(f"targets holds values outside [0, number of classes={logits.shape[-1]}) "
                             f"other than ignore_index={ignore_index}: min {low}, max {high}")
    logits = _upcast(logits)
    picked = logits.gather(-1, safe.unsqueeze(-1)).squeeze(-1)       # the target's logit z_y
    # −log p_y = log Z − z_y; torch.where, not a product with the mask: an ignored row may hold −inf or
    # nan logits, and inf · 0 = nan would poison the sum
    losses = torch.where(real, logsumexp(logits) - picked, torch.zeros((), dtype=logits.dtype,
                                                                         device=logits.device))
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / real.sum()            # 0/0 = nan when nothing is real, as in torch


def next_token_targets(ids: torch.Tensor, mask: torch.Tensor | None = None,
                       ignore_index: int = IGNORE_INDEX) -> tuple[torch.Tensor, torch.Tensor]:
    """The shift by one: inputs ``ids[:, :-1]`` and targets ``ids[:, 1:]``, padding turned into ignore_index.

    ids: (B, T) int; mask: (B, T) bool, True on real tokens (as ``course.text.pad_batch`` returns), or None.
    Returns ``(inputs (B, T−1), targets (B, T−1))``: the model reads token t and is scored on token t+1.
    """
    check_tensor("ids", ids, ndim=2, dtype="int")
    if ids.shape[1] < 2:
        raise ValueError(f"ids must hold at least 2 tokens per row to predict one from another, got shape "
                         f"{tuple(ids.shape)}")
    check_int("ignore_index", ignore_index)
    targets = ids[:, 1:]
    if mask is not None:
        check_tensor("mask", mask, ndim=2, dtype="bool")
        if mask.shape != ids.shape:
            raise ValueError(f"mask must have the shape of ids {tuple(ids.shape)}, got {tuple(mask.shape)}")
        targets = targets.masked_fill(~mask[:, 1:], ignore_index)
    return ids[:, :-1], targets


def mse_on_probs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Squared error between softmax(logits) and the one-hot target, summed over classes, mean over rows.

    logits: (N, V) float; targets: (N,) int class ids. Equals
    ``F.mse_loss(softmax(logits), one_hot(targets), reduction="sum") / N``. The loss chapter 25 compares
    with cross-entropy: its gradient vanishes when the prediction is confidently wrong.
    """
    check_tensor("logits", logits, ndim=2, dtype="float", nonempty=True)
    check_tensor("targets", targets, ndim=1, dtype="int")
    check_match("targets", targets, "logits", logits, dims={0: "number of rows"})
    if targets.device.type == "cpu" and (int(targets.min()) < 0 or int(targets.max()) >= logits.shape[1]):
        raise ValueError(f"targets holds values outside [0, number of classes={logits.shape[1]})")
    probs = _upcast(logits).softmax(dim=-1)
    one_hot = torch.nn.functional.one_hot(targets, logits.shape[1]).to(probs.dtype)
    return ((probs - one_hot) ** 2).sum(dim=-1).mean()


def z_loss(logits: torch.Tensor, mask: torch.Tensor | None = None, coefficient: float = 1e-4) -> torch.Tensor:
    """``coefficient · mean over real tokens of (log Z)²``, with log Z = logsumexp of a token's logits.

    Softmax ignores a shift of all logits, so nothing in cross-entropy stops log Z from drifting; this
    penalty pulls it to 0 (PaLM, Chowdhery et al., 2022, used coefficient 1e-4). logits: (..., V);
    mask: (...) bool, True where a token counts, or None for all.
    """
    check_tensor("logits", logits, dtype="float", nonempty=True)
    check_positive("coefficient", coefficient, allow_zero=True)
    check_number("coefficient", coefficient)
    log_z = logsumexp(_upcast(logits))
    if mask is None:
        return coefficient * (log_z ** 2).mean()
    check_tensor("mask", mask, dtype="bool")
    if mask.shape != log_z.shape:
        raise ValueError(f"mask must have shape {tuple(log_z.shape)} (logits without the last dimension), "
                         f"got {tuple(mask.shape)}")
    return coefficient * (log_z ** 2 * mask).sum() / mask.sum()
