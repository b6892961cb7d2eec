"""Published GPT sizes as configs, and counters of their parameters and FLOPs.

The rows are the papers' own tables, as printed: GPT-3 (Brown et al., 2020, "Language Models are Few-Shot
Learners", Table 2.1) and GPT-2 (Radford et al., 2019, "Language Models are Unsupervised Multitask
Learners", Table 2). :meth:`PublishedSize.config` turns a row into a :class:`GPTConfig`, so the counts come
from the same code that builds the course's models.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..validate import check_int
from .gpt import GPTConfig

__all__ = ["PublishedSize", "GPT2_SIZES", "GPT3_SIZES", "published_size", "param_breakdown", "matmul_flops",
           "attended_pairs", "DataSource", "GPT3_DATA_MIX"]

GPT2_VOCAB = 50257            # byte-level BPE, shared by GPT-2 and GPT-3


@dataclass(frozen=True)
class PublishedSize:
    """One row of a paper's model-size table.

    n_params: the parameter count the paper reports; batch_tokens and lr: the training batch (in tokens)
    and peak learning rate, where the table gives them.
    """
    name: str
    n_params: float
    n_layers: int
    d_model: int
    n_heads: int
    d_head: int
    context: int
    batch_tokens: float | None = None
    lr: float | None = None
    vocab_size: int = GPT2_VOCAB

    def __post_init__(self):
        for name in ("n_layers", "d_model", "n_heads", "d_head", "context", "vocab_size"):
            check_int(name, getattr(self, name), minimum=1)
        if not isinstance(self.n_params, (int, float)) or self.n_params <= 0:
            raise ValueError(f"n_params must be a positive number (the reported count), got {self.n_params!r}")
        for name in ("batch_tokens", "lr"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise ValueError(f"{name} must be a positive number or None, got {value!r}")

    def config(self, **overrides) -> GPTConfig:
        """The course GPT of this shape: learned positions, pre-LN, biases, FFN 4·d_model, tied output."""
        fields = dict(vocab_size=self.vocab_size, context=self.context, n_layers=self.n_layers,
                      n_heads=self.n_heads, d_model=self.d_model, head_dim=self.d_head)
        return GPTConfig(**(fields | overrides))


_M, _B = 1e6, 1e9
# Brown et al. (2020), Table 2.1. Two rows have n_heads · d_head ≠ d_model (XL: 24 · 128 = 3072 ≠ 2048;
# 13B: 40 · 128 = 5120 ≠ 5140): the heads then span a width of their own.
GPT3_SIZES = (
    PublishedSize("GPT-3 Small", 125 * _M, 12, 768, 12, 64, 2048, 0.5 * _M, 6.0e-4),
    PublishedSize("GPT-3 Medium", 350 * _M, 24, 1024, 16, 64, 2048, 0.5 * _M, 3.0e-4),
    PublishedSize("GPT-3 Large", 760 * _M, 24, 1536, 16, 96, 2048, 0.5 * _M, 2.5e-4),
    PublishedSize("GPT-3 XL", 1.3 * _B, 24, 2048, 24, 128, 2048, 1 * _M, 2.0e-4),
    PublishedSize("GPT-3 2.7B", 2.7 * _B, 32, 2560, 32, 80, 2048, 1 * _M, 1.6e-4),
    PublishedSize("GPT-3 6.7B", 6.7 * _B, 32, 4096, 32, 128, 2048, 2 * _M, 1.2e-4),
    PublishedSize("GPT-3 13B", 13.0 * _B, 40, 5140, 40, 128, 2048, 2 * _M, 1.0e-4),
    PublishedSize("GPT-3 175B", 175.0 * _B, 96, 12288, 96, 128, 2048, 3.2 * _M, 0.6e-4),
)

# Radford et al. (2019), Table 2 gives parameters, layers and d_model; the head counts (64-wide heads)
# are those of the released checkpoints' configurations.
GPT2_SIZES = (
    PublishedSize("GPT-2 small", 117 * _M, 12, 768, 12, 64, 1024),
    PublishedSize("GPT-2 medium", 345 * _M, 24, 1024, 16, 64, 1024),
    PublishedSize("GPT-2 large", 762 * _M, 36, 1280, 20, 64, 1024),
    PublishedSize("GPT-2 XL", 1542 * _M, 48, 1600, 25, 64, 1024),
)


@dataclass(frozen=True)
class DataSource:
    """One row of a training-data mixture: size in tokens, share of the training batches, and the epochs
    the paper reports for it."""
    name: str
    tokens: float
    weight: float
    epochs: float

    def __post_init__(self):
        for field in ("tokens", "weight", "epochs"):
            value = getattr(self, field)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{field} must be a positive number, got {value!r}")


# Brown et al. (2020), Table 2.2: the GPT-3 training mix; "epochs elapsed when training for 300B tokens".
GPT3_DATA_MIX = (
    DataSource("Common Crawl (filtered)", 410e9, 0.60, 0.44),
    DataSource("WebText2", 19e9, 0.22, 2.9),
    DataSource("Books1", 12e9, 0.08, 1.9),
    DataSource("Books2", 55e9, 0.08, 0.43),
    DataSource("Wikipedia", 3e9, 0.03, 3.4),
)


def published_size(name: str) -> PublishedSize:
    """The row called ``name`` (e.g. ``"GPT-3 175B"``, ``"GPT-2 XL"``) of either table."""
    rows = {row.name: row for row in GPT2_SIZES + GPT3_SIZES}
    if name not in rows:
        raise ValueError(f"name must be one of {sorted(rows)}, got {name!r}")
    return rows[name]


def _check_config(config) -> GPTConfig:
    if not isinstance(config, GPTConfig):
        raise TypeError(f"config must be a GPTConfig, got {type(config).__name__}")
    return config


def param_breakdown(config: GPTConfig) -> dict[str, int]:
    """Parameters by part; the values sum to ``config.n_params()``.

    Keys: token embeddings, position embeddings, attention (all layers, with biases), feed-forward
    (all layers), norms (two per layer and the final one), output head (0 when tied to the embeddings).
    """
    c = _check_config(config)
    d, f, b = c.d_model, c.ff_dim, int(c.bias)
    q, kv = c.n_heads * c.head_size, c.kv_heads * c.head_size
    norm = 2 * d if c.norm == "layer" else d
    parts = {
        "token embeddings": c.vocab_size * d,
        "position embeddings": c.context * d if c.positions == "learned" else 0,
        "attention": c.n_layers * (2 * d * q + 2 * d * kv + (q + d + 2 * kv) * b),
        "feed-forward": c.n_layers * (2 * d * f + (f + d) * b),
        "norms": (2 * c.n_layers + 1) * norm,
        "output head": 0 if c.tie_weights else c.vocab_size * d,
    }
    return parts


def matmul_flops(config: GPTConfig, batch: int, seq_len: int, backward: bool = True) -> int:
    """FLOPs of the matrix products of one forward (and backward) pass of ``GPT(config)`` on (batch, seq_len).

    Counted as ``torch.utils.flop_counter.FlopCounterMode`` counts them — 2 per multiply-add, the backward
    pass twice the forward, attention over the full seq_len × seq_len square (masking saves nothing) —
    and equal to its total when attention runs on the manual path (inside ``record_attention``).
    Embedding lookups, norms, activations and softmax are not matrix products and are not counted.
    """
    c = _check_config(config)
    check_int("batch", batch, minimum=1)
    check_int("seq_len", seq_len, minimum=1, maximum=c.context)
    d, f, hd = c.d_model, c.ff_dim, c.head_size
    q, kv = c.n_heads * hd, c.kv_heads * hd
    weights = c.n_layers * (d * (q + 2 * kv) + q * d + 2 * d * f) + d * c.vocab_size   # per token
    tokens = batch * seq_len
    scores = 2 * c.n_layers * batch * c.n_heads * seq_len * seq_len * hd      # QKᵀ and weights·V
    forward = 2 * tokens * weights + 2 * scores
    return 3 * forward if backward else forward


def attended_pairs(t: int, window: int | None = None) -> int:
    """Number of (query, key) pairs a causal mask over ``t`` tokens lets through.

    Dense causal attention: t(t+1)/2. A locally banded mask of width ``window`` (each token sees itself
    and the window − 1 before it) lets through fewer: for t ≫ window, about t · window.
    """
    check_int("t", t, minimum=1)
    if window is None:
        return t * (t + 1) // 2
    check_int("window", window, minimum=1)
    w = min(window, t)
    return w * (w + 1) // 2 + (t - w) * w
