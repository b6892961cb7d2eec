import json
import warnings

import pytest
import torch

from course.selftest.exercises import _reference

from course.selftest import (Progress, ProgressWarning, Question, Option, all_exercises, bank, exercise,
                             quiz)

EXERCISES = all_exercises()


@pytest.mark.parametrize("ex", EXERCISES, ids=[e.key for e in EXERCISES])
def test_reference_solution_passes_on_many_seeds(ex):
    for seed in range(5):
        verdict = ex.check(_reference(ex), seed=seed, record=False)
        assert verdict.passed, verdict.message


@pytest.mark.parametrize("ex", EXERCISES, ids=[e.key for e in EXERCISES])
def test_planted_mistakes_fail_with_their_own_hint(ex):
    assert len(ex.mistakes) >= 3
    for seed in range(6):
        verdict = ex.check(_reference(ex), seed=seed, record=False)
        assert verdict.passed, (seed, verdict.message)
        for mistake in ex.mistakes:
            verdict = ex.check(mistake.fn, seed=seed, record=False)
            assert not verdict.passed, (seed, mistake.name)
            assert verdict.mistake == mistake.name, (seed, mistake.name, verdict.message)
            assert mistake.hint in verdict.message, (seed, mistake.name)


def _raises(**kwargs):
    raise RuntimeError("boom")


@pytest.mark.parametrize("bad,expected", [
    (_raises, "Your function raised `RuntimeError: boom`"),
    (lambda **kw: "not a tensor", "returned a str"),
    (lambda **kw: torch.zeros(1), "Wrong shape"),
    ("softmax", "Pass your function itself"),
])
def test_wrong_answers_never_crash_the_checker(bad, expected):
    verdict = exercise("04.softmax").check(bad, seed=0, record=False)
    assert not verdict.passed and expected in verdict.message


def test_wrong_dtype_and_nan_are_explained():
    ex = exercise("04.softmax")
    assert "Wrong dtype" in ex.check(lambda x, dim=-1: torch.softmax(x, dim).double(), seed=0, record=False).message
    nan = ex.check(lambda x, dim=-1: torch.softmax(x, dim) * float("nan"), seed=0, record=False)
    assert "NaN or inf" in nan.message


def test_solution_is_available_on_request_only():
    ex = exercise("04.attention")
    assert "def attention" in ex.solution()
    assert "def attention" not in ex.check(_reference(ex), seed=0, record=False).message


@pytest.mark.parametrize("number", bank.CHAPTERS_WITH_SELFTEST)
def test_quizzes_are_well_formed(number):
    q = quiz(number)
    assert len(q.questions) >= 3
    assert sum(question.misconception for question in q.questions) >= 1
    for question in q.questions:
        assert sum(o.correct for o in question.options) == 1
        assert all(len(o.why) > 20 for o in question.options)
        right = q.answer(q.questions.index(question) + 1, question.answer, record=False)
        assert right.startswith("✓")
    assert len(bank.load(number).EXERCISES) >= 2


def test_question_with_two_correct_options_is_rejected():
    with pytest.raises(ValueError, match="exactly one correct"):
        Question("x.q", "?", (Option("a", True, "because"), Option("b", True, "because")))


def test_quiz_text_fallback_and_widget_bundle():
    bundle = quiz(1)._repr_mimebundle_()
    assert "Q1." in bundle["text/plain"] and "(a)" in bundle["text/plain"]


def test_progress_records_and_survives_corruption(tmp_path):
    path = tmp_path / "progress.json"
    progress = Progress(path)
    progress.record_exercise("04.softmax", False)
    progress.record_exercise("04.softmax", True)
    progress.record_exercise("04.softmax", False)                 # passed stays passed
    progress.record_quiz("04.q1", True)
    data = json.loads(path.read_text())
    assert data["exercises"]["04.softmax"] == {**data["exercises"]["04.softmax"], "passed": True, "attempts": 3}
    assert progress.passed("quizzes") == {"04.q1"}
    assert not list(tmp_path.glob(".*.tmp"))                      # no temporary files left behind

    path.write_text("{ this is not json")
    with pytest.warns(ProgressWarning, match="could not be read"):
        assert progress.load()["exercises"] == {}
    backups = list(tmp_path.glob("progress.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_text() == "{ this is not json"
    progress.record_exercise("01.bigram", True)
    assert progress.passed() == {"01.bigram"}


def test_progress_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    progress = Progress(path)
    progress.record_exercise("01.bigram", True)
    before = path.read_text()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", crash)
    with pytest.raises(OSError):
        progress.record_exercise("01.perplexity", True)
    assert path.read_text() == before                              # old file intact
    assert not list(tmp_path.glob(".*.tmp"))


def test_progress_with_wrong_structure_is_set_aside(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"schema": 1, "exercises": []}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Progress(path).load()
    assert any(issubclass(w.category, ProgressWarning) for w in caught)


def test_check_records_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "p.json"))
    ex = exercise("07.global_norm")
    ex.check(_reference(ex), seed=0)
    assert Progress().passed() == {"07.global_norm"}
    quiz(7).answer(2, quiz(7).questions[1].answer)
    assert Progress().passed("quizzes") == {"07.q2"}


def test_unwritten_stub_gets_a_friendly_nudge():
    def stub(x, dim=-1):
        raise NotImplementedError
    verdict = exercise("04.softmax").check(stub, seed=0, record=False)
    assert not verdict.passed and "Not written yet" in verdict.message


def test_a_function_that_writes_into_its_inputs_is_told_so_even_when_its_result_is_right():
    ex = exercise("28.masked_batch_norm")

    def normalise_in_place(x, mask, weight, bias, eps=1e-5):
        real = x[mask]
        x.sub_(real.mean(0)).div_((real.var(0, unbiased=False) + eps).sqrt()).mul_(weight).add_(bias)
        x[~mask] = 0
        return x

    verdict = ex.check(normalise_in_place, seed=0, record=False)
    assert not verdict.passed and verdict.mistake == "changed_input" and "`x` in place" in verdict.message


def test_a_nan_where_a_number_is_expected_gets_a_hint():
    ex = exercise("22.half_life")
    verdict = ex.check(lambda **kw: float("nan"), seed=0, record=False)
    assert not verdict.passed and "division by zero" in verdict.message


def test_a_function_that_calls_sys_exit_gets_a_verdict_not_an_escape():
    import sys

    verdict = exercise("04.softmax").check(lambda **kw: sys.exit("bye"), seed=0, record=False)
    assert not verdict.passed and "SystemExit" in verdict.message
