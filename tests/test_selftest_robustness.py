"""What a careless or mischievous learner tried (issue 17), and what a learner sees (issue 9 §3).

Each test here failed on the package before these fixes.
"""
from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from course.selftest import Progress, ProgressWarning, all_exercises, dashboard, exercise, quiz

ROOT = Path(__file__).resolve().parents[1]


def ref(ex):
    try:
        from course.selftest.exercises import _reference
    except ImportError:                  # the package before these fixes (to see each test fail there)
        return ex.reference
    return _reference(ex)


def _number_exercises(exact: bool) -> list:
    """Exercises whose answer is a number: counts (exact) or real numbers (with a tolerance).

    Chosen from the bank, so that these tests follow the chapters as they change."""
    found = []
    for ex in all_exercises():
        value = ref(ex)(**ex._cases(0)[0])
        counts = inspect.signature(ref(ex)).return_annotation in (int, "int")      # the package's rule
        if isinstance(value, (int, float)) and not isinstance(value, bool) and counts == exact:
            found.append(ex)
    return found


COUNTS = _number_exercises(exact=True)
REALS = _number_exercises(exact=False) or pytest.skip("no real-number exercise", allow_module_level=True)


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS", str(path))
    # solutions viewed by other tests do not count
    monkeypatch.setattr(sys.modules["course.selftest.exercises"], "_VIEWED", set(), raising=False)
    return path


# ---- wrong work marked correct --------------------------------------------------------------------
@pytest.mark.parametrize("choice", ["", "ab", "bc", " ", "abc", None, 1, "(a)"])
def test_only_a_single_letter_is_an_answer(choice, progress_file):
    with pytest.raises(ValueError, match="choice must be one of a, b, c"):
        quiz(4).answer(1, choice)
    assert not progress_file.exists()


def test_a_letter_may_have_spaces_or_capitals():
    q = quiz(4)
    assert q.answer(1, f" {q.questions[0].answer.upper()} ", record=False).startswith("✓")


@pytest.mark.parametrize("delta", [4, 419, 3773, -1])
@pytest.mark.parametrize("ex", COUNTS, ids=[e.key for e in COUNTS])
def test_counts_must_match_exactly(ex, delta):
    # the issue found 13.encoder_layer_params + 4, 29.attention_score_flops + 419, 39.kv_cache_bytes + 3,773
    reference = ref(ex)
    verdict = ex.check(lambda **kw: reference(**kw) + delta, seed=0, record=False)
    assert not verdict.passed, verdict.message


def test_a_count_given_as_numpy_int_or_exact_float_passes_and_a_fraction_is_explained():
    ex = COUNTS[0]
    reference = ref(ex)
    assert ex.check(lambda **kw: np.int64(reference(**kw)), seed=0, record=False).passed
    assert ex.check(lambda **kw: float(reference(**kw)), seed=0, record=False).passed
    verdict = ex.check(lambda **kw: reference(**kw) + 0.5, seed=0, record=False)
    assert not verdict.passed and "whole number" in verdict.message


def test_the_reference_is_not_an_attribute_of_the_exercise():
    ex = exercise("04.softmax")
    reference = ref(ex)
    assert not hasattr(ex, "reference")
    assert all(getattr(ex, name, None) is not reference for name in dir(ex) if not name.startswith("__"))


def test_a_pass_after_viewing_the_solution_is_recorded_as_such(progress_file):
    own, helped = all_exercises()[:2]
    own.check(ref(own), seed=0)                   # the reference itself, without asking for it: not own work
    assert Progress().passed_after_solution() == {own.key}
    helped.show_solution()
    reference = ref(helped)
    verdict = helped.check(lambda **kw: reference(**kw), seed=0)
    assert verdict.passed and "Recorded as passed after viewing the solution" in verdict.message
    entry = json.loads(progress_file.read_text())["exercises"][helped.key]
    assert entry["solution_viewed"] and entry["after_solution"] and entry["passed"]
    assert Progress().passed_after_solution() == {own.key, helped.key}


def test_own_pass_stays_own_after_viewing_the_solution(progress_file):
    ex = all_exercises()[1]
    reference = ref(ex)
    assert ex.check(lambda **kw: reference(**kw), seed=0).passed
    ex.solution()
    assert "after viewing" not in ex.check(lambda **kw: reference(**kw), seed=1).message
    assert Progress().passed_after_solution() == set() and Progress().passed() == {ex.key}


# ---- the learner's progress -----------------------------------------------------------------------
@pytest.mark.parametrize("bad", [True, {"passed": True}, {"passed": True, "attempts": "3"},
                                 {"passed": "yes", "attempts": 1}, {"passed": True, "attempts": -2}, None])
def test_a_bad_entry_is_dropped_with_a_warning_never_fatal(bad, progress_file):
    progress_file.write_text(json.dumps({"schema": 1, "quizzes": {},
                                         "exercises": {"04.softmax": bad,
                                                       "04.attention": {"passed": True, "attempts": 2}}}))
    with pytest.warns(ProgressWarning, match="04.softmax"):
        assert Progress().passed() == {"04.attention"}
    with pytest.warns(ProgressWarning):
        ex = exercise("04.softmax")
        verdict = ex.check(lambda x, dim=-1: torch.softmax(x, dim), seed=0)
    assert verdict.passed and "not saved" not in verdict.message
    assert Progress().passed() == {"04.softmax", "04.attention"}
    assert json.loads(progress_file.read_text())["exercises"]["04.softmax"]["attempts"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # the bad entry is gone: no more warnings
        dashboard()


_WRITER = textwrap.dedent("""
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("progress", sys.argv[1])
    progress = importlib.util.module_from_spec(spec); spec.loader.exec_module(progress)
    p = progress.Progress(sys.argv[2])
    for i in range(100):
        p.record_exercise("04.softmax", False)
        p.record_quiz(f"{sys.argv[3]}.q{i}", True)
""")


def test_two_kernels_recording_at_once_lose_nothing(tmp_path):
    path = tmp_path / "progress.json"
    module = ROOT / "course" / "selftest" / "progress.py"
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(module), str(path), name])
               for name in ("A", "B")]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    data = json.loads(path.read_text())
    assert data["exercises"]["04.softmax"]["attempts"] == 200
    assert len(data["quizzes"]) == 200


def test_a_folder_at_the_progress_path_is_never_moved(progress_file):
    progress_file.mkdir()
    (progress_file / "notes.txt").write_text("mine")
    ex = exercise("04.softmax")
    verdict = ex.check(lambda x, dim=-1: torch.softmax(x, dim), seed=0)
    assert verdict.passed and "is a folder" in verdict.message
    with pytest.warns(ProgressWarning, match="is a folder"):
        assert Progress().passed() == set()
    assert (progress_file / "notes.txt").read_text() == "mine"
    assert list(progress_file.parent.iterdir()) == [progress_file]          # nothing renamed, nothing created


def test_an_unreadable_file_is_reported_and_left_where_it_is(progress_file, monkeypatch):
    progress_file.write_text(json.dumps({"schema": 1, "exercises": {}, "quizzes": {}}))
    real_read_bytes, real_read_text = Path.read_bytes, Path.read_text

    def denied(real):
        def read(self, *args, **kwargs):
            if self == progress_file:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self, *args, **kwargs)
        return read

    monkeypatch.setattr(Path, "read_bytes", denied(real_read_bytes))     # root ignores chmod: simulate it
    monkeypatch.setattr(Path, "read_text", denied(real_read_text))
    with pytest.warns(ProgressWarning, match="cannot be read"):
        assert Progress().passed() == set()
    verdict = exercise("04.softmax").check(lambda x, dim=-1: torch.softmax(x, dim), seed=0)
    assert "Permission denied" in verdict.message and "not valid JSON" not in verdict.message
    assert progress_file.exists() and not list(progress_file.parent.glob("*corrupt*"))


def test_backups_made_in_the_same_second_do_not_overwrite_each_other(progress_file):
    for text in ("{ first", "{ second"):
        progress_file.write_text(text)
        with pytest.warns(ProgressWarning):
            Progress().load()
    backups = sorted(p.read_text() for p in progress_file.parent.glob("progress.json.corrupt-*"))
    assert backups == ["{ first", "{ second"]


def test_a_parent_that_is_a_file_does_not_break_passed_or_the_dashboard(tmp_path, monkeypatch):
    (tmp_path / "blocker").write_text("a file, not a folder")
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "blocker" / "progress.json"))
    with pytest.warns(ProgressWarning, match="is a file"):
        assert Progress().passed() == set()
    with pytest.warns(ProgressWarning):
        dashboard()
    verdict = exercise("04.softmax").check(lambda x, dim=-1: torch.softmax(x, dim), seed=0)
    assert verdict.passed and "Progress not saved" in verdict.message
    assert "Progress not saved" in quiz(4).answer(1, "a")


def test_a_read_only_folder_with_a_corrupt_file_does_not_break_passed(progress_file, monkeypatch):
    progress_file.write_text("{ not json")

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)                      # root ignores chmod: simulate it
    with pytest.warns(ProgressWarning, match="could not be moved aside"):
        assert Progress().passed() == set()
    with pytest.warns(ProgressWarning):
        dashboard()
    assert progress_file.read_text() == "{ not json"


def test_a_blank_exercise_run_by_run_all_is_not_recorded(progress_file):
    def softmax(x, dim=-1):
        raise NotImplementedError
    verdict = exercise("04.softmax").check(softmax)
    assert "Not written yet" in verdict.message
    assert not progress_file.exists() or "04.softmax" not in json.loads(progress_file.read_text())["exercises"]


# ---- messages a learner can act on ----------------------------------------------------------------
def test_a_python_float_where_a_tensor_is_expected_is_named_as_such():
    verdict = exercise("04.softmax").check(lambda x, dim=-1: 0.5, seed=0, record=False)
    assert "returned a number (float)" in verdict.message and "expected a tensor of shape" in verdict.message
    assert "float64" not in verdict.message


@pytest.mark.parametrize("answer,expected", [(None, "returned None"), ("12", "returned a str")])
def test_non_numbers_for_a_number_exercise_are_named_as_such(answer, expected):
    verdict = REALS[0].check(lambda **kw: answer, seed=0, record=False)
    assert not verdict.passed and expected in verdict.message and "expected a number" in verdict.message.lower()


def test_numpy_scalars_are_numbers():
    ex = REALS[0]
    reference = ref(ex)
    assert ex.check(lambda **kw: np.float64(reference(**kw)), seed=0, record=False).passed
    assert ex.check(lambda **kw: np.float32(reference(**kw)), seed=0, record=False).passed


def test_an_error_points_at_the_learners_own_line():
    def softmax(x, dim=-1):
        z = x - x.amax(dim=dim, keepdim=True)
        return z.exp() @ z          # shapes do not fit: torch raises inside its own code
    verdict = exercise("04.softmax").check(softmax, seed=0, record=False)
    line = softmax.__code__.co_firstlineno + 2
    assert f"{__file__}, line {line}" in verdict.message and "z.exp() @ z" in verdict.message
    assert "exercises.py" not in verdict.message


def test_an_error_inside_torch_python_code_still_points_at_the_learners_line():
    def softmax(x, dim=-1):
        # the IndexError is raised inside torch.nn.functional, a frame below this line
        return torch.nn.functional.softmax(x, dim=dim + 7)
    verdict = exercise("04.softmax").check(softmax, seed=0, record=False)
    assert f"{__file__}, line {softmax.__code__.co_firstlineno + 2}" in verdict.message, verdict.message
    assert "functional.py" not in verdict.message


def test_an_error_in_a_notebook_cell_names_the_cell():
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    try:
        shell.run_cell("from course.selftest import exercise\n"
                       "def softmax(x, dim=-1):\n"
                       "    return x / 0 + undefined_name\n", store_history=True)
        shell.run_cell("verdict = exercise('04.softmax').check(softmax, seed=0, record=False)", store_history=True)
        message = shell.user_ns["verdict"].message
    finally:
        InteractiveShell.clear_instance()
    assert "NameError" in message and "cell [1], line 3" in message and "undefined_name" in message


@pytest.mark.parametrize("fn,expected", [
    (lambda inputs, dim=-1: torch.softmax(inputs, dim), "no parameter `x`"),
    (lambda x: torch.softmax(x, -1), "no parameter `dim`"),
    (lambda x, dim, temperature: torch.softmax(x, dim), "requires `temperature`"),
])
def test_a_signature_mismatch_says_so(fn, expected):
    verdict = exercise("04.softmax").check(fn, seed=0, record=False)
    assert not verdict.passed and expected in verdict.message and "softmax(x, dim=-1)" in verdict.message


def test_a_bad_seed_or_an_unprintable_exception_does_not_crash_the_checker():
    ex = exercise("04.softmax")
    verdict = ex.check(lambda x, dim=-1: torch.softmax(x, dim), seed="abc", record=False)
    assert not verdict.passed and "`seed` must be a whole number" in verdict.message

    class Weird(Exception):
        def __str__(self):
            raise RuntimeError("no str for you")

    def softmax(x, dim=-1):
        raise Weird()
    verdict = ex.check(softmax, seed=0, record=False)
    assert not verdict.passed and "raised `Weird`" in verdict.message


# ---- what a learner sees ----------------------------------------------------------------------------
def test_the_dashboard_text_is_readable_on_every_cell_and_marks_passes_after_the_solution(progress_file):
    from course.selftest import exercises as all_exercises_of
    from course.selftest import _text_colour
    record = Progress()
    for ex in all_exercises_of(4):
        record.record_exercise(ex.key, True)
    seen = all_exercises_of(7)[-1].key
    record.record_solution_viewed(seen)
    record.record_exercise(seen, True)
    for q in quiz(4).questions:
        record.record_quiz(q.key, True)
    fig = dashboard()
    ax = fig.axes[0]
    image = ax.images[0]
    for text in ax.texts:
        col, row = (round(v) for v in text.get_position())
        background = image.cmap(image.norm(image.get_array()[row, col]))
        assert text.get_color() == _text_colour(background)
    labels = {t.get_text() for t in ax.texts}
    n4, n7, q4 = len(all_exercises_of(4)), len(all_exercises_of(7)), len(quiz(4).questions)
    assert {f"{n4}/{n4}", f"0+1/{n7}", f"{q4}/{q4}"} <= labels
    assert _text_colour((0.0, 0.27, 0.11, 1.0)) == "white" and _text_colour((0.97, 0.99, 0.96, 1.0)) == "black"


def test_quiz_form_wraps_long_options():
    form = quiz(4).widget()
    assert "course-quiz" in form._dom_classes
    css = form.children[0].value
    assert "height: auto" in css and "white-space: normal" in css
