"""Every stored result in data/ is listed in data/README.md with the script that rebuilds it."""
from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
# table rows: | `file` or `pattern.*`, `file` | chapter | what | `tools/…py` |
ROWS = [(re.findall(r"`([^`]+)`", files), script)
        for files, script in re.findall(r"^\s*\|([^|]*`[^|]*)\|.*\|\s*`(tools/[^`]+\.py)`\s*\|\s*$", README, re.M)]


def _script_for(name: str) -> str | None:
    return next((script for patterns, script in ROWS if any(fnmatch(name, p) for p in patterns)), None)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "data").glob("*.json")))
def test_each_stored_result_names_an_existing_script(name):
    script = _script_for(name)
    assert script, f"data/{name} is not listed in data/README.md"
    assert (ROOT / script).exists(), script
