"""Self-test of chapter 17: merging heads back, and sharing keys and values across heads (GQA)."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, d_h) -> (B, T, H·d_h): the inverse of splitting into heads."""
    batch, n_heads, length, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, length, n_heads * head_dim)


def _merge_cases(g):
    return [{"x": torch.randn(*s, generator=g)} for s in ((2, 2, 5, 4), (1, 3, 4, 4), (3, 4, 6, 2), (1, 4, 4, 4))]


MERGE = Exercise(
    key="17.merge_heads", title="merge_heads", signature="merge_heads(x (B, H, T, d_h)) -> (B, T, H·d_h)",
    task="""Lab 1 split a (B, T, d) tensor into heads, (B, H, T, d/H). Write the way back, which
multi-head attention applies to the heads' outputs just before W_o mixes them.

- `x`: float tensor (B, H, T, d_h), head h's output for every position.
- Return a float tensor (B, T, H·d_h) in which position t holds the concatenation
  [head 0 | head 1 | … | head H−1] of its d_h-sized outputs: features h·d_h … (h+1)·d_h − 1 come from head h.
- It must be the exact inverse of Lab 1's split (view as (B, T, H, d_h), then transpose(1, 2)).""",
    reference=merge_heads, make_cases=_merge_cases,
    mistakes=[
        Mistake("reshape_only", "reshaping (B, H, T, d_h) straight to (B, T, H·d_h) mixes positions of "
                "different heads: bring T next to B first (transpose(1, 2)), then reshape.",
                lambda x: x.reshape(x.shape[0], x.shape[2], -1)),
        Mistake("mean_heads", "concatenate the heads (W_o mixes them afterwards); averaging them loses "
                "information.", lambda x: x.mean(1).repeat(1, 1, x.shape[1])),
        Mistake("wrong_order", "put the heads side by side in order: feature block h is head h "
                "(transpose(1, 2), not permute(0, 2, 3, 1), which interleaves their features).",
                lambda x: x.permute(0, 2, 3, 1).reshape(x.shape[0], x.shape[2], -1)),
    ])


def repeat_kv(k: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, G, T, d_h) keys (or values) of G groups -> (B, n_heads, T, d_h): head i reads group i // (n_heads / G)."""
    per_group = n_heads // k.shape[1]
    return k.repeat_interleave(per_group, dim=1)


def _kv_cases(g):
    return [{"k": torch.randn(b, groups, t, dh, generator=g), "n_heads": h}
            for b, groups, t, dh, h in ((2, 2, 5, 4, 8), (1, 1, 6, 8, 4), (3, 4, 3, 2, 4), (1, 3, 4, 4, 6))]


REPEAT_KV = Exercise(
    key="17.repeat_kv", title="repeat_kv", signature="repeat_kv(k (B, G, T, d_h), n_heads) -> (B, n_heads, T, d_h)",
    task="""Grouped-query attention (GQA) keeps `n_heads` query heads but only G key/value heads: the query
heads are cut into G consecutive groups of n_heads / G, and every head of a group uses its group's keys and
values. Multi-query attention (MQA) is the case G = 1. Before the usual per-head attention, each K/V head
is repeated so that there is one per query head.

- `k`: float tensor (B, G, T, d_h), the keys (or values) of the G groups; `n_heads` (int): the number of
  query heads, a multiple of G.
- Return a float tensor (B, n_heads, T, d_h) whose head i is `k[:, i // (n_heads // G)]`: heads 0, 1, …
  of the first group all get group 0, the next n_heads / G heads get group 1, and so on.
- This is the layout `F.scaled_dot_product_attention(..., enable_gqa=True)` uses.""",
    reference=repeat_kv, make_cases=_kv_cases,
    mistakes=[
        Mistake("tiled", "`repeat` tiles the groups (0, 1, 0, 1, …), so head i would read group i mod G. "
                "Consecutive heads share a group: repeat each group in place (repeat_interleave).",
                lambda k, n_heads: k.repeat(1, n_heads // k.shape[1], 1, 1)),
        Mistake("not_expanded", "return one K/V head per *query* head: n_heads of them, not G.",
                lambda k, n_heads: k),
        Mistake("wrong_dim", "repeat along the head dimension (dim 1), not along the positions.",
                lambda k, n_heads: k.repeat_interleave(n_heads // k.shape[1], dim=2)),
    ])

EXERCISES = [MERGE, REPEAT_KV]

QUIZ = Quiz([
    Question("17.q1", "The common answer says multi-head attention “将输入序列分成多个头，每个头关注不同的部分”. "
                      "What does one head get?", (
        Option("One of h slices of the positions: the sequence is cut in h parts", False,
               "Every head attends over all positions; the split is along the features (Lab 1)."),
        Option("A learned d/h-dimensional projection of every position", True,
               "(B, T, d) becomes (B, H, T, d/H): a feature subspace of every position. Lab 1 shows it."),
        Option("A full d-dimensional copy of every position, with its own weights", False,
               "Then h heads would have h times the parameters; Lab 1 counts the same parameters for every h."),
    ), misconception=True),
    Question("17.q2", "With d and n fixed, what grows when you go from 1 head to h heads of size d/h?", (
        Option("The parameters: every head has its own W_q, W_k and W_v", False,
               "The h heads' W_q together form one d × d matrix: Lab 1 counts the same parameters for every h."),
        Option("The matmul FLOPs: every head computes its own QKᵀ", False,
               "Each head's QKᵀ is h times narrower; FlopCounterMode counts the same total for every h (Lab 1)."),
        Option("The attention weights: h score matrices of n × n", True,
               "Lab 1 measures the memory kept for backward growing by about the same step per extra head."),
    )),
    Question("17.q3", "In Lab 2 (four look-ups at once, same parameters, same number of steps), what did "
                      "one wide head do compared with four narrow ones?", (
        Option("The same: heads are a free choice with no effect", False,
               "Lab 2 prints a clear gap at the same budget of steps."),
        Option("It stayed near chance: one head can attend to one position only", False,
               "A single head spreads its weights over several positions (Lab 2 prints where): it scores far above "
               "chance, only lower than several heads at the same budget."),
        Option("It learned more slowly: lower accuracy at that budget", True,
               "One softmax must mix all four look-ups into one average; separate heads keep them apart."),
    )),
    Question("17.q4", "Multi-query and grouped-query attention (chapter 39) reduce the number of…", (
        Option("query heads, so fewer score matrices are computed", False,
               "All query heads stay; it is keys and values that are shared."),
        Option("key/value heads, so the KV cache they fill is smaller", True,
               "Query heads share K and V in groups (exercise 2): less memory to keep and read when decoding."),
        Option("positions each head sees, as heads split the sequence", False,
               "No head ever sees only part of the sequence; that is the common answer's error again."),
    )),
])
