"""Self-tests: code exercises checked against references, quizzes, and the learner's progress."""
from __future__ import annotations

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
    fig, ax = plt.subplots(figsize=(6.5, 0.5 * len(numbers) + 1.2))
    labels = [f"ch. {n:02d}" for n in numbers]
    y = range(len(numbers))
    ax.barh([i + 0.2 for i in y], [r[0] / r[1] for r in rows], height=0.4, label="exercises passed")
    ax.barh([i - 0.2 for i in y], [r[2] / r[3] for r in rows], height=0.4, label="quiz answered right")
    for i, r in enumerate(rows):
        ax.text(1.02, i + 0.2, f"{r[0]}/{r[1]}", va="center", fontsize=8)
        ax.text(1.02, i - 0.2, f"{r[2]}/{r[3]}", va="center", fontsize=8)
    ax.set_yticks(list(y), labels)
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("fraction done")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"Your progress ({record.path.name})", fontsize=10)
    fig.tight_layout()
    return fig
