"""Bank-wide rules of the self-tests: quizzes that cannot be passed by pattern, exercises that state their
task, exercise every parameter, and do not ask for code the chapter has just printed."""
from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import torch

from course.selftest import all_exercises, bank, quiz
from course.selftest.exercises import _reference

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = all_exercises()
QUESTIONS = [q for n in bank.CHAPTERS_WITH_SELFTEST for q in quiz(n).questions]


# ---- quizzes -------------------------------------------------------------------------------------
def _positions(authored: bool) -> Counter:
    return Counter("abcdefgh"[[o.correct for o in (q.options if authored else q.displayed)].index(True)]
                   for q in QUESTIONS)


def test_correct_answers_are_spread_over_the_displayed_positions():
    before, after = _positions(authored=True), _positions(authored=False)
    print(f"\ncorrect option's position over {len(QUESTIONS)} questions — as authored: "
          f"{dict(sorted(before.items()))}; as displayed: {dict(sorted(after.items()))}")
    worst = max(after.values()) / len(QUESTIONS)
    assert worst <= 0.40, f"one position holds {worst:.0%} of the correct answers: {dict(after)}"


def test_the_correct_option_is_not_usually_the_longest():
    longest = [q.key for q in QUESTIONS
               if max(range(len(q.options)), key=lambda i: len(q.options[i].text)) ==
               [o.correct for o in q.options].index(True)]
    by_chapter = Counter(key.split(".")[0] for key in longest)
    print(f"\ncorrect option is the longest in {len(longest)} of {len(QUESTIONS)} questions; "
          f"per chapter: {dict(sorted(by_chapter.items()))}")
    assert len(longest) <= len(QUESTIONS) / 2, f"the correct option is the longest in: {longest}"


def test_one_answer_letter_does_not_give_the_next():
    """Balanced positions dealt in a fixed cycle (b, c, a, b, c) let a learner who knows one answer infer
    the rest; the deal order is hashed per chapter, so the next letter follows the cycle only by chance."""
    follows = total = 0
    for number in bank.CHAPTERS_WITH_SELFTEST:
        qs = quiz(number).questions
        for a, b in zip(qs, qs[1:]):
            n = len(b.options)
            total += 1
            follows += "abcdefgh".index(b.answer) == ("abcdefgh".index(a.answer) + 1) % n
    assert follows <= 0.6 * total, f"{follows} of {total} consecutive answers follow the cycle"


def _strictly_shortest(q) -> bool:
    lengths = [len(o.text) for o in q.options]
    right = lengths[[o.correct for o in q.options].index(True)]
    return right == min(lengths) and lengths.count(right) == 1


@pytest.mark.parametrize("number", bank.CHAPTERS_WITH_SELFTEST)
def test_the_correct_option_is_not_usually_the_shortest(number):
    """Authors who avoid making the right answer the longest tend to make it the shortest: a learner who
    always picks the shortest option must not pass. At most 2 questions of a chapter may have the correct
    option strictly shortest."""
    shortest = [q.key for q in quiz(number).questions if _strictly_shortest(q)]
    assert len(shortest) <= 2, f"the correct option is strictly the shortest in: {shortest}"


# Chapters whose review tightened the length rules, and keep them: (most questions whose correct option is
# the longest, ties included; most whose correct option is strictly the shortest; options of similar length)
TIGHTER_LENGTH_RULES = {1: (1, 2, True), 4: (1, 2, True), 7: (1, 2, True), 6: (1, 2, True), 25: (1, 2, True),
                        35: (1, 2, True), 23: (0, 1, False), 46: (0, 1, False)}


@pytest.mark.parametrize("number", sorted(TIGHTER_LENGTH_RULES))
def test_chapters_with_tighter_length_rules_keep_them(number):
    most_longest, most_shortest, similar = TIGHTER_LENGTH_RULES[number]
    longest = 0
    for q in quiz(number).questions:
        lengths = [len(o.text) for o in q.options]
        longest += lengths[[o.correct for o in q.options].index(True)] == max(lengths)
        if similar:
            assert min(lengths) < 20 or max(lengths) <= 1.8 * min(lengths), (q.key, lengths)
    shortest = sum(_strictly_shortest(q) for q in quiz(number).questions)
    assert longest <= most_longest and shortest <= most_shortest, (longest, shortest)


@pytest.mark.parametrize("number", bank.CHAPTERS_WITH_SELFTEST)
def test_text_fallback_form_and_answer_agree_on_letters(number):
    q = quiz(number)
    text = q.as_text()
    for i, question in enumerate(q.questions):
        right = next(o for o in question.options if o.correct)
        assert f"({question.answer}) {right.text}" in text                  # the letter shown is the letter checked
        assert q.answer(i + 1, question.answer, record=False).startswith("✓")
        for letter in question.letters.replace(question.answer, ""):
            assert q.answer(i + 1, letter, record=False).startswith("✗")
    form = q.widget()
    radios = [c for box in form.children[1:] for c in box.children if hasattr(c, "options")]
    for question, radio in zip(q.questions, radios):
        assert [label for label, _ in radio.options] == \
               [f"({letter}) {o.text}" for letter, o in zip(question.letters, question.displayed)]


def test_display_order_is_deterministic_and_independent_of_authoring_order():
    # the same key gives the same order in every process (sha256, not hash())
    a = quiz(4).questions[0].shown
    assert a == quiz(4).questions[0].shown
    from course.selftest.quiz import display_order
    assert display_order("04.q1", 3, correct=1, slot=2) == display_order("04.q1", 3, correct=1, slot=2)
    assert display_order("04.q1", 4, correct=0, slot=3)[3] == 0


def test_positions_stay_balanced_as_the_bank_grows():
    import random
    from course.selftest import Option, Question, Quiz
    rng = random.Random(0)
    counts, total = Counter(), 0
    for chapter in range(1, 51):
        questions = []
        for i in range(rng.randint(3, 6)):
            n = rng.choice((3, 4))
            correct = rng.choice((0, 1)) if rng.random() < 0.9 else rng.randrange(n)    # authors' habit
            questions.append(Question(f"{chapter:02d}.q{i + 1}", "?",
                                      tuple(Option(str(j), j == correct, "because") for j in range(n))))
        for q in Quiz(questions).questions:
            counts[q.answer] += 1
            total += 1
    assert max(counts.values()) / total <= 0.40, counts


# ---- exercises -----------------------------------------------------------------------------------
@pytest.mark.parametrize("ex", EXERCISES, ids=[e.key for e in EXERCISES])
def test_every_exercise_states_its_task(ex):
    assert ex.task.strip(), f"{ex.key} has no task: the learner cannot know shapes, dtypes and conventions"
    shown = ex._repr_markdown_()
    assert ex.signature in shown and ex.task.strip() in shown
    assert ex.signature in repr(ex)                                   # the text/plain fallback


def _signature_names(signature: str) -> list[str]:
    """Parameter names in a bank signature string such as 'encoder_mask(lengths (B,), t) -> …'."""
    start, depth = signature.index("(") + 1, 1
    for end in range(start, len(signature)):
        depth += {"(": 1, ")": -1}.get(signature[end], 0)
        if depth == 0:
            break
    pieces, depth, current = [], 0, ""
    for ch in signature[start:end]:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            pieces.append(current)
            current = ""
        else:
            current += ch
    pieces.append(current)
    return [re.match(r"\s*(\w+)", p).group(1) for p in pieces if p.strip()]


@pytest.mark.parametrize("ex", EXERCISES, ids=[e.key for e in EXERCISES])
def test_the_shown_signature_is_the_checked_one(ex):
    params = list(inspect.signature(_reference(ex)).parameters)
    assert _signature_names(ex.signature) == params, (ex.signature, params)
    assert ex.name == _reference(ex).__name__ or ex.name == ex.title


def _differs(value, default) -> bool:
    if default is inspect.Parameter.empty:
        return True
    if isinstance(value, torch.Tensor) or isinstance(default, torch.Tensor):
        return not (isinstance(value, torch.Tensor) and isinstance(default, torch.Tensor)
                    and value.shape == default.shape and bool((value == default).all()))
    try:
        return bool(value != default) or type(value) is not type(default)
    except Exception:
        return True


@pytest.mark.parametrize("ex", EXERCISES, ids=[e.key for e in EXERCISES])
def test_every_parameter_gets_a_non_default_value_in_some_case(ex):
    params = inspect.signature(_reference(ex)).parameters.values()
    cases = [c for seed in range(3) for c in ex._cases(seed)]
    unexercised = [p.name for p in params
                   if not any(p.name in case and _differs(case[p.name], p.default) for case in cases)]
    assert not unexercised, (f"{ex.key}: no test case gives {unexercised} a value other than the default, so a "
                             f"function that ignores it passes")


def _body_lines(fn) -> list[str]:
    """The substantive lines of a function's body, whitespace-normalised.

    Left out: the ``def`` line(s), the docstring, blank lines and comments, and trivial lines that any
    solution would share — a bare ``return name`` (or of a tuple of names), keywords alone (``else:``,
    ``pass``), closing brackets, and lines under 12 characters.
    """
    source = textwrap.dedent(inspect.getsource(fn))
    func = ast.parse(source).body[0]
    body = func.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return []
    lines = source.splitlines()[body[0].lineno - 1:func.end_lineno]
    kept = []
    for line in lines:
        line = _normalise(line)
        if (len(line) < 12 or re.fullmatch(r"return [\w, ()]+", line)
                or re.fullmatch(r"(else|try|finally|pass|break|continue|[)\]}]+)[:,]?", line)):
            continue
        kept.append(line)
    return kept


def _normalise(line: str) -> str:
    line = re.sub(r"\s+#.*$", "", line.strip()) if not line.strip().startswith("#") else ""
    return re.sub(r"\s+", " ", line).strip()


def _code_cells(number: int) -> list[str]:
    """Code cells of chapter ``number``'s notebook source (percent format; markdown cells left out)."""
    [src] = (ROOT / "notebooks" / "src").glob(f"{number:02d}_*.py")
    cells, current, is_code = [], [], False
    for line in src.read_text(encoding="utf-8").splitlines():
        if line.startswith("# %%"):
            if is_code:
                cells.append("\n".join(current))
            current, is_code = [], "[markdown]" not in line
        else:
            current.append(line)
    if is_code:
        cells.append("\n".join(current))
    return cells


def test_body_lines_leave_out_docstrings_comments_and_trivial_lines():
    def f(x, dim=-1):
        """Docstring line that is long enough."""
        # a comment that is long enough to count
        out = torch.softmax(x, dim=dim)   # trailing comment

        return out
    assert _body_lines(f) == ["out = torch.softmax(x, dim=dim)"]


@pytest.mark.parametrize("ex", EXERCISES, ids=[e.key for e in EXERCISES])
def test_no_reference_line_is_printed_in_its_chapter(ex):
    code = {_normalise(line) for cell in _code_cells(ex.chapter) for line in cell.splitlines()}
    copied = [line for line in _body_lines(_reference(ex)) if line in code]
    assert not copied, (f"{ex.key}: the chapter's code cells already contain these lines of the reference "
                        f"solution, so the exercise can be answered by copying: {copied}")


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.key)
def test_the_chapter_shows_the_task_before_the_stub(ex):
    source = next((ROOT / "notebooks" / "src").glob(f"{ex.chapter:02d}_*.py")).read_text(encoding="utf-8")
    shown = source.find(f'exercise("{ex.key}")\n')
    checked = source.find(f'exercise("{ex.key}").check(')
    assert 0 <= shown < checked, f'{ex.key}: show the task with a cell ending in exercise("{ex.key}") before the stub'
