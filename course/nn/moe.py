"""A mixture-of-experts feed-forward layer: a router sends each token to ``top_k`` of ``n_experts`` FFNs.

Parameters grow with the number of experts; the work per token does not, because each token runs through
only ``top_k`` experts (plus a router of d·E weights). This is the sparsity of Switch Transformer
(Fedus, Zoph, Shazeer, 2021) and Mixtral (Jiang et al., 2024): conditional computation, not zero weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..validate import check_int, check_tensor
from .blocks import FeedForward

__all__ = ["MoEFeedForward", "MoEOutput", "load_balancing_loss"]


@dataclass
class MoEOutput:
    y: torch.Tensor               # (B, T, d) the layer's output
    router_logits: torch.Tensor   # (B·T, E) one row per token
    expert_share: torch.Tensor    # (E,) fraction of tokens routed to each expert (sums to top_k)
    balance_loss: torch.Tensor    # () the auxiliary load-balancing loss


def _expert_share(chosen: torch.Tensor, n_experts: int) -> torch.Tensor:
    """(N, k) chosen expert indices -> (E,) fraction of the N tokens routed to each expert (sums to k)."""
    counts = torch.zeros(chosen.shape[0], n_experts, device=chosen.device).scatter_(1, chosen, 1.0)
    return counts.mean(dim=0)


def load_balancing_loss(router_logits: torch.Tensor, top_k: int = 1) -> torch.Tensor:
    """Switch Transformer's auxiliary loss (Fedus et al., 2021, eq. 4–6), generalised to top-k as in Mixtral:

        loss = E · Σ_i f_i · P_i

    f_i: fraction of tokens whose top-k experts include i (not differentiable); P_i: mean router probability
    of expert i (carries the gradient). Balanced routing gives ``top_k``; every token on the same k experts,
    which hold all the probability, gives E, the most it can be. ``router_logits``: (N, E) -> a 0-d tensor.
    """
    check_tensor("router_logits", router_logits, ndim=2, dtype="float", nonempty=True)
    n_experts = router_logits.shape[1]
    check_int("top_k", top_k, minimum=1, maximum=n_experts)
    probs = router_logits.float().softmax(dim=-1)
    share = _expert_share(probs.topk(top_k, dim=-1).indices, n_experts)         # (E,) f_i
    return n_experts * (share * probs.mean(dim=0)).sum()


class MoEFeedForward(nn.Module):
    """(B, T, d) -> MoEOutput. Router: a bias-free Linear d -> E and a softmax. Each token's output is the
    sum of its top-k experts' outputs, weighted by their router probabilities (renormalised over the k
    chosen when top_k > 1, as in Mixtral; the raw probability when top_k = 1, as in Switch, so that the
    task loss still trains the router)."""

    def __init__(self, d_model: int, d_ff: int, n_experts: int, top_k: int = 1, activation: str = "gelu"):
        super().__init__()
        check_int("n_experts", n_experts, minimum=1)
        check_int("top_k", top_k, minimum=1, maximum=n_experts)
        self.top_k = top_k
        self.router = nn.Linear(check_int("d_model", d_model, minimum=1), n_experts, bias=False)
        self.experts = nn.ModuleList(FeedForward(d_model, d_ff, activation) for _ in range(n_experts))

    def forward(self, x: torch.Tensor) -> MoEOutput:
        check_tensor("x", x, ndim=3, dtype="float", last_dim=self.router.in_features)
        tokens = x.reshape(-1, x.shape[-1])                                      # (N, d)
        logits = self.router(tokens)                                             # (N, E)
        probs = logits.softmax(dim=-1)
        weight, chosen = probs.topk(self.top_k, dim=-1)                          # (N, k) each
        if self.top_k > 1:
            weight = weight / weight.sum(dim=-1, keepdim=True)
        out = torch.zeros_like(tokens)
        for e, expert in enumerate(self.experts):
            rows, slot = (chosen == e).nonzero(as_tuple=True)                   # the tokens sent to e
            if rows.numel():                                                     # only they are computed
                out.index_add_(0, rows, weight[rows, slot, None] * expert(tokens[rows]))
        share = _expert_share(chosen, len(self.experts))
        return MoEOutput(out.view_as(x), logits, share, load_balancing_loss(logits, self.top_k))
