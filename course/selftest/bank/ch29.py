"""Self-test of chapter 29: the score work a causal kernel really does, and training FLOPs per token."""
from __future__ import annotations

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def causal_score_flops(n: int, d: int, block: int) -> int:
    """Forward FLOPs of QKᵀ and weights·V when a tiled causal kernel skips the tiles above the diagonal."""
    tiles = n // block
    computed = tiles * (tiles + 1) // 2             # tiles on or below the diagonal
    per_tile = 2 * (2 * block * block * d)          # QKᵀ and weights·V of one block × block tile
    return computed * per_tile


def _tile_cases(g):
    return [{"n": n, "d": d, "block": b} for n, d, b in
            ((1024, 768, 128), (4096, 4096, 64), (512, 64, 512), (6, 2, 1), (96, 40, 32))]


CAUSAL_FLOPS = Exercise(
    key="29.causal_score_flops", title="causal_score_flops",
    signature="causal_score_flops(n, d, block) -> int",
    task="""A tiled attention kernel (FlashAttention-style) cuts the n × n score matrix into square tiles of
`block × block` (query block × key block). With a causal mask it **skips every tile that lies entirely above
the diagonal** (all its keys are in the future) and computes every other tile in full — a tile on the
diagonal is half masked, but it is still computed as a whole.

Return the forward FLOPs of the two n²-sized matmuls of one layer, **QKᵀ and weights·V**, summed over all
heads, under that rule.

- `n` (int): sequence length, a multiple of `block`; `d` (int): model width (= heads × head size);
  `block` (int): tile size, 1 ≤ block ≤ n.
- Convention: a multiply-add is 2 FLOPs, so one block × block tile costs 2·block²·d for QKᵀ and the same
  again for weights·V (summed over heads).
- Returns an exact Python `int` (compared exactly).

Check yourself: `block = n` means one tile and no skipping — the chapter's 4·n²·d.""",
    reference=causal_score_flops, make_cases=_tile_cases,
    mistakes=[
        Mistake("no_skipping", "that is the full n × n matrix (4·n²·d): the tiles entirely above the diagonal "
                "are skipped — count only the tiles on or below it.", lambda n, d, block: 4 * n * n * d),
        Mistake("exact_half", "half of 4·n²·d assumes a kernel that skips every masked *entry*; tiles are all "
                "or nothing, so the diagonal tiles are computed in full. Count tiles: m(m+1)/2 of them, m = n/block.",
                lambda n, d, block: 2 * n * n * d),
        Mistake("no_diagonal", "the tiles on the diagonal hold unmasked pairs (every query sees itself): they "
                "are computed too — m(m+1)/2 tiles, not m(m−1)/2.",
                lambda n, d, block: (n // block) * (n // block - 1) // 2 * 4 * block * block * d),
        Mistake("one_matmul", "count both matmuls on each tile: QKᵀ and weights·V, 2·block²·d FLOPs each.",
                lambda n, d, block: (n // block) * (n // block + 1) // 2 * 2 * block * block * d),
    ])


def train_flops_per_token(n_layers: int, d: int, d_ff: int, context: int) -> int:
    """Training FLOPs per token of the Transformer layers: 3 × (weights + attention over the context)."""
    weight_flops = 2 * (4 * d * d + 2 * d * d_ff)   # 2 FLOPs per weight of W_q, W_k, W_v, W_o, W_1, W_2
    context_flops = 2 * 2 * context * d             # this token's row of QKᵀ and of weights·V
    return 3 * n_layers * (weight_flops + context_flops)


def _train_cases(g):
    return [{"n_layers": l, "d": d, "d_ff": f, "context": t} for l, d, f, t in
            ((12, 768, 3072, 1024), (96, 12288, 49152, 2048), (2, 64, 96, 128), (4, 128, 384, 16))]


TRAIN_FLOPS = Exercise(
    key="29.train_flops_per_token", title="train_flops_per_token",
    signature="train_flops_per_token(n_layers, d, d_ff, context) -> int",
    task="""The next step after Lab 1's per-layer table: the **training** FLOPs spent on one token by the
model's `n_layers` Transformer layers, when the token attends over a full window of `context` tokens.

- Count the weight matrices W_q, W_k, W_v, W_o (d × d each) and the feed-forward W_1, W_2 (d × d_ff each);
  leave out embeddings, the output layer, biases, norms and the softmax.
- Count the attention matmuls for this token: its row of QKᵀ and its row of weights·V, over all `context`
  keys (no causal skipping).
- Convention: a multiply-add is 2 FLOPs; the backward pass costs twice the forward, so training = 3 × forward.
  This is PaLM's convention, 6·N + 12·L·T·d (Chowdhery et al., 2022, appendix B), where N counts the layers' weights.
- All arguments are `int`; return an exact Python `int` (compared exactly).""",
    reference=train_flops_per_token, make_cases=_train_cases,
    mistakes=[
        Mistake("forward_only", "that is the forward pass; the backward pass costs about twice as much, so "
                "training is 3 × forward.",
                lambda n_layers, d, d_ff, context: n_layers * (8 * d * d + 4 * d * d_ff + 4 * context * d)),
        Mistake("kaplan", "Kaplan et al. (2020) count 6·L·T·d for the context term; the convention asked for "
                "(PaLM's) counts both QKᵀ and weights·V: 12·L·T·d.",
                lambda n_layers, d, d_ff, context: 3 * n_layers * (8 * d * d + 4 * d * d_ff + 2 * context * d)),
        Mistake("no_attention", "6·N is the weights only: add the attention over the context, 12·L·T·d.",
                lambda n_layers, d, d_ff, context: 6 * n_layers * (4 * d * d + 2 * d * d_ff)),
        Mistake("ffn_4d", "use the given d_ff for the feed-forward matrices, not 4·d.",
                lambda n_layers, d, d_ff, context: 3 * n_layers * (8 * d * d + 16 * d * d + 4 * context * d)),
        Mistake("one_layer", "multiply by the number of layers.",
                lambda n_layers, d, d_ff, context: 3 * (8 * d * d + 4 * d * d_ff + 4 * context * d)),
    ])

EXERCISES = [CAUSAL_FLOPS, TRAIN_FLOPS]

QUIZ = Quiz([
    Question("29.q1", "The common answer says h heads make attention cost O(n²·h). With head size d/h, what "
                      "happens to the FLOPs of QKᵀ and weights·V as h grows (n, d fixed)?", (
        Option("They grow ×h: every head builds its own n × n score matrix", False,
               "Each head's matrix costs 2·n²·(d/h): h of them add up to the same 2·n²·d. Lab 3 measures it."),
        Option("They stay 4·n²·d; only the h·n² softmax entries grow", True,
               "FlopCounterMode counts the same matmul FLOPs for every h (Lab 3); the softmax work (and, on the "
               "manual path, the stored weights) is what scales with h."),
        Option("They shrink ×1/h, since every head is h times narrower", False,
               "Each head is narrower, but there are h of them: the total is unchanged."),
    ), misconception=True),
    Question("29.q2", "GPT-2 small (d = 768, d_ff = 3,072) runs at its 1,024-token window. Which part of a "
                      "layer's forward FLOPs is largest?", (
        Option("The scores and weighted sum, as attention is O(n²)", False,
               "At n = 1,024 they are the smallest of the three parts (Lab 1): n² wins only beyond n = 2d + d_ff."),
        Option("The feed-forward network", True,
               "4·n·d·d_ff stays the largest part until n passes d_ff = 3,072; at 1,024 it is over half "
               "of the layer (Lab 1)."),
        Option("The Q, K, V and output projections", False,
               "8·n·d² is half the feed-forward's 4·n·d·d_ff when d_ff = 4d."),
    )),
    Question("29.q3", "The common answer says attention can compute “不同时间步…同时” (all time steps at once). "
                      "When is that true?", (
        Option("Always, in training and in generation alike", False,
               "Generation is sequential: token t+1 cannot be computed before token t is chosen."),
        Option("In training and prefill, where all tokens are known", True,
               "All positions go through one matmul; decoding then adds one token per step (chapter 39)."),
        Option("Never: the causal mask forces position-by-position work", False,
               "The mask only hides future keys; every position's row is computed in the same matmul."),
    )),
    Question("29.q4", "Does a causal mask halve the FLOPs of QKᵀ and weights·V?", (
        Option("Yes: half of the scores are masked", False,
               "The manual path computes all n² scores, then masks them: FlopCounterMode counts the full 4·n²·d."),
        Option("No: applying the mask adds another full n × n pass", False,
               "Masking is n² element-wise operations — small next to the n²·d of the matmuls."),
        Option("Only in kernels that skip fully masked tiles", True,
               "Tiled kernels skip the masked tiles: close to half the work for long sequences (the count after "
               "exercise 1)."),
    )),
])
