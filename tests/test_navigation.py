"""Navigation: every chapter ends with links to its neighbours and relatives, and the course map
lists every chapter under its cluster."""
import re
from pathlib import Path

import nbformat
import pytest

from course.chapters import CHAPTERS, chapter
from course.navigation import chapter_links, course_map_markdown, study_minutes

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for p in (ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py") if 1 <= int(p.name[:2]) <= 50)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_a_chapter_ends_with_previous_next_and_related(path):
    """The builder writes the last cell from the registry; sources must not add their own."""
    number = int(path.name[:2])
    source = path.read_text(encoding="utf-8")
    assert "**Chapters:**" not in source and "\n# Previous:" not in source, "the builder adds the links"
    ending = nbformat.read(ROOT / "notebooks" / chapter(number).notebook, as_version=4).cells[-1].source
    assert ending == chapter_links(number)
    linked = set(re.findall(r"\]\(([0-9]{2}_[a-z0-9_]+\.ipynb)\)", ending))
    wanted = {chapter(n).notebook for n in chapter(number).related}
    wanted.add("00_start_here.ipynb" if number == 1 else chapter(number - 1).notebook)
    if number < len(CHAPTERS):
        wanted.add(chapter(number + 1).notebook)
    assert wanted <= linked, f"the chapter's ending should also link {sorted(wanted - linked)}: {chapter_links(number)}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_a_chapter_announces_its_study_time(path):
    assert 5 <= study_minutes(int(path.name[:2])) <= 90


def test_the_map_lists_every_chapter_once_and_links_only_written_ones():
    text = course_map_markdown()
    rows = re.findall(r"^\| (?:<span[^>]*>)?(\d+)(?:</span>)? \|", text, re.M)
    assert sorted(map(int, rows)) == list(range(1, 51))
    linked = set(re.findall(r"\]\(([0-9]{2}_[a-z0-9_]+\.ipynb)\)", text))
    assert linked == {p.stem + ".ipynb" for p in SOURCES}


def test_a_chapter_not_written_yet_is_listed_unlinked_and_grey(monkeypatch):
    import course.navigation as navigation

    real = navigation.chapter_source
    monkeypatch.setattr(navigation, "chapter_source", lambda n: None if n == 7 else real(n))
    row = next(line for line in navigation.course_map_markdown().splitlines() if re.match(r"^\| <span[^>]*>7<", line))
    assert "*(planned)*" in row and "](" not in row and 'color:#999999' in row
