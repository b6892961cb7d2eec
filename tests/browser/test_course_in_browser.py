"""What a learner sees in JupyterLab: run whole notebooks, click the widgets, look at the figures."""
from __future__ import annotations

import json

import pytest

from lab_helpers import error_outputs, run_all, screenshot
from lab_helpers import wait_for as _wait_for


def _images(page):
    return page.locator(".jp-OutputArea-output img, .jp-RenderedImage img")


@pytest.mark.parametrize("name", ["00_start_here.ipynb", "07_gradient_clipping.ipynb"])
def test_notebook_runs_cleanly_and_shows_its_figures(open_notebook, name):
    page = open_notebook(name)
    run_all(page)
    assert error_outputs(page) == []
    _wait_for(lambda: _images(page).count() >= 1, message="a rendered figure")
    sizes = [img.bounding_box() for img in _images(page).all()[:3]]
    assert all(box and box["width"] > 100 and box["height"] > 100 for box in sizes if box), sizes
    screenshot(page, name.removesuffix(".ipynb"))


def test_chapter_01_quiz_explains_wrong_answers_and_records_right_ones(open_notebook, lab):
    page = open_notebook("01_llm_basics.ipynb")
    run_all(page)
    assert error_outputs(page) == []
    first = page.locator(".widget-vbox", has_text="How is a GPT-style LLM pretrained?").last   # Q1's own box
    first.scroll_into_view_if_needed()
    # options are shown in a shuffled order: find them by their text, not by their letter
    first.get_by_text("Supervised, on a huge corpus that annotators have labelled").click()
    first.get_by_role("button", name="Check").click()
    _wait_for(lambda: "Not quite" in first.inner_text(), message="the explanation of a wrong answer")
    assert "标注" in first.inner_text()                   # the explanation quotes the seed's claim
    first.get_by_text("Self-supervised: the next token of raw text is its own label").click()
    first.get_by_role("button", name="Check").click()
    _wait_for(lambda: "Correct" in first.inner_text(), message="the confirmation of a right answer")
    screenshot(page, "01_quiz")
    _wait_for(lambda: lab["progress"].exists(), message="the progress file")
    record = json.loads(lab["progress"].read_text())
    assert record["quizzes"]["01.q1"]["passed"] is True and record["quizzes"]["01.q1"]["attempts"] == 2
    # the code exercise's verdict is visible
    assert page.get_by_text("Not written yet").count() >= 2


def test_chapter_04_explorer_bertviz_and_exercise(open_notebook):
    page = open_notebook("04_how_attention_works.ipynb")
    run_all(page)
    assert error_outputs(page) == []
    explorer = page.locator(".widget-vbox", has=page.locator(".widget-dropdown")).last
    explorer.scroll_into_view_if_needed()
    image = explorer.locator("img").first
    image.wait_for(timeout=30_000)
    before = image.get_attribute("src")
    explorer.locator(".widget-dropdown select").nth(1).select_option("1")      # head 0 -> head 1
    _wait_for(lambda: explorer.locator("img").first.get_attribute("src") not in (None, before),
              message="the heatmap to change")
    explorer.locator(".widget-dropdown select").nth(0).select_option("1")      # layer 0 -> layer 1
    screenshot(page, "04_explorer")

    frame = page.frame_locator(".course-bertviz iframe").first
    _wait_for(lambda: frame.locator("svg text").count() > 0, timeout_s=30, message="bertviz to draw its SVG")
    assert "could not load" not in frame.locator("body").inner_text()
    page.locator(".course-bertviz").first.scroll_into_view_if_needed()
    screenshot(page, "04_bertviz")
    assert page.get_by_text("Not written yet").count() >= 2


def test_without_internet_the_explorer_still_works_and_bertviz_says_why(open_notebook):
    page = open_notebook("04_how_attention_works.ipynb", offline_cdn=True)
    run_all(page)
    explorer = page.locator(".widget-vbox", has=page.locator(".widget-dropdown")).last
    explorer.locator("img").first.wait_for(timeout=30_000)
    frame = page.frame_locator(".course-bertviz iframe").first
    _wait_for(lambda: "could not load" in frame.locator("body").inner_text(), timeout_s=20,
              message="bertviz's offline note")
    page.locator(".course-bertviz").first.scroll_into_view_if_needed()
    screenshot(page, "04_offline")


@pytest.mark.parametrize("name", ["00_start_here.ipynb", "01_llm_basics.ipynb", "04_how_attention_works.ipynb"])
def test_a_reopened_notebook_shows_its_stored_widgets(open_notebook, name):
    """Before anything runs, the quiz forms and explorers show from the state stored by the builder."""
    page = open_notebook(name)
    views = page.locator(".jp-OutputArea-output .widget-vbox")
    _wait_for(lambda: views.count() >= 1, message="a stored widget")
    _wait_for(lambda: page.locator(".widget-radio-box input").count() >= 3, message="a stored quiz form")
    assert page.get_by_text("Error displaying widget").count() == 0
    assert page.get_by_text("model not found").count() == 0
    page.locator(".widget-radio-box").first.scroll_into_view_if_needed()
    screenshot(page, f"{name.removesuffix('.ipynb')}_reopened")


def _file(href: str) -> str:
    """The file a link in JupyterLab goes to (it adds the server path and a query)."""
    return href.split("?")[0].split("#")[0].rsplit("/", 1)[-1]


def test_start_page_links_only_written_chapters_and_greys_out_the_rest(open_notebook, lab):
    page = open_notebook("00_start_here.ipynb")
    written = sorted(p.name for p in lab["dir"].glob("[0-9][0-9]_*.ipynb") if not p.name.startswith(("00_", "99_")))
    tables = page.locator(".jp-RenderedMarkdown table", has_text="题目")      # the map: one table per cluster
    tables.first.wait_for(timeout=30_000)
    assert tables.count() == 7
    links = sorted(_file(a.get_attribute("href")) for a in tables.locator("a").all())
    assert links == written
    planned = tables.locator("tr", has_text="(planned)")
    assert planned.count() == 50 - len(written)
    if planned.count():                   # only while some chapters are still to be written
        grey = planned.first.locator("span").first.evaluate("e => getComputedStyle(e).color")
        assert grey == "rgb(153, 153, 153)", grey
    start = page.get_by_role("link", name="Start with chapter 1 →")
    assert _file(start.get_attribute("href")) == "01_llm_basics.ipynb"
    tables.first.scroll_into_view_if_needed()
    screenshot(page, "00_chapter_map")


def test_try_first_has_a_cell_to_write_in(open_notebook):
    page = open_notebook("07_gradient_clipping.ipynb")
    cells = page.locator(".jp-Notebook .jp-Cell")
    _wait_for(lambda: any("Your answer" in t for t in cells.all_inner_texts()), message="the answer cell")
    cell = cells.nth([i for i, t in enumerate(cells.all_inner_texts()) if "Your answer" in t][0])
    assert "Try first" in cells.nth(cells.all_inner_texts().index(cell.inner_text()) - 1).inner_text()
    cell.scroll_into_view_if_needed()
    cell.dblclick()
    editor = cell.locator(".cm-content")
    editor.wait_for(timeout=10_000)
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("Clipping caps the global gradient norm; it cannot cure vanishing gradients.")
    page.keyboard.press("Shift+Enter")
    _wait_for(lambda: "cannot cure vanishing" in cell.locator(".jp-RenderedMarkdown").inner_text(),
              message="the learner's answer rendered")
    screenshot(page, "07_try_first")
