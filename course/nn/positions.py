"""Positional information: learned tables, sinusoids (Vaswani et al., 2017) and rotary (Su et al., 2021)."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..validate import check_ids, check_int, check_positive, check_tensor

__all__ = ["LearnedPositions", "SinusoidalPositions", "RotaryEmbedding", "sinusoidal_table"]


def sinusoidal_table(n_positions: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """(n_positions, dim): PE[p, 2i] = sin(p / base^(2i/dim)), PE[p, 2i+1] = cos(same)."""
    check_int("n_positions", n_positions, minimum=1)
    check_int("dim", dim, minimum=2)
    check_positive("base", base)
    if dim % 2:
        raise ValueError(f"dim must be even for sinusoidal positions, got {dim}")
    pos = torch.arange(n_positions, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(base) * torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    table = torch.zeros(n_positions, dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)
    return table


class LearnedPositions(nn.Module):
    """A trainable (max_len, dim) table, as in GPT-2 and BERT. Has no entry beyond ``max_len``."""

    def __init__(self, max_len: int, dim: int):
        super().__init__()
        check_int("max_len", max_len, minimum=1)
        check_int("dim", dim, minimum=1)
        self.table = nn.Embedding(max_len, dim)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        """positions: (T,) int -> (T, dim)."""
        check_tensor("positions", positions, dtype="int")
        check_ids("positions", positions)
        # values are read on the CPU only (on a GPU it would stall the device; GPT checks lengths itself)
        if positions.device.type == "cpu" and positions.numel() and int(positions.max()) >= self.table.num_embeddings:
            raise ValueError(f"position {int(positions.max())} is beyond the learned table "
                             f"(max_len={self.table.num_embeddings}); learned positions cannot extrapolate")
        return self.table(positions)


class SinusoidalPositions(nn.Module):
    """Fixed sinusoids; computed for any position, so defined beyond the trained length."""

    def __init__(self, dim: int, base: float = 10000.0):
        super().__init__()
        sinusoidal_table(1, dim, base)   # validate dim and base now, not at the first call
        self.dim, self.base = dim, base

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        """positions: (T,) int -> (T, dim)."""
        check_tensor("positions", positions, dtype="int")
        check_ids("positions", positions)   # a negative index would silently read the table's end
        table = sinusoidal_table(int(positions.max()) + 1 if positions.numel() else 1, self.dim, self.base)
        return table.to(positions.device)[positions]


class RotaryEmbedding(nn.Module):
    """Rotary position embedding: rotate each (even, odd) pair of q and k by an angle p·θ_i.

    The dot product of a rotated query at p and key at s then depends on p − s only.
    """

    def __init__(self, head_dim: int, base: float = 10000.0):
        super().__init__()
        check_int("head_dim", head_dim, minimum=2)
        check_positive("base", base)
        if head_dim % 2:
            raise ValueError(f"head_dim must be even for rotary embeddings, got {head_dim}")
        inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """x: (B, H, T, head_dim), positions: (T,) -> x rotated, same shape."""
        check_tensor("x", x, ndim=4, dtype="float", last_dim=2 * self.inv_freq.shape[0])
        check_tensor("positions", positions, ndim=1)
        if positions.shape[0] != x.shape[-2]:
            raise ValueError(f"positions must hold one position per token of x: x has {x.shape[-2]} "
                             f"(dim -2), positions has {positions.shape[0]}")
        angles = positions.float()[:, None] * self.inv_freq[None, :]   # (T, head_dim/2)
        cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
        even, odd = x[..., 0::2], x[..., 1::2]
        return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)
