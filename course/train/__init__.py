"""Training: the fit loop, optimizers from scratch, schedules and gradient clipping."""
from .clipping import adaptive_clip, clip_by_global_norm, clip_by_value, global_grad_norm
from .loop import History, evaluate, fit
from .landscapes import trajectory, valley_loss
from .optimizers import SGD, AdaGrad, Adam, AdamW, RMSProp, effective_lr
from .schedules import warmup_cosine, warmup_cosine_scheduler

__all__ = [name for name in dir() if not name.startswith("_")]
