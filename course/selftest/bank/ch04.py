"""Self-test of chapter 4: a stable softmax and scaled dot-product attention."""
from __future__ import annotations

import math

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """exp(x − max) / Σ exp(x − max): subtracting the max changes nothing but prevents overflow."""
    z = x - x.amax(dim=dim, keepdim=True)
    e = z.exp()
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_cases(g):
    return [{"x": torch.randn(3, 5, generator=g)}, {"x": torch.randn(2, 4, 6, generator=g) * 4},
            {"x": torch.randn(4, 7, generator=g) * 300}]        # large logits: naive exp overflows


def _naive(x, dim=-1):
    return x.exp() / x.exp().sum(dim=dim, keepdim=True)


def _wrong_dim(x, dim=-1):
    return softmax(x, dim=0)


def _unnormalized(x, dim=-1):
    return (x - x.amax(dim=dim, keepdim=True)).exp()


SOFTMAX = Exercise(
    key="04.softmax", title="softmax", signature="softmax(x, dim=-1) -> tensor like x",
    reference=softmax, make_cases=_softmax_cases,
    mistakes=[
        Mistake("overflow", "exp(300) overflows float32 to inf and inf/inf is NaN. Subtract the row "
                "maximum before exp: softmax(x) = softmax(x − max x).", _naive),
        Mistake("wrong_dim", "normalize along `dim` (the last axis by default), not along axis 0.", _wrong_dim),
        Mistake("unnormalized", "divide by the sum of the exponentials so that each row sums to 1.",
                _unnormalized),
    ])


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None):
    """q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv), mask bool (Tq, Tk) True = may attend.

    Returns (out (..., Tq, dv), weights (..., Tq, Tk)).
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def _attention_cases(g):
    cases = []
    for b, tq, tk, d, masked in ((2, 4, 4, 8, False), (1, 5, 5, 16, True), (3, 3, 6, 32, False)):
        case = {"q": torch.randn(b, tq, d, generator=g), "k": torch.randn(b, tk, d, generator=g),
                "v": torch.randn(b, tk, 5, generator=g), "mask": None}
        if masked:
            case["mask"] = torch.ones(tq, tk, dtype=torch.bool).tril()
        cases.append(case)
    return cases


def _no_scale(q, k, v, mask=None):
    return attention(q * math.sqrt(q.shape[-1]), k, v, mask)


def _scale_by_d(q, k, v, mask=None):
    return attention(q / math.sqrt(q.shape[-1]), k, v, mask)


def _mask_after_softmax(q, k, v, mask=None):
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v, weights


def _softmax_over_queries(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-2)
    return weights @ v, weights


ATTENTION = Exercise(
    key="04.attention", title="attention",
    signature="attention(q, k, v, mask=None) -> (out, weights)",
    reference=attention, make_cases=_attention_cases,
    mistakes=[
        Mistake("no_scale", "divide the scores by √d_k. Without it, the dot products of random d_k-dim "
                "vectors have std √d_k and the softmax saturates.", _no_scale),
        Mistake("scale_by_d", "the scale is 1/√d_k, not 1/d_k: q·k has variance d_k, so divide by its "
                "standard deviation.", _scale_by_d),
        Mistake("mask_after_softmax", "apply the mask to the *scores* (fill with −inf) before the softmax; "
                "zeroing weights afterwards leaves rows that no longer sum to 1.", _mask_after_softmax),
        Mistake("softmax_over_queries", "each query's weights over the keys must sum to 1: softmax over "
                "the last axis (keys), not over the queries.", _softmax_over_queries),
    ])

EXERCISES = [SOFTMAX, ATTENTION]

QUIZ = Quiz([
    Question("04.q1", "Why are attention scores divided by √d_k?", (
        Option("To make the computation faster", False, "The division costs time; it is there for the softmax."),
        Option("Because q·k of random unit-variance vectors has variance d_k; without scaling the softmax "
               "saturates and its gradients vanish", True,
               "Dividing by the standard deviation √d_k keeps the scores O(1) whatever the head size."),
        Option("To normalize the weights so they sum to 1", False, "The softmax already does that."),
    )),
    Question("04.q2", "The common answer says: “attention needs each word's position, so it uses positional "
                      "encodings.” What is accurate?", (
        Option("Attention computes positions by itself", False,
               "Without positional information self-attention is permutation-equivariant: it cannot tell "
               "orders apart."),
        Option("Attention is order-blind; positional information is added to its inputs (or to q/k, as in "
               "RoPE) so that the model can use order — it is not part of the attention mechanism itself", True,
               "The mechanism is a weighted average; positions come from the embeddings (learned, "
               "sinusoidal) or from rotating q and k (RoPE). A causal mask also leaks some order."),
        Option("Positional encodings make attention cheaper", False, "They do not change its cost."),
    ), misconception=True),
    Question("04.q3", "In a causal (decoder) mask, where must the mask be applied?", (
        Option("To the scores, as −inf, before the softmax", True,
               "exp(−inf) = 0, so masked keys get zero weight and each row still sums to 1."),
        Option("To the weights, set to 0, after the softmax", False,
               "Rows would no longer sum to 1 (and gradients would still flow to the masked scores' softmax)."),
        Option("To the values, set to 0", False, "The weights would still put mass on future positions."),
    )),
    Question("04.q4", "Attention weights in one row of the heatmap…", (
        Option("…are non-negative and sum to 1 over the keys", True,
               "They are a softmax over keys: a probability distribution of where that query looks."),
        Option("…sum to 1 over the queries (the column)", False, "Columns need not sum to anything."),
        Option("…can be negative when tokens are dissimilar", False, "A softmax is never negative."),
    )),
])
