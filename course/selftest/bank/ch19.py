"""Self-test of chapter 19: the nucleus (top-p) filter and CTRL's repetition penalty."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """-inf outside the smallest set of most probable tokens whose probabilities reach p."""
    probs, ranked = logits.softmax(-1).sort(dim=-1, descending=True)
    mass_before = probs.cumsum(-1) - probs                     # probability of the better-ranked tokens
    outside = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, ranked, mass_before >= p)
    return logits.masked_fill(outside, float("-inf"))


def _top_p_cases(g):
    # A fixed row first, on which each planted mistake keeps its own set of tokens, so that each is caught by
    # its own hint at every seed: the nucleus {1, 3} is not a prefix of the vocabulary order, and no token
    # has probability 1 − p or more.
    cases = [{"logits": torch.tensor([[0.1, 0.45, 0.04, 0.3, 0.06, 0.05]]).log(), "p": 0.5}]
    for b, v, scale, p in ((2, 10, 2.0, 0.9), (3, 30, 4.0, 0.5), (1, 8, 0.5, 0.99), (4, 20, 6.0, 0.01), (2, 50, 1.0, 0.7)):
        cases.append({"logits": torch.randn(b, v, generator=g) * scale, "p": p})
    return cases


def _drops_crossing_token(logits, p):
    probs, ranked = logits.softmax(-1).sort(dim=-1, descending=True)
    outside = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, ranked, probs.cumsum(-1) > p)
    return logits.masked_fill(outside, float("-inf"))


def _threshold(logits, p):
    return logits.masked_fill(logits.softmax(-1) < 1 - p, float("-inf"))


def _ascending(logits, p):
    probs, ranked = logits.softmax(-1).sort(dim=-1)
    outside = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, ranked, probs.cumsum(-1) - probs >= p)
    return logits.masked_fill(outside, float("-inf"))


def _unsorted(logits, p):
    probs = logits.softmax(-1)
    return logits.masked_fill(probs.cumsum(-1) - probs >= p, float("-inf"))


def _renormalised(logits, p):
    kept = top_p_filter(logits, p)
    return kept.softmax(-1)


TOP_P = Exercise(
    key="19.top_p_filter", title="top_p_filter",
    signature="top_p_filter(logits (B, V), p) -> (B, V)",
    reference=top_p_filter, make_cases=_top_p_cases,
    task="""The nucleus filter of top-p sampling (Holtzman et al., 2020). For each row, rank the tokens by
probability (softmax of the row), most probable first, and keep the **smallest** prefix of that ranking
whose probabilities add up to at least `p`: the token that makes the sum reach `p` is kept. Every other
token's logit becomes `-inf`; kept logits are returned **unchanged** (not probabilities, not renormalised).

- `logits`: float32 `(B, V)`, no ties; `p`: float in (0, 1].
- The most probable token is always kept, even for a tiny `p`.
- Return float32 `(B, V)`; do not modify the input.""",
    mistakes=[
        Mistake("drops_crossing_token", "keep the token that makes the sum reach p: drop a token only when the "
                "tokens ranked before it already reach p (so the top token always stays).", _drops_crossing_token),
        Mistake("threshold", "top-p is not a probability threshold: it keeps a set of tokens by their "
                "cumulative probability in rank order.", _threshold),
        Mistake("ascending", "rank from the most probable token down (descending), not up.", _ascending),
        Mistake("unsorted", "sort by probability first: the cumulative sum must run over the ranking, not over "
                "the vocabulary order.", _unsorted),
        Mistake("renormalised", "return the logits with -inf outside the nucleus, not probabilities: sampling "
                "applies the softmax afterwards.", _renormalised),
    ])


def repetition_penalty(logits: torch.Tensor, idx: torch.Tensor, penalty: float) -> torch.Tensor:
    """CTRL: logits of tokens present in idx are divided by penalty when positive, multiplied when negative."""
    out = logits.clone()
    for row, tokens in enumerate(idx):
        present = tokens.unique()
        values = out[row, present]
        out[row, present] = torch.where(values > 0, values / penalty, values * penalty)
    return out


def _penalty_cases(g):
    # A fixed case first, on which each planted mistake gives its own logits, so that each is caught by its
    # own hint at every seed: positive and negative penalized logits, a repeated token, and tokens seen
    # only in the other row.
    cases = [{"logits": torch.tensor([[2.0, -1.0, 0.5, -3.0, 1.0, 0.7], [0.3, 1.5, -0.4, 2.5, -2.0, 0.9]]),
              "idx": torch.tensor([[0, 1, 1, 3], [2, 2, 5, 4]]), "penalty": 2.0}]
    for b, v, t, penalty in ((1, 6, 3, 1.5), (2, 12, 8, 1.3), (3, 20, 15, 2.0), (2, 9, 12, 0.8)):
        logits = torch.randn(b, v, generator=g) * 2
        idx = torch.randint(0, v // 2, (b, t), generator=g)       # repeats within a row are likely
        cases.append({"logits": logits, "idx": idx, "penalty": penalty})
    return cases


def _divide_all(logits, idx, penalty):
    return logits.scatter(1, idx, logits.gather(1, idx) / penalty)


def _per_occurrence(logits, idx, penalty):
    out = logits.clone()
    for row, tokens in enumerate(idx):
        for tok in tokens.tolist():
            value = out[row, tok]
            out[row, tok] = value / penalty if value > 0 else value * penalty
    return out


def _inverted(logits, idx, penalty):
    return repetition_penalty(logits, idx, 1 / penalty)


def _subtract(logits, idx, penalty):
    return logits.scatter(1, idx, logits.gather(1, idx) - penalty)


def _whole_batch(logits, idx, penalty):
    present = idx.unique()
    out = logits.clone()
    values = out[:, present]
    out[:, present] = torch.where(values > 0, values / penalty, values * penalty)
    return out


PENALTY = Exercise(
    key="19.repetition_penalty", title="repetition_penalty",
    signature="repetition_penalty(logits (B, V), idx (B, T), penalty) -> (B, V)",
    reference=repetition_penalty, make_cases=_penalty_cases,
    task="""CTRL's repetition penalty (Keskar et al., 2019), as transformers' `RepetitionPenaltyLogitsProcessor`
applies it. For each row b, every token id that occurs in `idx[b]` (the prompt and the tokens generated so
far) gets its logit changed **once**, however often it occurs:

- a positive logit is **divided** by `penalty`;
- a negative logit is **multiplied** by `penalty`,

so for `penalty > 1` the token always becomes less likely (and for `penalty < 1` more likely).
Tokens not in `idx[b]` keep their logits. Rows are independent: a token seen in row 0 is not penalized in row 1.

- `logits`: float32 `(B, V)`; `idx`: int64 `(B, T)` with ids in [0, V); `penalty`: positive float.
- Return float32 `(B, V)`; do not modify the inputs.""",
    mistakes=[
        Mistake("divide_all", "dividing a negative logit by penalty > 1 moves it *up*, towards 0: the token "
                "becomes more likely. Multiply negative logits instead.", _divide_all),
        Mistake("per_occurrence", "penalize each distinct token once, however many times it occurs.",
                _per_occurrence),
        Mistake("inverted", "divide positive logits and multiply negative ones, not the other way round.",
                _inverted),
        Mistake("subtract", "CTRL's penalty scales the logit (÷ or × penalty); subtracting a constant is a "
                "different rule (a presence penalty).", _subtract),
        Mistake("whole_batch", "rows are independent: penalize in row b only the tokens of idx[b].", _whole_batch),
    ])

EXERCISES = [TOP_P, PENALTY]

QUIZ = Quiz([
    Question("19.q1", "The common answer says GPT keeps text coherent by choosing “概率最高的词” at every step. "
                      "What does Lab 1 measure for greedy decoding?", (
        Option("Most of its continuations end in a loop the real text never has", True,
               "And the model rates those loops as more probable than the real text: maximizing likelihood "
               "step by step is not the way to text like the training text."),
        Option("It is the most coherent decoder there is, just a little less varied", False,
               "It loops: Lab 1 counts continuations that repeat a 7-token stretch, Lab 3 its low distinct-2."),
        Option("Its text is less probable under the model than the real text", False,
               "The opposite: greedy text has a higher log-likelihood per token than the real text (Lab 1)."),
    ), misconception=True),
    Question("19.q2", "The common answer says softmax “避免生成概率过低的词”. What removes the low-probability tail?", (
        Option("Softmax itself, which pushes small logits to a probability of zero", False,
               "Softmax gives every token a positive probability: Lab 2 counts all of the vocabulary as possible."),
        Option("Top-k or top-p truncation, which set the tail's logits to −inf", True,
               "Only then do those tokens have probability 0; temperature only reshapes the distribution."),
        Option("A temperature above 1, which flattens the distribution", False,
               "A high temperature moves probability *into* the tail (Lab 3: likelihood collapses at T = 2)."),
    )),
    Question("19.q3", "What does lowering the temperature below 1 do?", (
        Option("Flattens the distribution, so that rarer, more varied words appear", False,
               "That is T > 1. Dividing logits by T < 1 widens their gaps."),
        Option("Keeps the distribution's shape but removes the tail", False,
               "That is truncation (top-k/top-p). Temperature changes every probability."),
        Option("Sharpens it towards greedy: less varied, more probable text", True,
               "Lab 3: distinct-2 falls and likelihood rises as T falls; T → 0 is greedy."),
    )),
    Question("19.q4", "Why is top-p often preferred over top-k?", (
        Option("It keeps as many tokens as the distribution's shape needs", True,
               "A confident step keeps few, an open step many: Lab 2 prints how the kept count varies by prompt."),
        Option("It always gives more probable text than top-k, at every setting", False,
               "No such rule: how probable the text is depends on k, p and the temperature (Lab 3 prints one "
               "setting of each). Top-p's point is that the number of tokens kept adapts to each step."),
        Option("It leaves the top token's probability unchanged", False,
               "After renormalisation every kept token's probability rises, the top one's too."),
    )),
    Question("19.q5", "With CTRL's repetition penalty 1.3, a token already generated has logit −2.0. What is "
                      "its new logit?", (
        Option("−2.0 / 1.3 ≈ −1.54", False,
               "Dividing a negative logit raises it: the repeated token would become *more* likely."),
        Option("−2.0 × 1.3 = −2.6", True, "Negative logits are multiplied, positive ones divided: both move down."),
        Option("−2.0 − 1.3 = −3.3", False, "That is a subtractive (presence) penalty, not CTRL's."),
    )),
])
