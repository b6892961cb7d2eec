"""A quick run of every benchmark part, so that `make bench` cannot rot (the numbers are not checked)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.run import run  # noqa: E402


def test_every_benchmark_part_runs_and_reports(tmp_path):
    results = run([1, 2, 3, 4, 5], quick=True, out=tmp_path)
    report = (tmp_path / "RESULTS.md").read_text()
    for title in ("Course runtime", "Training throughput", "Attention cost", "KV cache", "Quality at a budget"):
        assert title in report
    assert (tmp_path / "figures" / "attention_cost.png").exists()
    assert (tmp_path / "figures" / "generation.png").exists()
    ratios = results["throughput"][0]["ratio_vs_transformers"]
    assert ratios["transformers GPT2LMHeadModel"] == 1.0 and all(r > 0 for r in ratios.values())
    assert results["quality"]["steps"] > 0
