"""Fewer parameters for the same computation: ALBERT-style cross-layer sharing and factorized embeddings.

* :func:`share_layers` makes every block of a GPT the same module (one set of weights applied L times):
  the parameters of the stack shrink L-fold, the FLOPs of a step do not change.
* :func:`factorize_embeddings` replaces the tied V×d embedding by V×r token vectors and an r×d
  projection (Lan et al., 2020, ALBERT), tied to the output layer through the same two matrices.
* :func:`low_rank` is the best rank-r factorization of a matrix (truncated SVD, Eckart–Young), used to
  start the factors from a trained embedding.
* :func:`count_albert` counts an ALBERT (or, unshared and unfactorized, a BERT) encoder from its shape:
  the parameters it stores and the weights it applies per token (equal to Hugging Face's counts:
  ``tests/test_ch32_sharing.py``).
"""
from __future__ import annotations

import torch
from torch import nn

from ..validate import check_int, check_module, check_tensor
from .gpt import GPT

__all__ = ["share_layers", "factorize_embeddings", "low_rank", "count_albert", "FactorizedEmbedding",
           "FactorizedTiedHead"]


def low_rank(weight: torch.Tensor, rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """weight (m, n) -> A (m, r), B (r, n) with A @ B the best rank-r approximation in Frobenius norm.

    Truncated SVD, with the singular values split evenly between the two factors (A = U·√S, B = √S·Vᵀ).
    """
    check_tensor("weight", weight, ndim=2, dtype="float")
    rank = check_int("rank", rank, minimum=1, maximum=min(weight.shape))
    u, s, vh = torch.linalg.svd(weight.detach(), full_matrices=False)
    root = s[:rank].sqrt()
    return u[:, :rank] * root, root[:, None] * vh[:rank]


class FactorizedEmbedding(nn.Module):
    """ids (B, T) -> vectors (B, T, d) through a V×r table and an r×d projection."""

    def __init__(self, vocab_size: int, rank: int, d_model: int):
        super().__init__()
        self.table = nn.Embedding(vocab_size, rank)                  # (V, r)
        self.proj = nn.Parameter(torch.empty(rank, d_model))         # (r, d)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.table(ids) @ self.proj


class FactorizedTiedHead(nn.Module):
    """hidden (B, T, d) -> logits (B, T, V) = hidden @ projᵀ @ tableᵀ, the embedding's own matrices."""

    def __init__(self, embedding: FactorizedEmbedding):
        super().__init__()
        self.embedding = [embedding]          # a list: no second registration of the same parameters

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        emb = self.embedding[0]
        return (hidden @ emb.proj.t()) @ emb.table.weight.t()


def _check_gpt(model) -> None:
    check_module("model", model)
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a course GPT, got {type(model).__name__}")


def share_layers(model: GPT) -> GPT:
    """ALBERT's cross-layer sharing: every block becomes block 0 (in place; returns the model)."""
    _check_gpt(model)
    first = model.blocks[0]
    model.blocks = nn.ModuleList([first] * len(model.blocks))
    return model


def factorize_embeddings(model: GPT, rank: int, from_trained: bool = False) -> GPT:
    """Replace a tied V×d token embedding by V×r and r×d factors, tied to the output layer (in place).

    ``from_trained=False`` initializes the factors like the model's other weights (N(0, 0.02) for the
    table, N(0, 1/r) for the projection, so vectors keep the embedding's scale); ``True`` starts from the best
    rank-r approximation of the current embedding (:func:`low_rank`), for compressing a trained model.
    """
    _check_gpt(model)
    if not model.config.tie_weights:
        raise ValueError("factorize_embeddings needs a model with tie_weights=True (the head reuses the factors)")
    if not isinstance(from_trained, bool):
        raise TypeError(f"from_trained must be True or False, got {from_trained!r}")
    vocab, d = model.tok_emb.weight.shape
    rank = check_int("rank", rank, minimum=1, maximum=d)
    factored = FactorizedEmbedding(vocab, rank, d).to(model.tok_emb.weight.device)
    with torch.no_grad():
        if from_trained:
            a, b = low_rank(model.tok_emb.weight, rank)
            factored.table.weight.copy_(a)
            factored.proj.copy_(b)
        else:
            nn.init.normal_(factored.table.weight, 0.0, 0.02)
            nn.init.normal_(factored.proj, 0.0, rank ** -0.5)
    model.tok_emb = factored
    model.head = FactorizedTiedHead(factored)
    return model


def count_albert(hidden: int, layers: int, ffn: int, vocab: int = 30000, embed: int = 128, positions: int = 512,
                 shared: bool = True) -> tuple[int, int]:
    """(stored parameters, weights applied per token by the layers) of an ALBERT/BERT encoder with its pooler.

    ALBERT: a V×E embedding table (with positions, two segments and a LayerNorm, all of width E), an E→H
    projection when E ≠ H, one encoder block shared by all layers (``shared=True``) and a pooler.
    BERT-style: ``embed=hidden`` (no projection) and ``shared=False`` (one block per layer). Every layer runs
    its block on every token, shared or not, so the weights applied per token are ``layers × block``.
    """
    for name, value in (("hidden", hidden), ("layers", layers), ("ffn", ffn), ("vocab", vocab),
                        ("embed", embed), ("positions", positions)):
        check_int(name, value, minimum=1)
    if not isinstance(shared, bool):
        raise TypeError(f"shared must be True or False, got {shared!r}")
    h = hidden
    emb_table = (vocab + positions + 2) * embed + 2 * embed          # tokens, positions, segments, LayerNorm
    mapping = embed * h + h if embed != h else 0                      # E -> H projection
    block = 4 * (h * h + h) + 2 * h + (h * ffn + ffn) + (ffn * h + h) + 2 * h
    pooler = h * h + h
    stored = emb_table + mapping + (1 if shared else layers) * block + pooler
    return stored, layers * block
