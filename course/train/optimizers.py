"""Optimizers written out one by one, each equal to its ``torch.optim`` twin (tested to 1e-6).

Each ``step`` reads like the update rule it implements; state lives in ``self.state[p]`` as in torch.
"""
from __future__ import annotations

import torch

from ..validate import check_pair, check_parameters, check_positive, check_probability

__all__ = ["SGD", "AdaGrad", "RMSProp", "Adam", "AdamW", "effective_lr"]


class _Optimizer(torch.optim.Optimizer):
    def __init__(self, params, defaults: dict):
        check_positive("lr", defaults["lr"])
        check_positive("weight_decay", defaults.get("weight_decay", 0.0), allow_zero=True)
        if "eps" in defaults:
            check_positive("eps", defaults["eps"])
        if not isinstance(params, (list, tuple)) or not params or not isinstance(params[0], dict):
            params = check_parameters("params", params)   # param groups (dicts) are left to torch
        super().__init__(params, defaults)

    def _params(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    yield group, p, self.state[p]


class SGD(_Optimizer):
    """θ ← θ − lr·g, with optional (heavy-ball or Nesterov) momentum μ and L2 weight decay.

    momentum: b ← μ·b + g;  step with b (heavy ball) or with g + μ·b (Nesterov).
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        check_probability("momentum", momentum, open_right=True)
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group, p, state in self._params():
            g = p.grad + group["weight_decay"] * p
            if group["momentum"]:
                buf = state.get("momentum_buffer")
                buf = g.clone() if buf is None else buf.mul_(group["momentum"]).add_(g)
                state["momentum_buffer"] = buf
                g = g + group["momentum"] * buf if group["nesterov"] else buf
            p.add_(g, alpha=-group["lr"])


class AdaGrad(_Optimizer):
    """Per-parameter step lr / (sqrt(Σ g²) + eps): coordinates with large past gradients move less."""

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group, p, state in self._params():
            g = p.grad + group["weight_decay"] * p
            acc = state.setdefault("sum", torch.zeros_like(p)).addcmul_(g, g)
            p.addcdiv_(g, acc.sqrt().add_(group["eps"]), value=-group["lr"])


class RMSProp(_Optimizer):
    """AdaGrad with a leaky sum: v ← α·v + (1−α)·g², step lr·g / (sqrt(v) + eps)."""

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0):
        check_probability("alpha", alpha, open_right=True)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group, p, state in self._params():
            g = p.grad + group["weight_decay"] * p
            v = state.setdefault("square_avg", torch.zeros_like(p))
            v.mul_(group["alpha"]).addcmul_(g, g, value=1 - group["alpha"])
            p.addcdiv_(g, v.sqrt().add_(group["eps"]), value=-group["lr"])


class Adam(_Optimizer):
    """m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  θ ← θ − lr · m̂ / (sqrt(v̂) + eps),
    with bias corrections m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ). ``weight_decay`` here is L2: added to g.
    """

    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        for i, beta in enumerate(check_pair("betas", betas, "(beta1, beta2)")):
            check_probability(f"betas[{i}]", beta, open_right=True)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group, p, state in self._params():
            (b1, b2), lr, wd = group["betas"], group["lr"], group["weight_decay"]
            g = p.grad
            if self.decoupled:
                p.mul_(1 - lr * wd)            # AdamW: shrink the weights, outside the adaptive step
            elif wd:
                g = g + wd * p                 # Adam + L2: the decay is rescaled by 1/sqrt(v̂)
            t = state["step"] = state.get("step", 0) + 1
            m = state.setdefault("exp_avg", torch.zeros_like(p)).lerp_(g, 1 - b1)
            v = state.setdefault("exp_avg_sq", torch.zeros_like(p)).mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v / (1 - b2 ** t)).sqrt_().add_(group["eps"])
            p.addcdiv_(m, denom, value=-lr / (1 - b1 ** t))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): θ ← θ·(1 − lr·wd) before the step."""

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(params, lr, betas, eps, weight_decay)


def effective_lr(optimizer: torch.optim.Optimizer, param: torch.Tensor) -> torch.Tensor:
    """The step size each coordinate of ``param`` gets per unit of (first-moment) gradient, right now.

    SGD: lr everywhere. AdaGrad: lr / (sqrt(Σ g²) + eps). RMSProp: lr / (sqrt(v) + eps).
    Adam(W): lr / (1 − β1ᵗ) / (sqrt(v / (1 − β2ᵗ)) + eps), the factor that multiplies m.
    Returns a tensor shaped like ``param``; read it after at least one step.
    """
    if not isinstance(optimizer, (SGD, AdaGrad, RMSProp, Adam)):
        raise TypeError(f"optimizer must be one of the course's SGD, AdaGrad, RMSProp, Adam, AdamW, "
                        f"got {type(optimizer).__name__}")
    group = next((g for g in optimizer.param_groups if any(q is param for q in g["params"])), None)
    if group is None:
        raise ValueError("param must be one of the parameters the optimizer updates")
    lr, state = group["lr"], optimizer.state.get(param, {})
    if isinstance(optimizer, SGD):
        return torch.full_like(param, lr)
    if not state:
        raise ValueError("param has no optimizer state yet: call effective_lr after a step")
    if isinstance(optimizer, AdaGrad):
        return lr / (state["sum"].sqrt() + group["eps"])
    if isinstance(optimizer, RMSProp):
        return lr / (state["square_avg"].sqrt() + group["eps"])
    (b1, b2), t = group["betas"], state["step"]
    return lr / (1 - b1 ** t) / ((state["exp_avg_sq"] / (1 - b2 ** t)).sqrt() + group["eps"])
