"""Part 3 — the cost of attention against sequence length: time of forward + backward, and memory.

Memory is measured as the bytes autograd keeps for the backward pass (the same on CPU and GPU); on CUDA
the peak allocated memory is reported too. The fitted exponent k of time ∝ T^k shows where the T² of
the score matrix takes over.
"""
from __future__ import annotations

import torch
from torch import nn

from course.nn import scaled_dot_product_attention, tiled_attention
from course.runtime import get_device, saved_for_backward_bytes

from .common import loglog_slope, median_time

HEADS, HEAD_DIM = 4, 32


def _impls(device):
    mha = nn.MultiheadAttention(HEADS * HEAD_DIM, HEADS, batch_first=True).to(device)
    return {
        "course manual": lambda q, k, v: scaled_dot_product_attention(q, k, v)[0],
        "course fused (SDPA)": lambda q, k, v: scaled_dot_product_attention(q, k, v, need_weights=False)[0],
        "course tiled (online softmax)": lambda q, k, v: tiled_attention(q, k, v, block_q=256, block_k=256),
        # nn.MultiheadAttention includes its projections; it gets (B, T, H·d) inputs
        "nn.MultiheadAttention": lambda q, k, v: mha(*(t.transpose(1, 2).flatten(2) for t in (q, k, v)),
                                                     need_weights=False)[0],
    }


def measure(lengths=(64, 128, 256, 512, 1024, 2048, 4096), *, repeats: int = 3, device=None) -> dict:
    device = device or get_device()
    results = {}
    for name, fn in _impls(device).items():
        rows = []
        for t in lengths:
            q, k, v = (torch.randn(1, HEADS, t, HEAD_DIM, device=device, requires_grad=True) for _ in range(3))

            def step():
                out = fn(q, k, v)
                out.sum().backward()
            seconds = median_time(step, device, repeats=repeats, warmup=1)
            _, saved = saved_for_backward_bytes(lambda: fn(q, k, v))
            peak = None
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats()
                step()
                peak = torch.cuda.max_memory_allocated()
            rows.append({"T": t, "seconds": seconds, "saved_bytes": saved, "cuda_peak_bytes": peak})
        upper = rows[len(rows) // 2:]
        results[name] = {"rows": rows,
                         "time_exponent": loglog_slope([r["T"] for r in upper], [r["seconds"] for r in upper]),
                         "memory_exponent": loglog_slope([r["T"] for r in upper], [r["saved_bytes"] for r in upper])}
    return {"device": device.type, "heads": HEADS, "head_dim": HEAD_DIM, "impls": results}
