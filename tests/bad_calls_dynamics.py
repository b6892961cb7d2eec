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
    (grad_norm_per_step, "build the RNN with batch_first=True: x is (B, T, D)",
     lambda: grad_norm_per_step(nn.LSTM(3, 4), torch.randn(2, 5, 3))),
    (grad_norm_per_step, "x must have a float dtype",
     lambda: grad_norm_per_step(_rnn, torch.zeros(1, 5, 3, dtype=torch.long))),
    (grad_norm_per_layer, "layers must be a non-empty list", lambda: grad_norm_per_layer([], torch.randn(2, 3))),
    (grad_norm_per_layer, "layers must be a non-empty list", lambda: grad_norm_per_layer(nn.Linear(3, 3), torch.randn(2, 3))),
    (grad_norm_per_layer, "x must have 2 dimensions",
     lambda: grad_norm_per_layer([nn.Linear(3, 3)], torch.randn(2, 5, 3))),
]

# ---- calibration (chapter 30)
from course.train import (ReliabilityBins, expected_calibration_error, focal_loss, reliability_bins,  # noqa: E402
                          smoothed_cross_entropy)

_z, _y = torch.randn(4, 3), torch.tensor([0, 1, 2, 1])
BAD_CALLS += [
    (smoothed_cross_entropy, "smoothing must be in [0, 1]", lambda: smoothed_cross_entropy(_z, _y, 1.5)),
    (smoothed_cross_entropy, "targets holds values outside [0, number of classes=3)",
     lambda: smoothed_cross_entropy(_z, torch.tensor([0, 1, 2, 3]))),
    (smoothed_cross_entropy, "targets must have the same number of examples (dim 0) as logits",
     lambda: smoothed_cross_entropy(_z, _y[:3])),
    (focal_loss, "gamma must be >= 0", lambda: focal_loss(_z, _y, gamma=-1.0)),
    (focal_loss, "targets must have a int dtype", lambda: focal_loss(_z, _y.float())),
    (reliability_bins, "confidence must hold probabilities in [0, 1]",
     lambda: reliability_bins(torch.tensor([0.5, 2.0]), torch.tensor([True, False]))),
    (reliability_bins, "n_bins must be >= 1", lambda: reliability_bins(torch.rand(3), torch.ones(3), 0)),
    (expected_calibration_error, "probs must have 2 dimensions",
     lambda: expected_calibration_error(torch.rand(4), _y)),
]
NOTHING_TO_VALIDATE = {ReliabilityBins: "a record that reliability_bins() fills in; learners only read it"}

# ---- gradient noise scale (chapter 31)
from course.train import NoiseScale, gradient_noise_scale, noise_scale_from_batches  # noqa: E402

_lin = nn.Linear(3, 2)
BAD_CALLS += [
    (gradient_noise_scale, "targets must have the same number of examples (dim 0) as inputs",
     lambda: gradient_noise_scale(_lin, torch.nn.functional.cross_entropy, torch.randn(4, 3), torch.zeros(3, dtype=torch.long))),
    (gradient_noise_scale, "model must be a torch.nn.Module",
     lambda: gradient_noise_scale("model", torch.nn.functional.cross_entropy, torch.randn(4, 3), torch.zeros(4, dtype=torch.long))),
    (gradient_noise_scale, "number of examples must be >= 2",
     lambda: gradient_noise_scale(_lin, torch.nn.functional.cross_entropy, torch.randn(1, 3), torch.zeros(1, dtype=torch.long))),
    (gradient_noise_scale, "loss_fn must be a function",
     lambda: gradient_noise_scale(_lin, "ce", torch.randn(4, 3), torch.zeros(4, dtype=torch.long))),
    (noise_scale_from_batches, "b_big must be larger than b_small", lambda: noise_scale_from_batches(1.0, 0.5, 64, 32)),
    (noise_scale_from_batches, "sq_norm_small must be a number", lambda: noise_scale_from_batches("1", 0.5, 8, 32)),
    (noise_scale_from_batches, "b_small must be >= 1", lambda: noise_scale_from_batches(1.0, 0.5, 0, 32)),
    (noise_scale_from_batches, "sq_norm_small must be > 0", lambda: noise_scale_from_batches(-1.0, 0.5, 8, 32)),
    (noise_scale_from_batches, "sq_norm_big must be > 0", lambda: noise_scale_from_batches(1.0, 0.0, 8, 32)),
    (NoiseScale, "noise dominates, average more batches", lambda: NoiseScale(g_sq=-0.01, trace_sigma=5.0).b_simple),
    (NoiseScale, "noise dominates, average more batches",
     lambda: noise_scale_from_batches(1.0, 0.2, 8, 32).b_simple),   # 32·0.2 < 8·1.0: the estimate of |G|² < 0
]
NOTHING_TO_VALIDATE[NoiseScale] = "a record that the noise-scale functions fill in; learners only read it"
BAD_CALLS += [
    (grad_norm_per_layer, "probe must have the shape of the last layer's output (2, 3)",
     lambda: grad_norm_per_layer([nn.Linear(3, 3)], torch.randn(2, 3), probe=torch.randn(2, 4))),
]
