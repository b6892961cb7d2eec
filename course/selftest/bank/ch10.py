"""Self-test of chapter 10: fitting a scaling law, and the compute-optimal split of a FLOP budget."""
from __future__ import annotations

import math

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def fit_power_law(x: list[float], y: list[float], irreducible: float = 0.0) -> tuple[float, float]:
    """Least squares of log(y − E) on log x: the slope is −alpha, the intercept log a."""
    u = [math.log(v) for v in x]
    w = [math.log(v - irreducible) for v in y]
    mean_u, mean_w = sum(u) / len(u), sum(w) / len(w)
    slope = sum((p - mean_u) * (q - mean_w) for p, q in zip(u, w)) / sum((p - mean_u) ** 2 for p in u)
    return math.exp(mean_w - slope * mean_u), -slope


def _power_cases(g):
    cases = []
    for n, a, alpha, floor, noise in ((5, 4.0, 0.3, None, 0.0), (4, 12.0, 0.08, 1.5, 0.0),
                                      (6, 2.5, 0.5, 0.7, 0.02), (5, 30.0, 0.2, 2.0, 0.01)):
        x = [float(10 ** (2 + k + float(torch.rand(1, generator=g)))) for k in range(n)]
        e = 0.0 if floor is None else floor
        y = [e + a * v ** -alpha * math.exp(noise * float(torch.randn(1, generator=g))) for v in x]
        case = {"x": x, "y": y}
        if floor is not None:
            case["irreducible"] = floor
        cases.append(case)
    return cases


def _floor_ignored(x, y, irreducible=0.0):
    return fit_power_law(x, y, 0.0)


def _sign(x, y, irreducible=0.0):
    a, alpha = fit_power_law(x, y, irreducible)
    return a, -alpha


def _log_a(x, y, irreducible=0.0):
    a, alpha = fit_power_law(x, y, irreducible)
    return math.log(a), alpha


def _linear_x(x, y, irreducible=0.0):
    w = [math.log(v - irreducible) for v in y]
    mean_u, mean_w = sum(x) / len(x), sum(w) / len(w)
    slope = sum((p - mean_u) * (q - mean_w) for p, q in zip(x, w)) / sum((p - mean_u) ** 2 for p in x)
    return math.exp(mean_w - slope * mean_u), -slope


def _log10_a(x, y, irreducible=0.0):
    a, alpha = fit_power_law(x, y, irreducible)
    return 10 ** math.log(a), alpha


POWER = Exercise(
    key="10.fit_power_law", title="fit_power_law",
    signature="fit_power_law(x: list[float], y: list[float], irreducible=0.0) -> tuple[float, float]",
    reference=fit_power_law, make_cases=_power_cases,
    task="""Fit the scaling law `y ≈ irreducible + a · x^(−alpha)` to measured points, as Lab 1 did with the
package's version. Subtract `irreducible` from every `y`, take natural logs of both axes, and fit the
straight line `log(y − irreducible) = log a − alpha · log x` by ordinary least squares.

- `x`: list of floats > 0 (model sizes or token counts); `y`: list of floats > `irreducible` (losses),
  same length ≥ 2; `irreducible`: float ≥ 0, the loss floor (0 for a pure power law; the checks pass it).
- Return the tuple `(a, alpha)` of Python floats, `alpha > 0` when `y` falls as `x` grows.""",
    mistakes=[
        Mistake("floor_ignored", "subtract `irreducible` from y before taking the log: the power law describes "
                "the loss above the floor.", _floor_ignored),
        Mistake("sign", "the fitted slope is −alpha: a loss that falls with size has a negative slope and a "
                "positive alpha.", _sign),
        Mistake("log_a", "return a itself, exp(intercept), not the intercept log a.", _log_a),
        Mistake("log10_a", "use the same logarithm for the fit and its inverse: exp of a natural-log intercept.",
                _log10_a),
        Mistake("linear_x", "take the log of x too: a power law is a straight line on log–log axes.", _linear_x),
    ])


def compute_optimal(flops: float, tokens_per_param: float = 20.0) -> tuple[float, float]:
    """Training FLOPs C ≈ 6·N·D with D = r·N  ⇒  N = sqrt(C / (6 r)), D = r·N."""
    n_params = math.sqrt(flops / (6 * tokens_per_param))
    return n_params, tokens_per_param * n_params


def _optimal_cases(g):
    cases = [{"flops": 5.76e23}, {"flops": 3.14e23, "tokens_per_param": 1.7}]
    for _ in range(3):
        cases.append({"flops": float(10 ** (18 + 6 * float(torch.rand(1, generator=g)))),
                      "tokens_per_param": float(5 + 30 * float(torch.rand(1, generator=g)))})
    return cases


def _two_nd(flops, tokens_per_param=20.0):
    n = math.sqrt(flops / (2 * tokens_per_param))
    return n, tokens_per_param * n


def _no_sqrt(flops, tokens_per_param=20.0):
    n = flops / (6 * tokens_per_param)
    return n, tokens_per_param * n


def _swapped(flops, tokens_per_param=20.0):
    n, d = compute_optimal(flops, tokens_per_param)
    return d, n


def _ratio_ignored(flops, tokens_per_param=20.0):
    return compute_optimal(flops, 20.0)


OPTIMAL = Exercise(
    key="10.compute_optimal", title="compute_optimal",
    signature="compute_optimal(flops: float, tokens_per_param=20.0) -> tuple[float, float]",
    reference=compute_optimal, make_cases=_optimal_cases,
    task="""The compute-optimal model for a training budget, by the rule of thumb of Hoffmann et al. (2022):
train on about `tokens_per_param` tokens per parameter. Training a dense Transformer of N parameters on D
tokens costs about **C = 6·N·D** FLOPs (2 for the forward pass and 4 for the backward pass, per parameter
and token). With D = `tokens_per_param`·N, solve for N and D.

- `flops`: float > 0, the budget C; `tokens_per_param`: float > 0 (the checks pass other ratios too).
- Return `(n_params, n_tokens)` as Python floats (not rounded).""",
    mistakes=[
        Mistake("two_nd", "training costs 6·N·D FLOPs (forward and backward); 2·N·D is the forward pass only.",
                _two_nd),
        Mistake("no_sqrt", "C = 6·r·N², so N = sqrt(C / (6 r)) — a square root.", _no_sqrt),
        Mistake("swapped", "return (n_params, n_tokens) in that order; tokens are the larger number.", _swapped),
        Mistake("ratio_ignored", "use the `tokens_per_param` you are given, not 20.", _ratio_ignored),
    ])

EXERCISES = [POWER, OPTIMAL]

QUIZ = Quiz([
    Question("10.q1", "The common answer suggests improving a language model by moving to an architecture such "
                      "as BERT. For a GPT-style text generator, this…", (
        Option("…helps a great deal, since seeing both sides of each word makes a stronger model", False,
               "BERT reads both sides of every blank; it has no next-token distribution to sample from: in "
               "Lab 4 its guess of the next word depends on how many words are still to come."),
        Option("…misses the point: BERT has no next-word distribution", True,
               "BERT is an encoder trained by masked-LM, for understanding tasks; given only the left context it "
               "predicts worse than the GPT (Lab 4). Generators improve with scale, data, and a well-tuned "
               "optimizer and schedule (Labs 1–3)."),
        Option("…helps only if BERT's weights are copied into the GPT", False,
               "Weights learnt with a bidirectional mask do not make a causal model; the measured levers of "
               "this chapter are size, data and training."),
    ), misconception=True),
    Question("10.q2", "Lab 2's learning-rate sweep, validation loss against the peak learning rate, is…", (
        Option("…lowest at the largest rate, since bigger steps learn faster", False,
               "The largest rate of the sweep is worse than a middle one (Lab 2)."),
        Option("…lowest at the smallest rate, the safest steps", False,
               "Too small a rate leaves the model far from converged in the step budget (Lab 2)."),
        Option("…U-shaped: too small learns slowly, too large is unstable", True,
               "Lab 2 measures a best rate in the middle of the sweep."),
    )),
    Question("10.q3", "The exponent fitted in Lab 1 differs from Kaplan et al.'s 0.076. What follows?", (
        Option("Kaplan et al. measured wrongly; small models are the cleaner test", False,
               "Their fit spans about six orders of magnitude of parameters on real text; ours spans less than "
               "two (Lab 1) on a toy grammar."),
        Option("Exponents depend on data and scale; fit them at yours", True,
               "A simple synthetic corpus, tiny models and a fixed step budget give other exponents, and a few "
               "points cannot separate a power law from its floor."),
        Option("Power laws hold only at small scale, like ours", False,
               "They describe large models on real text well over many orders of magnitude; Lab 1 also finds the "
               "loss falling with size and data."),
    )),
    Question("10.q4", "Two training sets hold the same number of tokens; in one, half of the lines are copies of "
                      "a few hundred lines. Trained the same way, the model on the duplicated set…", (
        Option("…does as well: the token count is equal", False,
               "Lab 3 measures a higher validation loss for the duplicated set, in this run."),
        Option("…does worse, only because it has fewer distinct lines", False,
               "Lab 3: clean texts about as large as the duplicated set's distinct part do as well as the full "
               "clean text; the copies themselves do the harm."),
        Option("…does worse: the copies over-weight a few lines", True,
               "Lab 3: half of what it reads is 200 lines; it fits them and its validation loss rises, beyond "
               "what a clean text of the same distinct size loses."),
    )),
    Question("10.q5", "By the compute-optimal rule of Hoffmann et al. (2022), a model of 175B parameters "
                      "trained on 300B tokens (GPT-3) is…", (
        Option("…under-trained: it would want about 3.5T tokens", True,
               "About 20 tokens per parameter: 175B × 20 = 3.5T. Chinchilla (70B, 1.4T tokens) beat the larger "
               "Gopher (280B, 300B tokens) with about the same compute (the cell after Exercise 2)."),
        Option("…over-trained: 300B tokens is more than such a model can use", False,
               "300B tokens is 1.7 tokens per parameter, far below the rule's 20."),
        Option("…compute-optimal: the rule asks N = D", False,
               "The rule scales N and D together, at about 20 tokens per parameter, not N = D."),
    )),
])
