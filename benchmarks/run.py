"""Run the benchmarks and write benchmarks/RESULTS.md (+ figures and results.json).

    python benchmarks/run.py                 # everything (about 10 minutes on a 2-core CPU)
    python benchmarks/run.py --parts 2 3     # only training throughput and attention cost
    python benchmarks/run.py --quick         # a small, fast version of every part (a smoke test)
    python benchmarks/run.py --out DIR       # write somewhere else (results of other devices, say)

Parts: 1 course runtime · 2 training throughput vs transformers · 3 attention cost · 4 generation with
and without the KV cache · 5 quality at a fixed training budget.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import attention_cost, generation, notebook_runtime, quality, throughput  # noqa: E402
from benchmarks.common import machine_info  # noqa: E402
from benchmarks.report import write_report  # noqa: E402


def run(parts: list[int], quick: bool, out: Path, repeats: int = 3, notebooks: list[str] | None = None) -> dict:
    """Run ``parts``; results of parts not run now are kept from the last full run written to ``out``."""
    previous = out / "results.json"
    results: dict = {}
    if not quick and previous.exists():
        kept = json.loads(previous.read_text())
        if not kept.get("quick"):
            results.update(kept)
    results.update({"machine": machine_info(), "quick": quick})
    if 1 in parts:
        if quick:
            results["runtime"] = notebook_runtime.measure(1, notebook_runtime.notebooks(["00"]), unit_repeats=1)
        else:                 # with --notebooks, only those are re-measured and the other rows kept
            results["runtime"] = notebook_runtime.measure(
                repeats, notebook_runtime.notebooks(notebooks),
                keep=results.get("runtime", {}).get("rows", []) if notebooks else None)
    if 2 in parts:
        results["throughput"] = ([throughput.measure("baby", steps=2, rounds=1)] if quick
                                 else [throughput.measure(name) for name in throughput.SHAPES])
    if 3 in parts:
        results["attention"] = (attention_cost.measure((32, 64, 128), repeats=1) if quick
                                else attention_cost.measure())
    if 4 in parts:
        results["generation"] = generation.measure((8, 16) if quick else (32, 64, 128, 256, 512))
    if 5 in parts:
        results["quality"] = quality.measure(2.0 if quick else 60.0)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    write_report(results, out)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="*", type=int, default=[1, 2, 3, 4, 5], choices=[1, 2, 3, 4, 5])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that every part still runs")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each notebook (part 1); the median counts")
    parser.add_argument("--notebooks", nargs="*", help="part 1 only for these two-digit numbers; other rows kept")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks")
    args = parser.parse_args(argv)
    run(args.parts, args.quick, args.out, repeats=args.repeats, notebooks=args.notebooks)
    print(f"wrote {args.out / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
