"""Chapter 38, Lab 3: pre-LN vs post-LN GPTs of 8 layers, trained with and without learning-rate warmup,
at three peak learning rates of Adam.

Xiong et al. (2020) initialize with Xavier; the course GPT's GPT-2 initialization (std 0.02, residual
projections scaled down) makes a post-LN stack nearly an identity at the start and hides the effect, so
the recipe re-initializes every linear layer with Xavier-uniform (``xavier``, also used by the notebook).
The notebook re-runs one point live (post-LN, no warmup, the highest rate) and compares it with this file.

    python tools/sweeps/ch38_warmup.py           # writes data/ch38_warmup.json (a few minutes on CPU)
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from course.models import GPT, GPTConfig
from course.pretrained import corpus_lines, load_tiny_gpt
from course.text import lm_batch

OUT = Path(__file__).resolve().parents[2] / "data" / "ch38_warmup.json"
STEPS, BATCH, CONTEXT, LAYERS, WARMUP = 120, 16, 32, 8, 40
LRS = [1e-3, 3e-3, 1e-2]


def xavier(model: torch.nn.Module) -> torch.nn.Module:
    """Xavier-uniform weights for every linear layer (Xiong et al., 2020's setting); returns the model."""
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(module.weight)
    return model


def data():
    _, tok = load_tiny_gpt()
    ids = torch.tensor([i for line in corpus_lines(2000, seed=5) for i in tok.encode(line) + [tok.eos_id]])
    return tok, ids


def run(tok, ids, post_ln: bool, lr: float, warmup: int) -> list[float]:
    """Training loss at every step (NaN-free: a non-finite loss ends the list with None)."""
    torch.manual_seed(0)
    model = xavier(GPT(GPTConfig(vocab_size=tok.vocab_size, context=CONTEXT, n_layers=LAYERS, n_heads=4,
                                 d_model=64, norm_first=not post_ln)))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    batches = torch.Generator().manual_seed(1)
    losses = []
    for step in range(STEPS):
        for group in optimizer.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / warmup) if warmup else lr
        x, y = lm_batch(ids, BATCH, CONTEXT, batches)
        loss = model(x, y).loss
        if not torch.isfinite(loss):
            losses.append(None)
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(round(loss.item(), 4))
    return losses


def main() -> None:
    torch.set_num_threads(1)
    tok, ids = data()
    runs = []
    for post_ln in (False, True):
        for lr in LRS:
            for warmup in (0, WARMUP):
                losses = run(tok, ids, post_ln, lr, warmup)
                runs.append({"post_ln": post_ln, "lr": lr, "warmup": warmup, "loss": losses})
                print("post-LN" if post_ln else "pre-LN", lr, warmup, losses[-1], flush=True)
    OUT.write_text(json.dumps({"script": "tools/sweeps/ch38_warmup.py", "steps": STEPS, "batch": BATCH,
                               "context": CONTEXT, "n_layers": LAYERS, "d_model": 64, "warmup": WARMUP,
                               "optimizer": "Adam (0.9, 0.999)", "init": "xavier_uniform on every Linear",
                               "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
