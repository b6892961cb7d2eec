"""Finding your way around 50 notebooks: the course map by cluster, with study and run times and your
progress, and the links that end every chapter.

Study time comes from each chapter's header ("**Time:** about 25 minutes"), run time from the last
``make bench`` (``benchmarks/results.json``), progress from the progress file: nothing is typed twice.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from . import DATA_DIR
from .chapters import CHAPTERS, chapter
from .validate import check_int

__all__ = ["chapter_source", "study_minutes", "run_seconds", "chapter_links", "course_map_markdown", "CLUSTER_TITLES"]

ROOT = DATA_DIR.parent
CLUSTER_TITLES = {"families": "Model families", "attention": "Attention", "training": "Training",
                  "regularization": "Regularization and efficiency", "evaluation": "Evaluation",
                  "representations": "Representations", "applications": "Applications"}
_TIME = re.compile(r"\*\*Time:\*\*\s*about\s+(\d+)\s+minutes")


def chapter_source(number: int) -> Path | None:
    """Chapter ``number``'s source, ``notebooks/src/NN_slug.py``, or None while it is not written."""
    found = sorted((ROOT / "notebooks" / "src").glob(f"{number:02d}_*.py"))
    return found[0] if found else None


def study_minutes(number: int) -> int | None:
    """The study time chapter ``number``'s header announces, or None if it is not written yet."""
    number = check_int("number", number, minimum=0, maximum=len(CHAPTERS))
    path = chapter_source(number)
    found = _TIME.search(path.read_text(encoding="utf-8")) if path else None
    return int(found.group(1)) if found else None


def run_seconds() -> dict[str, float]:
    """Seconds each notebook took to run top to bottom at the last ``make bench`` (median of runs)."""
    path = ROOT / "benchmarks" / "results.json"
    try:
        rows = json.loads(path.read_text())["runtime"]["rows"]
    except (OSError, ValueError, KeyError):
        return {}
    return {row["notebook"]: row["median_s"] for row in rows}


def _label(number: int) -> str:
    if number == 0:
        return "[start here](00_start_here.ipynb)"
    c = chapter(number)
    return f"[{number} · {c.title_en}]({c.notebook})"


def chapter_links(number: int) -> str:
    """The line that ends chapter ``number``: previous, next and related chapters (registry names, so a
    link reaches its chapter once it is written)."""
    number = check_int("number", number, minimum=1, maximum=len(CHAPTERS))
    parts = [f"previous {_label(number - 1)}"]
    if number < len(CHAPTERS):
        parts.append(f"next {_label(number + 1)}")
    related = chapter(number).related
    if related:
        parts.append("related " + ", ".join(_label(n) for n in related))
    return "**Chapters:** " + " · ".join(parts)


def _progress_cell(number: int, exercises: dict, quizzes: dict, reviews: dict) -> str:
    from .selftest import bank, exercises as chapter_exercises, quiz

    if number not in bank.CHAPTERS_WITH_SELFTEST:
        return ""
    ex = [e.key for e in chapter_exercises(number)]
    qs = [q.key for q in quiz(number).questions]
    done_ex = sum(exercises.get(k, {}).get("passed", False) for k in ex)
    done_q = sum(quizzes.get(k, {}).get("passed", False) for k in qs)
    mark = "✓ " if done_ex == len(ex) and done_q == len(qs) else ""
    review = reviews.get(f"{number:02d}")
    said = "" if review is None else (" · interview: missed" if review["box"] == 0 else " · interview: ok")
    return f"{mark}{done_ex}/{len(ex)} exercises, {done_q}/{len(qs)} quiz{said}"


def course_map_markdown(progress=None, link_prefix: str = "") -> str:
    """The course by cluster: each chapter with its study time, run time and (given a
    :class:`~course.selftest.Progress`) how far you are. Chapters not written yet are listed unlinked."""
    seconds = run_seconds()
    if progress is not None:
        exercises, quizzes = progress.entries("exercises"), progress.entries("quizzes")
        _, reviews = progress.reviews()
    out = []
    for cluster, title in CLUSTER_TITLES.items():
        members = [c for c in CHAPTERS if c.cluster == cluster]
        written = [c for c in members if chapter_source(c.number) is not None]
        minutes = sum(study_minutes(c.number) or 0 for c in written)
        out.append(f"### {title} — {len(written)} of {len(members)} written, about {minutes} min of study\n")
        header = "| # | question | 题目 | study | run |" + (" your progress |" if progress is not None else "")
        out.append(header)
        out.append("|" + "---|" * (header.count("|") - 1))
        for c in members:
            ready = chapter_source(c.number) is not None
            name = f"[{c.title_en}]({link_prefix}{c.notebook})" if ready else f"{c.title_en} *(planned)*"
            study = f"{study_minutes(c.number)} min" if ready and study_minutes(c.number) else ""
            run = f"{seconds[c.notebook]:.0f} s" if c.notebook in seconds else ""
            cells = [str(c.number), name, c.title_zh, study, run]
            if progress is not None:
                cells.append(_progress_cell(c.number, exercises, quizzes, reviews) if ready else "")
            if not ready:      # greyed out in JupyterLab, which keeps inline colours
                cells = [f'<span style="color:#999999">{cell}</span>' if cell else "" for cell in cells]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)
