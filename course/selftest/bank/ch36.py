"""Self-test of chapter 36: the largest model that fits under ZeRO, and a mixed-precision step with a master copy."""
from __future__ import annotations

from fractions import Fraction

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def _per_gpu(n_gpus, stage, k, sharded_from=(1, 2, 3)):
    """Bytes per parameter on one GPU, exact: (weights 2, gradients 2, optimizer k), each / N once sharded."""
    n = Fraction(n_gpus)
    weights = Fraction(2) / (n if stage >= sharded_from[2] else 1)
    grads = Fraction(2) / (n if stage >= sharded_from[1] else 1)
    states = Fraction(k) / (n if stage >= sharded_from[0] else 1)
    return weights + grads + states


def max_params(gpu_bytes: int, n_gpus: int, stage: int, k: int = 12) -> int:
    """Largest whole number of parameters whose model states fit in ``gpu_bytes`` per GPU."""
    per_param = _per_gpu(n_gpus, stage, k)
    return int(Fraction(gpu_bytes) // per_param)


def _fit_cases(g):
    cases = [{"gpu_bytes": 80_000_000_000, "n_gpus": 8, "stage": 0},
             {"gpu_bytes": 80 * 2 ** 30, "n_gpus": 64, "stage": 1},
             {"gpu_bytes": 40_000_000_000, "n_gpus": 16, "stage": 2},
             {"gpu_bytes": 24_000_000_000, "n_gpus": 64, "stage": 3, "k": 6},
             {"gpu_bytes": 80_000_000_000, "n_gpus": 8, "stage": 2, "k": 16},
             {"gpu_bytes": 16_000_000_000, "n_gpus": 4, "stage": 1, "k": 6}]
    extra = int(torch.randint(8, 97, (1,), generator=g))       # one more GPU memory size, in GB
    cases.append({"gpu_bytes": extra * 1_000_000_000, "n_gpus": 32, "stage": 3})
    return cases


def _pooled(gpu_bytes, n_gpus, stage, k=12):
    return int(Fraction(gpu_bytes * n_gpus) // (4 + k))


def _ignore_stage(gpu_bytes, n_gpus, stage, k=12):
    return int(Fraction(gpu_bytes) // (4 + k))


def _master_extra(gpu_bytes, n_gpus, stage, k=12):
    return max_params(gpu_bytes, n_gpus, stage, k + 4)


def _stage_off_by_one(gpu_bytes, n_gpus, stage, k=12):
    return int(Fraction(gpu_bytes) // _per_gpu(n_gpus, stage, k, sharded_from=(0, 1, 2)))


def _grads_first(gpu_bytes, n_gpus, stage, k=12):
    return int(Fraction(gpu_bytes) // _per_gpu(n_gpus, stage, k, sharded_from=(2, 1, 3)))


MAX_PARAMS = Exercise(
    key="36.max_params", title="max_params",
    signature="max_params(gpu_bytes, n_gpus, stage, k=12) -> int",
    reference=max_params, make_cases=_fit_cases,
    task="""The largest model whose **model states** fit on each GPU when training with mixed precision and
data parallelism over `n_gpus` GPUs, with ZeRO stage `stage`. Per parameter the model states are:

- weights: 2 bytes (bf16); gradients: 2 bytes (bf16);
- optimizer state: `k` bytes — the fp32 master copy *and* the optimizer's moments together
  (`k = 12` for Adam: 4 + 4 + 4; `k = 6` for an 8-bit Adam with an fp32 master copy).

Stage 0 (plain data parallelism) keeps all of it on every GPU. Stage 1 divides the optimizer state by
`n_gpus`; stage 2 also the gradients; stage 3 also the weights. Ignore activations.

- `gpu_bytes`, `n_gpus`, `stage`, `k`: Python ints (`stage` in 0–3).
- Return the largest **int** P such that P × (bytes per parameter on one GPU) ≤ `gpu_bytes`. The checker
  compares exactly: use integer arithmetic (multiply through by `n_gpus`, or use `fractions.Fraction`),
  since float division can land one below an exact answer.""",
    mistakes=[
        Mistake("pooled", "data parallelism does not pool memory: each GPU holds its own copy of whatever is "
                "not sharded. Compute the bytes per parameter on ONE GPU for the given stage.", _pooled),
        Mistake("ignore_stage", "the stage decides what is divided by n_gpus: stage 1 the optimizer state, "
                "stage 2 also the gradients, stage 3 also the weights.", _ignore_stage),
        Mistake("master_extra", "`k` already includes the fp32 master copy: do not add 4 more bytes.",
                _master_extra),
        Mistake("stage_off_by_one", "stage 0 shards nothing; stage 1 shards only the optimizer state.",
                _stage_off_by_one),
        Mistake("grads_first", "ZeRO shards the optimizer state first (stage 1), then the gradients (stage 2).",
                _grads_first),
    ])


def master_step(master: torch.Tensor, grad: torch.Tensor, lr: float, loss_scale: float = 1.0):
    """One SGD step on the fp32 master copy; returns (new master fp32, new bf16 weights)."""
    true_grad = grad.float() / loss_scale
    updated = master - lr * true_grad
    return updated, updated.to(torch.bfloat16)


def _step_cases(g):
    cases = []
    for n, lr, scale in ((64, 1e-3, None), (100, 1e-2, 1024.0), (50, 3e-4, 65536.0), (80, 1e-3, 8.0)):
        master = 1 + 0.5 * torch.randn(n, generator=g)
        grad = (torch.randn(n, generator=g) * (scale or 1.0)).to(torch.bfloat16)
        case = {"master": master, "grad": grad, "lr": lr}
        if scale is not None:
            case["loss_scale"] = scale
        cases.append(case)
    return cases


def _in_bf16(master, grad, lr, loss_scale=1.0):
    weights = master.to(torch.bfloat16) - lr * (grad / loss_scale)
    return weights.float(), weights.to(torch.bfloat16)


def _no_unscale(master, grad, lr, loss_scale=1.0):
    return master_step(master, grad, lr)


def _stale_weights(master, grad, lr, loss_scale=1.0):
    return master - lr * grad.float() / loss_scale, master.to(torch.bfloat16)


def _times_scale(master, grad, lr, loss_scale=1.0):
    return master_step(master, grad.float() * loss_scale ** 2, lr, loss_scale)


MASTER_STEP = Exercise(
    key="36.master_step", title="master_step",
    signature="master_step(master, grad, lr, loss_scale=1.0) -> (tensor, tensor)",
    reference=master_step, make_cases=_step_cases,
    task="""One mixed-precision SGD step (plain SGD: no momentum, no weight decay). The forward and
backward passes ran on bf16 weights, so the gradient `grad` is bf16, and it still carries the loss scale
`loss_scale` it was multiplied by (1.0 = no scaler). Return the updated fp32 master copy and the bf16
weights the next forward pass will use. The update must happen in float32, on the master copy.

- `master`: float32 `(n,)`; `grad`: bfloat16 `(n,)`; `lr`, `loss_scale`: positive floats.
- Return the tuple `(new_master, new_weights)`: float32 `(n,)` and bfloat16 `(n,)`. Do not modify
  the inputs.""",
    mistakes=[
        Mistake("in_bf16", "do the update in float32 on the master copy: in bf16 an lr-sized change to a "
                "weight near 1 is rounded away (Lab 2).", _in_bf16),
        Mistake("no_unscale", "divide the gradient by `loss_scale` first: it arrives multiplied by it.",
                _no_unscale),
        Mistake("stale_weights", "cast the *updated* master copy to bf16, not the old one.", _stale_weights),
        Mistake("times_scale", "undo the loss scale by dividing by it, not multiplying.", _times_scale),
    ])

EXERCISES = [MAX_PARAMS, MASTER_STEP]

QUIZ = Quiz([
    Question("36.q1", "The common answer recommends Adam for its convergence speed. Per parameter, what does "
                      "AdamW keep in memory that plain SGD does not?", (
        Option("Nothing lasting: each step's scale comes from that step's gradient", False,
               "Adam's scale comes from running averages over all past gradients, and those averages are "
               "stored: Lab 1 reads them from optimizer.state."),
        Option("Two fp32 running averages, m and v: 8 bytes per parameter", True,
               "Lab 1 measures exactly 8 bytes per parameter of optimizer state (plus one tiny step "
               "counter per tensor): 56 GB for a 7B model."),
        Option("One fp32 average of squared gradients: 4 bytes per parameter", False,
               "That is RMSProp. Adam keeps the first moment m as well as the second moment v."),
    ), misconception=True),
    Question("36.q2", "A 7B model is trained with bf16 mixed-precision AdamW, plain data parallelism on 64 "
                      "GPUs. How much model-state memory does each GPU hold?", (
        Option("About 1.75 GB: the 112 GB of states are split over 64 GPUs", False,
               "Splitting is what ZeRO-3 does; plain data parallelism replicates everything."),
        Option("About 14 GB: only the bf16 weights are replicated", False,
               "Every GPU runs its own backward and optimizer step, so it holds gradients and optimizer "
               "states too."),
        Option("About 112 GB: every GPU holds all 16 bytes per parameter", True,
               "Lab 4's table: stage 0 is the same on 8 or 64 GPUs. More GPUs add throughput, not memory."),
    )),
    Question("36.q3", "Why does bf16 mixed-precision training keep an fp32 master copy of the weights?", (
        Option("To halve the memory of the model states", False,
               "It does the opposite: Lab 2 measures 16 bytes per parameter, the same as pure fp32."),
        Option("Because bf16 rounds small updates away (most at lr 1e-5)", True,
               "bf16 has 8 significant bits; Lab 2 measures the share of one AdamW update that bf16 "
               "rounds away: almost none at lr 1e-3, most of it at lr 1e-5."),
        Option("Because the forward pass needs fp32 weights to stay accurate", False,
               "The forward and backward passes run on the bf16 weights; only the update needs fp32."),
    )),
    Question("36.q4", "Which part of training memory do ZeRO stages 1–3 not shard across GPUs?", (
        Option("The fp32 master copy of the weights", False, "Stage 1 already shards it, with Adam's moments."),
        Option("The bf16 weights used in forward and backward", False,
               "Stage 3 shards them and all-gathers each layer's weights when it is needed."),
        Option("The activations saved for the backward pass", True,
               "Each GPU keeps the activations of its own micro-batch (Lab 3); recomputation, not stages "
               "1–3, reduces them."),
    )),
])
