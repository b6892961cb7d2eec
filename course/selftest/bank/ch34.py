"""Self-test of chapter 34: a streaming (online) log-sum-exp and linear attention."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def online_logsumexp(x: torch.Tensor, block: int) -> torch.Tensor:
    """log Σ exp(x) of a 1-D tensor, reading it `block` entries at a time with a running max m and a
    running sum s of exp(x − m); when m grows, the old s is rescaled by exp(m_old − m_new)."""
    m = torch.tensor(float("-inf"), dtype=x.dtype)
    s = torch.tensor(0.0, dtype=x.dtype)
    for start in range(0, len(x), block):
        chunk = x[start:start + block]
        m_new = torch.maximum(m, chunk.max())
        s = s * torch.exp(m - m_new) + torch.exp(chunk - m_new).sum()
        m = m_new
    return m + torch.log(s)


def _lse_cases(g):
    return [{"x": torch.randn(20, generator=g), "block": 4}, {"x": torch.randn(33, generator=g) * 5, "block": 8},
            {"x": torch.randn(16, generator=g) * 200, "block": 5}]


def _no_rescale(x, block):
    m, s = torch.tensor(float("-inf")), torch.tensor(0.0)
    for start in range(0, len(x), block):
        chunk = x[start:start + block]
        m_new = torch.maximum(m, chunk.max())
        s = s + torch.exp(chunk - m_new).sum()
        m = m_new
    return m + torch.log(s)


def _naive(x, block):
    return torch.log(sum(torch.exp(x[i:i + block]).sum() for i in range(0, len(x), block)))


def _block_max(x, block):
    total = torch.tensor(0.0)
    for start in range(0, len(x), block):
        chunk = x[start:start + block]
        total = total + torch.exp(chunk - chunk.max()).sum()
    return x.max() + torch.log(total)


ONLINE_LSE = Exercise(
    key="34.online_logsumexp", title="online_logsumexp", signature="online_logsumexp(x (N,), block) -> scalar",
    reference=online_logsumexp, make_cases=_lse_cases,
    mistakes=[
        Mistake("no_rescale", "when the running max grows, the sum so far was computed against the old max: "
                "multiply it by exp(m_old − m_new) before adding the new block.", _no_rescale),
        Mistake("overflow", "exp of large inputs overflows to inf: subtract the running maximum.", _naive),
        Mistake("block_max", "each block's terms must be taken relative to the *same* maximum before they "
                "are added up — keep one running max and rescale.", _block_max),
    ])


def linear_attention(q, k, v):
    """Non-causal linear attention with φ = elu + 1. q, k (T, d), v (T, d_v) -> (T, d_v)."""
    fq, fk = F.elu(q) + 1, F.elu(k) + 1
    return (fq @ (fk.T @ v)) / (fq @ fk.sum(0, keepdim=True).T)


def _lin_cases(g):
    return [{"q": torch.randn(t, d, generator=g), "k": torch.randn(t, d, generator=g),
             "v": torch.randn(t, e, generator=g)} for t, d, e in ((6, 4, 3), (10, 8, 8), (5, 2, 4))]


LINEAR = Exercise(
    key="34.linear_attention", title="linear_attention", signature="linear_attention(q, k, v) -> (T, d_v)",
    reference=linear_attention, make_cases=_lin_cases,
    mistakes=[
        Mistake("no_normalizer", "divide by φ(q_i)·Σ_j φ(k_j), the analogue of the softmax's denominator.",
                lambda q, k, v: (F.elu(q) + 1) @ ((F.elu(k) + 1).T @ v)),
        Mistake("no_feature_map", "use φ(x) = elu(x) + 1 so that every similarity is positive; raw q·k can "
                "be negative and the normalizer can vanish.",
                lambda q, k, v: (q @ (k.T @ v)) / (q @ k.sum(0, keepdim=True).T)),
        Mistake("softmax", "that is ordinary softmax attention, O(T²); linear attention replaces exp(q·k) by "
                "φ(q)·φ(k).", lambda q, k, v: torch.softmax(q @ k.T / q.shape[-1] ** 0.5, -1) @ v),
    ])

EXERCISES = [ONLINE_LSE, LINEAR]

QUIZ = Quiz([
    Question("34.q1", "The common answer answer treats O(n²) as a fixed price of attention. What do efficient "
                      "attention methods actually change?", (
        Option("Nothing: O(n²) cannot be avoided", False,
               "Tiled exact attention avoids O(n²) *memory*; local and linear attention avoid O(n²) *compute* "
               "by changing what is computed."),
        Option("Tiling with an online softmax keeps exact results but O(n) memory; local windows and linear "
               "attention cut compute to O(n·w·d) or O(n·d²) at the price of a different attention", True,
               "Labs 1–3 measure each."),
        Option("Using more heads reduces the cost", False, "Heads do not change the FLOPs (chapter 29)."),
    ), misconception=True),
    Question("34.q2", "Why must the running sum be rescaled in an online softmax?", (
        Option("Because exp(x − m_old) terms were computed against an older, smaller maximum", True,
               "Multiply by exp(m_old − m_new) and all terms share the new maximum."),
        Option("To avoid dividing by zero", False, "The rescale keeps terms consistent, not non-zero."),
        Option("It need not be: the sum is the same", False, "Exercise 1 shows the error without it."),
    )),
    Question("34.q3", "Tiled (FlashAttention-style) attention gives results that are…", (
        Option("approximate, like linear attention", False, "It computes exactly the same softmax attention."),
        Option("exactly those of standard attention, up to floating-point rounding", True,
               "Lab 1 compares them and their gradients."),
        Option("only correct for short sequences", False, "Length does not matter."),
    )),
])
