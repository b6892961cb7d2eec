"""Self-tests: code exercises checked against references, quizzes, and the learner's progress."""
from __future__ import annotations

from pathlib import Path

from .exercises import Exercise, Mistake, Verdict
from .progress import Progress, ProgressWarning, progress_path
from .quiz import Option, Question, Quiz
from . import bank

__all__ = ["Exercise", "Mistake", "Verdict", "Progress", "ProgressWarning", "progress_path", "Option",
           "Question", "Quiz", "exercise", "exercises", "quiz", "all_exercises", "dashboard"]


def exercises(chapter: int) -> list[Exercise]:
    return list(bank.load(chapter).EXERCISES)


def exercise(key: str) -> Exercise:
    """An exercise by key, e.g. ``exercise("04.attention")``."""
    if not isinstance(key, str) or "." not in key or not key.split(".")[0].isdigit():
        raise ValueError(f"key must look like '04.attention', got {key!r}")
    found = {e.key: e for e in exercises(int(key.split(".")[0]))}
    if key not in found:
        raise ValueError(f"no exercise {key!r}; this chapter has {', '.join(found)}")
    return found[key]


def quiz(chapter: int) -> Quiz:
    return bank.load(chapter).QUIZ


def all_exercises() -> list[Exercise]:
    return [e for n in bank.CHAPTERS_WITH_SELFTEST for e in exercises(n)]


def dashboard():
    """A figure of your progress: exercises passed and quiz questions answered right, per chapter."""
    import matplotlib.pyplot as plt

    record = Progress()
    passed_ex, passed_q = record.passed("exercises"), record.passed("quizzes")
    numbers = list(bank.CHAPTERS_WITH_SELFTEST)
    rows = []
    for n in numbers:
        ex_keys = [e.key for e in exercises(n)]
        q_keys = [q.key for q in quiz(n).questions]
        rows.append((sum(k in passed_ex for k in ex_keys), len(ex_keys),
                     sum(k in passed_q for k in q_keys), len(q_keys)))
    done = [[r[0] / r[1] for r in rows], [r[2] / r[3] for r in rows]]            # (2, chapters)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.55 * len(numbers) + 1.6), 2.2))
    ax.imshow(done, cmap="Greens", vmin=0, vmax=1.25, aspect="auto")
    for col, (ex_done, ex_total, q_done, q_total) in enumerate(rows):
        ax.text(col, 0, f"{ex_done}/{ex_total}", ha="center", va="center", fontsize=8)
        ax.text(col, 1, f"{q_done}/{q_total}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(numbers)), [f"{n:02d}" for n in numbers], fontsize=8)
    ax.set_yticks([0, 1], ["exercises passed", "quiz answered right"], fontsize=8)
    ax.set_xlabel("chapter")
    ax.tick_params(length=0)
    where = str(record.path).replace(str(Path.home()), "~", 1)
    ax.set_title(f"Your progress (saved in {where})", fontsize=9)
    fig.tight_layout()
    return fig
