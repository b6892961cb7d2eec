"""Quiz forms as a learner sees them: long options wrap beside their button, never over the next option,
and clicking an option's text selects it — in every chapter's quiz, at a narrow and a wide window."""
from __future__ import annotations

import json

import pytest

from course.selftest import bank, quiz
from lab_helpers import run_all, screenshot

WIDTHS = (1000, 1400)

# For each quiz form on the page: every option's visible box (its button and all lines of its text),
# and whether the button sits on the left of the text's first line. Text that overflows a fixed-height
# label (the bug) shows up as two boxes that overlap.
_MEASURE = """
() => [...document.querySelectorAll('.course-quiz')].map(form =>
  [...form.querySelectorAll('.widget-radio-box label')].map(label => {
    const input = label.querySelector('input');
    const range = document.createRange();
    range.selectNodeContents(label);
    const lines = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    const text = lines.filter(r => !(r.left >= input.getBoundingClientRect().left - 1 &&
                                     r.right <= input.getBoundingClientRect().right + 1));
    const all = [input.getBoundingClientRect(), ...lines];
    const box = {left: Math.min(...all.map(r => r.left)), right: Math.max(...all.map(r => r.right)),
                 top: Math.min(...all.map(r => r.top)), bottom: Math.max(...all.map(r => r.bottom))};
    const i = input.getBoundingClientRect();
    const first = text.length ? text.reduce((a, r) => r.top < a.top ? r : a) : i;
    return {text: label.textContent.slice(0, 60), box, lines: text.length,
            beside: i.right <= Math.min(...text.map(r => r.left)) + 1 &&
                    i.top < first.bottom && i.bottom > first.top};
  }))
"""


def _overlap(a, b) -> float:
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(width, 0) * max(height, 0)


@pytest.fixture
def quiz_page(open_notebook, lab):
    """A notebook that shows every chapter's quiz, run in JupyterLab."""
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": "from course.selftest import quiz"}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
               "source": f"quiz({n})"} for n in bank.CHAPTERS_WITH_SELFTEST]
    notebook = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                            "language": "python"}}}
    (lab["dir"] / "quiz_layout.ipynb").write_text(json.dumps(notebook))
    page = open_notebook("quiz_layout.ipynb")
    run_all(page)
    page.locator(".course-quiz").nth(len(bank.CHAPTERS_WITH_SELFTEST) - 1).wait_for(timeout=60_000)
    return page


def test_quiz_options_wrap_without_overlapping_and_their_text_selects_them(quiz_page):
    page = quiz_page
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(500)                                  # let JupyterLab reflow
        forms = page.evaluate(_MEASURE)
        assert len(forms) == len(bank.CHAPTERS_WITH_SELFTEST)
        problems = []
        for number, options in zip(bank.CHAPTERS_WITH_SELFTEST, forms):
            assert len(options) == sum(len(q.options) for q in quiz(number).questions)
            for i, a in enumerate(options):
                if not a["beside"]:
                    problems.append(f"ch{number:02d} '{a['text']}': button not beside its text")
                problems += [f"ch{number:02d} '{a['text']}' overlaps '{b['text']}'"
                             for b in options[i + 1:] if _overlap(a["box"], b["box"]) > 1]
        wrapped = sum(o["lines"] > 1 for options in forms for o in options)
        screenshot(page, f"quiz_layout_{width}")
        assert not problems, f"at {width} px: " + "; ".join(problems)
        if width == min(WIDTHS):
            assert wrapped > 0, "no option wraps at 1,000 px: the test would not see the bug it guards against"

    # clicking the *text* of each chapter's longest option (its last line, far from the button) selects it
    page.set_viewport_size({"width": min(WIDTHS), "height": 1000})
    for index, number in enumerate(bank.CHAPTERS_WITH_SELFTEST):
        form = page.locator(".course-quiz").nth(index)
        labels = form.locator(".widget-radio-box label")
        lengths = labels.evaluate_all("ls => ls.map(l => l.textContent.length)")
        longest = labels.nth(max(range(len(lengths)), key=lengths.__getitem__))
        longest.scroll_into_view_if_needed()
        point = longest.evaluate("""l => { const r = document.createRange(); r.selectNodeContents(l);
            const rects = [...r.getClientRects()].filter(x => x.width > 0);
            const last = rects.reduce((a, x) => x.bottom > a.bottom ? x : a);
            return {x: last.left + last.width / 2, y: last.top + last.height / 2}; }""")
        page.mouse.click(point["x"], point["y"])
        assert longest.locator("input").is_checked(), f"ch{number:02d}: clicking the option's text did not select it"
        question = longest.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
        question.get_by_role("button", name="Check").click()
        page.wait_for_function("q => /Correct|Not quite/.test(q.innerText)", arg=question.element_handle(),
                               timeout=20_000)
