"""Self-test of chapter 26: combining data-parallel gradients over unequal shares, and a warmup–stable–decay
learning-rate schedule."""
from __future__ import annotations

import math

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def combine_grads(grads: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """(W, P) per-process mean gradients, (W,) token counts -> (P,) gradient of the mean over all tokens."""
    weights = tokens.to(grads.dtype) / tokens.sum()
    return (weights[:, None] * grads).sum(dim=0)


def _combine_cases(g):
    cases = []
    for w, p, counts in ((2, 6, [100, 300]), (4, 5, [7, 7, 7, 7]), (3, 8, [1, 50, 9]), (2, 4, [640, 64])):
        grads = torch.randn(w, p, generator=g)
        grads[0] += 3.0                                   # shares that disagree, so the weighting shows
        cases.append({"grads": grads, "tokens": torch.tensor(counts)})
    return cases


def _plain_mean(grads, tokens):
    return grads.mean(dim=0)


def _summed(grads, tokens):
    return (tokens.to(grads.dtype)[:, None] * grads).sum(dim=0)


def _inverse(grads, tokens):
    w = 1 / tokens.to(grads.dtype)
    return (w[:, None] * grads).sum(dim=0) / w.sum()


def _over_processes(grads, tokens):
    return (tokens.to(grads.dtype)[:, None] * grads).sum(dim=0) / len(tokens)


COMBINE = Exercise(
    key="26.combine_grads", title="combine_grads",
    signature="combine_grads(grads (W, P), tokens (W,)) -> (P,)",
    reference=combine_grads, make_cases=_combine_cases,
    task="""`W` processes each computed the gradient of the **mean** loss over their own real tokens:
row `w` of `grads` is process `w`'s gradient (flattened to `P` numbers) and `tokens[w]` is how many
tokens it averaged over. Return the gradient of the mean loss over **all** tokens of all processes —
what one process would get on the combined batch.

- `grads`: float32 `(W, P)`; `tokens`: int64 `(W,)`, every count ≥ 1.
- Return a float32 tensor of shape `(P,)`. (With equal counts the answer is DDP's plain average.)""",
    mistakes=[
        Mistake("plain_mean", "a plain average treats every process alike; a process with more tokens must "
                "count more. Weight row w by tokens[w] / (total tokens).", _plain_mean),
        Mistake("summed", "rows are means over tokens: multiplying by the counts gives sums; divide by the "
                "total number of tokens to get back to a mean.", _summed),
        Mistake("inverse", "weight each process by its share of the tokens, tokens[w] / total, not by "
                "1 / tokens[w].", _inverse),
        Mistake("over_processes", "divide by the total number of tokens, not by the number of processes.",
                _over_processes),
    ])


def wsd_lr(step: int, peak_lr: float, warmup: int, decay: int, total: int, min_lr: float = 0.0) -> float:
    """Warmup–stable–decay: linear warmup, constant peak, linear decay to min_lr over the last ``decay`` steps."""
    if step < warmup:
        return peak_lr * (step + 1) / warmup
    start = total - decay
    if step < start:
        return peak_lr
    return peak_lr + (min_lr - peak_lr) * (step - start + 1) / decay


def _wsd_cases(g):
    cases = []
    for peak, warmup, decay, total, min_lr in ((1e-3, 10, 20, 100, None), (3e-4, 5, 10, 40, 3e-5),
                                               (6e-4, 0, 25, 50, 6e-5), (2e-3, 8, 8, 30, 1e-4)):
        for step in (0, warmup // 2, max(warmup - 1, 0), warmup, total - decay - 1, total - decay,
                     total - decay + decay // 2, total - 1):
            case = {"step": step, "peak_lr": peak, "warmup": warmup, "decay": decay, "total": total}
            if min_lr is not None:
                case["min_lr"] = min_lr
            cases.append(case)
    extra = int(torch.randint(0, 30, (1,), generator=g))
    cases.append({"step": extra, "peak_lr": 1e-3, "warmup": 4, "decay": 12, "total": 30, "min_lr": 1e-5})
    return cases


def _warmup_from_zero(step, peak_lr, warmup, decay, total, min_lr=0.0):
    if step < warmup:
        return peak_lr * step / warmup
    return wsd_lr(step, peak_lr, warmup, decay, total, min_lr)


def _decay_off_by_one(step, peak_lr, warmup, decay, total, min_lr=0.0):
    start = total - decay
    if step >= start and step >= warmup:
        return peak_lr + (min_lr - peak_lr) * (step - start) / decay
    return wsd_lr(step, peak_lr, warmup, decay, total, min_lr)


def _cosine_decay(step, peak_lr, warmup, decay, total, min_lr=0.0):
    start = total - decay
    if step >= start and step >= warmup:
        progress = (step - start + 1) / decay
        return min_lr + (peak_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
    return wsd_lr(step, peak_lr, warmup, decay, total, min_lr)


def _to_zero(step, peak_lr, warmup, decay, total, min_lr=0.0):
    return wsd_lr(step, peak_lr, warmup, decay, total)


def _decay_from_warmup(step, peak_lr, warmup, decay, total, min_lr=0.0):
    if step < warmup:
        return peak_lr * (step + 1) / warmup
    return peak_lr + (min_lr - peak_lr) * (step - warmup + 1) / (total - warmup)


WSD = Exercise(
    key="26.wsd_lr", title="wsd_lr",
    signature="wsd_lr(step, peak_lr, warmup, decay, total, min_lr=0.0) -> float",
    reference=wsd_lr, make_cases=_wsd_cases, rtol=1e-6, atol=1e-12,
    task="""The learning rate at `step` (0-based, `0 ≤ step < total`) of a warmup–stable–decay schedule,
in three phases, each a straight line:

1. **warmup** — the first `warmup` steps rise linearly, with the convention of
   `course.train.warmup_cosine`: step 0 already has a non-zero rate, and step `warmup−1` reaches `peak_lr`;
2. **stable** — `peak_lr`, up to the step before the decay starts;
3. **decay** — the last `decay` steps fall linearly from `peak_lr` and reach `min_lr` exactly at the
   last step, `total−1`.

- `step`, `warmup` (may be 0), `decay` (≥ 1), `total`: ints with `warmup + decay ≤ total`;
  `peak_lr`, `min_lr`: floats.
- Return a Python float.""",
    mistakes=[
        Mistake("warmup_from_zero", "warmup is (step + 1) / warmup: at step 0 the learning rate would be 0 "
                "and the first step wasted.", _warmup_from_zero),
        Mistake("decay_off_by_one", "the decay must reach min_lr at the last step, total − 1: use "
                "(step − (total − decay) + 1) / decay.", _decay_off_by_one),
        Mistake("cosine_decay", "the decay phase of WSD is linear here, not a cosine.", _cosine_decay),
        Mistake("to_zero", "decay to min_lr, not to 0.", _to_zero),
        Mistake("decay_from_warmup", "keep lr at peak_lr until step total − decay: the stable phase is what "
                "lets a run be extended.", _decay_from_warmup),
    ])

EXERCISES = [COMBINE, WSD]

QUIZ = Quiz([
    Question("26.q1", "The common answer says weight decay keeps “gradients within a reasonable range”. "
                      "What does AdamW's weight decay do?", (
        Option("It bounds the gradient's norm, acting as a gentle clipping", False,
               "That is the common answer's claim; the gradient is untouched. Clipping is what bounds it "
               "(chapter 7)."),
        Option("It adds λ·θ to the gradient before Adam's scaling", False,
               "That is L2 in Adam, which AdamW replaced: there the decay is divided by √v̂ like the "
               "rest of the gradient."),
        Option("It shrinks each weight by lr·λ, apart from the Adam step", True,
               "Decoupled decay: θ ← θ·(1 − lr·λ), outside m̂/(√v̂ + ε) (Lab 1's table)."),
    ), misconception=True),
    Question("26.q2", "Two processes run DDP, each on half of a batch of equal-length sequences. Right after "
                      "loss.backward(), what does each process's .grad hold?", (
        Option("Its own half's gradient; the halves are merged at step()", False,
               "DDP all-reduces inside backward(), bucket by bucket; Lab 3 reads the averaged gradient "
               "right after it."),
        Option("The mean of both halves' gradients: the full-batch one", True,
               "Lab 3: equal to the mean of the two local gradients and to the combined batch's gradient "
               "within 10⁻⁶."),
        Option("The sum of both halves' gradients, twice the full one", False,
               "DDP divides the all-reduced sum by the number of processes."),
    )),
    Question("26.q3", "Which AdamW setting moved the validation loss the most in Lab 2's sweep?", (
        Option("β₂, the memory of the squared-gradient average", False,
               "Lab 2's spread table: β₂ moves a 100-step run less than the seed-to-seed spread."),
        Option("ε, the constant added to √v̂", False,
               "ε only matters once it reaches the size of √v̂ (Lab 1), and then it slows training down."),
        Option("The learning rate, over the values tried", True,
               "Lab 2's spread table: the learning rate's spread is the largest of all knobs."),
    )),
    Question("26.q4", "In Lab 1, √v̂ of most weights is far above 10⁻⁸. What does raising ε to 10⁻² do to "
                      "Adam?", (
        Option("Nothing much: ε is only there to prevent a division by zero", False,
               "True at 10⁻⁸; at 10⁻² ε exceeds √v̂ for most weights (Lab 1) and sets the step size."),
        Option("Steps shrink towards lr·m̂/ε: momentum SGD, slower", True,
               "With ε ≫ √v̂ the denominator is about ε; Lab 2's ε panel shows the loss rising."),
        Option("Steps grow, because the denominator gets smaller", False,
               "Adding a larger ε makes the denominator larger, so steps shrink."),
    )),
    Question("26.q5", "Compared with DDP, what does FSDP (ZeRO stage 3) shard across processes?", (
        Option("The batch: each process gets different sequences", False,
               "DDP already splits the batch; that is data parallelism itself."),
        Option("Only the activations saved for backward", False,
               "Activations stay with each process's micro-batch; ZeRO's stages shard model states."),
        Option("Optimizer states, gradients and the weights", True,
               "Stage 1 shards the optimizer states, 2 the gradients too, 3 the weights too (chapter 36)."),
    )),
])
