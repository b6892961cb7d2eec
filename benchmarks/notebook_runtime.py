"""Part 1 — course runtime: every notebook executed headless, several times; median wall time and the
kernel's peak memory (resident set size)."""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run in a child process: after the kernel exits, RUSAGE_CHILDREN holds the kernel's peak RSS.
_RUNNER = r"""
import json, os, resource, sys, tempfile, time
import nbformat
from nbclient import NotebookClient
os.environ["COURSE_PROGRESS"] = os.path.join(tempfile.mkdtemp(), "progress.json")
nb = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))
"""


def run_once(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _RUNNER, str(path), str(path.parent)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(repeats: int = 3, pattern: str = "[0-9][0-9]_*.ipynb") -> dict:
    rows = []
    for path in sorted((ROOT / "notebooks").glob(pattern)):
        runs = [run_once(path) for _ in range(repeats)]
        rows.append({"notebook": path.name, "median_s": statistics.median(r["seconds"] for r in runs),
                     "peak_mb": max(r["peak_mb"] for r in runs), "runs": repeats})
    return {"rows": rows, "total_s": sum(r["median_s"] for r in rows),
            "over_budget": [r["notebook"] for r in rows if r["median_s"] > 60]}
