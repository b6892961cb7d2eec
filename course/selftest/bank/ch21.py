"""Self-test of chapter 21: a warmup + cosine schedule, and the exact noise of a mini-batch gradient."""
from __future__ import annotations

import math

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def warmup_cosine_lrs(steps: int, peak_lr: float, warmup: int, final_lr: float) -> torch.Tensor:
    """Learning rate of every step: linear warmup to peak_lr, then half a cosine down to final_lr."""
    lrs = torch.empty(steps, dtype=torch.float64)
    for s in range(steps):
        if s < warmup:
            lrs[s] = peak_lr * (s + 1) / warmup
        else:
            progress = (s - warmup) / max(1, steps - warmup)
            lrs[s] = final_lr + (peak_lr - final_lr) * (1 + math.cos(math.pi * progress)) / 2
    return lrs


def _schedule_cases(g):
    return [{"steps": 100, "peak_lr": 3e-3, "warmup": 10, "final_lr": 3e-4},
            {"steps": 40, "peak_lr": 0.5, "warmup": 0, "final_lr": 0.0},
            {"steps": 25, "peak_lr": 1.0, "warmup": 5, "final_lr": 0.2},
            {"steps": 12, "peak_lr": 0.1, "warmup": 12, "final_lr": 0.01}]


def _from_zero(steps, peak_lr, warmup, final_lr):
    lrs = warmup_cosine_lrs(steps, peak_lr, warmup, final_lr)
    for s in range(min(warmup, steps)):
        lrs[s] = peak_lr * s / warmup
    return lrs


def _to_zero(steps, peak_lr, warmup, final_lr):
    return warmup_cosine_lrs(steps, peak_lr, warmup, 0.0)


def _cosine_from_start(steps, peak_lr, warmup, final_lr):
    lrs = warmup_cosine_lrs(steps, peak_lr, warmup, final_lr)
    for s in range(warmup, steps):
        lrs[s] = final_lr + (peak_lr - final_lr) * (1 + math.cos(math.pi * s / steps)) / 2
    return lrs


def _full_cosine(steps, peak_lr, warmup, final_lr):
    lrs = warmup_cosine_lrs(steps, peak_lr, warmup, final_lr)
    for s in range(warmup, steps):
        progress = (s - warmup) / max(1, steps - warmup)
        lrs[s] = final_lr + (peak_lr - final_lr) * math.cos(math.pi * progress / 2)
    return lrs


def _linear_decay(steps, peak_lr, warmup, final_lr):
    lrs = warmup_cosine_lrs(steps, peak_lr, warmup, final_lr)
    for s in range(warmup, steps):
        lrs[s] = peak_lr - (peak_lr - final_lr) * (s - warmup) / max(1, steps - warmup)
    return lrs


WARMUP_COSINE = Exercise(
    key="21.warmup_cosine_lrs", title="warmup_cosine_lrs",
    signature="warmup_cosine_lrs(steps, peak_lr, warmup, final_lr) -> (steps,)",
    reference=warmup_cosine_lrs, make_cases=_schedule_cases,
    task="""Return the learning rate used at each step s = 0, 1, …, steps − 1:

- **warmup** (s < `warmup`): `peak_lr · (s + 1) / warmup` — the first step already has a non-zero rate,
  and step `warmup − 1` reaches `peak_lr`;
- **cosine decay** (s ≥ `warmup`): with progress p = (s − warmup) / max(1, steps − warmup), which is 0 at
  the first step after warmup, `final_lr + (peak_lr − final_lr) · (1 + cos(π·p)) / 2`.

- `steps`: int ≥ 1; `warmup`: int in [0, steps] (0 means no warmup); `peak_lr`: float > 0;
  `final_lr`: float in [0, peak_lr], an absolute rate (not a fraction of the peak).
- Return a float64 tensor of shape `(steps,)`.""",
    mistakes=[
        Mistake("from_zero", "the warmup rate at step s is peak·(s + 1)/warmup: starting at 0 wastes the first "
                "step, and the peak must be reached at step warmup − 1.", _from_zero),
        Mistake("to_zero", "decay to `final_lr`, not to 0: the cosine runs from peak_lr down to final_lr.",
                _to_zero),
        Mistake("cosine_from_start", "measure the cosine's progress from the end of warmup: "
                "p = (s − warmup) / (steps − warmup), so the decay starts at the peak.", _cosine_from_start),
        Mistake("full_cosine", "the decay is half a period of cosine shifted up: (1 + cos(π·p)) / 2, which goes "
                "from 1 to 0 as p goes from 0 to 1.", _full_cosine),
        Mistake("linear_decay", "that is a linear decay; the schedule asked for is a cosine.", _linear_decay),
    ])


def batch_noise(per_example: torch.Tensor, batch_size: int) -> float:
    """E‖ḡ_B − ḡ‖² / ‖ḡ‖² for a batch of ``batch_size`` rows drawn without replacement."""
    n = per_example.shape[0]
    mean = per_example.mean(0)
    spread = (per_example - mean).pow(2).sum() / (n - 1)
    return float(spread * (1 - batch_size / n) / batch_size / mean.pow(2).sum())


def _noise_cases(g):
    cases = []
    for n, p, batch_size, signal in ((16, 8, 1, 1.0), (32, 20, 4, 0.3), (10, 5, 10, 1.0), (64, 12, 16, 0.1),
                                     (12, 6, 6, 2.0)):
        rows = torch.randn(n, p, generator=g) + signal * torch.randn(p, generator=g)   # shared signal + noise
        cases.append({"per_example": rows, "batch_size": batch_size})
    return cases


def _with_replacement(per_example, batch_size):
    mean = per_example.mean(0)
    return float((per_example - mean).pow(2).sum(1).mean() / batch_size / mean.pow(2).sum())


def _no_correction(per_example, batch_size):
    n = per_example.shape[0]
    mean = per_example.mean(0)
    return float((per_example - mean).pow(2).sum() / (n - 1) / batch_size / mean.pow(2).sum())


def _uncentered(per_example, batch_size):
    n = per_example.shape[0]
    mean = per_example.mean(0)
    return float(per_example.pow(2).sum() / (n - 1) * (1 - batch_size / n) / batch_size / mean.pow(2).sum())


def _not_relative(per_example, batch_size):
    n = per_example.shape[0]
    mean = per_example.mean(0)
    return float((per_example - mean).pow(2).sum() / (n - 1) * (1 - batch_size / n) / batch_size)


def _sqrt_b(per_example, batch_size):
    return batch_noise(per_example, batch_size) * batch_size / math.sqrt(batch_size)


BATCH_NOISE = Exercise(
    key="21.batch_noise", title="batch_noise",
    signature="batch_noise(per_example (N, P), batch_size) -> float",
    reference=batch_noise, make_cases=_noise_cases,
    task="""Row i of `per_example` is the gradient of example i (flattened to P numbers); the full-batch
gradient is their mean ḡ. A mini-batch of `batch_size` = B distinct examples is drawn uniformly at random
**without replacement**, and its gradient ḡ_B is the mean of its rows. Return the expected relative noise

E‖ḡ_B − ḡ‖² / ‖ḡ‖²

computed exactly, without drawing batches. Use the variance of a mean of B draws without replacement
from N (the finite-population correction), per coordinate, summed over the P coordinates; the hints give
the law.

- `per_example`: float32 `(N, P)` with N ≥ 2; `batch_size`: int in [1, N] (B = N gives 0: the full batch).
- Return a Python float.""",
    mistakes=[
        Mistake("with_replacement", "the batch holds distinct examples: use the sample variance with N − 1 and "
                "the finite-population factor (1 − B/N); B = N must give exactly 0.", _with_replacement),
        Mistake("no_correction", "multiply by (1 − B/N): drawing without replacement from N examples, a batch "
                "of all N has no noise at all.", _no_correction),
        Mistake("uncentered", "the variance is about the mean: sum (gᵢ − ḡ)², not gᵢ².", _uncentered),
        Mistake("not_relative", "divide by ‖ḡ‖², the squared norm of the full-batch gradient: the noise is "
                "relative to the signal.", _not_relative),
        Mistake("sqrt_b", "the variance of a mean of B draws falls as 1/B (its standard deviation as 1/√B).",
                _sqrt_b),
    ])

EXERCISES = [WARMUP_COSINE, BATCH_NOISE]

QUIZ = Quiz([
    Question("21.q1", "The common answer says adaptive optimizers keep updates effective at every stage of "
                      "training. Does Adam's adaptivity replace a learning-rate schedule?", (
        Option("Yes: Adam adapts its own learning rate, so a schedule adds nothing", False,
               "The common answer's idea. Adam rescales coordinates relative to each other; the overall rate "
               "over time is the schedule's job. Lab 1's grid: at Adam's best peak rate with the schedule, a "
               "constant rate ends worse."),
        Option("No: its per-coordinate scale is relative, not a rate over time", True,
               "Lab 1: the schedule changes Adam's result (better at peak 0.01, worse at its best constant "
               "rate); Adam does not set the rate over time itself."),
        Option("Only AdamW needs one, because of its weight decay", False,
               "Lab 1 shows the schedule changing Adam's and AdamW's results alike."),
    ), misconception=True),
    Question("21.q2", "On Adam's very first step (bias-corrected, no warmup), how far does a weight with a "
                      "non-zero gradient move?", (
        Option("By η·g: proportional to its gradient", False,
               "That is SGD's step. Adam divides m̂ by √v̂, so on the first step the gradient's size cancels."),
        Option("By η·g/‖g‖, the whole gradient normalized", False,
               "Adam normalizes each coordinate by its own second moment, not the whole vector."),
        Option("By η, whatever its gradient (if |g| ≫ ε)", True,
               "m̂ = g and v̂ = g² after one step, so m̂/(√v̂ + ε) ≈ ±1; Lab 2 measures it on every weight "
               "with |g| > 1e-6."),
    )),
    Question("21.q3", "The mini-batch size goes from 1 to 16. The relative noise ‖g_B − g‖²/‖g‖² becomes…", (
        Option("…about 4× smaller, as noise falls with √B", False,
               "The standard deviation falls as 1/√B; the squared noise (a variance) as 1/B."),
        Option("…about 16× smaller, since a variance falls as 1/B", True,
               "Lab 3: 27 → 1.29 (21×: the 1/B law times the finite pool's (1 − B/N)); slope −1.10."),
        Option("…the same: SGD's noise is independent of the batch", False,
               "Lab 3 measures the cosine to the full gradient rising with every doubling of B."),
    )),
    Question("21.q4", "The common answer says optimizers “support parallel computing”. What lets training "
                      "run data-parallel on many GPUs?", (
        Option("Averaging the per-GPU gradients, as for a larger batch", True,
               "Each device computes the gradient of its share of the batch; the average is the big batch's "
               "gradient (chapter 26), and any optimizer then uses it."),
        Option("Adam's per-coordinate state", False,
               "Sharding optimizer state (ZeRO) saves memory; it is not what makes the gradient parallel."),
        Option("Only SGD parallelizes; adaptive optimizers are sequential", False,
               "LLMs are trained data-parallel with AdamW."),
    )),
    Question("21.q5", "SGD with momentum μ = 0.9: about how many recent gradients does its buffer average?", (
        Option("About 10, i.e. 1/(1 − μ), with older ones fading as μᵏ", True,
               "The weights μᵏ sum to 1/(1 − μ) = 10, so about the last 10 gradients count."),
        Option("About 2: only the latest gradient and the one just before it", False,
               "That would be a buffer that forgets after one step; μ = 0.9 keeps 0.9ᵏ of a gradient k steps back."),
        Option("All gradients since the start, equally", False, "Old gradients fade geometrically as μᵏ."),
    )),
])
