"""Memory-frugal attention: process keys in tiles with an online softmax (Milakov & Gimelshein, 2018;
the idea behind FlashAttention, Dao et al., 2022), so the full (T × T) score matrix never exists.

Pure PyTorch, written for reading, not speed: the point is that it gives the *same* result as
plain attention while holding only (block_q × block_k) scores at a time.
"""
from __future__ import annotations

import math

import torch
from torch.utils.checkpoint import checkpoint

from ..validate import check_int, check_match, check_positive, check_tensor

__all__ = ["online_softmax_attention", "tiled_attention", "linear_attention"]


def _check_qkv(q, k, v) -> None:
    """q (B, H, Tq, d), k (B, H, Tk, d), v (B, H, Tk, dv): one dtype, one batch, one set of heads."""
    check_tensor("q", q, ndim=4, dtype="float")
    check_tensor("k", k, ndim=4, dtype="float", last_dim=q.shape[-1])
    check_tensor("v", v, ndim=4, dtype="float")
    check_match("k", k, "q", q, dims={0: "batch size", 1: "number of heads"}, dtype=True)
    check_match("v", v, "k", k, dims={0: "batch size", 1: "number of heads", 2: "number of keys"},
                dtype=True)


def online_softmax_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, block_k: int = 128,
                             causal: bool = False, q_offset: int = 0) -> torch.Tensor:
    """softmax(q kᵀ/√d) v computed one key tile at a time.

    Keeps per query a running maximum m, a running normalizer l and an unnormalized output acc; when a
    tile raises the maximum, the old l and acc are rescaled by exp(m_old − m_new).
    q: (B, H, Tq, d), k and v: (B, H, Tk, d). ``q_offset``: absolute position of q's first row (causal).
    """
    _check_qkv(q, k, v)
    check_int("block_k", block_k, minimum=1)
    check_int("q_offset", q_offset, minimum=0)
    scale = 1.0 / math.sqrt(q.shape[-1])
    b, h, tq, _ = q.shape
    m = q.new_full((b, h, tq, 1), float("-inf"))
    l = q.new_zeros((b, h, tq, 1))
    acc = q.new_zeros((b, h, tq, v.shape[-1]))
    rows = torch.arange(q_offset, q_offset + tq, device=q.device)[:, None]
    for start in range(0, k.shape[-2], block_k):
        if causal and start > q_offset + tq - 1:
            break                                   # every later key is in every query's future
        scores = (q @ k[..., start:start + block_k, :].transpose(-2, -1)) * scale   # (B, H, Tq, bk)
        if causal:
            cols = torch.arange(start, start + scores.shape[-1], device=q.device)[None, :]
            scores = scores.masked_fill(cols > rows, float("-inf"))
        m_new = torch.maximum(m, scores.amax(-1, keepdim=True))
        correction = torch.exp(m - m_new).nan_to_num(0.0)          # exp(-inf - -inf) on empty rows
        p = torch.exp(scores - m_new).nan_to_num(0.0)
        l = l * correction + p.sum(-1, keepdim=True)
        acc = acc * correction + p @ v[..., start:start + block_k, :]
        m = m_new
    return acc / l.clamp_min(1e-30)


def tiled_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, block_q: int = 128,
                    block_k: int = 128, causal: bool = False) -> torch.Tensor:
    """Attention in (block_q × block_k) tiles; equal to plain attention, far less memory.

    Each query block runs :func:`online_softmax_attention` under activation checkpointing, so the
    backward pass recomputes a block's tiles instead of storing them: the memory kept for backward is
    O(T·d) instead of O(T²). q, k, v: (B, H, T, d) -> (B, H, Tq, d).
    """
    _check_qkv(q, k, v)
    check_int("block_q", block_q, minimum=1)
    check_int("block_k", block_k, minimum=1)
    outs = []
    for start in range(0, q.shape[-2], block_q):
        q_block = q[..., start:start + block_q, :]
        run = lambda qb, kk, vv, s=start: online_softmax_attention(qb, kk, vv, block_k=block_k,  # noqa: E731
                                                                   causal=causal, q_offset=s)
        needs_grad = torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v))
        outs.append(checkpoint(run, q_block, k, v, use_reentrant=False) if needs_grad else run(q_block, k, v))
    return torch.cat(outs, dim=-2)


def linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, causal: bool = False,
                     eps: float = 1e-6) -> torch.Tensor:
    """Linear attention (Katharopoulos et al., 2020): replace exp(q·k) by φ(q)·φ(k), φ = elu + 1.

    Then Σ_j φ(q_i)·φ(k_j) v_j = φ(q_i) · (Σ_j φ(k_j) v_jᵀ): the (d × d) sum is shared by all queries,
    so the cost is O(T·d²) instead of O(T²·d). It is a *different* attention, not an approximation
    with a guarantee. q, k: (B, H, T, d), v: (B, H, T, dv) -> (B, H, T, dv).
    """
    _check_qkv(q, k, v)
    check_positive("eps", eps)
    if causal:   # query i sums keys 0..i: one key per query
        check_match("k", k, "q", q, dims={2: "length"})
    fq, fk = torch.nn.functional.elu(q) + 1, torch.nn.functional.elu(k) + 1
    if causal:   # prefix sums: query i only sums keys 0..i
        kv = torch.einsum("bhtd,bhte->bhtde", fk, v).cumsum(dim=2)          # (B, H, T, d, dv)
        num = torch.einsum("bhtd,bhtde->bhte", fq, kv)
        den = torch.einsum("bhtd,bhtd->bht", fq, fk.cumsum(dim=2))[..., None]
    else:
        kv = torch.einsum("bhtd,bhte->bhde", fk, v)                          # (B, H, d, dv)
        num = torch.einsum("bhtd,bhde->bhte", fq, kv)
        den = (fq @ fk.sum(dim=2, keepdim=True).transpose(-2, -1))
    return num / (den + eps)
