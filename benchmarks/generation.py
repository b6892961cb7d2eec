"""Part 4 — generation speed with and without the KV cache, against the number of generated tokens."""
from __future__ import annotations

import time

import torch

from course.generate import generate
from course.models import GPT, GPTConfig
from course.runtime import get_device

from .common import sync


def measure(lengths=(32, 64, 128, 256, 512), *, device=None) -> dict:
    device = device or get_device()
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("small", vocab_size=512, context=1024)).to(device).eval()
    prompt = torch.randint(0, 512, (1, 16), device=device)
    generate(model, prompt, 8, greedy=True)                      # warm-up
    rows = []
    for n in lengths:
        row = {"new_tokens": n}
        for use_cache in (True, False):
            sync(device)
            start = time.perf_counter()
            out = generate(model, prompt, n, greedy=True, use_cache=use_cache)
            sync(device)
            row["cached" if use_cache else "uncached"] = n / (time.perf_counter() - start)
            row.setdefault("tokens", out[0, -4:].tolist())
        rows.append(row)
    return {"device": device.type, "model": "small (6 layers, 192 wide)", "rows": rows}
