"""Self-test of chapter 24: additive attention scores and the context vector."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def additive_scores(query, keys, w_q, w_k, v):
    """Bahdanau scores: s_j = vᵀ tanh(W_q q + W_k k_j). query (d_q,), keys (S, d_k), w_q (h, d_q),
    w_k (h, d_k), v (h,) -> scores (S,)."""
    return torch.tanh(w_q @ query + keys @ w_k.T) @ v


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
    reference=additive_scores, make_cases=_score_cases,
    mistakes=[
        Mistake("no_tanh", "the tanh is what makes this a small one-hidden-layer network; without it the "
                "score is linear in q and k.", lambda query, keys, w_q, w_k, v: (w_q @ query + keys @ w_k.T) @ v),
        Mistake("softmaxed", "return the raw scores; the softmax comes next, in a separate step.",
                lambda query, keys, w_q, w_k, v: torch.softmax(additive_scores(query, keys, w_q, w_k, v), 0)),
        Mistake("query_only_tanh", "add W_q q and W_k k_j *before* the tanh: tanh(W_q q + W_k k_j).",
                lambda query, keys, w_q, w_k, v: (torch.tanh(w_q @ query) + keys @ w_k.T) @ v),
    ])


def context_vector(scores, values):
    """softmax over the S source positions, then the weighted sum of values (S, d_v) -> (d_v,)."""
    return torch.softmax(scores, dim=0) @ values


def _ctx_cases(g):
    return [{"scores": torch.randn(s, generator=g) * 3, "values": torch.randn(s, d, generator=g)}
            for s, d in ((5, 4), (8, 3), (3, 6))]


CONTEXT = Exercise(
    key="24.context_vector", title="context_vector", signature="context_vector(scores (S,), values (S, d)) -> (d,)",
    reference=context_vector, make_cases=_ctx_cases,
    mistakes=[
        Mistake("mean", "weigh each source state by its softmax weight; a plain mean is what a model "
                "without attention would get.", lambda scores, values: values.mean(0)),
        Mistake("no_softmax", "turn scores into weights with a softmax first (positive, summing to 1).",
                lambda scores, values: scores @ values),
        Mistake("argmax", "attention is soft: a weighted average, not the single best state.",
                lambda scores, values: values[scores.argmax()]),
    ])

EXERCISES = [ADDITIVE, CONTEXT]

QUIZ = Quiz([
    Question("24.q1", "The common answer credits attention with “高效计算：通过并行计算提高处理速度，避免逐词处理”. Is that "
                      "what attention added to sequence models?", (
        Option("Yes: attention is what makes models parallel", False,
               "Attention was born inside an RNN (Bahdanau et al., 2015), which still ran word by word. "
               "Parallel training came from dropping recurrence in the Transformer (2017)."),
        Option("No: attention removed the fixed-size bottleneck — the decoder reads every encoder state "
               "instead of one summary vector; parallelism is a property of the Transformer architecture", True,
               "Lab 1 shows the bottleneck: accuracy falls with input length without attention."),
        Option("No: attention makes models slower and adds nothing", False, "Lab 1 measures what it adds."),
    ), misconception=True),
    Question("24.q2", "Without attention, an RNN decoder sees the source sentence through…", (
        Option("every encoder state", False, "That is what attention provides."),
        Option("the final encoder state only, a fixed-size vector whatever the input length", True,
               "Long inputs must be squeezed into it, so accuracy drops with length."),
        Option("the source words directly", False, "Only through the encoder's last state."),
    )),
    Question("24.q3", "For a reversal task, the alignment map (decoder step × source position) should look like…", (
        Option("a diagonal", False, "That is copying in order."),
        Option("an anti-diagonal: output step i reads source position S−1−i", True,
               "Lab 2 draws it from the trained model."),
        Option("uniform", False, "Uniform weights would be a plain average."),
    )),
])
