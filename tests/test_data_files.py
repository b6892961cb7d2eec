"""Every stored result in data/ is listed in data/README.md with the script that rebuilds it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
ROWS = dict(re.findall(r"\|\s*`([^`]+\.json)`\s*\|.*\|\s*`(tools/[^`]+\.py)`\s*\|", README))


@pytest.mark.parametrize("path", sorted(p.name for p in (ROOT / "data").glob("*.json")))
def test_each_stored_result_names_an_existing_script(path):
    assert path in ROWS, f"data/{path} is not listed in data/README.md"
    assert (ROOT / ROWS[path]).exists(), ROWS[path]
