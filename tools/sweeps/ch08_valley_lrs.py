"""Chapter 8, Lab 1: for every optimizer, the learning rate that reaches the valley's floor in the fewest steps.

Each optimizer of course.train runs from the same start on the axis-aligned valley and on the same valley
turned by 45°, at every learning rate of a grid; the notebook draws each one at its best rate (and so
reproduces the steps stored here). Running the whole grid in the notebook would exceed its time budget.

    python tools/sweeps/ch08_valley_lrs.py          # writes data/ch08_valley_lrs.json (under a minute)
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from course.train import SGD, AdaGrad, Adam, RMSProp, trajectory, valley_loss

OUT = Path(__file__).resolve().parents[2] / "data" / "ch08_valley_lrs.json"
START, STEPS, TARGET, CURVATURES = (-4.0, 1.5), 100, 1e-3, (1.0, 25.0)
LRS = [0.01, 0.02, 0.04, 0.07, 0.1, 0.2, 0.4, 0.7, 1.0, 2.0, 4.0]
ANGLES = {"aligned": 0.0, "turned 45°": math.pi / 4}
OPTIMIZERS = {
    "SGD": (SGD, {}),
    # momentum 0.5: near Polyak's best for this valley, ((√25 − 1)/(√25 + 1))² ≈ 0.44 (0.9 rings for long)
    "SGD + momentum": (SGD, {"momentum": 0.5}),
    # Nesterov's best momentum for this valley is higher (about 0.8): each method gets its own
    "Nesterov": (SGD, {"momentum": 0.8, "nesterov": True}),
    "AdaGrad": (AdaGrad, {}),
    "RMSProp": (RMSProp, {}),
    "Adam": (Adam, {}),
    # AdamW is left out: its decay pulls towards the origin, which is this valley's minimum (chapter 8, Lab 5)
}
OTHER_MOMENTA = {   # the same sweep for other momenta, to show why each method gets its own
    "SGD + momentum, μ = 0.9": (SGD, {"momentum": 0.9}),
    "Nesterov, μ = 0.5": (SGD, {"momentum": 0.5, "nesterov": True}),
    "Nesterov, μ = 0.9": (SGD, {"momentum": 0.9, "nesterov": True}),
}


def turned_start(angle: float) -> tuple[float, float]:
    """START turned with the valley: the same position relative to the valley's axes."""
    (x, y), c, s = START, math.cos(angle), math.sin(angle)
    return (c * x - s * y, s * x + c * y)


def steps_to_target(points: torch.Tensor, angle: float) -> int | None:
    """First step at which the loss is below TARGET (None if never within STEPS)."""
    below = (valley_loss(points, CURVATURES, angle) < TARGET).nonzero()
    return int(below[0]) if len(below) else None


def main() -> None:
    results = {}
    for name, (cls, settings) in {**OPTIMIZERS, **OTHER_MOMENTA}.items():
        results[name] = {}
        for valley, angle in ANGLES.items():
            steps = [steps_to_target(trajectory(lambda p: cls(p, lr=lr, **settings), turned_start(angle), STEPS,
                                                lambda p: valley_loss(p, CURVATURES, angle)), angle) for lr in LRS]
            reached = [(n, lr) for n, lr in zip(steps, LRS) if n is not None]
            best = min(reached) if reached else (None, None)
            results[name][valley] = {"steps": steps, "best_lr": best[1], "best_steps": best[0]}
        print(name, {v: (r["best_lr"], r["best_steps"]) for v, r in results[name].items()}, flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch08_valley_lrs.py",
        "recipe": f"valley_loss curvatures={CURVATURES}, start={START} (turned with the valley), float64, {STEPS} steps; steps = first step "
                  f"with loss < {TARGET} (null: never); lrs {LRS}; settings as in OPTIMIZERS (and OTHER_MOMENTA)",
        "lrs": LRS, "results": results}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
