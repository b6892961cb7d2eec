"""Chapter 50: the span search equals transformers' decode_spans, SQuAD EM/F1 give the values worked out by
hand, and the exercise references agree with the package."""
import random
import re
import string
from collections import Counter

import numpy as np
import pytest
import torch
from transformers.pipelines.document_question_answering import decode_spans

from course.metrics import exact_match, token_f1
from course.qa import best_span
from course.selftest import bank
from course.selftest.exercises import _reference


@pytest.mark.parametrize("seed", range(5))
def test_best_span_equals_transformers_decode_spans(seed):
    g = torch.Generator().manual_seed(seed)
    t, max_len = 16, 1 + seed
    start, end = torch.randn(3, t, generator=g) * 3, torch.randn(3, t, generator=g) * 3
    allowed = torch.zeros(3, t, dtype=torch.bool)
    allowed[:, 3 + seed:t - 1] = True
    i, j, score = best_span(start, end, allowed, max_len)
    for b in range(3):
        hi, hj, _ = decode_spans(start[b].softmax(-1).numpy(), end[b].softmax(-1).numpy(), t * t, max_len,
                                 allowed[b].numpy().astype(int))
        assert (i[b].item(), j[b].item()) == (int(hi[0]), int(hj[0]))
        assert score[b].item() == pytest.approx((start[b, i[b]] + end[b, j[b]]).item())
    assert bool((j >= i).all()) and bool((j - i < max_len).all())


def test_best_span_without_allowed_and_the_exercise_reference_agree():
    g = torch.Generator().manual_seed(9)
    start, end = torch.randn(4, 10, generator=g), torch.randn(4, 10, generator=g)
    allowed = torch.ones(4, 10, dtype=torch.bool)
    ours = best_span(start, end, None, 4)
    ref = _reference(bank.load(50).BEST_SPAN)(start, end, allowed, 4)
    for a, b in zip(ours, ref):
        assert torch.equal(a, b) if a.dtype == torch.long else torch.allclose(a, b)


@pytest.mark.parametrize("prediction, gold, em, f1", [
    ("The Eiffel Tower!", "eiffel tower", 1.0, 1.0),
    ("in Paris, France", "Paris", 0.0, 0.5),
    ("New York", "York", 0.0, 2 / 3),
    ("the Alps", "Alps", 1.0, 1.0),
    ("1984", "born in 1984", 0.0, 0.5),
    ("an  apple,", "Apple", 1.0, 1.0),
    ("London", "Paris", 0.0, 0.0)])
def test_squad_em_and_f1_on_cases_worked_out_by_hand(prediction, gold, em, f1):
    assert exact_match(prediction, gold) == em
    assert token_f1(prediction, gold) == pytest.approx(f1)


# SQuAD v1.1's scoring rules (Rajpurkar et al., 2016; its evaluation script), restated independently of
# course.metrics as a second opinion: no package in the environment ships the scorer (no `evaluate`, and
# transformers 5 dropped `squad_metrics`). Rules: lower-case; delete ASCII punctuation; delete the words
# a/an/the; split on whitespace. F1 is over the multiset of tokens and is 0 when nothing is shared.
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = {"a", "an", "the"}


def _v11_tokens(text):
    words = re.sub(r"\b(?:a|an|the)\b", " ", text.lower().translate(_PUNCTUATION)).split()
    return [w for w in words if w not in _ARTICLES]


def _v11_exact_match_score(prediction, ground_truth):
    return _v11_tokens(prediction) == _v11_tokens(ground_truth)


def _v11_f1_score(prediction, ground_truth):
    pred, gold = _v11_tokens(prediction), _v11_tokens(ground_truth)
    shared = sum((Counter(pred) & Counter(gold)).values())
    return 0.0 if shared == 0 else 2 * shared / (len(pred) + len(gold))


def _v11_normalize_answer(text):
    return " ".join(_v11_tokens(text))


def test_exact_match_and_token_f1_equal_the_official_v11_script_on_random_strings():
    rng = random.Random(0)
    pieces = ["the", "The", "a", "An", "an", "Paris", "paris", "New", "York", "york", "1984", "Alps", "theater",
              "and", ",", ".", "!", "'s", "-", "  ", "\t", "U.S.", "(", ")", "apple", "Apple", "anew"]
    compared = 0
    for _ in range(3000):
        pred = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        gold = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        assert exact_match(pred, gold) == float(_v11_exact_match_score(pred, gold)), (pred, gold)
        if _v11_normalize_answer(pred) or _v11_normalize_answer(gold):
            assert token_f1(pred, gold) == pytest.approx(_v11_f1_score(pred, gold)), (pred, gold)
            compared += 1
    assert compared > 2000
    # the one difference: both strings normalise to nothing — v1.1 gives 0, course (like v2.0) gives 1
    assert _v11_f1_score("the", "a") == 0 and token_f1("the", "a") == 1.0


def test_squad_f1_exercise_takes_the_best_gold_answer_and_agrees_with_the_package():
    squad_f1 = _reference(bank.load(50).SQUAD_F1)
    assert squad_f1("in Paris, France", ["Paris", "Paris, France"]) == pytest.approx(0.8)
    for prediction, truths in (("new new york", ["New York City"]), ("The Alps", ["alps"])):
        assert squad_f1(prediction, truths) == pytest.approx(token_f1(prediction, truths[0]))
