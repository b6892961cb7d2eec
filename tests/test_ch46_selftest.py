"""Chapter 46's self-test beyond the bank-wide rules: the quiz cannot be passed by picking the longest or the
shortest option."""

from course.selftest import bank

CH = bank.load(46)


def test_quiz_is_not_passed_by_option_length():
    longest = shortest = 0
    for q in CH.QUIZ.questions:
        lengths = [len(o.text) for o in q.options]
        right = next(len(o.text) for o in q.options if o.correct)
        longest += right == max(lengths)
        shortest += right == min(lengths) and lengths.count(right) == 1
    assert longest == 0 and shortest <= 1, (longest, shortest)
