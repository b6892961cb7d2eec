"""Data-parallel training with PyTorch's own engine (``DistributedDataParallel``), startable from a notebook.

Every process holds a full copy of the model and a slice of each batch; after ``backward()`` DDP
all-reduces the gradients so that every process steps with their mean, the gradient of the whole batch.

Jupyter cannot hand a function defined in a cell to a new process (``spawn`` pickles functions by their
module and name), so the worker lives here, and :func:`launch` starts it: ``world_size`` CPU processes,
the ``gloo`` backend, rendezvous on a free localhost port. Where the OS offers it (Linux, macOS), the
processes are forked from a ``forkserver`` that has imported torch, this module and ``torch._dynamo``
(which DDP's constructor loads) once, instead of each new process importing them again.

    records = data_parallel_run(model, batches, world_size=2)     # DDP over 2 processes
    single = single_process_run(model, batches)                   # the same steps on the whole batch
"""
from __future__ import annotations

import datetime
import multiprocessing
import os
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from .validate import check_int, check_module, check_positive, check_tensor

__all__ = ["free_port", "launch", "RunRecord", "data_parallel_run", "single_process_run"]


def free_port() -> int:
    """A TCP port on localhost that no one is listening on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank: int, worker: Callable, world_size: int, port: int, out: str, args: tuple) -> None:
    """What each started process runs: join the group, run the worker, save its result, leave."""
    torch.set_num_threads(1)                 # world_size processes share the machine's cores
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=60))   # a lost peer fails in a minute, not 30
    try:
        torch.save(worker(rank, world_size, *args), Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def launch(worker: Callable, world_size: int, *args) -> list:
    """Run ``worker(rank, world_size, *args)`` in ``world_size`` new processes joined in one gloo process
    group; returns the workers' results, by rank. ``worker`` must be importable (defined in a module, not
    in a notebook cell) and its results and ``args`` picklable (tensors, dataclasses, dicts)."""
    if not callable(worker):
        raise TypeError(f"worker must be a function, got {type(worker).__name__}")
    if getattr(worker, "__module__", "__main__") == "__main__" or "<locals>" in getattr(worker, "__qualname__", ""):
        raise TypeError("worker must be defined at the top level of an importable module (e.g. "
                        "course.distributed), not in a notebook cell: new processes import it by name")
    check_int("world_size", world_size, minimum=1)
    loopback = {"linux": "lo", "darwin": "lo0"}.get(sys.platform)
    saved = os.environ.get("GLOO_SOCKET_IFNAME")
    with tempfile.TemporaryDirectory() as out:
        try:
            if loopback and saved is None:
                os.environ["GLOO_SOCKET_IFNAME"] = loopback    # the children stay on this machine's loopback
            mp.start_processes(_entry, args=(worker, world_size, free_port(), out, args), nprocs=world_size,
                               join=True, start_method=_start_method())
        finally:                                               # leave the caller's environment as it was
            if saved is None:
                os.environ.pop("GLOO_SOCKET_IFNAME", None)
        return [torch.load(Path(out) / f"rank{r}.pt", weights_only=False) for r in range(world_size)]


def _start_method() -> str:
    """"forkserver" with the heavy imports preloaded where available (the first launch of a session pays
    for them once, later ones fork at once); "spawn" elsewhere (Windows)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    multiprocessing.get_context("forkserver").set_forkserver_preload(
        ["torch", "torch._dynamo", "course.distributed", "course.models"])   # no effect once it runs
    return "forkserver"


@dataclass
class RunRecord:
    """What one process saw. local_grads: its own gradient at the first step, before any averaging;
    grads: the gradient its optimizer used at the first step; weights: its parameters after the last step."""
    rank: int
    local_grads: dict[str, torch.Tensor] = field(default_factory=dict)
    grads: dict[str, torch.Tensor] = field(default_factory=dict)
    weights: dict[str, torch.Tensor] = field(default_factory=dict)
    losses: list[float] = field(default_factory=list)


def _train(model, batches, rank, world_size, lr, weight_decay, wrap) -> RunRecord:
    """AdamW steps on this rank's contiguous slice of every (x, y) batch; records the first step's gradients."""
    net = wrap(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    record = RunRecord(rank)
    names = [n for n, _ in model.named_parameters()]
    for step, (x, y) in enumerate(batches):
        x, y = x.chunk(world_size)[rank], y.chunk(world_size)[rank]
        if step == 0 and world_size > 1:
            with net.no_sync():                                   # backward without the all-reduce
                net(x, targets=y).loss.backward()
            record.local_grads = {n: p.grad.clone() for n, p in zip(names, model.parameters())}
            optimizer.zero_grad()
        loss = net(x, targets=y).loss
        optimizer.zero_grad()
        loss.backward()                                           # DDP averages the gradients here
        if step == 0:
            record.grads = {n: p.grad.clone() for n, p in zip(names, model.parameters())}
            if world_size == 1:
                record.local_grads = record.grads
        optimizer.step()
        record.losses.append(loss.item())
    record.weights = {n: p.detach().clone() for n, p in zip(names, model.parameters())}
    return record


def _rebuild(recipe) -> torch.nn.Module:
    """A model from (class, config, state_dict): modules holding lambdas cannot be pickled whole."""
    cls, config, state = recipe
    model = cls(config)
    model.load_state_dict(state)
    return model


def _recipe(model) -> tuple:
    if not hasattr(model, "config"):
        raise TypeError(f"model must be a course model with a .config (GPT, Bert, …), got {type(model).__name__}")
    return type(model), model.config, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _ddp_worker(rank: int, world_size: int, recipe, batches, lr: float, weight_decay: float) -> RunRecord:
    model = _rebuild(recipe)
    # DDP also broadcasts rank 0's weights at construction, so all copies start equal
    return _train(model, batches, rank, world_size, lr, weight_decay,
                  lambda m: torch.nn.parallel.DistributedDataParallel(m))


def _check_run(model, batches, world_size, lr, weight_decay) -> None:
    check_module("model", model)
    if not isinstance(batches, (list, tuple)) or not batches:
        raise TypeError("batches must be a non-empty list of (x, y) pairs of (B, T) token ids")
    for i, pair in enumerate(batches):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"batches[{i}] must be a pair (x, y) of (B, T) token ids")
        check_tensor(f"batches[{i}][0]", pair[0], ndim=2, dtype="int")
        check_tensor(f"batches[{i}][1]", pair[1], ndim=2, dtype="int")
        if pair[1].shape != pair[0].shape:
            raise ValueError(f"batches[{i}]: x has shape {tuple(pair[0].shape)} but y has "
                             f"{tuple(pair[1].shape)}; the targets must have x's shape (B, T)")
        if pair[0].shape[0] % world_size:
            raise ValueError(f"batches[{i}] has {pair[0].shape[0]} sequences, which world_size={world_size} "
                             f"processes cannot share equally")
    check_positive("lr", lr)
    check_positive("weight_decay", weight_decay, allow_zero=True)


def data_parallel_run(model: torch.nn.Module, batches: list, *, world_size: int = 2, lr: float = 1e-3,
                      weight_decay: float = 0.0) -> list[RunRecord]:
    """Train copies of ``model`` (a course GPT) with DDP over ``world_size`` gloo processes for
    ``len(batches)`` AdamW steps; each process takes its contiguous share of every batch
    (x, y: (B, T) ids, B divisible by world_size). ``model`` itself is not changed. One record per rank."""
    check_int("world_size", world_size, minimum=1)
    _check_run(model, batches, world_size, lr, weight_decay)
    return launch(_ddp_worker, world_size, _recipe(model), list(batches), lr, weight_decay)


def single_process_run(model: torch.nn.Module, batches: list, *, lr: float = 1e-3,
                       weight_decay: float = 0.0) -> RunRecord:
    """The same AdamW steps in this process on the whole of every batch: the reference for DDP."""
    _check_run(model, batches, 1, lr, weight_decay)
    return _train(_rebuild(_recipe(model)), batches, 0, 1, lr, weight_decay, lambda m: m)
