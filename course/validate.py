"""Input checks shared by every public function.

Each check raises ``ValueError`` or ``TypeError`` with a message that names the argument and says what
was expected, so that a learner's mistake meets one clear sentence instead of a deep traceback.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import torch

__all__ = [
    "check_tensor", "check_positive", "check_probability", "check_in", "check_int",
    "check_same_length", "check_mask",
]


def _describe(x) -> str:
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:80]


def check_tensor(name: str, x, *, ndim: int | Sequence[int] | None = None,
                 dtype: str | torch.dtype | None = None, last_dim: int | None = None) -> torch.Tensor:
    """Check that ``x`` is a tensor with ``ndim`` dimensions and a dtype of kind ``dtype``.

    ``dtype`` may be a ``torch.dtype`` or one of ``"float"``, ``"int"``, ``"bool"``.
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
    return x


def check_mask(name: str, mask, shape: Sequence[int]) -> torch.Tensor | None:
    """A boolean mask (True = may attend) that broadcasts to ``shape``; ``None`` passes."""
    if mask is None:
        return None
    check_tensor(name, mask, dtype="bool")
    try:
        torch.broadcast_shapes(tuple(mask.shape), tuple(shape))
    except RuntimeError:
        raise ValueError(f"{name} of shape {tuple(mask.shape)} does not broadcast to the attention "
                         f"scores of shape {tuple(shape)} (batch, heads, query, key)") from None
    return mask


def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    if value < 0 or (value == 0 and not allow_zero) or value != value:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_int(name: str, value, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


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
