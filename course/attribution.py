"""Which input tokens drove a decision: gradient × input and attention rollout.

Both give one score per token, to draw over the sentence. Gradient × input (Shrikumar et al., 2017;
Denil et al., 2014) is first-order Taylor: how much the chosen logit would move if a token's embedding
were scaled away. Attention rollout (Abnar & Zuidema, 2020) follows the attention weights through the
layers, with the residual connection counted as attention to oneself.
"""
from __future__ import annotations

import torch
from torch import nn

from .validate import check_module, check_probability, check_tensor

__all__ = ["gradient_x_input", "attention_rollout"]


def _embedding(model: nn.Module) -> nn.Embedding:
    """The token embedding of a course model (``bert.tok_emb`` or ``tok_emb``)."""
    for name in ("bert.tok_emb", "tok_emb"):
        module = model
        for part in name.split("."):
            module = getattr(module, part, None)
        if isinstance(module, nn.Embedding):
            return module
    raise ValueError("model must have a token embedding at .tok_emb or .bert.tok_emb (a course model)")


def gradient_x_input(model: nn.Module, ids: torch.Tensor, target: torch.Tensor,
                     attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Score of each token for the logit of class ``target``: Σ_d e_td · ∂logit/∂e_td.

    model: a classifier returning ``.logits`` (B, n_classes) from ``model(ids, attention_mask)``;
    ids: (B, T) int; target: (B,) int, the class to explain; attention_mask: (B, T) bool or None.
    Returns (B, T) float; positive = the token pushed the logit up. Padding positions get 0.
    The gradient is taken at the output of the token embedding, where ids become vectors (before the
    position and segment embeddings are added); the model's own parameters are left without gradients.
    The score explains the chosen class's logit, not the margin over the other classes.
    """
    check_module("model", model)
    check_tensor("ids", ids, ndim=2, dtype="int")
    check_tensor("target", target, ndim=1, dtype="int")
    if target.shape[0] != ids.shape[0]:
        raise ValueError(f"target must hold one class per row of ids ({ids.shape[0]}), got {target.shape[0]}")
    embedding = _embedding(model)
    captured = {}

    def keep(module, args, out):
        out.retain_grad()
        captured["emb"] = out

    hook = embedding.register_forward_hook(keep)
    try:
        with torch.enable_grad():
            logits = model(ids, attention_mask).logits
            if logits.dim() != 2:
                raise ValueError(f"model must return logits (B, n_classes), got shape {tuple(logits.shape)}")
            if bool((target < 0).any()) or bool((target >= logits.shape[1]).any()):
                raise ValueError(f"target must hold classes in [0, {logits.shape[1]}), got {target.tolist()}")
            chosen = logits.gather(1, target.to(logits.device)[:, None]).sum()
            emb = captured["emb"]
            (grad,) = torch.autograd.grad(chosen, emb)
    finally:
        hook.remove()
    scores = (grad * emb).sum(-1).detach()
    if attention_mask is not None:
        scores = scores.masked_fill(~attention_mask, 0.0)
    return scores


def attention_rollout(attentions: list[torch.Tensor], residual: float = 0.5) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema, 2020): how much each output position draws on each input token.

    attentions: one (B, H, T, T) tensor per layer, bottom layer first, rows = queries summing to 1.
    Each layer's heads are averaged, the residual path added as ``residual · I + (1 − residual) · A``,
    rows renormalised, and the layers multiplied: R = Â_L ⋯ Â_2 Â_1. Returns R (B, T, T); row 0 is the
    [CLS] position's mix of input tokens.
    """
    if not isinstance(attentions, (list, tuple)) or not attentions:
        raise TypeError("attentions must be a non-empty list of (B, H, T, T) tensors, one per layer")
    for i, a in enumerate(attentions):
        check_tensor(f"attentions[{i}]", a, ndim=4, dtype="float")
        if a.shape[-1] != a.shape[-2] or a.shape != attentions[0].shape:
            raise ValueError(f"attentions[{i}] must be (B, H, T, T) like attentions[0] "
                             f"{tuple(attentions[0].shape)}, got {tuple(a.shape)}")
    check_probability("residual", residual)
    t = attentions[0].shape[-1]
    eye = torch.eye(t, device=attentions[0].device, dtype=attentions[0].dtype)
    rollout = None
    for a in attentions:
        mixed = residual * eye + (1 - residual) * a.mean(1)                 # (B, T, T)
        mixed = mixed / mixed.sum(-1, keepdim=True)
        rollout = mixed if rollout is None else mixed @ rollout
    return rollout
