"""Part 2 — training throughput: the course GPT against transformers' GPT2LMHeadModel of the same shape.

Both models take full training steps (forward, backward, torch.optim.AdamW) on the same batches, in the
same process, in alternating rounds; we report the median tokens/s of each and their ratio. The course
model is measured on its fused attention path and on its manual (teaching) path.
"""
from __future__ import annotations

import statistics
import time

import torch

from course.models import GPT, GPTConfig
from course.nn import MultiHeadAttention
from course.runtime import autocast, get_device

from .common import sync

SHAPES = {
    "baby": dict(vocab=65, context=64, batch=12, layers=4, heads=4, width=128),
    "larger": dict(vocab=512, context=256, batch=8, layers=6, heads=6, width=384),
}
# steps per round and rounds, sized so that each shape takes well under a minute on a 2-core CPU
SCHEDULE = {"baby": (30, 7), "larger": (8, 3)}


def _hf_model(shape, device):
    import transformers

    transformers.logging.set_verbosity_error()
    cfg = transformers.GPT2Config(vocab_size=shape["vocab"], n_positions=shape["context"], n_embd=shape["width"],
                                  n_layer=shape["layers"], n_head=shape["heads"], resid_pdrop=0.0,
                                  embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)
    cfg._attn_implementation = "sdpa"
    return transformers.GPT2LMHeadModel(cfg).to(device)


def _course_model(shape, device, manual: bool):
    model = GPT(GPTConfig(vocab_size=shape["vocab"], context=shape["context"], n_layers=shape["layers"],
                          n_heads=shape["heads"], d_model=shape["width"])).to(device)
    for m in model.modules():
        if isinstance(m, MultiHeadAttention):
            m.record = manual          # record=True takes the manual path that materializes the weights
    return model


def _step_fn(model, batch, device, hf: bool):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x, y = batch

    def step():
        with autocast(device):
            loss = model(input_ids=x, labels=x).loss if hf else model(x, y).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def measure(shape_name: str, *, steps: int | None = None, rounds: int | None = None, device=None) -> dict:
    """Median tokens/s per model over ``rounds`` alternating rounds of ``steps`` steps each."""
    device = device or get_device()
    steps = steps or SCHEDULE[shape_name][0]
    rounds = rounds or SCHEDULE[shape_name][1]
    shape = SHAPES[shape_name]
    torch.manual_seed(0)
    x = torch.randint(0, shape["vocab"], (shape["batch"], shape["context"]), device=device)
    batch = (x, torch.roll(x, -1, dims=1))
    runs = {
        "course (fused attention)": _step_fn(_course_model(shape, device, manual=False), batch, device, hf=False),
        "course (manual attention)": _step_fn(_course_model(shape, device, manual=True), batch, device, hf=False),
        "transformers GPT2LMHeadModel": _step_fn(_hf_model(shape, device), batch, device, hf=True),
    }
    tokens = shape["batch"] * shape["context"]
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for step in runs.values():      # warm-up
        for _ in range(3):
            step()
    for _ in range(rounds):
        for name, step in runs.items():
            sync(device)
            start = time.perf_counter()
            for _ in range(steps):
                step()
            sync(device)
            rates[name].append(tokens * steps / (time.perf_counter() - start))
    medians = {name: statistics.median(r) for name, r in rates.items()}
    ref = medians["transformers GPT2LMHeadModel"]
    return {"shape": shape_name, **shape, "device": device.type,
            "tokens_per_s": medians, "ratio_vs_transformers": {n: v / ref for n, v in medians.items()}}
