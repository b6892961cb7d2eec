"""A small, explicit training loop that records what the chapters plot."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
from tqdm.auto import tqdm

from ..runtime import eval_mode
from ..validate import check_int, check_module
from .clipping import global_grad_norm

__all__ = ["History", "fit", "evaluate"]


@dataclass
class History:
    """Per-step training records and periodic evaluations."""
    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)     # before clipping
    lr: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    diverged: bool = False

    @property
    def final_loss(self) -> float:
        """Mean of the last 10 % of training losses (less noisy than the last one)."""
        tail = self.loss[-max(1, len(self.loss) // 10):]
        return sum(tail) / len(tail)


def _default_loss(model, batch) -> torch.Tensor:
    if not isinstance(batch, (tuple, list)):
        raise TypeError(f"a batch must be a tuple such as (inputs, targets) for model(*batch), "
                        f"got {type(batch).__name__}")
    return model(*batch).loss


def _loss(model, batch, loss_fn) -> torch.Tensor:
    """loss_fn(model, batch), checked to be a scalar tensor (shape only: no GPU sync)."""
    loss = loss_fn(model, batch)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        hint = (" — does the batch carry targets? model(*batch).loss is None without them"
                if loss is None and loss_fn is _default_loss else "")
        got = f"shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else repr(loss)[:40]
        raise TypeError(f"loss_fn must return a scalar tensor (a mean over the batch), got {got}{hint}")
    return loss


@torch.no_grad()
def evaluate(model, batches, loss_fn: Callable = _default_loss) -> float:
    """Mean loss of ``model`` over an iterable of batches, in eval mode."""
    check_module("model", model)
    if callable(batches) or not isinstance(batches, Iterable):
        raise TypeError(f"batches must be an iterable of batches (a list, or eval_batches() called), "
                        f"got {type(batches).__name__}")
    with eval_mode(model):
        losses = [float(_loss(model, batch, loss_fn)) for batch in batches]
    if not losses:
        raise ValueError("batches must hold at least one batch")
    return sum(losses) / len(losses)


def fit(model: torch.nn.Module, optimizer: torch.optim.Optimizer, get_batch: Callable[[int], tuple],
        steps: int, *, loss_fn: Callable = _default_loss, clip: Callable | None = None,
        scheduler=None, eval_batches: Callable[[], list] | None = None, eval_every: int = 100,
        progress: bool = True, stop_on_divergence: bool = True) -> History:
    """Train for ``steps`` optimizer steps and return the :class:`History`.

    get_batch(step) -> a tuple passed to ``loss_fn(model, batch)`` (default: ``model(*batch).loss``).
    clip(parameters) runs after backward and before the optimizer step (see ``course.train.clipping``).
    eval_batches() -> batches for :func:`evaluate`, run every ``eval_every`` steps and at the end.
    A non-finite loss stops training (``history.diverged``) unless ``stop_on_divergence`` is False.
    """
    check_module("model", model)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    functions = {"get_batch": get_batch, "loss_fn": loss_fn, "clip": clip, "eval_batches": eval_batches}
    for name, fn in functions.items():   # e.g. clip=1.0 for lambda p: clip_by_global_norm(p, 1.0)
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function, got {type(fn).__name__} {fn!r}"[:160])
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method (a torch lr scheduler), "
                        f"got {type(scheduler).__name__}")
    check_int("steps", steps, minimum=1)
    check_int("eval_every", eval_every, minimum=1)
    history = History()
    params = [p for p in model.parameters() if p.requires_grad]
    model.train()
    # few redraws: in a notebook each one is a widget message, and a flood of them can overflow the
    # kernel's output channel (nbval then loses the end of the cell)
    bar = tqdm(range(steps), disable=not progress, leave=False, desc="training", mininterval=0.5)
    for step in bar:
        loss = _loss(model, get_batch(step), loss_fn)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = float(global_grad_norm(params))
        if clip is not None:
            clip(params)
        optimizer.step()
        history.lr.append(optimizer.param_groups[0]["lr"])
        if scheduler is not None:
            scheduler.step()
        history.step.append(step)
        history.loss.append(loss.item())
        history.grad_norm.append(norm)
        if not math.isfinite(history.loss[-1]):
            history.diverged = True
            if stop_on_divergence:
                break
        last = step == steps - 1
        if eval_batches is not None and ((step + 1) % eval_every == 0 or last):
            history.eval_step.append(step + 1)
            history.eval_loss.append(evaluate(model, eval_batches(), loss_fn))
            model.train()
        if step % 10 == 0:
            bar.set_postfix(loss=f"{history.loss[-1]:.3f}", refresh=False)   # shown at the next redraw
    return history
