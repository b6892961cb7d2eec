"""Self-test of chapter 32: counting the parameters of a shared, factorized GPT; the best rank-r approximation."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def gpt_params(vocab_size: int, context: int, d_model: int, n_layers: int, rank: int | None = None,
               shared: bool = False) -> int:
    """Parameters of the course GPT (tied head, learned positions, LayerNorm, biases, d_ff = 4·d)."""
    d = d_model
    block = (4 * d * d + 4 * d) + (8 * d * d + 5 * d) + 2 * (2 * d)
    tokens = vocab_size * d if rank is None else vocab_size * rank + rank * d
    return tokens + context * d + (1 if shared else n_layers) * block + 2 * d


def _count_cases(g):
    return [{"vocab_size": 232, "context": 32, "d_model": 64, "n_layers": 2},
            {"vocab_size": 1000, "context": 64, "d_model": 128, "n_layers": 4, "shared": True},
            {"vocab_size": 30000, "context": 512, "d_model": 768, "n_layers": 12, "rank": 128},
            {"vocab_size": 500, "context": 16, "d_model": 32, "n_layers": 6, "rank": 8, "shared": True}]


def _shared_still_counted(vocab_size, context, d_model, n_layers, rank=None, shared=False):
    return gpt_params(vocab_size, context, d_model, n_layers, rank, False)


def _projection_forgotten(vocab_size, context, d_model, n_layers, rank=None, shared=False):
    full = gpt_params(vocab_size, context, d_model, n_layers, rank, shared)
    return full if rank is None else full - rank * d_model


def _untied_head(vocab_size, context, d_model, n_layers, rank=None, shared=False):
    return gpt_params(vocab_size, context, d_model, n_layers, rank, shared) + vocab_size * d_model


def _no_positions(vocab_size, context, d_model, n_layers, rank=None, shared=False):
    return gpt_params(vocab_size, context, d_model, n_layers, rank, shared) - context * d_model


def _no_norms(vocab_size, context, d_model, n_layers, rank=None, shared=False):
    d = d_model
    return gpt_params(vocab_size, context, d_model, n_layers, rank, shared) - (1 if shared else n_layers) * 4 * d - 2 * d


def _no_biases(vocab_size, context, d_model, n_layers, rank=None, shared=False):
    d = d_model
    return gpt_params(vocab_size, context, d_model, n_layers, rank, shared) - (1 if shared else n_layers) * 9 * d


COUNT = Exercise(
    key="32.count", title="gpt_params",
    signature="gpt_params(vocab_size, context, d_model, n_layers, rank=None, shared=False) -> int",
    reference=gpt_params, make_cases=_count_cases,
    task="""Count the parameters of the course's GPT from its shape alone, as `count_parameters` counts them
(a shared tensor once). The model has:

- a token embedding, tied to the output layer (the head adds nothing): `vocab_size × d_model`, or, with
  `rank` set, the factorized pair `vocab_size × rank` and `rank × d_model`;
- learned positions, `context × d_model`;
- `n_layers` pre-LN blocks, each: attention Q, K, V, O (four `d × d` weights with biases), a feed-forward
  layer `d → 4d → d` (weights and biases), and two LayerNorms (γ and β each); with `shared=True` all blocks
  are the same block, counted once;
- a final LayerNorm.

- All arguments are ints (`rank`: None or an int ≥ 1; `shared`: a bool). Return a Python int.""",
    mistakes=[
        Mistake("shared_still_counted", "with shared=True the blocks are one module: count one block, not "
                "n_layers of them.", _shared_still_counted),
        Mistake("projection_forgotten", "a factorized embedding has two matrices: vocab_size × rank AND the "
                "rank × d_model projection.", _projection_forgotten),
        Mistake("untied_head", "the output layer is tied to the embedding: it adds no parameters.", _untied_head),
        Mistake("no_positions", "learned positions add context × d_model.", _no_positions),
        Mistake("no_norms", "each block has two LayerNorms (γ and β, d each) and there is a final one.", _no_norms),
        Mistake("no_biases", "every linear layer has a bias: 4·d in attention, 4·d + d in the feed-forward layer.",
                _no_biases),
    ])


def rank_r_approximation(weight: torch.Tensor, rank: int) -> torch.Tensor:
    """The best rank-r approximation of weight in the Frobenius norm."""
    u, s, vh = torch.linalg.svd(weight, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vh[:rank]


def _svd_cases(g):
    cases = []
    for m, n, rank in ((8, 5, 2), (6, 10, 3), (12, 4, 1), (7, 7, 7)):
        cases.append({"weight": torch.randn(m, n, generator=g) * torch.linspace(2, 0.2, n), "rank": rank})
    return cases


def _no_singular_values(weight, rank):
    u, s, vh = torch.linalg.svd(weight, full_matrices=False)
    return u[:, :rank] @ vh[:rank]


def _smallest(weight, rank):
    u, s, vh = torch.linalg.svd(weight, full_matrices=False)
    return (u[:, -rank:] * s[-rank:]) @ vh[-rank:]


def _truncate_columns(weight, rank):
    out = torch.zeros_like(weight)
    out[:, :rank] = weight[:, :rank]
    return out


def _squared_values(weight, rank):
    u, s, vh = torch.linalg.svd(weight, full_matrices=False)
    return (u[:, :rank] * s[:rank] ** 2) @ vh[:rank]


LOW_RANK = Exercise(
    key="32.low_rank", title="rank_r_approximation",
    signature="rank_r_approximation(weight, rank) -> tensor (m, n)",
    reference=rank_r_approximation, make_cases=_svd_cases,
    task="""Lab 3 called `course.models.sharing.low_rank` to compress an embedding. Write its core: the best
rank-`rank` approximation of a matrix in the Frobenius norm (Eckart–Young: keep the `rank` largest singular
values of the SVD `weight = U·diag(S)·Vᵀ`). Stored as two factors, `(m × rank)` and `(rank × n)`, it
would take rank·(m + n) numbers; here return the product itself.

- `weight`: float32 `(m, n)`; `rank`: int, 1 ≤ rank ≤ min(m, n).
- Return a float32 `(m, n)` tensor; do not modify the input.""",
    mistakes=[
        Mistake("no_singular_values", "U·Vᵀ alone loses the scale: multiply by the singular values, "
                "U[:, :r]·diag(S[:r])·Vᵀ[:r].", _no_singular_values),
        Mistake("smallest", "keep the LARGEST singular values (torch.linalg.svd returns them in descending "
                "order: the first r).", _smallest),
        Mistake("truncate_columns", "keeping r columns is not a rank-r approximation; use the SVD.", _truncate_columns),
        Mistake("squared_values", "use S itself, not S²: the SVD is U·diag(S)·Vᵀ.", _squared_values),
    ])

EXERCISES = [COUNT, LOW_RANK]

QUIZ = Quiz([
    Question("32.q1", "The common answer says regularization “减少参数数量，降低计算复杂度”. ALBERT shares one block "
                      "across all layers. What did Lab 1 measure for the shared model?", (
        Option("Fewer parameters and proportionally fewer FLOPs per training step", False,
               "The shared block is still applied at every layer: FlopCounterMode counts the same FLOPs as the "
               "unshared model (Lab 1)."),
        Option("Fewer parameters, the same FLOPs per training step", True,
               "Storage shrinks with sharing; compute does not, as every layer still runs. Parameters and "
               "compute are separate budgets."),
        Option("The same parameters, shared only in the gradient", False,
               "count_parameters counts one block instead of two: the weights themselves are shared (Lab 1)."),
    ), misconception=True),
    Question("32.q2", "Why did factorizing the embedding save ALBERT far more than it saved the chapter's tiny "
                      "model?", (
        Option("V·d is a large share of ALBERT's parameters, tiny here", True,
               "With V = 30,000 and d up to 4,096 the embedding dominates; in the tiny model it is a small "
               "part (Labs 1–2)."),
        Option("Factorization only pays off together with a shared layer stack", False,
               "The two are independent: Lab 1 factorizes without sharing and still saves V·d − r·(V + d) "
               "parameters."),
        Option("ALBERT factorizes at a higher rank, which saves more", False,
               "A higher rank saves less, not more: the factors store r·(V + d). What differs is V·d itself — "
               "30,000 × up to 4,096 against the tiny model's V × d printed in Lab 1."),
    )),
    Question("32.q3", "Tying the output layer to the token embedding…", (
        Option("…removes V·d parameters, but no FLOPs", True,
               "The head still multiplies by a V×d matrix, it is just the embedding's (Lab 1: fewer parameters, "
               "same FLOPs)."),
        Option("…halves the FLOPs of the output layer", False,
               "The logits still need hidden @ Eᵀ: the same matmul, on a shared matrix."),
        Option("…removes V·d parameters and the head's FLOPs", False,
               "Fewer parameters is not less compute: the head still computes hidden @ Eᵀ over all V tokens, "
               "and Lab 1 counts the same FLOPs tied and untied."),
    )),
    Question("32.q4", "Lab 3 compressed the pretrained tiny GPT's 232 × 128 embedding with a truncated SVD. "
                      "What does keeping rank r cost and save?", (
        Option("Saves r·(V + d) parameters at no change in loss", False,
               "r·(V + d) is what the factors STORE; the saving is V·d − r·(V + d), and small ranks cost loss "
               "(Lab 3)."),
        Option("Stores r·(V + d) numbers; the loss rises as r falls", True,
               "Lab 3 measures the held-out loss at each rank: near the full model at high rank, rising "
               "at low rank."),
        Option("Stores fewer numbers than the full V·d matrix at every rank", False,
               "Only below rank V·d/(V + d): Lab 3 prints that threshold, and at rank 128 the factors hold "
               "more numbers than the matrix."),
    )),
])
