"""Learning-rate schedules as plain functions of the step, plus a torch scheduler wrapper."""
from __future__ import annotations

import math

import torch

from ..validate import check_int, check_probability

__all__ = ["warmup_cosine", "warmup_cosine_scheduler"]


def warmup_cosine(step: int, *, warmup: int, total: int, min_ratio: float = 0.1) -> float:
    """Multiplier of the peak lr at ``step``: linear 0→1 over ``warmup`` steps, then cosine to ``min_ratio``."""
    check_int("warmup", warmup, minimum=0)
    check_int("total", total, minimum=1)
    if warmup > total:
        raise ValueError(f"warmup ({warmup}) must not exceed total ({total})")
    check_int("step", step, minimum=0)
    check_probability("min_ratio", min_ratio)   # the floor, as a fraction of the peak lr
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def warmup_cosine_scheduler(optimizer: torch.optim.Optimizer, *, warmup: int, total: int,
                            min_ratio: float = 0.1) -> torch.optim.lr_scheduler.LambdaLR:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    warmup_cosine(0, warmup=warmup, total=total, min_ratio=min_ratio)   # validate now, not at step 1
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: warmup_cosine(s, warmup=warmup, total=total, min_ratio=min_ratio))
