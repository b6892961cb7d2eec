"""A setting where overfitting is real and visible in seconds, shared by the regularization chapters so
that their curves can be compared.

A small word-level GPT (2 layers, d = 64) learns from a few dozen lines of the course corpus, with the
shipped tiny models' vocabulary. Its validation loss (on lines it never sees) reaches its lowest point
early and then climbs while its training loss keeps falling: the model memorises its few lines.
Every regularizer is a change to :meth:`OverfitSetting.model` (dropout, …), to the optimizer
(weight decay) or to the loss (label smoothing), trained by :meth:`OverfitSetting.train` on the same
batches and scored on the same validation batches.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import torch

from ..models import GPT, GPTConfig
from ..text import lm_batch
from ..validate import check_int
from .loop import History, fit

__all__ = ["OverfitSetting", "overfit_setting"]


@dataclass
class OverfitSetting:
    train_tokens: torch.Tensor          # (N_train,) one stream, lines separated by <eos>
    val_tokens: torch.Tensor            # (N_val,) held-out lines
    config: GPTConfig                   # the base model; overrides give its regularized variants
    batch_size: int = 16
    seed: int = 0
    val_batches: list = field(default_factory=list)   # fixed: every run is scored on the same windows

    def model(self, **overrides) -> GPT:
        """A freshly initialized GPT (same seed every call), with config fields overridden, e.g.
        ``model(dropout=0.2)``."""
        torch.manual_seed(self.seed)
        return GPT(replace(self.config, **overrides))

    def batches(self) -> Callable[[int], tuple]:
        """get_batch(step) for :func:`course.train.fit`: the same sequence of windows for every run."""
        generator = torch.Generator().manual_seed(self.seed)
        return lambda step: lm_batch(self.train_tokens, self.batch_size, self.config.context, generator=generator)

    def train(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, steps: int = 200,
              eval_every: int = 10, **fit_kwargs) -> History:
        """Train on the setting's batches; ``history.eval_loss`` is the validation curve."""
        return fit(model, optimizer, self.batches(), steps, eval_batches=lambda: self.val_batches,
                   eval_every=eval_every, **fit_kwargs)


def overfit_setting(n_lines: int = 60, *, seed: int = 0, context: int = 32, d_model: int = 64) -> OverfitSetting:
    """``n_lines`` training lines of the course corpus (more lines: less overfitting), 400 validation
    lines (none of them a training line), and a 2-layer GPT of width ``d_model`` reading ``context`` tokens."""
    from ..pretrained import VAL_SEED, corpus_lines, load_tiny_gpt

    n_lines = check_int("n_lines", n_lines, minimum=8)
    check_int("seed", seed, minimum=0)
    _, tok = load_tiny_gpt()

    def stream(lines):
        return torch.tensor([i for line in lines for i in tok.encode(line) + [tok.eos_id]], dtype=torch.long)

    train_lines = corpus_lines(n_lines, seed=seed)
    seen = set(train_lines)       # the grammar can repeat a short sentence: keep validation unseen
    train, val = stream(train_lines), stream([x for x in corpus_lines(400, seed=VAL_SEED) if x not in seen])
    if len(train) <= context:
        raise ValueError(f"n_lines={n_lines} gives {len(train)} tokens, too few for context={context}")
    config = GPTConfig(vocab_size=len(tok.itos), context=context, n_layers=2, n_heads=2, d_model=d_model)
    generator = torch.Generator().manual_seed(VAL_SEED)
    val_batches = [lm_batch(val, 32, context, generator=generator) for _ in range(8)]
    return OverfitSetting(train, val, config, seed=seed, val_batches=val_batches)
