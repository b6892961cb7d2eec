"""Training: the fit loop, optimizers from scratch, schedules, gradient clipping, gradient flow and
calibration."""
from .calibration import (ReliabilityBins, expected_calibration_error, focal_loss, reliability_bins,
                          smoothed_cross_entropy)
from .clipping import adaptive_clip, clip_by_global_norm, clip_by_value, global_grad_norm
from .gradflow import (NoiseScale, grad_norm_per_layer, grad_norm_per_step, gradient_noise_scale,
                       noise_scale_from_batches)
from .loop import History, evaluate, fit
from .optimizers import SGD, AdaGrad, Adam, AdamW, RMSProp
from .schedules import warmup_cosine, warmup_cosine_scheduler

__all__ = [name for name in dir() if not name.startswith("_")]
