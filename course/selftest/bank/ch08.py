"""Self-test of chapter 8: one AdamW step as a pure function, and AdaGrad/RMSProp step sizes from a gradient history."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def adamw_step(param: torch.Tensor, grad: torch.Tensor, exp_avg: torch.Tensor, exp_avg_sq: torch.Tensor,
               step: int, lr: float, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.01):
    """Decoupled decay, then the bias-corrected Adam step. Returns [param, exp_avg, exp_avg_sq]."""
    beta1, beta2 = betas
    shrunk = param * (1 - lr * weight_decay)
    m = beta1 * exp_avg + (1 - beta1) * grad
    v = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1 ** step), v / (1 - beta2 ** step)
    return [shrunk - lr * m_hat / (torch.sqrt(v_hat) + eps), m, v]


def _adamw_cases(g):
    cases = []
    for shape, gscale, step, lr, betas, eps, wd in (((4, 3), 1.0, 1, 1e-3, None, None, None),
                                                    ((5,), 0.1, 7, 0.05, (0.9, 0.95), None, 0.1),
                                                    ((3, 3), 1e-6, 3, 0.01, (0.8, 0.99), 1e-6, 0.0),
                                                    ((6,), 1.0, 120, 0.2, (0.9, 0.95), 1e-8, 0.5)):
        grad = torch.randn(*shape, generator=g) * gscale
        fresh = step == 1
        case = {"param": torch.randn(*shape, generator=g),
                "grad": grad,
                "exp_avg": torch.zeros(shape) if fresh else torch.randn(*shape, generator=g) * gscale * 0.5,
                "exp_avg_sq": torch.zeros(shape) if fresh else torch.rand(*shape, generator=g) * gscale ** 2,
                "step": step, "lr": lr}
        for name, value in (("betas", betas), ("eps", eps), ("weight_decay", wd)):
            if value is not None:
                case[name] = value
        cases.append(case)
    return cases


def _adam_l2(param, grad, exp_avg, exp_avg_sq, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    return adamw_step(param, grad + weight_decay * param, exp_avg, exp_avg_sq, step, lr, betas, eps, 0.0)


def _no_bias_correction(param, grad, exp_avg, exp_avg_sq, step, lr, betas=(0.9, 0.999), eps=1e-8,
                        weight_decay=0.01):
    b1, b2 = betas
    m, v = b1 * exp_avg + (1 - b1) * grad, b2 * exp_avg_sq + (1 - b2) * grad ** 2
    return [param * (1 - lr * weight_decay) - lr * m / (v.sqrt() + eps), m, v]


def _eps_inside(param, grad, exp_avg, exp_avg_sq, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    b1, b2 = betas
    m, v = b1 * exp_avg + (1 - b1) * grad, b2 * exp_avg_sq + (1 - b2) * grad ** 2
    update = (m / (1 - b1 ** step)) / (v / (1 - b2 ** step) + eps).sqrt()
    return [param * (1 - lr * weight_decay) - lr * update, m, v]


def _decay_after(param, grad, exp_avg, exp_avg_sq, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    new, m, v = adamw_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, 0.0)
    return [new * (1 - lr * weight_decay), m, v]


def _decay_without_lr(param, grad, exp_avg, exp_avg_sq, step, lr, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.01):
    new, m, v = adamw_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, 0.0)
    return [new - weight_decay * param, m, v]


def _no_sqrt(param, grad, exp_avg, exp_avg_sq, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    b1, b2 = betas
    m, v = b1 * exp_avg + (1 - b1) * grad, b2 * exp_avg_sq + (1 - b2) * grad ** 2
    update = (m / (1 - b1 ** step)) / (v / (1 - b2 ** step) + eps)
    return [param * (1 - lr * weight_decay) - lr * update, m, v]


ADAMW_STEP = Exercise(
    key="08.adamw_step", title="adamw_step",
    signature="adamw_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas=(0.9, 0.999), eps=1e-8, "
              "weight_decay=0.01) -> [param, exp_avg, exp_avg_sq]",
    reference=adamw_step, make_cases=_adamw_cases,
    task="""One step of AdamW for one parameter tensor, as a pure function (what `torch.optim.AdamW` does
in place). With β₁, β₂ = `betas`, η = `lr`, λ = `weight_decay`, t = `step`:

1. decoupled decay: θ' = θ · (1 − η·λ);
2. moments: m = β₁·`exp_avg` + (1 − β₁)·g;  v = β₂·`exp_avg_sq` + (1 − β₂)·g²;
3. bias corrections: m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ);
4. new parameter: θ' − η · m̂ / (√v̂ + ε)  (ε is added *after* the square root).

- `param`, `grad`, `exp_avg`, `exp_avg_sq`: float32 tensors of one shape; `exp_avg`, `exp_avg_sq` are the
  moments *before* this step (zeros when `step` is 1).
- `step`: int ≥ 1, the number of this update (1 for the first); `lr`, `eps`: positive floats;
  `betas`: a pair of floats in [0, 1); `weight_decay`: float ≥ 0.
- Return a list `[new_param, new_exp_avg, new_exp_avg_sq]` of float32 tensors shaped like `param`;
  do not modify the inputs.""",
    mistakes=[
        Mistake("adam_l2", "that is Adam with L2: λθ added to the gradient goes through m and √v̂. AdamW "
                "shrinks θ by (1 − η·λ) directly, outside the adaptive step (Lab 5).", _adam_l2),
        Mistake("no_bias_correction", "divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ): without the corrections the "
                "first steps are far too small, since m and v start at zero.", _no_bias_correction),
        Mistake("eps_inside", "add ε after the square root: √v̂ + ε, not √(v̂ + ε).", _eps_inside),
        Mistake("decay_after", "apply the decay to the parameter as it was before this step "
                "(θ·(1 − η·λ), then subtract the Adam update), as torch.optim.AdamW does.", _decay_after),
        Mistake("decay_without_lr", "the decay is multiplied by the learning rate: θ·(1 − η·λ), not θ − λθ.",
                _decay_without_lr),
        Mistake("no_sqrt", "divide by the square root of v̂ (an RMS), not by v̂ itself.", _no_sqrt),
    ])


def step_sizes(grads: torch.Tensor, lr: float, alpha=None, eps: float = 1e-10) -> torch.Tensor:
    """Per-step, per-coordinate step size: AdaGrad (alpha None) or RMSProp (moving average with alpha)."""
    if alpha is None:
        scale = torch.cumsum(grads * grads, dim=0)
    else:
        scale, running = torch.empty_like(grads), torch.zeros_like(grads[0])
        for t in range(grads.shape[0]):
            running = alpha * running + (1 - alpha) * grads[t] * grads[t]
            scale[t] = running
    return lr / (scale.sqrt() + eps)


def _step_cases(g):
    cases = []
    for steps, n, lr, alpha, eps in ((20, 5, 0.1, None, None), (30, 4, 0.01, 0.9, 1e-8),
                                     (12, 3, 1.0, 0.99, 1e-2), (15, 6, 0.5, None, 1e-3)):
        sizes = 10.0 ** torch.linspace(-3, 1, n)                     # coordinates of very different scales
        grads = torch.randn(steps, n, generator=g) * sizes
        grads[:, 0] *= (torch.rand(steps, generator=g) < 0.3)        # a sparse coordinate
        grads[0, 0] = 1e-3                                           # …that is not zero at step 1
        case = {"grads": grads, "lr": lr}
        if alpha is not None:
            case["alpha"] = alpha
        if eps is not None:
            case["eps"] = eps
        cases.append(case)
    return cases


def _proportional(grads, lr, alpha=None, eps=1e-10):
    return lr * (step_sizes(grads, 1.0, alpha, 0.0) ** -1)


def _mean_not_sum(grads, lr, alpha=None, eps=1e-10):
    if alpha is not None:
        return step_sizes(grads, lr, alpha, eps)
    t = torch.arange(1, grads.shape[0] + 1, dtype=grads.dtype)[:, None]
    return lr / ((torch.cumsum(grads ** 2, 0) / t).sqrt() + eps)


def _no_sqrt(grads, lr, alpha=None, eps=1e-10):
    return lr / ((step_sizes(grads, 1.0, alpha, 0.0) ** -2) + eps)


def _no_one_minus_alpha(grads, lr, alpha=None, eps=1e-10):
    if alpha is None:
        return step_sizes(grads, lr, alpha, eps)
    out, v = torch.empty_like(grads), torch.zeros_like(grads[0])
    for t in range(grads.shape[0]):
        v = alpha * v + grads[t] ** 2
        out[t] = lr / (v.sqrt() + eps)
    return out


def _current_only(grads, lr, alpha=None, eps=1e-10):
    return lr / (grads.abs() + eps)


def _eps_inside_sqrt(grads, lr, alpha=None, eps=1e-10):
    return lr / ((step_sizes(grads, 1.0, alpha, 0.0) ** -2) + eps).sqrt()


STEP_SIZES = Exercise(
    key="08.step_sizes", title="step_sizes",
    signature="step_sizes(grads (T, n), lr, alpha=None, eps=1e-10) -> (T, n)",
    reference=step_sizes, make_cases=_step_cases,
    task="""Given the gradients that `n` coordinates received over `T` steps, return the step size η_eff
each coordinate has *after* each step — the factor by which that step multiplied its gradient.

- `alpha=None` — **AdaGrad**: s_t = Σ_{k≤t} g_k²  and  η_eff = lr / (√s_t + eps).
- `alpha` a float in [0, 1) — **RMSProp**: v_0 = 0, v_t = alpha·v_{t−1} + (1 − alpha)·g_t²  and
  η_eff = lr / (√v_t + eps).

- `grads`: float32 `(T, n)`; row t is the gradient at step t + 1 (coordinates have very different scales;
  one of them is zero at most steps). `lr`, `eps`: positive floats (the checks pass eps = 1e-2 too, so
  add it *after* the square root).
- Return float32 `(T, n)`: row t holds the step sizes after the first t + 1 gradients.""",
    mistakes=[
        Mistake("proportional", "the step size is *inversely* proportional to the root of the accumulated "
                "squared gradients (the common answer has it backwards): lr / (√s + eps).", _proportional),
        Mistake("mean_not_sum", "AdaGrad accumulates a *sum* of squared gradients (that is why its step "
                "size keeps falling); a running mean is what RMSProp approximates.", _mean_not_sum),
        Mistake("no_sqrt", "divide by the square root of the accumulated squares, not by the squares.", _no_sqrt),
        Mistake("no_one_minus_alpha", "RMSProp's average is alpha·v + (1 − alpha)·g²; without (1 − alpha) "
                "it is a leaky sum, not an average.", _no_one_minus_alpha),
        Mistake("current_only", "use the whole history: AdaGrad sums all past g², RMSProp averages them.",
                _current_only),
        Mistake("eps_inside_sqrt", "add eps after the square root: √s + eps.", _eps_inside_sqrt),
    ])

EXERCISES = [ADAMW_STEP, STEP_SIZES]

QUIZ = Quiz([
    Question("08.q1", "The common answer says AdaGrad makes each parameter's learning rate “proportional to "
                      "its gradient size”. What does AdaGrad do?", (
        Option("Multiplies each coordinate's rate by |g|, its current gradient", False,
               "That is the common answer's claim, backwards: a large gradient makes the denominator grow."),
        Option("Divides each coordinate's rate by √(sum of its squared gradients)", True,
               "Lab 4 measures it: coordinates with the largest past gradients get the smallest steps, and "
               "every step size keeps falling, about as 1/√t."),
        Option("Keeps the rate constant and rescales the gradient to unit norm per step", False,
               "Normalizing the whole gradient is another idea (normalized SGD); AdaGrad works per coordinate "
               "and remembers every past gradient."),
    ), misconception=True),
    Question("08.q2", "What does RMSProp's moving average of g² change compared with AdaGrad's sum?", (
        Option("It suits sparse features better than AdaGrad's sum does", False,
               "The common answer's claim. Sparse features are AdaGrad's home ground (Duchi et al., 2011)."),
        Option("It adds momentum to AdaGrad's update direction", False,
               "The average is of g², which sets the scale of the step, not its direction; momentum averages g."),
        Option("Old gradients fade, so the step size stops shrinking", True,
               "A sum only grows, so AdaGrad's steps decay like 1/√t even when learning should go on; Lab 4 "
               "measures slope ≈ −0.5 for AdaGrad and ≈ 0 for RMSProp."),
    )),
    Question("08.q3", "Adam with weight_decay=λ (L2 added to the gradient) versus AdamW with the same λ:", (
        Option("Both shrink θ by η·λ per step; only the code differs", False,
               "True for SGD, not for Adam: Lab 5 shows the two decay rates differ per weight."),
        Option("In Adam, L2 is divided by √v̂: weights decay at uneven rates", True,
               "Lab 5: with L2 the pull towards 0 per unit θ differs widely between weights (90th percentile "
               "> 5× the 10th); AdamW shrinks every weight by the same η·λ."),
        Option("AdamW decays only the weight matrices; Adam decays biases too", False,
               "Which tensors get decay is a choice of parameter groups, the same for both optimizers."),
    )),
    Question("08.q4", "On the valley f = ½(x² + 25y²), why does plain SGD crawl along x?", (
        Option("Its learning rate must stay below 2/25 for the steep y direction", True,
               "One η serves both directions; stability across the valley caps it, and along x each step then "
               "shrinks the error by only (1 − η)."),
        Option("Its x-gradient, x, vanishes after a few steps", False,
               "The x-gradient is x itself: it shrinks only as fast as SGD makes progress."),
        Option("Mini-batch noise keeps pushing it up the steep walls of the valley", False,
               "There is no noise on this deterministic valley; the zig-zag comes from η·25 being close to 2."),
    )),
    Question("08.q5", "Which optimizer and settings do GPT-3 and LLaMA report?", (
        Option("SGD with Nesterov momentum 0.9", False, "Neither: both use Adam-type optimizers."),
        Option("AdaGrad, lr 0.01, whose per-word rates suit sparse tokens", False,
               "AdaGrad's step sizes only shrink; LLMs train for hundreds of thousands of steps."),
        Option("Adam/AdamW, β₂ = 0.95, weight decay 0.1", True,
               "GPT-3 appendix B and LLaMA §2.3: β₁ = 0.9, β₂ = 0.95, decay 0.1, with warmup, cosine decay "
               "and clipping at 1.0."),
    )),
])
