"""Exercises and quizzes of every chapter written so far, found by chapter number."""
from __future__ import annotations

from importlib import import_module

from ...chapters import chapter

CHAPTERS_WITH_SELFTEST = (1, 4, 7, 11, 13, 16, 17, 24, 29, 34, 39, 41, 43)


def load(number: int):
    """The module holding chapter ``number``'s EXERCISES and QUIZ."""
    chapter(number)   # validates the number
    if number not in CHAPTERS_WITH_SELFTEST:
        raise ValueError(f"chapter {number} has no self-test yet; written so far: {CHAPTERS_WITH_SELFTEST}")
    return import_module(f"{__name__}.ch{number:02d}")
