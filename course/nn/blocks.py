"""Transformer building blocks: the position-wise feed-forward network and pre-/post-LN blocks."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..validate import check_in, check_int, check_probability, check_tensor
from .multihead import KVCache, MultiHeadAttention
from .norms import make_norm

__all__ = ["FeedForward", "TransformerBlock", "ACTIVATIONS"]

ACTIVATIONS = {
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),   # GPT-2's "gelu_new"
    "relu": F.relu,
}


class FeedForward(nn.Module):
    """x -> W2 · act(W1 · x): applied to each position independently. (B, T, d) -> (B, T, d)."""

    def __init__(self, d_model: int, d_ff: int, activation: str = "gelu", dropout: float = 0.0,
                 bias: bool = True):
        super().__init__()
        check_in("activation", activation, ACTIVATIONS)
        check_int("d_model", d_model, minimum=1)
        check_int("d_ff", d_ff, minimum=1)
        check_probability("dropout", dropout, open_right=True)
        self.d_model = d_model
        self.up = nn.Linear(d_model, d_ff, bias=bias)
        self.down = nn.Linear(d_ff, d_model, bias=bias)
        self.act = ACTIVATIONS[activation]
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, dtype="float", last_dim=self.d_model)
        return self.drop(self.down(self.act(self.up(x))))


class TransformerBlock(nn.Module):
    """Self-attention (+ optional cross-attention) + feed-forward, each in a residual branch.

    ``norm_first=True`` (pre-LN, GPT-2 and later): x + f(norm(x)).
    ``norm_first=False`` (post-LN, the 2017 Transformer and BERT): norm(x + f(x)).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, *, dropout: float = 0.0,
                 causal: bool = False, cross_attention: bool = False, norm_first: bool = True,
                 norm: str = "layer", activation: str = "gelu", bias: bool = True,
                 rotary: bool = False, norm_eps: float = 1e-5, window: int | None = None,
                 n_kv_heads: int | None = None, head_dim: int | None = None):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout, bias, rotary=rotary, causal=causal,
                                            window=window, n_kv_heads=n_kv_heads, head_dim=head_dim)
        self.norm1 = make_norm(norm, d_model, norm_eps)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, dropout, bias) if cross_attention else None
        self.norm_cross = make_norm(norm, d_model, norm_eps) if cross_attention else None
        # the block drops each sub-layer's output once (self.drop), as in Vaswani et al. and GPT-2; an FFN
        # dropout of its own here would drop that branch twice (1 - (1 - p)² of it, not p)
        self.ffn = FeedForward(d_model, d_ff, activation, 0.0, bias)
        self.norm2 = make_norm(norm, d_model, norm_eps)
        self.drop = nn.Dropout(dropout)

    def _residual(self, x, norm, fn):
        if self.norm_first:
            return x + self.drop(fn(norm(x)))
        return norm(x + self.drop(fn(x)))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                memory: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None,
                cache: KVCache | None = None, use_cache: bool = False):
        """x: (B, T, d); memory: (B, S, d) encoder output for cross-attention.

        Returns (B, T, d), or ``(out, KVCache)`` with ``use_cache``.
        """
        new_cache = None

        def self_attention(h):
            nonlocal new_cache
            if use_cache:
                out, new_cache = self.self_attn(h, mask=mask, cache=cache, use_cache=True)
                return out
            return self.self_attn(h, mask=mask)

        x = self._residual(x, self.norm1, self_attention)
        if self.cross_attn is not None:
            if memory is None:
                raise ValueError("memory (the encoder output) is required by a block with cross-attention")
            x = self._residual(x, self.norm_cross, lambda h: self.cross_attn(h, memory, memory_mask))
        x = self._residual(x, self.norm2, self.ffn)
        return (x, new_cache) if use_cache else x
