"""Chapter 46's self-test beyond the bank-wide rules: every planted mistake is caught and named by the
checker, and the quiz cannot be passed by picking the longest or the shortest option."""
import pytest

from course.selftest import bank
from course.selftest.exercises import _reference

CH = bank.load(46)


@pytest.mark.parametrize("ex", CH.EXERCISES, ids=lambda e: e.key)
def test_reference_passes_and_mistakes_are_named(ex):
    for seed in range(6):
        assert ex.check(_reference(ex), seed=seed, record=False).passed
        for mistake in ex.mistakes:
            verdict = ex.check(mistake.fn, seed=seed, record=False)
            assert verdict.mistake == mistake.name, (mistake.name, seed, verdict.message)


def test_quiz_is_not_passed_by_option_length():
    longest = shortest = 0
    for q in CH.QUIZ.questions:
        lengths = [len(o.text) for o in q.options]
        right = next(len(o.text) for o in q.options if o.correct)
        longest += right == max(lengths)
        shortest += right == min(lengths) and lengths.count(right) == 1
    assert longest == 0 and shortest <= 1, (longest, shortest)
