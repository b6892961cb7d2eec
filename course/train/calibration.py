"""Losses that change what a classifier's probabilities mean, and how to measure whether they mean it.

- ``smoothed_cross_entropy``: cross-entropy against (1 − ε)·one-hot + ε/C (label smoothing);
- ``focal_loss``: cross-entropy scaled by (1 − p_target)^γ, which down-weights easy examples;
- ``reliability_bins`` and ``expected_calibration_error``: does "80 % confident" mean right 80 % of the time?
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..validate import check_ids, check_int, check_match, check_positive, check_probability, check_tensor

__all__ = ["smoothed_cross_entropy", "focal_loss", "ReliabilityBins", "reliability_bins",
           "expected_calibration_error"]


def _check_classification(logits: torch.Tensor, targets: torch.Tensor, name: str = "logits") -> None:
    check_tensor(name, logits, ndim=2, dtype="float", nonempty=True)
    check_tensor("targets", targets, ndim=1, dtype="int")
    check_match("targets", targets, name, logits, dims={0: "number of examples"})
    check_ids("targets", targets, logits.shape[1], "number of classes")


def smoothed_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, smoothing: float = 0.0) -> torch.Tensor:
    """Mean cross-entropy against smoothed targets q = (1 − ε)·one_hot(y) + ε/C.

    logits: (N, C) float; targets: (N,) int class ids; smoothing: ε in [0, 1].
    Equals ``F.cross_entropy(logits, targets, label_smoothing=ε)``. Returns a scalar.
    """
    _check_classification(logits, targets)
    check_probability("smoothing", smoothing)
    log_p = F.log_softmax(logits, dim=-1)                                   # (N, C)
    nll = -log_p.gather(1, targets[:, None]).squeeze(1)                      # the usual term, (N,)
    uniform = -log_p.mean(dim=-1)                                            # cross-entropy with ε/C everywhere
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def focal_loss(logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    """Mean of −(1 − p_y)^γ · log p_y over the examples (Lin et al., 2017), softmax over C classes.

    logits: (N, C) float; targets: (N,) int. γ = 0 gives plain cross-entropy. Returns a scalar.
    """
    _check_classification(logits, targets)
    check_positive("gamma", gamma, allow_zero=True)
    log_p_y = F.log_softmax(logits, dim=-1).gather(1, targets[:, None]).squeeze(1)   # (N,)
    return (-(1 - log_p_y.exp()) ** gamma * log_p_y).mean()


@dataclass(frozen=True)
class ReliabilityBins:
    """Per-bin statistics of a reliability diagram; bins are (lo, hi] over [0, 1], the first [0, hi].

    edges: (n_bins + 1,); confidence, accuracy: (n_bins,) means within each bin (NaN where empty);
    count: (n_bins,) int64 examples per bin.
    """
    edges: torch.Tensor
    confidence: torch.Tensor
    accuracy: torch.Tensor
    count: torch.Tensor

    @property
    def ece(self) -> float:
        """Σ_b (n_b / N) · |accuracy_b − confidence_b| over the non-empty bins."""
        used = self.count > 0
        weights = self.count[used].double() / self.count.sum()
        return float((weights * (self.accuracy[used] - self.confidence[used]).abs()).sum())


def reliability_bins(confidence: torch.Tensor, correct: torch.Tensor, n_bins: int = 10) -> ReliabilityBins:
    """Group predictions by confidence into ``n_bins`` equal-width bins.

    confidence: (N,) float in [0, 1], the probability the model gave its prediction; correct: (N,) bool
    (or 0/1), whether that prediction was right. Bin edges match ``sklearn.calibration.calibration_curve``.
    """
    check_tensor("confidence", confidence, ndim=1, dtype="float", nonempty=True)
    check_tensor("correct", correct, ndim=1)
    check_match("correct", correct, "confidence", confidence, dims={0: "number of examples"})
    check_int("n_bins", n_bins, minimum=1)
    if confidence.min() < 0 or confidence.max() > 1:
        raise ValueError("confidence must hold probabilities in [0, 1]: pass softmax outputs, not logits")
    conf, hit = confidence.detach().double().cpu(), correct.detach().double().cpu()
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)
    which = torch.bucketize(conf, edges[1:-1])                               # (N,) bin ids, right-closed
    count = torch.bincount(which, minlength=n_bins)
    totals = count.clamp(min=1).double()
    mean_conf = torch.bincount(which, conf, minlength=n_bins) / totals
    mean_acc = torch.bincount(which, hit, minlength=n_bins) / totals
    empty = count == 0
    nan = torch.tensor(float("nan"), dtype=torch.float64)
    return ReliabilityBins(edges, mean_conf.where(~empty, nan), mean_acc.where(~empty, nan), count)


def expected_calibration_error(probs: torch.Tensor, targets: torch.Tensor, n_bins: int = 10) -> float:
    """ECE of the top-1 prediction: the count-weighted gap between accuracy and confidence per bin.

    probs: (N, C) probabilities (rows sum to 1); targets: (N,) int class ids.
    """
    _check_classification(probs, targets, "probs")
    confidence, predicted = probs.max(dim=-1)
    return reliability_bins(confidence, predicted == targets, n_bins).ece
