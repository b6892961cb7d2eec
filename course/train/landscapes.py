"""Toy loss surfaces in two dimensions, for drawing what an optimizer does step by step.

An ill-conditioned valley is the standard picture: the loss curves steeply across the valley and gently
along it, so one learning rate is too large for one direction and too small for the other.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ..validate import check_int, check_number, check_pair, check_positive, check_tensor

__all__ = ["valley_loss", "trajectory"]


def valley_loss(xy: torch.Tensor, curvatures: tuple[float, float] = (1.0, 25.0), angle: float = 0.0) -> torch.Tensor:
    """f(p) = ½ Σᵢ cᵢ (Rᵀp)ᵢ², a quadratic valley whose axes are turned by ``angle`` radians.

    xy: (..., 2) points → (...) losses. The minimum is 0 at the origin; the condition number is
    max(c) / min(c). With angle 0 the steep direction is y; turned, it mixes both coordinates.
    """
    check_tensor("xy", xy, dtype="float", last_dim=2)
    c_along, c_across = (check_positive(f"curvatures[{i}]", c) for i, c in
                         enumerate(check_pair("curvatures", curvatures, "(along, across)")))
    angle = check_number("angle", angle)
    cos, sin = math.cos(angle), math.sin(angle)
    u = cos * xy[..., 0] + sin * xy[..., 1]        # coordinate along the valley floor
    v = -sin * xy[..., 0] + cos * xy[..., 1]       # coordinate across it
    return 0.5 * (c_along * u ** 2 + c_across * v ** 2)


def trajectory(make_optimizer: Callable, start: tuple[float, float], steps: int,
               loss_fn: Callable[[torch.Tensor], torch.Tensor] = valley_loss) -> torch.Tensor:
    """Run ``make_optimizer([p])`` on one 2-D parameter p from ``start``; return the points visited.

    Returns (steps + 1, 2): the start, then the parameter after each step. loss_fn maps (2,) → scalar.
    """
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer must be a function params -> optimizer, got {type(make_optimizer).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function (2,) -> scalar loss, got {type(loss_fn).__name__}")
    x0, y0 = (check_number(f"start[{i}]", s) for i, s in enumerate(check_pair("start", start, "(x, y)")))
    check_int("steps", steps, minimum=1)
    p = torch.nn.Parameter(torch.tensor([x0, y0], dtype=torch.float64))
    optimizer = make_optimizer([p])
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"make_optimizer must return a torch.optim.Optimizer, got {type(optimizer).__name__}")
    points = [p.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(p).backward()
        optimizer.step()
        points.append(p.detach().clone())
    return torch.stack(points)
