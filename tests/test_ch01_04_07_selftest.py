"""Self-tests of chapters 1, 4 and 7: quizzes that need understanding, exercises that state their task,
vary every argument and do not repeat the chapter's own code."""
import ast
import inspect
import re
import textwrap
from pathlib import Path

import pytest
import torch

from course.selftest import bank, exercise
from course.selftest.exercises import _reference

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = (1, 4, 7)
EXERCISES = [ex for n in CHAPTERS for ex in bank.load(n).EXERCISES]


def _source(number: int) -> str:
    return next((ROOT / "notebooks" / "src").glob(f"{number:02d}_*.py")).read_text(encoding="utf-8")


def _code_lines(number: int) -> set[str]:
    lines = set()
    for cell in re.split(r"^# %%", _source(number), flags=re.M):
        if cell.startswith(" [markdown]"):
            continue
        lines |= {line.split("#")[0].strip() for line in cell.splitlines()}
    return {line for line in lines if line}


def _body_lines(fn) -> list[str]:
    """The reference's statements, without its def line and docstring."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    body = tree.body[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    src = textwrap.dedent(inspect.getsource(fn)).splitlines()
    return [line.split("#")[0].strip() for node in body for line in src[node.lineno - 1:node.end_lineno]
            if line.split("#")[0].strip()]


@pytest.mark.parametrize("number", CHAPTERS)
def test_quiz_needs_understanding(number):
    questions = bank.load(number).QUIZ.questions
    assert len(questions) >= 3
    assert any(q.misconception for q in questions)
    longest = 0
    for q in questions:
        lengths = [len(o.text) for o in q.options]
        right = next(len(o.text) for o in q.options if o.correct)
        longest += right == max(lengths)
        assert min(lengths) < 20 or max(lengths) <= 1.8 * min(lengths), (q.key, lengths)   # similar lengths
    assert longest <= 1, f"the correct option is the longest in {longest} questions"


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.key)
def test_exercise_states_its_task(ex):
    assert len(ex.task) > 200
    shown = ex._repr_markdown_()
    assert ex.signature in shown and ex.task in shown


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.key)
def test_every_parameter_is_varied(ex):
    params = inspect.signature(_reference(ex)).parameters
    for seed in range(3):
        cases = ex.make_cases(torch.Generator().manual_seed(seed))
        for name, p in params.items():
            if p.default is inspect.Parameter.empty:
                assert all(name in c for c in cases), name
            else:
                assert any(name in c and not (c[name] is p.default or
                                              (not isinstance(c[name], torch.Tensor) and c[name] == p.default))
                           for c in cases), f"{ex.key}: no case gives {name} a non-default value"


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.key)
def test_reference_is_not_written_out_in_the_chapter(ex):
    code = _code_lines(ex.chapter)
    copied = [line for line in _body_lines(_reference(ex)) if line in code]
    assert not copied, f"{ex.key}: the chapter's code already contains {copied}"


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.key)
def test_notebook_shows_the_task_before_the_stub(ex):
    src = _source(ex.chapter)
    shown = src.find(f'exercise("{ex.key}")\n')
    checked = src.find(f'exercise("{ex.key}").check(')
    assert 0 <= shown < checked, f"{ex.key}: show the task with a cell ending in exercise(\"{ex.key}\")"


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.key)
def test_reference_passes_and_mistakes_are_named(ex):
    for seed in range(6):
        assert ex.check(_reference(ex), seed=seed, record=False).passed
    for mistake in ex.mistakes:
        for seed in range(3):
            verdict = ex.check(mistake.fn, seed=seed, record=False)
            assert verdict.mistake == mistake.name, (mistake.name, seed, verdict.message)


def test_chapter_1_size_sweep_names_its_script_and_has_three_sizes():
    import json
    sweep = json.loads((ROOT / "data" / "ch01_model_size.json").read_text())
    assert (ROOT / sweep["script"]).is_file()
    points = sweep["points"]
    assert len(points) == 3 and [p["parameters"] for p in points] == sorted(p["parameters"] for p in points)
    assert "d_model" in _source(1) and "ch01_model_size.json" in _source(1)
