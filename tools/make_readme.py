"""Regenerate the chapter map in README.md from the registry in course/chapters.py.

    python tools/make_readme.py          # rewrite the map between the markers
    python tools/make_readme.py --check  # exit 1 if README.md is out of date
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.chapters import available_chapters, chapter_map_markdown  # noqa: E402

START, END = "<!-- chapter-map:start -->", "<!-- chapter-map:end -->"


def rendered(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    table = chapter_map_markdown(available_chapters(ROOT / "notebooks"))
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str]) -> int:
    path = ROOT / "README.md"
    current = path.read_text(encoding="utf-8")
    fresh = rendered(current)
    if "--check" in argv:
        if fresh != current:
            print("README.md's chapter map is out of date: run python tools/make_readme.py")
            return 1
        return 0
    path.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
