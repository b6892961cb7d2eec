"""Self-tests of chapters 1, 4 and 7, beyond the bank-wide rules of tests/test_bank.py: quizzes that need
understanding, and chapter 1's stored size sweep."""
from pathlib import Path

import pytest

from course.selftest import bank

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = (1, 4, 7)


def _source(number: int) -> str:
    return next((ROOT / "notebooks" / "src").glob(f"{number:02d}_*.py")).read_text(encoding="utf-8")




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


def test_chapter_1_size_sweep_names_its_script_and_has_three_sizes():
    import json
    sweep = json.loads((ROOT / "data" / "ch01_model_size.json").read_text())
    assert (ROOT / sweep["script"]).is_file()
    points = sweep["points"]
    assert len(points) == 3 and [p["parameters"] for p in points] == sorted(p["parameters"] for p in points)
    assert "d_model" in _source(1) and "ch01_model_size.json" in _source(1)
