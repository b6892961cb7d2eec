"""Exercises and quizzes of every chapter written so far, found by chapter number."""
from __future__ import annotations

from importlib import import_module
from pathlib import Path

from ...chapters import chapter

# Every ``chNN.py`` beside this file is a chapter's bank: adding the file registers the chapter.
CHAPTERS_WITH_SELFTEST = tuple(sorted(int(p.stem[2:]) for p in Path(__file__).parent.glob("ch[0-9][0-9].py")))


def load(number: int):
    """The module holding chapter ``number``'s EXERCISES and QUIZ."""
    chapter(number)   # validates the number
    if number not in CHAPTERS_WITH_SELFTEST:
        raise ValueError(f"chapter {number} has no self-test yet; written so far: {CHAPTERS_WITH_SELFTEST}")
    return import_module(f"{__name__}.ch{number:02d}")
