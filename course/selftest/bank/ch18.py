"""Self-test of chapter 18: top-k cloze accuracy, and the objective of a linear probe."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def topk_cloze_accuracy(logits: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    """Fraction of the labelled positions (label ≠ −100) whose label is among the k highest logits."""
    in_top = (logits.topk(k, dim=-1).indices == labels.clamp(min=0)[..., None]).any(-1)     # (B, T)
    scored = labels != -100
    return (in_top & scored).sum().item() / scored.sum().item()


def _cloze_cases(g):
    cases = []
    for b, t, v, k in ((2, 6, 10, 1), (3, 5, 12, 3), (1, 8, 7, 2), (4, 4, 20, 5)):
        logits = torch.randn(b, t, v, generator=g)
        labels = torch.randint(0, v, (b, t), generator=g)
        labels[torch.rand(b, t, generator=g) < 0.5] = -100
        labels[0, 0] = int(logits[0, 0].argmax())                     # at least one hit, one labelled position
        cases.append({"logits": logits, "labels": labels, "k": k})
    return cases


def _all_positions(logits, labels, k):
    return (logits.topk(k, -1).indices == labels[..., None]).any(-1).float().mean().item()


def _top1_only(logits, labels, k):
    return topk_cloze_accuracy(logits, labels, 1)


def _lowest_k(logits, labels, k):
    in_low = (logits.topk(k, -1, largest=False).indices == labels.clamp(min=0)[..., None]).any(-1)
    scored = labels != -100
    return (in_low & scored).sum().item() / scored.sum().item()


CLOZE = Exercise(
    key="18.topk_cloze_accuracy", title="topk_cloze_accuracy",
    signature="topk_cloze_accuracy(logits (B, T, V), labels (B, T), k) -> float",
    reference=topk_cloze_accuracy, make_cases=_cloze_cases,
    task=(
        "Score a masked-LM's fill-in-the-blank predictions with **top-k accuracy**.\n\n"
        "- `logits`: `(B, T, V)` float32, the MLM head's scores at every position.\n"
        "- `labels`: `(B, T)` int64: the original token id at the blanked (selected) positions, **−100** "
        "everywhere else (the convention of `mask_tokens`).\n"
        "- `k`: `int` ≥ 1.\n"
        "- A labelled position is a hit when its label is among the k highest logits at that position.\n"
        "- Return a Python `float`: hits / number of labelled positions. Positions with label −100 count "
        "neither as hits nor in the denominator."),
    mistakes=[
        Mistake("all_positions", "only the blanked positions are scored: leave out positions whose label is −100, "
                "also from the denominator.", _all_positions),
        Mistake("top1_only", "use the k highest logits, not only the arg-max (k is a parameter).", _top1_only),
        Mistake("lowest_k", "topk returns the largest values by default; you took the smallest.", _lowest_k),
    ])


def probe_objective(weight: torch.Tensor, bias: torch.Tensor, features: torch.Tensor, labels: torch.Tensor,
                    l2: float) -> torch.Tensor:
    """Mean softmax cross-entropy of features @ weightᵀ + bias, plus l2/2·‖weight‖² (bias unpenalised)."""
    scores = features @ weight.T + bias
    return F.cross_entropy(scores, labels) + 0.5 * l2 * (weight ** 2).sum()


def _probe_cases(g):
    cases = []
    for n, d, c, l2 in ((20, 4, 2, 0.1), (15, 6, 3, 1.0), (30, 3, 5, 0.01), (8, 5, 4, 0.0)):
        cases.append({"weight": torch.randn(c, d, generator=g), "bias": torch.randn(c, generator=g),
                      "features": torch.randn(n, d, generator=g), "labels": torch.randint(0, c, (n,), generator=g),
                      "l2": l2})
    return cases


def _sum_ce(weight, bias, features, labels, l2):
    return F.cross_entropy(features @ weight.T + bias, labels, reduction="sum") + 0.5 * l2 * (weight ** 2).sum()


def _bias_penalised(weight, bias, features, labels, l2):
    return probe_objective(weight, bias, features, labels, l2) + 0.5 * l2 * (bias ** 2).sum()


def _no_half(weight, bias, features, labels, l2):
    return F.cross_entropy(features @ weight.T + bias, labels) + l2 * (weight ** 2).sum()


def _norm_not_squared(weight, bias, features, labels, l2):
    return F.cross_entropy(features @ weight.T + bias, labels) + 0.5 * l2 * weight.norm()


PROBE = Exercise(
    key="18.probe_objective", title="probe_objective",
    signature="probe_objective(weight (C, d), bias (C,), features (N, d), labels (N,), l2) -> scalar tensor",
    reference=probe_objective, make_cases=_probe_cases,
    task=(
        "Return the loss a linear probe minimises: L2-regularised softmax logistic regression.\n\n"
        "- `weight`: `(C, d)` float32 and `bias`: `(C,)` float32, the probe; `features`: `(N, d)` float32, "
        "frozen representations; `labels`: `(N,)` int64 in [0, C); `l2`: `float` ≥ 0.\n"
        "- Scores are `features @ weight.T + bias`, shape `(N, C)`.\n"
        "- Loss = **mean** cross-entropy over the N rows + `l2 / 2 · Σ weight²`. The bias is **not** penalised.\n"
        "- Return a 0-dimensional float tensor (differentiable, so L-BFGS could minimise it)."),
    mistakes=[
        Mistake("sum_ce", "average the cross-entropy over the rows; with a sum the penalty's weight depends on N.",
                _sum_ce),
        Mistake("bias_penalised", "leave the bias out of the penalty: shifting all scores of a class is not "
                "overfitting.", _bias_penalised),
        Mistake("no_half", "the penalty is l2/2 · Σ weight² (the ½ makes its gradient l2 · weight).", _no_half),
        Mistake("norm_not_squared", "penalise the squared norm Σ weight², not the norm ‖weight‖.", _norm_not_squared),
    ])

EXERCISES = [CLOZE, PROBE]

QUIZ = Quiz([
    Question("18.q1", "The common answer says MLM works through “词嵌入学习…增强了词嵌入的语义信息”. Where did "
                      "Lab 2 find the subject's number at a masked verb?", (
        Option("In the word embeddings, which MLM makes richer", False,
               "That is the common answer's claim. At [MASK] the embedding is the same in every sentence: its "
               "probe is at chance for both encoders."),
        Option("In the layers after attention, read at [MASK]", True,
               "It becomes linearly readable after the attention layers gather the context, and more reliably "
               "in the pretrained encoder than in the untrained one."),
        Option("Only in the MLM head's output probabilities", False,
               "The probes read it from the hidden layers, before the head."),
        Option("Nowhere: encoders store no syntax", False,
               "A linear probe reads it at every depth from 1 on (Lab 2)."),
    ), misconception=True),
    Question("18.q2", "A linear probe reads part of speech from an encoder's embeddings with near-perfect "
                      "accuracy. What does that show?", (
        Option("That pretraining taught the encoder grammar", False,
               "The untrained encoder's embeddings give the same score (Lab 3): word identity is enough."),
        Option("Little without a baseline: random embeddings do it too", True,
               "Each word type has its own vector, so a probe can map words to tags; compare with an untrained "
               "encoder or a control task."),
        Option("That the probe is too weak for harder tasks", False,
               "The same kind of probe reads the subject's number at depth 2 (Lab 2)."),
    )),
    Question("18.q3", "Why are probes usually linear?", (
        Option("So that the probe reads what is already explicit", True,
               "A deep probe could compute the property itself from raw inputs, and would then measure the probe."),
        Option("Because nonlinear probes cannot be trained on frozen features", False,
               "They can; they just blur what the representation contributes."),
        Option("Because encoder hidden states are linear in the input", False,
               "They are not: attention, GELU and LayerNorm are nonlinear."),
    )),
    Question("18.q4", "What does a masked-LM learn less efficiently than a next-token LM, per training sentence?", (
        Option("Nothing: every position produces a loss in both", False,
               "In MLM only the selected 15 % of positions carry a target."),
        Option("Bidirectional context, which it cannot see", False,
               "Seeing both sides is MLM's advantage (chapter 13)."),
        Option("Fewer targets: only the 15 % selected give a loss", True,
               "ELECTRA (Clark et al., 2020) trains on every position instead, by detecting replaced tokens."),
    )),
])
