"""Self-test of chapter 29: counting the FLOPs of attention and where it overtakes the rest of a layer."""
from __future__ import annotations

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def attention_score_flops(n: int, d: int) -> int:
    """Forward FLOPs of QKᵀ and of (weights)·V for one layer: 2·n²·d each (a multiply-add = 2 FLOPs)."""
    return 4 * n * n * d


def _flop_cases(g):
    return [{"n": n, "d": d} for n, d in ((128, 64), (2048, 768), (4096, 12288))]


SCORE_FLOPS = Exercise(
    key="29.attention_score_flops", title="attention_score_flops",
    signature="attention_score_flops(n, d) -> int",
    reference=attention_score_flops, make_cases=_flop_cases,
    mistakes=[
        Mistake("one_matmul", "count both matmuls, QKᵀ (n×d by d×n) and weights·V (n×n by n×d), each "
                "2·n²·d FLOPs.", lambda n, d: 2 * n * n * d),
        Mistake("macs", "that counts multiply-adds; a multiply-add is 2 FLOPs, and there are two matmuls.",
                lambda n, d: n * n * d),
        Mistake("times_heads", "with head size d/h, h heads cost the same as one head of size d: no factor h.",
                lambda n, d: 4 * n * n * d * 12),
    ])


def crossover_length(d: int, d_ff: int) -> float:
    """n at which score FLOPs 4n²d equal the projections 8nd² plus the FFN 4n·d·d_ff: n = 2d + d_ff."""
    return 2 * d + d_ff


def _cross_cases(g):
    return [{"d": d, "d_ff": f} for d, f in ((768, 3072), (12288, 49152), (64, 256))]


CROSSOVER = Exercise(
    key="29.crossover_length", title="crossover_length", signature="crossover_length(d, d_ff) -> number",
    reference=crossover_length, make_cases=_cross_cases,
    mistakes=[
        Mistake("no_ffn", "the rest of the layer includes the feed-forward network (4·n·d·d_ff), not only "
                "the projections.", lambda d, d_ff: 2 * d),
        Mistake("n_equals_d", "solve 4n²d = 8nd² + 4n·d·d_ff for n: n = 2d + d_ff.", lambda d, d_ff: d),
        Mistake("no_projections", "add the four projections (8nd²) as well as the FFN.", lambda d, d_ff: d_ff),
    ])

EXERCISES = [SCORE_FLOPS, CROSSOVER]

QUIZ = Quiz([
    Question("29.q1", "The common answer says h heads cost O(n²·h). With d_head = d/h, the score FLOPs of h heads are…", (
        Option("h times those of one head of size d", False, "Each head's matmul is h times smaller."),
        Option("O(n²·d) whatever h is; only the n²·h softmax entries grow with h", True,
               "Lab 3 measures nearly flat time across h."),
        Option("O(n·d)", False, "The score matrix is n×n per head."),
    ), misconception=True),
    Question("29.q2", "For GPT-2 small (d = 768, d_ff = 3072), score FLOPs overtake the rest of a layer at…", (
        Option("n ≈ 768", False, "That ignores the FFN and the factor 2 of the projections."),
        Option("n = 2d + d_ff ≈ 4,600 tokens — beyond GPT-2's 1,024-token window", True,
               "At GPT-2's lengths the projections and FFN dominate; Lab 1 plots the shares."),
        Option("n ≈ 100", False, "Attention is a small share at short lengths."),
    )),
    Question("29.q3", "“Attention runs in parallel, which reduces its complexity” — true?", (
        Option("Yes", False, "Parallel hardware lowers wall time per FLOP, not the number of FLOPs or bytes."),
        Option("No: parallelism changes time, not complexity; O(n²) memory of the score matrix is often the "
               "real limit in training", True, "Lab 2 measures memory kept for backward."),
        Option("Only on GPUs", False, "Complexity is the same everywhere."),
    )),
])
