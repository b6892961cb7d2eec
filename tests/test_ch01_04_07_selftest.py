"""Self-tests of chapters 1, 4 and 7, beyond the bank-wide rules of tests/test_bank.py (which also hold their
tighter quiz-length rules): chapter 1's stored size sweep."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _source(number: int) -> str:
    return next((ROOT / "notebooks" / "src").glob(f"{number:02d}_*.py")).read_text(encoding="utf-8")


def test_chapter_1_size_sweep_names_its_script_and_has_three_sizes():
    sweep = json.loads((ROOT / "data" / "ch01_model_size.json").read_text())
    assert (ROOT / sweep["script"]).is_file()
    points = sweep["points"]
    assert len(points) == 3 and [p["parameters"] for p in points] == sorted(p["parameters"] for p in points)
    assert "d_model" in _source(1) and "ch01_model_size.json" in _source(1)
