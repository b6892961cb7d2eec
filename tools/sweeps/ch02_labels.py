"""Chapter 2, Lab 3: fine-tuning the pretrained tiny GPT vs training the same architecture from scratch,
as the number of labelled examples grows (16 … 1024), three seeds each.

The task is grammaticality: does the verb agree with its subject across an attractor ("the dog near the
trees runs ." = 1, "… run ." = 0)? The notebook re-runs one point live; the recipe here must stay the
notebook's (data, classifier, optimizer, steps, batch order, evaluation).

    python tools/sweeps/ch02_labels.py          # writes data/ch02_labels.json (about 5 minutes on one CPU core)
"""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import torch

from course.models import GPT
from course.pretrained import load_tiny_gpt
from course.text import agreement_pairs, pad_batch
from course.train import GPTClassifier

OUT = Path(__file__).resolve().parents[2] / "data" / "ch02_labels.json"
SIZES = (16, 32, 64, 128, 256, 512, 1024)
SEEDS = (0, 1, 2)
STEPS, BATCH, LR = 100, 32, 1e-3
TEST_SEED = 999


def examples(n: int, seed: int) -> list[tuple[str, int]]:
    """n sentences, half with the verb form that agrees with the subject (label 1), half with the other."""
    rng = random.Random(seed)
    out = []
    for prefix, right, wrong in agreement_pairs(n, seed):
        label = int(rng.random() < 0.5)
        out.append((f"{prefix}{right if label else wrong}.", label))
    return out


def encode(tok, rows):
    """-> ids (N, T) right-padded, lengths (N,), labels (N,)."""
    ids, real = pad_batch([tok.encode(text) for text, _ in rows], tok.pad_id)
    return ids, real.sum(1), torch.tensor([label for _, label in rows])


def run(gpt0, tok, n: int, pretrained: bool, seed: int, test) -> float:
    """Test accuracy after STEPS AdamW steps on n labelled sentences (training seed = seed + 1)."""
    torch.manual_seed(seed)
    model = GPTClassifier(copy.deepcopy(gpt0) if pretrained else GPT(gpt0.config), 2)
    ids, lengths, labels = encode(tok, examples(n, seed + 1))
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    order = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(STEPS):
        pick = torch.randint(n, (min(n, BATCH),), generator=order)
        loss = model(ids[pick], lengths[pick], labels[pick]).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    with torch.inference_mode():
        return (model(test[0], test[1]).logits.argmax(-1) == test[2]).float().mean().item()


def main() -> None:
    gpt0, tok = load_tiny_gpt()
    test = encode(tok, examples(400, TEST_SEED))
    points = []
    for n in SIZES:
        for pretrained in (True, False):
            accs = [round(run(gpt0, tok, n, pretrained, seed, test), 4) for seed in SEEDS]
            points.append({"labels": n, "pretrained": pretrained, "accuracy": accs})
            print(points[-1], flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch02_labels.py",
        "recipe": f"GPTClassifier on the shipped tiny GPT (pretrained) or GPT(same config) (scratch); "
                  f"examples(n, seed + 1) built from agreement_pairs; torch AdamW lr {LR} wd 0.01, "
                  f"{STEPS} steps of batch min(n, {BATCH}) drawn with a generator of seed `seed`; "
                  f"torch.manual_seed(seed) before the head/init; test = examples(400, {TEST_SEED})",
        "torch": torch.__version__, "seeds": list(SEEDS),
        "points": points}, indent=1) + "\n")


if __name__ == "__main__":
    main()
