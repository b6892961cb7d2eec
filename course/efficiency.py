"""Making a trained model smaller or cheaper: magnitude pruning and int8 weight quantization.

Pruning sets the smallest weights to zero; the tensors keep their shape, so a dense kernel does the same
work and a dense file stores the same bytes (chapter 45 measures both). Quantization stores each weight
as an 8-bit integer and one float scale per output row ("per channel"):

    scale_c = max_j |W_cj| / (2^(bits-1) - 1),    q_cj = round(W_cj / scale_c) ∈ [-(2^(bits-1) - 1), 2^(bits-1) - 1]

which is what PyTorch's per-channel symmetric observer computes with the restricted range [-127, 127].
"""
from __future__ import annotations

import copy
import io
import statistics
import time
import warnings

import torch
from torch import nn

from .validate import check_in, check_int, check_module, check_probability, check_tensor

__all__ = ["linear_weights", "magnitude_masks", "apply_masks", "zero_fraction", "dense_bytes", "csr_bytes",
           "state_dict_bytes", "quantize_symmetric", "dequantize", "fake_quantize", "int8_dynamic",
           "median_seconds"]


def linear_weights(model: nn.Module, exclude: tuple[str, ...] = ("head",)) -> dict[str, torch.Tensor]:
    """The weight of every ``nn.Linear`` in ``model`` by module name, leaving out the modules named in
    ``exclude`` (the GPT's output head shares its matrix with the token embedding)."""
    check_module("model", model)
    if not isinstance(exclude, tuple):
        raise TypeError(f"exclude must be a tuple of module names, got {type(exclude).__name__}")
    found = {name: m.weight for name, m in model.named_modules()
             if isinstance(m, nn.Linear) and name not in exclude}
    if not found:
        raise ValueError("model has no nn.Linear outside exclude")
    return found


def _check_weights(weights) -> dict[str, torch.Tensor]:
    if not isinstance(weights, dict) or not weights:
        raise TypeError(f"weights must be a non-empty dict name -> tensor (see linear_weights), got "
                        f"{type(weights).__name__}")
    for name, w in weights.items():
        check_tensor(f"weights[{name!r}]", w, dtype="float")
    return weights


def _keep_mask(scores: torch.Tensor, n_prune: int) -> torch.Tensor:
    """True everywhere except at the ``n_prune`` smallest scores (a flat bool tensor)."""
    keep = torch.ones(scores.numel(), dtype=torch.bool, device=scores.device)
    if n_prune:
        keep[torch.topk(scores, n_prune, largest=False).indices] = False
    return keep


@torch.no_grad()
def magnitude_masks(weights: dict[str, torch.Tensor], amount: float,
                    scope: str = "global") -> dict[str, torch.Tensor]:
    """Unstructured magnitude pruning: a bool mask per weight, False where the weight is to be zeroed.

    ``amount``: the fraction of weights to remove, rounded to a whole number as ``round(amount · n)``.
    ``scope="layer"`` removes that fraction of every tensor (``torch.nn.utils.prune.l1_unstructured`` on
    each); ``"global"`` ranks all weights together (``prune.global_unstructured``), so layers with small
    weights lose more of them.
    """
    _check_weights(weights)
    check_probability("amount", amount)
    check_in("scope", scope, ("layer", "global"))
    if scope == "layer":
        return {name: _keep_mask(w.abs().flatten(), round(amount * w.numel())).view_as(w)
                for name, w in weights.items()}
    flat = torch.cat([w.abs().flatten() for w in weights.values()])
    keep = _keep_mask(flat, round(amount * flat.numel())).split([w.numel() for w in weights.values()])
    return {name: k.view_as(w) for (name, w), k in zip(weights.items(), keep)}


@torch.no_grad()
def apply_masks(weights: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> None:
    """Zero, in place, every weight whose mask is False (the tensors keep their shape)."""
    _check_weights(weights)
    if not isinstance(masks, dict) or set(masks) != set(weights):
        raise ValueError("masks must be a dict with the same names as weights (see magnitude_masks)")
    for name, w in weights.items():
        check_tensor(f"masks[{name!r}]", masks[name], dtype="bool")
        if masks[name].shape != w.shape:
            raise ValueError(f"masks[{name!r}] has shape {tuple(masks[name].shape)}, weights[{name!r}] "
                             f"{tuple(w.shape)}")
        w.mul_(masks[name])


def zero_fraction(weights: dict[str, torch.Tensor]) -> float:
    """The fraction of entries that are exactly 0 over all the tensors."""
    _check_weights(weights)
    zeros = sum(int((w == 0).sum()) for w in weights.values())
    return zeros / sum(w.numel() for w in weights.values())


def dense_bytes(w: torch.Tensor) -> int:
    """Bytes of a dense tensor: every entry stored, zeros included."""
    check_tensor("w", w)
    return w.numel() * w.element_size()


def csr_bytes(w: torch.Tensor) -> int:
    """Bytes of the compressed-sparse-row form of a 2-D tensor, as PyTorch stores it: the non-zero
    values, one int64 column index per value, and int64 row offsets (rows + 1)."""
    check_tensor("w", w, ndim=2)
    with warnings.catch_warnings():          # PyTorch calls its CSR support "beta"
        warnings.simplefilter("ignore")
        csr = w.detach().to_sparse_csr()
    return sum(t.numel() * t.element_size() for t in (csr.values(), csr.col_indices(), csr.crow_indices()))


def state_dict_bytes(model: nn.Module) -> int:
    """Size of ``torch.save(model.state_dict())``: what the model costs on disk (shared tensors once)."""
    check_module("model", model)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


_EPS = torch.finfo(torch.float32).eps     # the smallest scale PyTorch's observers give


def _qmax(bits: int) -> int:
    return 2 ** (check_int("bits", bits, minimum=2, maximum=8) - 1) - 1


def quantize_symmetric(w: torch.Tensor, bits: int = 8, per_channel: bool = True):
    """Symmetric integer quantization of a weight matrix ``w``: (out, in).

    Returns ``(q, scale)``: ``q`` int8 (out, in) with values in [-qmax, qmax], qmax = 2^(bits-1) - 1, and
    ``scale`` float32, (out, 1) per output channel or a 0-d tensor per tensor; ``w ≈ q · scale``.
    """
    check_tensor("w", w, ndim=2, dtype="float")
    if not isinstance(per_channel, bool):
        raise TypeError(f"per_channel must be a bool, got {type(per_channel).__name__}")
    qmax = _qmax(bits)
    w = w.detach().float()
    absmax = w.abs().amax(dim=1, keepdim=True) if per_channel else w.abs().amax()
    scale = (absmax / qmax).clamp(min=_EPS)         # an all-zero row gets PyTorch's smallest scale, not 0/0
    q = torch.round(w / scale).clamp(-qmax, qmax).to(torch.int8)
    return q, scale


def dequantize(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``q · scale`` as float32: the weights a quantized layer effectively computes with."""
    check_tensor("q", q, ndim=2, dtype=torch.int8)
    check_tensor("scale", scale, dtype="float")
    if scale.dim() != 0 and tuple(scale.shape) != (q.shape[0], 1):
        raise ValueError(f"scale must be 0-d (per tensor) or of shape ({q.shape[0]}, 1) (one per row of q), "
                         f"got shape {tuple(scale.shape)}")
    return q.float() * scale


@torch.no_grad()
def fake_quantize(model: nn.Module, bits: int = 8, per_channel: bool = True,
                  exclude: tuple[str, ...] = ("head",)) -> nn.Module:
    """A copy of ``model`` whose Linear weights are replaced by their quantized-then-dequantized values:
    the accuracy of integer weights, measured with float arithmetic ("simulated quantization")."""
    _qmax(bits)
    clone = copy.deepcopy(check_module("model", model))
    for w in linear_weights(clone, exclude).values():
        w.copy_(dequantize(*quantize_symmetric(w, bits, per_channel)))
    return clone


def int8_dynamic(model: nn.Module, per_channel: bool = True, exclude: tuple[str, ...] = ("head",)) -> nn.Module:
    """PyTorch's own int8 dynamic quantization (CPU): the ``nn.Linear`` modules that ``linear_weights(model,
    exclude)`` names store int8 weights, and their input is quantized to 8 bits on the fly at each call; the
    modules in ``exclude`` stay float32 (the GPT's head shares its matrix with the token embedding, and
    quantizing it would break the tie and store that matrix twice). Per channel, the weights use the
    symmetric range [-127, 127], so they equal ``quantize_symmetric(w)``; otherwise PyTorch's default
    per-tensor config."""
    check_module("model", model)
    if not isinstance(per_channel, bool):
        raise TypeError(f"per_channel must be a bool, got {type(per_channel).__name__}")
    names = set(linear_weights(model, exclude))
    with warnings.catch_warnings():          # torch.ao.quantization announces its move to torchao
        warnings.simplefilter("ignore")
        from torch.ao.quantization import (PerChannelMinMaxObserver, QConfig, default_dynamic_qconfig,
                                           default_dynamic_quant_observer, quantize_dynamic)
        qconfig = default_dynamic_qconfig
        if per_channel:
            weight = PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                                        quant_min=-127, quant_max=127)
            qconfig = QConfig(activation=default_dynamic_quant_observer, weight=weight)
        return quantize_dynamic(copy.deepcopy(model).cpu().eval(), {name: qconfig for name in names},
                                dtype=torch.qint8)


def median_seconds(fn, repeat: int = 7) -> float:
    """Median wall time of ``fn()`` over ``repeat`` calls after one warm-up call (CPU work)."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    check_int("repeat", repeat, minimum=1)
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
