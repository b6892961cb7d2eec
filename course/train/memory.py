"""How much memory training holds: a calculator, and a meter that reads the bytes real tensors hold.

The model states of a training step, per parameter (Rajbhandari et al., 2020, *ZeRO*, section 3):

    precision   weights  gradients  master copy  Adam moments (m, v)
    "fp32"         4         4           0            8
    "mixed"        2         2           4            8       (bf16/fp16 compute, fp32 update)

ZeRO shards them over the N data-parallel GPUs: stage 1 the optimizer states (moments and master copy),
stage 2 the gradients too, stage 3 the weights too. Activations are not model states: they grow with
batch × sequence and are not sharded by ZeRO's stages 1–3.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from ..validate import check_in, check_int, check_module, check_positive

__all__ = ["MemoryBreakdown", "training_memory", "held_bytes", "megatron_activation_bytes"]

# bytes per parameter
_WEIGHT_BYTES = {"fp32": 4, "mixed": 2}
_MASTER_BYTES = {"fp32": 0, "mixed": 4}
_STATE_BYTES = {"adam": 8, "sgd_momentum": 4, "sgd": 0}     # fp32 moments: Adam keeps m and v


@dataclass(frozen=True)
class MemoryBreakdown:
    """Bytes (per GPU) by what they hold."""
    weights: float = 0
    gradients: float = 0
    master_weights: float = 0
    optimizer_states: float = 0
    activations: float = 0

    @property
    def total(self) -> float:
        return sum(asdict(self).values())

    def gb(self) -> dict[str, float]:
        """Each part and the total in GB (10⁹ bytes, the unit GPU memory is sold in)."""
        return {k: v / 1e9 for k, v in (asdict(self) | {"total": self.total}).items()}


def training_memory(n_params: int, *, precision: str = "mixed", optimizer: str = "adam", zero_stage: int = 0,
                    n_gpus: int = 1, activation_bytes: float = 0) -> MemoryBreakdown:
    """Bytes per GPU for training a model of ``n_params`` parameters with data parallelism over ``n_gpus``.

    precision: "fp32" or "mixed" (16-bit weights and gradients, an fp32 master copy for the update);
    optimizer: "adam" (also AdamW), "sgd_momentum" or "sgd"; zero_stage: 0 (plain data parallel: every
    GPU holds everything) to 3; activation_bytes: what one GPU's micro-batch saves for backward.
    """
    check_int("n_params", n_params, minimum=1)
    check_in("precision", precision, _WEIGHT_BYTES)
    check_in("optimizer", optimizer, _STATE_BYTES)
    check_int("zero_stage", zero_stage, minimum=0, maximum=3)
    check_int("n_gpus", n_gpus, minimum=1)
    check_positive("activation_bytes", activation_bytes, allow_zero=True)
    shard = [1.0] * 4                                  # weights, gradients, master, states
    if zero_stage >= 1:
        shard[2] = shard[3] = 1 / n_gpus               # stage 1: optimizer states (incl. the master copy)
    if zero_stage >= 2:
        shard[1] = 1 / n_gpus                          # stage 2: + gradients
    if zero_stage >= 3:
        shard[0] = 1 / n_gpus                          # stage 3: + the weights themselves
    per_param = (_WEIGHT_BYTES[precision], _WEIGHT_BYTES[precision], _MASTER_BYTES[precision],
                 _STATE_BYTES[optimizer])
    weights, grads, master, states = (n_params * b * s for b, s in zip(per_param, shard))
    return MemoryBreakdown(weights, grads, master, states, activation_bytes)


def _storages(tensors) -> dict[int, int]:
    """{storage address: bytes} of distinct storages (views and shared tensors counted once)."""
    out = {}
    for t in tensors:
        if isinstance(t, torch.Tensor):
            s = t.untyped_storage()
            out[s.data_ptr()] = s.nbytes()
    return out


def held_bytes(model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None) -> MemoryBreakdown:
    """The bytes the tensors of a training step really hold, read from their storages.

    weights: the model's parameters; gradients: their ``.grad``; master_weights: parameters the optimizer
    updates that are not the model's (an fp32 copy in mixed precision) and their ``.grad``;
    optimizer_states: every tensor in ``optimizer.state`` (Adam's m, v and step counters).
    Activations are measured separately (``course.runtime.saved_for_backward_bytes``).
    """
    check_module("model", model)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    params = list(model.parameters())
    weights = _storages(params)
    grads = _storages(p.grad for p in params)
    master, states = {}, {}
    if optimizer is not None:
        updated = [p for group in optimizer.param_groups for p in group["params"]]
        master = {k: v for k, v in _storages(updated + [p.grad for p in updated]).items()
                  if k not in weights and k not in grads}
        states = _storages(t for state in optimizer.state.values() for t in state.values())
    return MemoryBreakdown(sum(weights.values()), sum(grads.values()), sum(master.values()),
                           sum(states.values()))


def megatron_activation_bytes(seq_len: int, batch: int, d_model: int, n_heads: int, n_layers: int, *,
                              recompute: bool = False) -> float:
    """Activation bytes of a GPT's Transformer layers in 16-bit training, without tensor or sequence
    parallelism: s·b·h·(34 + 5·a·s/h) per layer (Korthikanti et al., 2022, *Reducing Activation
    Recomputation in Large Transformer Models*, eq. 1). With full recomputation only each layer's
    input is kept: 2·s·b·h per layer."""
    for name, value in (("seq_len", seq_len), ("batch", batch), ("d_model", d_model), ("n_heads", n_heads),
                        ("n_layers", n_layers)):
        check_int(name, value, minimum=1)
    s, b, h, a = seq_len, batch, d_model, n_heads
    per_layer = 2 * s * b * h if recompute else s * b * h * (34 + 5 * a * s / h)
    return per_layer * n_layers
