"""Chapter 10: what improves a small language model, measured with one recipe.

Five sweeps of a word-level GPT (2 layers, context 32) on the course corpus, each point trained from the
same seed and evaluated on the same held-out lines (never in the training text):

- ``params``   widths 16…128 at a fixed 200 steps on one 128k-token text (read 1.6×) → L(N)
- ``steps``    width 64 trained for 25…400 steps on one 128k-token text (400 steps read it 3.2×) → L(D)
- ``text``     width 64, 200 steps, on training texts of 4k…64k tokens: small texts are repeated many
               times (the validation loss reported is the best of the run: early stopping)
- ``lr``       width 64, peak learning rates 3e-4…3e-2, warmup + cosine
- ``schedule`` width 64 at a high peak lr: constant vs warmup + cosine vs cosine without warmup
- ``data``     width 64 on 64k-token texts: clean, duplicated (half the lines copies of 200 lines), noisy
               (30 % of the lines word-shuffled)

The notebook re-runs one point live with ``train_point`` from this file, so the recipe lives here only.

    python tools/sweeps/ch10_improving.py          # writes data/ch10_improving.json (several minutes on CPU)
"""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

import torch

from course.models import GPT, GPTConfig
from course.pretrained import corpus_lines, held_out_lines, load_tiny_gpt
from course.train import AdamW, evaluate, fit, warmup_cosine_scheduler

OUT = Path(__file__).resolve().parents[2] / "data" / "ch10_improving.json"
CONTEXT, BATCH, STEPS = 32, 32, 200
WIDTHS = (16, 32, 64, 128)
TEXT_SIZES = (4_000, 8_000, 16_000, 32_000, 64_000)
STEP_COUNTS = (25, 50, 100, 200, 400)
LRS = (3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
DEFAULT = {"width": 64, "lr": 3e-3, "schedule": "warmup_cosine", "data": "clean", "n_tokens": 128_000, "steps": STEPS}


def vocabulary():
    """The course's word tokenizer (that of the pretrained tiny GPT: 232 tokens)."""
    return load_tiny_gpt()[1]


def training_lines(kind: str, n_tokens: int, seed: int = 0) -> list[str]:
    """Corpus lines holding about ``n_tokens`` tokens: ``clean``, ``duplicated`` (every second line replaced
    by one of 200 lines, so half the text is repeats) or ``noisy`` (30 % of the lines word-shuffled)."""
    lines, total = [], 0
    for line in corpus_lines(max(8, n_tokens // 5), seed=seed):       # lines average about 11 tokens
        if total >= n_tokens:
            break
        lines.append(line)
        total += len(line.split()) + 1
    rng = random.Random(seed + 1)
    if kind == "duplicated":
        pool = lines[:200]
        lines = [rng.choice(pool) if i % 2 else line for i, line in enumerate(lines)]
    elif kind == "noisy":
        lines = [" ".join(rng.sample(line.split(), len(line.split()))) if rng.random() < 0.3 else line
                 for line in lines]
    elif kind != "clean":
        raise ValueError(f"kind must be 'clean', 'duplicated' or 'noisy', got {kind!r}")
    return lines


def stream(words, lines) -> torch.Tensor:
    return torch.tensor([i for line in lines for i in words.encode(line) + [words.eos_id]])


def validation_batches(words, n_batches: int = 8):
    val = stream(words, held_out_lines(600))
    starts = torch.arange(n_batches * BATCH) * ((len(val) - CONTEXT - 1) // (n_batches * BATCH))
    windows = torch.stack([val[s:s + CONTEXT + 1] for s in starts.tolist()])
    return [(w[:, :-1], w[:, 1:]) for w in windows.split(BATCH)]


def train_point(width: int = 64, lr: float = 3e-3, schedule: str = "warmup_cosine", data: str = "clean",
                n_tokens: int = 128_000, steps: int = STEPS, words=None, val_batches=None) -> dict:
    """Train one model with the chapter's recipe; return its size, validation loss (best of the evaluations
    every 50 steps and at the end) and training-loss curve (every 10 steps)."""
    words = words or vocabulary()
    val_batches = val_batches or validation_batches(words)
    train_ids = stream(words, training_lines(data, n_tokens))
    config = GPTConfig(vocab_size=words.vocab_size, context=CONTEXT, n_layers=2, n_heads=4 if width >= 32 else 2,
                       d_model=width)
    torch.manual_seed(0)
    model = GPT(config)
    optimizer = AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    scheduler = {"warmup_cosine": warmup_cosine_scheduler(optimizer, warmup=steps // 10, total=steps),
                 "cosine": warmup_cosine_scheduler(optimizer, warmup=0, total=steps),
                 "constant": None}[schedule]
    batches = torch.Generator().manual_seed(1)

    def get_batch(step):
        i = torch.randint(0, len(train_ids) - CONTEXT - 1, (BATCH,), generator=batches)
        window = torch.stack([train_ids[j:j + CONTEXT + 1] for j in i.tolist()])
        return window[:, :-1], window[:, 1:]

    history = fit(model, optimizer, get_batch, steps, scheduler=scheduler, eval_every=50,
                  eval_batches=lambda: val_batches, progress=False)
    finite = [v for v in history.eval_loss if v == v]
    return {"width": width, "lr": lr, "schedule": schedule, "data": data, "n_tokens": len(train_ids),
            "steps": steps, "tokens_trained": steps * BATCH * CONTEXT,
            "non_embedding_params": config.n_params(include_embeddings=False),
            "val_loss": round(min(finite), 4) if finite and not history.diverged else None,
            "diverged": history.diverged,
            "train_curve": [round(v, 3) for v in history.loss[::10]]}


def main() -> None:
    words = vocabulary()
    val = validation_batches(words)
    runs = {"params": [dict(DEFAULT, width=w) for w in WIDTHS],
            "steps": [dict(DEFAULT, steps=n) for n in STEP_COUNTS],
            "text": [dict(DEFAULT, n_tokens=n) for n in TEXT_SIZES],
            "lr": [dict(DEFAULT, lr=lr) for lr in LRS],
            "schedule": [dict(DEFAULT, lr=3e-2, schedule=s) for s in ("constant", "cosine", "warmup_cosine")],
            "data": [dict(DEFAULT, n_tokens=64_000, data=d) for d in ("clean", "duplicated", "noisy")]}
    results, done, start = {}, {}, time.time()
    for sweep, settings in runs.items():
        results[sweep] = []
        for s in settings:
            key = json.dumps(s, sort_keys=True)          # a point shared by two sweeps is trained once
            if key not in done:
                done[key] = train_point(**s, words=words, val_batches=val)
            results[sweep].append(done[key])
            point = {k: v for k, v in results[sweep][-1].items() if k != "train_curve"}
            print(sweep, point, f"{time.time() - start:.0f} s", flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch10_improving.py",
        "recipe": f"word GPT n_layers=2 context={CONTEXT}, AdamW wd 0.1, batch {BATCH}, {STEPS} steps, warmup "
                  f"steps // 10 + cosine to 0.1 unless the sweep says otherwise; torch.manual_seed(0) before init, "
                  f"batch generator seed 1; validation = 8 batches of held_out_lines(600); defaults {DEFAULT}",
        "torch": torch.__version__,
        "seconds": round(time.time() - start),
        **results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
