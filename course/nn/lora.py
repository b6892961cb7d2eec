"""LoRA: low-rank adaptation of a frozen linear layer (Hu et al., 2021).

A pretrained weight W (out × in) stays frozen; the layer learns a low-rank update ΔW = B·A, with
A (r × in) and B (out × r), scaled by alpha / r:

    y = x Wᵀ + b + (alpha / r) · dropout(x) Aᵀ Bᵀ

B starts at zero, so the adapted model starts exactly equal to the pretrained one. Trainable parameters
per layer: r · (in + out) instead of in · out. After training, ``merge_lora`` folds ΔW into W: no extra
cost at inference. Conventions (names, the A/B shapes, kaiming-uniform A and zero B, the alpha / r scale)
are those of the ``peft`` library, so weights copy across one to one.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..validate import check_int, check_module, check_positive, check_probability

__all__ = ["LoRALinear", "add_lora", "merge_lora"]


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a trainable low-rank update. x (..., in) -> (..., out)."""

    def __init__(self, base: nn.Linear, r: int = 8, alpha: float = 16.0, dropout: float = 0.0):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"base must be a torch.nn.Linear, got {type(base).__name__}")
        check_int("r", r, minimum=1)
        check_positive("alpha", alpha)
        check_probability("dropout", dropout, open_right=True)
        self.base = base
        self.r, self.alpha = r, float(alpha)
        self.scale = self.alpha / r
        for p in base.parameters():
            p.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, device=base.weight.device,
                                               dtype=base.weight.dtype))       # (r, in)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, device=base.weight.device,
                                               dtype=base.weight.dtype))       # (out, r): ΔW = 0 at start
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))                 # as nn.Linear (and peft) do
        self.dropout = nn.Dropout(dropout)

    def delta_weight(self) -> torch.Tensor:
        """ΔW = (alpha / r) · B A, shaped like the base weight (out, in)."""
        return self.scale * self.lora_B @ self.lora_A

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # two thin matmuls (in -> r -> out), never the full ΔW
        return self.base(x) + self.scale * (self.dropout(x) @ self.lora_A.t() @ self.lora_B.t())

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha:g}, in={self.base.in_features}, out={self.base.out_features}"


def _replace(model: nn.Module, name: str, new: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, new)


def add_lora(model: nn.Module, targets=("qkv_proj", "out_proj"), r: int = 8, alpha: float = 16.0,
             dropout: float = 0.0) -> list[str]:
    """Freeze every parameter of ``model`` and wrap each ``nn.Linear`` whose name ends with one of
    ``targets`` in a :class:`LoRALinear` (in place). Returns the wrapped modules' names, in order.

    Only the LoRA matrices are trainable afterwards; unfreeze anything else (a new task head) yourself.
    """
    check_module("model", model)
    if isinstance(targets, str) or not targets or not all(isinstance(t, str) for t in targets):
        raise TypeError(f"targets must be a non-empty tuple of module-name endings such as ('qkv_proj',), "
                        f"got {targets!r}")
    adapted = [n for n, m in model.named_modules() if isinstance(m, LoRALinear)]
    if adapted:
        raise ValueError(f"model is already adapted: it holds {len(adapted)} LoRALinear layers (e.g. {adapted[0]!r}); "
                         f"merge_lora(model) first, or add_lora to a fresh copy of the base model")
    for p in model.parameters():
        p.requires_grad_(False)
    names = [n for n, m in model.named_modules()
             if isinstance(m, nn.Linear) and any(n == t or n.endswith("." + t) for t in targets)]
    if not names:
        linear = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)][:6]
        raise ValueError(f"no nn.Linear in model matches targets {tuple(targets)}; its linear layers are "
                         f"named like {linear}")
    for name in names:
        _replace(model, name, LoRALinear(model.get_submodule(name), r, alpha, dropout))
    return names


@torch.no_grad()
def merge_lora(model: nn.Module) -> int:
    """Fold every LoRALinear's ΔW into its base weight and put the plain ``nn.Linear`` back (in place).
    Returns the number of layers merged. The merged model computes the same function, at no extra cost."""
    check_module("model", model)
    names = [n for n, m in model.named_modules() if isinstance(m, LoRALinear)]
    for name in names:
        lora = model.get_submodule(name)
        lora.base.weight += lora.delta_weight()
        _replace(model, name, lora.base)
    return len(names)
