"""Self-test of chapter 40: distillation over the real tokens of a padded batch, and CLIP's symmetric InfoNCE."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def masked_kd(student_logits: torch.Tensor, teacher_logits: torch.Tensor, mask: torch.Tensor,
              temperature: float) -> torch.Tensor:
    """T² · mean over real positions of KL(softmax(teacher/T) ‖ softmax(student/T))."""
    log_p_teacher = (teacher_logits / temperature).log_softmax(-1)
    log_p_student = (student_logits / temperature).log_softmax(-1)
    per_token = torch.sum(log_p_teacher.exp() * (log_p_teacher - log_p_student), dim=-1)     # (B, T)
    real = mask.to(per_token.dtype)
    return temperature ** 2 * (per_token * real).sum() / real.sum()


def _kd_cases(g):
    cases = []
    for b, t, v, temp, lengths in ((2, 5, 7, 2.0, [5, 3]), (3, 4, 6, 1.0, [1, 4, 2]), (2, 6, 10, 4.0, [6, 6]),
                                   (1, 8, 5, 0.5, [5])):
        mask = torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]
        teacher = 3 * torch.randn(b, t, v, generator=g)
        teacher[~mask] = 50 * torch.randn(int((~mask).sum()), v, generator=g)   # junk at padded positions
        cases.append({"student_logits": 2 * torch.randn(b, t, v, generator=g), "teacher_logits": teacher,
                      "mask": mask, "temperature": temp})
    return cases


def _all_positions(student_logits, teacher_logits, mask, temperature):
    return masked_kd(student_logits, teacher_logits, torch.ones_like(mask), temperature)


def _no_t2(student_logits, teacher_logits, mask, temperature):
    return masked_kd(student_logits, teacher_logits, mask, temperature) / temperature ** 2


def _reverse(student_logits, teacher_logits, mask, temperature):
    return masked_kd(teacher_logits, student_logits, mask, temperature)


def _per_sequence(student_logits, teacher_logits, mask, temperature):
    log_p = (teacher_logits / temperature).log_softmax(-1)
    log_q = (student_logits / temperature).log_softmax(-1)
    per_token = (log_p.exp() * (log_p - log_q)).sum(-1) * mask
    return temperature ** 2 * per_token.sum() / mask.shape[0]


def _log_of_softmax(student_logits, teacher_logits, mask, temperature):
    p = (teacher_logits / temperature).softmax(-1)
    log_q = (student_logits / temperature).log_softmax(-1)
    per_token = (p * (torch.log(p) - log_q)).sum(-1)          # 0 · log 0 = NaN where p underflowed
    real = mask.to(per_token.dtype)
    return temperature ** 2 * (per_token * real).sum() / real.sum()


def _teacher_only_softened(student_logits, teacher_logits, mask, temperature):
    return masked_kd(student_logits * temperature, teacher_logits, mask, temperature)


MASKED_KD = Exercise(
    key="40.masked_kd", title="masked_kd",
    signature="masked_kd(student_logits (B, T, V), teacher_logits (B, T, V), mask (B, T), temperature) -> scalar",
    reference=masked_kd, make_cases=_kd_cases,
    task="""The distillation loss of a padded batch of sequences. At each position `(b, t)`, with temperature
`T = temperature`:

`KL_bt = Σ_v p_v · (log p_v − log q_v)`, with `p = softmax(teacher_logits[b, t] / T)` and
`q = softmax(student_logits[b, t] / T)` — the teacher's distribution first: KL(teacher ‖ student).

Return `T² · (Σ of KL_bt over the real positions) / (number of real positions)`. Positions where `mask` is
False are padding: their logits hold junk and must not count.

- `student_logits`, `teacher_logits`: float32 `(B, T, V)`; `mask`: bool `(B, T)`, True = real token;
  `temperature`: positive float.
- Return a float32 scalar tensor (shape `()`).""",
    mistakes=[
        Mistake("all_positions", "average over the real tokens only: padded positions (mask False) hold junk "
                "logits and must not count.", _all_positions),
        Mistake("no_t2", "multiply by T²: softening by T shrinks the gradient by 1/T² (Lab 1).", _no_t2),
        Mistake("reverse", "KL(teacher ‖ student): weight by the teacher's probabilities p, not the "
                "student's.", _reverse),
        Mistake("per_sequence", "divide by the number of real tokens, not by the batch size (that is what "
                "'batchmean' on a 3-D tensor does).", _per_sequence),
        Mistake("log_of_softmax", "use log_softmax (and p = log_p.exp()), not torch.log(softmax(…)): where a "
                "logit is far below the largest, softmax underflows to 0, and 0 · log 0 = 0 · (−inf) is NaN — "
                "even at padded positions, since NaN · 0 is still NaN.", _log_of_softmax),
        Mistake("teacher_only_softened", "divide the student's logits by T too: both distributions are "
                "softened.", _teacher_only_softened),
    ])


def symmetric_nce(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """Mean of InfoNCE a→b (rows of a choose among b) and b→a, on cosine similarities / temperature."""
    unit_a = a / torch.linalg.vector_norm(a, dim=1, keepdim=True)
    unit_b = b / torch.linalg.vector_norm(b, dim=1, keepdim=True)
    logits = unit_a @ unit_b.t() / temperature
    labels = torch.arange(a.shape[0])
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


def _nce_cases(g):
    cases = []
    for batch, dim, temp, noise in ((4, 8, 0.1, 0.3), (6, 5, 1.0, 1.0), (8, 16, 0.05, 0.5), (3, 4, 0.5, 2.0)):
        a = torch.randn(batch, dim, generator=g) * 3
        b = a + noise * torch.randn(batch, dim, generator=g)
        b[0] *= 10                                       # lengths differ: cosine, not dot product
        cases.append({"a": a, "b": b, "temperature": temp})
    return cases


def _one_way(a, b, temperature):
    logits = F.normalize(a, dim=1) @ F.normalize(b, dim=1).t() / temperature
    return F.cross_entropy(logits, torch.arange(len(a)))


def _dot_products(a, b, temperature):
    logits = a @ b.t() / temperature
    labels = torch.arange(len(a))
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


def _summed_directions(a, b, temperature):
    return 2 * symmetric_nce(a, b, temperature)


def _times_temperature(a, b, temperature):
    return symmetric_nce(a, b, 1 / temperature)


SYMMETRIC_NCE = Exercise(
    key="40.symmetric_nce", title="symmetric_nce",
    signature="symmetric_nce(a (B, D), b (B, D), temperature) -> scalar",
    reference=symmetric_nce, make_cases=_nce_cases,
    task="""CLIP's contrastive loss. Row `i` of `a` and row `i` of `b` are a pair (an image and its caption);
all other rows are negatives.

1. similarity logits `S[i, j] = cos(a_i, b_j) / temperature` — cosine similarity, i.e. dot products of
   rows scaled to unit length;
2. `loss_a = cross-entropy of S` with target `i` for row `i` (each `a_i` picks its `b` among all `b`s);
3. `loss_b = cross-entropy of Sᵀ` with the same targets (each `b_j` picks its `a`);
4. return `(loss_a + loss_b) / 2`. Cross-entropies are means over the batch, in nats.

- `a`, `b`: float32 `(B, D)`; `temperature`: positive float.
- Return a float32 scalar tensor (shape `()`).""",
    mistakes=[
        Mistake("one_way", "add the other direction: the cross-entropy of the transposed similarities "
                "(each b choosing its a), and average the two.", _one_way),
        Mistake("dot_products", "use cosine similarities: scale each row of a and b to unit length first.",
                _dot_products),
        Mistake("summed_directions", "average the two directions, do not add them.", _summed_directions),
        Mistake("times_temperature", "divide the similarities by the temperature, do not multiply.",
                _times_temperature),
    ])

EXERCISES = [MASKED_KD, SYMMETRIC_NCE]

QUIZ = Quiz([
    Question("40.q1", "The common answer calls cross-entropy a convex loss that helps fast convergence. "
                      "What is true?", (
        Option("It is convex in the weights, so training finds the global minimum", False,
               "The common answer's claim. Through a multi-layer network the loss is non-convex in the "
               "weights."),
        Option("It is convex in the logits only, not in the network's weights", True,
               "−log softmax(z)_y is convex in z; the map from weights to z is not linear, so the training "
               "loss is non-convex."),
        Option("It is not convex even in the logits, because of the softmax", False,
               "log-sum-exp is convex and −z_y linear, so cross-entropy is convex in the logits."),
    ), misconception=True),
    Question("40.q2", "Why is the distillation KL multiplied by T²?", (
        Option("Its gradient shrinks like 1/T²; T² restores its size", True,
               "Lab 1 measures the norm falling 1/T² without the factor and staying nearly flat with it."),
        Option("So that its value equals what F.kl_div returns", False,
               "F.kl_div returns the plain KL; the T² is added on top (Lab 1)."),
        Option("To sharpen the softened teacher distribution back again", False,
               "Multiplying the loss does not change the distributions, only the gradient's size."),
    )),
    Question("40.q3", "In Lab 2, why does the distilled student generalize better than its label-only twin?", (
        Option("It trains for more steps, and on more of the sequences", False,
               "Both see the same 32 sequences, in the same batches, for the same number of steps."),
        Option("The teacher's labels correct errors in the data", False,
               "The corpus has no label noise; the teacher's top word is not what helps most."),
        Option("Each token brings a whole distribution, not one word", True,
               "The soft targets carry the teacher's ranking of all words at every position: more signal "
               "per token, so less memorization of 32 sequences."),
    )),
    Question("40.q4", "What is InfoNCE, written as a familiar loss?", (
        Option("The squared distance between each anchor and its positive", False,
               "That ignores the negatives; with it, every embedding could collapse to one point."),
        Option("Cross-entropy whose classes are the batch's candidates", True,
               "Lab 3: equal to F.cross_entropy(similarities / τ, arange(B))."),
        Option("Binary cross-entropy on each pair, independently", False,
               "Each anchor's candidates compete in one softmax over the batch: a B-way classification."),
    )),
    Question("40.q5", "Raising the distillation temperature T…", (
        Option("…sharpens the teacher's distribution towards its top word", False,
               "Dividing logits by T > 1 flattens the softmax."),
        Option("…changes nothing at all, since the T² factor cancels it out", False,
               "T² rescales the gradient; the targets themselves become softer."),
        Option("…flattens the teacher's distribution, exposing wrong words", True,
               "The ranking of the unlikely words — invisible at T = 1 — becomes a visible signal."),
    )),
])
