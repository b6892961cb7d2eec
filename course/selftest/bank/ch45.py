"""Self-test of chapter 45: an N:M structured-sparsity mask, and the load-balancing loss of a router."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def n_m_mask(w: torch.Tensor, n: int, m: int) -> torch.Tensor:
    """Keep the n largest |w| of every m consecutive weights along each row (NVIDIA's 2:4 when n=2, m=4)."""
    groups = w.abs().reshape(w.shape[0], -1, m)                          # (out, in/m, m)
    keep = torch.zeros_like(groups, dtype=torch.bool)
    keep.scatter_(-1, groups.topk(n, dim=-1).indices, True)
    return keep.reshape(w.shape)


def _nm_cases(g):
    # A fixed case first, on which each planted mistake gives its own mask, so that each is caught by its
    # own hint at every seed: row 0's 4 largest |w| are not 2 per group of 4 consecutive weights, and the
    # strided groups (columns 0, 2, 4, 6 and 1, 3, 5, 7) keep yet another set.
    cases = [{"w": torch.tensor([[-9.0, 0.1, 0.2, 0.3, 5.0, 4.0, 3.0, 2.0],
                                 [0.5, -1.5, 2.5, -0.7, 1.2, -0.3, 0.8, -2.2]]), "n": 2, "m": 4}]
    for out, inp, n, m in ((3, 8, 2, 4), (4, 12, 1, 4), (2, 16, 2, 8), (5, 6, 1, 2)):
        w = torch.randn(out, inp, generator=g)
        w[0, :m] = torch.tensor([-9.0] + [0.1 * (i + 1) for i in range(m - 1)])   # a large negative weight
        cases.append({"w": w, "n": n, "m": m})
    return cases


def _smallest(w, n, m):
    groups = w.abs().reshape(w.shape[0], -1, m)
    keep = torch.zeros_like(groups, dtype=torch.bool)
    keep.scatter_(-1, groups.topk(n, dim=-1, largest=False).indices, True)
    return keep.reshape(w.shape)


def _signed(w, n, m):
    groups = w.reshape(w.shape[0], -1, m)
    keep = torch.zeros_like(groups, dtype=torch.bool)
    keep.scatter_(-1, groups.topk(n, dim=-1).indices, True)
    return keep.reshape(w.shape)


def _whole_row(w, n, m):
    keep = torch.zeros_like(w, dtype=torch.bool)
    keep.scatter_(-1, w.abs().topk(w.shape[1] * n // m, dim=-1).indices, True)
    return keep


def _strided(w, n, m):
    out, inp = w.shape
    groups = w.abs().reshape(out, m, inp // m).transpose(1, 2)          # every (in/m)-th weight together
    keep = torch.zeros_like(groups, dtype=torch.bool)
    keep.scatter_(-1, groups.topk(n, dim=-1).indices, True)
    return keep.transpose(1, 2).reshape(w.shape)


NM_MASK = Exercise(
    key="45.nm_mask", title="n_m_mask",
    signature="n_m_mask(w, n, m) -> bool tensor like w",
    reference=n_m_mask, make_cases=_nm_cases,
    task="""Unstructured pruning (Lab 1) leaves zeros scattered anywhere, which dense kernels cannot skip
(Lab 2). **N:M structured sparsity** keeps exactly `n` weights in every group of `m` consecutive weights,
a pattern hardware can skip: NVIDIA's sparse tensor cores run 2:4 (Mishra et al., 2021).

Return the mask that keeps, in every row of `w`, the `n` weights of largest **magnitude** `|w|` among each
group of `m` consecutive entries (columns `0…m-1`, then `m…2m-1`, …).

- `w`: float32 `(out, in)`, `in` divisible by `m`; `n`, `m`: ints with `1 ≤ n < m` (the checks use 2:4,
  1:4, 2:8 and 1:2). No ties occur in the checks.
- Return a bool tensor of shape `(out, in)`, **True = kept**: exactly `n` True in each group.""",
    mistakes=[
        Mistake("smallest", "True marks the n weights of *largest* magnitude in each group, the ones kept; "
                "yours marks the smallest (or the pruned ones).", _smallest),
        Mistake("signed", "rank by magnitude |w|: a weight of −9 matters more than one of 0.3.", _signed),
        Mistake("whole_row", "the n-of-m rule holds in *every group* of m consecutive weights, not just on "
                "average over the row: that is what lets hardware skip them.", _whole_row),
        Mistake("strided", "a group is m *consecutive* columns (0…m−1, m…2m−1, …); reshape a row to "
                "(in/m, m), not (m, in/m).", _strided),
    ])


def balance_loss(router_logits: torch.Tensor, top_k: int = 1) -> torch.Tensor:
    """E · Σ_i f_i P_i: f_i the fraction of tokens whose top-k include expert i, P_i the mean probability."""
    probs = torch.softmax(router_logits, dim=-1)
    top = probs.topk(top_k, dim=-1).indices
    f = torch.zeros_like(probs).scatter(-1, top, 1.0).sum(dim=0) / probs.shape[0]
    return probs.shape[1] * torch.dot(f, probs.mean(dim=0))


def _balance_cases(g):
    # A fixed top-2 case first, on which each planted mistake gives its own value, so that each is caught by
    # its own hint at every seed.
    cases = [{"router_logits": torch.tensor([[2.0, 1.0, 0.0, -1.0], [1.5, 0.0, 1.0, -0.5], [0.0, 2.0, -1.0, 0.5],
                                             [1.0, -1.0, 0.5, 0.0], [2.5, 0.5, 0.0, -1.0]]), "top_k": 2}]
    for n, e, k, skew in ((64, 4, 1, 0.0), (50, 8, 2, 0.0), (40, 6, 3, 0.0), (32, 4, 1, 4.0), (48, 8, 2, 3.0)):
        logits = torch.randn(n, e, generator=g)
        logits[:, 0] += skew                              # a router leaning towards expert 0
        case = {"router_logits": logits}
        if k != 1:
            case["top_k"] = k
        cases.append(case)
    return cases


def _no_experts_factor(router_logits, top_k=1):
    return balance_loss(router_logits, top_k) / router_logits.shape[1]


def _top1_only(router_logits, top_k=1):
    return balance_loss(router_logits, 1)


def _per_assignment(router_logits, top_k=1):
    return balance_loss(router_logits, top_k) / top_k


def _probs_squared(router_logits, top_k=1):
    p = torch.softmax(router_logits, dim=-1).mean(dim=0)
    return router_logits.shape[1] * (p * p).sum()


def _logits_not_probs(router_logits, top_k=1):
    top = router_logits.topk(top_k, dim=-1).indices
    f = torch.zeros_like(router_logits).scatter(-1, top, 1.0).mean(dim=0)
    return router_logits.shape[1] * (f * router_logits.mean(dim=0)).sum()


BALANCE = Exercise(
    key="45.balance_loss", title="balance_loss",
    signature="balance_loss(router_logits, top_k=1) -> 0-d tensor",
    reference=balance_loss, make_cases=_balance_cases,
    task="""The auxiliary load-balancing loss that Lab 4 called from the package (Switch Transformer, Fedus
et al., 2021, eq. 4–6; for top-k as in Mixtral):

`loss = E · Σ_i f_i · P_i`

- `P_i`: the router's softmax probability of expert `i`, averaged over the N tokens;
- `f_i`: the fraction of the N tokens whose `top_k` highest-probability experts include `i` (a token
  counts once for each of its `top_k` experts, so `Σ_i f_i = top_k`).

- `router_logits`: float32 `(N, E)`, one row per token (the checks include routers that favour expert 0);
  `top_k`: int, `1 ≤ top_k ≤ E` (the checks use 1, 2 and 3).
- Return a 0-d float tensor. Perfectly balanced routing gives exactly `top_k`.""",
    mistakes=[
        Mistake("no_experts_factor", "multiply by the number of experts E: the loss is E · Σ f_i P_i, so "
                "that balance gives top_k whatever E is.", _no_experts_factor),
        Mistake("top1_only", "count a token for each of its `top_k` experts, not only its first.", _top1_only),
        Mistake("per_assignment", "f_i is a fraction of *tokens* (Σ f_i = top_k), not of the N·top_k "
                "assignments.", _per_assignment),
        Mistake("probs_squared", "f_i is the fraction of tokens actually *sent* to expert i (from the top-k "
                "choice), not its mean probability again.", _probs_squared),
        Mistake("logits_not_probs", "P_i averages the softmax *probabilities*, not the raw logits.",
                _logits_not_probs),
    ])

EXERCISES = [NM_MASK, BALANCE]

QUIZ = Quiz([
    Question("45.q1", "The common answer says Transformer LMs “通常使用稀疏权重矩阵” made sparse by Adam. What "
                      "did Lab 1 measure in the AdamW-trained tiny GPT?", (
        Option("Its weights are dense: no exact zeros, sparsity must be imposed", True,
               "Lab 1 counts 0 exact zeros in the 16 Linear weights. Optimizers like Adam do not create zeros; "
               "sparsity comes from pruning, from N:M patterns, or from routing (MoE)."),
        Option("Most weights are zero already, which is why LLMs run fast", False,
               "Lab 1 counts the zeros of the trained model: there are none. Dense matmuls do the work."),
        Option("Adam's per-weight step sizes drive unimportant weights to exact zero", False,
               "Adam rescales steps per weight; nothing in its update sets a weight to exactly zero, and the "
               "trained model has no zeros."),
    ), misconception=True),
    Question("45.q2", "You prune 90 % of a layer's weights by magnitude and keep the tensor dense. What "
                      "happens to the time of its matmul on a CPU or GPU?", (
        Option("It drops about tenfold, since 90 % of the products are zero", False,
               "A dense kernel multiplies zeros like any other number: Lab 2 times the matrix full of zeros "
               "at about the dense matrix's time."),
        Option("It drops on a GPU, whose cores skip zero products", False,
               "GPU dense kernels (cuBLAS) multiply zeros too (not measured here); only special patterns such "
               "as 2:4 on sparse tensor cores are skipped. On the CPU, Lab 2 times it at about the dense time."),
        Option("About unchanged: the kernel still multiplies every zero", True,
               "Lab 2 times it at about the dense matrix's time (a FLOP counter cannot show this: it reads only "
               "shapes). Speed needs smaller dense matrices (structured pruning), hardware patterns like 2:4, "
               "or high sparsity with a sparse kernel."),
    )),
    Question("45.q3", "Stored in PyTorch's CSR format (int64 column indices), when does a pruned float32 "
                      "matrix take fewer bytes than the dense one?", (
        Option("As soon as any weight is zero, since zeros need no storage at all", False,
               "Every kept value carries an 8-byte column index: 12 bytes per non-zero against 4 dense (Lab 1)."),
        Option("Beyond about two thirds zeros: each value carries an index", True,
               "12 bytes per kept value vs 4 per dense entry: CSR wins below a third kept (Lab 1's table)."),
        Option("From 50 % sparsity on, where half the values are gone", False,
               "At 50 % CSR holds 0.5 × 12 = 6 bytes per entry, more than the dense 4 (Lab 1's table)."),
    )),
    Question("45.q4", "int8 dynamic quantization of the tiny GPT's Linear layers (Lab 3). Which is right?", (
        Option("Linear weights stored as int8; activations quantized at each call", True,
               "That is what “dynamic” means: the weights' scales are fixed ahead, the activations' at run "
               "time. Lab 3 measures the smaller file and the validation loss barely moving."),
        Option("It does fewer multiply-adds, hence its speed-up", False,
               "The same multiply-adds are done, in int8 instead of float32: cheaper each, not fewer."),
        Option("Every tensor, embeddings included, becomes int8: a file four times smaller", False,
               "Only the blocks' nn.Linear weights become int8; embeddings, norms and biases stay float32 and "
               "PyTorch adds a scale and a zero point per row, so the file shrinks about 3× (Lab 3)."),
    )),
    Question("45.q5", "A mixture-of-experts layer with 8 experts and top-2 routing replaces a dense FFN of "
                      "the same width. Per token, compared with the dense FFN, it has…", (
        Option("8× the parameters and 8× the FLOPs per token", False,
               "Each token runs through only 2 experts: Lab 4 measures FLOPs independent of the expert count."),
        Option("the same parameters as the dense FFN and 2× the FLOPs", False,
               "Every expert has its own FFN weights: parameters grow with the 8 experts (Lab 4)."),
        Option("8× the FFN's parameters but only about 2× its FLOPs", True,
               "Lab 4: parameters grow with E, FLOPs with k (plus a tiny router of 2·d·E per token)."),
    )),
])
