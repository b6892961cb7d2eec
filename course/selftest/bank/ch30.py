"""Self-test of chapter 30: the expected calibration error, and RetinaNet's binary focal loss."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def ece(probs: torch.Tensor, targets: torch.Tensor, n_bins: int = 10) -> float:
    """Count-weighted mean of |accuracy − confidence| over equal-width, right-closed confidence bins."""
    top, guess = probs.max(dim=1)
    right = (guess == targets).double()
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)
    bin_of = torch.bucketize(top.double(), edges[1:-1])
    total = 0.0
    for b in range(n_bins):
        members = bin_of == b
        if members.any():
            gap = right[members].mean() - top.double()[members].mean()
            total += float(members.double().mean() * gap.abs())
    return total


def _probs(g, n, c, sharpness):
    return (torch.randn(n, c, generator=g) * sharpness).softmax(-1)


def _ece_cases(g):
    cases = []
    for n, c, sharp, bins in ((200, 5, 3.0, None), (500, 10, 1.0, 15), (50, 3, 6.0, 4), (300, 2, 2.0, 1)):
        probs = _probs(g, n, c, sharp)
        # labels drawn from a sharper version of the model's belief: over-confident in some bins,
        # under-confident in others
        targets = torch.multinomial(probs ** 0.7 / (probs ** 0.7).sum(-1, keepdim=True), 1, generator=g).squeeze(1)
        case = {"probs": probs, "targets": targets}
        if bins is not None:
            case["n_bins"] = bins
        cases.append(case)
    return cases


def _unweighted(probs, targets, n_bins=10):
    top, guess = probs.max(1)
    which = torch.bucketize(top, torch.linspace(0, 1, n_bins + 1)[1:-1])
    gaps = [((guess == targets).float()[which == b].mean() - top[which == b].mean()).abs()
            for b in range(n_bins) if (which == b).any()]
    return float(torch.stack(gaps).mean())


def _true_class_prob(probs, targets, n_bins=10):
    conf = probs.gather(1, targets[:, None]).squeeze(1)
    right = (probs.argmax(1) == targets).float()
    which = torch.bucketize(conf, torch.linspace(0, 1, n_bins + 1)[1:-1])
    return float(sum((which == b).float().mean() * (right[which == b].mean() - conf[which == b].mean()).abs()
                     for b in range(n_bins) if (which == b).any()))


def _no_abs(probs, targets, n_bins=10):
    top, guess = probs.max(1)
    which = torch.bucketize(top, torch.linspace(0, 1, n_bins + 1)[1:-1])
    return float(sum((which == b).float().mean() * ((guess == targets).float()[which == b].mean() - top[which == b].mean())
                     for b in range(n_bins) if (which == b).any())).__abs__()


ECE = Exercise(
    key="30.ece", title="ece",
    signature="ece(probs (N, C), targets (N,), n_bins=10) -> float",
    reference=ece, make_cases=_ece_cases,
    task="""The expected calibration error of the **top-1** prediction.

1. For each example take the confidence `conf = max_c probs[c]` and the prediction `argmax_c probs[c]`;
   `correct` is whether the prediction equals the target.
2. Split [0, 1] into `n_bins` equal-width bins, closed on the right: `(lo, hi]`, the first one `[0, hi]`
   (`torch.bucketize(conf, edges[1:-1])` with `edges = torch.linspace(0, 1, n_bins + 1)` does exactly this).
3. `ECE = Σ over non-empty bins of (n_b / N) · |mean(correct in b) − mean(conf in b)|`.

- `probs`: float32 `(N, C)`, rows sum to 1; `targets`: int64 `(N,)`; `n_bins`: int ≥ 1 (the checks use 1, 4, 10, 15).
- Return a Python float (or a 0-dim tensor).""",
    mistakes=[
        Mistake("unweighted", "weight each bin's gap by its share of the examples, n_b / N; a plain mean over bins "
                "lets a bin of 3 examples count as much as one of 300.", _unweighted),
        Mistake("true_class_prob", "the confidence is the probability of the *predicted* class (the max), not of "
                "the true class.", _true_class_prob),
        Mistake("no_abs", "take |accuracy − confidence| in every bin before summing: over-confident and "
                "under-confident bins must not cancel (without |·| the weighted sum is just overall accuracy − mean "
                "confidence).", _no_abs),
    ])


def binary_focal_loss(logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0,
                      alpha: float = 0.25) -> torch.Tensor:
    """Mean over examples of −α_t (1 − p_t)^γ log p_t with a sigmoid per example (Lin et al., 2017)."""
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")      # −log p_t, stable
    p_t = torch.exp(-ce)
    alpha_t = torch.where(targets == 1, alpha, 1 - alpha)
    return (alpha_t * (1 - p_t) ** gamma * ce).mean()


def _focal_cases(g):
    cases = []
    for n, scale, gamma, alpha in ((64, 2.0, 2.0, 0.25), (100, 5.0, 1.0, 0.5), (40, 1.0, 0.0, 0.75),
                                   (80, 8.0, 3.0, 0.1)):
        case = {"logits": torch.randn(n, generator=g) * scale,
                "targets": (torch.rand(n, generator=g) < 0.3).float()}
        if gamma != 2.0:
            case["gamma"] = gamma
        if alpha != 0.25:
            case["alpha"] = alpha
        cases.append(case)
    # saturated logits: sigmoid(25) is exactly 1.0 in float32, so log(sigmoid(·)) gives log 0 = −inf here
    cases.append({"logits": torch.tensor([25.0, -25.0, 20.0]), "targets": torch.tensor([0.0, 1.0, 0.0])})
    return cases


def _naive_log_sigmoid(logits, targets, gamma=2.0, alpha=0.25):
    p = torch.sigmoid(logits)
    p_t = torch.where(targets == 1, p, 1 - p)
    alpha_t = torch.where(targets == 1, alpha, 1 - alpha)
    return (-alpha_t * (1 - p_t) ** gamma * torch.log(p_t)).mean()


def _alpha_swapped(logits, targets, gamma=2.0, alpha=0.25):
    return binary_focal_loss(logits, targets, gamma, 1 - alpha)


def _p_not_p_t(logits, targets, gamma=2.0, alpha=0.25):
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    alpha_t = torch.where(targets == 1, alpha, 1 - alpha)
    return (alpha_t * (1 - torch.sigmoid(logits)) ** gamma * ce).mean()


def _no_alpha(logits, targets, gamma=2.0, alpha=0.25):
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    return ((1 - torch.exp(-ce)) ** gamma * ce).mean()


def _summed(logits, targets, gamma=2.0, alpha=0.25):
    return binary_focal_loss(logits, targets, gamma, alpha) * logits.shape[0]


def _p_t_power(logits, targets, gamma=2.0, alpha=0.25):
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    alpha_t = torch.where(targets == 1, alpha, 1 - alpha)
    return (alpha_t * torch.exp(-ce) ** gamma * ce).mean()


BINARY_FOCAL = Exercise(
    key="30.binary_focal", title="binary_focal_loss",
    signature="binary_focal_loss(logits (N,), targets (N,), gamma=2.0, alpha=0.25) -> scalar",
    reference=binary_focal_loss, make_cases=_focal_cases,
    task="""Focal loss as in RetinaNet (Lin et al., 2017): one sigmoid per example instead of a softmax.

With `p = sigmoid(logit)`, let `p_t = p` for a positive (target 1) and `1 − p` for a negative (target 0),
and `α_t = alpha` for a positive and `1 − alpha` for a negative. Return the **mean** over the N examples of

`−α_t · (1 − p_t)^γ · log(p_t)`

- `logits`: float32 `(N,)`, any size (the checks go up to |logit| ≈ 25: compute `−log p_t` stably, e.g. with
  `F.binary_cross_entropy_with_logits(..., reduction="none")`, not `torch.log(torch.sigmoid(...))`);
- `targets`: float32 `(N,)` of 0.0 and 1.0; `gamma` ≥ 0 (0 gives α-weighted cross-entropy); `alpha` in [0, 1].
- Return a 0-dim float32 tensor.""",
    mistakes=[
        Mistake("alpha_swapped", "α weights the positives (target 1) and 1 − α the negatives.", _alpha_swapped),
        Mistake("p_not_p_t", "the modulating factor uses p_t, the probability of the *true* label: for a "
                "negative that is 1 − sigmoid(logit).", _p_not_p_t),
        Mistake("no_alpha", "multiply by α_t as well (alpha for positives, 1 − alpha for negatives).", _no_alpha),
        Mistake("summed", "return the mean over the examples, not the sum.", _summed),
        Mistake("p_t_power", "the factor is (1 − p_t)^γ: it shrinks the loss of examples that are already "
                "right (p_t near 1), not of the wrong ones.", _p_t_power),
        Mistake("naive_log_sigmoid", "torch.log(torch.sigmoid(z)) is −inf once sigmoid rounds to 0 or 1 (|z| ≳ 17 "
                "in float32): take −log p_t from F.binary_cross_entropy_with_logits, which is stable.",
                _naive_log_sigmoid),
    ])

EXERCISES = [ECE, BINARY_FOCAL]

QUIZ = Quiz([
    Question("30.q1", "The common answer says cross-entropy gives good generalization on training and "
                      "validation data. What does Lab 1 show about plain cross-entropy?", (
        Option("Its optimum is an infinite gap between the logits", True,
               "p − one_hot(y) is never zero, so training keeps raising the correct logit; Lab 1's gap keeps "
               "growing, and Lab 2's plain classifier ends up over-confident on new data."),
        Option("Its optimum is a finite logit gap, as with smoothing", False,
               "Only the *smoothed* loss has a finite optimum gap, log((1 − ε + ε/C)/(ε/C)); with ε = 0 the "
               "gradient p − one_hot(y) is never zero and Lab 1's gap keeps growing."),
        Option("It is convex in the weights, so it converges", False,
               "It is convex in the logits only; a network makes it non-convex in the weights."),
    ), misconception=True),
    Question("30.q2", "After temperature scaling with T > 1, which of these changes?", (
        Option("The accuracy", False, "Dividing all logits by T keeps every argmax: Lab 2 checks it."),
        Option("The ranking of classes per example", False, "A positive T keeps the order of the logits."),
        Option("The confidence and the ECE", True,
               "Probabilities become less peaked; Lab 2 measures a lower ECE at unchanged predictions."),
    )),
    Question("30.q3", "A model has 90 % accuracy and 90 % mean confidence. Is it calibrated?", (
        Option("Yes: its accuracy equals its mean confidence", False,
               "That is ECE with one bin; per bin, over- and under-confidence can cancel (the `no_abs` "
               "mistake of exercise 1)."),
        Option("Not necessarily: compare accuracy and confidence per bin", True,
               "ECE compares accuracy and confidence within each confidence bin, weighted by bin size."),
        Option("No, calibration needs 100 % accuracy", False,
               "A calibrated model may be wrong often, as long as its confidence says how often."),
    )),
    Question("30.q4", "In Lab 3, what did focal loss (γ = 2) do compared with plain cross-entropy?", (
        Option("It ranked positives far better", False,
               "Its average precision stays close to cross-entropy's in the run: the ranking barely moves."),
        Option("It moved weight off the easy examples", True,
               "The easy examples' share of the loss falls sharply, so the rare hard ones drive training; "
               "recall at the default threshold rises, calibration gets worse."),
        Option("It made probabilities better calibrated", False,
               "Down-weighting confident examples rewards less confident predictions: its ECE is the highest."),
    )),
])
