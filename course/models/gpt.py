"""A decoder-only Transformer language model (the GPT family), small enough to read in one sitting."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from ..nn import LearnedPositions, SinusoidalPositions, TransformerBlock, make_norm
from ..nn.blocks import ACTIVATIONS
from ..validate import check_ids, check_in, check_int, check_positive, check_probability, check_tensor
from .output import ModelOutput, lm_loss

__all__ = ["GPTConfig", "GPT"]


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 65
    context: int = 64            # the context window: the most tokens the model attends over
    n_layers: int = 4
    n_heads: int = 4
    d_model: int = 128
    d_ff: int | None = None      # default 4 · d_model
    dropout: float = 0.0
    positions: str = "learned"   # "learned" | "sinusoidal" | "rope" | "none"
    norm: str = "layer"          # "layer" | "rms"
    activation: str = "gelu_tanh"
    bias: bool = True
    tie_weights: bool = True     # output projection shares the token-embedding matrix
    norm_eps: float = 1e-5
    window: int | None = None    # sliding-window attention: each token sees at most this many (itself included)
    n_kv_heads: int | None = None  # key/value heads, default n_heads; fewer = grouped-query, 1 = multi-query
    head_dim: int | None = None  # size of each head, default d_model // n_heads (GPT-3 XL and 13B differ)
    norm_first: bool = True      # pre-LN (GPT-2 and later); False: post-LN, norm(x + f(x)), as in the 2017 Transformer

    def __post_init__(self):
        for name in ("vocab_size", "context", "n_layers", "n_heads", "d_model"):
            check_int(name, getattr(self, name), minimum=1)
        if self.head_dim is None and self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads}), "
                             f"or give head_dim explicitly")
        if self.head_dim is not None:
            check_int("head_dim", self.head_dim, minimum=1)
        check_probability("dropout", self.dropout, open_right=True)
        check_in("positions", self.positions, ("learned", "sinusoidal", "rope", "none"))
        check_in("norm", self.norm, ("layer", "rms"))
        if not isinstance(self.norm_first, bool):
            raise TypeError(f"norm_first must be a bool (True: pre-LN, False: post-LN), got {self.norm_first!r}")
        if self.d_ff is not None:   # None means 4·d_model; 0 must not silently mean the same
            check_int("d_ff", self.d_ff, minimum=1)
        check_in("activation", self.activation, ACTIVATIONS)
        check_positive("norm_eps", self.norm_eps)
        if self.window is not None:
            check_int("window", self.window, minimum=1)
        check_int("n_kv_heads", self.kv_heads, minimum=1)
        if self.n_heads % self.kv_heads:
            raise ValueError(f"n_heads ({self.n_heads}) must be divisible by n_kv_heads ({self.n_kv_heads})")

    @property
    def ff_dim(self) -> int:
        return self.d_ff or 4 * self.d_model

    @property
    def head_size(self) -> int:
        """Size of each attention head: ``head_dim`` if set, else d_model // n_heads."""
        return self.head_dim or self.d_model // self.n_heads

    @property
    def kv_heads(self) -> int:
        return self.n_heads if self.n_kv_heads is None else self.n_kv_heads

    def n_params(self, include_embeddings: bool = True) -> int:
        """Parameter count from the config alone (equals ``count_parameters(GPT(cfg))``)."""
        d, f, b = self.d_model, self.ff_dim, int(self.bias)
        norm = 2 * d if self.norm == "layer" else d      # LayerNorm has γ and β, RMSNorm γ only
        q = self.n_heads * self.head_size                 # width the heads span: d unless head_dim is set
        kv = self.kv_heads * self.head_size               # width of K (and of V): q unless grouped
        attn = 2 * d * q + 2 * d * kv + (q + d + 2 * kv) * b   # W_q (d×q), W_o (q×d); W_k, W_v (d×kv)
        ffn = 2 * d * f + (f + d) * b
        per_layer = attn + ffn + 2 * norm
        emb = self.vocab_size * d + (self.context * d if self.positions == "learned" else 0)
        head = 0 if self.tie_weights else self.vocab_size * d
        total = self.n_layers * per_layer + norm + head
        return total + emb if include_embeddings else total

    def flops_per_token(self) -> int:
        """Training FLOPs per token ≈ 6·N + 12·L·T·d, N the parameters without embeddings.

        PaLM's convention (Chowdhery et al., 2022, appendix B): 6·N for the weights (forward 2·N, backward 4·N)
        plus 12·L·T·d for attending over the full context T, counting both QKᵀ and weights·V (d is the width
        the heads span, n_heads·head_size, which differs from d_model only when head_dim is set). Kaplan et al.
        (2020) count 6·L·T·d for the context term. No saving from causal masking is assumed.
        """
        attn_width = self.n_heads * self.head_size        # = d_model unless head_dim is set
        return 6 * self.n_params(include_embeddings=False) + 12 * self.n_layers * self.context * attn_width

    @classmethod
    def preset(cls, name: str, **overrides) -> "GPTConfig":
        """``"baby"`` (a few seconds of CPU training), ``"small"``, or ``"gpt2"`` (124M shape)."""
        presets = {
            "baby": cls(context=64, n_layers=4, n_heads=4, d_model=128),
            "tiny": cls(context=64, n_layers=2, n_heads=4, d_model=64),
            "small": cls(context=128, n_layers=6, n_heads=6, d_model=192),
            "gpt2": cls(vocab_size=50257, context=1024, n_layers=12, n_heads=12, d_model=768),
        }
        check_in("name", name, presets)
        return replace(presets[name], **overrides)


class GPT(nn.Module):
    """tokens (B, T) -> logits (B, T, V) of the next token at every position.

    Embeddings + positions -> n_layers pre-LN causal blocks -> final norm -> tied output projection.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"config must be a GPTConfig, got {type(config).__name__}")
        self.config = c = config
        self.tok_emb = nn.Embedding(c.vocab_size, c.d_model)
        self.pos_emb = {"learned": lambda: LearnedPositions(c.context, c.d_model),
                        "sinusoidal": lambda: SinusoidalPositions(c.d_model)}.get(c.positions, lambda: None)()
        self.drop = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(c.d_model, c.n_heads, c.ff_dim, dropout=c.dropout, causal=True,
                             norm=c.norm, activation=c.activation, bias=c.bias,
                             rotary=c.positions == "rope", norm_eps=c.norm_eps, window=c.window,
                             n_kv_heads=c.kv_heads, head_dim=c.head_dim, norm_first=c.norm_first)
            for _ in range(c.n_layers))
        self.norm = make_norm(c.norm, c.d_model, c.norm_eps)
        self.head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        if c.tie_weights:
            self.head.weight = self.tok_emb.weight
        self.apply(self._init)
        for name, p in self.named_parameters():   # GPT-2: scale residual projections by 1/sqrt(2L)
            if name.endswith(("out_proj.weight", "down.weight")):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * c.n_layers))

    def set_window(self, layers, window: int | None) -> "GPT":
        """Make the attention of the listed layers locally banded: each token sees itself and the
        ``window − 1`` tokens before it (``None``: dense again). Returns the model.

        ``GPTConfig.window`` applies one window to every layer; this sets it per layer, e.g. GPT-3's
        alternating dense and banded layers: ``model.set_window(range(1, n_layers, 2), 256)``.
        """
        layers = list(layers) if not isinstance(layers, int) else [layers]
        for i in layers:
            check_int("layers (each index)", i, minimum=0, maximum=len(self.blocks) - 1)
        if window is not None:
            check_int("window", window, minimum=1)
        for i in layers:
            self.blocks[i].self_attn.window = window
        return self

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                cache: list | None = None, use_cache: bool = False) -> ModelOutput:
        """idx: (B, T) token ids; targets: (B, T) next-token ids (−100 = ignore).

        With ``use_cache`` the output carries per-layer KV caches; pass them back as ``cache`` with
        only the new tokens in ``idx`` to continue generation without recomputing the past.
        """
        check_tensor("idx", idx, ndim=2, dtype="int")
        past = cache[0].length if cache else 0
        t = idx.shape[1]
        if past + t > self.config.context and self.config.positions == "learned":
            raise ValueError(f"sequence of {past + t} tokens is longer than the context window "
                             f"({self.config.context}); crop idx to its last {self.config.context} tokens")
        # on CPU a clear message; on a GPU this check would stall the device for a sync, so it is skipped
        check_ids("idx", idx, self.config.vocab_size, "vocab_size")
        x = self.tok_emb(idx)
        if self.config.positions == "sinusoidal":   # fixed sinusoids have amplitude 1: scale tokens up
            x = x * math.sqrt(self.config.d_model)      # to match them, as Vaswani et al. (2017) do
        if self.pos_emb is not None:
            x = x + self.pos_emb(torch.arange(past, past + t, device=idx.device))
        x = self.drop(x)
        new_cache = []
        for i, block in enumerate(self.blocks):
            if use_cache:
                x, layer_cache = block(x, cache=cache[i] if cache else None, use_cache=True)
                new_cache.append(layer_cache)
            else:
                x = block(x)
        logits = self.head(self.norm(x))
        loss = lm_loss(logits, targets) if targets is not None else None
        return ModelOutput(logits=logits, loss=loss, cache=new_cache if use_cache else None)
