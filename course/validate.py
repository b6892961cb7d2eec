"""Input checks shared by every public function.

Each check raises ``ValueError`` or ``TypeError`` with a message that names the argument and says what
was expected, so that a learner's mistake meets one clear sentence instead of a deep traceback.
"""
from __future__ import annotations

import numbers
from typing import Iterable, Sequence

import torch

__all__ = [
    "check_tensor", "check_positive", "check_probability", "check_in", "check_int",
    "check_same_length", "check_mask", "check_number", "check_pair", "check_match", "check_ids",
    "check_finite", "check_module", "check_parameters",
]


def _describe(x) -> str:
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:80]


def check_tensor(name: str, x, *, ndim: int | Sequence[int] | None = None,
                 dtype: str | torch.dtype | None = None, last_dim: int | None = None,
                 nonempty: bool = False) -> torch.Tensor:
    """Check that ``x`` is a tensor with ``ndim`` dimensions and a dtype of kind ``dtype``.

    ``dtype`` may be a ``torch.dtype`` or one of ``"float"``, ``"int"``, ``"bool"``. ``nonempty``:
    every dimension must have size ≥ 1. Reads only shape and dtype, so it never waits for a GPU.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {_describe(x)}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.dim() not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {want} dimensions, got shape {tuple(x.shape)}")
    if dtype is not None:
        ok = {
            "float": x.is_floating_point(),
            "int": not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool,
            "bool": x.dtype == torch.bool,
        }.get(dtype) if isinstance(dtype, str) else x.dtype == dtype
        if not ok:
            raise TypeError(f"{name} must have a {dtype} dtype, got {x.dtype}")
    if last_dim is not None and x.shape[-1] != last_dim:
        raise ValueError(f"{name} must have last dimension {last_dim}, got shape {tuple(x.shape)}")
    if nonempty and x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    return x


def check_match(name: str, x: torch.Tensor, ref_name: str, ref: torch.Tensor, *,
                dims: dict[int, str] | None = None, dtype: bool = False) -> torch.Tensor:
    """``x`` agrees with ``ref`` in the sizes of ``dims`` ({dim: "what it holds"}) and, if ``dtype``,
    in dtype. Catches the mismatches that would otherwise broadcast silently or fail deep in torch."""
    for d, what in (dims or {}).items():
        if x.shape[d] != ref.shape[d]:
            raise ValueError(f"{name} must have the same {what} (dim {d}) as {ref_name}: got shapes "
                             f"{tuple(x.shape)} and {tuple(ref.shape)}")
    if dtype and x.dtype != ref.dtype:
        raise TypeError(f"{name} must have the same dtype as {ref_name} ({ref.dtype}), got {x.dtype}")
    return x


def check_ids(name: str, x: torch.Tensor, upper: int | None = None, what: str = "") -> torch.Tensor:
    """Integer values in [0, upper) (or ≥ 0 when ``upper`` is None), checked on CPU tensors only:
    reading values on a GPU would stall it for a sync, and there an index error is raised by torch."""
    if x.device.type == "cpu" and x.numel():
        low, high = int(x.min()), int(x.max())
        if upper is None and low < 0:
            raise ValueError(f"{name} must hold values >= 0, got min {low}")
        if upper is not None and (low < 0 or high >= upper):
            raise ValueError(f"{name} holds values outside [0, {what or 'upper'}={upper}): "
                             f"min {low}, max {high}")
    return x


def check_finite(name: str, x: torch.Tensor, *, allow_neg_inf: bool = False) -> torch.Tensor:
    """No NaN (and no ±inf, or only −inf where ``allow_neg_inf``: a token ruled out). Reads values: call
    it only where the tensor is on the CPU anyway or once per call, never per step on a GPU."""
    bad = x.isnan() | (x == float("inf")) if allow_neg_inf else ~x.isfinite()
    if bad.any():
        n = int(bad.sum())
        allowed = "finite (or -inf)" if allow_neg_inf else "finite"
        raise ValueError(f"{name} must be {allowed}, got {n} NaN or infinite value{'s' * (n > 1)}")
    return x


def check_module(name: str, x) -> torch.nn.Module:
    if not isinstance(x, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module (a model), got {_describe(x)}")
    return x


def check_parameters(name: str, parameters) -> list[torch.Tensor]:
    """A tensor or an iterable of tensors whose ``.grad`` holds the gradient -> a list.

    Rejects a model (pass ``model.parameters()``) and gradients passed instead of parameters: a tensor
    with no ``.grad`` that is neither an ``nn.Parameter`` nor requires grad cannot be a parameter.
    """
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    if isinstance(parameters, torch.nn.Module):
        raise TypeError(f"{name} must be an iterable of tensors such as model.parameters(), "
                        f"got the module {type(parameters).__name__} itself")
    if isinstance(parameters, (str, bytes)) or not isinstance(parameters, Iterable):
        raise TypeError(f"{name} must be an iterable of tensors such as model.parameters(), "
                        f"got {_describe(parameters)}")
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"{name}[{i}] must be a tensor (a parameter), got {_describe(p)}")
        if p.grad is None and not p.requires_grad and not isinstance(p, torch.nn.Parameter):
            raise ValueError(f"{name}[{i}] is a tensor that does not require grad and has no .grad: "
                             f"pass the parameters (whose .grad holds the gradient), not the gradients")
    return params


def check_mask(name: str, mask, shape: Sequence[int]) -> torch.Tensor | None:
    """A boolean mask (True = may attend) that broadcasts to ``shape``; ``None`` passes.

    Only (Tq, Tk) or (B, H, Tq, Tk): a 3-D (B, Tq, Tk) mask would line its batch axis up with the
    heads, and a (B, Tk) padding mask its batch axis with the queries, silently when the sizes agree.
    """
    if mask is None:
        return None
    check_tensor(name, mask, dtype="bool")
    if mask.dim() not in (2, 4):
        raise ValueError(f"{name} must have shape (Tq, Tk) or (B, H, Tq, Tk), got {tuple(mask.shape)}; "
                         f"a padding mask (B, Tk) is written mask[:, None, None, :]")
    try:
        torch.broadcast_shapes(tuple(mask.shape), tuple(shape))
    except RuntimeError:
        raise ValueError(f"{name} of shape {tuple(mask.shape)} does not broadcast to the attention "
                         f"scores of shape {tuple(shape)} (batch, heads, query, key)") from None
    return mask


def check_number(name: str, value) -> float:
    """A finite real number (Python or NumPy; not a bool, not a string)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    if value < 0 or (value == 0 and not allow_zero) or value != value:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_pair(name: str, value, what: str = "(a, b)") -> tuple:
    """A tuple or list of exactly two items, e.g. ``betas=(0.9, 0.999)``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair {what}, got {_describe(value)}")
    return tuple(value)


def check_probability(name: str, value, *, open_right: bool = False) -> float:
    check_positive(name, value, allow_zero=True)
    if value > 1 or (open_right and value == 1):
        raise ValueError(f"{name} must be in [0, 1{')' if open_right else ']'}, got {value}")
    return value


def check_in(name: str, value, choices: Iterable) -> object:
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_same_length(name_a: str, a: Sequence, name_b: str, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} must have the same length, got {len(a)} and {len(b)}")
