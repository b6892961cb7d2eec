"""Where the course runs: device choice, seeding, determinism, threads and a small timer."""
from __future__ import annotations

import os
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch

from .validate import check_in, check_int

__all__ = ["get_device", "seed_everything", "set_deterministic", "set_threads", "default_threads", "Timer",
           "saved_for_backward_bytes", "autocast", "describe"]

DEVICE_ENV = "COURSE_DEVICE"
THREADS_ENV = "COURSE_THREADS"
# The course's models are tiny: past a few threads their matrix products gain nothing, while every extra
# thread competes with the other kernels and programs on the machine (oversubscribed OpenMP threads spin
# and can slow two busy kernels down many times).
MAX_DEFAULT_THREADS = 4


def get_device(prefer: str | None = None) -> torch.device:
    """The best available device: ``cuda`` > ``mps`` > ``cpu``.

    ``prefer`` (or the environment variable ``COURSE_DEVICE``) forces one, e.g. ``"cpu"`` to compare.
    """
    choice = prefer or os.environ.get(DEVICE_ENV) or "auto"
    check_in("prefer" if prefer else DEVICE_ENV, choice.split(":")[0], ("auto", "cuda", "mps", "cpu"))
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {choice!r} was asked for but CUDA is not available here")
    return torch.device(choice)


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (all devices); returns a CPU generator seeded the same way."""
    check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def set_deterministic(on: bool = True) -> None:
    """Ask PyTorch for deterministic kernels (slower on GPU; identical results run to run)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(on, warn_only=True)
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.benchmark = not on


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))       # respects taskset / container CPU sets
    except (AttributeError, OSError):             # macOS, Windows
        return os.cpu_count() or 1


def default_threads() -> int | None:
    """The thread count the course uses unless told otherwise.

    ``COURSE_THREADS`` if set; ``None`` (leave PyTorch alone) if ``OMP_NUM_THREADS`` is set; otherwise the
    cores this process may use, at most ``MAX_DEFAULT_THREADS``.
    """
    value = os.environ.get(THREADS_ENV)
    if value is not None:
        if not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"{THREADS_ENV} must be a whole number of threads ≥ 1, got {value!r}")
        return int(value)
    if os.environ.get("OMP_NUM_THREADS"):
        return None
    return min(_usable_cores(), MAX_DEFAULT_THREADS)


def set_threads(n: int | None = None) -> int:
    """Use ``n`` CPU threads for PyTorch (default: :func:`default_threads`); returns the number in use.

    Two notebooks running at once on a 2-core laptop go fastest with ``set_threads(1)`` each (or start
    JupyterLab with ``COURSE_THREADS=1``).
    """
    if n is not None:
        check_int("n", n, minimum=1)
    n = n or default_threads()
    if n is not None:
        torch.set_num_threads(n)
    return torch.get_num_threads()


def autocast(device: torch.device):
    """bf16 autocast on CUDA where it helps; a no-op context elsewhere (CPU results stay in fp32)."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast(device.type, enabled=False)


set_threads()   # applied once, when the course is imported (see course/__init__.py)


def describe() -> str:
    """One line about the machine: torch version, device, threads."""
    dev = get_device()
    name = torch.cuda.get_device_name(0) if dev.type == "cuda" else dev.type
    return f"torch {torch.__version__} · device {name} · {torch.get_num_threads()} CPU threads"


@dataclass
class Timer:
    """Wall-clock timer; ``with Timer() as t: ...`` then ``t.seconds``. Synchronizes CUDA."""
    seconds: float = 0.0
    _start: float = field(default=0.0, repr=False)

    def __enter__(self) -> "Timer":
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.seconds = time.perf_counter() - self._start


@contextmanager
def eval_mode(model: torch.nn.Module):
    """Temporarily put ``model`` in eval mode, restoring its previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def saved_for_backward_bytes(fn) -> tuple[object, int]:
    """Run ``fn()`` and count the bytes autograd keeps for the backward pass (distinct storages).

    This is the activation memory a training step must hold, measured the same way on CPU and GPU.
    Returns ``(fn's result, bytes)``.
    """
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor):
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        result = fn()
    return result, sum(storages.values())
