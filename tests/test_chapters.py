import re
from pathlib import Path

import pytest

from course.chapters import CHAPTERS, DUPLICATE_GROUPS, chapter, chapter_map_markdown

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_bebe3b9c1c8fc1fd.txt"


def test_fifty_chapters_numbered_in_order_with_unique_slugs():
    assert [c.number for c in CHAPTERS] == list(range(1, 51))
    assert len({c.slug for c in CHAPTERS}) == 50
    assert all(re.fullmatch(r"[a-z0-9_]+", c.slug) for c in CHAPTERS)


@pytest.mark.skipif(not SEED.exists(), reason="the seed question set is not beside this checkout")
def test_questions_are_exactly_as_in_the_seed():
    text = SEED.read_text(encoding="utf-8")
    found = re.findall(r"^### (\d+)\. (.+?)\n\n\*\*题目：\*\* (.+?)\n", text, re.M)
    assert len(found) == 50
    for (number, title, prompt), c in zip(found, CHAPTERS):
        assert (int(number), title, prompt) == (c.number, c.title_zh, c.prompt_zh)


def test_repeated_questions_are_linked():
    for group in DUPLICATE_GROUPS:
        for n in group:
            assert set(group) - {n} <= set(chapter(n).related)


def test_readme_chapter_map_is_generated_from_the_registry():
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, str(root / "tools" / "make_readme.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_glossary_pairs_english_and_chinese_without_duplicates():
    from course.glossary import GLOSSARY, glossary_markdown
    english = [en for en, _, _ in GLOSSARY]
    assert len(english) == len(set(english)) >= 30
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in zh) for _, zh, _ in GLOSSARY)
    assert glossary_markdown().count("\n") == len(GLOSSARY) + 1


def test_chapter_map_links_written_chapters_and_greys_out_planned_ones():
    table = chapter_map_markdown({1, 4}, link_prefix="", grey_planned=True).splitlines()
    assert "[What are the basic principles of large language models?](01_llm_basics.ipynb)" in table[2]
    planned = table[3]                                      # chapter 2
    assert ".ipynb" not in planned and "(planned)" in planned and planned.count("color:#999999") == 4
    assert "color" not in chapter_map_markdown({1}, link_prefix="")        # GitHub drops inline styles
