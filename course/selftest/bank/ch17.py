"""Self-test of chapter 17: splitting a d_model vector into heads and merging them back."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, T, d) -> (B, H, T, d/H): each head gets a slice of the *features*, and every position."""
    b, t, d = x.shape
    return x.view(b, t, n_heads, d // n_heads).transpose(1, 2)


def _split_cases(g):
    return [{"x": torch.randn(b, t, d, generator=g), "n_heads": h} for b, t, d, h in ((2, 4, 8, 2), (1, 6, 12, 3),
                                                                                      (3, 8, 16, 4))]


SPLIT = Exercise(
    key="17.split_heads", title="split_heads", signature="split_heads(x (B, T, d), n_heads) -> (B, H, T, d/H)",
    reference=split_heads, make_cases=_split_cases,
    mistakes=[
        Mistake("view_only", "a plain view to (B, H, T, d/H) mixes positions and features; view as "
                "(B, T, H, d/H) first, then transpose(1, 2).",
                lambda x, n_heads: x.reshape(x.shape[0], n_heads, x.shape[1], x.shape[2] // n_heads)),
        Mistake("no_transpose", "heads must be dimension 1: (B, H, T, d/H). Add .transpose(1, 2).",
                lambda x, n_heads: x.view(x.shape[0], x.shape[1], n_heads, x.shape[2] // n_heads)),
        Mistake("split_sequence", "heads split the feature dimension, not the sequence (the common answer's "
                "“将输入序列分成多个头” is wrong): every head sees all T positions.",
                lambda x, n_heads: x.view(x.shape[0], n_heads, x.shape[1] // n_heads, x.shape[2])),
    ])


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, d_h) -> (B, T, H·d_h): the inverse of split_heads."""
    b, h, t, dh = x.shape
    return x.transpose(1, 2).reshape(b, t, h * dh)


def _merge_cases(g):
    return [{"x": torch.randn(*s, generator=g)} for s in ((2, 2, 5, 4), (1, 3, 4, 4), (3, 4, 6, 2))]


MERGE = Exercise(
    key="17.merge_heads", title="merge_heads", signature="merge_heads(x (B, H, T, d_h)) -> (B, T, H·d_h)",
    reference=merge_heads, make_cases=_merge_cases,
    mistakes=[
        Mistake("reshape_only", "reshaping (B, H, T, d_h) straight to (B, T, H·d_h) interleaves positions of "
                "different heads: transpose(1, 2) first.", lambda x: x.reshape(x.shape[0], x.shape[2], -1)),
        Mistake("mean_heads", "concatenate the heads (then W_o mixes them); averaging loses information.",
                lambda x: x.mean(1).repeat(1, 1, x.shape[1])),
        Mistake("wrong_order", "put the heads back in order: feature block h comes from head h "
                "(transpose(1, 2), not permute(0, 2, 3, 1)).",
                lambda x: x.permute(0, 2, 3, 1).reshape(x.shape[0], x.shape[2], -1)),
    ])

EXERCISES = [SPLIT, MERGE]

QUIZ = Quiz([
    Question("17.q1", "The common answer says multi-head attention “将输入序列分成多个头，每个头关注不同的部分”. What "
                      "does a head get?", (
        Option("A contiguous chunk of the sequence", False, "Every head attends over all positions."),
        Option("A d_model/h-dimensional projection of every position (a feature subspace)", True,
               "Split along features: (B, T, d) -> (B, H, T, d/H). Lab 1 shows it."),
        Option("A random subset of the tokens", False, "No tokens are dropped."),
    ), misconception=True),
    Question("17.q2", "Compared with one head of size d, h heads of size d/h have…", (
        Option("h times the parameters", False, "W_q, W_k, W_v, W_o are d×d in both cases (Lab 1)."),
        Option("the same parameters and the same matmul FLOPs; only the softmax runs over h score matrices", True,
               "So the common answer's “增加了计算量” is essentially wrong; heads are almost free."),
        Option("fewer parameters", False, "They are exactly equal."),
    )),
    Question("17.q3", "Ablating (zeroing) one head of a trained model…", (
        Option("never matters: heads are redundant", False, "Lab 3 finds heads whose removal costs accuracy."),
        Option("can hurt a lot or not at all, depending on the head — which is measured, not assumed", True,
               "Michel et al. (2019) found many heads prunable, some essential."),
        Option("always destroys the model", False, "Some heads can go with little loss."),
    )),
    Question("17.q4", "Does more heads automatically mean better performance?", (
        Option("Yes, that is why models use many heads", False,
               "On Lab 2's task 1, 2 and 4 heads all reach the same accuracy with the same parameters."),
        Option("No: heads give a layer several attention patterns at once at no parameter cost, but whether "
               "that helps is an empirical question per task", True, "Choose h by experiment."),
        Option("No: more heads always overfit", False, "There is no such rule either."),
    )),
])
