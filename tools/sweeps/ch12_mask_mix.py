"""Chapter 12, Lab 2: a small BERT trained with 100 % [MASK] vs 80/10/10, evaluated as training goes on.

The notebook trains both models for the first CHECKPOINTS[1] steps of this run live (the learning-rate
schedule is this run's, so its numbers are this sweep's at that step) and plots the stored curves; the
whole run would exceed the chapter's time budget. The recipe here must stay the notebook's (corpus,
tokenizer, initial seed, batch and masking draws, model, optimizer, schedule, evaluation).

    python tools/sweeps/ch12_mask_mix.py          # writes data/ch12_mask_mix.json (a few minutes on CPU)
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from course.models import Bert, BertConfig, mask_tokens
from course.pretrained import corpus_lines, load_tiny_bert
from course.text import pad_batch
from course.train import AdamW, fit, warmup_cosine_scheduler

OUT = Path(__file__).resolve().parents[2] / "data" / "ch12_mask_mix.json"
RECIPES = {"100 % [MASK]": (1.0, 0.0), "80/10/10": (0.8, 0.1), "80/0/20": (0.8, 0.0), "80/20/0": (0.8, 0.2)}
CHECKPOINTS = (25, 50, 100, 200, 400)
TOTAL, BATCH, LR, WARMUP = 400, 64, 1e-2, 10


def main() -> None:
    _, tok = load_tiny_bert()
    mask, v = tok.stoi["<mask>"], tok.vocab_size

    def encode(lines):
        ids, real = pad_batch([[tok.bos_id] + tok.encode(line) + [tok.eos_id] for line in lines], tok.pad_id)
        return ids, real, ~real | (ids == tok.bos_id) | (ids == tok.eos_id)

    train_ids, train_real, train_special = encode(corpus_lines(4000, seed=3))
    val_ids, val_real, val_special = encode(corpus_lines(400, seed=10_001))

    @torch.inference_mode()
    def accuracies(model):
        inputs, labels = mask_tokens(val_ids, mask, v, special=val_special, generator=torch.Generator().manual_seed(1),
                                     mask_replace_prob=1.0, random_replace_prob=0.0)
        chosen = labels != -100
        masked = (model(inputs, attention_mask=val_real).logits.argmax(-1) == val_ids)[chosen].float().mean().item()
        clean = (model(val_ids, attention_mask=val_real).logits.argmax(-1) == val_ids)[~val_special].float().mean().item()
        return round(masked, 4), round(clean, 4)

    curves = {}
    for name, (mask_p, random_p) in RECIPES.items():
        torch.manual_seed(0)
        draws = torch.Generator().manual_seed(0)

        def get_batch(step):
            rows = torch.randint(len(train_ids), (BATCH,), generator=draws)
            t = int(train_real[rows].sum(1).max())
            ids, real, special = train_ids[rows, :t], train_real[rows, :t], train_special[rows, :t]
            inputs, labels = mask_tokens(ids, mask, v, special=special, generator=draws,
                                         mask_replace_prob=mask_p, random_replace_prob=random_p)
            return inputs, real, labels

        model = Bert(BertConfig(vocab_size=v, max_len=64, n_layers=1, n_heads=4, d_model=64))
        opt = AdamW(model.parameters(), lr=LR, weight_decay=0.01)
        sched = warmup_cosine_scheduler(opt, warmup=WARMUP, total=TOTAL)
        points, done = [], 0
        for stop in CHECKPOINTS:
            fit(model, opt, lambda s: get_batch(s), stop - done, scheduler=sched, progress=False,
                loss_fn=lambda m, b: m(b[0], attention_mask=b[1], labels=b[2]).loss)
            done = stop
            masked, clean = accuracies(model.eval())
            points.append({"step": stop, "masked_accuracy": masked, "clean_accuracy": clean})
            print(name, points[-1], flush=True)
        curves[name] = points
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch12_mask_mix.py",
        "recipe": f"corpus_lines(4000, seed=3) with the tiny BERT's vocabulary; Bert n_layers=1 d_model=64 "
                  f"n_heads=4; AdamW lr={LR} wd=0.01, warmup {WARMUP} + cosine to {TOTAL} steps, batch {BATCH}; "
                  f"initial seed 0, batch and masking draws from one generator seeded 0; evaluated on "
                  f"corpus_lines(400, seed=10001), masking draw seeded 1",
        "checkpoints": list(CHECKPOINTS), "curves": curves}, indent=1))


if __name__ == "__main__":
    main()
