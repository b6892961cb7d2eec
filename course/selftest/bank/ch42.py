"""Self-test of chapter 42: LoRA's parameter count across layer shapes, and the best rank-r update."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz

def lora_param_count(d_model: int, n_layers: int, r: int, targets: tuple, d_ff: int | None = None) -> int:
    """LoRA parameters (A and B) for the named matrices of every layer: r · (d_in + d_out) each."""
    hidden = d_ff if d_ff is not None else 4 * d_model
    size = {"q": (d_model, d_model), "k": (d_model, d_model), "v": (d_model, d_model), "o": (d_model, d_model),
            "up": (d_model, hidden), "down": (hidden, d_model)}
    per_layer = sum(r * (size[t][0] + size[t][1]) for t in targets)
    return n_layers * per_layer


def _count_cases(g):
    return [{"d_model": 128, "n_layers": 4, "r": 4, "targets": ("q", "v")},
            {"d_model": 768, "n_layers": 12, "r": 8, "targets": ("q", "k", "v", "o")},
            {"d_model": 64, "n_layers": 2, "r": 2, "targets": ("q", "up", "down"), "d_ff": 200},
            {"d_model": 4096, "n_layers": 32, "r": 16, "targets": ("q", "k", "v", "o", "up", "down"), "d_ff": 11008},
            {"d_model": 96, "n_layers": 3, "r": 1, "targets": ("down",)}]


def _full_matrix(d_model, n_layers, r, targets, d_ff=None):
    hidden = d_ff or 4 * d_model
    dims = {"up": (d_model, hidden), "down": (hidden, d_model)}
    return n_layers * sum(r * dims.get(t, (d_model, d_model))[0] * dims.get(t, (d_model, d_model))[1] for t in targets)


def _only_a(d_model, n_layers, r, targets, d_ff=None):
    hidden = d_ff or 4 * d_model
    return n_layers * sum(r * (hidden if t == "down" else d_model) for t in targets)


def _square_ffn(d_model, n_layers, r, targets, d_ff=None):
    return n_layers * len(targets) * r * 2 * d_model


def _one_layer(d_model, n_layers, r, targets, d_ff=None):
    return lora_param_count(d_model, 1, r, targets, d_ff)


def _default_ffn(d_model, n_layers, r, targets, d_ff=None):
    return lora_param_count(d_model, n_layers, r, targets, None)


LORA_COUNT = Exercise(
    key="42.lora_param_count", title="lora_param_count",
    signature="lora_param_count(d_model, n_layers, r, targets, d_ff=None) -> int",
    reference=lora_param_count, make_cases=_count_cases,
    task=(
        "Return, as a Python `int`, the number of trainable LoRA parameters (the A and B matrices) added to a "
        "Transformer with `n_layers` identical layers of width `d_model` (all `int`), rank `r` (`int`).\n\n"
        "- `targets`: a tuple of names from `\"q\"`, `\"k\"`, `\"v\"`, `\"o\"` (attention projections, each "
        "`d_model → d_model`), `\"up\"` (`d_model → d_ff`) and `\"down\"` (`d_ff → d_model`); every named matrix "
        "of every layer gets one adapter.\n"
        "- `d_ff`: `int` or `None`; `None` means `4 · d_model`.\n"
        "- An adapter on a `d_in → d_out` matrix has A of shape `(r, d_in)` and B of shape `(d_out, r)`. "
        "Biases, the frozen weights and any task head are not counted. Compared exactly."),
    mistakes=[
        Mistake("full_matrix", "that is r times the full matrix; LoRA stores two thin ones: r·d_in + r·d_out.",
                _full_matrix),
        Mistake("only_a", "count both A (r × d_in) and B (d_out × r).", _only_a),
        Mistake("square_ffn", "the feed-forward matrices are d_model × d_ff, not square: up is d_model → d_ff, "
                "down is d_ff → d_model.", _square_ffn),
        Mistake("one_layer", "every one of the n_layers layers gets its own adapters: multiply by n_layers.",
                _one_layer),
        Mistake("default_ffn", "use the given d_ff; only d_ff=None means 4·d_model.", _default_ffn),
    ])


def low_rank_approx(delta: torch.Tensor, r: int) -> torch.Tensor:
    """The best rank-r approximation of delta (out, in) in Frobenius norm (Eckart–Young): keep the r
    largest singular values of the SVD."""
    u, s, vh = torch.linalg.svd(delta, full_matrices=False)
    return (u[:, :r] * s[:r]) @ vh[:r]


def _svd_cases(g):
    low = torch.randn(24, 3, generator=g) @ torch.randn(3, 16, generator=g)       # exactly rank 3
    return [{"delta": torch.randn(12, 8, generator=g), "r": 2},
            {"delta": torch.randn(6, 20, generator=g), "r": 1},
            {"delta": low + 0.01 * torch.randn(24, 16, generator=g), "r": 3},
            {"delta": torch.randn(10, 10, generator=g), "r": 10}]


def _smallest(delta, r):
    u, s, vh = torch.linalg.svd(delta, full_matrices=False)
    return (u[:, -r:] * s[-r:]) @ vh[-r:]


def _no_singular_values(delta, r):
    u, _, vh = torch.linalg.svd(delta, full_matrices=False)
    return u[:, :r] @ vh[:r]


def _truncate_entries(delta, r):
    out = torch.zeros_like(delta)
    out[:r] = delta[:r]
    return out


LOW_RANK = Exercise(
    key="42.low_rank_approx", title="low_rank_approx",
    signature="low_rank_approx(delta (out, in), r) -> (out, in)",
    reference=low_rank_approx, make_cases=_svd_cases, rtol=1e-3, atol=1e-4,
    task=(
        "Return the best approximation of rank at most `r` to the matrix `delta` — the one closest in "
        "Frobenius norm — as a tensor of `delta`'s shape and dtype.\n\n"
        "- `delta`: `(out, in)` float32; `r`: `int`, 1 ≤ `r` ≤ min(out, in).\n"
        "- Use the singular value decomposition (`torch.linalg.svd(delta, full_matrices=False)` returns U, S, Vᴴ "
        "with S sorted from largest to smallest) and keep the `r` largest singular values with their vectors "
        "(Eckart–Young theorem).\n"
        "- With `r = min(out, in)` the result equals `delta`. Do not modify `delta` in place."),
    mistakes=[
        Mistake("smallest", "torch.linalg.svd sorts S from largest to smallest: keep the first r, not the last.",
                _smallest),
        Mistake("no_singular_values", "scale by the singular values: U_r · diag(S_r) · Vᴴ_r.", _no_singular_values),
        Mistake("truncate_entries", "keeping r rows of delta is not a best rank-r approximation: use the SVD.",
                _truncate_entries),
    ])

EXERCISES = [LORA_COUNT, LOW_RANK]

QUIZ = Quiz([
    Question("42.q1", "The common answer describes fine-tuning as “逐步增加训练数据的比例，从少量数据开始”. "
                      "What is fine-tuning?", (
        Option("Raising the share of training data step by step, small to large", False,
               "That is the common answer's claim: a data curriculum, not the definition of fine-tuning."),
        Option("Training the pretrained weights further on the task's own data", True,
               "Usually with a new head, few steps and a small learning rate (Lab 3)."),
        Option("Always freezing the lower layers and training only the top ones", False,
               "One option among several; full fine-tuning updates every layer, LoRA none of the originals."),
        Option("Training a new model from scratch on the target task's data", False,
               "That discards the pretrained weights: no transfer at all."),
    ), misconception=True),
    Question("42.q2", "How many trainable parameters does a rank-r LoRA adapter add to a d_in → d_out matrix?", (
        Option("r · d_in · d_out", False, "That would be r full-size matrices; A and B are thin."),
        Option("d_in · d_out / r", False, "The count grows with r, it does not shrink."),
        Option("r · (d_in + d_out)", True, "A is r × d_in, B is d_out × r (Lab 2 prints them for the GPT)."),
        Option("2 · r, one scale per rank", False, "LoRA learns full thin matrices, not scalars."),
    )),
    Question("42.q3", "Why does LoRA initialise B to zero (and A at random)?", (
        Option("So that training starts from the pretrained model", True,
               "ΔW = BA = 0 at step 0 (Lab 2 checks the logits are identical); A random keeps B's gradient non-zero."),
        Option("So that A stays frozen for the whole of training", False,
               "Both A and B are trained; only the pretrained W is frozen."),
        Option("So that LoRA's update stays low-rank throughout training", False,
               "BA has rank at most r whatever B's start; the zero start only makes ΔW = 0 at step 0."),
    )),
    Question("42.q4", "In Lab 3, which method leaves the pretraining task exactly as it was?", (
        Option("Full fine-tuning at a small learning rate", False,
               "Every weight moves; Lab 3 measures a higher held-out LM loss."),
        Option("Feature extraction; LoRA with adapters removed", True,
               "Neither changes a pretrained weight; Labs 1 and 3 check the weights are bit-for-bit equal."),
        Option("Full fine-tuning, and LoRA with its adapters merged", False,
               "Both change W: full fine-tuning moves every weight, and merged LoRA adds BA into W (Lab 3 prints their LM losses)."),
    )),
    Question("42.q5", "Lab 1's converged linear probe on frozen GPT features stays well below a two-layer head. "
                      "What does that show?", (
        Option("The features are useless for this task", False,
               "The two-layer head reaches high accuracy on the very same frozen features."),
        Option("The features hold both facts; their XOR is partly linear", True,
               "Single-fact probes for polarity and for negation both score high; their exclusive-or needs a non-linear read-out or adapted layers."),
        Option("The linear probe was trained for too few steps to converge", False,
               "Trained to convergence (L-BFGS, final train loss printed) it still stays well below the MLP head: the XOR is only partly linear."),
    )),
])
