"""Self-test of chapter 43: how far attention looks, and how spread out it is."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def mean_attention_distance(weights: torch.Tensor) -> torch.Tensor:
    """weights (H, T, T), rows summing to 1 -> (H,): for each head, Σ_ij w_ij·|i − j| averaged over queries i."""
    t = weights.shape[-1]
    dist = (torch.arange(t)[:, None] - torch.arange(t)[None, :]).abs().to(weights.dtype)
    return (weights * dist).sum(-1).mean(-1)


def _causal_weights(g, h, t):
    w = torch.rand(h, t, t, generator=g).tril()
    return w / w.sum(-1, keepdim=True)


def _dist_cases(g):
    return [{"weights": _causal_weights(g, h, t)} for h, t in ((2, 6), (4, 10), (1, 5))]


def _signed(weights):
    t = weights.shape[-1]
    dist = (torch.arange(t)[None, :] - torch.arange(t)[:, None]).to(weights.dtype)
    return (weights * dist).sum(-1).mean(-1)


def _unweighted(weights):
    t = weights.shape[-1]
    dist = (torch.arange(t)[:, None] - torch.arange(t)[None, :]).abs().to(weights.dtype)
    return (dist * (weights > 0)).sum(-1).div((weights > 0).sum(-1)).mean(-1)


def _max_distance(weights):
    t = weights.shape[-1]
    dist = (torch.arange(t)[:, None] - torch.arange(t)[None, :]).abs().to(weights.dtype)
    nearest_peak = weights == weights.amax(-1, keepdim=True)
    return (dist * nearest_peak).sum(-1).mean(-1)


MEAN_DISTANCE = Exercise(
    key="43.mean_attention_distance", title="mean_attention_distance",
    signature="mean_attention_distance(weights (H, T, T)) -> (H,)",
    reference=mean_attention_distance, make_cases=_dist_cases,
    mistakes=[
        Mistake("signed", "use the absolute distance |i − j|; signed distances of a causal head are all "
                "negative (or cancel in a bidirectional one).", _signed),
        Mistake("unweighted", "weigh each distance by its attention weight; counting every visible key "
                "equally ignores where the head actually looks.", _unweighted),
        Mistake("argmax", "average over the whole distribution, not just the most-attended key.", _max_distance),
    ])


def attention_entropy(weights: torch.Tensor) -> torch.Tensor:
    """weights (H, T, T) -> (H,): mean over queries of −Σ_j w_ij log w_ij (nats), with 0·log 0 = 0."""
    return -(weights * weights.clamp_min(1e-30).log()).sum(-1).mean(-1)


def _naive_entropy(weights):
    return -(weights * weights.log()).sum(-1).mean(-1)


ENTROPY = Exercise(
    key="43.attention_entropy", title="attention_entropy", signature="attention_entropy(weights (H, T, T)) -> (H,)",
    reference=attention_entropy, make_cases=_dist_cases,
    mistakes=[
        Mistake("zero_log_zero", "masked keys have weight 0 and log 0 = −inf, so 0·log 0 gives NaN: clamp "
                "the weights (or skip zeros) before the log.", _naive_entropy),
        Mistake("mean_over_keys", "the entropy of a distribution is a *sum* over its keys, −Σ_j w log w, "
                "not a mean.", lambda weights: -(weights * weights.clamp_min(1e-30).log()).mean(-1).mean(-1)),
        Mistake("bits", "report nats (natural log), as the rest of the course does.",
                lambda weights: -(weights * weights.clamp_min(1e-30).log2()).sum(-1).mean(-1)),
    ])

EXERCISES = [MEAN_DISTANCE, ENTROPY]

QUIZ = Quiz([
    Question("43.q1", "The common answer credits positional encoding and “自回归特性” for long-range dependencies. What "
                      "actually lets a Transformer handle them?", (
        Option("Positional encodings carry information over long distances", False,
               "They tell the model *where* tokens are; they carry no content across positions."),
        Option("Every position attends directly to every other: the path between two tokens is one step, "
               "whatever their distance, while an RNN's path grows with the distance", True,
               "Vaswani et al. (2017), table 1; Lab 2 measures the gradient that reaches a distant token."),
        Option("Generating one token at a time", False, "That is how any autoregressive model decodes."),
    ), misconception=True),
    Question("43.q2", "Why does a vanilla RNN fail on dependencies across many steps?", (
        Option("The gradient is a product of one Jacobian per step and shrinks (or explodes) exponentially", True,
               "Lab 2 shows the gradient at a distant input decaying with distance."),
        Option("It has too few parameters", False, "More units do not fix the product of Jacobians."),
        Option("It cannot represent the first token", False, "It can, but learning to keep it is hard."),
    )),
    Question("43.q3", "On Lab 1's task (recall the first token), the LSTM…", (
        Option("fails like the vanilla RNN", False, "Its gates let it keep one token for 64 steps."),
        Option("succeeds: gating fixes this simple case; attention's advantage is the direct path and "
               "parallel training, not that LSTMs can never remember", True,
               "An honest comparison names what each model can do."),
        Option("needs attention to succeed", False, "It succeeds without it here."),
    )),
])
