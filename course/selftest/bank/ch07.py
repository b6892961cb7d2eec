"""Self-test of chapter 7: global-norm clipping behind a gradient scaler, and adaptive (unit-wise) clipping."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def clip_global_norm(grads: list[torch.Tensor], max_norm: float, scale: float = 1.0) -> list[torch.Tensor]:
    """Undo the loss scale first, then multiply every gradient by min(1, max_norm / ‖g‖)."""
    true = [g / scale for g in grads]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in true]))
    factor = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    return [g * factor for g in true]


def _norm_cases(g):
    cases = []
    for shapes, size, max_norm, scale in ((((3, 4), (4,)), 5.0, 1.0, 1.0),
                                          (((2, 2), (5,), (3, 3)), 0.05, 1.0, 1.0),
                                          (((6,), (2, 3)), 20.0, 2.5, 1024.0),
                                          (((4, 4), (4,)), 0.02, 0.5, 65536.0)):
        cases.append({"grads": [torch.randn(*s, generator=g) * size * scale for s in shapes],
                      "max_norm": max_norm, "scale": scale})
    return cases


def _unscaled(grads, scale):
    return [g / scale for g in grads]


def _total(grads):
    return float(torch.sqrt(sum((g ** 2).sum() for g in grads)))


def _per_tensor(grads, max_norm, scale=1.0):
    return [g * min(1.0, max_norm / (float(g.norm()) + 1e-6)) for g in _unscaled(grads, scale)]


def _always_scale(grads, max_norm, scale=1.0):
    true = _unscaled(grads, scale)
    return [g * max_norm / (_total(true) + 1e-6) for g in true]


def _by_value(grads, max_norm, scale=1.0):
    return [g.clamp(-max_norm, max_norm) for g in _unscaled(grads, scale)]


def _squared(grads, max_norm, scale=1.0):
    true = _unscaled(grads, scale)
    total = float(sum((g ** 2).sum() for g in true))
    return [g * min(1.0, max_norm / (total + 1e-6)) for g in true]


def _clip_then_unscale(grads, max_norm, scale=1.0):
    factor = min(1.0, max_norm / (_total(grads) + 1e-6))
    return [g * factor / scale for g in grads]


def _never_unscaled(grads, max_norm, scale=1.0):
    factor = min(1.0, max_norm / (_total(grads) + 1e-6))
    return [g * factor for g in grads]


GLOBAL_NORM = Exercise(
    key="07.global_norm", title="clip_global_norm behind a loss scale",
    signature="clip_global_norm(grads: list[tensor], max_norm, scale=1.0) -> list[tensor]",
    reference=clip_global_norm, make_cases=_norm_cases,
    task="""In mixed-precision training a gradient scaler multiplies the loss by `scale` before `backward()`,
so every gradient arrives multiplied by `scale` too. Return the **true** gradients, clipped by global norm:

1. divide every gradient by `scale` (1.0 means there was no scaler);
2. compute **one** norm over all of them together, `‖g‖ = sqrt(Σ over all tensors of Σ g²)`;
3. multiply every tensor by `min(1, max_norm / (‖g‖ + 1e-6))`: gradients already within the bound are
   left as they are.

- `grads`: a list of float32 tensors of any shapes; `max_norm`, `scale`: positive floats (the checks
  use scales 1, 1024 and 65,536).
- Return a new list of float32 tensors, same order and shapes. Do not modify the inputs.""",
    mistakes=[
        Mistake("clip_then_unscale", "divide by `scale` *before* measuring the norm: clipping the scaled "
                "gradients compares ‖scale·g‖ with max_norm, so it clips far too hard.", _clip_then_unscale),
        Mistake("never_unscaled", "return the true gradients: divide every gradient by `scale` first.",
                _never_unscaled),
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
    bound = clipping * torch.linalg.vector_norm(weight, dim=1, keepdim=True).clamp(min=eps)
    row_norm = torch.linalg.vector_norm(grad, dim=1, keepdim=True)
    return grad * (bound / row_norm.clamp(min=1e-6)).clamp(max=1.0)


def _agc_cases(g):
    cases = []
    for out, inp, wscale, gscale, clipping, eps in ((4, 6, 1.0, 1.0, 0.1, None), (3, 5, 0.5, 0.01, 0.05, None),
                                                    (5, 3, 1e-5, 1.0, 0.1, None), (4, 4, 1e-4, 0.1, 0.2, 0.05)):
        w = torch.randn(out, inp, generator=g) * wscale
        w[0] *= 10            # rows of different size: unit-wise bounds differ
        case = {"weight": w, "grad": torch.randn(out, inp, generator=g) * gscale, "clipping": clipping}
        if eps is not None:
            case["eps"] = eps
        cases.append(case)
    return cases


def _whole_tensor(weight, grad, clipping, eps=1e-3):
    max_norm = clipping * max(float(weight.norm()), eps)
    return grad * min(1.0, max_norm / max(float(grad.norm()), 1e-6))


def _no_eps(weight, grad, clipping, eps=1e-3):
    max_norm = clipping * weight.norm(dim=1, keepdim=True)
    g_norm = grad.norm(dim=1, keepdim=True)
    return torch.where(g_norm > max_norm, grad * max_norm / g_norm.clamp_min(1e-6), grad)


def _eps_ignored(weight, grad, clipping, eps=1e-3):
    return adaptive_clip_grad(weight, grad, clipping)


def _absolute(weight, grad, clipping, eps=1e-3):
    g_norm = grad.norm(dim=1, keepdim=True)
    return torch.where(g_norm > clipping, grad * clipping / g_norm.clamp_min(1e-6), grad)


def _columns(weight, grad, clipping, eps=1e-3):
    return adaptive_clip_grad(weight.t(), grad.t(), clipping, eps).t()


AGC = Exercise(
    key="07.agc", title="adaptive_clip_grad",
    signature="adaptive_clip_grad(weight, grad, clipping, eps=1e-3) -> tensor like grad",
    reference=adaptive_clip_grad, make_cases=_agc_cases,
    task="""Unit-wise adaptive gradient clipping (AGC, Brock et al., 2021) for one weight matrix. A *unit*
is an output neuron: row `i` of `weight` and of `grad`. Scale each row of the gradient so that

`‖G_i‖ ≤ clipping · max(‖W_i‖, eps)`

i.e. multiply row `i` by `min(1, clipping · max(‖W_i‖, eps) / ‖G_i‖)`; rows already within their bound
stay unchanged. Norms are Euclidean norms of a row.

- `weight`, `grad`: float32 `(out, in)`; `clipping`: positive float; `eps`: positive float, the floor on
  a row's weight norm, so that rows of (near-)zero weights can still move (the checks pass `eps` too).
- Return a float32 tensor of shape `(out, in)`; do not modify the inputs.""",
    mistakes=[
        Mistake("whole_tensor", "AGC is unit-wise: compare the norm of each row of the gradient with the "
                "norm of the same row of the weights (dim=1), not whole-tensor norms.", _whole_tensor),
        Mistake("no_eps", "floor the weight norm at eps (max(‖W_i‖, eps)); otherwise rows of zero-initialized "
                "weights could never move.", _no_eps),
        Mistake("eps_ignored", "use the `eps` you were given as the floor, not the default 1e-3.", _eps_ignored),
        Mistake("absolute", "the bound is relative: clipping × ‖W_i‖, not the constant `clipping`.", _absolute),
        Mistake("columns", "a unit is a row (an output neuron): take norms along dim=1, not down the columns.",
                _columns),
    ])

EXERCISES = [GLOBAL_NORM, AGC]

QUIZ = Quiz([
    Question("07.q1", "The common answer lists “static clipping before each step” and “dynamic clipping after "
                      "each step”. What is right?", (
        Option("All of them run between backward() and step(); they differ in what they bound", True,
               "Clip by value, by global norm, and adaptive clipping (AGC, or thresholds from gradient-norm "
               "history) differ in what they bound and how the threshold is set, not in when they run."),
        Option("Static clipping runs before backward(), dynamic clipping after optimizer.step()", False,
               "Before backward() there is no gradient to clip; after step() it has already been applied."),
        Option("Dynamic clipping runs after step(), pulling back weights that moved too far", False,
               "That would be a constraint on the weights (a projection), not gradient clipping; Lab 1 "
               "shows clipping acting on the gradients before the update."),
    ), misconception=True),
    Question("07.q2", "Which clipping keeps the direction of the gradient?", (
        Option("Clipping by value", False,
               "Clamping elements independently cuts large ones more than small ones: Lab 2 measures the "
               "cosine falling well below 1."),
        Option("Clipping by global norm", True,
               "All gradients are multiplied by the same factor ≤ 1; Lab 2 measures cosine 1 at every threshold."),
        Option("Both, since each of them only shrinks", False,
               "Shrinking each element by a different factor turns the vector; only a uniform factor keeps it."),
    )),
    Question("07.q3", "The common answer says clipping prevents exploding “or vanishing” gradients. Can it cure "
                      "vanishing gradients?", (
        Option("Yes: small gradients are rescaled up to the threshold", False,
               "Only gradients *above* the threshold are touched, and only downwards: Lab 3 shows a small "
               "gradient passing unchanged."),
        Option("Adaptive clipping can, as its bound follows the weights", False,
               "AGC's bound is relative to the weights, but it too only ever scales down."),
        Option("No: its factor is at most 1, so it only shrinks", True,
               "Lab 3 measures the ratio of norms after/before: never above 1. Vanishing gradients need "
               "gates, residual connections, normalization or better initialization (chapter 20)."),
    )),
    Question("07.q4", "With global-norm clipping at max_norm = 1, a gradient of norm 0.3…", (
        Option("…is left unchanged", True, "The factor is min(1, 1/0.3) = 1."),
        Option("…is scaled up to norm 1", False, "Clipping never scales up."),
        Option("…is scaled by 0.3", False, "The factor is min(1, max_norm/‖g‖), here 1."),
    )),
    Question("07.q5", "Training in float16 with a gradient scaler (loss multiplied by S before backward), "
                      "where does norm clipping go?", (
        Option("Right after backward(); the scaler corrects the threshold", False,
               "The scaler knows nothing about clipping: clipped while still scaled, the gradients are cut "
               "to max_norm/S once unscaled (Lab 4)."),
        Option("After scaler.step(), once the gradients are unscaled", False,
               "After the step the update has already been applied; clipping then changes nothing."),
        Option("After scaler.unscale_(optimizer), before scaler.step()", True,
               "Unscaling first makes the threshold apply to the true gradients. Lab 4 measures what "
               "happens otherwise: the clipper sees a norm S times too large and the step shrinks by S."),
    )),
])
