"""Training: the fit loop, optimizers from scratch, schedules, gradient clipping, losses, gradient flow,
calibration, distillation and memory accounting."""
from .calibration import (ReliabilityBins, expected_calibration_error, focal_loss, reliability_bins,
                          smoothed_cross_entropy)
from .clipping import adaptive_clip, clip_by_global_norm, clip_by_value, global_grad_norm
from .distill import distillation_loss, info_nce
from .gradflow import (NoiseScale, grad_norm_per_layer, grad_norm_per_step, gradient_noise_scale,
                       noise_scale_from_batches)
from .landscapes import trajectory, valley_loss
from .loop import History, evaluate, fit
from .losses import IGNORE_INDEX, logsumexp, mse_on_probs, next_token_targets, token_cross_entropy, z_loss
from .memory import MemoryBreakdown, held_bytes, megatron_activation_bytes, training_memory
from .optimizers import SGD, AdaGrad, Adam, AdamW, RMSProp, effective_lr
from .schedules import warmup_cosine, warmup_cosine_scheduler
from .finetune import (GPTClassifier, discriminative_param_groups, hidden_states, last_token, layer_groups,
                       probe_accuracy, set_trainable, sft_targets, train_linear_probe, unfreeze_top)

__all__ = [name for name in dir() if not name.startswith("_")]
