"""Self-test of chapter 31: Prechelt's generalisation-loss stopping rule, and the two-batch noise scale."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def gl_stop(val_losses: list[float], alpha: float) -> int:
    """First index t with 100·(E(t)/min_{t'≤t} E(t') − 1) > alpha; the last index if none."""
    lowest = float("inf")
    for t, value in enumerate(val_losses):
        lowest = min(lowest, value)
        if 100 * (value / lowest - 1) > alpha:
            return t
    return len(val_losses) - 1


def _curve(g, n, turn, noise):
    """A U-shaped validation curve with noise: falls until `turn`, then rises slowly."""
    t = torch.arange(n, dtype=torch.float64)
    base = 2.0 + 1.5 * torch.exp(-t / 5) + 0.01 * (t - turn).clamp(min=0)
    return [round(float(v), 4) for v in base + noise * torch.rand(n, generator=g, dtype=torch.float64)]


def _gl_cases(g):
    return [{"val_losses": [3.0, 2.9, 2.95, 2.99, 3.1, 2.5], "alpha": 3.0},        # 3.1/2.9 is +6.9 %
            {"val_losses": _curve(g, 40, 15, 0.02), "alpha": 2.0},
            {"val_losses": _curve(g, 60, 30, 0.05), "alpha": 5.0},
            {"val_losses": _curve(g, 30, 10, 0.0), "alpha": 0.5},
            {"val_losses": [2.0, 1.9, 1.8], "alpha": 1.0},                        # never fires
            {"val_losses": [1.0, 1.5, 1.2], "alpha": 50.0}]                      # exactly 50 % is not > 50


def _global_min(val_losses, alpha):
    lowest = min(val_losses)
    for t, value in enumerate(val_losses):
        if 100 * (value / lowest - 1) > alpha:
            return t
    return len(val_losses) - 1


def _fraction_not_percent(val_losses, alpha):
    lowest = float("inf")
    for t, value in enumerate(val_losses):
        lowest = min(lowest, value)
        if value / lowest - 1 > alpha:
            return t
    return len(val_losses) - 1


def _returns_best(val_losses, alpha):
    stop = gl_stop(val_losses, alpha)
    head = val_losses[:stop + 1]
    return head.index(min(head))


def _at_least(val_losses, alpha):
    lowest = float("inf")
    for t, value in enumerate(val_losses):
        lowest = min(lowest, value)
        if 100 * (value / lowest - 1) >= alpha:
            return t
    return len(val_losses) - 1


def _previous_value(val_losses, alpha):
    for t in range(1, len(val_losses)):
        if 100 * (val_losses[t] / val_losses[t - 1] - 1) > alpha:
            return t
    return len(val_losses) - 1


GL_STOP = Exercise(
    key="31.gl_stop", title="gl_stop",
    signature="gl_stop(val_losses: list[float], alpha: float) -> int",
    reference=gl_stop, make_cases=_gl_cases,
    task="""Prechelt's (1998) **generalisation loss** at evaluation t is the percentage by which the current
validation loss exceeds the lowest one seen *so far*:

`GL(t) = 100 · (E(t) / min_{t' ≤ t} E(t') − 1)`

Stop at the first evaluation whose GL is strictly greater than `alpha` (rule GL_α).

- `val_losses`: a list of positive floats, one per evaluation, in order; `alpha`: a float ≥ 0, in percent.
- Return an `int`: the index t at which training stops, or the last index `len(val_losses) − 1` if the rule
  never fires. Compared exactly.""",
    mistakes=[
        Mistake("global_min", "the minimum is over the evaluations seen *so far* (t' ≤ t): at step t you cannot "
                "know the future's lowest loss.", _global_min),
        Mistake("fraction_not_percent", "GL is in percent: multiply the relative excess by 100 before comparing "
                "it with alpha.", _fraction_not_percent),
        Mistake("returns_best", "return where training *stops*, not the best evaluation before it (that is the "
                "checkpoint you would restore).", _returns_best),
        Mistake("at_least", "the rule fires when GL is strictly greater than alpha.", _at_least),
        Mistake("previous_value", "compare with the lowest loss so far, not with the previous evaluation: a "
                "slow, steady rise must also stop training.", _previous_value),
    ])


def noise_scale(sq_norm_small: float, sq_norm_big: float, b_small: int, b_big: int) -> float:
    """B_simple = tr(Σ)/|G|² from E|G_B|² = |G|² + tr(Σ)/B measured at two batch sizes."""
    true_sq = (b_big * sq_norm_big - b_small * sq_norm_small) / (b_big - b_small)
    variance = (sq_norm_small - sq_norm_big) / (1 / b_small - 1 / b_big)
    return variance / true_sq


def _noise_cases(g):
    cases = []
    for g_sq, trace, b_small, b_big in ((0.5, 40.0, 32, 1024), (2.0, 10.0, 8, 64), (0.01, 3.0, 1, 512),
                                        (1.0, 1.0, 16, 32)):
        jitter = 1 + 0.05 * float(torch.rand((), generator=g))
        cases.append({"sq_norm_small": (g_sq + trace / b_small) * jitter, "sq_norm_big": g_sq + trace / b_big,
                      "b_small": b_small, "b_big": b_big})
    return cases


def _uncorrected(sq_norm_small, sq_norm_big, b_small, b_big):
    return (sq_norm_small - sq_norm_big) / (1 / b_small - 1 / b_big) / sq_norm_big


def _sizes_swapped(sq_norm_small, sq_norm_big, b_small, b_big):
    return noise_scale(sq_norm_small, sq_norm_big, b_big, b_small)


def _inverse(sq_norm_small, sq_norm_big, b_small, b_big):
    return 1 / noise_scale(sq_norm_small, sq_norm_big, b_small, b_big)


def _plain_difference(sq_norm_small, sq_norm_big, b_small, b_big):
    true_sq = (b_big * sq_norm_big - b_small * sq_norm_small) / (b_big - b_small)
    return (sq_norm_small - sq_norm_big) / true_sq


NOISE_SCALE = Exercise(
    key="31.noise_scale", title="noise_scale",
    signature="noise_scale(sq_norm_small, sq_norm_big, b_small, b_big) -> float",
    reference=noise_scale, make_cases=_noise_cases, rtol=1e-6,
    task="""The gradient noise scale from two batch sizes (McCandlish et al., 2018, appendix A.1). A mean
gradient over a batch of B examples has expected squared norm `E|G_B|² = |G|² + tr(Σ)/B`. Given the measured
`|G_B|²` at a small and a big batch size, solve these two equations for the two unknowns `|G|²` and `tr(Σ)`,
and return `B_simple = tr(Σ) / |G|²`.

- `sq_norm_small`, `sq_norm_big`: positive floats, `|G_B|²` measured at `b_small` and at `b_big`;
- `b_small < b_big`: positive ints.
- Return a float.""",
    mistakes=[
        Mistake("uncorrected", "the big batch's |G_B|² still contains tr(Σ)/b_big: solve for |G|² from both "
                "measurements, (b_big·|G_big|² − b_small·|G_small|²)/(b_big − b_small).", _uncorrected),
        Mistake("sizes_swapped", "b_small belongs to sq_norm_small (the larger, noisier norm).", _sizes_swapped),
        Mistake("inverse", "B_simple is tr(Σ)/|G|² (noise over signal), not |G|²/tr(Σ).", _inverse),
        Mistake("plain_difference", "the difference |G_small|² − |G_big|² equals tr(Σ)·(1/b_small − 1/b_big): "
                "divide by that factor to get tr(Σ).", _plain_difference),
    ])

EXERCISES = [GL_STOP, NOISE_SCALE]

QUIZ = Quiz([
    Question("31.q1", "The common answer says SGD “converges fast but may need a large batch size”. What do "
                      "Labs 1–2 show about batch size?", (
        Option("SGD needs a large batch to converge at all", False,
               "Per example seen, the batch of 32 did best in Lab 1; nothing about SGD requires a large batch."),
        Option("A larger batch always reaches a lower loss per epoch", False,
               "At a fixed lr, larger batches were far worse after the same examples; with linear scaling they "
               "were close, up to the largest."),
        Option("It pays only with a scaled lr, and only up to about B_simple", True,
               "With the learning rate scaled in proportion, larger batches match the loss in fewer steps, until "
               "the batch nears the gradient noise scale."),
    ), misconception=True),
    Question("31.q2", "The measured B_simple grew during training (Lab 2). Why?", (
        Option("|G|² falls; the per-example variance does not", True,
               "As the loss falls the true gradient shrinks while examples still disagree: Lab 2 measured |G|² "
               "0.247 → 0.086 while tr(Σ) rose 47.8 → 66.8, so tr(Σ)/|G|² rose."),
        Option("The learning rate was scaled up during the run", False, "B_simple is a property of the gradients at θ, not of the lr."),
        Option("The model memorises its training batches as it goes", False,
               "One epoch of 3,000 lines is far from memorisation; the effect is the shrinking true gradient."),
    )),
    Question("31.q3", "Why is the loss-surface slice of Lab 3 taken along a *filter-normalised* direction?", (
        Option("To make the slice pass through the trained weights", False, "Every slice passes through θ at α = 0."),
        Option("So that weight rescalings cannot fake sharpness", True,
               "A ReLU net's weights can be rescaled without changing its function (Dinh et al., 2017); scaling "
               "each row of d to the row of θ removes that effect."),
        Option("Because raw random directions leave the loss unchanged", False,
               "They change the loss; without normalisation they change small-weight layers far more."),
    )),
    Question("31.q4", "Early stopping by patience 5: what do you keep at the end?", (
        Option("The weights at the stopping step", False,
               "Those are 5 evaluations past the best; Lab 4 restores the best checkpoint."),
        Option("The weights at the best validation loss", True,
               "Patience only decides *when* to stop; the model you keep is the best one seen."),
        Option("The weights with the lowest training loss", False,
               "The training loss is lowest at the end, when the model over-fits most (Lab 4)."),
    )),
])
