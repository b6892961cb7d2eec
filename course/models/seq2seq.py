"""The encoder–decoder Transformer (Vaswani et al., 2017): encoder self-attention, decoder causal
self-attention and cross-attention to the encoder's output."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..nn import SinusoidalPositions, TransformerBlock, make_norm
from ..validate import check_ids, check_int, check_probability, check_tensor
from .output import ModelOutput, lm_loss

__all__ = ["Seq2SeqConfig", "Seq2SeqTransformer"]


@dataclass(frozen=True)
class Seq2SeqConfig:
    src_vocab: int = 32
    tgt_vocab: int = 32
    d_model: int = 64
    n_heads: int = 4
    n_encoder_layers: int = 2
    n_decoder_layers: int = 2
    d_ff: int = 256
    dropout: float = 0.0
    norm_first: bool = True
    pad_id: int = 0

    def __post_init__(self):
        for name in ("src_vocab", "tgt_vocab", "d_model", "n_heads", "n_encoder_layers",
                     "n_decoder_layers", "d_ff"):
            check_int(name, getattr(self, name), minimum=1)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        check_probability("dropout", self.dropout, open_right=True)


class Seq2SeqTransformer(nn.Module):
    """src (B, S), tgt_in (B, T) -> logits (B, T, tgt_vocab). Padding (``pad_id``) is masked out."""

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        if not isinstance(config, Seq2SeqConfig):
            raise TypeError(f"config must be a Seq2SeqConfig, got {type(config).__name__}")
        self.config = c = config
        self.src_emb = nn.Embedding(c.src_vocab, c.d_model)
        self.tgt_emb = nn.Embedding(c.tgt_vocab, c.d_model)
        self.positions = SinusoidalPositions(c.d_model)
        block = dict(dropout=c.dropout, norm_first=c.norm_first, activation="relu")
        self.encoder = nn.ModuleList(TransformerBlock(c.d_model, c.n_heads, c.d_ff, **block)
                                     for _ in range(c.n_encoder_layers))
        self.decoder = nn.ModuleList(TransformerBlock(c.d_model, c.n_heads, c.d_ff, causal=True,
                                                      cross_attention=True, **block)
                                     for _ in range(c.n_decoder_layers))
        self.enc_norm = make_norm("layer", c.d_model) if c.norm_first else nn.Identity()
        self.dec_norm = make_norm("layer", c.d_model) if c.norm_first else nn.Identity()
        self.head = nn.Linear(c.d_model, c.tgt_vocab)

    def _embed(self, emb: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
        pos = self.positions(torch.arange(ids.shape[1], device=ids.device))
        return emb(ids) * math.sqrt(self.config.d_model) + pos

    def encode(self, src: torch.Tensor):
        """src (B, S) -> (memory (B, S, d), src_mask (B, 1, 1, S))."""
        check_tensor("src", src, ndim=2, dtype="int")
        check_ids("src", src, self.config.src_vocab, "src_vocab")
        src_mask = (src != self.config.pad_id)[:, None, None, :]
        x = self._embed(self.src_emb, src)
        for block in self.encoder:
            x = block(x, mask=src_mask)
        return self.enc_norm(x), src_mask

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        """tgt_in (B, T) -> logits (B, T, tgt_vocab)."""
        check_tensor("tgt_in", tgt_in, ndim=2, dtype="int")
        check_ids("tgt_in", tgt_in, self.config.tgt_vocab, "tgt_vocab")
        check_tensor("memory", memory, ndim=3, dtype="float", last_dim=self.config.d_model)
        if memory.shape[0] != tgt_in.shape[0]:
            raise ValueError(f"memory and tgt_in must have the same batch size, got {memory.shape[0]} "
                             f"and {tgt_in.shape[0]}")
        x = self._embed(self.tgt_emb, tgt_in)
        for block in self.decoder:
            x = block(x, memory=memory, memory_mask=src_mask)
        return self.head(self.dec_norm(x))

    def forward(self, src, tgt_in, targets=None) -> ModelOutput:
        memory, src_mask = self.encode(src)
        logits = self.decode(tgt_in, memory, src_mask)
        return ModelOutput(logits, lm_loss(logits, targets) if targets is not None else None)
