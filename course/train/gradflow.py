"""Gradient flow: how much of a gradient survives the trip back through time steps or layers.

Both functions push one fixed random direction ``v`` back from the last output (a vector-Jacobian
product, what ``backward()`` does) and report the norm of the gradient that arrives at each earlier
point. A profile that falls geometrically towards the start is a vanishing gradient; one that grows
is an exploding one.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..validate import check_int, check_tensor

__all__ = ["grad_norm_per_step", "grad_norm_per_layer"]


def _probe(shape, seed: int, like: torch.Tensor) -> torch.Tensor:
    """One random unit vector per example: (B, H), each row of norm 1."""
    v = torch.randn(*shape, generator=torch.Generator().manual_seed(seed))
    return (v / v.norm(dim=-1, keepdim=True)).to(like.device, like.dtype)


def _first(out):
    """nn.RNN/LSTM/GRU return (outputs, state): keep the outputs."""
    return out[0] if isinstance(out, tuple) else out


def grad_norm_per_step(module: Callable, x: torch.Tensor, *, seed: int = 0,
                       probe: torch.Tensor | None = None) -> torch.Tensor:
    """‖∂⟨v, y_T⟩ / ∂x_t‖ for every input step t, averaged over the batch.

    module: maps x (B, T, D) -> y (B, T, H) (or a tuple whose first item is y, as ``nn.LSTM`` returns);
    y_T: the output at the last step; v = ``probe`` (B, H), or a random unit vector per example fixed by
    ``seed``. Returns a float tensor (T,): entry t says how strongly the last output depends on input t.
    """
    if not callable(module):
        raise TypeError(f"module must be callable (an nn.RNN, nn.LSTM, ...), got {type(module).__name__}")
    check_tensor("x", x, ndim=3, dtype="float", nonempty=True)
    check_int("seed", seed, minimum=0)
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        y = _first(module(x))
        check_tensor("module(x)", y, ndim=3)
        last = y[:, -1]                                              # (B, H)
        if probe is None:
            probe = _probe(last.shape, seed, last)
        check_tensor("probe", probe, ndim=2, dtype="float")
        if probe.shape != last.shape:
            raise ValueError(f"probe must have the shape of the last output (B, H) = {tuple(last.shape)}, "
                             f"got {tuple(probe.shape)}")
        (grad,) = torch.autograd.grad((last * probe).sum(), x)
    return grad.norm(dim=-1).mean(dim=0).detach()                    # (B, T, D) -> (T,)


def grad_norm_per_layer(layers: Sequence[Callable], x: torch.Tensor, *, seed: int = 0) -> torch.Tensor:
    """‖∂⟨v, h_L⟩ / ∂h_l‖ at the input h_l of every layer l = 0 … L−1, and at the output (l = L).

    layers: callables applied in order, each (B, D) -> (B, D) (e.g. the blocks of a deep stack);
    x: (B, D) the input h_0. v: a random unit vector per example, fixed by ``seed``.
    Returns a float tensor (L + 1,) averaged over the batch; its last entry is 1 (‖v‖).
    """
    ok = isinstance(layers, (list, tuple, torch.nn.Sequential, torch.nn.ModuleList))
    layers = list(layers) if ok else []
    if not layers or not all(callable(f) for f in layers):
        raise TypeError("layers must be a non-empty list (or nn.Sequential/ModuleList) of callables, "
                        "one per layer")
    check_tensor("x", x, ndim=2, dtype="float", nonempty=True)
    check_int("seed", seed, minimum=0)
    with torch.enable_grad():
        hs = [x.detach().requires_grad_(True)]
        for layer in layers:
            hs.append(layer(hs[-1]))
        check_tensor("the last layer's output", hs[-1], ndim=2)
        grads = torch.autograd.grad((hs[-1] * _probe(hs[-1].shape, seed, hs[-1])).sum(), hs)
    return torch.stack([g.norm(dim=-1).mean() for g in grads]).detach()
