"""Bad-input rows for course.train.regularizers (collected by tests/test_bad_input.py)."""
import torch
from torch import nn

import course.train.regularizers
from course.train.regularizers import (Curves, DropConnectLinear, EarlyStop, decay_groups, early_stopping,
                                       l1_penalty, l2_penalty, soft_threshold_, train_with_curves,
                                       zero_fraction)

PUBLIC_MODULES = [course.train.regularizers]
_w = nn.Parameter(torch.ones(3))


def _setting():
    from course.train.overfitting import overfit_setting
    return overfit_setting(8)

BAD_CALLS = [
    (DropConnectLinear, "linear must be an nn.Linear", lambda: DropConnectLinear(nn.Conv1d(2, 2, 1))),
    (DropConnectLinear, "p must be in [0, 1)", lambda: DropConnectLinear(nn.Linear(2, 2), p=1.0)),
    (DropConnectLinear, "x must have last dimension 2", lambda: DropConnectLinear(nn.Linear(2, 2))(torch.ones(1, 3))),
    (l1_penalty, "parameters must be an iterable of tensors", lambda: l1_penalty(nn.Linear(2, 2))),
    (l2_penalty, "parameters must be an iterable of tensors", lambda: l2_penalty(3.0)),
    (soft_threshold_, "threshold must be >= 0", lambda: soft_threshold_([_w], -0.1)),
    (zero_fraction, "parameters must be a tensor or an iterable of tensors", lambda: zero_fraction("weights")),
    (decay_groups, "model must be a torch.nn.Module", lambda: decay_groups([_w], 0.1)),
    (decay_groups, "weight_decay must be >= 0", lambda: decay_groups(nn.Linear(2, 2), -1.0)),
    (early_stopping, "losses must be a non-empty sequence", lambda: early_stopping([], 3)),
    (early_stopping, "patience must be >= 1", lambda: early_stopping([3.0, 2.0], 0)),
    (early_stopping, "losses[1] must be finite", lambda: early_stopping([3.0, float("nan")], 2)),
    (train_with_curves, "setting must be an OverfitSetting",
     lambda: train_with_curves(None, nn.Linear(2, 2), torch.optim.SGD([_w], lr=0.1), 10)),
    (train_with_curves, "optimizer must be a torch.optim.Optimizer",
     lambda: train_with_curves(_setting(), nn.Linear(2, 2), "adamw", 10)),
    (train_with_curves, "loss_fn must be a callable",
     lambda: train_with_curves(_setting(), nn.Linear(2, 2), torch.optim.SGD([_w], lr=0.1), 10, loss_fn=3)),
]

NOTHING_TO_VALIDATE = {
    EarlyStop: "a result record returned by early_stopping",
    Curves: "a result record returned by train_with_curves",
}
