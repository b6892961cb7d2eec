"""Self-test of chapter 28: BatchNorm over the real tokens of a padded batch, and its running statistics."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def masked_batch_norm(x: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                      eps: float = 1e-5) -> torch.Tensor:
    """Train-mode BatchNorm of a padded (B, T, C) batch with statistics over the real tokens only;
    padding positions come out as 0."""
    real = x[mask]                                                  # (N_real, C)
    var, mean = torch.var_mean(real, dim=0, unbiased=False)
    y = (x - mean) / torch.sqrt(var + eps) * weight + bias
    return y * mask[..., None]


def _bn_cases(g):
    cases = []
    for (b, t, c), lengths, shift, eps in (((2, 5, 3), [5, 2], 0.0, None), ((3, 4, 6), [1, 4, 3], 3.0, None),
                                           ((4, 6, 2), [6, 1, 2, 3], -2.0, 0.5), ((2, 3, 5), [3, 3], 1.0, 1e-3)):
        x = torch.randn(b, t, c, generator=g) * 2 + shift
        mask = torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]
        x[~mask] = 7.0                                              # padding holds junk, as after an embedding
        case = {"x": x, "mask": mask, "weight": torch.rand(c, generator=g) + 0.5,
                "bias": torch.randn(c, generator=g)}
        if eps is not None:
            case["eps"] = eps
        cases.append(case)
    return cases


def _with_padding(x, mask, weight, bias, eps=1e-5):
    return masked_batch_norm(x, torch.ones_like(mask), weight, bias, eps) * mask[..., None]


def _per_token(x, mask, weight, bias, eps=1e-5):
    y = torch.nn.functional.layer_norm(x, x.shape[-1:], weight, bias, eps)
    return y * mask[..., None]


def _per_sequence(x, mask, weight, bias, eps=1e-5):
    rows = [masked_batch_norm(x[i:i + 1], mask[i:i + 1], weight, bias, eps) for i in range(x.shape[0])]
    return torch.cat(rows)


def _unbiased(x, mask, weight, bias, eps=1e-5):
    real = x[mask]
    y = (x - real.mean(0)) / torch.sqrt(real.var(0, unbiased=True) + eps) * weight + bias
    return y * mask[..., None]


def _padding_kept(x, mask, weight, bias, eps=1e-5):
    real = x[mask]
    return (x - real.mean(0)) / torch.sqrt(real.var(0, unbiased=False) + eps) * weight + bias


def _eps_outside(x, mask, weight, bias, eps=1e-5):
    real = x[mask]
    y = (x - real.mean(0)) / (real.std(0, unbiased=False) + eps) * weight + bias
    return y * mask[..., None]


MASKED_BATCH_NORM = Exercise(
    key="28.masked_batch_norm", title="masked_batch_norm",
    signature="masked_batch_norm(x (B, T, C), mask (B, T), weight (C,), bias (C,), eps=1e-5) -> (B, T, C)",
    reference=masked_batch_norm, make_cases=_bn_cases,
    task="""BatchNorm in **training mode** for a right-padded batch of sequences, with statistics taken over
the **real tokens only** (what `SequenceBatchNorm(C)(x, mask)` did in Lab 2).

- `x`: float32 `(B, T, C)`; `mask`: bool `(B, T)`, `True` on real tokens (padding positions hold junk values);
  `weight`, `bias`: float32 `(C,)`, the γ and β of each channel; `eps`: positive float.
- For each channel c, mean μ_c and **biased** variance σ²_c (divide by N, the number of real tokens in
  the whole batch) over all real tokens of all sequences.
- Output `(x − μ) / sqrt(σ² + eps) · γ + β` at real positions, and exactly `0.0` at padding positions.
- Return float32 `(B, T, C)`; do not modify the inputs. No running statistics here.""",
    mistakes=[
        Mistake("with_padding", "take the statistics over the real tokens only: `x[mask]` gives them as an "
                "(N, C) matrix. Including the padding is the pollution Lab 2 measured.", _with_padding),
        Mistake("per_token", "that is LayerNorm (statistics over the C channels of each token). BatchNorm takes "
                "each channel's statistics across the tokens of the batch.", _per_token),
        Mistake("per_sequence", "the statistics are shared by the whole batch, not computed per sequence "
                "(that would be InstanceNorm over time).", _per_sequence),
        Mistake("unbiased", "normalize with the biased variance (divide by N), as BatchNorm does in training.",
                _unbiased),
        Mistake("padding_kept", "set the outputs at padding positions to 0.0.", _padding_kept),
        Mistake("eps_outside", "eps goes inside the square root: sqrt(σ² + eps), not σ + eps.", _eps_outside),
    ])


def update_running_stats(running_mean: torch.Tensor, running_var: torch.Tensor, batch: torch.Tensor,
                         momentum: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch's BatchNorm update: new = (1 − momentum)·old + momentum·batch statistic, unbiased variance."""
    var, mean = torch.var_mean(batch, dim=0, unbiased=True)          # N − 1 in the denominator
    return ((1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var)


def _stats_cases(g):
    cases = []
    for n, c, momentum in ((16, 4, None), (3, 5, 0.5), (40, 2, 0.01), (7, 3, 1.0)):
        cases.append({"running_mean": torch.randn(c, generator=g), "running_var": torch.rand(c, generator=g) + 0.5,
                      "batch": torch.randn(n, c, generator=g) * 3 + 1})
        if momentum is not None:
            cases[-1]["momentum"] = momentum
    return cases


def _biased_running(running_mean, running_var, batch, momentum=0.1):
    return ((1 - momentum) * running_mean + momentum * batch.mean(0),
            (1 - momentum) * running_var + momentum * batch.var(0, unbiased=False))


def _momentum_swapped(running_mean, running_var, batch, momentum=0.1):
    return update_running_stats(running_mean, running_var, batch, 1 - momentum)


def _std_not_var(running_mean, running_var, batch, momentum=0.1):
    return ((1 - momentum) * running_mean + momentum * batch.mean(0),
            (1 - momentum) * running_var + momentum * batch.std(0))


def _replaced(running_mean, running_var, batch, momentum=0.1):
    return batch.mean(0), batch.var(0)


RUNNING_STATS = Exercise(
    key="28.running_stats", title="update_running_stats",
    signature="update_running_stats(running_mean (C,), running_var (C,), batch (N, C), momentum=0.1) -> (mean, var)",
    reference=update_running_stats, make_cases=_stats_cases,
    task="""In training mode a BatchNorm layer normalizes with the batch's statistics, and also keeps
running averages of them for evaluation. Write one update exactly as `nn.BatchNorm1d` does it.

- `running_mean`, `running_var`: float32 `(C,)`, the current running statistics; `batch`: float32 `(N, C)`,
  the N ≥ 2 vectors the layer saw in this step; `momentum`: float in (0, 1], **the weight of the new batch**
  (PyTorch's convention; the checks use 0.01, 0.1, 0.5 and 1).
- new_mean = (1 − momentum) · running_mean + momentum · (batch mean)
- new_var  = (1 − momentum) · running_var  + momentum · (batch variance, **unbiased**: divide by N − 1)
- Return the tuple `(new_mean, new_var)` of float32 `(C,)` tensors; do not modify the inputs.""",
    mistakes=[
        Mistake("biased_running", "the running variance stores the *unbiased* batch variance (divide by N − 1), "
                "even though the batch itself is normalized with the biased one.", _biased_running),
        Mistake("momentum_swapped", "in PyTorch `momentum` weighs the *new* batch: new = (1 − m)·old + m·batch. "
                "(Keras and TensorFlow use the opposite convention.)", _momentum_swapped),
        Mistake("std_not_var", "average the variance, not the standard deviation.", _std_not_var),
        Mistake("replaced", "blend the old statistics with the new ones; do not replace them.", _replaced),
    ])

EXERCISES = [MASKED_BATCH_NORM, RUNNING_STATS]

QUIZ = Quiz([
    Question("28.q1", "The common answer calls batch normalization “语言模型中常用的技术”. What do Transformer "
                      "language models actually normalize with?", (
        Option("BatchNorm after each attention and feed-forward sublayer", False,
               "That is the common answer's claim. GPT-2/3 and BERT use LayerNorm; LLaMA and T5 use RMSNorm."),
        Option("LayerNorm or RMSNorm: statistics of each token on its own", True,
               "They need no other sequence and no future token. Lab 3 shows BatchNorm breaking both rules."),
        Option("BatchNorm in pretraining, swapped for LayerNorm when fine-tuning", False,
               "No standard LM does this; the norm is part of the architecture from the start."),
    ), misconception=True),
    Question("28.q2", "A batch of right-padded sentences goes through nn.BatchNorm1d (no mask). What happens "
                      "to a real token's output?", (
        Option("Nothing: padding is zero, so it does not change the statistics", False,
               "Padding vectors are not zero after an embedding and a block, and even zeros pull the mean "
               "and variance; Lab 2 measures the error."),
        Option("It changes with how much padding the batch happens to contain", True,
               "The same sentence's output changed with its companions in Lab 2; LayerNorm's did not change at all."),
        Option("It is unchanged as long as the loss ignores padded positions", False,
               "The loss mask hides padded *targets*; the statistics of the real tokens are already polluted."),
    )),
    Question("28.q3", "Why does train-mode BatchNorm break a causal language model even without padding?", (
        Option("Its statistics span all positions, so position t sees the future", True,
               "The mean and variance over (batch, time) include later tokens: in Lab 3 changing only the last "
               "token moved the logits of every earlier position."),
        Option("It normalizes away the position embeddings, so word order is lost", False,
               "Positions survive normalization; the problem is which tokens enter the statistics."),
        Option("Its running statistics are updated too slowly for long texts", False,
               "Running statistics matter in eval mode; the leak happens in training mode with batch statistics."),
    )),
    Question("28.q4", "The common answer says BN “减少了模型对批量大小变化的敏感性”. Which norm's output for a "
                      "given token is independent of the rest of the batch, in training as well?", (
        Option("BatchNorm, since its statistics are averaged over many tokens", False,
               "Its statistics *are* the rest of the batch: Lab 2's sentence changed with its companions."),
        Option("BatchNorm, once a padding mask is applied", False,
               "The mask keeps padding out of the statistics, but they are still other sentences' tokens: "
               "Lab 2's masked BatchNorm output still changed with the companions."),
        Option("LayerNorm, in training mode and in evaluation mode", True,
               "Its mean and variance come from the token's own C channels (difference 0 in Lab 2)."),
    )),
])
