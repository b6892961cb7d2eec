"""Self-test of chapter 37: early stopping with patience, and the steps a run needs to see its data a given number of times."""
from __future__ import annotations

import math

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def early_stop(val_losses: list[float], patience: int, min_delta: float = 0.0) -> int:
    """Index of the evaluation at which training stops. An evaluation improves if it is below the best
    so far by more than min_delta."""
    best, since = 0, 0
    for i in range(1, len(val_losses)):
        if val_losses[i] < val_losses[best] - min_delta:
            best, since = i, 0
        else:
            since += 1
            if since == patience:
                return i
    return len(val_losses) - 1


def _stop_cases(g):
    import torch
    # Three fixed curves first, so that each planted mistake is caught by its own hint at every seed:
    # - rises, then falls back without beating its best (comparing with the previous evaluation resets there);
    # - declines by less than min_delta per evaluation (ignoring min_delta runs on to the end);
    # - improves between non-improvements (a count that is never reset stops too early).
    cases = [{"val_losses": [3.0, 3.5, 3.2, 3.1, 3.05, 3.3, 3.4, 3.6, 3.5], "patience": 2},
             {"val_losses": [3.0, 2.96, 2.92, 2.88, 2.84, 2.8, 2.76, 2.9, 3.0], "patience": 2, "min_delta": 0.2},
             {"val_losses": [3.0, 3.1, 2.9, 3.0, 2.8, 2.9, 3.0, 3.1], "patience": 2}]
    for n, patience, min_delta in ((20, 3, None), (15, 1, None), (25, 4, 0.05), (12, 20, None), (18, 2, 0.2)):
        base = torch.linspace(4.0, 3.0, n) + 0.004 * torch.arange(n) ** 2 - 0.002 * n * torch.arange(n) / n
        noisy = (base + 0.05 * torch.randn(n, generator=g)).tolist()
        case = {"val_losses": [round(v, 4) for v in noisy], "patience": patience}
        if min_delta is not None:
            case["min_delta"] = min_delta
        cases.append(case)
    return cases


def _off_by_one(val_losses, patience, min_delta=0.0):
    return early_stop(val_losses, patience + 1, min_delta)


def _no_reset(val_losses, patience, min_delta=0.0):
    best, worse = 0, 0
    for i in range(1, len(val_losses)):
        if val_losses[i] < val_losses[best] - min_delta:
            best = i
        else:
            worse += 1
            if worse == patience:
                return i
    return len(val_losses) - 1


def _min_delta_ignored(val_losses, patience, min_delta=0.0):
    return early_stop(val_losses, patience)


def _compare_previous(val_losses, patience, min_delta=0.0):
    best, since = 0, 0
    for i in range(1, len(val_losses)):
        if val_losses[i] < val_losses[i - 1] - min_delta:
            since = 0
            if val_losses[i] < val_losses[best]:
                best = i
        else:
            since += 1
            if since == patience:
                return i
    return len(val_losses) - 1


EARLY_STOP = Exercise(
    key="37.early_stop", title="early_stop",
    signature="early_stop(val_losses, patience, min_delta=0.0) -> int",
    reference=early_stop, make_cases=_stop_cases,
    task="""Early stopping with patience, run on a list of validation losses (one per evaluation, in order).

- Evaluation `i` **improves** if `val_losses[i] < best_so_far − min_delta`; the first evaluation (index 0)
  is the initial best.
- Count the evaluations since the last improvement; at the evaluation where that count reaches
  `patience`, training stops.
- If it never reaches `patience`, training runs to the end (stop index `len(val_losses) − 1`).

Return the index of the evaluation at which training stops, a Python int (compared exactly). (The
weights you then restore are those of the best evaluation.)

- `val_losses`: a list of floats; `patience`: int ≥ 1; `min_delta`: float ≥ 0.""",
    mistakes=[
        Mistake("off_by_one", "stop at the evaluation where the count of evaluations without improvement "
                "REACHES patience (== patience), not one later.", _off_by_one),
        Mistake("no_reset", "reset the count to 0 whenever an evaluation improves: patience counts "
                "evaluations since the last improvement, not in total.", _no_reset),
        Mistake("min_delta_ignored", "an improvement must beat the best by more than min_delta.",
                _min_delta_ignored),
        Mistake("compare_previous", "compare with the best loss so far, not with the previous evaluation.",
                _compare_previous),
    ])


def steps_for_epochs(train_tokens: int, epochs: float, batch_size: int, context: int) -> int:
    """The fewest optimizer steps after which each training token has been read, on average, ``epochs`` times."""
    return math.ceil(epochs * train_tokens / (batch_size * context))


def _steps_cases(g):
    return [{"train_tokens": 613, "epochs": 125.0, "batch_size": 16, "context": 32},
            {"train_tokens": 51_000, "epochs": 1.5, "batch_size": 16, "context": 32},
            {"train_tokens": 300_000_000_000, "epochs": 1.0, "batch_size": 512, "context": 2048},
            {"train_tokens": 10_000, "epochs": 4.0, "batch_size": 3, "context": 64},
            {"train_tokens": 2_048, "epochs": 3.0, "batch_size": 4, "context": 16}]


def _floor(train_tokens, epochs, batch_size, context):
    return int(epochs * train_tokens // (batch_size * context))


def _no_context(train_tokens, epochs, batch_size, context):
    return math.ceil(epochs * train_tokens / batch_size)


def _inverted(train_tokens, epochs, batch_size, context):
    return math.ceil(epochs * batch_size * context / train_tokens)


def _no_batch(train_tokens, epochs, batch_size, context):
    return math.ceil(epochs * train_tokens / context)


def _no_epochs(train_tokens, epochs, batch_size, context):
    return math.ceil(train_tokens / (batch_size * context))


STEPS_FOR_EPOCHS = Exercise(
    key="37.steps_for_epochs", title="steps_for_epochs",
    signature="steps_for_epochs(train_tokens, epochs, batch_size, context) -> int",
    reference=steps_for_epochs, make_cases=_steps_cases,
    task="""The data regime read the other way round. Lab 1 labels each data size with its epochs: how many
times, on average, a run reads each training token as a target, where one step reads `batch_size`
windows of `context` target tokens. Given a training set and a target number of epochs, return the
**fewest** optimizer steps after which each token has been read, on average, at least `epochs` times
(a whole number of steps: round up).

- `train_tokens`, `batch_size`, `context`: positive ints; `epochs`: a positive float.
- Return a Python int (one case is GPT-3-sized: 300 billion tokens once, batches of 512 × 2048).""",
    mistakes=[
        Mistake("floor", "round UP: with one step fewer the tokens have been read fewer than `epochs` times.",
                _floor),
        Mistake("no_context", "each window holds `context` target tokens: a step reads batch_size · context.",
                _no_context),
        Mistake("inverted", "steps = epochs · train_tokens / (batch_size · context), not the reciprocal.",
                _inverted),
        Mistake("no_batch", "a step reads batch_size windows, not one.", _no_batch),
        Mistake("no_epochs", "multiply by the number of epochs asked for: one epoch is only one case.",
                _no_epochs),
    ])

EXERCISES = [EARLY_STOP, STEPS_FOR_EPOCHS]

QUIZ = Quiz([
    Question("37.q1", "The common answer says a regularizer's strength is tuned “根据训练数据和模型规模” to find one "
                      "best balance. What did the sweep of Lab 1 show for dropout?", (
        Option("A rate that helped at every data size", False,
               "The same dropout that lowers the final validation loss at 60 and 150 lines raises it at 1,500 "
               "and 5,000 (Lab 1's heat map)."),
        Option("It helped at 60–150 lines, hurt at 1,500–5,000", True,
               "With few tokens seen many times the model memorises and dropout fights it; with plenty the "
               "model underfits and dropout only slows learning. Not a law: on the 30-line set no rate "
               "helped (Lab 1)."),
        Option("It helped more as the data grew, as model size does", False,
               "The opposite: the gain shrinks with data and turns into a loss (Lab 1)."),
    ), misconception=True),
    Question("37.q2", "Why is early stopping the cheapest regularizer?", (
        Option("It costs a few evaluations and saves the rest of the run", True,
               "A validation pass every few steps is its whole price; Lab 2 counts the training steps it saves."),
        Option("It watches the training loss, so it needs no validation set", False,
               "The training loss keeps falling while the model overfits (Lab 2's grey curve): early stopping "
               "must watch the validation loss, and those evaluations are its cost."),
        Option("It lowers the FLOPs of each training step", False,
               "Each step costs the same; there are simply fewer of them (Lab 2)."),
    )),
    Question("37.q3", "A GPT-3-sized run reads 300 billion tokens once. Should it use strong dropout?", (
        Option("Yes: the larger the model, the more dropout it needs", False,
               "What matters is how often each token is seen; at about one epoch there is little to memorise "
               "(the large-data end of Lab 1, and exercise 2)."),
        Option("Yes: strong dropout makes each training step cheaper", False,
               "Dropped units are still multiplied, as zeros, in the same dense matmuls; dropout adds mask "
               "work and memory per step (chapter 27)."),
        Option("Little or none: at one epoch it slows learning", True,
               "The large-data regime of Lab 1: dropout hurts when the model is not overfitting; large LLMs "
               "often pretrain without it."),
    )),
])
