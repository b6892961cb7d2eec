"""Objectives beyond next-token cross-entropy: knowledge distillation and contrastive InfoNCE.

Distillation (Hinton, Vinyals, Dean, 2015): the student matches the teacher's distribution softened by a
temperature T, ``KL(p_teacher^T ‖ p_student^T)``, multiplied by T² so that its gradient keeps the same
size as T changes. InfoNCE (van den Oord, Li, Vinyals, 2018): a cross-entropy over similarity logits in
which each anchor's positive is its own pair and the other pairs of the batch are the negatives.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..validate import check_match, check_number, check_positive, check_tensor

__all__ = ["distillation_loss", "info_nce"]


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 2.0, *,
                      scale_by_t2: bool = True) -> torch.Tensor:
    """T² · KL(softmax(teacher/T) ‖ softmax(student/T)), averaged over positions.

    student_logits, teacher_logits: (..., V), same shape; the teacher gets no gradient. Every leading
    position (a token of a sequence, or an example) counts once: the mean of the per-position KL.
    """
    check_tensor("student_logits", student_logits, dtype="float", nonempty=True)
    check_tensor("teacher_logits", teacher_logits, dtype="float", ndim=student_logits.dim())
    if teacher_logits.shape != student_logits.shape:
        raise ValueError(f"teacher_logits must have the shape of student_logits {tuple(student_logits.shape)}, "
                         f"got {tuple(teacher_logits.shape)}")
    check_positive("temperature", temperature)
    log_q = F.log_softmax(student_logits / temperature, dim=-1)
    log_p = F.log_softmax(teacher_logits.detach() / temperature, dim=-1)
    kl = (log_p.exp() * (log_p - log_q)).sum(-1).mean()
    return kl * temperature ** 2 if scale_by_t2 else kl


def info_nce(anchors: torch.Tensor, positives: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """InfoNCE for a batch of pairs: row i of ``positives`` is anchor i's match, every other row a negative.

    anchors, positives: (B, D); similarities are cosines divided by ``temperature``; returns the mean
    over anchors of −log softmax(similarities)[i, i], i.e. cross-entropy with targets 0 … B−1.
    """
    check_tensor("anchors", anchors, ndim=2, dtype="float", nonempty=True)
    check_tensor("positives", positives, ndim=2, dtype="float")
    check_match("positives", positives, "anchors", anchors, dims={0: "batch size", 1: "embedding size"})
    check_number("temperature", temperature)
    check_positive("temperature", temperature)
    a, b = F.normalize(anchors, dim=-1), F.normalize(positives, dim=-1)
    logits = a @ b.T / temperature                                   # (B, B): row i = anchor i vs all
    return F.cross_entropy(logits, torch.arange(len(a), device=a.device))
