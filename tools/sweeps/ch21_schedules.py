"""Chapter 21, Lab 1: SGD, SGD + momentum, Adam and AdamW on the tiny LM, with a constant learning rate and
with warmup + cosine decay, each over a grid of (peak) learning rates.

The notebook trains each of the eight combinations once, at the best rate of this grid, and plots the
stored grid; the whole grid would exceed the chapter's time budget. The recipe (chapter 8's tiny LM:
corpus, tokenizer, split, model, initial seed, batch order, steps, evaluation) must stay the notebook's
so that its live runs reproduce the grid's best points.

    python tools/sweeps/ch21_schedules.py           # writes data/ch21_schedules.json (a few minutes on CPU)
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from course.models import GPT, GPTConfig
from course.text import WordTokenizer, grammar_corpus, lm_batch, train_val_split
from course.train import SGD, Adam, AdamW, evaluate, fit, warmup_cosine_scheduler

OUT = Path(__file__).resolve().parents[2] / "data" / "ch21_schedules.json"
STEPS, BATCH, CONTEXT, WARMUP = 60, 16, 32, 6

OPTIMIZERS = {   # name: (class, fixed settings, learning rates tried)
    "SGD": (SGD, {}, [0.03, 0.1, 0.3, 1.0]),
    "SGD + momentum": (SGD, {"momentum": 0.9}, [0.01, 0.03, 0.1, 0.3]),
    "Adam": (Adam, {}, [1e-3, 3e-3, 1e-2, 3e-2]),
    "AdamW": (AdamW, {"weight_decay": 0.1}, [1e-3, 3e-3, 1e-2, 3e-2]),
}
SCHEDULES = ("constant", "warmup + cosine")


def data():
    text = grammar_corpus(2000, seed=0)
    words = WordTokenizer([text])
    ids = torch.tensor([i for line in text.splitlines() for i in words.encode(line) + [words.eos_id]])
    train_ids, val_ids = train_val_split(ids)
    val_batches = [lm_batch(val_ids, 64, CONTEXT, torch.Generator().manual_seed(i)) for i in range(4)]
    return words, train_ids, val_batches


def run(words, train_ids, val_batches, cls, settings, lr, schedule):
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=words.vocab_size, context=CONTEXT, n_layers=1, n_heads=4, d_model=64))
    optimizer = cls(model.parameters(), lr=lr, **settings)
    scheduler = (warmup_cosine_scheduler(optimizer, warmup=WARMUP, total=STEPS)
                 if schedule == "warmup + cosine" else None)
    batches = torch.Generator().manual_seed(1)
    history = fit(model, optimizer, lambda step: lm_batch(train_ids, BATCH, CONTEXT, batches), STEPS,
                  scheduler=scheduler, progress=False)
    return None if history.diverged else round(evaluate(model, val_batches), 4)   # None: the loss became NaN


def main() -> None:
    torch.set_num_threads(1)
    words, train_ids, val_batches = data()
    results = {}
    for name, (cls, settings, lrs) in OPTIMIZERS.items():
        results[name] = {"settings": settings, "lrs": lrs}
        for schedule in SCHEDULES:
            results[name][schedule] = [run(words, train_ids, val_batches, cls, settings, lr, schedule) for lr in lrs]
        print(name, results[name], flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch21_schedules.py",
        "recipe": f"grammar_corpus(2000, seed=0), word tokens, 10 % validation; GPT n_layers=1 n_heads=4 "
                  f"d_model=64 context={CONTEXT}; torch.manual_seed(0) before the model; batches lm_batch({BATCH}) "
                  f"from Generator seed 1; {STEPS} steps; schedules: constant, or warmup_cosine_scheduler("
                  f"warmup={WARMUP}, total={STEPS}, min_ratio=0.1); no clipping; validation loss over 4 batches "
                  f"of 64 windows (seeds 0-3); torch.set_num_threads(1)",
        "steps": STEPS, "warmup": WARMUP, "results": results}, indent=1))


if __name__ == "__main__":
    main()
