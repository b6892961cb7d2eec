"""Interview practice: the answer cards read from the chapters, the sheet built from them, and the mock
interview's spaced-repetition schedule kept in the progress file."""
import json
import multiprocessing
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course.chapters import CHAPTERS, chapter
from course.interview import _CJK, MockInterview, answer_card, answer_cards, interview_order
from course.navigation import chapter_source as _source
from course.selftest.progress import INTERVALS, Progress, ProgressWarning

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = sorted(int(p.name[:2]) for p in (ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py")
                 if 1 <= int(p.name[:2]) <= len(CHAPTERS))


def test_every_written_chapter_has_a_bilingual_card():
    cards = answer_cards()
    assert [c.number for c in cards] == WRITTEN
    for card in cards:
        assert len(card.zh) > 50 and len(card.en) > 100, card.number
        assert re.search(r"[\u4e00-\u9fff]", card.zh) and not re.search(r"[\u4e00-\u9fff]{4}", card.en), card.number
        assert card.notebook == chapter(card.number).notebook
        assert (ROOT / "notebooks" / card.notebook).exists()


def test_a_card_is_the_text_of_its_chapter():
    """Line breaks joined as Markdown renders them; nothing of the chapter's card lost or added."""
    source = (ROOT / "notebooks" / "src" / chapter(7).notebook.replace(".ipynb", ".py")).read_text()
    card = answer_card(7)
    section = source.split("## Interview answer card")[1].split("# %%")[0]
    words = re.findall(r"[A-Za-z]{4,}", section.split("**English:**")[1])
    assert re.findall(r"[A-Za-z]{4,}", card.en) == words
    zh = section.split("**English:**")[0].split("**中文：**")[1]
    assert card.zh.replace(" ", "") == re.sub(r"\n# ?", "", zh).strip().replace(" ", "")


def test_unwritten_or_bad_chapter_numbers_get_clear_errors():
    unwritten = next(c.number for c in CHAPTERS if c.number not in WRITTEN) if len(WRITTEN) < 50 else None
    if unwritten:
        with pytest.raises(ValueError, match="not written yet"):
            answer_card(unwritten)
    with pytest.raises(ValueError, match="number"):
        answer_card(51)
    with pytest.raises(TypeError, match="number"):
        answer_card("7")


def test_the_stored_sheet_is_up_to_date_and_has_every_card():
    result = subprocess.run([sys.executable, "tools/make_cards.py", "--check"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (ROOT / "notebooks" / "answer_cards.html").read_text(encoding="utf-8")
    assert page.count('<section class="card"') == len(WRITTEN)
    assert "http://" not in page and "https://" not in page and "<script" not in page   # self-contained
    for href in re.findall(r'href="([^"#]+)"', page):
        assert (ROOT / "notebooks" / href).exists(), href
    markdown = (ROOT / "notebooks" / "answer_cards.md").read_text(encoding="utf-8")
    assert markdown.count("**中文：**") == markdown.count("**English:**") == len(WRITTEN)
    assert len(CHAPTERS) == 50 and page.count('<section class="card"') == 50     # every chapter has its card


def test_schedule_puts_missed_first_and_spaces_the_known(tmp_path):
    progress = Progress(tmp_path / "p.json")
    first = MockInterview(3, seed=5, progress=progress, chapters=WRITTEN[:4])
    assert first.session == 1 and len(first.numbers) == 3
    missed, known, _ = first.numbers
    assert first.mark(0, False)["due"] == 2 and first.mark(1, True)["due"] == 1 + INTERVALS[1]
    second = MockInterview(4, seed=5, progress=progress, chapters=WRITTEN[:4])
    assert second.numbers[0] == missed and second.numbers[-1] == known      # known one is not due yet
    assert MockInterview(5, "missed", progress=progress, start=False).numbers == [missed]


def test_the_same_seed_gives_the_same_interview(tmp_path):
    a = MockInterview(4, seed=3, progress=Progress(tmp_path / "a.json"))
    b = MockInterview(4, seed=3, progress=Progress(tmp_path / "b.json"))
    assert a.numbers == b.numbers and a.as_text() == b.as_text()
    assert interview_order([1, 2, 3], {}, 0, seed=1) == interview_order([1, 2, 3], {}, 0, seed=1)


def test_clusters_and_bad_choices(tmp_path):
    progress = Progress(tmp_path / "p.json")
    attention = MockInterview(50, "attention", progress=progress, start=False).numbers
    assert attention and all(chapter(n).cluster == "attention" for n in attention)
    with pytest.raises(ValueError, match="chapters"):
        MockInterview(3, "everything", progress=progress)
    with pytest.raises(ValueError, match="n"):
        MockInterview(0, progress=progress)
    with pytest.raises(TypeError, match="remembered"):
        progress.record_review(7, "yes")


def test_an_old_progress_file_is_still_read_and_kept(tmp_path):
    path = tmp_path / "p.json"
    old = {"schema": 1, "exercises": {"07.clip": {"passed": True, "attempts": 2, "last": ""}}, "quizzes": {}}
    path.write_text(json.dumps(old))
    interview = MockInterview(2, progress=Progress(path), seed=0)
    interview.mark(0, False)
    saved = json.loads(path.read_text())
    assert saved["exercises"] == old["exercises"] and saved["interview_session"] == 1
    assert saved["interview"][f"{interview.numbers[0]:02d}"]["missed"] == 1


def test_a_bad_review_entry_is_dropped_with_a_warning(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"schema": 1, "exercises": {}, "quizzes": {}, "interview_session": "x",
                                "interview": {"07": {"box": -1}, "11": {"box": 1, "due": 3, "reviews": 1,
                                                                       "missed": 0}}}))
    with pytest.warns(ProgressWarning):
        session, reviews = Progress(path).reviews()
    assert session == 0 and list(reviews) == ["11"]


def _review_many(path, chapter_number, n):
    progress = Progress(path)
    for _ in range(n):
        progress.record_review(chapter_number, False)


def test_two_kernels_reviewing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "p.json"
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_review_many, args=(path, n, 15)) for n in (7, 11)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    _, reviews = Progress(path).reviews()
    assert reviews["07"]["reviews"] == reviews["11"]["reviews"] == 15


def test_chinese_card_text_does_not_break_lines_between_chinese_characters():
    """A line break inside Chinese text renders as a stray space in JupyterLab ("标签 平滑")."""
    cjk = re.compile(_CJK)
    for number in WRITTEN:
        source = _source(number).read_text(encoding="utf-8")
        zh = source.split("**中文：**")[1].split("**English:**")[0]
        lines = [line[2:] for line in zh.split("\n") if line.startswith("# ")]
        for before, after in zip(lines, lines[1:]):
            if before.strip() and after.strip():
                assert not (cjk.match(before.rstrip()[-1]) and cjk.match(after.lstrip()[0])), (number, before[-20:])
