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
from build_notebooks import (ANSWER_CELL, CHECK_MARKER, CHECK_TAG, TRY_FIRST, SourceError,  # noqa: E402
                            out_of_sync, parse)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHAPTER_NOTEBOOKS = [p for p in NOTEBOOKS if not p.name.startswith(("00_", "99_"))]
VIEW, STATE = "application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json"
SECTIONS = ["## Try first", "## What the common answer gets wrong", "## Lab 1", "## Lab 2", "## Self-test",
            "## Interview answer card (面试回答要点)", "## Further reading"]


def _load(path):
    return nbformat.read(path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_start_here_and_at_least_three_chapters_exist():
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()
    assert len(CHAPTER_NOTEBOOKS) >= 3


def test_builder_turns_the_check_marker_into_a_tag_and_gives_try_first_a_cell():
    cells = parse("# %% [markdown]\n# ## Try first\n#\n# Write your answer.\n\n"
                  f"# %%\n{CHECK_MARKER}\nprint(1)\n\n# %%\nprint(2)\n")
    assert [c.cell_type for c in cells] == ["markdown", "markdown", "code", "code"]
    assert cells[1].source == ANSWER_CELL
    assert cells[2].source == "print(1)" and cells[2].metadata["tags"] == [CHECK_TAG]
    assert "tags" not in cells[3].metadata


def test_builder_names_the_cell_whose_marker_is_not_on_its_first_line():
    with pytest.raises(SourceError, match=r"04_x\.py, cell at line 1: .* first line"):
        parse(f"# %%\nx = 1\n{CHECK_MARKER}\nprint(x)\n", "04_x.py")


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
    checked_cells = [c for c in _code(nb) if CHECK_TAG in c.metadata.get("tags", ())]
    assert checked_cells, f"no cell's output is checked: tag one with a first line {CHECK_MARKER}"
    images = sum("image/png" in o.get("data", {}) for c in _code(nb) for o in c.outputs)
    assert images >= 1, "a chapter needs at least one stored figure"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_widgets_have_their_state(path):
    """A widget view without its model's stored state reads "model not found" when the notebook is reopened."""
    nb = _load(path)
    views = [o.data[VIEW]["model_id"] for c in _code(nb) for o in c.outputs if VIEW in o.get("data", {})]
    state = nb.metadata.get("widgets", {}).get(STATE, {}).get("state", {})
    assert [m for m in views if m not in state] == []
    for model_id, model in state.items():         # every model a stored widget refers to is stored too
        refs = re.findall(r"IPY_MODEL_([0-9a-f]+)", str(model["state"]))
        assert [r for r in refs if r not in state] == [], model["model_name"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_learners_read_no_test_markers(path):
    """nbval's markers are cell tags; the comment authors write in the source is not in the notebook."""
    for cell in _code(_load(path)):
        assert "NBVAL_" not in cell.source, f"test marker left in a cell: {cell.source[:60]!r}"


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: p.stem)
def test_try_first_has_a_cell_to_write_in(path):
    cells = _load(path).cells
    at = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith(TRY_FIRST)]
    assert len(at) == 1, "one Try first cell"
    assert "\n## " not in cells[at[0]].source, "Try first shares its cell with the next section"
    answer = cells[at[0] + 1]
    assert answer.cell_type == "markdown" and answer.source == ANSWER_CELL
    after = cells[at[0] + 2]
    assert after.cell_type == "markdown" and after.source.startswith("## "), \
        "the builder inserts the one answer cell: the source must go straight on to the next section"


# [text](target.ipynb) in Markdown, or href="target.ipynb" in HTML output
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+?\.ipynb)(?:#[^)]*)?\)|href=[\"']([^\"']+?\.ipynb)(?:#[^\"']*)?[\"']")


def _links(nb):
    """(text, target) of every notebook link in Markdown cells and in rendered Markdown/HTML outputs."""
    texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for cell in _code(nb):
        for out in cell.outputs:
            data = out.get("data", {})
            texts += [str(data[m]) for m in ("text/markdown", "text/html") if m in data]
    for text in texts:
        for m in LINK.finditer(text):
            yield (m.group(1) or ""), (m.group(2) or m.group(3))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_links_point_at_registry_notebooks(path):
    """A link may name a chapter not written yet, but only by its registry name, in the notebooks
    folder, so that it reaches the file once the chapter exists (issue 9 §4)."""
    names = {c.notebook: c.number for c in CHAPTERS} | {"00_start_here.ipynb": 0, "99_mock_interview.ipynb": 99}
    folder = path.parent
    problems = []
    for text, target in _links(_load(path)):
        resolved = (folder / target).resolve()
        name = resolved.name
        if resolved.parent != folder.resolve() or name not in names:
            problems.append(f"{target}: not a notebook of the registry (course/chapters.py)")
            continue
        number = names[name]
        said = re.match(r"\s*(?:chapter\s+)?(\d+)\b", text, re.I)
        if said and int(said.group(1)) != number:
            problems.append(f"[{text}]({target}): the text says chapter {said.group(1)}, the link is to {number}")
    assert problems == []
