"""Self-test of chapter 7: clipping by global norm and adaptive (unit-wise) clipping."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def clip_global_norm(grads: list[torch.Tensor], max_norm: float) -> list[torch.Tensor]:
    """Scale all gradients by min(1, max_norm / ‖g‖), ‖g‖ the norm of all of them together."""
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = min(1.0, max_norm / (float(total) + 1e-6))
    return [g * scale for g in grads]


def _norm_cases(g):
    cases = []
    for shapes, size, max_norm in ((((3, 4), (4,)), 5.0, 1.0), (((2, 2), (5,), (3, 3)), 0.05, 1.0),
                                   (((6,), (2, 3)), 20.0, 2.5)):
        cases.append({"grads": [torch.randn(*s, generator=g) * size for s in shapes], "max_norm": max_norm})
    return cases


def _per_tensor(grads, max_norm):
    return [g * min(1.0, max_norm / (float(g.norm()) + 1e-6)) for g in grads]


def _always_scale(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    return [g * max_norm / (float(total) + 1e-6) for g in grads]


def _by_value(grads, max_norm):
    return [g.clamp(-max_norm, max_norm) for g in grads]


def _squared(grads, max_norm):
    total = sum((g ** 2).sum() for g in grads)
    return [g * min(1.0, max_norm / (float(total) + 1e-6)) for g in grads]


GLOBAL_NORM = Exercise(
    key="07.global_norm", title="clip_global_norm",
    signature="clip_global_norm(grads: list[tensor], max_norm) -> list[tensor]",
    reference=clip_global_norm, make_cases=_norm_cases,
    mistakes=[
        Mistake("per_tensor", "compute ONE norm over all gradients together (as if concatenated into one "
                "vector); clipping each tensor separately changes the update's direction.", _per_tensor),
        Mistake("always_scale", "only scale when the norm exceeds max_norm: the factor is "
                "min(1, max_norm/‖g‖); small gradients must pass unchanged.", _always_scale),
        Mistake("by_value", "that is clipping by value (clamping each element). Norm clipping rescales the "
                "whole gradient vector and keeps its direction.", _by_value),
        Mistake("squared", "‖g‖ is the square root of the sum of squares.", _squared),
    ])


def adaptive_clip_grad(weight: torch.Tensor, grad: torch.Tensor, clipping: float, eps: float = 1e-3):
    """Unit-wise AGC for a (out, in) weight: row i's gradient is scaled so that
    ‖G_i‖ ≤ clipping · max(‖W_i‖, eps)."""
    w_norm = weight.norm(dim=1, keepdim=True).clamp_min(eps)
    g_norm = grad.norm(dim=1, keepdim=True)
    max_norm = clipping * w_norm
    return torch.where(g_norm > max_norm, grad * max_norm / g_norm.clamp_min(1e-6), grad)


def _agc_cases(g):
    cases = []
    for out, inp, wscale, gscale, clipping in ((4, 6, 1.0, 1.0, 0.1), (3, 5, 0.5, 0.01, 0.05),
                                               (5, 3, 1e-5, 1.0, 0.1)):
        w = torch.randn(out, inp, generator=g) * wscale
        w[0] *= 10            # rows of different size: unit-wise bounds differ
        cases.append({"weight": w, "grad": torch.randn(out, inp, generator=g) * gscale, "clipping": clipping})
    return cases


def _whole_tensor(weight, grad, clipping, eps=1e-3):
    max_norm = clipping * max(float(weight.norm()), eps)
    return grad * min(1.0, max_norm / max(float(grad.norm()), 1e-6))


def _no_eps(weight, grad, clipping, eps=1e-3):
    max_norm = clipping * weight.norm(dim=1, keepdim=True)
    g_norm = grad.norm(dim=1, keepdim=True)
    return torch.where(g_norm > max_norm, grad * max_norm / g_norm.clamp_min(1e-6), grad)


def _absolute(weight, grad, clipping, eps=1e-3):
    g_norm = grad.norm(dim=1, keepdim=True)
    return torch.where(g_norm > clipping, grad * clipping / g_norm.clamp_min(1e-6), grad)


AGC = Exercise(
    key="07.agc", title="adaptive_clip_grad",
    signature="adaptive_clip_grad(weight, grad, clipping, eps=1e-3) -> tensor like grad",
    reference=adaptive_clip_grad, make_cases=_agc_cases,
    mistakes=[
        Mistake("whole_tensor", "AGC is unit-wise: compare the norm of each row of the gradient with the "
                "norm of the same row of the weights (dim=1), not whole-tensor norms.", _whole_tensor),
        Mistake("no_eps", "floor the weight norm at eps (max(‖W_i‖, eps)); otherwise rows of zero-initialized "
                "weights could never move.", _no_eps),
        Mistake("absolute", "the bound is relative: clipping × ‖W_i‖, not the constant `clipping`.", _absolute),
    ])

EXERCISES = [GLOBAL_NORM, AGC]

QUIZ = Quiz([
    Question("07.q1", "The common answer lists “static clipping before each step” and “dynamic clipping after each "
                      "step”. What is wrong with that taxonomy?", (
        Option("Nothing: static clipping runs before backward, dynamic after", False,
               "Before backward there is no gradient to clip."),
        Option("Every clipping method runs at the same place — after backward, before optimizer.step(); "
               "the real distinctions are what is bounded (each value, the global norm, or the norm "
               "relative to the weights) and whether the threshold is fixed or adaptive", True,
               "Clip by value, by global norm, and adaptive clipping (AGC, or thresholds from gradient-norm "
               "history) differ in what they bound, not in when they run."),
        Option("Dynamic clipping is another name for gradient accumulation", False,
               "Accumulation sums gradients over micro-batches; it bounds nothing."),
    ), misconception=True),
    Question("07.q2", "Which method keeps the direction of the gradient?", (
        Option("Clipping by value", False, "Clamping elements independently changes the vector's direction."),
        Option("Clipping by global norm", True, "All gradients are multiplied by the same factor ≤ 1."),
        Option("Both", False, "Only norm clipping is a uniform rescaling."),
    )),
    Question("07.q3", "Can gradient clipping cure *vanishing* gradients?", (
        Option("Yes, it raises small gradients to the threshold", False,
               "Clipping only ever shrinks gradients (factor ≤ 1). Vanishing gradients need gates, residual "
               "connections, normalization or better initialization."),
        Option("No, it only bounds large gradients", True, "Chapter 20 shows this with gradient flow through time."),
        Option("Only adaptive clipping can", False, "AGC also only scales down."),
    )),
    Question("07.q4", "With global-norm clipping at max_norm = 1 and a gradient of norm 0.3, the update…", (
        Option("…is scaled up to norm 1", False, "Clipping never scales up."),
        Option("…is unchanged", True, "The factor is min(1, 1/0.3) = 1."),
        Option("…is scaled by 0.3", False, "The factor depends on max_norm/‖g‖ and is capped at 1."),
    )),
])
