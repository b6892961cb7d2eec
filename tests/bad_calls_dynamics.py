"""Bad-input rows for the training-dynamics modules (chapters 20, 30, 31): gradient flow, calibration."""
import torch
from torch import nn

from course.train import grad_norm_per_layer, grad_norm_per_step

_rnn = nn.RNN(3, 4, batch_first=True)

BAD_CALLS = [
    (grad_norm_per_step, "x must have 3 dimensions", lambda: grad_norm_per_step(_rnn, torch.randn(5, 3))),
    (grad_norm_per_step, "module must be callable", lambda: grad_norm_per_step("rnn", torch.randn(1, 5, 3))),
    (grad_norm_per_step, "probe must have the shape of the last output (B, H) = (2, 4)",
     lambda: grad_norm_per_step(_rnn, torch.randn(2, 5, 3), probe=torch.randn(2, 3))),
    (grad_norm_per_step, "x must have a float dtype",
     lambda: grad_norm_per_step(_rnn, torch.zeros(1, 5, 3, dtype=torch.long))),
    (grad_norm_per_layer, "layers must be a non-empty list", lambda: grad_norm_per_layer([], torch.randn(2, 3))),
    (grad_norm_per_layer, "layers must be a non-empty list", lambda: grad_norm_per_layer(nn.Linear(3, 3), torch.randn(2, 3))),
    (grad_norm_per_layer, "x must have 2 dimensions",
     lambda: grad_norm_per_layer([nn.Linear(3, 3)], torch.randn(2, 5, 3))),
]
