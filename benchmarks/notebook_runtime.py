"""Part 1 — course runtime: every notebook executed headless, several times; median wall time in seconds
and in units (see ``benchmarks/unit.py``), the kernel's peak memory, and the slowest cells."""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from .unit import BUDGET_UNITS, measure_unit

ROOT = Path(__file__).resolve().parents[1]

# Run in a child process: after the kernel exits, RUSAGE_CHILDREN holds the kernel's peak RSS.
# Cell times come from the execution timestamps nbclient records in each cell's metadata.
_RUNNER = r"""
import json, os, resource, sys, tempfile, time
from datetime import datetime
import nbformat
from nbclient import NotebookClient
os.environ["COURSE_PROGRESS"] = os.path.join(tempfile.mkdtemp(), "progress.json")
nb = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=True,
               resources={"metadata": {"path": sys.argv[2]}}).execute()
seconds = time.perf_counter() - start
cells = []
for i, cell in enumerate(nb.cells):
    t = cell.get("metadata", {}).get("execution", {})
    if "iopub.execute_input" in t and "shell.execute_reply" in t:
        a, b = (datetime.fromisoformat(t[k].replace("Z", "+00:00")) for k in ("iopub.execute_input", "shell.execute_reply"))
        cells.append({"cell": i, "seconds": (b - a).total_seconds(), "first_line": cell.source.splitlines()[0][:70] if cell.source else ""})
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "cells": cells}))
"""


def run_once(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _RUNNER, str(path), str(path.parent)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def notebooks(numbers: list[str] | None = None) -> list[Path]:
    """The course's notebooks, or those whose two-digit number is in ``numbers``."""
    found = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return [p for p in found if numbers is None or p.name[:2] in numbers]


def measure(repeats: int = 3, paths: list[Path] | None = None, unit_repeats: int = 3,
            keep: list[dict] | None = None) -> dict:
    """Time ``paths`` (default: every notebook); rows of ``keep`` for other notebooks are carried over
    (each row keeps the unit it was measured against, so a partial re-run stays comparable)."""
    unit_start = measure_unit(unit_repeats)
    rows = []
    for path in paths if paths is not None else notebooks():
        runs = [run_once(path) for _ in range(repeats)]
        median_run = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
        slowest = sorted(median_run["cells"], key=lambda c: -c["seconds"])[:3]
        rows.append({"notebook": path.name, "median_s": statistics.median(r["seconds"] for r in runs),
                     "peak_mb": max(r["peak_mb"] for r in runs), "runs": repeats, "slowest_cells": slowest})
    unit_end = measure_unit(unit_repeats)
    unit_s = statistics.mean([unit_start["seconds"], unit_end["seconds"]])
    for row in rows:
        row["unit_s"] = unit_s
        row["units"] = row["median_s"] / unit_s
    measured = {r["notebook"] for r in rows}
    present = {p.name for p in notebooks()}
    rows += [r for r in keep or [] if r["notebook"] not in measured and r["notebook"] in present and "units" in r]
    return summarize(sorted(rows, key=lambda r: r["notebook"]),
                     {"seconds": unit_s, "start": unit_start, "end": unit_end,
                      "tokens_per_s": unit_start["tokens_per_s"] * unit_start["seconds"] / unit_s})


def summarize(rows: list[dict], unit: dict) -> dict:
    chapters = [r for r in rows if not r["notebook"].startswith("00_")]
    return {"rows": rows, "unit": unit, "budget_units": BUDGET_UNITS,
            "total_s": sum(r["median_s"] for r in rows), "total_units": sum(r["units"] for r in rows),
            "over_budget": [r["notebook"] for r in rows if r["units"] > BUDGET_UNITS],
            "mean_chapter_units": sum(r["units"] for r in chapters) / len(chapters) if chapters else 0.0}
