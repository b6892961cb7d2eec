"""The runtime budget, kept honest without timing anything here: `make bench` measures every notebook in
units of the machine's own speed (benchmarks/unit.py) and this test reads what it recorded."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.unit import BUDGET_UNITS, COURSE_BUDGET_UNITS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = json.loads((ROOT / "benchmarks" / "results.json").read_text())
ROWS = {row["notebook"]: row for row in RESULTS.get("runtime", {}).get("rows", [])}
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_results_are_from_a_full_run_in_units():
    assert not RESULTS.get("quick"), "benchmarks/results.json holds a --quick run: run `make bench`"
    assert RESULTS["runtime"]["unit"]["seconds"] > 0


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_is_measured_and_within_budget(name):
    assert name in ROWS, f"{name} has no runtime entry: run `python benchmarks/run.py --parts 1 --notebooks {name[:2]}`"
    units = ROWS[name]["units"]
    assert units <= BUDGET_UNITS, f"{name} takes {units:.1f} units, over the budget of {BUDGET_UNITS:.0f}"


def test_course_can_still_fit_its_total_budget():
    """The chapters written so far, plus the remaining ones at the cost of a notebook that does almost
    nothing (the start page: kernel start and imports), must leave the 50-chapter course within budget."""
    chapters = [ROWS[n]["units"] for n in NOTEBOOKS if n in ROWS and not n.startswith(("00_", "99_"))]
    floor = ROWS["00_start_here.ipynb"]["units"]
    spent = sum(ROWS[n]["units"] for n in NOTEBOOKS if n in ROWS)
    lowest_possible = spent + (50 - len(chapters)) * floor
    assert lowest_possible <= COURSE_BUDGET_UNITS, (
        f"{spent:.0f} units spent on {len(chapters)} chapters; even at {floor:.1f} units each, the other "
        f"{50 - len(chapters)} would take the course to {lowest_possible:.0f} (budget {COURSE_BUDGET_UNITS:.0f})")
