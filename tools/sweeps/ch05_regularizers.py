"""Chapter 5, Lab 3: each regularizer on the shared overfitting setting, with train and validation curves.

Six runs of 150 steps take longer than the chapter's time budget, so this script runs them and the
notebook plots the stored curves and re-runs the start of one live. The recipe must stay the notebook's.

    python tools/sweeps/ch05_regularizers.py        # writes data/ch05_regularizers.json (about a minute on CPU)
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

from course.train import Adam, AdamW
from course.train.overfitting import overfit_setting
from course.train.regularizers import train_with_curves

OUT = Path(__file__).resolve().parents[2] / "data" / "ch05_regularizers.json"
STEPS, EVERY, LR = 150, 10, 3e-3


def attention_only(model, p):
    """Dropout on the attention weights alone (the model's other dropout sites stay at 0)."""
    for block in model.blocks:
        block.self_attn.dropout = p
    return model


def smoothed_loss(eps):
    def loss_fn(model, batch):
        x, y = batch
        logits = model(x).logits                                   # (B, T, V)
        return F.cross_entropy(logits.flatten(0, 1), y.flatten(), label_smoothing=eps)
    return loss_fn


def runs(setting):
    """name -> (model, optimizer, loss_fn); every model starts from the same initialization."""
    def adamw(m, wd=0.0):
        return AdamW(m.parameters(), lr=LR, weight_decay=wd)
    base, drop, attn = setting.model(), setting.model(dropout=0.2), attention_only(setting.model(), 0.2)
    l2, decoupled, smooth = setting.model(), setting.model(), setting.model()
    return {
        "none": (base, adamw(base), None),
        "dropout 0.2 (all sites)": (drop, adamw(drop), None),
        "attention dropout 0.2 only": (attn, adamw(attn), None),
        "L2 in Adam, λ=0.1": (l2, Adam(l2.parameters(), lr=LR, weight_decay=0.1), None),
        "decoupled (AdamW), λ=0.1": (decoupled, adamw(decoupled, 0.1), None),
        "label smoothing 0.1": (smooth, adamw(smooth), smoothed_loss(0.1)),
    }


def main() -> None:
    setting = overfit_setting(60)
    results = {}
    for name, (model, optimizer, loss_fn) in runs(setting).items():
        curves = train_with_curves(setting, model, optimizer, STEPS, every=EVERY, loss_fn=loss_fn)
        results[name] = curves.as_dict()
        print(f"{name:>28}: best val {min(curves.val):.3f} at {curves.step[curves.val.index(min(curves.val))]}, "
              f"final val {curves.val[-1]:.3f}, final train {curves.train[-1]:.3f}", flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch05_regularizers.py",
        "recipe": f"overfit_setting(60), GPT 2 layers d=64; AdamW lr {LR} (Adam for L2) for {STEPS} steps of "
                  f"batch 16; curves every {EVERY} steps from train_with_curves",
        "torch": torch.__version__,
        "runs": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
