"""Self-test of chapter 50: the best valid answer span, and SQuAD's F1 against several gold answers."""
from __future__ import annotations

import re
import string
from collections import Counter

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor, allowed: torch.Tensor, max_len: int):
    """Highest start + end logit over spans i ≤ j < i + max_len inside ``allowed``."""
    size = start_logits.shape[1]
    offset = torch.arange(size)[None, :] - torch.arange(size)[:, None]
    keep = (offset >= 0) & (offset <= max_len - 1) & allowed[:, None, :] & allowed[:, :, None]
    total = (start_logits.unsqueeze(2) + end_logits.unsqueeze(1)).masked_fill(~keep, float("-inf"))
    value, index = total.flatten(1).max(dim=1)
    return torch.div(index, size, rounding_mode="floor"), index % size, value


def _span_cases(g):
    # by hand first: the best pair ignoring order, (5, 4), and the separate argmaxes, (5, 2), both differ from
    # the best valid span, (2, 2)
    start = torch.tensor([[0.0, 0, 0.5, 0, 1, 5, 0, 0]])
    end = torch.tensor([[0.0, 0, 6, 0, 5, 0, 0, 0]])
    allowed = torch.tensor([[False, False, True, True, True, True, True, False]])
    cases = [{"start_logits": start, "end_logits": end, "allowed": allowed, "max_len": 2}]
    # and one whose best span is (2, 2), where a span one token too long, (1, 2), or unbounded, (1, 4), wins
    cases.append({"start_logits": torch.tensor([[0.0, 3, 0.5, 0, 0, 0]]),
                  "end_logits": torch.tensor([[0.0, 0, 3, 0, 4, 9]]),
                  "allowed": torch.tensor([[False, True, True, True, True, False]]), "max_len": 1})
    for b, t, max_len, lo in ((3, 8, 3, 2), (2, 12, 5, 4), (4, 6, 1, 1), (2, 10, 30, 3)):
        allowed = torch.zeros(b, t, dtype=torch.bool)
        allowed[:, lo:t - 1] = True                     # question before, [SEP] after
        cases.append({"start_logits": torch.randn(b, t, generator=g) * 3,
                      "end_logits": torch.randn(b, t, generator=g) * 3, "allowed": allowed, "max_len": max_len})
    return cases


def _independent(start_logits, end_logits, allowed, max_len):
    s = start_logits.masked_fill(~allowed, float("-inf")).max(-1)
    e = end_logits.masked_fill(~allowed, float("-inf")).max(-1)
    return s.indices, e.indices, s.values + e.values


def _no_max_len(start_logits, end_logits, allowed, max_len):
    return best_span(start_logits, end_logits, allowed, start_logits.shape[1])


def _max_len_plus_one(start_logits, end_logits, allowed, max_len):
    return best_span(start_logits, end_logits, allowed, max_len + 1)


def _no_allowed(start_logits, end_logits, allowed, max_len):
    return best_span(start_logits, end_logits, torch.ones_like(allowed), max_len)


def _no_order(start_logits, end_logits, allowed, max_len):
    size = start_logits.shape[1]
    offset = (torch.arange(size)[None, :] - torch.arange(size)[:, None]).abs()
    keep = (offset <= max_len - 1) & allowed[:, None, :] & allowed[:, :, None]
    total = (start_logits.unsqueeze(2) + end_logits.unsqueeze(1)).masked_fill(~keep, float("-inf"))
    value, index = total.flatten(1).max(dim=1)
    return torch.div(index, size, rounding_mode="floor"), index % size, value


BEST_SPAN = Exercise(
    key="50.best_span", title="best_span",
    signature="best_span(start_logits (B, T), end_logits (B, T), allowed (B, T), max_len) -> (starts, ends, scores)",
    reference=best_span, make_cases=_span_cases,
    task=(
        "Turn a QA model's per-token logits into one answer span per example: the pair (i, j) with the "
        "highest `start_logits[b, i] + end_logits[b, j]` among the **valid** spans.\n\n"
        "- `start_logits`, `end_logits`: float32 `(B, T)`; `allowed`: bool `(B, T)`, True on the context "
        "tokens (both i and j must be allowed); `max_len`: `int` ≥ 1, the longest answer in tokens.\n"
        "- Valid: `i ≤ j` and `j − i + 1 ≤ max_len` (ends are inclusive).\n"
        "- Return a tuple `(starts, ends, scores)`: `starts`, `ends` int64 `(B,)`, `scores` float32 `(B,)`, "
        "the best span's summed logits. The checks have a unique best span."),
    mistakes=[
        Mistake("no_max_len", "spans longer than max_len tokens are not valid.", _no_max_len),
        Mistake("independent", "the best start and the best end, taken separately, may give end < start or "
                "a span that is too long: maximise over pairs.", _independent),
        Mistake("max_len_plus_one", "a span from i to j holds j − i + 1 tokens: require j − i + 1 ≤ max_len.",
                _max_len_plus_one),
        Mistake("no_allowed", "both ends must lie on allowed (context) tokens: the question and [SEP] are "
                "not answers.", _no_allowed),
        Mistake("no_order", "the end may not come before the start: require i ≤ j.", _no_order),
    ])


def _tokens(text: str, articles: bool = True, punctuation: bool = True) -> list[str]:
    text = text.lower()
    if punctuation:
        text = "".join(ch for ch in text if ch not in string.punctuation)
    if articles:
        text = re.sub(r"\b(a|an|the)\b", " ", text)
    return text.split()


def _f1(pred: list[str], gold: list[str], multiset: bool = True) -> float:
    if not pred or not gold:
        return float(pred == gold)
    same = sum((Counter(pred) & Counter(gold)).values()) if multiset else len(set(pred) & set(gold))
    if same == 0:
        return 0.0
    p, r = same / len(pred), same / len(gold)
    return 2 * p * r / (p + r)


def squad_f1(prediction: str, truths: list[str]) -> float:
    """SQuAD's F1 of one prediction: normalised token overlap with each gold answer, best of them."""
    return max(_f1(_tokens(prediction), _tokens(truth)) for truth in truths)


def _f1_cases(g):
    return [{"prediction": "in Paris, France", "truths": ["Paris", "Paris, France"]},
            {"prediction": "The Alps", "truths": ["the alps", "Alps mountains"]},
            {"prediction": "born in 1984.", "truths": ["1984"]},
            {"prediction": "new new york", "truths": ["New York City", "NYC"]},
            {"prediction": "an apple a day", "truths": ["Apple", "apples"]},
            {"prediction": "Li Wei met Chen", "truths": ["Chen", "Li Wei", "Omar"]},
            {"prediction": "Bora Bora island", "truths": ["Bora Bora", "Bora Bora atoll"]}]


SQUAD_F1 = Exercise(
    key="50.squad_f1", title="squad_f1",
    signature="squad_f1(prediction: str, truths: list[str]) -> float",
    reference=squad_f1, make_cases=_f1_cases,
    task=(
        "SQuAD's F1 for one question that has **several** gold answers (the dev set has at least three per "
        "question). "
        "Return a Python `float` in [0, 1].\n\n"
        "- Normalise each string as the official v1.1 script does: lower-case; delete every character of "
        "`string.punctuation`; replace the words `a`, `an`, `the` (whole words) by spaces; split on whitespace.\n"
        "- F1 of two token lists: `same` = number of tokens in common **counted with multiplicity** "
        "(`Counter(p) & Counter(g)`); if `same` is 0 → 0.0; else precision = same / len(p), recall = "
        "same / len(g), F1 = 2PR / (P + R). If either list is empty, F1 = 1.0 when both are, else 0.0 (the "
        "v2.0 script's rule for unanswerable questions; v1.1 gives 0.0 in both cases, and its gold answers "
        "are never empty).\n"
        "- The question's F1 is the **maximum** over `truths`."),
    mistakes=[
        Mistake("mean_over_truths", "take the best gold answer (max), not the average over them.",
                lambda prediction, truths: sum(_f1(_tokens(prediction), _tokens(t)) for t in truths) / len(truths)),
        Mistake("first_truth_only", "compare with every gold answer and keep the best.",
                lambda prediction, truths: _f1(_tokens(prediction), _tokens(truths[0]))),
        Mistake("articles_kept", "remove the articles a, an, the before comparing.",
                lambda prediction, truths: max(_f1(_tokens(prediction, articles=False), _tokens(t, articles=False))
                                               for t in truths)),
        Mistake("punctuation_kept", "delete punctuation before splitting: `France` and `France,` are one word.",
                lambda prediction, truths: max(_f1(_tokens(prediction, punctuation=False),
                                                   _tokens(t, punctuation=False)) for t in truths)),
        Mistake("set_overlap", "count common tokens with multiplicity (Counter &), not as a set.",
                lambda prediction, truths: max(_f1(_tokens(prediction), _tokens(t), multiset=False) for t in truths)),
    ])

EXERCISES = [BEST_SPAN, SQUAD_F1]

QUIZ = Quiz([
    Question("50.q1", "The common answer encodes the text “为固定长度的嵌入向量” and then classifies the answer's "
                      "position. What does a BERT-style QA head do instead?", (
        Option("Classifies the [CLS] vector into one of T possible positions", False,
               "That is the common answer's picture: one output unit per position, each learnt separately, "
               "and nothing beyond T. Lab 3 measures it on positions never seen in training."),
        Option("Scores each token: a start and an end logit, same weights", True,
               "The same 2 × (d + 1) weights score each token's own contextual vector, wherever it stands."),
        Option("Generates the answer word by word from the [CLS] vector", False,
               "That is generative QA (a decoder); extractive QA points at a span of the context."),
        Option("Picks the context sentence most similar to the question vector", False,
               "That is retrieval or answer-sentence selection; SQuAD asks for the exact span."),
    ), misconception=True),
    Question("50.q2", "Why not take the argmax of the start logits and the argmax of the end logits separately?", (
        Option("They can give an end before the start, or a span that is too long", True,
               "Search over valid pairs i ≤ j < i + max_len; Lab 2 counts the invalid spans of separate argmaxes."),
        Option("Logits must be softmaxed first, or the argmax is not the best", False,
               "Softmax is monotone: the argmax of the logits and of the probabilities are the same position. "
               "The problem is that the two positions are chosen without regard to each other."),
        Option("Nothing is wrong with it: the valid-span search gives the same pairs", False,
               "Only when the separate argmaxes happen to be valid; Lab 2 shows an early checkpoint where they are not."),
    )),
    Question("50.q3", "Gold answer `Paris`, prediction `in Paris, France`. What are SQuAD's EM and F1?", (
        Option("EM 1 and F1 1: the gold answer is contained in it", False,
               "EM compares the whole normalised strings; containment is not a match."),
        Option("EM 0 and F1 0.5: precision 1/3, recall 1", True,
               "Punctuation is removed, 1 of 3 predicted tokens is right, the one gold token is found: "
               "F1 = 2·(1/3)·1 / (1/3 + 1) = 0.5 (Lab 3 computes it)."),
        Option("EM 0 and F1 0.33: one token of three is right", False,
               "That is the precision alone; F1 is the harmonic mean of precision (1/3) and recall (1)."),
        Option("EM 0 and F1 0: `Paris,` with its comma differs from `Paris`", False,
               "The official normalisation deletes punctuation, articles and extra spaces first."),
    )),
    Question("50.q4", "The common answer evaluates QA with “准确率、精确率、召回率”. How is SQuAD scored?", (
        Option("Accuracy of the predicted start position over the examples", False,
               "A right start with a wrong end is not an answer; SQuAD scores the answer text."),
        Option("Exact match and token-overlap F1 of the normalised answer", True,
               "Rajpurkar et al. (2016); F1 is precision and recall over the answer's tokens, the best over "
               "the gold answers per question, then averaged."),
        Option("BLEU of the predicted answer against the gold answers", False,
               "BLEU is a translation metric; SQuAD uses EM and token-overlap F1."),
    )),
])
