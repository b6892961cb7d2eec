"""Self-tests: code exercises checked against references, quizzes, and the learner's progress."""
from __future__ import annotations

from pathlib import Path

from .exercises import Exercise, Mistake, Verdict
from .progress import Progress, ProgressError, ProgressWarning, progress_path
from .quiz import Option, Question, Quiz
from . import bank

__all__ = ["Exercise", "Mistake", "Verdict", "Progress", "ProgressError", "ProgressWarning", "progress_path", "Option",
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


def _text_colour(rgba) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba`` (WCAG relative luminance)."""
    def linear(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgba[:3])
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # contrast with black (L + .05)/.05 against white 1.05/(L + .05): pick the larger
    return "black" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "white"


def dashboard():
    """A figure of your progress: exercises passed and quiz questions answered right, per chapter.

    An exercise passed only after its solution was shown counts half in the colour, hatches its cell
    and is listed after a "+" (``1+1/2``: one passed on your own, one after viewing the solution, of
    two). Text is black or white, whichever contrasts more with its cell.
    """
    import warnings

    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    record = Progress()
    with warnings.catch_warnings(record=True) as problems:      # a folder, an unreadable file: say it
        warnings.simplefilter("always", ProgressWarning)
        ex_entries, q_entries = record.entries("exercises"), record.entries("quizzes")
    numbers = list(bank.CHAPTERS_WITH_SELFTEST)
    rows = []
    for n in numbers:
        ex_keys = [e.key for e in exercises(n)]
        q_keys = [q.key for q in quiz(n).questions]
        own = sum(ex_entries.get(k, {}).get("passed", False) and not ex_entries[k].get("after_solution", False)
                  for k in ex_keys)
        seen = sum(ex_entries.get(k, {}).get("passed", False) and ex_entries[k].get("after_solution", False)
                   for k in ex_keys)
        rows.append((own, seen, len(ex_keys), sum(q_entries.get(k, {}).get("passed", False) for k in q_keys),
                     len(q_keys)))
    done = [[(r[0] + 0.5 * r[1]) / r[2] for r in rows], [r[3] / r[4] for r in rows]]      # (2, chapters)
    # at most PER_ROW chapters side by side: a single strip of 50 would be scaled down to a sliver
    per_row = 17
    chunks = [range(i, min(i + per_row, len(numbers))) for i in range(0, len(numbers), per_row)]
    fig, axes = plt.subplots(len(chunks), 1, squeeze=False,
                             figsize=(max(5.0, 0.62 * min(len(numbers), per_row) + 1.6), 1.25 * len(chunks) + 1.05))
    for ax, chunk in zip(axes[:, 0], chunks):
        part = [[done[0][c] for c in chunk], [done[1][c] for c in chunk]]
        image = ax.imshow(part, cmap="Greens", vmin=0, vmax=1, aspect="auto")
        for x, col in enumerate(chunk):
            own, seen, ex_total, q_done, q_total = rows[col]
            if seen:      # hatched: some of these passes came after viewing the solution
                ax.add_patch(Rectangle((x - 0.5, -0.5), 1, 1, fill=False, hatch="///", edgecolor="0.55",
                                       linewidth=0))
            for row, text in ((0, f"{own}+{seen}/{ex_total}" if seen else f"{own}/{ex_total}"),
                              (1, f"{q_done}/{q_total}")):
                ax.text(x, row, text, ha="center", va="center", fontsize=8,
                        color=_text_colour(image.cmap(image.norm(done[row][col]))))
        ax.set_xticks(range(len(chunk)), [f"{numbers[c]:02d}" for c in chunk], fontsize=8)
        ax.set_xlim(-0.5, per_row - 0.5 if len(chunks) > 1 else len(chunk) - 0.5)
        ax.set_yticks([0, 1], ["exercises passed", "quiz answered right"], fontsize=8)
        ax.tick_params(length=0)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(False)
    ax = axes[-1, 0]
    ax.set_xlabel("chapter   (a+b/n, hatched: a passed on your own, b after viewing the solution, of n)", fontsize=8)
    where = str(record.path).replace(str(Path.home()), "~", 1)
    title = f"Your progress (saved in {where})"
    if problems:
        title += "\n" + "could not read it: see the warning below"
        for problem in problems:
            warnings.warn(problem.message, ProgressWarning, stacklevel=2)
    axes[0, 0].set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
