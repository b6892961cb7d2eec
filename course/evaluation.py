"""Evaluating a language model by its likelihoods: the log-likelihood of text, bits per byte, and the
log-likelihood of each option of a multiple-choice question (how evaluation harnesses score benchmarks).

A per-token loss depends on the tokenizer: a character model predicts many easy tokens, a word model
few hard ones. Dividing the *total* negative log-likelihood of a text by its size in bytes (or
characters) gives a number that does not depend on how the text was cut: bits per byte.
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

import torch

from .validate import check_int, check_module, check_number, check_positive, check_same_length

__all__ = ["bits_per_byte", "text_nll", "continuation_logprobs", "ChoiceItem", "tiny_benchmark",
           "fit_power_law"]


def _check_id_lists(name: str, value, *, nonempty: bool = True) -> list[list[int]]:
    if isinstance(value, (str, torch.Tensor)) or not isinstance(value, (list, tuple)) or not value:
        raise TypeError(f"{name} must be a non-empty list of lists of token ids, got {type(value).__name__}")
    for i, ids in enumerate(value):
        if not isinstance(ids, (list, tuple)) or not all(isinstance(t, int) and not isinstance(t, bool)
                                                         for t in ids):
            raise TypeError(f"{name}[{i}] must be a list of int token ids, got {type(ids).__name__}")
        if nonempty and not ids:
            raise ValueError(f"{name}[{i}] is empty: every entry needs at least one token")
    return [list(ids) for ids in value]


def bits_per_byte(total_nll: float, n_bytes: int) -> float:
    """Total negative log-likelihood of a text (nats, summed over all its tokens) / (n_bytes · ln 2).

    The same text cut into characters, words or BPE pieces gets the same denominator, so the number
    compares models across tokenizers; per-token perplexity does not. For ASCII text bytes = characters.
    """
    check_positive("total_nll", total_nll, allow_zero=True)
    check_int("n_bytes", n_bytes, minimum=1)
    return total_nll / (n_bytes * math.log(2))


def _padded(rows: list[list[int]], pad: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [pad] * (width - len(r)) for r in rows], dtype=torch.long)


@torch.inference_mode()
def continuation_logprobs(model: torch.nn.Module, context: list[int],
                          continuations: list[list[int]]) -> list[torch.Tensor]:
    """log P(each token of a continuation | context and the continuation's earlier tokens).

    context: token ids (≥ 1, e.g. a start-of-text token); continuations: K lists of token ids.
    Returns K float tensors of shapes (T_k,), one log-probability per continuation token. All K are
    scored in one padded batch (B = K); padding sits after each row, so causal attention never sees it.
    """
    check_module("model", model)
    [context] = _check_id_lists("context", [context])
    continuations = _check_id_lists("continuations", continuations)
    limit = getattr(getattr(model, "config", None), "context", None)
    longest = len(context) + max(len(c) for c in continuations) - 1
    if limit is not None and longest > limit:
        raise ValueError(f"context + continuation is {longest} tokens, longer than the model's context "
                         f"window ({limit}); shorten the context")
    rows = [context + c for c in continuations]
    device = next(model.parameters()).device
    logits = model(_padded([r[:-1] for r in rows], 0).to(device)).logits           # (K, T, V)
    logp = logits.float().log_softmax(-1)
    out = []
    for k, c in enumerate(continuations):
        positions = torch.arange(len(context) - 1, len(context) - 1 + len(c), device=device)
        out.append(logp[k, positions, torch.tensor(c, device=device)].cpu())
    return out


@torch.inference_mode()
def text_nll(model: torch.nn.Module, lines: list[list[int]], sep_id: int, batch_size: int = 64) -> tuple[float, int]:
    """Total negative log-likelihood (nats) of a text given as lines of token ids, and the number of
    tokens predicted. Each line is read after ``sep_id`` and must be followed by it, as in a stream of
    lines separated by ``sep_id``: input ``[sep] + line``, targets ``line + [sep]``.
    """
    check_module("model", model)
    lines = _check_id_lists("lines", lines)
    check_int("sep_id", sep_id, minimum=0)
    check_int("batch_size", batch_size, minimum=1)
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for start in range(0, len(lines), batch_size):
        chunk = lines[start:start + batch_size]
        x = _padded([[sep_id] + line for line in chunk], 0).to(device)              # (B, T)
        y = _padded([line + [sep_id] for line in chunk], -100).to(device)            # −100: padding, ignored
        logp = model(x).logits.float().log_softmax(-1)
        keep = y != -100
        total -= logp[keep].gather(-1, y[keep][:, None]).sum().item()
        count += int(keep.sum())
    return total, count


@dataclass(frozen=True)
class ChoiceItem:
    """One multiple-choice question: score each option as a continuation of ``context``."""
    task: str
    context: str
    options: tuple[str, ...]
    answer: int            # index of the right option


def tiny_benchmark(n_per_task: int = 25, seed: int = 0) -> list[ChoiceItem]:
    """A made-up benchmark in the course corpus's language (lower case), four tasks of ``n_per_task`` items:

    - ``agreement`` (2 options): the verb form that agrees with a distant subject;
    - ``completion`` (4 options): the true end of a held-out sentence vs its words shuffled and two
      short scrambles of them (options of different lengths: the trap of summed log-likelihoods);
    - ``recall year`` / ``recall city`` (4 options): copy a fact stated earlier in the context.
    """
    check_int("n_per_task", n_per_task, minimum=1, maximum=100)
    check_int("seed", seed, minimum=0)
    from .pretrained import held_out_lines
    from .text import agreement_pairs, qa_examples

    rng = random.Random(seed)
    items = [ChoiceItem("agreement", p.lower(), (right.strip(), wrong.strip()), 0)
             for p, right, wrong in agreement_pairs(n_per_task, seed=seed + 7)]
    sentences = [s for s in held_out_lines(20 * n_per_task, seed=10_001 + seed) if s.endswith(" .")
                 and 7 <= len(s.split()) <= 12 and s.split()[0] in ("the", "a", "some", "many", "one")]
    for s in sentences[:n_per_task]:
        words = s.split()
        rest = words[3:]
        shuffled = rest[:]
        while shuffled == rest:
            rng.shuffle(shuffled)
        options = (rest, shuffled, rng.sample(rest[:-1], 2), [rng.choice(rest[:-1]), "."])
        items.append(ChoiceItem("completion", " ".join(words[:3]), tuple(" ".join(o) for o in options), 0))
    examples = qa_examples(n_per_task, seed=seed + 123)
    cities = sorted({e.answer.lower() for e in qa_examples(200, seed=0) if e.question.startswith("Where")})
    for e in examples:
        context = e.context.lower()
        name = re.match(r"(.+?) (?:was|lives|likes) ", context).group(1)
        city = re.search(r"lives in ([\w ]+?) \.", context).group(1)
        year = re.search(r"born in (\d+)", context).group(1)
        years = [str(int(year) + d) for d in rng.sample([-11, -7, -3, 4, 9, 12], 3)]
        items.append(ChoiceItem("recall year", f"{context} {name} was born in", (year, *years), 0))
        others = rng.sample([c for c in cities if c != city], 3)
        items.append(ChoiceItem("recall city", f"{context} {name} lives in", (city, *others), 0))
    return [_shuffled(item, rng) for item in items]


def _shuffled(item: ChoiceItem, rng: random.Random) -> ChoiceItem:
    """The same item with its options in a random order, so that the right one is not always first."""
    order = list(range(len(item.options)))
    rng.shuffle(order)
    return ChoiceItem(item.task, item.context, tuple(item.options[i] for i in order), order.index(item.answer))


def fit_power_law(x, y, irreducible: float = 0.0) -> tuple[float, float]:
    """Fit y ≈ irreducible + a · x^(−alpha) by least squares on log(y − irreducible) = log a − alpha · log x.

    x: sizes (parameters, tokens, FLOPs), all > 0; y: losses, all > ``irreducible`` (the loss no model of
    any size would go below; 0 fits a pure power law). Returns (a, alpha); alpha > 0 when y falls with x.
    """
    check_number("irreducible", irreducible)
    for name, values in (("x", x), ("y", y)):
        if isinstance(values, (str, torch.Tensor)) or not isinstance(values, (list, tuple)) or len(values) < 2:
            raise TypeError(f"{name} must be a list of at least 2 numbers, got {type(values).__name__}")
        for v in values:
            check_number(f"{name} values", v)
    check_same_length("x", x, "y", y)
    if min(x) <= 0:
        raise ValueError(f"x must be all > 0 (sizes), got a minimum of {min(x)}")
    if min(y) <= irreducible:
        raise ValueError(f"y must lie above irreducible={irreducible}, got a minimum of {min(y)}")
    log_x = torch.tensor([math.log(v) for v in x], dtype=torch.float64)
    log_y = torch.tensor([math.log(v - irreducible) for v in y], dtype=torch.float64)
    design = torch.stack([torch.ones_like(log_x), log_x], dim=1)                   # (n, 2)
    intercept, slope = torch.linalg.lstsq(design, log_y[:, None]).solution[:, 0].tolist()
    return math.exp(intercept), -slope
