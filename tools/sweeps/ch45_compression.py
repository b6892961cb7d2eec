"""Chapter 45, Labs 1 and 3: the pretrained tiny GPT pruned at 0–95 % sparsity (per layer and global) and
its weights quantized to 2–8 bits (per channel and per tensor), each point scored by its validation loss.

Every pruning mask is checked equal to torch.nn.utils.prune's on the way. The notebook re-runs one point of
each sweep live (global pruning at 70 %, int8 per channel) and checks that it reproduces. No randomness:
pruning and quantization are deterministic functions of the shipped weights.

    python tools/sweeps/ch45_compression.py         # writes data/ch45_compression.json (under a minute)
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import torch
import torch.nn.utils.prune as prune

from course.efficiency import apply_masks, fake_quantize, linear_weights, magnitude_masks
from course.pretrained import load_tiny_gpt, validation_loss

OUT = Path(__file__).resolve().parents[2] / "data" / "ch45_compression.json"
SPARSITIES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
BITS = (8, 6, 5, 4, 3, 2)


def torch_masks(model, amount: float, scope: str) -> dict[str, torch.Tensor]:
    """The masks torch.nn.utils.prune computes for the same Linear layers."""
    clone = copy.deepcopy(model)
    names = list(linear_weights(clone))
    modules = dict(clone.named_modules())
    if scope == "global":
        prune.global_unstructured([(modules[n], "weight") for n in names], prune.L1Unstructured, amount=amount)
    else:
        for n in names:
            prune.l1_unstructured(modules[n], "weight", amount=amount)
    return {n: modules[n].weight_mask.bool() for n in names}


def main() -> None:
    gpt, tok = load_tiny_gpt()
    pruning = []
    for scope in ("layer", "global"):
        for amount in SPARSITIES:
            model = copy.deepcopy(gpt)
            masks = magnitude_masks(linear_weights(model), amount, scope)
            theirs = torch_masks(gpt, amount, scope)
            assert all(torch.equal(masks[n], theirs[n]) for n in masks), (scope, amount)
            apply_masks(linear_weights(model), masks)
            pruning.append({"scope": scope, "sparsity": amount, "val_loss": round(validation_loss(model, tok, "gpt"), 4),
                            "equal_to_torch_prune": True})
            print(pruning[-1], flush=True)
    quantization = []
    for per_channel in (True, False):
        for bits in BITS:
            model = fake_quantize(gpt, bits, per_channel)
            quantization.append({"per_channel": per_channel, "bits": bits,
                                 "val_loss": round(validation_loss(model, tok, "gpt"), 4)})
            print(quantization[-1], flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch45_compression.py",
        "model": "course.pretrained.load_tiny_gpt(); the 16 nn.Linear weights of its blocks (head/embedding left dense)",
        "metric": "course.pretrained.validation_loss(model, tok, 'gpt')",
        "dense_val_loss": round(validation_loss(gpt, tok, "gpt"), 4),
        "torch": torch.__version__,
        "pruning": pruning, "quantization": quantization}, indent=1) + "\n")


if __name__ == "__main__":
    main()
