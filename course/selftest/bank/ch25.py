"""Self-test of chapter 25: the gradients that cross-entropy and squared error send to the logits."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


# ---- exercise 1: squared error's gradient through the softmax ---------------------------------------
def mse_softmax_grad(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """∂/∂logits of mean over rows of Σ_v (softmax(z)_v − onehot_v)²: (2/N) · (diag(p) − ppᵀ)(p − y)."""
    p = torch.softmax(logits, dim=-1)
    error = p - torch.nn.functional.one_hot(targets, logits.shape[-1]).to(p.dtype)
    through_softmax = p * (error - (p * error).sum(dim=-1, keepdim=True))     # J e without building J
    return 2 * through_softmax / logits.shape[0]


def _mse_cases(g):
    cases = []
    for n, v, scale in ((4, 5, 1.0), (3, 9, 3.0), (6, 4, 0.3), (2, 12, 6.0)):
        cases.append({"logits": torch.randn(n, v, generator=g) * scale, "targets": torch.randint(v, (n,), generator=g)})
    return cases


def _softmax_error(logits, targets):
    p = torch.softmax(logits, -1)
    return p - torch.nn.functional.one_hot(targets, logits.shape[-1]).to(p.dtype)


def _no_jacobian(logits, targets):
    return 2 * _softmax_error(logits, targets) / logits.shape[0]


def _diagonal_only(logits, targets):
    p = torch.softmax(logits, -1)
    return 2 * p * (1 - p) * _softmax_error(logits, targets) / logits.shape[0]


def _no_mean(logits, targets):
    return mse_softmax_grad(logits, targets) * logits.shape[0]


def _no_two(logits, targets):
    return mse_softmax_grad(logits, targets) / 2


def _sign(logits, targets):
    return -mse_softmax_grad(logits, targets)


def _ce_gradient(logits, targets):
    return _softmax_error(logits, targets) / logits.shape[0]


MSE_GRAD = Exercise(
    key="25.mse_softmax_grad", title="mse_softmax_grad",
    signature="mse_softmax_grad(logits (N, V), targets (N,)) -> (N, V)",
    reference=mse_softmax_grad, make_cases=_mse_cases,
    task="""The loss is squared error on the softmax output, as `course.train.mse_on_probs` computes it:

`L = (1/N) Σ_n Σ_v (p_nv − y_nv)²`, with `p_n = softmax(logits_n)` and `y_n` the one-hot of `targets[n]`.

Return `∂L/∂logits` **without autograd**. Derive it with the chain rule: first `∂L/∂p`, then through the
softmax — work out its Jacobian `∂p_i/∂z_j` and the Jacobian-vector product it takes. Compute that product
directly, without building a V × V matrix per row.

`logits`: float32 `(N, V)`; `targets`: int64 `(N,)` in `[0, V)`. Return float32 `(N, V)`.""",
    mistakes=[
        Mistake("ce_gradient", "that is cross-entropy's gradient, (p − y)/N. Squared error differentiates "
                "(p − y)² and then goes through the softmax Jacobian.", _ce_gradient),
        Mistake("no_jacobian", "the error p − y must go through the softmax Jacobian "
                "J = diag(p) − ppᵀ: ∂L/∂z = (2/N) J (p − y).", _no_jacobian),
        Mistake("diagonal_only", "the softmax Jacobian has off-diagonal terms −p_i p_j: every logit moves "
                "every probability. Use J e = p ⊙ (e − (p·e)).", _diagonal_only),
        Mistake("no_mean", "the loss is the mean over the N rows: divide by N.", _no_mean),
        Mistake("no_two", "d/dp (p − y)² = 2 (p − y): keep the factor 2.", _no_two),
        Mistake("sign", "the sign is flipped: the gradient points uphill, along J (p − y).", _sign),
    ])


# ---- exercise 2: cross-entropy's gradient for a batch with ignored positions -------------------------
def ce_grad(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """∂/∂logits of F.cross_entropy(logits, targets, ignore_index=ignore_index) (mean over kept rows)."""
    keep = targets != ignore_index
    labels = torch.where(keep, targets, torch.zeros_like(targets))
    delta = torch.softmax(logits, dim=-1) - torch.nn.functional.one_hot(labels, logits.shape[-1]).to(logits.dtype)
    return delta * keep[:, None] / keep.sum()


def _ce_cases(g):
    cases = []
    for n, v, scale, ignore in ((5, 6, 2.0, None), (6, 4, 1.0, None), (4, 8, 5.0, 0), (7, 5, 0.5, None)):
        targets = torch.randint(1 if ignore == 0 else 0, v, (n,), generator=g)
        ignored = ignore if ignore is not None else -100
        targets[1] = ignored
        targets[-1] = ignored
        case = {"logits": torch.randn(n, v, generator=g) * scale, "targets": targets}
        if ignore is not None:
            case["ignore_index"] = ignore
        cases.append(case)
    return cases


def _delta(logits, targets, ignore_index):
    keep = targets != ignore_index
    y = torch.nn.functional.one_hot(targets.clamp(min=0) * keep, logits.shape[-1]).to(logits.dtype)
    return (torch.softmax(logits, -1) - y) * keep[:, None], keep


def _divide_by_all(logits, targets, ignore_index=-100):
    delta, _ = _delta(logits, targets, ignore_index)
    return delta / logits.shape[0]


def _summed(logits, targets, ignore_index=-100):
    return _delta(logits, targets, ignore_index)[0]


def _ignored_not_zeroed(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    y = torch.nn.functional.one_hot(targets.clamp(min=0) * keep, logits.shape[-1]).to(logits.dtype)
    return (torch.softmax(logits, -1) - y) / keep.sum()


def _y_minus_p(logits, targets, ignore_index=-100):
    return -ce_grad(logits, targets, ignore_index)


def _default_ignore(logits, targets, ignore_index=-100):
    return ce_grad(logits, targets)


CE_GRAD = Exercise(
    key="25.ce_grad", title="ce_grad",
    signature="ce_grad(logits (N, V), targets (N,), ignore_index=-100) -> (N, V)",
    reference=ce_grad, make_cases=_ce_cases,
    task="""Return, **without autograd**, the gradient with respect to `logits` of
`F.cross_entropy(logits, targets, ignore_index=ignore_index)` — the mean of −log softmax(logits_n)[targets_n]
over the rows whose target is not `ignore_index`:

- a kept row n: `(softmax(logits_n) − onehot(targets_n)) / K`, with K the number of kept rows;
- an ignored row: all zeros (its target value is not a class: do not one-hot it as one).

`logits`: float32 `(N, V)`; `targets`: int64 `(N,)`, values in `[0, V)` or `ignore_index`; `ignore_index`:
int (the checks also use 0). Return float32 `(N, V)`; at least one row is kept.""",
    mistakes=[
        Mistake("divide_by_all", "divide by the number of KEPT rows, not by N: ignored rows are not in the "
                "mean.", _divide_by_all),
        Mistake("summed", "F.cross_entropy takes the mean over the kept rows: divide by their number.", _summed),
        Mistake("ignored_not_zeroed", "an ignored row gets no gradient at all: set it to zero.",
                _ignored_not_zeroed),
        Mistake("y_minus_p", "the gradient of −log p_y is p − y, not y − p.", _y_minus_p),
        Mistake("default_ignore", "use the `ignore_index` you were given, not -100.", _default_ignore),
    ])

EXERCISES = [MSE_GRAD, CE_GRAD]

QUIZ = Quiz([
    Question("25.q1", "The common answer says “the smaller the loss, the steeper the gradient, the faster the "
                      "update”. For cross-entropy, as one token's loss falls…", (
        Option("…its gradient ‖p − y‖ steepens, so its updates speed up", False,
               "Lab 2 measures the opposite on a real model: loss and gradient rise together, on the logits "
               "(by algebra) and on the weights (measured)."),
        Option("…its gradient ‖p − y‖ on the logits shrinks, tending to 0", True,
               "p − y goes to 0 as p_y goes to 1; the hardest tokens send the largest gradients (Labs 1, 2)."),
        Option("…its gradient −1/p_y shrinks, but never below 1 in magnitude", False,
               "−1/p_y is the gradient with respect to the probability p_y. Through the softmax, the gradient "
               "on the target's logit is p_y − 1, which goes to 0 as p_y goes to 1."),
    ), misconception=True),
    Question("25.q2", "A prediction is confidently wrong (p_target ≈ 0). What gradient do the logits get from "
                      "squared error on the softmax output?", (
        Option("The largest: its error ‖p − y‖ ≈ √2 is the largest there can be", False,
               "The error p − y is large, but it passes through the softmax Jacobian, which is ≈ 0 there (Lab 1)."),
        Option("About cross-entropy's, since both gradients hold p − y", False,
               "Cross-entropy's tends to √2; squared error's falls below 1e-6 at c = 20 (Lab 1)."),
        Option("Almost none: the saturated softmax Jacobian blocks the error", True,
               "diag(p) − ppᵀ → 0 when one probability nears 1; Lab 3's confident start stalls for this reason."),
    )),
    Question("25.q3", "From a neutral start, squared error trained the bigram LM far slower than cross-entropy "
                      "with SGD, but almost as fast with Adam. Why?", (
        Option("Adam rescales steps, hiding the 2/V gradient scale", True,
               "At uniform predictions squared error's gradient is cross-entropy's times 2/V; Adam divides "
               "constant scales out (Lab 3)."),
        Option("For one-hot targets the two losses are the same loss", False,
               "They differ in value and gradient; Lab 1 and the SGD runs show it."),
        Option("Adam's momentum restores the factor diag(p) − ppᵀ", False,
               "Momentum averages gradients; it cannot restore a gradient that vanished — see the "
               "confident start, where Adam does not rescue squared error."),
    )),
    Question("25.q4", "The common answer credits cross-entropy's fast convergence to its convexity. What is "
                      "the better explanation?", (
        Option("Convex losses always converge faster than other losses", False,
               "A linear loss is convex too; and a network's loss is not convex in its weights."),
        Option("Its log undoes the softmax's exp, so p − y never saturates", True,
               "The gradient on the logits stays large while the prediction is wrong (Lab 1)."),
        Option("Its Hessian in the weights is positive definite, so p − y converges", False,
               "Cross-entropy is convex in the logits (Hessian diag(p) − ppᵀ, positive semidefinite), but "
               "through a network's layers it is not convex in the weights; no such guarantee exists."),
    )),
])
