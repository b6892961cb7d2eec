"""Self-test of chapter 22: one proximal L1 step, and the half-life of a weight under decoupled decay."""
from __future__ import annotations

import math

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def prox_l1_step(w: torch.Tensor, grad: torch.Tensor, lr: float, strength: float) -> torch.Tensor:
    """Gradient step on the loss alone, then soft-threshold by lr · strength."""
    stepped = w - lr * grad
    return torch.sign(stepped) * torch.clamp(stepped.abs() - lr * strength, min=0.0)


def _prox_cases(g):
    cases = []
    for shape, scale, lr, strength in (((4, 6), 0.1, 0.5, 0.05), ((10,), 1.0, 0.1, 2.0),
                                       ((3, 3), 0.01, 1.0, 0.004), ((5, 2), 0.5, 0.05, 1.0)):
        cases.append({"w": torch.randn(*shape, generator=g) * scale,
                      "grad": torch.randn(*shape, generator=g) * scale, "lr": lr, "strength": strength})
    return cases


def _subgradient(w, grad, lr, strength):
    return w - lr * (grad + strength * torch.sign(w))


def _unscaled_threshold(w, grad, lr, strength):
    stepped = w - lr * grad
    return torch.sign(stepped) * torch.clamp(stepped.abs() - strength, min=0.0)


def _threshold_first(w, grad, lr, strength):
    shrunk = torch.sign(w) * torch.clamp(w.abs() - lr * strength, min=0.0)
    return shrunk - lr * grad


def _no_sign(w, grad, lr, strength):
    return torch.clamp(w - lr * grad - lr * strength, min=0.0)


def _hard_threshold(w, grad, lr, strength):
    stepped = w - lr * grad
    return torch.where(stepped.abs() > lr * strength, stepped, torch.zeros_like(stepped))


def _l2_shrink(w, grad, lr, strength):
    return (w - lr * grad) * (1 - lr * strength)


PROX_L1 = Exercise(
    key="22.prox_l1", title="prox_l1_step",
    signature="prox_l1_step(w, grad, lr, strength) -> tensor like w",
    reference=prox_l1_step, make_cases=_prox_cases,
    task="""One step of proximal gradient descent (ISTA) on `loss + strength · Σ|w|`:

1. a plain gradient step on the loss alone: `v = w − lr · grad` (the L1 term is **not** in `grad`);
2. soft-threshold `v` by `lr · strength`: every entry moves towards 0 by `lr · strength`, and an entry
   whose magnitude is below that becomes exactly 0: `sign(v) · max(|v| − lr · strength, 0)`.

- `w`, `grad`: float32 tensors of the same (any) shape; `lr`, `strength`: positive floats.
- Return a new float32 tensor shaped like `w`; do not modify the inputs.""",
    mistakes=[
        Mistake("subgradient", "that is a (sub)gradient step on the L1 term, which jumps across 0 instead of "
                "stopping there. Take the gradient step on the loss alone, then soft-threshold.", _subgradient),
        Mistake("unscaled_threshold", "the threshold is `lr · strength`: the proximal step is as long as the "
                "gradient step that preceded it.", _unscaled_threshold),
        Mistake("threshold_first", "first the gradient step, then the soft threshold, applied to the result.",
                _threshold_first),
        Mistake("no_sign", "shrink the *magnitude*: negative entries move up towards 0, they are not cut to 0. "
                "Use sign(v) · max(|v| − t, 0).", _no_sign),
        Mistake("hard_threshold", "the surviving entries must also shrink by `lr · strength` (soft, not hard, "
                "thresholding).", _hard_threshold),
        Mistake("l2_shrink", "multiplying by (1 − lr · strength) is L2 weight decay: it never produces a 0.",
                _l2_shrink),
    ])


def half_life_steps(lr: float, weight_decay: float) -> int:
    """Smallest n with (1 − lr·λ)ⁿ ≤ 1/2."""
    return math.ceil(math.log(0.5) / math.log(1 - lr * weight_decay))


def _half_cases(g):
    return [{"lr": 0.25, "weight_decay": 2.0}, {"lr": 3e-3, "weight_decay": 3.0}, {"lr": 3e-3, "weight_decay": 30.0},
            {"lr": 6e-4, "weight_decay": 0.1}, {"lr": 0.1, "weight_decay": 2.0},
            {"lr": 1e-3, "weight_decay": 0.5}]


def _no_lr(lr, weight_decay):
    return math.ceil(math.log(0.5) / math.log(1 - min(weight_decay, 0.999)))


def _floor(lr, weight_decay):
    return math.floor(math.log(0.5) / math.log(1 - lr * weight_decay))


def _continuous(lr, weight_decay):
    return math.ceil(math.log(2) / (lr * weight_decay))


def _linear(lr, weight_decay):
    return math.ceil(0.5 / (lr * weight_decay))


HALF_LIFE = Exercise(
    key="22.half_life", title="half_life_steps",
    signature="half_life_steps(lr, weight_decay) -> int",
    reference=half_life_steps, make_cases=_half_cases,
    task="""Decoupled weight decay (AdamW) multiplies every weight by `(1 − lr · weight_decay)` at each step,
whatever the gradient does. Ignoring the gradient, after how many steps is a weight at most half its
initial size?

- `lr`, `weight_decay`: positive floats with `lr · weight_decay < 1`.
- Return the **smallest whole number of steps** `n` with `(1 − lr · weight_decay)ⁿ ≤ 1/2`, as a Python int
  (compared exactly).""",
    mistakes=[
        Mistake("no_lr", "the factor per step is (1 − lr · λ): the learning rate multiplies the decay.", _no_lr),
        Mistake("floor", "after ⌊·⌋ steps the weight is still above one half: round *up* to the first step at "
                "which it is at most one half.", _floor),
        Mistake("continuous", "ln 2 / (lr · λ) is the continuous-time approximation (e^(−lr·λ·n)); count the steps of the "
                "discrete product exactly (log of (1 − lr · λ), rounded up).", _continuous),
        Mistake("linear", "the decay compounds: each step removes lr · λ of what is *left*, not of the initial "
                "weight.", _linear),
    ])

EXERCISES = [PROX_L1, HALF_LIFE]

QUIZ = Quiz([
    Question("22.q1", "The common answer says regularization “evaluates generalization on a validation set, "
                      "avoiding overfitting”. What does a validation set do?", (
        Option("It regularizes training by showing the model unseen text", False,
               "The model is never trained on it; Lab 3 shows that evaluating leaves every weight unchanged."),
        Option("It measures overfitting; decisions taken from it prevent it", True,
               "Early stopping and the choice of a strength are such decisions (Labs 1 and 3)."),
        Option("It prevents overfitting if it is checked after every step", False,
               "Checking more often only measures more finely; evaluating changes no weight (Lab 3)."),
    ), misconception=True),
    Question("22.q2", "Which update leaves weights at exactly zero (Lab 2)?", (
        Option("L2 in the loss, once λ is large enough", False,
               "L2's pull λw fades as w shrinks: Lab 2 counts no exact zeros."),
        Option("L1 in the loss, followed by plain gradient steps", False,
               "The step of size lr·λ·sign(w) jumps across zero and back; Lab 2 counts no exact zeros."),
        Option("A gradient step, then a soft threshold of lr·λ", True,
               "The proximal step stops weights at zero; in Lab 2 every filler word's weight is exactly 0."),
    )),
    Question("22.q3", "In Lab 1's grid, the largest weight decay (no dropout) ends with training and validation "
                      "loss equal and high. That is…", (
        Option("…the ideal: no gap means no overfitting", False,
               "No gap, but both losses are far above what the lighter settings reach: the model cannot fit."),
        Option("…underfitting: the decay erases what the weights learn", True,
               "At that λ decay alone takes a weight below half within 10 steps (Lab 1 prints the factor), "
               "so it never holds what it learns."),
        Option("…overfitting to the validation set through early stopping", False,
               "The map shows the same at step 150 without early stopping; the cause is the decay itself."),
    )),
    Question("22.q4", "In Lab 1's grid, which number does the best setting improve most over no regularization?", (
        Option("The validation loss at the end of training", True,
               "At step 150 it falls by more than a nat from the unregularized corner (Lab 1 prints both), "
               "while the early-stopped loss moves by less than a tenth."),
        Option("The early-stopped validation loss", False,
               "Early stopping already captures most of what regularization offers here; compare the two maps."),
        Option("The training loss, which regularization lowers", False,
               "Regularization raises the training loss: it keeps the model from fitting the training set's accidents."),
    )),
])
