"""Gradient flow: how much of a gradient survives the trip back through time steps or layers; and
how noisy a mini-batch gradient is (the gradient noise scale).

Both functions push one fixed random direction ``v`` back from the last output (a vector-Jacobian
product, what ``backward()`` does) and report the norm of the gradient that arrives at each earlier
point. A profile that falls geometrically towards the start is a vanishing gradient; one that grows
is an exploding one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch.func import functional_call, grad, vmap

from ..validate import check_int, check_match, check_module, check_number, check_positive, check_tensor

__all__ = ["grad_norm_per_step", "grad_norm_per_layer", "NoiseScale", "gradient_noise_scale",
           "noise_scale_from_batches"]


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
    if isinstance(module, torch.nn.RNNBase) and not module.batch_first:
        # with batch_first=False the module would read x as (T, B, D): the "last step" would be the last example
        raise ValueError("build the RNN with batch_first=True: x is (B, T, D)")
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


def grad_norm_per_layer(layers: Sequence[Callable], x: torch.Tensor, *, seed: int = 0,
                        probe: torch.Tensor | None = None) -> torch.Tensor:
    """‖∂⟨v, h_L⟩ / ∂h_l‖ at the input h_l of every layer l = 0 … L−1, and at the output (l = L).

    layers: callables applied in order, each (B, D) -> (B, D) (e.g. the blocks of a deep stack);
    x: (B, D) the input h_0. v = ``probe`` (B, D_out), or a random unit vector per example fixed by ``seed``.
    Returns a float tensor (L + 1,) averaged over the batch; its last entry is ‖v‖ (1 for the default).
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
        if probe is None:
            probe = _probe(hs[-1].shape, seed, hs[-1])
        check_tensor("probe", probe, ndim=2, dtype="float")
        if probe.shape != hs[-1].shape:
            raise ValueError(f"probe must have the shape of the last layer's output {tuple(hs[-1].shape)}, "
                             f"got {tuple(probe.shape)}")
        grads = torch.autograd.grad((hs[-1] * probe).sum(), hs)
    return torch.stack([g.norm(dim=-1).mean() for g in grads]).detach()


# ---- how noisy is a mini-batch gradient? (chapter 31) -----------------------------------------------
@dataclass(frozen=True)
class NoiseScale:
    """Gradient statistics of McCandlish et al. (2018): ``g_sq`` = |G|², the squared norm of the true
    (full-data) gradient; ``trace_sigma`` = tr(Σ), the summed variance of one example's gradient;
    ``b_simple`` = tr(Σ)/|G|², the batch size at which noise and signal in a batch gradient are equal."""
    g_sq: float
    trace_sigma: float

    @property
    def b_simple(self) -> float:
        # both are unbiased estimates, so from few examples |G|² can come out ≤ 0 when noise dominates
        if self.g_sq <= 0:
            raise ValueError(f"|G|² ≤ 0 (g_sq = {self.g_sq:.3g}): noise dominates, average more batches")
        return self.trace_sigma / self.g_sq


def gradient_noise_scale(model: torch.nn.Module, loss_fn: Callable, inputs: torch.Tensor,
                         targets: torch.Tensor, *, chunk: int = 256) -> NoiseScale:
    """Unbiased estimates of |G|² and tr(Σ) from the per-example gradients of N examples (``torch.func``, in chunks).

    loss_fn(outputs, targets) -> a scalar mean loss; inputs (N, ...), targets (N, ...).
    |G|² is corrected for the finite sample: ‖mean of N gradients‖² − tr(Σ)/N.
    """
    check_module("model", model)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function (outputs, targets) -> loss, got {type(loss_fn).__name__}")
    check_tensor("inputs", inputs, nonempty=True)
    check_tensor("targets", targets)
    check_match("targets", targets, "inputs", inputs, dims={0: "number of examples"})
    n = check_int("number of examples", inputs.shape[0], minimum=2)
    check_int("chunk", chunk, minimum=1)
    params = {k: v.detach() for k, v in model.named_parameters()}

    def one_loss(p, x, y):
        return loss_fn(functional_call(model, p, (x[None],)), y[None])

    per_example = vmap(grad(one_loss), in_dims=(None, 0, 0))
    total, sq_norms = None, []
    for start in range(0, n, chunk):
        grads = per_example(params, inputs[start:start + chunk], targets[start:start + chunk])
        flat = torch.cat([g.flatten(1) for g in grads.values()], dim=1)          # (chunk, P)
        sq_norms.append(flat.pow(2).sum(1))
        total = flat.sum(0) if total is None else total + flat.sum(0)
    mean = total / n
    mean_sq = float(mean.pow(2).sum())
    trace_sigma = (float(torch.cat(sq_norms).sum()) - n * mean_sq) / (n - 1)  # unbiased variance, summed
    return NoiseScale(g_sq=mean_sq - trace_sigma / n, trace_sigma=trace_sigma)


def noise_scale_from_batches(sq_norm_small: float, sq_norm_big: float, b_small: int, b_big: int) -> NoiseScale:
    """|G|² and tr(Σ) from the squared norms of mean gradients at two batch sizes (McCandlish et al., 2018,
    appendix A.1), using E|G_B|² = |G|² + tr(Σ)/B. Cheap: needs no per-example gradients."""
    check_number("sq_norm_small", sq_norm_small)
    check_number("sq_norm_big", sq_norm_big)
    check_positive("sq_norm_small", sq_norm_small)        # squared norms: a negative one is a caller's bug
    check_positive("sq_norm_big", sq_norm_big)
    check_int("b_small", b_small, minimum=1)
    check_int("b_big", b_big, minimum=1)
    if b_big <= b_small:
        raise ValueError(f"b_big must be larger than b_small, got b_small={b_small}, b_big={b_big}")
    g_sq = (b_big * sq_norm_big - b_small * sq_norm_small) / (b_big - b_small)
    trace_sigma = (sq_norm_small - sq_norm_big) / (1 / b_small - 1 / b_big)
    return NoiseScale(g_sq=g_sq, trace_sigma=trace_sigma)
