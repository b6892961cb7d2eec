"""Self-test of chapter 4: a stable softmax along any axis, and attention with a mask and a score bias."""
from __future__ import annotations

import math

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """exp(x − max) / Σ exp(x − max) along ``dim``: subtracting the max changes nothing but prevents overflow."""
    shifted = x - x.amax(dim=dim, keepdim=True)
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_cases(g):
    rows = torch.randn(4, 6, generator=g) * 3 + torch.tensor([[0.0], [-150.0], [-300.0], [100.0]])
    return [
        {"x": torch.randn(3, 5, generator=g)},                                   # dim left at its default
        {"x": torch.randn(2, 4, 6, generator=g) * 4, "dim": 1},                  # a middle axis
        {"x": torch.randn(5, 3, generator=g) * 300, "dim": 0},                   # large logits: naive exp overflows
        {"x": rows, "dim": -1},                                                  # rows far apart in level
    ]


def _naive(x, dim=-1):
    return x.exp() / x.exp().sum(dim=dim, keepdim=True)


def _ignores_dim(x, dim=-1):
    return softmax(x, -1)


def _global_max(x, dim=-1):
    e = (x - x.max()).exp()
    return e / e.sum(dim=dim, keepdim=True)


def _unnormalized(x, dim=-1):
    return (x - x.amax(dim=dim, keepdim=True)).exp()


SOFTMAX = Exercise(
    key="04.softmax", title="softmax", signature="softmax(x, dim=-1) -> tensor like x",
    reference=softmax, make_cases=_softmax_cases,
    task="""Return the softmax of `x` along the axis `dim`: `exp(x_i) / Σ_j exp(x_j)`, the sum running over
that axis only, so that the result summed over `dim` is 1 everywhere.

- `x`: a float32 tensor of any shape (2-D and 3-D in the checks); `dim`: any axis, negative or not
  (the checks use the default `-1`, `1` and `0`).
- Return a float32 tensor of the same shape as `x`.
- It must be **numerically stable**: the checks contain logits in the hundreds (float32's `exp`
  overflows above about 88) and rows whose values lie hundreds apart from each other.
- Write it with `exp`, `amax`/`max` and `sum`; do not call `torch.softmax`.""",
    mistakes=[
        Mistake("overflow", "exp(300) overflows float32 to inf and inf/inf is NaN. Subtract the maximum "
                "along `dim` before exp: softmax(x) = softmax(x − max x).", _naive),
        Mistake("ignores_dim", "normalize along the `dim` you were given; your function always uses the "
                "last axis.", _ignores_dim),
        Mistake("global_max", "subtract the maximum *along `dim`* (keepdim=True), not the maximum of the whole "
                "tensor: a row far below the global maximum underflows to 0/0.", _global_max),
        Mistake("unnormalized", "divide by the sum of the exponentials along `dim` so that it sums to 1.",
                _unnormalized),
    ])


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
              bias: torch.Tensor | None = None):
    """q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv); mask bool, True = may attend; bias float, added to
    the scaled scores. Both broadcast to (..., Tq, Tk). Returns (out (..., Tq, dv), weights (..., Tq, Tk))."""
    logits = torch.matmul(q, k.transpose(-2, -1)) * q.shape[-1] ** -0.5
    if bias is not None:
        logits = logits + bias
    if mask is not None:
        logits = logits.masked_fill(mask.logical_not(), float("-inf"))
    probs = logits.softmax(dim=-1)
    return torch.matmul(probs, v), probs


def _distance_bias(tq, tk, slopes):
    """ALiBi-style: −slope_h · (i − j), one slope per head: (H, Tq, Tk)."""
    i = torch.arange(tk - tq, tk)[:, None]
    j = torch.arange(tk)[None, :]
    return -slopes[:, None, None] * (i - j).abs().float()


def _attention_cases(g):
    cases = []
    for b, h, tq, tk, d, masked, biased in ((2, 1, 4, 4, 8, False, False), (1, 2, 5, 5, 16, True, False),
                                            (3, 2, 3, 6, 32, False, True), (2, 4, 6, 6, 8, True, True)):
        case = {"q": torch.randn(b, h, tq, d, generator=g), "k": torch.randn(b, h, tk, d, generator=g),
                "v": torch.randn(b, h, tk, 5, generator=g)}
        if masked:
            case["mask"] = torch.ones(tq, tk, dtype=torch.bool).tril(diagonal=tk - tq)
        if biased:
            case["bias"] = _distance_bias(tq, tk, torch.rand(h, generator=g) + 0.25)
        cases.append(case)
    return cases


def _no_scale(q, k, v, mask=None, bias=None):
    return attention(q * math.sqrt(q.shape[-1]), k, v, mask, bias)


def _scale_by_d(q, k, v, mask=None, bias=None):
    return attention(q / math.sqrt(q.shape[-1]), k, v, mask, bias)


def _bias_scaled_too(q, k, v, mask=None, bias=None):
    return attention(q, k, v, mask, None if bias is None else bias / math.sqrt(q.shape[-1]))


def _no_bias(q, k, v, mask=None, bias=None):
    return attention(q, k, v, mask)


def _mask_after_softmax(q, k, v, mask=None, bias=None):
    _, probs = attention(q, k, v, None, bias)
    if mask is not None:
        probs = probs.masked_fill(~mask, 0.0)
    return probs @ v, probs


def _softmax_over_queries(q, k, v, mask=None, bias=None):
    logits = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + (0 if bias is None else bias)
    if mask is not None:
        logits = logits.masked_fill(~mask, float("-inf"))
    probs = torch.softmax(logits, dim=-2).nan_to_num(0.0)
    return probs @ v, probs


ATTENTION = Exercise(
    key="04.attention", title="attention with a mask and a score bias",
    signature="attention(q, k, v, mask=None, bias=None) -> (out, weights)",
    reference=attention, make_cases=_attention_cases,
    task="""Scaled dot-product attention as the course's `scaled_dot_product_attention` computes it, plus an
additive **score bias** — the way ALiBi and T5 put position *inside* the score:

`weights = softmax(q·kᵀ/√d + bias, masked)` over the keys, `out = weights · v`.

- `q`: `(B, H, Tq, d)`, `k`: `(B, H, Tk, d)`, `v`: `(B, H, Tk, dv)`, all float32; `d` is `q`'s last size.
- `mask`: `None` or bool, broadcastable to `(B, H, Tq, Tk)` (the checks pass `(Tq, Tk)`);
  **`True` = this query may attend to this key**. Masked keys must get weight exactly 0.
- `bias`: `None` or float32, broadcastable to `(B, H, Tq, Tk)` (the checks pass `(H, Tq, Tk)`); it is
  added to the scores **after** the division by √d and before the mask and the softmax.
- Return the tuple `(out, weights)`: `out` `(B, H, Tq, dv)`, `weights` `(B, H, Tq, Tk)`, float32;
  each row of `weights` sums to 1 over the keys.""",
    mistakes=[
        Mistake("no_scale", "divide q·kᵀ by √d. Without it, the dot products of random d-dim vectors have "
                "std √d and the softmax saturates.", _no_scale),
        Mistake("scale_by_d", "the scale is 1/√d, not 1/d: q·k has variance d, so divide by its standard "
                "deviation.", _scale_by_d),
        Mistake("bias_scaled_too", "add the bias after dividing the dot products by √d; dividing "
                "(q·kᵀ + bias) by √d shrinks the bias too.", _bias_scaled_too),
        Mistake("no_bias", "add `bias` to the scores when it is given.", _no_bias),
        Mistake("mask_after_softmax", "apply the mask to the *scores* (fill with −inf) before the softmax; "
                "zeroing weights afterwards leaves rows that no longer sum to 1.", _mask_after_softmax),
        Mistake("softmax_over_queries", "each query's weights over the keys must sum to 1: softmax over "
                "the last axis (keys), not over the queries.", _softmax_over_queries),
    ])

EXERCISES = [SOFTMAX, ATTENTION]

QUIZ = Quiz([
    Question("04.q1", "Why are attention scores divided by √d_k?", (
        Option("To normalize each query's row of weights so that it sums to one over the keys", False,
               "The softmax already makes every row sum to 1, scaled or not; the √d_k changes how peaked "
               "the row is, not its sum."),
        Option("To keep the dot products from overflowing float16 in mixed-precision kernels", False,
               "Overflow is not the issue (the softmax subtracts the row maximum). Even in float32 the "
               "unscaled softmax saturates, which is what Lab 2 shows."),
        Option("q·k has variance d_k; big scores saturate the softmax and kill its gradient", True,
               "Dividing by the standard deviation √d_k keeps the scores near unit variance whatever the head "
               "size. Lab 2 measures it: unscaled, the largest weight nears 1 and the gradient collapses."),
    )),
    Question("04.q2", "The common answer says: “attention needs each word's position, so positional encodings "
                      "are used.” What is accurate?", (
        Option("Plain attention is order-blind, so order is injected: into the inputs, or into the scores (RoPE, ALiBi)", True,
               "Content scores q·k are permutation-equivariant (Lab 1). Learned and sinusoidal encodings are "
               "added to the inputs; RoPE rotates q and k, ALiBi and T5 add a distance bias to the scores."),
        Option("Attention reads the order from where each token's row sits in Q and K, so encodings are optional", False,
               "Shuffling the rows shuffles the outputs the same way (Lab 1): the row index is not visible "
               "to the computation."),
        Option("Position must come from outside attention: an encoding added to the embeddings before the first layer, never in the scores", False,
               "Too strong. RoPE, ALiBi and T5's relative bias act inside the score; Lab 1 shows a distance "
               "bias making attention order-aware."),
    ), misconception=True),
    Question("04.q3", "In a causal (decoder) mask, where must the mask be applied?", (
        Option("On the weights, set to zero after the softmax", False,
               "The rows would no longer sum to 1: the future keys took part in the normalization."),
        Option("On the scores, as −∞, just before the softmax", True,
               "exp(−∞) = 0, so masked keys get zero weight and each row still sums to 1."),
        Option("On the values of the future positions, set to zero", False,
               "The weights would still put mass on the future, and the rows would average in zero vectors."),
    )),
    Question("04.q4", "The common answer says multi-head attention “splits the input sequence into several "
                      "heads, each attending to a different part”. What do heads split?", (
        Option("The sequence: each head attends over its own contiguous block of tokens", False,
               "That is the common answer's claim. Every head's weights cover every key the causal mask allows (Lab 4's heatmaps)."),
        Option("Nothing: each head is a full-width copy of attention with its own weights", False,
               "Heads are not full-width copies: each projects to d_model/h dims, so h heads cost what one "
               "wide head costs."),
        Option("The features: each head sees all positions in its own d_model/h slice", True,
               "d_model = h·d_k. Lab 4's heads each attend over the whole sequence; chapter 17 shows the "
               "parameter count equals one wide head's."),
    )),
    Question("04.q5", "The weights in one row of an attention heatmap…", (
        Option("…sum to 1 down the column, over the queries", False, "Only rows are normalized; a key can be "
               "read by many queries or by none."),
        Option("…are non-negative and sum to 1 over the keys", True,
               "They are a softmax over the keys: a probability distribution of where that query looks."),
        Option("…are negative where the query and key disagree", False,
               "A softmax is never negative; a disagreeing key gets a small positive weight."),
    )),
])
