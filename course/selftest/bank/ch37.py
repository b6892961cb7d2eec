"""Self-test of chapter 37: early stopping with patience, and how many times a run sees its data."""
from __future__ import annotations

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
    cases = []
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


def epochs(train_tokens: int, steps: int, batch_size: int, context: int) -> float:
    """How many times, on average, each training token is read as a target."""
    return steps * batch_size * context / train_tokens


def _epoch_cases(g):
    return [{"train_tokens": 613, "steps": 150, "batch_size": 16, "context": 32},
            {"train_tokens": 51_000, "steps": 150, "batch_size": 16, "context": 32},
            {"train_tokens": 300_000_000_000, "steps": 286_000, "batch_size": 512, "context": 2048},
            {"train_tokens": 10_000, "steps": 7, "batch_size": 3, "context": 64}]


def _no_context(train_tokens, steps, batch_size, context):
    return steps * batch_size / train_tokens


def _inverted(train_tokens, steps, batch_size, context):
    return train_tokens / (steps * batch_size * context)


def _no_batch(train_tokens, steps, batch_size, context):
    return steps * context / train_tokens


EPOCHS = Exercise(
    key="37.epochs", title="epochs",
    signature="epochs(train_tokens, steps, batch_size, context) -> float",
    reference=epochs, make_cases=_epoch_cases,
    task="""The data regime in one number: how many times, on average, a run reads each training token as a
target. A step reads `batch_size` windows of `context` tokens each, so the run reads
`steps · batch_size · context` target tokens; divide by the number of distinct training tokens.

- All four arguments are positive ints. Return a Python float (one case is GPT-3-sized: 300 billion
  tokens, batches of 512 × 2048).""",
    mistakes=[
        Mistake("no_context", "each window holds `context` target tokens: multiply by context.", _no_context),
        Mistake("inverted", "epochs = tokens read / distinct tokens, not the other way round.", _inverted),
        Mistake("no_batch", "a step reads batch_size windows: multiply by batch_size.", _no_batch),
    ])

EXERCISES = [EARLY_STOP, EPOCHS]

QUIZ = Quiz([
    Question("37.q1", "The common answer says a regularizer's strength is tuned “根据训练数据和模型规模” to find one "
                      "best balance. What did the sweep of Lab 1 show for dropout?", (
        Option("A strength that helps at every data size", False,
               "The same dropout that lowers the final validation loss at 60 and 150 lines raises it at 1,500 "
               "and 5,000 (Lab 1's heat map)."),
        Option("It helps with little data and hurts with plenty", True,
               "With few tokens seen many times the model memorises and dropout fights it; with plenty the "
               "model underfits and dropout only slows learning (Lab 1; the 30-line row is an exception)."),
        Option("It helps more as the data grows, like model size", False,
               "The opposite: the gain shrinks with data and turns into a loss (Lab 1)."),
    ), misconception=True),
    Question("37.q2", "Why is early stopping the cheapest regularizer?", (
        Option("It costs only evaluations, and it saves the remaining steps", True,
               "A validation pass every few steps is its whole price; Lab 2 counts the training steps it saves."),
        Option("It needs no validation data at all", False,
               "It watches the validation loss: that is what it needs and what it costs."),
        Option("It lowers the FLOPs of each training step", False,
               "Each step costs the same; there are simply fewer of them (Lab 2)."),
    )),
    Question("37.q3", "A GPT-3-sized run reads 300 billion tokens once. Should it use strong dropout?", (
        Option("Yes: the larger the model, the more dropout it needs", False,
               "What matters is how often each token is seen; at about one epoch there is little to memorise "
               "(the large-data end of Lab 1, and exercise 2)."),
        Option("Yes: dropout is free at such a scale", False,
               "Dropout costs time and memory per step (chapter 27), at every scale."),
        Option("Little or none: at one epoch it mostly slows learning", True,
               "The large-data regime of Lab 1: dropout hurts when the model is not overfitting; large LLMs "
               "often pretrain without it."),
    )),
])
