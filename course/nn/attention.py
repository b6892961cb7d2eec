r"""The attention core used by every attention module of the course.

.. math:: \mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V

Two paths compute the same thing:

* the **manual** path writes the formula out and returns the weights ``(B, H, Tq, Tk)``
  (after softmax, before dropout) so they can be looked at;
* the **fused** path calls ``F.scaled_dot_product_attention`` (fast, memory-efficient, no weights).

Masks are boolean and broadcast to ``(B, H, Tq, Tk)``: ``True`` means "may attend", the same convention
as ``F.scaled_dot_product_attention``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..validate import check_int, check_mask, check_match, check_number, check_probability, check_tensor

__all__ = ["scaled_dot_product_attention", "attention_from_scores", "causal_mask",
           "padding_mask", "sliding_window_mask"]


def attention_from_scores(scores: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
                          dropout_p: float = 0.0, training: bool = False):
    """Softmax over the key axis of ``scores`` (B, H, Tq, Tk), then a weighted sum of ``v`` (B, H, Tk, dv).

    Shared by dot-product and additive attention. Masked scores become ``-inf`` *before* the softmax so
    that masked keys get exactly zero weight; a query row with every key masked gets all-zero weights
    (instead of NaN). Returns ``(out (B, H, Tq, dv), weights (B, H, Tq, Tk))``.
    """
    check_tensor("scores", scores, ndim=4, dtype="float")
    check_tensor("v", v, ndim=4, dtype="float")
    if scores.shape[-1] != v.shape[-2]:
        raise ValueError(f"v must have one row per key: scores have {scores.shape[-1]} keys (dim -1), "
                         f"v has {v.shape[-2]} (dim -2)")
    check_mask("mask", mask, scores.shape)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores.float(), dim=-1).to(v.dtype)
    if mask is not None:
        weights = weights.nan_to_num(0.0)  # rows that could attend to nothing
    dropped = F.dropout(weights, p=dropout_p, training=training) if dropout_p > 0 else weights
    return dropped @ v, weights


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None, *, causal: bool = False,
                                 dropout_p: float = 0.0, training: bool = False, need_weights: bool = True,
                                 scale: float | None = None):
    """Scaled dot-product attention.

    Args:
        q: (B, H, Tq, dk) queries;  k: (B, H_kv, Tk, dk) keys;  v: (B, H_kv, Tk, dv) values. H_kv < H is
            grouped-query attention: KV head j serves query heads j·H/H_kv … (j+1)·H/H_kv − 1
            (H_kv = 1: multi-query).
        mask: bool, broadcastable to (B, H, Tq, Tk); True where a query may attend to a key.
        causal: also hide future keys; the queries are the last Tq of the Tk positions (KV cache).
        need_weights: True takes the manual path and returns the weights; False the fused path.
        scale: defaults to 1/sqrt(dk).

    Returns:
        ``(out, weights)``: out (B, H, Tq, dv); weights (B, H, Tq, Tk), or ``None`` on the fused path.
    """
    check_tensor("q", q, ndim=4, dtype="float")
    check_tensor("k", k, ndim=4, dtype="float", last_dim=q.shape[-1])
    check_tensor("v", v, ndim=4, dtype="float")
    # heads are checked below: k and v may have fewer than q (grouped-query attention)
    check_match("k", k, "q", q, dims={0: "batch size"}, dtype=True)
    check_match("v", v, "q", q, dims={0: "batch size"}, dtype=True)
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same number of keys (dim -2), got "
                         f"{k.shape[-2]} and {v.shape[-2]}")
    if q.shape[1] % k.shape[1] or v.shape[1] != k.shape[1]:
        raise ValueError(f"k and v must have the same number of heads, and q's heads a multiple of it "
                         f"(grouped-query attention); got q {q.shape[1]}, k {k.shape[1]}, v {v.shape[1]}")
    check_mask("mask", mask, (*q.shape[:-1], k.shape[-2]))
    check_probability("dropout_p", dropout_p, open_right=True)
    if scale is not None:
        check_number("scale", scale)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    t_q, t_k = q.shape[-2], k.shape[-2]
    grouped = q.shape[1] != k.shape[1]
    if not need_weights and causal and mask is None and t_q == t_k:
        # the fused kernel's own causal path: no mask tensor to build or read
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale, enable_gqa=grouped,
                                             dropout_p=dropout_p if training else 0.0)
        return out, None
    if causal:
        past = causal_mask(t_q, t_k, device=q.device)
        mask = past if mask is None else mask & past
    if not need_weights:
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=grouped,
                                             dropout_p=dropout_p if training else 0.0)
        if mask is not None:  # match the manual path on fully masked rows (SDPA gives NaN there)
            out = out.masked_fill(~mask.any(-1, keepdim=True), 0.0)
        return out, None
    if grouped:   # each KV head serves q.shape[1] // k.shape[1] consecutive query heads
        rep = q.shape[1] // k.shape[1]
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
    scores = (q @ k.transpose(-2, -1)) * scale          # (B, H, Tq, Tk)
    return attention_from_scores(scores, v, mask, dropout_p, training)


def causal_mask(t_query: int, t_key: int | None = None, device=None, *, window: int | None = None) -> torch.Tensor:
    """(Tq, Tk) bool, True on and below the diagonal: position i sees keys 0..i.

    With ``t_key > t_query`` (a KV cache holds earlier keys) the queries are the *last* ``t_query``
    positions, so query i sees keys ``0 .. t_key - t_query + i``. With ``window`` it also forgets: only
    the last ``window`` keys (itself included) stay visible.
    """
    check_int("t_query", t_query, minimum=1)
    t_key = t_query if t_key is None else check_int("t_key", t_key, minimum=t_query)
    offset = t_key - t_query
    mask = torch.ones(t_query, t_key, dtype=torch.bool, device=device).tril(diagonal=offset)
    if window is not None:
        check_int("window", window, minimum=1)
        mask = mask.triu(diagonal=offset - window + 1)
    return mask


def padding_mask(lengths: torch.Tensor, t_key: int) -> torch.Tensor:
    """(B, 1, 1, Tk) bool from sequence ``lengths`` (B,): True on real tokens, False on padding."""
    check_tensor("lengths", lengths, ndim=1, dtype="int")
    check_int("t_key", t_key, minimum=1)
    if (lengths > t_key).any() or (lengths < 0).any():
        raise ValueError(f"lengths must lie in [0, t_key={t_key}], got {lengths.tolist()}")
    keep = torch.arange(t_key, device=lengths.device)[None, :] < lengths[:, None]
    return keep[:, None, None, :]


def sliding_window_mask(t: int, window: int, device=None) -> torch.Tensor:
    """(T, T) causal mask that also forgets: position i sees keys i-window+1 .. i."""
    return causal_mask(t, device=device, window=window)
