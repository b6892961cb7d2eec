"""Training: the fit loop, optimizers from scratch, schedules and gradient clipping."""
from .clipping import adaptive_clip, clip_by_global_norm, clip_by_value, global_grad_norm
from .loop import History, evaluate, fit
from .optimizers import SGD, AdaGrad, Adam, AdamW, RMSProp
from .schedules import warmup_cosine, warmup_cosine_scheduler
from .finetune import (GPTClassifier, discriminative_param_groups, hidden_states, last_token, layer_groups,
                       probe_accuracy, set_trainable, sft_targets, train_linear_probe, unfreeze_top)

__all__ = [name for name in dir() if not name.startswith("_")]
