"""The chapter contract (../shared/COURSE_DESIGN.md), checked on every chapter notebook present.

nbval executes the notebooks; this file checks their structure and stored outputs, so that a new
chapter cannot skip a part.
"""
import re
import sys
from pathlib import Path

import nbformat
import pytest

from course.chapters import CHAPTERS
from course.selftest import bank

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from build_notebooks import out_of_sync  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHAPTER_NOTEBOOKS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]
SECTIONS = ["## Try first", "## What the common answer gets wrong", "## Lab 1", "## Lab 2", "## Self-test",
            "## Interview answer card (面试回答要点)", "## Further reading"]


def _load(path):
    return nbformat.read(path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_start_here_and_at_least_three_chapters_exist():
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()
    assert len(CHAPTER_NOTEBOOKS) >= 3


def test_notebooks_match_their_sources():
    assert out_of_sync() == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_executed_cleanly_with_a_kernel(path):
    nb = _load(path)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for cell in _code(nb):
        assert cell.execution_count is not None, f"cell not executed: {cell.source[:60]!r}"
        for out in cell.outputs:
            assert out.output_type != "error", f"stored error {out.get('ename')}: {out.get('evalue')}"
            assert "Traceback" not in str(out.get("text", "")), cell.source[:60]


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_follows_the_contract(path):
    number = int(path.name[:2])
    registered = CHAPTERS[number - 1]
    assert path.name == registered.notebook
    nb = _load(path)
    header = nb.cells[0].source
    assert header.startswith(f"# Chapter {number} · {registered.title_en}")
    assert registered.title_zh in header and registered.prompt_zh in header
    assert "**Objectives**" in header and "Prerequisites" in header

    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    positions = [markdown.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in positions), [s for s, p in zip(SECTIONS, positions) if p < 0]
    assert positions == sorted(positions), "sections out of order"
    labs = re.findall(r"^## Lab (\d+)", markdown, re.M)
    assert 2 <= len(labs) <= 5
    audit = markdown[positions[1]:positions[2]]
    assert re.search(r"\*\*wrong", audit) or "incomplete" in audit, "the audit must give verdicts"
    card = markdown[positions[5]:positions[6]]
    assert "**中文：**" in card and "**English:**" in card
    assert len(re.findall(r"\(\d{4}\)", markdown[positions[6]:])) >= 2, "further reading needs dated sources"

    code = "\n".join(c.source for c in _code(nb))
    checked = set(re.findall(r'exercise\("(\d\d\.\w+)"\)\.check\(', code))
    assert len(checked) >= 2 and all(k.startswith(f"{number:02d}.") for k in checked)
    assert f"quiz({number})" in code
    assert len(bank.load(number).QUIZ.questions) >= 3
    assert "NBVAL_CHECK_OUTPUT" in code
    images = sum("image/png" in o.get("data", {}) for c in _code(nb) for o in c.outputs)
    assert images >= 1, "a chapter needs at least one stored figure"
