"""Wrong calls of course.efficiency and course.nn.moe (chapter 45), each answered by an error naming the argument."""
import torch
from torch import nn

import course.efficiency
from course.efficiency import (apply_masks, csr_bytes, dense_bytes, dequantize, fake_quantize, int8_dynamic,
                               linear_weights, magnitude_masks, median_seconds, quantize_symmetric,
                               state_dict_bytes, zero_fraction)
from course.nn import MoEFeedForward, MoEOutput, load_balancing_loss

W = {"a": torch.randn(4, 4)}
Q = torch.zeros(2, 2, dtype=torch.int8)

BAD_CALLS = [
    (linear_weights, "model must be a torch.nn.Module", lambda: linear_weights({"w": torch.ones(2)})),
    (linear_weights, "exclude must be a tuple", lambda: linear_weights(nn.Linear(2, 2), exclude="head")),
    (linear_weights, "model has no nn.Linear outside exclude", lambda: linear_weights(nn.ReLU())),
    (magnitude_masks, "amount must be in [0, 1]", lambda: magnitude_masks(W, 70)),
    (magnitude_masks, "scope must be one of", lambda: magnitude_masks(W, 0.5, scope="local")),
    (magnitude_masks, "weights must be a non-empty dict", lambda: magnitude_masks(torch.randn(3, 3), 0.5)),
    (apply_masks, "masks must be a dict with the same names", lambda: apply_masks(W, {"b": torch.ones(4, 4, dtype=torch.bool)})),
    (apply_masks, "must have a bool dtype", lambda: apply_masks(W, {"a": torch.ones(4, 4)})),
    (apply_masks, "has shape (2, 2)", lambda: apply_masks(W, {"a": torch.ones(2, 2, dtype=torch.bool)})),
    (zero_fraction, "weights must be a non-empty dict", lambda: zero_fraction([torch.zeros(2)])),
    (dense_bytes, "w must be a torch.Tensor", lambda: dense_bytes([1.0, 2.0])),
    (csr_bytes, "w must have 2 dimensions", lambda: csr_bytes(torch.zeros(2, 3, 4))),
    (state_dict_bytes, "model must be a torch.nn.Module", lambda: state_dict_bytes({"w": torch.ones(2)})),
    (quantize_symmetric, "bits must be <= 8", lambda: quantize_symmetric(torch.randn(3, 3), bits=16)),
    (quantize_symmetric, "w must have a float dtype", lambda: quantize_symmetric(torch.ones(3, 3, dtype=torch.long))),
    (quantize_symmetric, "per_channel must be a bool", lambda: quantize_symmetric(torch.randn(3, 3), per_channel="yes")),
    (dequantize, "q must have a torch.int8 dtype", lambda: dequantize(torch.ones(2, 2), torch.ones(2, 1))),
    (dequantize, "scale must have a float dtype", lambda: dequantize(Q, torch.ones(2, 1, dtype=torch.long))),
    (dequantize, "scale must be 0-d (per tensor) or of shape (2, 1)", lambda: dequantize(Q, torch.ones(2))),
    (int8_dynamic, "exclude must be a tuple", lambda: int8_dynamic(nn.Linear(2, 2), exclude="head")),
    (fake_quantize, "bits must be >= 2", lambda: fake_quantize(nn.Linear(2, 2), bits=1)),
    (int8_dynamic, "model must be a torch.nn.Module", lambda: int8_dynamic("gpt")),
    (int8_dynamic, "per_channel must be a bool", lambda: int8_dynamic(nn.Linear(2, 2), per_channel=1)),
    (median_seconds, "fn must be callable", lambda: median_seconds(3.0)),
    (median_seconds, "repeat must be >= 1", lambda: median_seconds(lambda: None, repeat=0)),
    (load_balancing_loss, "router_logits must have 2 dimensions", lambda: load_balancing_loss(torch.randn(2, 3, 4))),
    (load_balancing_loss, "top_k must be <= 4", lambda: load_balancing_loss(torch.randn(5, 4), top_k=5)),
    (MoEFeedForward, "top_k must be <= 4", lambda: MoEFeedForward(8, 16, n_experts=4, top_k=6)),
    (MoEFeedForward, "n_experts must be >= 1", lambda: MoEFeedForward(8, 16, n_experts=0)),
    (MoEFeedForward, "x must have last dimension 8", lambda: MoEFeedForward(8, 16, 2)(torch.randn(1, 3, 6))),
]

NOTHING_TO_VALIDATE = {MoEOutput: "a plain output record that the layer fills in"}
PUBLIC_MODULES = [course.efficiency]
