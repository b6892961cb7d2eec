"""Self-test of chapter 39: how many sequences a KV cache lets you serve, and grouped-query attention."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz

GiB = 2**30


def max_batch(memory_bytes: int, n_params: int, n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int,
              bytes_per_value: int) -> int:
    """The most full-length sequences whose KV cache fits in the memory the weights leave free."""
    free = memory_bytes - n_params * bytes_per_value
    per_sequence = 2 * n_layers * n_kv_heads * head_dim * seq_len * bytes_per_value   # K and V
    return max(0, free // per_sequence)


def _per_sequence(a):
    return 2 * a["n_layers"] * a["n_kv_heads"] * a["head_dim"] * a["seq_len"] * a["bytes_per_value"]


def _batch_cases(g):
    layers = int(torch.randint(8, 48, (1,), generator=g))
    return [   # LLaMA-2 7B on 80 GiB; LLaMA-2 70B (GQA) on 2 × 80 GiB; 13B weights that do not fit in 24 GiB;
        dict(memory_bytes=80 * GiB, n_params=6_738_415_616, n_layers=32, n_kv_heads=32, head_dim=128,
             seq_len=4096, bytes_per_value=2),
        dict(memory_bytes=160 * GiB, n_params=68_976_648_192, n_layers=80, n_kv_heads=8, head_dim=128,
             seq_len=4096, bytes_per_value=2),
        dict(memory_bytes=24 * GiB, n_params=13_015_864_320, n_layers=40, n_kv_heads=40, head_dim=128,
             seq_len=4096, bytes_per_value=2),
        # GPT-2 small in int8 on 8 GiB; a random shape in fp32
        dict(memory_bytes=8 * GiB, n_params=124_439_808, n_layers=12, n_kv_heads=12, head_dim=64,
             seq_len=1024, bytes_per_value=1),
        dict(memory_bytes=int(torch.randint(8, 40, (1,), generator=g)) * GiB, n_params=1_000_000_000 + layers,
             n_layers=layers, n_kv_heads=int(torch.randint(1, 9, (1,), generator=g)), head_dim=64,
             seq_len=int(torch.randint(512, 8192, (1,), generator=g)), bytes_per_value=4),
    ]


MAX_BATCH = Exercise(
    key="39.max_batch", title="max_batch",
    signature="max_batch(memory_bytes, n_params, n_layers, n_kv_heads, head_dim, seq_len, bytes_per_value) -> int",
    reference=max_batch, make_cases=_batch_cases,
    task=(
        "A GPU has `memory_bytes` of memory. It holds the model's weights (`n_params` values) and the KV "
        "caches of a batch of sequences, each `seq_len` tokens long (the full context). Return the **largest "
        "batch** (a Python `int`) whose caches fit beside the weights, and `0` when not even the weights "
        "fit.\n\n"
        "- All arguments are Python `int`s; weights and cache use the same `bytes_per_value` (2 for fp16, "
        "1 for int8, 4 for fp32).\n"
        "- A sequence's cache holds keys **and** values for every layer, KV head, position and head "
        "dimension (Lab 1).\n"
        "- A sequence must fit whole: round down. Ignore activations and fragmentation.\n"
        "- Compared exactly: the answer is a count."),
    mistakes=[
        Mistake("no_weights", "the weights occupy memory too: subtract n_params · bytes_per_value first.",
                lambda **a: max(0, a["memory_bytes"] // _per_sequence(a))),
        Mistake("only_keys", "the cache holds keys *and* values: each sequence needs twice what you counted.",
                lambda **a: max(0, (a["memory_bytes"] - a["n_params"] * a["bytes_per_value"])
                                // (_per_sequence(a) // 2))),
        Mistake("round_up", "a sequence that only partly fits cannot be served: round down (floor), not up.",
                lambda **a: max(0, -(-(a["memory_bytes"] - a["n_params"] * a["bytes_per_value"])
                                     // _per_sequence(a)))),
        Mistake("negative", "when the weights alone do not fit, no sequence can be served: return 0, not a "
                "negative number.",
                lambda **a: (a["memory_bytes"] - a["n_params"] * a["bytes_per_value"]) // _per_sequence(a)),
    ])


def grouped_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Causal grouped-query attention without copying k and v: query head h reads KV head h // (H/G)."""
    b, n_q, t, d = q.shape
    groups = k.shape[1]
    per_group = q.reshape(b, groups, n_q // groups, t, d)                 # (B, G, H/G, T, d)
    scores = per_group @ k[:, :, None].transpose(-2, -1) * d ** -0.5    # k broadcast over its group
    future = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(diagonal=1)
    weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
    return (weights @ v[:, :, None]).reshape(b, n_q, t, d)


def _shared(kv, q):
    """(B, G, T, d) -> (B, H, T, d), KV head g serving query heads g·H/G … (g+1)·H/G − 1."""
    return kv.repeat_interleave(q.shape[1] // kv.shape[1], dim=1)


def _tiled(q, k, v):
    rep = q.shape[1] // k.shape[1]
    return F.scaled_dot_product_attention(q, k.repeat(1, rep, 1, 1), v.repeat(1, rep, 1, 1), is_causal=True)


def _grouped_cases(g):
    shapes = ((2, 4, 2, 5, 8), (1, 8, 1, 6, 4), (1, 6, 3, 4, 8), (2, 4, 4, 3, 4))   # B, H, G, T, d
    return [{"q": torch.randn(b, h, t, d, generator=g), "k": torch.randn(b, kv, t, d, generator=g),
             "v": torch.randn(b, kv, t, d, generator=g)} for b, h, kv, t, d in shapes]


GROUPED = Exercise(
    key="39.grouped_attention", title="grouped_attention",
    signature="grouped_attention(q (B, H, T, d), k (B, G, T, d), v (B, G, T, d)) -> (B, H, T, d)",
    reference=grouped_attention, make_cases=_grouped_cases,
    task=(
        "Causal scaled dot-product attention in which H query heads share G key/value heads (G divides H; "
        "G = 1 is multi-query, G = H ordinary multi-head attention).\n\n"
        "- `q`: float32 `(B, H, T, d)`; `k`, `v`: float32 `(B, G, T, d)`. Return float32 `(B, H, T, d)`.\n"
        "- Grouping as in the course's `MultiHeadAttention(n_kv_heads=G)`: query heads 0 … H/G−1 use KV head "
        "0, the next H/G use KV head 1, and so on (query head h uses KV head h // (H/G)).\n"
        "- Scores are scaled by 1/√d; query position i sees key positions 0 … i (itself included).\n"
        "- Do not make H/G copies of `k` and `v` (no `repeat`/`repeat_interleave`/`expand` + copy): view the "
        "queries of each group together and let broadcasting share the keys (the package's written-out path "
        "does copy, for clarity). The checker compares values only, so this last rule is yours to keep."),
    mistakes=[
        Mistake("tiled", "query heads 0 … H/G−1 share KV head 0 (consecutive groups); you paired query head h "
                "with KV head h mod G, as k.repeat(1, H/G, 1, 1) does.", _tiled),
        Mistake("not_causal", "decoder attention is causal: hide keys after the query's position.",
                lambda q, k, v: F.scaled_dot_product_attention(q, _shared(k, q), _shared(v, q))),
        Mistake("no_scale", "divide the scores by √d before the softmax.",
                lambda q, k, v: F.scaled_dot_product_attention(q, _shared(k, q), _shared(v, q), is_causal=True,
                                                               scale=1.0)),
    ])

EXERCISES = [MAX_BATCH, GROUPED]

QUIZ = Quiz([
    Question("39.q1", "The common answer says self-attention computes “different time steps at the same "
                      "time”. What happens when a model generates a 100-token reply?", (
        Option("All 100 tokens come out of one parallel pass, just as in training", False,
               "Training scores every position at once because every token is known in advance. In generation "
               "token t+1 is the input of the next step, so it cannot be computed before token t exists (Lab 2)."),
        Option("One forward pass per new token; only the prompt goes in one pass", True,
               "Lab 2: the prefill reads the 64-token prompt in one parallel pass; the 95 tokens after it "
               "take 95 passes, and a decoding step costs many times the prefill's time per token."),
        Option("The KV cache lets a single pass produce several upcoming tokens", False,
               "The cache avoids recomputing the keys and values of past tokens; each new token still needs a "
               "forward pass of its own."),
    ), misconception=True),
    Question("39.q2", "GPT-3 175B in fp16 serves one 2,048-token sequence. How does its KV cache compare with "
                      "its weights?", (
        Option("About the same size: with a long context the cache rivals the weights", False,
               "Lab 1: 9 GiB of cache against 326 GiB of weights. The cache rivals the weights only when many "
               "sequences are served at once."),
        Option("About 3 % of them; the cache catches up at a few dozen sequences", True,
               "Lab 1: 9 GiB against 326 GiB; the two are equal at a batch of about 36 full-length sequences. "
               "What grows with context and batch is the cache, not the weights."),
        Option("Larger: every layer keeps an n × n attention matrix for the sequence", False,
               "Decoding keeps keys and values (n × d per layer), not attention matrices: each step has one "
               "query, a row of n weights that is used and discarded."),
    )),
    Question("39.q3", "A model with 64 query heads switches to grouped-query attention with 8 KV heads. What "
                      "changes?", (
        Option("The KV cache and the attention-score FLOPs both shrink 8×", False,
               "Every query head still scores every cached key: Lab 3 counts the same attention FLOPs per step "
               "for 8, 2 and 1 KV heads. What shrinks is what is stored and read."),
        Option("The cache shrinks 8×; score FLOPs stay the same", True,
               "Lab 3 measures the stored cache shrinking by H/G; each of the 64 query heads still computes "
               "its own scores against its group's keys."),
        Option("The KV cache shrinks 64×, since each KV head serves one group", False,
               "64× would be multi-query attention (one KV head). With 8 KV heads the cache is 8 / 64 of "
               "multi-head's: 8× smaller."),
    )),
    Question("39.q4", "In Lab 3, why does sharing KV heads speed up decoding several-fold at batch 32 but much less "
                      "at batch 1?", (
        Option("Fewer KV heads mean fewer FLOPs, and FLOPs only matter at a large batch", False,
               "Lab 3 counts the same attention FLOPs for every number of KV heads, and only slightly fewer "
               "linear-layer FLOPs; the saving is in memory read."),
        Option("At batch 1 the weights, not the cache, are most of what a step reads", True,
               "Lab 3: at 512 tokens one sequence's cache is 2 MiB (plus the copy that extends it each step) "
               "against 7.1 MiB of weights; at batch 32 it is 64 MiB, and reading and extending it dominates "
               "the step."),
        Option("At batch 1 nothing is cached: the cache is only used for batches", False,
               "The cache is used at any batch size (Lab 2 runs at batch 1); it is just small there."),
    )),
])
