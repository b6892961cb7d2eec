"""The course's unit of time: 50 AdamW training steps of the course GPT at the baby shape.

Machines differ several times in speed, so chapter runtimes are budgeted in this unit, measured on the
same machine as the notebooks (at the start and at the end of a run, to notice a machine that got busier).
"""
from __future__ import annotations

import statistics
import time

import torch

from course.models import GPT, GPTConfig

# the baby shape of the throughput benchmark (part 2): V=65, T=64, B=12, L=4, H=4, d=128
SHAPE = dict(vocab=65, context=64, batch=12, layers=4, heads=4, width=128)
STEPS = 50
BUDGET_UNITS = 7.0             # per chapter notebook
AIM_UNITS = BUDGET_UNITS / 2  # the guide: "aim for half" of the per-chapter cap
# The whole course. It was 175 (50 chapters at the aim); the 50 written chapters average 3.8 units, about 1.6
# of which every notebook pays for kernel start and imports, so the total is held at 200 (50 × 4) to stop
# growth while the heaviest chapters are trimmed towards the aim; the report prints both.
COURSE_BUDGET_UNITS = 200.0


def _steps(model, opt, x, y, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        loss = model(x, targets=y).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def measure_unit(repeats: int = 3, steps: int = STEPS) -> dict:
    """Median seconds of ``steps`` training steps (after a warm-up), and the tokens/s that implies."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=SHAPE["vocab"], context=SHAPE["context"], n_layers=SHAPE["layers"],
                          n_heads=SHAPE["heads"], d_model=SHAPE["width"]))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(0, SHAPE["vocab"], (SHAPE["batch"], SHAPE["context"]))
    y = torch.randint(0, SHAPE["vocab"], (SHAPE["batch"], SHAPE["context"]))
    _steps(model, opt, x, y, 5)                                   # warm-up: allocator, kernels
    runs = [_steps(model, opt, x, y, steps) * STEPS / steps for _ in range(repeats)]
    seconds = statistics.median(runs)
    return {"seconds": seconds, "runs": runs, "threads": torch.get_num_threads(),
            "tokens_per_s": STEPS * SHAPE["batch"] * SHAPE["context"] / seconds}
