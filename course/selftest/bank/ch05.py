"""Self-test of chapter 5: DropConnect as a function, and early stopping with patience and a minimum improvement."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def drop_connect_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, keep: torch.Tensor,
                        p: float, training: bool) -> torch.Tensor:
    """Training: y = x (keep ⊙ W / (1 − p))ᵀ + b; evaluation: y = x Wᵀ + b."""
    if training:
        weight = weight * keep / (1 - p)
    return x @ weight.t() + bias


def _dc_cases(g):
    cases = []
    for batch, n_in, n_out, p, training in ((3, 5, 2, 0.3, False), (3, 5, 4, 0.5, True),
                                            (2, 6, 3, 0.2, True), (4, 4, 4, 0.7, True)):
        cases.append({"x": torch.randn(batch, n_in, generator=g), "weight": torch.randn(n_out, n_in, generator=g),
                      "bias": torch.randn(n_out, generator=g),
                      "keep": torch.rand(n_out, n_in, generator=g) >= p, "p": p, "training": training})
    return cases


def _no_rescale(x, weight, bias, keep, p, training):
    return x @ (weight * keep if training else weight).t() + bias


def _scale_by_p(x, weight, bias, keep, p, training):
    return x @ (weight * keep / p if training else weight).t() + bias


def _mask_at_eval(x, weight, bias, keep, p, training):
    return x @ (weight * keep / (1 - p)).t() + bias


def _old_style(x, weight, bias, keep, p, training):
    return x @ (weight * keep if training else weight * (1 - p)).t() + bias


def _drop_inputs(x, weight, bias, keep, p, training):
    return (x * keep[0] / (1 - p) if training else x) @ weight.t() + bias


def _bias_scaled(x, weight, bias, keep, p, training):
    if not training:
        return x @ weight.t() + bias
    return (x @ (weight * keep).t() + bias) / (1 - p)


DROP_CONNECT = Exercise(
    key="05.drop_connect", title="drop_connect_linear",
    signature="drop_connect_linear(x, weight, bias, keep, p, training) -> tensor (B, out)",
    reference=drop_connect_linear, make_cases=_dc_cases,
    task="""A linear layer with DropConnect (Wan et al., 2013): in training, each **weight** is kept or
dropped (the mask is given, so the check is deterministic), and the kept weights are divided by `1 − p`.

- training: `y = x · (keep ⊙ weight / (1 − p))ᵀ + bias`
- evaluation (`training=False`): `y = x · weightᵀ + bias` — the mask is ignored.

The bias is never dropped or rescaled.

- `x`: float32 `(B, in)`; `weight`: float32 `(out, in)`; `bias`: float32 `(out,)`;
  `keep`: bool `(out, in)`, True = the weight takes part; `p`: the drop probability, a float in [0, 1);
  `training`: bool.
- Return a float32 tensor `(B, out)`; do not modify the inputs.""",
    mistakes=[
        Mistake("no_rescale", "divide the kept weights by 1 − p in training (inverted scaling): otherwise "
                "outputs are smaller in training than at evaluation.", _no_rescale),
        Mistake("scale_by_p", "p is the probability of *dropping*; the kept fraction is 1 − p, so divide by "
                "1 − p.", _scale_by_p),
        Mistake("mask_at_eval", "at evaluation (`training=False`) use all the weights, unmasked and unscaled.",
                _mask_at_eval),
        Mistake("old_style", "with inverted scaling the division happens in training and evaluation uses W as "
                "it is; scaling W by (1 − p) at evaluation is the original 2014 convention.", _old_style),
        Mistake("drop_inputs", "that drops inputs (whole columns of W), which is dropout. DropConnect masks each "
                "weight with its own entry of `keep` (out, in).", _drop_inputs),
        Mistake("bias_scaled", "only the weights are masked and rescaled; add the bias as it is.", _bias_scaled),
    ])


def early_stop(losses: list, patience: int, min_delta: float = 0.0) -> int:
    """Index of the evaluation whose weights early stopping keeps."""
    best, waited = 0, 0
    for i in range(1, len(losses)):
        if losses[i] < losses[best] - min_delta:
            best, waited = i, 0
            continue
        waited += 1
        if waited >= patience:
            break
    return best


def _stop_cases(g):
    def noisy(values):
        return [round(v + 0.01 * float(torch.randn((), generator=g)), 4) for v in values]
    u_shape = [4.4, 3.7, 3.3, 3.2, 3.15, 3.2, 3.3, 3.4, 3.5, 3.7]
    second_dip = [4.0, 3.5, 3.6, 3.7, 3.3, 3.2, 3.4, 3.5, 3.6, 3.7]      # a lower point after a 2-step rise
    creeping = [4.0, 3.0, 2.99, 2.985, 2.98, 2.975, 3.1, 3.2, 2.5]         # tiny gains, then a late dip
    late_drop = [4.0, 3.5, 3.6, 3.7, 3.8, 3.0]                            # the lowest point comes too late
    return [{"losses": late_drop, "patience": 2},
            {"losses": noisy(u_shape), "patience": 3},
            {"losses": second_dip, "patience": 2},
            {"losses": second_dip, "patience": 3},
            {"losses": creeping, "patience": 2, "min_delta": 0.02},
            {"losses": [3.0, 3.0, 2.9, 2.9, 2.9, 2.8], "patience": 3},          # ties are not improvements
            {"losses": [5.0, 4.0, 3.0, 2.0], "patience": 1},
            {"losses": [3.0, 2.9, 2.9, 2.9, 2.9, 3.5], "patience": 2},               # a tie is no improvement
            {"losses": [3.0, 2.0, 2.5, 2.4, 2.3, 1.9, 2.6, 2.7, 2.8, 1.0], "patience": 2}]   # falls, not below best


def _global_min(losses, patience, min_delta=0.0):
    return min(range(len(losses)), key=losses.__getitem__)


def _off_by_one(losses, patience, min_delta=0.0):
    return early_stop(losses, patience + 1, min_delta)


def _no_delta(losses, patience, min_delta=0.0):
    return early_stop(losses, patience)


def _ties_improve(losses, patience, min_delta=0.0):
    best, waited = 0, 0
    for i in range(1, len(losses)):
        if losses[i] <= losses[best] - min_delta:
            best, waited = i, 0
        else:
            waited += 1
            if waited >= patience:
                break
    return best


def _stop_index(losses, patience, min_delta=0.0):
    best, waited = 0, 0
    for i in range(1, len(losses)):
        if losses[i] < losses[best] - min_delta:
            best, waited = i, 0
        else:
            waited += 1
            if waited >= patience:
                return i
    return len(losses) - 1


def _vs_previous(losses, patience, min_delta=0.0):
    best, waited = 0, 0
    for i in range(1, len(losses)):
        if losses[i] < losses[i - 1] - min_delta:
            waited = 0
            if losses[i] < losses[best]:
                best = i
        else:
            waited += 1
            if waited >= patience:
                break
    return best


EARLY_STOPPING = Exercise(
    key="05.early_stopping", title="early_stop",
    signature="early_stop(losses, patience, min_delta=0.0) -> int",
    reference=early_stop, make_cases=_stop_cases,
    task="""Replay early stopping on a validation curve and return the **index** of the evaluation whose
weights are kept.

- `losses`: a list of floats, one validation loss per evaluation (index 0 is the first evaluation).
- An evaluation *improves* when its loss is below the best loss so far by **more than** `min_delta`
  (`loss < best − min_delta`; an equal loss is not an improvement).
- Count the evaluations in a row without improvement; when the count reaches `patience` (an int ≥ 1),
  training stops there and later losses are never seen.
- Return the index (a Python int) of the best evaluation seen before stopping; if patience never runs
  out, the best over the whole list.""",
    mistakes=[
        Mistake("off_by_one", "stop when the number of evaluations in a row without improvement *reaches* "
                "`patience`, not when it exceeds it.", _off_by_one),
        Mistake("global_min", "early stopping never sees the losses after it stops: a lower point after "
                "`patience` evaluations without improvement must not be chosen.", _global_min),
        Mistake("no_delta", "an improvement must beat the best by more than `min_delta`; smaller gains count "
                "as no improvement.", _no_delta),
        Mistake("ties_improve", "an equal loss is not an improvement: use a strict `<`.", _ties_improve),
        Mistake("stop_index", "return the index of the best evaluation (the weights you keep), not the "
                "index where training stopped.", _stop_index),
        Mistake("vs_previous", "compare each loss with the best so far, not with the previous loss.", _vs_previous),
    ])

EXERCISES = [DROP_CONNECT, EARLY_STOPPING]

QUIZ = Quiz([
    Question("05.q1", "The common answer lists “Dropout Connection: randomly dropping connections in "
                      "self-attention”. What does a GPT-style Transformer actually drop in training?", (
        Option("Individual weights of the Q, K, V matrices, as DropConnect does", False,
               "That is DropConnect (Wan et al., 2013); Transformers do not use it (Lab 2)."),
        Option("Attention weights, sub-layer outputs and the embedding sum", True,
               "Attention dropout after the softmax, residual dropout on each sub-layer's output, and "
               "dropout on token + position embeddings — the sites Lab 2 lists."),
        Option("Whole attention heads, chosen afresh at every layer", False,
               "Dropping heads has been studied, but it is not what GPT-2, BERT or the 2017 Transformer do."),
    ), misconception=True),
    Question("05.q2", "A layer with inverted dropout p = 0.2 is evaluated (`model.eval()`). Its activations are…", (
        Option("…multiplied by 0.8, the keep probability", False,
               "That is the original 2014 convention, where training did not rescale. Inverted dropout "
               "divides by 1 − p in training instead."),
        Option("…passed through unchanged", True,
               "The rescaling happened in training; Lab 1 checks that nn.Dropout in eval mode is the identity."),
        Option("…divided by 0.8 to match the training scale", False,
               "The division by 1 − p is applied to the kept activations during training, not at evaluation."),
    )),
    Question("05.q3", "Adam with an L2 term λθ added to the gradient, versus AdamW with the same λ. What does "
                      "Lab 4 measure?", (
        Option("The same result: L2 in the loss and weight decay are one rule", False,
               "They are one rule for plain SGD only; Lab 4 shows Adam + L2 and AdamW ending far apart."),
        Option("L2 in Adam decays every weight more strongly", False,
               "It decays the idle weight far more, but removes almost nothing from the busy one (Lab 4 "
               "compares each with its no-decay twin)."),
        Option("Adam divides λθ by √v̂, so busy weights are barely decayed", True,
               "The penalty is normalised with the rest of the gradient; AdamW applies the decay outside "
               "Adam, the same for every weight."),
    )),
    Question("05.q4", "The common answer lists Layer Normalization as a regularizer. What is right?", (
        Option("Like BatchNorm, its batch statistics add noise that regularizes", False,
               "LayerNorm normalizes each token over its own features, so no other example enters and no "
               "batch noise arises; BatchNorm's mild regularizing noise comes from batch statistics."),
        Option("It speeds up optimization; it is not a regularizer", True,
               "It normalizes each token's features (Ba et al., 2016); it is kept in models trained with "
               "no regularization at all."),
        Option("It bounds the weights, like a norm penalty", False,
               "LayerNorm normalizes activations, not weights, and has a learned gain and bias."),
    )),
    Question("05.q5", "On the unregularized run of Lab 3, early stopping with a patience of 3 evaluations…", (
        Option("…stops at the first rise and keeps the last weights it saw", False,
               "It waits `patience` evaluations, and keeps the weights of the best evaluation, not the last."),
        Option("…keeps the weights of step 80, where training stopped", False,
               "Step 80 is where patience ran out; the weights kept are those of the best evaluation."),
        Option("…keeps the weights of step 50, its lowest validation loss", True,
               "Lab 3 prints the step it keeps and the loss there, far below the loss at step 150."),
    )),
])
