"""Self-test of chapter 39: the size of the KV cache and sharing keys and values across heads."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int,
                   bytes_per_value: int) -> int:
    """Keys and values (2) of every layer, KV head, position and sequence."""
    return 2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value


def _kv_cases(g):
    return [dict(n_layers=12, n_kv_heads=12, head_dim=64, seq_len=1024, batch=1, bytes_per_value=2),
            dict(n_layers=80, n_kv_heads=8, head_dim=128, seq_len=4096, batch=4, bytes_per_value=2),
            dict(n_layers=96, n_kv_heads=96, head_dim=128, seq_len=2048, batch=2, bytes_per_value=4)]


KV_BYTES = Exercise(
    key="39.kv_cache_bytes", title="kv_cache_bytes",
    signature="kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch, bytes_per_value) -> int",
    reference=kv_cache_bytes, make_cases=_kv_cases,
    mistakes=[
        Mistake("only_keys", "the cache holds keys *and* values: a factor 2.",
                lambda **a: kv_cache_bytes(**a) // 2),
        Mistake("one_layer", "every layer keeps its own keys and values: multiply by n_layers.",
                lambda **a: kv_cache_bytes(**a) // a["n_layers"]),
        Mistake("bits", "bytes_per_value is already in bytes (2 for fp16/bf16); do not multiply by 8.",
                lambda **a: kv_cache_bytes(**a) * 8),
    ])


def repeat_kv(k: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Grouped-query attention: (B, G, T, d) keys of G groups -> (B, G·n_rep, T, d), each group's
    keys repeated for the n_rep query heads that share them (heads 0..n_rep−1 use group 0, …)."""
    return k.repeat_interleave(n_rep, dim=1)


def _rep_cases(g):
    return [{"k": torch.randn(*s, generator=g), "n_rep": r} for s, r in (((1, 2, 3, 4), 2), ((2, 4, 5, 2), 3),
                                                                         ((1, 1, 4, 4), 4))]


REPEAT = Exercise(
    key="39.repeat_kv", title="repeat_kv", signature="repeat_kv(k (B, G, T, d), n_rep) -> (B, G·n_rep, T, d)",
    reference=repeat_kv, make_cases=_rep_cases,
    mistakes=[
        Mistake("tile", "k.repeat(1, n_rep, 1, 1) tiles the groups (0, 1, 0, 1, …); query heads 0..n_rep−1 "
                "must share group 0: use repeat_interleave.", lambda k, n_rep: k.repeat(1, n_rep, 1, 1)),
        Mistake("wrong_dim", "repeat along the head dimension (1), not along time.",
                lambda k, n_rep: k.repeat_interleave(n_rep, dim=2)),
        Mistake("no_repeat", "each of the G·n_rep query heads needs a key tensor: repeat the groups.",
                lambda k, n_rep: k),
    ])

EXERCISES = [KV_BYTES, REPEAT]

QUIZ = Quiz([
    Question("39.q1", "The common answer discusses attention's O(n²) cost only. What dominates the memory of "
                      "*generation* with a long context?", (
        Option("The n×n attention matrix", False, "During decoding each step has one query: a 1×n row."),
        Option("The KV cache: 2 · layers · KV heads · head size · tokens · batch · bytes, growing linearly "
               "with the context", True, "Lab 1 computes it for real models; for long contexts it rivals the weights."),
        Option("The vocabulary embedding", False, "It is fixed and shared."),
    ), misconception=True),
    Question("39.q2", "What does the KV cache save at each decoding step?", (
        Option("Recomputing keys and values of all earlier tokens through every layer", True,
               "Each step then costs O(n·d) attention plus one token's projections, instead of a full forward pass."),
        Option("The softmax", False, "The new query still needs a softmax over all cached keys."),
        Option("Nothing, it only saves memory", False, "It costs memory and saves compute (Lab 2)."),
    )),
    Question("39.q3", "Grouped-query attention with 64 query heads and 8 KV heads shrinks the KV cache by…", (
        Option("8×", True, "Only 8 heads' keys and values are stored; each serves 8 query heads."),
        Option("64×", False, "That would be multi-query attention (one KV head)."),
        Option("nothing: the same number of queries", False, "Queries are not cached."),
    )),
])
