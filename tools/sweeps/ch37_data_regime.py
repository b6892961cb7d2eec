"""Chapter 37, Lab 1: the same dropout at six training-set sizes (the 2-D sweep of data × strength).

Every point is the shared overfitting setting of the regularization chapters,
``course.train.overfitting.overfit_setting(n_lines)``: the same 2-layer GPT (d = 64, context 32), the same
initial seed, AdamW lr 3e-3 without weight decay, STEPS steps of 16 windows, validation every 10 steps on
the setting's fixed held-out batches. The notebook plots this file and re-runs one point live, so the
recipe here must stay the notebook's.

    python tools/sweeps/ch37_data_regime.py        # writes data/ch37_data_regime.json (a few minutes on CPU)
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from course.train import AdamW
from course.train.overfitting import overfit_setting

OUT = Path(__file__).resolve().parents[2] / "data" / "ch37_data_regime.json"
LINES = (30, 60, 150, 500, 1500, 5000)
DROPOUTS = (0.0, 0.1, 0.2, 0.3, 0.5)
STEPS = 150


def run(n_lines: int, dropout: float) -> dict:
    setting = overfit_setting(n_lines)
    model = setting.model(dropout=dropout)
    history = setting.train(model, AdamW(model.parameters(), lr=3e-3, weight_decay=0.0), steps=STEPS,
                            eval_every=10, progress=False)
    return {"n_lines": n_lines, "train_tokens": len(setting.train_tokens), "dropout": dropout,
            "eval_step": history.eval_step, "eval_loss": [round(v, 4) for v in history.eval_loss]}


def main() -> None:
    torch.set_num_threads(max(1, torch.get_num_threads()))
    points = []
    for n_lines in LINES:
        for dropout in DROPOUTS:
            points.append(run(n_lines, dropout))
            p = points[-1]
            print(n_lines, dropout, "best", min(p["eval_loss"]), "final", p["eval_loss"][-1], flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch37_data_regime.py",
        "recipe": f"overfit_setting(n_lines) (2-layer GPT, d_model 64, context 32, seed 0), model(dropout=p), "
                  f"AdamW lr 3e-3 weight_decay 0, {STEPS} steps of 16 windows, eval every 10 steps on the "
                  f"setting's 8 validation batches",
        "torch": torch.__version__,
        "points": points}, indent=1) + "\n")


if __name__ == "__main__":
    main()
