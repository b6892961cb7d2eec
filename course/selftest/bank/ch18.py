"""Self-test of chapter 18: top-k cloze accuracy, and a linear probe's penalty in scikit-learn's terms."""
from __future__ import annotations

import torch

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


def sklearn_C(l2: float, n: int, n_classes: int) -> float:
    """scikit-learn's C for mean cross-entropy + l2/2·‖W‖² on n rows: 1/(l2·n), and 2/(l2·n) for two classes
    (scikit-learn then fits one vector w = W₁ − W₀, whose squared norm is twice the penalised one)."""
    c = 1.0 / (l2 * n)
    return 2 * c if n_classes == 2 else c


def _c_cases(g):
    return [{"l2": l2, "n": n, "n_classes": k}
            for l2, n, k in ((1e-3, 1000, 2), (1e-2, 500, 5), (0.1, 40, 3), (1e-3, 300, 2), (1.0, 8, 4))]


def _no_two(l2, n, n_classes):
    return 1.0 / (l2 * n)


def _two_everywhere(l2, n, n_classes):
    return 2.0 / (l2 * n)


def _no_n(l2, n, n_classes):
    return (2.0 if n_classes == 2 else 1.0) / l2


SKLEARN_C = Exercise(
    key="18.sklearn_C", title="sklearn_C",
    signature="sklearn_C(l2, n, n_classes) -> float",
    reference=sklearn_C, make_cases=_c_cases,
    task=(
        "`train_linear_probe` minimises **mean** softmax cross-entropy over N rows + `l2 / 2 · Σ W²` "
        "(W: `(n_classes, d)`, bias unpenalised). scikit-learn's `LogisticRegression` minimises "
        "`C · Σ cross-entropy + ½ ‖w‖²`. Return the `C` that makes the two fits the same.\n\n"
        "- `l2`: `float` > 0; `n`: `int`, the number of training rows; `n_classes`: `int` ≥ 2.\n"
        "- For two classes scikit-learn fits a **single** vector w = W₁ − W₀ instead of W; at the optimum "
        "W₀ = −W₁, so work out what ‖w‖² is in terms of Σ W².\n"
        "- Return a Python `float`."),
    mistakes=[
        Mistake("no_two", "for two classes scikit-learn's single vector w = W₁ − W₀ = 2W₁ has ‖w‖² = 2 Σ W², "
                "so C doubles.", _no_two),
        Mistake("two_everywhere", "the factor 2 is only for two classes; with three or more scikit-learn "
                "penalises the full W, like train_linear_probe.", _two_everywhere),
        Mistake("no_n", "scikit-learn sums the cross-entropy over rows, train_linear_probe averages it: "
                "divide by n.", _no_n),
    ])

EXERCISES = [CLOZE, SKLEARN_C]

QUIZ = Quiz([
    Question("18.q1", "The common answer says MLM works through “词嵌入学习…增强了词嵌入的语义信息”. Where did "
                      "Lab 2 find the subject's number at a masked verb?", (
        Option("In the word embeddings, which MLM makes richer", False,
               "That is the common answer's claim. At [MASK] the embedding is the same in every sentence: its "
               "probe is at chance for both encoders."),
        Option("In the layers after attention, read at [MASK]", True,
               "It becomes linearly readable after the attention layers gather the context. In the untrained "
               "encoder much of what a probe reads there is the nearest noun's number (it does worse on "
               "incongruent sentences); the pretrained layers from depth 2 on read the subject's."),
        Option("Only in the MLM head's output probabilities", False,
               "The probes read it from the hidden layers, before the head."),
        Option("Nowhere: encoders store no syntax", False,
               "A linear probe reads it at every depth from 1 on (Lab 2)."),
    ), misconception=True),
    Question("18.q2", "A linear probe reads part of speech from an encoder's embeddings with near-perfect "
                      "accuracy. What does that show?", (
        Option("That pretraining taught the encoder grammar", False,
               "The untrained encoder's embeddings give the same score (Lab 3): word identity is enough."),
        Option("Little: random embeddings do it too", True,
               "Each word type has its own vector, so a probe can map words to tags; compare with an untrained "
               "encoder or a control task."),
        Option("That the probe is too weak for harder tasks", False,
               "The same kind of probe reads the subject's number at depth 2 (Lab 2)."),
    )),
    Question("18.q3", "Why are probes usually linear?", (
        Option("So that the probe reads what is already explicit", True,
               "A deep probe could compute the property itself from raw inputs, and would then measure the probe."),
        Option("An MLP probe's higher accuracy is better evidence of what the model encodes", False,
               "Hewitt & Liang (2019): a strong probe can learn the task itself — it scores high on control "
               "tasks too — so its accuracy says more about the probe than about the representation."),
        Option("Because encoder hidden states are linear in the input", False,
               "They are not: attention, GELU and LayerNorm are nonlinear."),
    )),
    Question("18.q4", "Per training sentence, how many positions give an MLM a loss, compared with a "
                      "next-token LM?", (
        Option("All positions in both", False,
               "In MLM only the selected 15 % of positions carry a target."),
        Option("More in MLM, since it sees both sides", False,
               "Seeing both sides changes what each prediction may use, not how many positions are predicted."),
        Option("About 15 %, vs nearly all", True,
               "Only the selected positions give a loss; ELECTRA (Clark et al., 2020) trains on every position "
               "instead, by detecting replaced tokens."),
    )),
])
