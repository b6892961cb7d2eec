"""Self-test of chapter 35: z-loss, and per-token averaging across gradient-accumulation micro-batches."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


# ---- exercise 1: z-loss ----------------------------------------------------------------------------
def z_loss_penalty(logits: torch.Tensor, mask: torch.Tensor, coefficient: float) -> torch.Tensor:
    """coefficient · mean over the masked positions of (log Σ_v exp z_v)²."""
    normalizer = torch.logsumexp(logits, dim=-1)                 # log Z per position, (B, T)
    return coefficient * normalizer.square()[mask].mean()


def _z_cases(g):
    cases = []
    for b, t, v, scale, shift, coefficient in ((2, 5, 7, 1.0, 0.0, 1e-2), (3, 4, 6, 2.0, 3.0, 0.5),
                                                (2, 6, 5, 1.0, -4.0, 1e-4), (2, 3, 9, 80.0, 10.0, 1e-3)):
        mask = torch.rand(b, t, generator=g) > 0.3
        mask[0, 0], mask[-1, -1] = True, False
        cases.append({"logits": torch.randn(b, t, v, generator=g) * scale + shift, "mask": mask,
                      "coefficient": coefficient})
    return cases


def _log_z(logits):
    return torch.logsumexp(logits, -1)


def _not_squared(logits, mask, coefficient):
    return coefficient * _log_z(logits).abs()[mask].mean()


def _unmasked(logits, mask, coefficient):
    return coefficient * (_log_z(logits) ** 2).mean()


def _max_logit(logits, mask, coefficient):
    return coefficient * (logits.amax(-1) ** 2)[mask].mean()


def _logit_l2(logits, mask, coefficient):
    return coefficient * (logits ** 2).sum(-1)[mask].mean()


def _summed(logits, mask, coefficient):
    return coefficient * (_log_z(logits) ** 2)[mask].sum()


def _no_coefficient(logits, mask, coefficient):
    return (_log_z(logits) ** 2)[mask].mean()


def _naive(logits, mask, coefficient):
    return coefficient * (logits.exp().sum(-1).log() ** 2)[mask].mean()


Z_LOSS = Exercise(
    key="35.z_loss", title="z-loss",
    signature="z_loss_penalty(logits (B, T, V), mask (B, T), coefficient) -> 0-dim tensor",
    reference=z_loss_penalty, make_cases=_z_cases,
    task="""The auxiliary loss of PaLM (Chowdhery et al., 2022) that pulls the log of the softmax normalizer toward 0:

- at each position, `log Z = log Σ_v exp(logits[b, t, v])` — compute it stably (one test case has logits
  of size ~80; `torch.logsumexp` is fine);
- the penalty is `coefficient · mean of (log Z)²` over the positions where `mask` is True (True = a real,
  scored token).

`logits`: float32 `(B, T, V)`; `mask`: bool `(B, T)`; `coefficient`: a float ≥ 0. Return a 0-dim float32
tensor (it is added to the cross-entropy before `backward()`).""",
    mistakes=[
        Mistake("not_squared", "the penalty is the SQUARE of log Z, (log Z)², not its absolute value.",
                _not_squared),
        Mistake("unmasked", "average only over the positions where `mask` is True: padding has no loss.",
                _unmasked),
        Mistake("max_logit", "log Z is the log-sum-exp of the logits, not their maximum.", _max_logit),
        Mistake("logit_l2", "z-loss penalizes (log Z)², one number per position, not the squared logits "
                "themselves.", _logit_l2),
        Mistake("summed", "take the mean over the masked positions, not the sum.", _summed),
        Mistake("no_coefficient", "multiply by `coefficient`.", _no_coefficient),
        Mistake("naive", "`log(sum(exp(z)))` overflows for large logits: use `torch.logsumexp` (the maximum "
                "subtracted first).", _naive),
    ])


# ---- exercise 2: per-token mean across micro-batches -------------------------------------------------
def accumulation_losses(token_losses: list[torch.Tensor], masks: list[torch.Tensor]) -> list[torch.Tensor]:
    """One loss per micro-batch; their sum is the per-token mean of the whole batch."""
    total_real = sum(m.sum() for m in masks)
    return [(losses * m).sum() / total_real for losses, m in zip(token_losses, masks)]


def _acc_cases(g):
    # A fixed case first, on which each planted mistake gives its own losses, so that each is caught by its
    # own hint at every seed: micro-batches and rows with different numbers of real tokens.
    m1 = torch.tensor([[True, True, True, False], [True, False, False, False]])
    m2 = torch.tensor([[True, True, True], [True, True, False], [True, True, True]])
    cases = [{"token_losses": [torch.tensor([[1.0, 2.0, 3.0, 0.7], [4.0, 1.5, 0.5, 2.0]]) * m1,
                               torch.tensor([[0.5, 1.0, 1.5], [2.0, 3.0, 1.0], [0.2, 0.4, 0.6]]) * m2],
              "masks": [m1, m2]}]
    for sizes in (((2, 5), (2, 3)), ((3, 4), (1, 6), (2, 2)), ((2, 6), (2, 6)), ((1, 3), (4, 5), (2, 7), (1, 2))):
        losses, masks = [], []
        for b, t in sizes:
            m = torch.rand(b, t, generator=g) > 0.35
            m[0, 0] = True
            losses.append(torch.rand(b, t, generator=g) * 5 * m)        # 0 at padding, like reduction="none"
            masks.append(m)
        cases.append({"token_losses": losses, "masks": masks})
    return cases


def _mean_of_means(token_losses, masks):
    k = len(masks)
    return [(losses * m).sum() / m.sum() / k for losses, m in zip(token_losses, masks)]


def _means(token_losses, masks):
    return [(losses * m).sum() / m.sum() for losses, m in zip(token_losses, masks)]


def _padding_counted(token_losses, masks):
    total = sum(m.numel() for m in masks)
    return [(losses * m).sum() / total for losses, m in zip(token_losses, masks)]


def _per_sequence(token_losses, masks):
    rows = sum(m.shape[0] for m in masks)
    return [((losses * m).sum(1) / m.sum(1).clamp(min=1)).sum() / rows for losses, m in zip(token_losses, masks)]


def _sums(token_losses, masks):
    return [(losses * m).sum() for losses, m in zip(token_losses, masks)]


ACCUMULATION = Exercise(
    key="35.accumulation", title="accumulation_losses",
    signature="accumulation_losses(token_losses: list[(B_i, T_i)], masks: list[(B_i, T_i)]) -> list[0-dim]",
    reference=accumulation_losses, make_cases=_acc_cases,
    task="""A batch is split into k micro-batches. For micro-batch i you have its per-token losses
`token_losses[i]` (float32 `(B_i, T_i)`, as `reduction="none"` gives them: 0 at padding) and its mask
`masks[i]` (bool, same shape, True on real target tokens). Shapes differ between micro-batches.

Each micro-batch will be backpropagated on its own and the gradients added up. Return the list of k 0-dim
float32 tensors — the loss to call `backward()` on for each micro-batch — such that **their sum equals
the per-token mean of the whole batch**: the sum of all real tokens' losses divided by the number of real
tokens in *all* micro-batches together.""",
    mistakes=[
        Mistake("mean_of_means", "each micro-batch's mean divided by k is a mean of means: micro-batches with "
                "few real tokens get too much weight. Divide each micro-batch's SUM by the total number of "
                "real tokens of all micro-batches.", _mean_of_means),
        Mistake("means", "added up, k micro-batch means are k times a loss, and a mean of means: divide each "
                "micro-batch's sum by the total number of real tokens.", _means),
        Mistake("padding_counted", "count only the real tokens (mask True) in the denominator, not every "
                "position.", _padding_counted),
        Mistake("per_sequence", "average per token, not per sequence.", _per_sequence),
        Mistake("sums", "divide by the number of real tokens of the whole batch.", _sums),
    ])

EXERCISES = [Z_LOSS, ACCUMULATION]

QUIZ = Quiz([
    Question("35.q1", "The common answer names cross-entropy as the stable choice. What does cross-entropy "
                      "leave free that z-loss pins down?", (
        Option("Nothing: the normalization Σ_v p_v = 1 already bounds each of the logits", False,
               "Adding c to all logits of a position leaves cross-entropy unchanged, so it cannot bound them; "
               "Lab 3 measures log Z climbing during training."),
        Option("log Z: adding one constant to a position's logits changes no loss", True,
               "z-loss adds coefficient·(log Z)² and pulls log Z toward 0: in Lab 3 it ends at 5.81 against "
               "7.14 without it; very large logits lose precision in bfloat16."),
        Option("The gradient norm ‖g‖, which z-loss clips at a threshold", False,
               "z-loss is a penalty added to the loss, not gradient clipping (chapter 7)."),
    ), misconception=True),
    Question("35.q2", "A batch holds a sentence of 5 target tokens and one of 50. With a mean per sentence "
                      "first, one token of the short sentence weighs…", (
        Option("…the same as one token of the long sentence, 1/55 each", False,
               "That is the per-token mean; per-sentence averaging gives each sentence, not each token, "
               "an equal share."),
        Option("…10 times as much as one token of the long sentence", True,
               "1/(2·5) against 1/(2·50): Lab 1's right panel draws these weights."),
        Option("…a tenth as much, since 5 tokens are a tenth of 50", False,
               "The short sentence's share is split among fewer tokens, so each weighs more, not less."),
    )),
    Question("35.q3", "A new training script reports a training loss far below usual, yet its correctly "
                      "measured held-out loss is the worst of all the runs; its batches hold no padding. "
                      "The likeliest bug?", (
        Option("The learning rate is far too low, so the model has barely trained", False,
               "A low learning rate keeps the training loss high; it cannot make it fall below usual."),
        Option("Padding scored as targets: the easy pad-after-pad predictions pull it down", False,
               "That does lower the reported loss (Lab 2), but these batches hold no padding to score."),
        Option("Targets not shifted: each position is scored on the token it just read", True,
               "Lab 2: the no-shift run learns to copy; it reports the lowest training loss and has the worst "
               "held-out loss."),
    )),
    Question("35.q4", "Gradient accumulation over 4 micro-batches holding different numbers of real tokens: "
                      "you backpropagate (micro-batch mean) / 4 for each. Compared with the full batch…", (
        Option("…the gradient is the same: a mean of means is a mean", False,
               "Only when every micro-batch holds the same number of real tokens."),
        Option("…tokens in sparse micro-batches get more weight", True,
               "Each micro-batch gets 1/4 of the weight whatever its token count; divide each micro-batch's "
               "sum by the total real tokens instead (exercise 2)."),
        Option("…it is the same once the gradients are clipped", False,
               "Clipping rescales the whole gradient; it cannot fix the relative weights of tokens."),
    )),
])
