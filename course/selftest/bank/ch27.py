"""Self-test of chapter 27: inverted dropout in both modes, and label smoothing with padding ignored."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def inverted_dropout(x: torch.Tensor, keep: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Training: zero the dropped elements and divide the kept ones by 1 − p. Inference: the identity."""
    if not training:
        return x.clone()
    return torch.where(keep, x / (1.0 - p), torch.zeros_like(x))


def _dropout_cases(g):
    cases = []
    for shape, p, training in (((4, 6), 0.1, True), ((2, 3, 5), 0.5, True), ((8,), 0.25, False),
                               ((3, 4), 0.0, True), ((5, 2), 0.4, False)):
        x = torch.randn(*shape, generator=g)
        keep = torch.rand(*shape, generator=g) >= p
        cases.append({"x": x, "keep": keep, "p": p, "training": training})
    return cases


def _divide_by_p(x, keep, p, training):
    return x * keep / max(p, 1e-6) if training else x.clone()


def _no_rescale(x, keep, p, training):
    return x * keep if training else x.clone()


def _drop_at_inference(x, keep, p, training):
    return x * keep / (1.0 - p)


def _mask_inverted(x, keep, p, training):
    return x * (~keep) / (1.0 - p) if training else x.clone()


INVERTED_DROPOUT = Exercise(
    key="27.inverted_dropout", title="inverted_dropout",
    signature="inverted_dropout(x, keep, p, training) -> tensor like x",
    reference=inverted_dropout, make_cases=_dropout_cases,
    task="""Dropout as PyTorch's `nn.Dropout` computes it ("inverted" dropout), with the random draw given to
you so that the result can be checked:

- `training=True`: an element whose `keep` entry is `True` is divided by `1 − p`; an element whose
  `keep` entry is `False` becomes 0. (Then the expected value of every output equals its input.)
- `training=False` (after `model.eval()`): return the input unchanged, whatever `keep` holds.

- `x`: float32 tensor of any shape; `keep`: bool tensor of the same shape (`True` = kept);
  `p`: the drop probability, a float in [0, 1); `training`: a bool.
- Return a new float32 tensor of the shape of `x`; do not modify the inputs.""",
    mistakes=[
        Mistake("divide_by_p", "divide the kept elements by the keep probability 1 − p, not by p.", _divide_by_p),
        Mistake("no_rescale", "scale the kept elements up by 1/(1 − p) during training: without it the "
                "expected activation shrinks by 1 − p (the original 2014 dropout corrected that by × (1 − p) at "
                "inference; PyTorch scales in training so that inference is the identity).", _no_rescale),
        Mistake("drop_at_inference", "with training=False dropout does nothing: return x unchanged.",
                _drop_at_inference),
        Mistake("mask_inverted", "`keep` is True for the elements that are KEPT.", _mask_inverted),
    ])


def smoothed_token_loss(logits: torch.Tensor, targets: torch.Tensor, eps: float,
                        ignore_index: int = -100) -> torch.Tensor:
    """Mean over non-ignored tokens of (1 − eps)·(−log p_target) + eps·mean_v(−log p_v)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    counted = targets != ignore_index
    safe = torch.where(counted, targets, torch.zeros_like(targets))
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    uniform = -logp.mean(dim=-1)
    per_token = (1.0 - eps) * nll + eps * uniform
    return per_token[counted].sum() / counted.sum()


def _smooth_cases(g):
    cases = []
    for b, t, v, eps, ignore, n_pad in ((2, 5, 7, 0.1, -100, 0), (3, 4, 11, 0.2, -100, 3),
                                        (2, 6, 5, 0.0, 0, 0), (4, 3, 9, 0.3, 0, 4)):
        targets = torch.randint(1 if ignore == 0 else 0, v, (b, t), generator=g)
        flat = targets.view(-1)
        flat[torch.randperm(flat.numel(), generator=g)[:n_pad]] = ignore
        if ignore == 0 and n_pad == 0:
            flat[-1] = 0                   # pad id 0: the last token of the batch is padding
        cases.append({"logits": torch.randn(b, t, v, generator=g) * 2, "targets": targets, "eps": eps,
                      "ignore_index": ignore})
    return cases


def _logp(logits):
    return torch.log_softmax(logits, dim=-1)


def _others(logits, targets, eps, ignore_index=-100):
    logp, counted = _logp(logits), targets != ignore_index
    safe = targets.clamp(min=0) * counted
    v = logits.shape[-1]
    on = logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    per = -(1 - eps) * on - eps / (v - 1) * (logp.sum(-1) - on)
    return per[counted].mean()


def _padding_counted(logits, targets, eps, ignore_index=-100):
    logp = _logp(logits)
    safe = targets.clamp(min=0) * (targets != ignore_index)
    per = -(1 - eps) * logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1) - eps * logp.mean(-1)
    return per.mean()


def _default_ignore(logits, targets, eps, ignore_index=-100):
    return smoothed_token_loss(logits, targets, eps)


def _sum_not_mean(logits, targets, eps, ignore_index=-100):
    logp, counted = _logp(logits), targets != ignore_index
    safe = targets.clamp(min=0) * counted
    per = -(1 - eps) * logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1) - eps * logp.sum(-1)
    return per[counted].mean()


def _mixed_probabilities(logits, targets, eps, ignore_index=-100):
    probs = (1 - eps) * torch.softmax(logits, -1) + eps / logits.shape[-1]
    counted = targets != ignore_index
    safe = targets.clamp(min=0) * counted
    per = -probs.log().gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    return per[counted].mean()


SMOOTHED_LOSS = Exercise(
    key="27.smoothed_loss", title="smoothed_token_loss",
    signature="smoothed_token_loss(logits, targets, eps, ignore_index=-100) -> scalar tensor",
    reference=smoothed_token_loss, make_cases=_smooth_cases,
    task="""The label-smoothed language-model loss that Lab 1 asked of `F.cross_entropy(..., label_smoothing=eps)`,
for a padded batch. The smoothed target puts `1 − eps` on the true token and spreads `eps` **uniformly
over all V tokens** (the true one included), so each counted token contributes

`(1 − eps) · (−log p[target]) + eps · (1/V) · Σ_v (−log p[v])`,   with `log p = log_softmax(logits)`.

Return the **mean over the tokens whose target is not `ignore_index`** (padding adds nothing, and does not
count in the denominator).

- `logits`: float32 `(B, T, V)`; `targets`: int64 `(B, T)`, values in [0, V) or `ignore_index`;
  `eps`: float in [0, 1); `ignore_index`: int (the checks use −100 and 0).
- Return a float32 scalar tensor. It equals `F.cross_entropy(logits.flatten(0, 1), targets.flatten(),
  label_smoothing=eps, ignore_index=ignore_index)`.""",
    mistakes=[
        Mistake("others", "spread eps over all V tokens, the true one included (eps/V each), as PyTorch "
                "does; not over the V − 1 others.", _others),
        Mistake("default_ignore", "use the `ignore_index` you are given (the checks also use 0).", _default_ignore),
        Mistake("padding_counted", "average over the counted tokens only: padding must neither add a term nor "
                "count in the denominator.", _padding_counted),
        Mistake("sum_not_mean", "the uniform part is the MEAN of −log p over the V tokens (eps/V each), "
                "not their sum.", _sum_not_mean),
        Mistake("mixed_probabilities", "smooth the target distribution, not the model's probabilities: the "
                "loss is a cross-entropy against (1 − eps)·one-hot + eps/V.", _mixed_probabilities),
    ])

EXERCISES = [INVERTED_DROPOUT, SMOOTHED_LOSS]

QUIZ = Quiz([
    Question("27.q1", "The common answer says regularization “简化模型结构，减少参数数量，降低计算复杂度”. What did "
                      "Lab 1 count for dropout, weight decay and label smoothing?", (
        Option("The same parameters and matmul FLOPs as the plain model", True,
               "All four variants have exactly the same parameter count, and FlopCounterMode counts the same "
               "linear-layer FLOPs. They change what is learnt, not how big the model is."),
        Option("Fewer parameters with weight decay, as it pushes weights to zero", False,
               "Decay shrinks weights; none becomes an exact zero and none is removed, so the count and the "
               "FLOPs of dense matmuls do not change (Lab 1)."),
        Option("Fewer FLOPs with dropout, as the dropped units need no compute", False,
               "The dropped activations are multiplied by zero inside the same dense matmuls; making the mask "
               "costs extra time (Lab 1)."),
    ), misconception=True),
    Question("27.q2", "Which regularizer made autograd keep more memory for the backward pass in Lab 1?", (
        Option("Weight decay, which keeps a copy of every weight", False,
               "Decoupled decay multiplies the weights in place in the optimizer step: Lab 1 measures no extra "
               "saved bytes."),
        Option("Label smoothing, which keeps a V-wide target per token", False,
               "The smoothed target is never built: the loss uses the log-probabilities cross-entropy computes "
               "anyway (a few hundred bytes more in Lab 1)."),
        Option("Dropout, which keeps a mask per site for backward", True,
               "Backward needs each mask to route the gradient; Lab 1 counts them as bool tensors among the "
               "saved ones."),
    )),
    Question("27.q3", "A model was trained with PyTorch's nn.Dropout(p=0.2). What does that layer do after "
                      "model.eval()?", (
        Option("Multiplies its input by 0.8 to match training", False,
               "That is the 2014 formulation. PyTorch divides by 1 − p during training instead, so that "
               "inference needs no correction."),
        Option("Nothing: it passes its input through unchanged", True,
               "Inverted dropout scaled the kept units by 1/(1 − p) in training, so expected activations "
               "already match; Lab 3 shows eval outputs are deterministic."),
        Option("Keeps dropping at random, so outputs match training", False,
               "Then every prediction would be random: Lab 3 shows two train-mode passes on the same batch "
               "disagree, while eval mode is deterministic."),
    )),
    Question("27.q4", "What does AdamW's decoupled weight decay add to each training step?", (
        Option("A second backward pass for the L2 penalty term in the loss", False,
               "No penalty enters the loss: the optimizer multiplies each weight by (1 − lr·λ). No extra "
               "backward."),
        Option("One multiply per parameter in the optimizer step", True,
               "An element-wise operation on the weights: no extra memory, no extra FLOPs in the model (Lab 1)."),
        Option("A stored copy of the weights to decay towards", False,
               "Weights decay towards zero, which needs nothing stored; Lab 1 measures the same memory."),
    )),
])
