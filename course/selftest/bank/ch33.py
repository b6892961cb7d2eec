"""Self-test of chapter 33: folding eval-mode BatchNorm into a linear layer, and ghost batch normalization."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def fold_batch_norm(weight: torch.Tensor, bias: torch.Tensor, running_mean: torch.Tensor,
                    running_var: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor,
                    eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """(W', b') such that x @ W'.T + b' = BN_eval(x @ W.T + b)."""
    scale = gamma / torch.sqrt(running_var + eps)                     # (out,)
    return weight * scale[:, None], (bias - running_mean) * scale + beta


def _fold_cases(g):
    cases = []
    for out, inp, eps in ((5, 5, None), (4, 3, None), (6, 5, 1e-3), (2, 8, 0.1)):   # square first: see _columns
        cases.append({"weight": torch.randn(out, inp, generator=g), "bias": torch.randn(out, generator=g),
                      "running_mean": torch.randn(out, generator=g) * 2,
                      "running_var": torch.rand(out, generator=g) * 3 + 0.01,
                      "gamma": torch.rand(out, generator=g) + 0.5, "beta": torch.randn(out, generator=g)})
        if eps is not None:
            cases[-1]["eps"] = eps
    return cases


def _no_eps(weight, bias, running_mean, running_var, gamma, beta, eps=1e-5):
    return fold_batch_norm(weight, bias, running_mean, running_var, gamma, beta, 0.0)


def _bias_unscaled(weight, bias, running_mean, running_var, gamma, beta, eps=1e-5):
    scale = gamma / torch.sqrt(running_var + eps)
    return weight * scale[:, None], bias - running_mean * scale + beta


def _columns(weight, bias, running_mean, running_var, gamma, beta, eps=1e-5):
    scale = gamma / torch.sqrt(running_var + eps)
    return weight * scale[None, :], (bias - running_mean) * scale + beta     # fails unless out == in


def _var_not_std(weight, bias, running_mean, running_var, gamma, beta, eps=1e-5):
    scale = gamma / (running_var + eps)
    return weight * scale[:, None], (bias - running_mean) * scale + beta


def _beta_forgotten(weight, bias, running_mean, running_var, gamma, beta, eps=1e-5):
    scale = gamma / torch.sqrt(running_var + eps)
    return weight * scale[:, None], (bias - running_mean) * scale


FOLD = Exercise(
    key="33.fold_batch_norm", title="fold_batch_norm",
    signature="fold_batch_norm(weight (out, in), bias (out,), running_mean (out,), running_var (out,), "
              "gamma (out,), beta (out,), eps=1e-5) -> (weight', bias')",
    reference=fold_batch_norm, make_cases=_fold_cases,
    task="""In eval mode a BatchNorm layer is a fixed affine map per channel,
`BN(z) = (z − running_mean) / sqrt(running_var + eps) · gamma + beta`, so a `Linear` layer followed by an
eval-mode BatchNorm can be **folded** into a single `Linear` for inference. Return `(W', b')` such that, for
any input x, `x @ W'.T + b'` equals `BN(x @ weight.T + bias)`.

- `weight`: float32 `(out, in)` (as in `nn.Linear`); `bias`, `running_mean`, `running_var`, `gamma`, `beta`:
  float32 `(out,)`; `eps`: positive float (the checks use several).
- Return the tuple `(W', b')` with shapes `(out, in)` and `(out,)`; do not modify the inputs.
- This only works in eval mode: a train-mode BN depends on the batch and cannot be folded.""",
    mistakes=[
        Mistake("no_eps", "divide by sqrt(running_var + eps), as BatchNorm does; the checks use eps up to 0.1.",
                _no_eps),
        Mistake("bias_unscaled", "the bias passes through BN too: b' = (bias − running_mean) · scale + beta — "
                "the bias is scaled along with the running mean.", _bias_unscaled),
        Mistake("columns", "each *output* channel has its own scale: multiply row i of the weight "
                "(`weight * scale[:, None]`).", _columns),
        Mistake("var_not_std", "divide by the standard deviation sqrt(running_var + eps), not by the variance.",
                _var_not_std),
        Mistake("beta_forgotten", "add beta (BN's shift) to the folded bias.", _beta_forgotten),
    ])


def ghost_batch_norm(x: torch.Tensor, group: int, eps: float = 1e-5) -> torch.Tensor:
    """Train-mode BN (no γ, β) applied separately to consecutive groups of ``group`` rows of x (N, C)."""
    chunks = x.reshape(-1, group, x.shape[-1])                        # (N / group, group, C)
    var, mean = torch.var_mean(chunks, dim=1, keepdim=True, unbiased=False)
    return ((chunks - mean) / torch.sqrt(var + eps)).reshape(x.shape)


def _ghost_cases(g):
    cases = []
    for n, c, group, eps in ((8, 3, 4, None), (12, 5, 3, None), (16, 2, 16, 1e-2), (6, 4, 2, 0.5)):
        x = torch.randn(n, c, generator=g) * 2
        x[: n // 2] += 3.0                                           # groups with different statistics
        cases.append({"x": x, "group": group})
        if eps is not None:
            cases[-1]["eps"] = eps
    return cases


def _whole_batch(x, group, eps=1e-5):
    return ghost_batch_norm(x, x.shape[0], eps)


def _strided(x, group, eps=1e-5):
    n_groups = x.shape[0] // group
    order = torch.arange(x.shape[0]).reshape(group, n_groups).t().reshape(-1)   # rows i, i+k, i+2k, …
    out = torch.empty_like(x)
    out[order] = ghost_batch_norm(x[order], group, eps)
    return out


def _ghost_unbiased(x, group, eps=1e-5):
    chunks = x.reshape(-1, group, x.shape[-1])
    mean, var = chunks.mean(1, keepdim=True), chunks.var(1, keepdim=True, unbiased=True)
    return ((chunks - mean) / torch.sqrt(var + eps)).reshape(x.shape)


def _per_row(x, group, eps=1e-5):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], eps=eps)


GHOST = Exercise(
    key="33.ghost_batch_norm", title="ghost_batch_norm",
    signature="ghost_batch_norm(x (N, C), group, eps=1e-5) -> (N, C)",
    reference=ghost_batch_norm, make_cases=_ghost_cases,
    task="""*Ghost batch normalization* (Hoffer, Hubara & Soudry, 2017) fixes the batch size that BatchNorm's
statistics see, whatever the real batch size: the batch is split into consecutive **ghost batches** of
`group` rows, and each is normalized (training mode, no γ/β) with its own statistics.

- `x`: float32 `(N, C)`, N a multiple of `group`; rows `0…group−1` form the first ghost batch, the next
  `group` rows the second, and so on; `group`: int ≥ 2; `eps`: positive float.
- Within a ghost batch, each channel c is normalized as `(x − μ_c) / sqrt(σ²_c + eps)`, with mean and
  **biased** variance over that ghost batch's rows.
- Return float32 `(N, C)`, rows in the input order; do not modify the input.""",
    mistakes=[
        Mistake("whole_batch", "normalize each ghost batch with its *own* statistics, not the whole batch's.",
                _whole_batch),
        Mistake("strided", "a ghost batch is `group` *consecutive* rows (reshape to (N/group, group, C)), "
                "not every (N/group)-th row.", _strided),
        Mistake("unbiased", "in training mode BatchNorm normalizes with the biased variance (divide by the "
                "group size).", _ghost_unbiased),
        Mistake("per_row", "that is LayerNorm (statistics over the channels of each row); BatchNorm takes each "
                "channel's statistics over the rows of a (ghost) batch.", _per_row),
    ])

EXERCISES = [FOLD, GHOST]

QUIZ = Quiz([
    Question("33.q1", "The common answer says BatchNorm “减少了模型对批量大小变化的敏感性”. In Lab 1, what did "
                      "training the same classifier at batch size 2 do?", (
        Option("BatchNorm trained as well as at 32, since its noise regularizes", False,
               "That is the common answer's reasoning; at batch 2 the BatchNorm classifier stayed near chance."),
        Option("BatchNorm stayed near chance while LayerNorm learned the task", True,
               "Two examples give meaningless statistics; the LayerNorm twin learned well at every batch size."),
        Option("Both failed: no norm works with two examples per batch", False,
               "LayerNorm's statistics come from each example's own channels, so it does not care about batch size."),
    ), misconception=True),
    Question("33.q2", "A BatchNorm language model generates with a KV cache in training mode, one prompt at a "
                      "time (batch of one). What happens after the prompt?", (
        Option("The KV cache stores the statistics, so nothing changes", False,
               "A KV cache stores keys and values, not normalization statistics; Lab 3 shows the outputs differ."),
        Option("Each step normalizes one vector: variance 0, so every norm gives β", True,
               "With one token per step each channel's variance is 0, so the logits no longer depend on the "
               "prompt: in Lab 3 four different prompts continued identically."),
        Option("Generation is fine; only the first token after the prompt is affected", False,
               "Every decoding step has one token per sequence; Lab 3's continuations collapse to one token."),
    )),
    Question("33.q3", "Switching the BatchNorm LM to eval mode made generation consistent. What does eval mode "
                      "change, and at what cost?", (
        Option("It uses running averages: one fixed map, not the function trained", True,
               "Training normalized with batch statistics; inference uses averages collected during training. "
               "Lab 2's eval-mode loss was worse than the train-mode loss at every batch size."),
        Option("It freezes γ and β, so the model cannot adapt to a new batch", False,
               "γ and β are fixed in both modes once trained; what changes is the mean and variance used."),
        Option("It turns BatchNorm into LayerNorm, so nothing is lost in the switch", False,
               "Eval-mode BN still uses per-channel statistics, just fixed ones; LayerNorm computes per-token ones."),
    )),
    Question("33.q4", "During cached decoding of a batch of prompts, what does a train-mode BatchNorm take its "
                      "statistics over at each step after the prompt?", (
        Option("Every token so far, of every prompt", False,
               "The cache holds keys and values, not the earlier activations."),
        Option("The one new token of each prompt in the batch", True,
               "Only the new tokens pass through the norm at that step."),
        Option("All the tokens of one prompt, the cached ones too", False,
               "BatchNorm averages across the batch, and the cached tokens do not pass through the norm again."),
    )),
])
