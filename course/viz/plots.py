"""Static figures: training curves, gradient norms and attention heatmaps."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..validate import check_tensor

__all__ = ["smooth", "plot_curves", "plot_attention", "attention_grid", "stack_attention"]


def smooth(values: Sequence[float], window: int = 10) -> np.ndarray:
    """Trailing moving average (the first points average what exists so far)."""
    v = np.asarray(values, dtype=float)
    if window <= 1 or len(v) == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


def plot_curves(histories: Mapping[str, object], metrics: Sequence[str] = ("loss",), *,
                window: int = 10, log_y: Sequence[str] = ("grad_norm",), figsize=None):
    """One panel per metric, one line per run. ``histories`` maps a run's name to a
    :class:`course.train.History`; metrics are History fields ("loss", "grad_norm", "lr", "eval_loss")."""
    if not histories:
        raise ValueError("histories must map at least one run name to a History")
    fig, axes = plt.subplots(1, len(metrics), figsize=figsize or (4.6 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for name, h in histories.items():
            if not hasattr(h, metric):
                raise ValueError(f"metric {metric!r} is not a History field")
            y = getattr(h, metric)
            x = h.eval_step if metric == "eval_loss" else h.step[:len(y)]
            ax.plot(x, smooth(y, window) if metric != "eval_loss" else y, label=name,
                    marker="o" if metric == "eval_loss" else None, ms=3)
        ax.set_xlabel("step")
        ax.set_ylabel(metric.replace("_", " "))
        if metric in log_y:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_attention(weights, q_tokens: Sequence[str] | None = None, k_tokens: Sequence[str] | None = None,
                   *, ax=None, title: str | None = None, cmap: str = "viridis"):
    """Heatmap of one attention matrix (Tq, Tk): row = query (who looks), column = key (looked at)."""
    w = torch.as_tensor(weights).detach().float().cpu()
    check_tensor("weights", w, ndim=2)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.32 * w.shape[1] + 1.8, 0.32 * w.shape[0] + 1.2))
    im = ax.imshow(w.numpy(), cmap=cmap, vmin=0, vmax=max(float(w.max()), 1e-6))
    for tokens, setter, ticks, n in ((q_tokens, ax.set_yticklabels, ax.set_yticks, w.shape[0]),
                                     (k_tokens, ax.set_xticklabels, ax.set_xticks, w.shape[1])):
        if tokens is not None:
            if len(tokens) != n:
                raise ValueError(f"got {len(tokens)} token labels for an axis of length {n}")
            ticks(range(n))
            setter(list(tokens), fontsize=8)
    ax.tick_params(axis="x", rotation=90)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    if title:
        ax.set_title(title, fontsize=9)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def stack_attention(attentions) -> torch.Tensor:
    """A list of per-layer (B, H, Tq, Tk) tensors, or a record_attention dict -> (L, B, H, Tq, Tk)."""
    if isinstance(attentions, Mapping):
        attentions = [calls[-1] for calls in attentions.values()]
    if not attentions:
        raise ValueError("attentions is empty: record at least one forward pass")
    for i, a in enumerate(attentions):
        check_tensor(f"attentions[{i}]", a, ndim=4)
    return torch.stack([a.detach().float().cpu() for a in attentions])


def attention_grid(attentions, tokens: Sequence[str] | None = None, *, example: int = 0,
                   q_tokens: Sequence[str] | None = None, cell: float | None = None, max_width: float = 9.5):
    """Layers × heads grid of heatmaps for one example of the batch, with one shared colour bar.

    ``attentions``: a list of per-layer (B, H, Tq, Tk) tensors or a ``record_attention`` dict.
    ``tokens`` label the keys (columns), ``q_tokens`` the queries (rows; default: ``tokens``).
    ``cell`` is a panel's side in inches; by default it grows with the sequence so that labels stay
    readable (9 pt), and the whole grid stays within ``max_width`` inches, the width of a notebook.
    """
    a = stack_attention(attentions)[:, example]                       # (L, H, Tq, Tk)
    n_layers, n_heads, n_q, n_k = a.shape
    q_tokens = q_tokens if q_tokens is not None else tokens
    for name, labels, n in (("tokens", tokens, n_k), ("q_tokens", q_tokens, n_q)):
        if labels is not None and len(labels) != n:
            raise ValueError(f"{name} has {len(labels)} labels for an axis of length {n}")
    if cell is None:
        cell = min(max(2.4, 0.22 * max(n_q, n_k) + 0.5), (max_width - 1.0) / n_heads)
    per_token = cell / max(n_q, n_k)                                  # inches per row/column
    fontsize = 9 if per_token >= 0.16 else 8
    fig, axes = plt.subplots(n_layers, n_heads, figsize=(cell * n_heads + 1.0, cell * n_layers + 0.4),
                             squeeze=False, sharex=True, sharey=True, layout="constrained")
    for layer in range(n_layers):
        for head in range(n_heads):
            ax = axes[layer][head]
            image = ax.imshow(a[layer, head].numpy(), cmap="viridis", vmin=0, vmax=1)
            ax.set_title(f"layer {layer} · head {head}", fontsize=9)
            ax.tick_params(length=0, labelsize=fontsize)
    # shared axes: labels show on the bottom row (keys) and the first column (queries)
    ax = axes[-1][0]
    if tokens is not None and per_token >= 0.12:
        upright = all(len(str(t)) <= 2 for t in tokens)               # single characters read upright
        ax.set_xticks(range(n_k), [str(t) for t in tokens], rotation=0 if upright else 90)
    else:
        ax.set_xticks([])
    if q_tokens is not None and per_token >= 0.12:
        ax.set_yticks(range(n_q), [str(t) for t in q_tokens])
    else:
        ax.set_yticks([])
    bar = fig.colorbar(image, ax=axes, shrink=min(1.0, 3.0 / (cell * n_layers)), aspect=25, pad=0.02)
    bar.set_label("attention weight", fontsize=9)
    bar.ax.tick_params(labelsize=8)
    return fig
