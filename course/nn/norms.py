"""Normalization layers written out: LayerNorm, RMSNorm and BatchNorm over (B, T, C) sequences."""
from __future__ import annotations

import copy

import torch
from torch import nn

from ..validate import check_int, check_positive, check_probability, check_tensor

__all__ = ["LayerNorm", "RMSNorm", "SequenceBatchNorm", "make_norm", "to_batch_norm"]


class LayerNorm(nn.Module):
    """y = (x − mean) / sqrt(var + eps) · γ + β, statistics over the last dim of *each token*."""

    def __init__(self, dim: int, eps: float = 1e-5, bias: bool = True):
        super().__init__()
        check_int("dim", dim, minimum=1)
        check_positive("eps", eps)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., dim) -> same shape."""
        check_tensor("x", x, dtype="float", last_dim=self.weight.shape[0])
        var, mean = torch.var_mean(x, dim=-1, keepdim=True, unbiased=False)   # one pass; biased, as torch
        y = (x - mean) * torch.rsqrt(var + self.eps) * self.weight
        return y + self.bias if self.bias is not None else y


class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x²) + eps) · γ — LayerNorm without centring (Zhang & Sennrich, 2019)."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        check_int("dim", dim, minimum=1)
        check_positive("eps", eps)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, dtype="float", last_dim=self.weight.shape[0])
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class SequenceBatchNorm(nn.Module):
    """BatchNorm over (B, T, C): statistics per channel across batch *and* time, padding excluded.

    Train mode normalizes with the batch's statistics and updates running ones; eval mode uses the
    running statistics — the train/eval mismatch that makes BN awkward for language models.
    """

    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        check_int("dim", dim, minimum=1)
        check_positive("eps", eps)
        check_probability("momentum", momentum)   # the weight of the new batch in the running average
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.register_buffer("running_mean", torch.zeros(dim))
        self.register_buffer("running_var", torch.ones(dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, T, C) or (N, C); mask: (B, T) bool, True on real tokens."""
        check_tensor("x", x, ndim=(2, 3), dtype="float", last_dim=self.weight.shape[0])
        flat = x.reshape(-1, x.shape[-1])
        if mask is not None:
            check_tensor("mask", mask, dtype="bool")
            if mask.shape != x.shape[:-1]:
                raise ValueError(f"mask must have shape {tuple(x.shape[:-1])}, got {tuple(mask.shape)}")
            flat = flat[mask.reshape(-1)]
        if self.training:
            n = flat.shape[0]
            if n == 0:   # the mean of no tokens is NaN, and it would poison the running statistics
                raise ValueError("mask must keep at least one token: batch statistics need some data")
            mean, var = flat.mean(0), flat.var(0, unbiased=False)
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * n / max(n - 1, 1), self.momentum)  # unbiased, as torch
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias


def make_norm(kind: str, dim: int, eps: float = 1e-5) -> nn.Module:
    """``"layer"`` -> LayerNorm, ``"rms"`` -> RMSNorm."""
    if kind == "layer":
        return LayerNorm(dim, eps)
    if kind == "rms":
        return RMSNorm(dim, eps)
    raise ValueError(f"kind must be 'layer' or 'rms', got {kind!r}")


def to_batch_norm(model: nn.Module, momentum: float = 0.1) -> nn.Module:
    """A deep copy of ``model`` in which every LayerNorm / RMSNorm (the course's or PyTorch's) is a
    SequenceBatchNorm with the same γ (and β, zero for RMSNorm; 1 and 0 for norms without affine parameters): the same network, normalizing across the batch instead of per token.

    The copy is in train mode, so each norm uses the statistics of the batch it is given (B, T, C).
    Running statistics start at mean 0, variance 1.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_probability("momentum", momentum)
    out = copy.deepcopy(model)
    kinds = (LayerNorm, RMSNorm, nn.LayerNorm, nn.RMSNorm)
    targets = [(name, m) for name, m in out.named_modules() if name and isinstance(m, kinds)]
    if not targets:
        raise ValueError("model must contain at least one LayerNorm or RMSNorm to replace")
    for name, norm in targets:
        if isinstance(norm, (nn.LayerNorm, nn.RMSNorm)) and len(norm.normalized_shape) != 1:
            raise ValueError(f"normalized_shape of {name} must have one dimension (the channels), "
                             f"got {tuple(norm.normalized_shape)}")
        weight = getattr(norm, "weight", None)
        bias = getattr(norm, "bias", None)
        dim = norm.normalized_shape[0] if isinstance(norm, (nn.LayerNorm, nn.RMSNorm)) else norm.weight.shape[0]
        eps = norm.eps if norm.eps is not None else torch.finfo(torch.float32).eps   # nn.RMSNorm's default
        bn = SequenceBatchNorm(dim, eps=eps, momentum=momentum)
        with torch.no_grad():
            if weight is not None:                        # no affine parameters: γ = 1, β = 0
                bn.weight.copy_(weight)
            if bias is not None:
                bn.bias.copy_(bias)
        device = next((t.device for t in (weight, bias) if t is not None), None)
        if device is not None:
            bn.to(device)
        parent_name, _, child = name.rpartition(".")
        setattr(out.get_submodule(parent_name) if parent_name else out, child, bn)
    return out.train()
