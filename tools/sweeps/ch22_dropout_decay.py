"""Chapter 22, Lab 1: a grid of dropout rate × decoupled weight decay on the shared overfitting setting.

Sixteen runs of 150 steps are far beyond the chapter's time budget, so this script runs them and the
notebook draws the stored grid as heat maps and re-runs one cell live. The recipe must stay the notebook's.

    python tools/sweeps/ch22_dropout_decay.py       # writes data/ch22_dropout_decay.json (a few minutes on CPU)
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from course.train import AdamW
from course.train.overfitting import overfit_setting
from course.train.regularizers import train_with_curves

OUT = Path(__file__).resolve().parents[2] / "data" / "ch22_dropout_decay.json"
DROPOUTS = (0.0, 0.1, 0.3, 0.5)
DECAYS = (0.0, 0.3, 3.0, 30.0)
STEPS, EVERY, LR = 150, 10, 3e-3


def run(setting, dropout: float, weight_decay: float):
    model = setting.model(dropout=dropout)
    optimizer = AdamW(model.parameters(), lr=LR, weight_decay=weight_decay)
    return train_with_curves(setting, model, optimizer, STEPS, every=EVERY)


def main() -> None:
    setting = overfit_setting(60)
    grid = []
    for dropout in DROPOUTS:
        for weight_decay in DECAYS:
            curves = run(setting, dropout, weight_decay)
            grid.append({"dropout": dropout, "weight_decay": weight_decay, **curves.as_dict()})
            print(f"dropout {dropout} wd {weight_decay}: best val {min(curves.val):.3f}, "
                  f"final val {curves.val[-1]:.3f}, final train {curves.train[-1]:.3f}", flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch22_dropout_decay.py",
        "recipe": f"overfit_setting(60), GPT 2 layers d=64 with dropout p at every site; AdamW lr {LR}, "
                  f"decoupled weight decay λ on every parameter, {STEPS} steps of batch 16; curves every "
                  f"{EVERY} steps from train_with_curves",
        "dropouts": list(DROPOUTS), "weight_decays": list(DECAYS), "torch": torch.__version__,
        "grid": grid}, indent=1) + "\n")


if __name__ == "__main__":
    main()
