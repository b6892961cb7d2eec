"""A bidirectional Transformer encoder (the BERT family), its masked-LM objective and task heads."""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from ..nn import LayerNorm, LearnedPositions, TransformerBlock
from ..validate import (check_ids, check_in, check_int, check_match, check_positive, check_probability,
                        check_tensor)
from .gpt import GPT
from .output import ModelOutput, lm_loss

__all__ = ["BertConfig", "Bert", "mask_tokens", "BertClassifier", "BertTokenTagger", "BertSpanQA"]


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int = 64
    max_len: int = 64
    n_layers: int = 2
    n_heads: int = 4
    d_model: int = 64
    d_ff: int | None = None
    dropout: float = 0.0
    type_vocab_size: int = 2      # segment A / segment B
    norm_first: bool = False      # BERT is post-LN
    norm_eps: float = 1e-12

    def __post_init__(self):
        for name in ("vocab_size", "max_len", "n_layers", "n_heads", "d_model"):
            check_int(name, getattr(self, name), minimum=1)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        check_probability("dropout", self.dropout, open_right=True)
        check_int("type_vocab_size", self.type_vocab_size, minimum=1)
        if self.d_ff is not None:   # None means 4·d_model
            check_int("d_ff", self.d_ff, minimum=1)
        check_positive("norm_eps", self.norm_eps)

    @classmethod
    def preset(cls, name: str, **overrides) -> "BertConfig":
        """``"tiny"`` for CPU labs, ``"base"`` for BERT-base's shape (Devlin et al., 2019)."""
        presets = {"tiny": cls(),
                   "base": cls(vocab_size=30522, max_len=512, n_layers=12, n_heads=12, d_model=768,
                               d_ff=3072)}
        check_in("name", name, presets)
        return replace(presets[name], **overrides)


def mask_tokens(ids: torch.Tensor, mask_id: int, vocab_size: int, *, p: float = 0.15,
                special: torch.Tensor | None = None, generator: torch.Generator | None = None,
                mask_replace_prob: float = 0.8, random_replace_prob: float = 0.1):
    """BERT's masking (Devlin et al., 2019, §3.1): select each non-special token with probability ``p``;
    a selected token becomes [MASK] with probability ``mask_replace_prob`` (0.8), a uniformly random id
    with probability ``random_replace_prob`` (0.1), and stays unchanged otherwise (0.1). Every selected
    position is predicted, whatever its input shows.

    ids: (B, T) int; special: (B, T) bool, never selected (padding, [CLS], [SEP]).
    Returns ``(inputs, labels)``, both (B, T) like ids: labels = original id at selected positions and
    −100 (ignored by the loss) elsewhere. Random draws come from ``generator`` (a CPU generator) and are
    moved to ids' device; the random id may equal the original one, as in BERT's code and transformers'.
    """
    check_tensor("ids", ids, ndim=2, dtype="int")
    check_int("vocab_size", vocab_size, minimum=1)
    check_int("mask_id", mask_id, minimum=0)
    check_probability("p", p)
    check_probability("mask_replace_prob", mask_replace_prob)
    check_probability("random_replace_prob", random_replace_prob)
    if mask_replace_prob + random_replace_prob > 1 + 1e-9:
        raise ValueError(f"mask_replace_prob + random_replace_prob must be <= 1, got "
                         f"{mask_replace_prob} + {random_replace_prob}")
    chosen = torch.rand(ids.shape, generator=generator).to(ids.device) < p
    if special is not None:
        check_tensor("special", special, dtype="bool")
        if special.shape != ids.shape:
            raise ValueError(f"special must have the shape of ids {tuple(ids.shape)}, "
                             f"got {tuple(special.shape)}")
        chosen &= ~special.to(ids.device)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator).to(ids.device)    # one draw decides the action
    inputs = ids.clone()
    inputs[chosen & (roll < mask_replace_prob)] = mask_id
    random_slot = chosen & (roll >= mask_replace_prob) & (roll < mask_replace_prob + random_replace_prob)
    random_ids = torch.randint(vocab_size, ids.shape, generator=generator).to(ids.device)
    inputs[random_slot] = random_ids.to(ids.dtype)[random_slot]
    return inputs, labels


class Bert(nn.Module):
    """ids (B, T) -> hidden states (B, T, d) and masked-LM logits (B, T, V).

    Every position attends to every non-padding position, left *and* right.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        if not isinstance(config, BertConfig):
            raise TypeError(f"config must be a BertConfig, got {type(config).__name__}")
        self.config = c = config
        self.tok_emb = nn.Embedding(c.vocab_size, c.d_model)
        self.pos_emb = LearnedPositions(c.max_len, c.d_model)
        self.seg_emb = nn.Embedding(c.type_vocab_size, c.d_model)
        self.emb_norm = LayerNorm(c.d_model, c.norm_eps)
        self.drop = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(c.d_model, c.n_heads, c.d_ff or 4 * c.d_model, dropout=c.dropout,
                             norm_first=c.norm_first, activation="gelu", norm_eps=c.norm_eps)
            for _ in range(c.n_layers))
        self.mlm_transform = nn.Sequential(nn.Linear(c.d_model, c.d_model), nn.GELU(),
                                           LayerNorm(c.d_model, c.norm_eps))
        self.mlm_bias = nn.Parameter(torch.zeros(c.vocab_size))
        # BERT's initializer (Devlin et al., 2019): N(0, 0.02) weights, zero biases. PyTorch's default
        # N(0, 1) embeddings make the tied MLM logits ~√d large: an initial loss near 29 instead of ln V.
        self.apply(GPT._init)

    def encode(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
               segments: torch.Tensor | None = None) -> torch.Tensor:
        """ids (B, T); attention_mask (B, T) bool, True on real tokens -> hidden (B, T, d)."""
        check_tensor("ids", ids, ndim=2, dtype="int")
        if ids.shape[1] > self.config.max_len:
            raise ValueError(f"ids has {ids.shape[1]} tokens, more than max_len={self.config.max_len}")
        check_ids("ids", ids, self.config.vocab_size, "vocab_size")
        if segments is not None:
            check_tensor("segments", segments, dtype="int")
            check_match("segments", segments, "ids", ids, dims={0: "batch size", 1: "length"})
            check_ids("segments", segments, self.config.type_vocab_size, "type_vocab_size")
        x = self.tok_emb(ids) + self.pos_emb(torch.arange(ids.shape[1], device=ids.device))
        x = x + self.seg_emb(segments if segments is not None else torch.zeros_like(ids))
        x = self.drop(self.emb_norm(x))
        mask = None
        if attention_mask is not None:
            check_tensor("attention_mask", attention_mask, ndim=2, dtype="bool")
            check_match("attention_mask", attention_mask, "ids", ids, dims={0: "batch size", 1: "length"})
            mask = attention_mask[:, None, None, :]                        # (B, 1, 1, T)
        for block in self.blocks:
            x = block(x, mask=mask)
        return x

    def forward(self, ids, attention_mask=None, segments=None, labels=None) -> ModelOutput:
        hidden = self.encode(ids, attention_mask, segments)
        logits = self.mlm_transform(hidden) @ self.tok_emb.weight.t() + self.mlm_bias
        loss = lm_loss(logits, labels) if labels is not None else None
        return ModelOutput(logits=logits, loss=loss, extras={"hidden": hidden})


def _check_bert(bert) -> None:
    if not isinstance(bert, Bert):
        raise TypeError(f"bert must be a Bert encoder (course.models.Bert), got {type(bert).__name__}")


class BertClassifier(nn.Module):
    """Sentence classification from the first ([CLS]) position: (B, T) -> logits (B, n_classes)."""

    def __init__(self, bert: Bert, n_classes: int):
        super().__init__()
        _check_bert(bert)
        check_int("n_classes", n_classes, minimum=1)
        self.bert = bert
        self.head = nn.Sequential(nn.Linear(bert.config.d_model, bert.config.d_model), nn.Tanh(),
                                  nn.Linear(bert.config.d_model, n_classes))

    def forward(self, ids, attention_mask=None, labels=None) -> ModelOutput:
        logits = self.head(self.bert.encode(ids, attention_mask)[:, 0])
        return ModelOutput(logits, F.cross_entropy(logits, labels) if labels is not None else None)


class BertTokenTagger(nn.Module):
    """One label per token (NER): (B, T) -> logits (B, T, n_tags); labels −100 are ignored."""

    def __init__(self, bert: Bert, n_tags: int):
        super().__init__()
        _check_bert(bert)
        check_int("n_tags", n_tags, minimum=1)
        self.bert = bert
        self.head = nn.Linear(bert.config.d_model, n_tags)

    def forward(self, ids, attention_mask=None, labels=None) -> ModelOutput:
        logits = self.head(self.bert.encode(ids, attention_mask))
        return ModelOutput(logits, lm_loss(logits, labels) if labels is not None else None)


class BertSpanQA(nn.Module):
    """Extractive QA: start and end logits over positions. (B, T) -> logits (B, T, 2)."""

    def __init__(self, bert: Bert):
        super().__init__()
        _check_bert(bert)
        self.bert = bert
        self.head = nn.Linear(bert.config.d_model, 2)

    def forward(self, ids, attention_mask=None, segments=None, starts=None, ends=None) -> ModelOutput:
        logits = self.head(self.bert.encode(ids, attention_mask, segments))
        if attention_mask is not None:
            logits = logits.masked_fill(~attention_mask[..., None], -1e4)
        loss = None
        if starts is not None and ends is not None:
            loss = (F.cross_entropy(logits[..., 0], starts) + F.cross_entropy(logits[..., 1], ends)) / 2
        return ModelOutput(logits, loss)
