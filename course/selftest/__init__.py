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
    fig, ax = plt.subplots(figsize=(7, 0.62 * len(numbers) + 1.3))
    for i, (ex_done, ex_total, q_done, q_total) in enumerate(rows):
        for offset, done, total, color, label in ((-0.19, ex_done, ex_total, "tab:blue", "exercises"),
                                                  (0.19, q_done, q_total, "tab:orange", "quiz")):
            ax.barh(i + offset, 1.0, height=0.34, color="#e8e8e8")          # the whole chapter
            ax.barh(i + offset, done / total, height=0.34, color=color)      # what is done
            ax.text(1.03, i + offset, f"{label} {done}/{total}", va="center", fontsize=8)
    ax.set_yticks(range(len(numbers)), [f"ch. {n:02d}" for n in numbers])
    ax.set_xticks([0, 0.5, 1.0], ["0 %", "50 %", "100 %"])
    ax.set_xlim(0, 1.32)
    ax.invert_yaxis()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    where = str(record.path).replace(str(Path.home()), "~", 1)
    ax.set_title(f"Your progress (saved in {where})", fontsize=9)
    fig.tight_layout()
    return fig
