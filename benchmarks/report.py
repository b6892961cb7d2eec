"""Turn benchmark results into RESULTS.md and figures."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _machine(m: dict) -> str:
    return "\n".join(f"- **{k}:** {v}" for k, v in m.items())


def _runtime(r: dict) -> str:
    from .unit import AIM_UNITS, COURSE_BUDGET_UNITS, SHAPE, STEPS

    if "unit" not in r:     # results written before the unit existed
        return "(re-run `make bench` to measure the runtime in units)"
    u = r["unit"]
    lines = [f"**One unit = {u['seconds']:.2f} s on this machine**: {STEPS} AdamW training steps of the course GPT "
             f"at the baby shape (V={SHAPE['vocab']}, T={SHAPE['context']}, B={SHAPE['batch']}, L={SHAPE['layers']}, "
             f"H={SHAPE['heads']}, d={SHAPE['width']}), {u['tokens_per_s']:,.0f} tokens/s with {u['start']['threads']} "
             f"thread(s); measured before the notebooks ({u['start']['seconds']:.2f} s) and after them "
             f"({u['end']['seconds']:.2f} s). Budget: ≤ {r['budget_units']:.0f} units per chapter, aim for half; "
             f"≤ {COURSE_BUDGET_UNITS:.0f} units for the whole course of 50 chapters.", "",
             "| notebook | median wall time (s) | units | kernel peak RSS (MB) | slowest cell (s) |",
             "|---|---:|---:|---:|---|"]
    for row in r["rows"]:
        slow = row.get("slowest_cells") or []
        cell = f"{slow[0]['seconds']:.1f} · `{slow[0]['first_line'].replace('|', '/')}`" if slow else ""
        lines.append(f"| {row['notebook']} | {row['median_s']:.1f} | {row['units']:.1f} | {row['peak_mb']:.0f} | {cell} |")
    lines.append(f"| **total** | **{r['total_s']:.1f}** | **{r['total_units']:.1f}** | | |")
    n = sum(1 for row in r["rows"] if not row["notebook"].startswith(("00_", "99_")))
    verdict = (f"Every notebook is within {r['budget_units']:.0f} units." if not r["over_budget"]
               else f"**Over the {r['budget_units']:.0f}-unit budget:** {', '.join(r['over_budget'])}")
    left = COURSE_BUDGET_UNITS - r["total_units"]
    floor = (f"(the start page, which does almost nothing, takes {r['rows'][0]['units']:.1f}: kernel start and "
             f"imports)")
    aim = (f"The {n} chapters average {r['mean_chapter_units']:.1f} units against the aim of {AIM_UNITS:.1f} (half "
           f"the cap) {floor}; ")
    if n >= 50:
        return ("\n".join(lines) + f"\n\n{verdict} {aim}the course takes {r['total_units']:.1f} units in all "
                f"(budget {COURSE_BUDGET_UNITS:.0f}).")
    return ("\n".join(lines) + f"\n\n{verdict} {aim}at that rate 50 chapters would take "
            f"{50 * r['mean_chapter_units']:.0f} units (budget {COURSE_BUDGET_UNITS:.0f}), so the other {50 - n} "
            f"chapters must average at most {left / max(1, 50 - n):.1f} units.")


def _throughput(rows: list) -> str:
    lines = ["| shape | model | tokens/s | ratio vs transformers |", "|---|---|---:|---:|"]
    for r in rows:
        shape = f"{r['shape']} (V={r['vocab']}, T={r['context']}, B={r['batch']}, L={r['layers']}, H={r['heads']}, d={r['width']})"
        for name, tps in r["tokens_per_s"].items():
            lines.append(f"| {shape} | {name} | {tps:,.0f} | {r['ratio_vs_transformers'][name]:.2f} |")
    return "\n".join(lines)


def _attention(a: dict, out: Path) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    lines = ["| implementation | time exponent k (t ∝ Tᵏ, upper half) | memory exponent | time at largest T (s) | saved for backward at largest T (MB) |",
             "|---|---:|---:|---:|---:|"]
    for name, res in a["impls"].items():
        ts = [r["T"] for r in res["rows"]]
        axes[0].plot(ts, [r["seconds"] for r in res["rows"]], marker="o", label=name)
        axes[1].plot(ts, [r["saved_bytes"] / 2**20 for r in res["rows"]], marker="o", label=name)
        last = res["rows"][-1]
        lines.append(f"| {name} | {res['time_exponent']:.2f} | {res['memory_exponent']:.2f} | "
                     f"{last['seconds']:.4f} | {last['saved_bytes'] / 2**20:.1f} |")
    for ax, label in zip(axes, ("forward + backward time (s)", "memory kept for backward (MB)")):
        ax.set(xscale="log", yscale="log", xlabel="sequence length T", ylabel=label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Attention cost on {a['device']} (1 sequence, {a['heads']} heads of {a['head_dim']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "figures" / "attention_cost.png", dpi=110)
    plt.close(fig)
    return "\n".join(lines) + "\n\n![attention cost](figures/attention_cost.png)"


def _generation(g: dict, out: Path) -> str:
    rows = g["rows"]
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    n = [r["new_tokens"] for r in rows]
    ax.plot(n, [r["cached"] for r in rows], marker="o", label="with KV cache")
    ax.plot(n, [r["uncached"] for r in rows], marker="o", label="recompute every step")
    ax.set(xscale="log", xlabel="tokens generated", ylabel="tokens / s", title=f"Greedy decoding, {g['model']}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "figures" / "generation.png", dpi=110)
    plt.close(fig)
    lines = ["| new tokens | with cache (tok/s) | without (tok/s) | speed-up |", "|---:|---:|---:|---:|"]
    lines += [f"| {r['new_tokens']} | {r['cached']:,.0f} | {r['uncached']:,.0f} | {r['cached'] / r['uncached']:.1f}× |"
              for r in rows]
    return "\n".join(lines) + "\n\n![generation](figures/generation.png)"


def _quality(q: dict) -> str:
    return (f"After **{q['budget_s']:.0f} s** of training on {q['device']} ({q['steps']} steps of 32 × 64 tokens), "
            f"the course GPT (4 layers, 128 wide) reaches a validation loss of **{q['gpt_val_loss']:.3f}** nats/token "
            f"(perplexity {q['gpt_val_ppl']:.2f}); the bigram model counted from the same data has "
            f"{q['bigram_val_loss']:.3f} (perplexity {q['bigram_val_ppl']:.2f}). "
            + (f"The GPT passed the bigram model after **{q['beat_bigram_s']:.1f} s** of training. "
               if q.get("beat_bigram_s") is not None else "The GPT did not pass the bigram model within the budget. ")
            + "Reproduce with `python benchmarks/run.py --parts 5`.")


def write_report(results: dict, out: Path) -> None:
    (out / "figures").mkdir(parents=True, exist_ok=True)
    parts = ["# Benchmark results", "",
             "Measured by `make bench` (`python benchmarks/run.py`). " +
             ("**Quick mode: tiny sizes, numbers not meaningful.**" if results.get("quick") else ""), "",
             "## Machine", _machine(results["machine"])]
    sections = [("runtime", "1. Course runtime", _runtime), ("throughput", "2. Training throughput", _throughput),
                ("attention", "3. Attention cost", lambda a: _attention(a, out)),
                ("generation", "4. Generation with and without the KV cache", lambda g: _generation(g, out)),
                ("quality", "5. Quality at a budget", _quality)]
    for key, title, fn in sections:
        if key in results:
            parts += ["", f"## {title}", "", fn(results[key])]
    (out / "RESULTS.md").write_text("\n".join(parts) + "\n", encoding="utf-8")
