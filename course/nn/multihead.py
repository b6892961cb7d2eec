"""Multi-head attention (self or cross) built on the course's attention core, and a recorder of weights."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..validate import check_int, check_match, check_probability, check_tensor
from .attention import attention_from_scores, causal_mask, scaled_dot_product_attention
from .positions import RotaryEmbedding

__all__ = ["MultiHeadAttention", "AdditiveAttention", "KVCache", "record_attention"]


@dataclass
class KVCache:
    """Keys and values of the tokens seen so far, each (B, H_kv, T_past, head_dim)."""
    k: torch.Tensor
    v: torch.Tensor

    @property
    def length(self) -> int:
        return self.k.shape[-2]


class MultiHeadAttention(nn.Module):
    """h heads of size d_model/h, each attending in its own subspace; outputs concatenated and mixed.

    forward(x (B, Tq, d_model), context (B, Tk, d_model) or None for self-attention, mask) -> (B, Tq, d_model).
    The weights of the last call are kept in ``self.last_weights`` (B, H, Tq, Tk) while ``self.record``
    is True (see :func:`record_attention`); otherwise the fused kernel runs and no weights exist.

    ``n_kv_heads`` < ``n_heads`` gives grouped-query attention (Ainslie et al., 2023): only n_kv_heads
    key/value heads are projected and cached, each shared by n_heads/n_kv_heads consecutive query heads;
    ``n_kv_heads=1`` is multi-query attention (Shazeer, 2019). The default is ordinary multi-head attention.

    ``head_dim`` sets the size of each head on its own (default d_model/n_heads); then the heads span
    n_heads·head_dim dimensions, W_q maps d_model to that width and W_o maps it back (GPT-3 XL: 24 heads
    of 128 in a 2048-wide model).
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True,
                 rotary: bool = False, causal: bool = False, window: int | None = None,
                 n_kv_heads: int | None = None, head_dim: int | None = None):
        super().__init__()
        check_int("d_model", d_model, minimum=1)
        check_int("n_heads", n_heads, minimum=1)
        if head_dim is None and d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads}), "
                             f"or give head_dim explicitly")
        check_probability("dropout", dropout, open_right=True)
        self.d_model, self.n_heads = d_model, n_heads
        self.head_dim = d_model // n_heads if head_dim is None else check_int("head_dim", head_dim, minimum=1)
        self.q_dim = n_heads * self.head_dim              # width the heads span: d_model unless head_dim is set
        self.n_kv_heads = n_heads if n_kv_heads is None else check_int("n_kv_heads", n_kv_heads, minimum=1)
        if n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads ({n_heads}) must be divisible by n_kv_heads ({n_kv_heads}): "
                             f"each key/value head serves an equal group of query heads")
        if window is not None:
            check_int("window", window, minimum=1)
            if not causal:
                raise ValueError("window (sliding-window attention) needs causal=True")
        self.causal, self.dropout, self.window = causal, dropout, window
        # W_q, W_k and W_v stacked in one (q_dim + 2·kv_dim, d_model) matrix: one matmul for self-attention
        self.kv_dim = self.n_kv_heads * self.head_dim     # = q_dim unless keys/values are grouped
        self.qkv_proj = nn.Linear(d_model, self.q_dim + 2 * self.kv_dim, bias=bias)
        self.out_proj = nn.Linear(self.q_dim, d_model, bias=bias)
        self.rotary = RotaryEmbedding(self.head_dim) if rotary else None
        self.record = False
        self.last_weights: torch.Tensor | None = None
        self.head_mask: torch.Tensor | None = None   # (H,) multipliers, for head-ablation experiments

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, heads · head_dim) -> (B, heads, T, head_dim)."""
        b, t, _ = x.shape
        return x.view(b, t, -1, self.head_dim).transpose(1, 2)

    def project(self, x: torch.Tensor, context: torch.Tensor | None = None):
        """Queries (B, H, Tq, hd) from x; keys and values (B, H_kv, Tk, hd) from context (x itself for
        self-attention)."""
        d, kv = self.q_dim, self.kv_dim
        if context is None:
            return [self._split(t) for t in self.qkv_proj(x).split([d, kv, kv], dim=-1)]
        w, b = self.qkv_proj.weight, self.qkv_proj.bias
        q = F.linear(x, w[:d], None if b is None else b[:d])
        k, v = F.linear(context, w[d:], None if b is None else b[d:]).split([kv, kv], dim=-1)
        return self._split(q), self._split(k), self._split(v)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None,
                mask: torch.Tensor | None = None, cache: KVCache | None = None,
                use_cache: bool = False):
        """Returns out (B, Tq, d_model), or ``(out, KVCache)`` when ``use_cache`` is True."""
        check_tensor("x", x, ndim=3, dtype="float", last_dim=self.d_model)
        if context is not None:
            check_tensor("context", context, ndim=3, dtype="float", last_dim=self.d_model)
            check_match("context", context, "x", x, dims={0: "batch size"})
        if cache is not None:   # (dtypes may differ under autocast: the cache holds projected keys)
            check_match("cache.k", cache.k, "x", x, dims={0: "batch size"})
        q, k, v = self.project(x, context)
        past = cache.length if cache is not None else 0
        if self.rotary is not None:
            q = self.rotary(q, torch.arange(past, past + q.shape[-2], device=x.device))
            k = self.rotary(k, torch.arange(past, past + k.shape[-2], device=x.device))
        if cache is not None:
            k, v = torch.cat([cache.k, k], dim=-2), torch.cat([cache.v, v], dim=-2)
        if self.window is not None:   # keys older than `window` positions are out of sight
            recent = causal_mask(q.shape[-2], k.shape[-2], device=x.device, window=self.window)
            mask = recent if mask is None else mask & recent
        out, weights = scaled_dot_product_attention(
            q, k, v, mask, causal=self.causal, dropout_p=self.dropout, training=self.training,
            need_weights=self.record)
        self.last_weights = weights.detach() if self.record else None
        if self.head_mask is not None:
            out = out * self.head_mask.view(1, -1, 1, 1).to(out)
        out = self.out_proj(out.transpose(1, 2).reshape(x.shape[0], x.shape[1], self.q_dim))
        return (out, KVCache(k, v)) if use_cache else out


class AdditiveAttention(nn.Module):
    """Bahdanau-style attention: score(q, k) = vᵀ tanh(W_q q + W_k k), one head.

    forward(query (B, Tq, dq), keys (B, Tk, dk), values (B, Tk, dv), mask) -> (B, Tq, dv).
    Uses the same softmax-and-sum core as dot-product attention; weights kept like MultiHeadAttention.
    """

    def __init__(self, query_dim: int, key_dim: int, hidden: int):
        super().__init__()
        for name, value in (("query_dim", query_dim), ("key_dim", key_dim), ("hidden", hidden)):
            check_int(name, value, minimum=1)
        self.w_q = nn.Linear(query_dim, hidden, bias=False)
        self.w_k = nn.Linear(key_dim, hidden, bias=False)
        self.v = nn.Linear(hidden, 1, bias=False)
        self.record = False
        self.last_weights: torch.Tensor | None = None

    def forward(self, query, keys, values, mask=None):
        check_tensor("query", query, ndim=3, dtype="float", last_dim=self.w_q.in_features)
        check_tensor("keys", keys, ndim=3, dtype="float", last_dim=self.w_k.in_features)
        check_tensor("values", values, ndim=3, dtype="float")
        check_match("keys", keys, "query", query, dims={0: "batch size"})
        check_match("values", values, "keys", keys, dims={0: "batch size", 1: "number of keys"})
        scores = self.v(torch.tanh(self.w_q(query)[:, :, None] + self.w_k(keys)[:, None])).squeeze(-1)
        out, weights = attention_from_scores(scores[:, None], values[:, None], mask)
        self.last_weights = weights.detach() if self.record else None
        return out[:, 0]


_RECORDABLE = (MultiHeadAttention, AdditiveAttention)


@contextmanager
def record_attention(model: nn.Module):
    """Collect attention weights of every attention module in ``model`` during the ``with`` block.

    Yields a dict ``{module_name: [weights (B, H, Tq, Tk) per call]}`` in the order modules are
    registered (layer order). Attention runs on the manual path while recording.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    modules = [(n, m) for n, m in model.named_modules() if isinstance(m, _RECORDABLE)]
    if not modules:
        raise ValueError("model has no attention modules to record")
    records: dict[str, list[torch.Tensor]] = {n: [] for n, _ in modules}
    hooks = []
    for name, module in modules:
        module.record = True
        hooks.append(module.register_forward_hook(
            lambda mod, args, out, name=name: records[name].append(mod.last_weights)))
    try:
        yield records
    finally:
        for (_, module), hook in zip(modules, hooks):
            module.record, module.last_weights = False, None
            hook.remove()
