"""Chapter 26, Lab 2: the AdamW knobs of a small LM, one at a time around a base recipe.

The notebook plots this stored sweep; running every point there would exceed the chapter's time budget.
Its `train` cell repeats `run`'s recipe (corpus, tokenizer, split, model seed, batch order, schedule,
evaluation) — keep the two in step — and re-runs the first CHECK_STEPS steps of the base point live,
to compare with the `check` entry stored here. The base point is also run with seeds 1 and 2 (model
initialisation and batch order), which gives the seed-to-seed spread the sweep's differences are read against.

    python tools/sweeps/ch26_adamw_knobs.py        # writes data/ch26_adamw_knobs.json (a few minutes on CPU)
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch

from course.models import GPT, GPTConfig
from course.text import WordTokenizer, grammar_corpus, lm_batch, train_val_split
from course.train import AdamW, evaluate, fit, warmup_cosine_scheduler

OUT = Path(__file__).resolve().parents[2] / "data" / "ch26_adamw_knobs.json"
STEPS = 100
CHECK_STEPS = 20          # the notebook's live re-run: the first 20 steps of the base run's 100-step schedule
SEEDS = [1, 2]            # extra seeds of the base point
BASE = {"lr": 3e-3, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1, "warmup": 10}
SWEEP = {
    "lr": [3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
    "beta2": [0.9, 0.95, 0.99, 0.999],
    "eps": [1e-8, 1e-6, 1e-4, 1e-3, 1e-2],
    "weight_decay": [0.0, 0.1, 0.3, 1.0],
    "warmup": [0, 10, 30],
}
# warmup matters where the learning rate is high: the same warmup values at the largest lr
HIGH_LR_WARMUP = {"lr": 3e-2, "warmup": [0, 10, 30]}


def data():
    text = grammar_corpus(4000, seed=0)
    words = WordTokenizer([text])
    ids = torch.tensor([i for line in text.splitlines() for i in words.encode(line) + [words.eos_id]])
    train_ids, val_ids = train_val_split(ids)
    return words, train_ids, val_ids


def run(knobs: dict, *, seed: int = 0, steps: int = STEPS, progress: bool = False, keep: bool = False):
    """Train the chapter's GPT with AdamW(knobs) for ``steps`` steps of the STEPS-step schedule; returns
    (validation loss, history[, model, optimizer] when keep). A diverged run returns inf. ``seed`` sets the
    initialisation (torch.manual_seed(seed)) and the batch order (generator seed seed + 1)."""
    words, train_ids, val_ids = data()
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=words.vocab_size, context=32, n_layers=2, n_heads=4, d_model=64))
    optimizer = AdamW(model.parameters(), lr=knobs["lr"], betas=(0.9, knobs["beta2"]), eps=knobs["eps"],
                      weight_decay=knobs["weight_decay"])
    batches = torch.Generator().manual_seed(seed + 1)
    history = fit(model, optimizer, lambda step: lm_batch(train_ids, 32, 32, batches), steps,
                  scheduler=warmup_cosine_scheduler(optimizer, warmup=knobs["warmup"], total=STEPS),
                  progress=progress)
    val_batches = [lm_batch(val_ids, 64, 32, torch.Generator().manual_seed(i)) for i in range(4)]
    val = math.inf if history.diverged else evaluate(model, val_batches)
    return (val, history, model, optimizer) if keep else (val, history)


def main() -> None:
    points = []
    plan = [(name, {**BASE, name: v}) for name, values in SWEEP.items() for v in values]
    plan += [("warmup at lr 3e-2", {**BASE, "lr": HIGH_LR_WARMUP["lr"], "warmup": w})
             for w in HIGH_LR_WARMUP["warmup"]]
    for knob, knobs in plan:
        start = time.perf_counter()
        val, history = run(knobs)
        points.append({"knob": knob, **knobs, "val_loss": None if math.isinf(val) else round(val, 4),
                       "max_train_loss_after_10": round(max(history.loss[10:]), 3)})
        print(points[-1], f"{time.perf_counter() - start:.1f} s", flush=True)
        if knob == "lr" and knobs == BASE:
            base_train_loss = [round(x, 4) for x in history.loss]
    seeds = [{"seed": 0, "val_loss": next(p["val_loss"] for p in points if p["knob"] == "lr" and p["lr"] == BASE["lr"])}]
    for seed in SEEDS:
        val, _ = run(BASE, seed=seed)
        seeds.append({"seed": seed, "val_loss": round(val, 4)})
        print(seeds[-1], flush=True)
    val, history = run(BASE, steps=CHECK_STEPS)
    check = {"steps": CHECK_STEPS, "val_loss": round(val, 4), "train_loss": [round(x, 4) for x in history.loss]}
    print(check, flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch26_adamw_knobs.py",
        "recipe": f"grammar_corpus(4000, seed=0), word tokens, GPT n_layers=2 n_heads=4 d_model=64 context=32, "
                  f"course AdamW (beta1 0.9), warmup + cosine to 10 %, {STEPS} steps of batch 32, "
                  f"torch.manual_seed(0) before init, batch generator seed 1; base {BASE}",
        "torch": torch.__version__,
        "base": BASE,
        "base_seeds": seeds,
        "base_train_loss": base_train_loss,
        "check": check,
        "points": points}, indent=1) + "\n")


if __name__ == "__main__":
    main()
