"""Self-test of chapter 16: self-attention with projections, and its causal form."""
from __future__ import annotations

import math

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz
from .ch04 import _mask_after_softmax, _no_scale, _softmax_over_queries, attention


def self_attention(x: torch.Tensor, w_q: torch.Tensor, w_k: torch.Tensor, w_v: torch.Tensor):
    """x (T, d); w_q, w_k (d, d_k); w_v (d, d_v) -> (out (T, d_v), weights (T, T)).

    Self-attention is chapter 4's attention with queries, keys and values all projected from x.
    """
    return attention(x @ w_q, x @ w_k, x @ w_v)


def _cases(g):
    out = []
    for t, d, dk in ((4, 8, 8), (6, 16, 4), (5, 12, 6)):
        out.append({"x": torch.randn(t, d, generator=g), "w_q": torch.randn(d, dk, generator=g) / math.sqrt(d),
                    "w_k": torch.randn(d, dk, generator=g) / math.sqrt(d), "w_v": torch.randn(d, dk, generator=g)})
    return out


def _projected(mistake):
    """Chapter 4's planted attention mistake, applied to the projections of x."""
    return lambda x, w_q, w_k, w_v, mask=None: mistake(x @ w_q, x @ w_k, x @ w_v, mask)


def _no_values(x, w_q, w_k, w_v):
    return attention(x @ w_q, x @ w_k, x)


SELF_ATTENTION = Exercise(
    key="16.self_attention", title="self_attention",
    signature="self_attention(x, w_q, w_k, w_v) -> (out, weights)",
    reference=self_attention, make_cases=_cases,
    mistakes=[
        Mistake("no_values", "the weighted sum is over the *values* x·W_v, not over the raw embeddings x "
                "(the common answer's “加权求和…嵌入向量” misses this).", _no_values),
        Mistake("no_scale", "divide q·k by √d_k before the softmax.", _projected(_no_scale)),
        Mistake("columns", "each query's row must be a distribution over the keys: softmax over dim=-1.",
                _projected(_softmax_over_queries)),
    ])


def _causal(t: int) -> torch.Tensor:
    return torch.ones(t, t, dtype=torch.bool).tril()


def causal_self_attention(x, w_q, w_k, w_v):
    """Like self_attention, but token i attends to tokens 0..i only."""
    return attention(x @ w_q, x @ w_k, x @ w_v, mask=_causal(x.shape[0]))


def _strict(x, w_q, w_k, w_v):
    keep = _causal(x.shape[0]).tril(-1)
    keep[0, 0] = True
    return attention(x @ w_q, x @ w_k, x @ w_v, mask=keep)


CAUSAL = Exercise(
    key="16.causal_self_attention", title="causal_self_attention",
    signature="causal_self_attention(x, w_q, w_k, w_v) -> (out, weights)",
    reference=causal_self_attention, make_cases=_cases,
    mistakes=[
        Mistake("no_mask", "hide the future: fill scores with −inf where key j > query i.", self_attention),
        Mistake("mask_after", "mask the scores before the softmax; zeroing weights afterwards leaves rows that "
                "do not sum to 1.", lambda x, w_q, w_k, w_v: _mask_after_softmax(
                    x @ w_q, x @ w_k, x @ w_v, _causal(x.shape[0]))),
        Mistake("strict", "a token may attend to itself: keep the diagonal (tril(), not tril(-1)).", _strict),
    ])

EXERCISES = [SELF_ATTENTION, CAUSAL]

QUIZ = Quiz([
    Question("16.q1", "The common answer says the weighted sum is taken over “each word's embedding vector”. What is "
                      "actually summed?", (
        Option("The raw embeddings x", False,
               "Then every output would live in the embedding space unchanged; attention sums *values*."),
        Option("The values v = x·W_v, a learned projection of the inputs", True,
               "Queries and keys decide the weights; values decide what is mixed. Then an output projection, "
               "a residual connection and normalization follow."),
        Option("The queries", False, "Queries only score the keys."),
    ), misconception=True),
    Question("16.q2", "Without W_q and W_k (q = k = x), what does each token mostly attend to?", (
        Option("Itself: x·x is usually the largest score in its row", True,
               "Lab 1 measures this. Separate projections let a token look for something other than itself."),
        Option("The first token", False, "Nothing favours position 0."),
        Option("All tokens equally", False, "Scores differ; the self score dominates."),
    )),
    Question("16.q3", "Permuting the input tokens of self-attention without positional information…", (
        Option("…permutes the outputs in the same way", True, "Self-attention is permutation-equivariant."),
        Option("…leaves the outputs unchanged", False, "Each output moves with its token."),
        Option("…changes every output", False, "Each token's output is the same vector, at its new place."),
    )),
    Question("16.q4", "Is the common answer's “更新嵌入：加权和向量作为新的嵌入” the whole story?", (
        Option("Yes, the attention output replaces the embedding", False,
               "It is added back through a residual connection and followed by an MLP."),
        Option("No: the output is projected (W_o), added to the input (residual), normalized, and passed "
               "through a feed-forward network", True, "That is one Transformer block (chapter 41)."),
        Option("No: the embedding is discarded after layer 1", False, "The residual stream keeps it."),
    )),
])
