"""Gradient clipping: by value, by global norm, and adaptive (unit-wise, Brock et al., 2021).

Clipping happens *after* ``loss.backward()`` and *before* ``optimizer.step()``.
"""
from __future__ import annotations

from typing import Iterable

import torch

from ..validate import check_parameters, check_positive

__all__ = ["global_grad_norm", "clip_by_value", "clip_by_global_norm", "adaptive_clip"]


def _grads(parameters) -> list[torch.Tensor]:
    return [p for p in check_parameters("parameters", parameters) if p.grad is not None]


def global_grad_norm(parameters: Iterable[torch.Tensor]) -> torch.Tensor:
    """‖g‖ over all gradients concatenated into one vector (a 0-dim tensor)."""
    params = _grads(parameters)
    if not params:
        return torch.tensor(0.0)
    return torch.stack([p.grad.detach().float().norm() for p in params]).norm()


@torch.no_grad()
def clip_by_value(parameters, clip_value: float) -> None:
    """Clamp every gradient element into [−clip_value, clip_value]. Changes the gradient's direction."""
    check_positive("clip_value", clip_value)
    for p in _grads(parameters):
        p.grad.clamp_(-clip_value, clip_value)


@torch.no_grad()
def clip_by_global_norm(parameters, max_norm: float, eps: float = 1e-6) -> torch.Tensor:
    """If ‖g‖ > max_norm, scale *all* gradients by max_norm/‖g‖: same direction, bounded length.

    Returns the norm before clipping (what ``torch.nn.utils.clip_grad_norm_`` returns).
    """
    check_positive("max_norm", max_norm)
    check_positive("eps", eps, allow_zero=True)
    params = _grads(parameters)
    total = global_grad_norm(params)
    scale = torch.clamp(max_norm / (total + eps), max=1.0)
    for p in params:
        p.grad.mul_(scale.to(p.grad.device, p.grad.dtype))
    return total


def _unitwise_norm(x: torch.Tensor) -> torch.Tensor:
    """Norm per output unit: rows of a weight matrix, the whole tensor for biases/scalars."""
    if x.dim() <= 1:
        return x.norm()
    return x.flatten(1).norm(dim=1).view(-1, *([1] * (x.dim() - 1)))


@torch.no_grad()
def adaptive_clip(parameters, clipping: float = 0.01, eps: float = 1e-3) -> None:
    """Adaptive gradient clipping: scale each unit's gradient so that ‖G_i‖ ≤ clipping·max(‖W_i‖, eps).

    The bound is relative to the weights' own size, so one threshold suits layers of any scale.
    """
    check_positive("clipping", clipping)
    check_positive("eps", eps)
    for p in _grads(parameters):
        w_norm = _unitwise_norm(p).clamp_min(eps)
        g_norm = _unitwise_norm(p.grad)
        max_norm = clipping * w_norm
        scale = torch.where(g_norm > max_norm, max_norm / g_norm.clamp_min(1e-6), torch.ones_like(g_norm))
        p.grad.mul_(scale)
