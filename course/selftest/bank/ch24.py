"""Self-test of chapter 24: additive attention scores, and the context vector over a padded source."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def additive_scores(query, keys, w_q, w_k, v):
    """Bahdanau scores s_j = vᵀ tanh(W_q q + W_k k_j). query (d_q,), keys (S, d_k) -> scores (S,)."""
    hidden = torch.tanh((w_q @ query)[None, :] + keys @ w_k.T)     # (S, h)
    return hidden @ v


def _score_cases(g):
    out = []
    for s, dq, dk, h in ((5, 4, 6, 8), (3, 8, 8, 4), (7, 2, 3, 5)):
        out.append({"query": torch.randn(dq, generator=g), "keys": torch.randn(s, dk, generator=g),
                    "w_q": torch.randn(h, dq, generator=g), "w_k": torch.randn(h, dk, generator=g),
                    "v": torch.randn(h, generator=g)})
    return out


ADDITIVE = Exercise(
    key="24.additive_scores", title="additive_scores",
    signature="additive_scores(query, keys, w_q, w_k, v) -> (S,)",
    task="""The score the attention model of Lab 1 gives each source position (Bahdanau et al., 2015): a
one-hidden-layer network of the decoder's query and that position's key,

s_j = vᵀ tanh(W_q · q + W_k · k_j),  for j = 0 … S−1.

- `query`: float tensor (d_q,), the decoder state; `keys`: float tensor (S, d_k), one encoder state per
  source position; `w_q`: (h, d_q); `w_k`: (h, d_k); `v`: (h,). All float32.
- Return the raw scores, a float32 tensor (S,) — no softmax yet (that is exercise 2).""",
    reference=additive_scores, make_cases=_score_cases,
    mistakes=[
        Mistake("no_tanh", "the tanh is what makes this a small one-hidden-layer network; without it the "
                "score is linear in q and k.", lambda query, keys, w_q, w_k, v: (w_q @ query + keys @ w_k.T) @ v),
        Mistake("softmaxed", "return the raw scores; the softmax comes next, in a separate step.",
                lambda query, keys, w_q, w_k, v: torch.softmax(additive_scores(query, keys, w_q, w_k, v), 0)),
        Mistake("query_only_tanh", "add W_q q and W_k k_j *before* the tanh: tanh(W_q q + W_k k_j).",
                lambda query, keys, w_q, w_k, v: (torch.tanh(w_q @ query) + keys @ w_k.T) @ v),
        Mistake("dot_product", "that is a dot-product score (qᵀ W k); the additive score passes W_q q + W_k k "
                "through a tanh and reads it out with v.",
                lambda query, keys, w_q, w_k, v: (keys @ w_k.T) @ (w_q @ query)),
    ])


def context_vector(scores, values, mask):
    """Softmax over the real source positions only, then the weighted sum of their values -> (d,)."""
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=0)
    return weights @ values


def _ctx_cases(g):
    out = []
    for s, d, real in ((8, 3, 6), (5, 4, 5), (3, 6, 1), (6, 2, 4)):
        mask = torch.arange(s) < real                      # a padded batch: the last s − real positions are padding
        out.append({"scores": torch.randn(s, generator=g) * 3, "values": torch.randn(s, d, generator=g),
                    "mask": mask})
    return out


CONTEXT = Exercise(
    key="24.context_vector", title="context_vector",
    signature="context_vector(scores (S,), values (S, d), mask (S,)) -> (d,)",
    task="""Turn one decoder step's scores into the context vector it reads — over a **padded** source, as in a
batch of sentences of different lengths.

- `scores`: float32 tensor (S,), one score per source position (exercise 1's output);
  `values`: float32 tensor (S, d), the encoder states; `mask`: bool tensor (S,), **True = a real source
  token (may be attended), False = padding** (never attended). At least one position is True.
- Weights: a softmax over the real positions only — padding gets weight exactly 0 and the real weights sum to 1.
- Return the weighted sum of the values, a float32 tensor (d,).""",
    reference=context_vector, make_cases=_ctx_cases,
    mistakes=[
        Mistake("mask_ignored", "padding must get no weight: set its scores to −inf before the softmax "
                "(mask True = real token).", lambda scores, values, mask: torch.softmax(scores, 0) @ values),
        Mistake("zeroed_after_softmax", "zeroing the padding's weights after the softmax leaves the real weights "
                "summing to less than 1: mask the scores before the softmax instead.",
                lambda scores, values, mask: (torch.softmax(scores, 0) * mask) @ values),
        Mistake("mask_inverted", "mask True means a real token (may attend); you attended to the padding.",
                lambda scores, values, mask: torch.softmax(scores.masked_fill(mask, -1e9), 0) @ values),
        Mistake("mean", "weigh each source state by its softmax weight; a plain mean is what a model "
                "without attention would get.", lambda scores, values, mask: values[mask].mean(0)),
    ])

EXERCISES = [ADDITIVE, CONTEXT]

QUIZ = Quiz([
    Question("24.q1", "The common answer says attention makes models “在处理长序列时更高效” by avoiding word-by-word "
                      "processing. Per layer, compared with an RNN of the same width d…", (
        Option("attention does less arithmetic on long sequences", False,
               "Lab 3 counts the opposite: O(n²·d) for self-attention against O(n·d²) for the GRU."),
        Option("attention does more arithmetic once n > d", True,
               "What it buys is parallel training and one-step access to any position, not fewer FLOPs (Lab 3)."),
        Option("both are linear in n; attention just runs in parallel", False,
               "The score matrix has n² entries: self-attention is quadratic in n (Lab 3)."),
    ), misconception=True),
    Question("24.q2", "What did attention add to RNN encoder–decoders (Bahdanau et al., 2015)?", (
        Option("Parallel computation over the time steps", False,
               "That model was still an RNN running word by word; parallel training came with the Transformer (2017)."),
        Option("Context from both sides of each source word", False,
               "That is a bidirectional encoder (the common answer's “前后文”), which Bahdanau's model also had, "
               "separately from attention."),
        Option("Every encoder state, not only the last", True,
               "The decoder reads all encoder states instead of one fixed-size summary (Lab 1)."),
    )),
    Question("24.q3", "Lab 2 prints where each decoder step looks in a reversal of length S (step 0 writes the "
                      "last source digit). Step i mostly looks at…", (
        Option("source position i, as when copying in order", False, "That diagonal would be copying, not reversal."),
        Option("source position S−1−i, the digit it writes", True,
               "An anti-diagonal: each step reads the digit it is about to write (Lab 2 counts the steps that do)."),
        Option("all positions about equally", False, "Uniform weights would be a plain average: the bottleneck again."),
    )),
    Question("24.q4", "Lab 1's accuracies use teacher forcing: each step is fed the *true* previous digit. "
                      "Decoding on its own (free-running), the model…", (
        Option("scores the same, since it is the same model", False,
               "Free-running, it is fed its own outputs, and Lab 1 prints lower accuracies for long inputs."),
        Option("feeds its own mistakes back and scores lower", True,
               "One wrong digit becomes the next step's input; errors compound with length (Lab 1)."),
        Option("scores higher, because exposure bias disappears", False,
               "Exposure bias is what free-running *reveals*: training only ever showed true prefixes."),
    )),
])
