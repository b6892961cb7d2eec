"""Self-test of chapter 34: merging two partial attention results (split-KV), and causal linear attention
as a recurrence."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def merge_attention(out_a: torch.Tensor, lse_a: torch.Tensor, out_b: torch.Tensor,
                    lse_b: torch.Tensor) -> list[torch.Tensor]:
    """Attention over keys A ∪ B from the results over A and over B alone.
    out_* (N, dv) normalized outputs, lse_* (N,) log-sum-exp of each part's scores -> [out (N, dv), lse (N,)]."""
    lse = torch.logaddexp(lse_a, lse_b)
    share_a, share_b = (lse_a - lse).exp()[:, None], (lse_b - lse).exp()[:, None]   # each part's softmax mass
    return [share_a * out_a + share_b * out_b, lse]


def _merge_cases(g):
    # A fixed case first, on which each planted mistake gives its own result, so that each is caught by its
    # own hint at every seed: one query's log-sum-exps (120, 119) overflow exp in float32.
    cases = [{"out_a": torch.tensor([[1.0, -0.5], [0.2, 0.8], [-1.0, 0.3]]), "lse_a": torch.tensor([1.0, 120.0, -0.5]),
              "out_b": torch.tensor([[0.0, 1.5], [-0.6, 0.4], [0.5, -0.2]]), "lse_b": torch.tensor([0.0, 119.0, 2.0])}]
    for n, dv, spread in ((4, 3, 1.0), (6, 5, 30.0), (3, 8, 300.0)):
        cases.append({"out_a": torch.randn(n, dv, generator=g), "lse_a": torch.randn(n, generator=g) * spread,
                      "out_b": torch.randn(n, dv, generator=g), "lse_b": torch.randn(n, generator=g) * spread})
    return cases


def _average(out_a, lse_a, out_b, lse_b):
    return [(out_a + out_b) / 2, torch.logaddexp(lse_a, lse_b)]


def _raw_exp(out_a, lse_a, out_b, lse_b):
    wa, wb = lse_a.exp()[:, None], lse_b.exp()[:, None]
    return [(wa * out_a + wb * out_b) / (wa + wb), (lse_a.exp() + lse_b.exp()).log()]


def _max_lse(out_a, lse_a, out_b, lse_b):
    lse = torch.logaddexp(lse_a, lse_b)
    wa, wb = (lse_a - lse).exp()[:, None], (lse_b - lse).exp()[:, None]
    return [wa * out_a + wb * out_b, torch.maximum(lse_a, lse_b)]


def _sum_lse(out_a, lse_a, out_b, lse_b):
    lse = torch.logaddexp(lse_a, lse_b)
    wa, wb = (lse_a - lse).exp()[:, None], (lse_b - lse).exp()[:, None]
    return [wa * out_a + wb * out_b, lse_a + lse_b]


def _unnormalized(out_a, lse_a, out_b, lse_b):
    m = torch.maximum(lse_a, lse_b)
    return [(lse_a - m).exp()[:, None] * out_a + (lse_b - m).exp()[:, None] * out_b, torch.logaddexp(lse_a, lse_b)]


MERGE = Exercise(
    key="34.merge_attention", title="merge_attention",
    signature="merge_attention(out_a (N, dv), lse_a (N,), out_b (N, dv), lse_b (N,)) -> [out (N, dv), lse (N,)]",
    reference=merge_attention, make_cases=_merge_cases,
    task=("The next step after Lab 1: split the **keys** into two parts A and B (two GPUs, or two workers in "
          "split-KV decoding), attend over each part separately, then combine. For N queries:\n\n"
          "- `out_a` (N, dv) float32: softmax attention over the keys of A only (each row already normalized).\n"
          "- `lse_a` (N,) float32: log Σ_{j∈A} exp(s_ij), the log-sum-exp of each query's scores over A.\n"
          "- `out_b`, `lse_b`: the same over B.\n\n"
          "Return a list `[out, lse]`: `out` (N, dv) equal to softmax attention over A ∪ B, and `lse` (N,) the "
          "log-sum-exp over A ∪ B, so that the result can be merged again with a third part. Scores in the "
          "checker reach ±hundreds: compute in a way that never overflows. Compared up to 1e-4."),
    mistakes=[
        Mistake("average", "each part counts by its share of the softmax mass, exp(lse_a − lse), not 1/2.",
                _average),
        Mistake("raw_exp", "exp(lse) overflows (or underflows) for large scores: weigh the parts by "
                "exp(lse_a − lse) with lse = logaddexp(lse_a, lse_b).", _raw_exp),
        Mistake("max_lse", "the merged log-sum-exp is log(e^lse_a + e^lse_b) = logaddexp(lse_a, lse_b), not "
                "the larger of the two.", _max_lse),
        Mistake("sum_lse", "log-sum-exps combine by logaddexp, not by addition (that would multiply the sums).",
                _sum_lse),
        Mistake("unnormalized", "divide by the total mass: weigh by exp(lse_a − lse), where lse is the merged "
                "log-sum-exp, not by exp(lse_a − max).", _unnormalized),
    ])


def causal_linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Causal linear attention run as an RNN: state S_t = S_{t−1} + φ(k_t) v_tᵀ, z_t = z_{t−1} + φ(k_t).
    q, k (T, d), v (T, dv) -> (T, dv), φ = elu + 1."""
    phi_q, phi_k = F.elu(q) + 1, F.elu(k) + 1
    state, norm = q.new_zeros(q.shape[1], v.shape[1]), q.new_zeros(q.shape[1])
    rows = []
    for t in range(q.shape[0]):
        state = state + torch.outer(phi_k[t], v[t])
        norm = norm + phi_k[t]
        rows.append(phi_q[t] @ state / (phi_q[t] @ norm + 1e-6))
    return torch.stack(rows)


def _lin_cases(g):
    return [{"q": torch.randn(t, d, generator=g), "k": torch.randn(t, d, generator=g),
             "v": torch.randn(t, e, generator=g)} for t, d, e in ((6, 4, 3), (10, 8, 8), (5, 2, 4))]


def _bidirectional(q, k, v):
    fq, fk = F.elu(q) + 1, F.elu(k) + 1
    return (fq @ (fk.T @ v)) / (fq @ fk.sum(0, keepdim=True).T)


def _excludes_self(q, k, v):
    fq, fk = F.elu(q) + 1, F.elu(k) + 1
    weights = (fq @ fk.T).tril(-1)
    return (weights @ v) / (weights.sum(-1, keepdim=True) + 1e-6)


def _no_normalizer(q, k, v):
    fq, fk = F.elu(q) + 1, F.elu(k) + 1
    return (fq @ fk.T).tril() @ v


def _no_feature_map(q, k, v):
    weights = (q @ k.T).tril()
    return (weights @ v) / (weights.sum(-1, keepdim=True) + 1e-6)


def _causal_softmax(q, k, v):
    mask = torch.ones(q.shape[0], q.shape[0], dtype=torch.bool).tril()
    return torch.softmax((q @ k.T / q.shape[-1] ** 0.5).masked_fill(~mask, float("-inf")), -1) @ v


CAUSAL_LINEAR = Exercise(
    key="34.causal_linear_attention", title="causal_linear_attention",
    signature="causal_linear_attention(q (T, d), k (T, d), v (T, dv)) -> (T, dv)",
    reference=causal_linear_attention, make_cases=_lin_cases,
    task=("Causal linear attention, the form a decoder needs (Katharopoulos et al., 2020): position t may use "
          "keys 0 … t **including itself**, with similarity φ(q_t)·φ(k_j), φ(x) = elu(x) + 1:\n\n"
          "out_t = φ(q_t)ᵀ S_t / (φ(q_t)·z_t + 1e-6), where S_t = Σ_{j≤t} φ(k_j) v_jᵀ (d × dv) and "
          "z_t = Σ_{j≤t} φ(k_j) (d).\n\n"
          "- `q`, `k` (T, d) float32; `v` (T, dv) float32 — one head, no batch.\n"
          "- Return (T, dv) float32. Either keep S_t and z_t as a running state (the RNN view: constant memory "
          "per generated token) or use prefix sums; no 1/√d scaling.\n\n"
          "Do not call `course.nn.linear_attention`: the point is to write the recurrence yourself. The checker "
          "compares with `course.nn.linear_attention(..., causal=True)` up to 1e-4, so this rule is yours to keep."),
    mistakes=[
        Mistake("bidirectional", "a decoder's position t may not use later keys: sum over j ≤ t only.",
                _bidirectional),
        Mistake("excludes_self", "the window includes the token itself: add φ(k_t) v_tᵀ to the state before "
                "reading it at step t.", _excludes_self),
        Mistake("no_normalizer", "divide by φ(q_t)·z_t, the analogue of the softmax's denominator.",
                _no_normalizer),
        Mistake("no_feature_map", "apply φ(x) = elu(x) + 1 to q and k so that every similarity is positive.",
                _no_feature_map),
        Mistake("softmax", "that is causal softmax attention, O(T²); linear attention replaces exp(q·k/√d) by "
                "φ(q)·φ(k).", _causal_softmax),
    ])

EXERCISES = [MERGE, CAUSAL_LINEAR]

QUIZ = Quiz([
    Question("34.q1", "The common answer says attention is O(n²) in sequence length. What do efficient methods change?", (
        Option("Nothing: exact attention needs n² time and n² memory, whatever the kernel", False,
               "Tiled exact attention keeps the n² time but needs only O(n) memory (Lab 1)."),
        Option("Tiling keeps exact results in O(n) memory; windows and linear attention cut time", True,
               "Labs 1–3: tiling changes memory, not the result; the others change what is computed."),
        Option("FlashAttention makes exact attention O(n) in time by reading memory in tiles", False,
               "It still computes all n² scores; it only avoids storing them (and moving them through slow memory)."),
        Option("Splitting the work over h heads divides the n² cost by h, as heads run in parallel", False,
               "Heads split d, not n: h heads of size d/h cost the same matmul FLOPs as one head of size d "
               "(chapter 29); only the h·n² score entries grow with h."),
    ), misconception=True),
    Question("34.q2", "In an online softmax, when a new block raises the running maximum from m to m′, the running sum…", (
        Option("is kept as it is: the new maximum only matters for the blocks still to come", False,
               "Its terms exp(x − m) were computed against the old maximum; mixed with new terms they are wrong."),
        Option("is recomputed from scratch over every score read so far", False,
               "That would need all the scores kept, which is what tiling avoids."),
        Option("is multiplied by exp(m − m′), so all its terms share the new maximum", True,
               "Exercise 1's merge is the same rescaling, applied to two whole partial results."),
    )),
    Question("34.q3", "Lab 3 times linear attention against fused softmax attention at short lengths. Linear is slower there because…", (
        Option("fixed per-call costs dominate until softmax's n² work outgrows them", True,
               "Its time grows slowly while fixed per-call costs dominate; the crossover is where softmax's n² work "
               "outgrows that overhead."),
        Option("its cost is really O(n²) as well, hidden in the sums over keys and values", False,
               "The non-causal form is O(n·d²): its time grows linearly once n is large (Lab 3's fit)."),
        Option("linear attention needs more FLOPs than softmax attention at every length", False,
               "FlopCounterMode in Lab 3 counts fewer FLOPs for linear attention once n exceeds about d."),
    )),
    Question("34.q4", "Lab 4 trains softmax and linear attention on associative recall. The linear model…", (
        Option("matches softmax: it computes the same attention in another order", False,
               "Only tiling computes the same attention; φ(q)·φ(k) is a different similarity."),
        Option("recalls less, since a fixed d × d state must hold all the pairs", True,
               "Lab 4 prints both accuracies; the gap is the price of the O(n·d²) cost."),
        Option("recalls better, since its state summarizes the whole sequence", False,
               "A fixed-size summary is exactly what loses pairs; softmax looks up each key directly."),
    )),
])
