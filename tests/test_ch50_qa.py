"""Chapter 50: the span search equals transformers' decode_spans, SQuAD EM/F1 give the values worked out by
hand, and the exercise references agree with the package."""
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


def test_squad_f1_exercise_takes_the_best_gold_answer_and_agrees_with_the_package():
    squad_f1 = _reference(bank.load(50).SQUAD_F1)
    assert squad_f1("in Paris, France", ["Paris", "Paris, France"]) == pytest.approx(0.8)
    for prediction, truths in (("new new york", ["New York City"]), ("The Alps", ["alps"])):
        assert squad_f1(prediction, truths) == pytest.approx(token_f1(prediction, truths[0]))


def test_every_planted_mistake_is_caught_and_named():
    for ex in bank.load(50).EXERCISES:
        for seed in range(4):
            assert ex.check(_reference(ex), seed=seed, record=False).passed, ex.key
        for mistake in ex.mistakes:
            verdict = ex.check(mistake.fn, seed=0, record=False)
            assert not verdict.passed and verdict.mistake == mistake.name, (ex.key, mistake.name, verdict.mistake)
