"""Regularizers written out: DropConnect, L1 and L2 penalties, the proximal L1 step that makes exact
zeros, parameter groups for weight decay, early stopping, and train/validation curves on the shared
overfitting setting (:mod:`course.train.overfitting`).

Dropout itself is ``nn.Dropout`` (the course's models use it at every site a Transformer drops);
chapter 5 writes it out and checks it against torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..validate import (check_int, check_module, check_number, check_parameters, check_positive,
                        check_probability, check_tensor)
from .loop import _default_loss, evaluate

__all__ = ["DropConnectLinear", "l1_penalty", "l2_penalty", "soft_threshold_", "decay_groups",
           "EarlyStop", "early_stopping", "Curves", "train_with_curves", "zero_fraction"]


class DropConnectLinear(nn.Module):
    """A linear layer whose **weights** (not activations) are dropped in training (DropConnect, Wan et al., 2013).

    Training: y = x · (M ⊙ W)ᵀ / (1 − p) + b, with M a fresh Bernoulli(1 − p) keep-mask of W's shape
    (out, in) at each call, shared by the batch. Evaluation: y = x · Wᵀ + b (inverted scaling keeps the
    expectation; the paper's inference instead averages samples of a Gaussian approximation).
    x: (..., in) -> (..., out).
    """

    def __init__(self, linear: nn.Linear, p: float = 0.5):
        super().__init__()
        if not isinstance(linear, nn.Linear):
            raise TypeError(f"linear must be an nn.Linear, got {type(linear).__name__}")
        self.p = check_probability("p", p, open_right=True)
        self.linear = linear
        self.last_mask: torch.Tensor | None = None     # (out, in) bool, the mask of the last training call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, dtype="float", last_dim=self.linear.in_features)
        weight = self.linear.weight
        if self.training and self.p > 0:
            self.last_mask = torch.rand_like(weight) >= self.p
            weight = weight * self.last_mask / (1 - self.p)
        return F.linear(x, weight, self.linear.bias)


def l1_penalty(parameters) -> torch.Tensor:
    """Σ |θ| over all given parameters (a scalar tensor, differentiable)."""
    params = check_parameters("parameters", parameters)
    return sum(p.abs().sum() for p in params)


def l2_penalty(parameters) -> torch.Tensor:
    """Σ θ² over all given parameters (a scalar tensor; the L2 term of a loss is usually (λ/2)·Σ θ²)."""
    params = check_parameters("parameters", parameters)
    return sum(p.pow(2).sum() for p in params)


@torch.no_grad()
def soft_threshold_(parameters, threshold: float) -> None:
    """In place θ ← sign(θ)·max(|θ| − threshold, 0): the proximal step of an L1 penalty.

    After a gradient step of size lr on the loss alone, ``threshold = lr · λ`` gives proximal gradient
    descent (ISTA) on loss + λ·Σ|θ|; every weight whose magnitude falls below it becomes exactly 0.
    """
    params = check_parameters("parameters", parameters)
    check_positive("threshold", threshold, allow_zero=True)
    for p in params:
        p.copy_(p.sign() * (p.abs() - threshold).clamp(min=0))


def zero_fraction(parameters) -> float:
    """Fraction of the entries that are exactly 0, over a tensor or an iterable of tensors (weights or copies)."""
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    if isinstance(parameters, (str, bytes, nn.Module)) or not hasattr(parameters, "__iter__"):
        raise TypeError(f"parameters must be a tensor or an iterable of tensors such as model.parameters(), "
                        f"got {type(parameters).__name__}")
    params = list(parameters)
    if not all(isinstance(p, torch.Tensor) for p in params):
        raise TypeError("parameters must hold only tensors")
    total = sum(p.numel() for p in params)
    return sum(int((p == 0).sum()) for p in params) / max(total, 1)


def decay_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two optimizer parameter groups: weight matrices and embeddings (ndim ≥ 2) decay, biases and
    normalization gains (ndim < 2) do not — the usual split in GPT training code. Tied weights count once."""
    check_module("model", model)
    check_positive("weight_decay", weight_decay, allow_zero=True)
    params = [p for p in model.parameters() if p.requires_grad]     # parameters() yields a tied tensor once
    return [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]


@dataclass(frozen=True)
class EarlyStop:
    best: int    # index of the evaluation whose weights to keep
    stop: int    # index of the evaluation at which training stops (the last one if patience never ran out)


def early_stopping(losses: Sequence[float], patience: int, min_delta: float = 0.0) -> EarlyStop:
    """Replay early stopping on a validation curve.

    An evaluation improves when its loss is below the best so far by more than ``min_delta``. Training
    stops at the ``patience``-th evaluation in a row without improvement; the kept weights are those of
    the best evaluation.
    """
    if isinstance(losses, (str, bytes)) or not isinstance(losses, Sequence) or not losses:
        raise TypeError(f"losses must be a non-empty sequence of numbers, got {type(losses).__name__}")
    values = [check_number(f"losses[{i}]", v) for i, v in enumerate(losses)]
    check_int("patience", patience, minimum=1)
    check_positive("min_delta", min_delta, allow_zero=True)
    best, waited = 0, 0
    for i in range(1, len(values)):
        if values[i] < values[best] - min_delta:
            best, waited = i, 0
        else:
            waited += 1
            if waited == patience:
                return EarlyStop(best, i)
    return EarlyStop(best, len(values) - 1)


@dataclass
class Curves:
    """Training-set and validation loss, both measured in eval mode with plain cross-entropy."""
    step: list[int] = field(default_factory=list)
    train: list[float] = field(default_factory=list)
    val: list[float] = field(default_factory=list)

    def as_dict(self, digits: int = 4) -> dict:
        return {"step": self.step, "train": [round(v, digits) for v in self.train],
                "val": [round(v, digits) for v in self.val]}


def train_with_curves(setting, model: nn.Module, optimizer: torch.optim.Optimizer, steps: int, *,
                      every: int = 10, loss_fn: Callable | None = None,
                      after_step: Callable[[nn.Module], None] | None = None) -> Curves:
    """Train ``model`` on the overfitting setting's batches and record both curves every ``every`` steps.

    ``loss_fn(model, batch)`` is the training objective (default: the model's cross-entropy); the curves
    always use plain cross-entropy in eval mode (no dropout), on the same 4 training windows and the
    setting's validation windows, so that runs with different regularizers are comparable.
    ``after_step(model)`` runs after each optimizer step (e.g. a proximal L1 step).
    """
    from .overfitting import OverfitSetting
    if not isinstance(setting, OverfitSetting):
        raise TypeError(f"setting must be an OverfitSetting (course.train.overfitting.overfit_setting()), "
                        f"got {type(setting).__name__}")
    check_module("model", model)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    check_int("steps", steps, minimum=1)
    check_int("every", every, minimum=1)
    for name, fn in (("loss_fn", loss_fn), ("after_step", after_step)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a callable or None, got {type(fn).__name__}")
    loss_fn = loss_fn or _default_loss
    get_batch = setting.batches()
    probe = torch.Generator().manual_seed(setting.seed + 1)
    train_windows = [_window(setting, probe) for _ in range(4)]
    curves = Curves()
    for step in range(steps):
        model.train()
        loss = loss_fn(model, get_batch(step))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if after_step is not None:
            after_step(model)
        if (step + 1) % every == 0 or step == steps - 1:
            curves.step.append(step + 1)
            curves.train.append(evaluate(model, train_windows))
            curves.val.append(evaluate(model, setting.val_batches))
    return curves


def _window(setting, generator):
    from ..text import lm_batch
    return lm_batch(setting.train_tokens, 32, setting.config.context, generator=generator)
