"""Wrong calls of the normalization helpers of chapters 28, 33 and 38, each answered by an error that names the argument."""
from torch import nn

from course.models import GPTConfig
from course.nn import LayerNorm, to_batch_norm

BAD_CALLS = [
    (to_batch_norm, "model must be a torch.nn.Module", lambda: to_batch_norm("gpt")),
    (to_batch_norm, "model must contain at least one LayerNorm or RMSNorm", lambda: to_batch_norm(nn.Linear(3, 3))),
    (to_batch_norm, "momentum must be in [0, 1]", lambda: to_batch_norm(nn.Sequential(LayerNorm(4)), momentum=2.0)),
    (GPTConfig, "norm_first must be a bool", lambda: GPTConfig(norm_first="post")),
]
