"""Chapter 23's self-test beyond the bank-wide rules: a half-done exclusion in the analogy search fails, and
the quiz cannot be passed by option length."""
import pytest
import torch

from course.selftest import bank
from course.selftest.exercises import _reference

CH = bank.load(23)


@pytest.mark.parametrize("excluded", ["c", "ab", "ac"])      # leaving a in rarely matters: it scores low
def test_analogy_that_excludes_only_some_of_a_b_c_fails(excluded):
    def partial(vectors, a, b, c):
        unit = vectors / vectors.norm(dim=1, keepdim=True)
        scores = unit @ (unit[b] - unit[a] + unit[c])
        scores[[{"a": a, "b": b, "c": c}[k] for k in excluded]] = -float("inf")
        return int(scores.argmax())
    for seed in range(3):
        assert not CH.ANALOGY.check(partial, seed=seed, record=False).passed


def test_ppmi_reference_matches_the_formula_on_a_hand_case():
    counts = torch.tensor([[4.0, 0.0], [1.0, 3.0]])                 # N = 8
    expected = torch.tensor([[torch.log(torch.tensor(4 * 8 / (4 * 5))), 0.0],
                             [0.0, torch.log(torch.tensor(3 * 8 / (4 * 3)))]])   # 1·8/(4·5) < 1 → clipped
    assert torch.allclose(_reference(CH.PPMI)(counts, 1), expected)


def test_quiz_is_not_passed_by_option_length():
    longest = shortest = 0
    for q in CH.QUIZ.questions:
        lengths = [len(o.text) for o in q.options]
        right = next(len(o.text) for o in q.options if o.correct)
        longest += right == max(lengths)
        shortest += right == min(lengths) and lengths.count(right) == 1
    assert longest == 0 and shortest <= 1, (longest, shortest)
