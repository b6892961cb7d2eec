"""Wrong calls to course.train.losses, each answered by an error that names the argument."""
import torch

from course.train import logsumexp, mse_on_probs, next_token_targets, token_cross_entropy, z_loss

logits = torch.randn(2, 3, 5)

BAD_CALLS = [
    (logsumexp, "logits must have a float dtype", lambda: logsumexp(torch.ones(3, dtype=torch.long))),
    (logsumexp, "dim must be <= 1", lambda: logsumexp(torch.ones(2, 3), dim=2)),
    (token_cross_entropy, "targets must have shape (2, 3)",
     lambda: token_cross_entropy(logits, torch.zeros(3, 2, dtype=torch.long))),
    (token_cross_entropy, "targets must have a int dtype", lambda: token_cross_entropy(logits, torch.zeros(2, 3))),
    (token_cross_entropy, "targets holds values outside [0, number of classes=5)",
     lambda: token_cross_entropy(logits, torch.full((2, 3), 5))),
    (token_cross_entropy, "reduction must be one of",
     lambda: token_cross_entropy(logits, torch.zeros(2, 3, dtype=torch.long), reduction="avg")),
    (next_token_targets, "ids must hold at least 2 tokens", lambda: next_token_targets(torch.zeros(2, 1, dtype=torch.long))),
    (next_token_targets, "mask must have the shape of ids",
     lambda: next_token_targets(torch.zeros(2, 4, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool))),
    (next_token_targets, "mask must have a bool dtype",
     lambda: next_token_targets(torch.zeros(2, 4, dtype=torch.long), torch.ones(2, 4))),
    (mse_on_probs, "logits must have 2 dimensions", lambda: mse_on_probs(logits, torch.zeros(2, dtype=torch.long))),
    (mse_on_probs, "targets must have the same number of rows",
     lambda: mse_on_probs(torch.randn(4, 5), torch.zeros(3, dtype=torch.long))),
    (z_loss, "coefficient must be >= 0", lambda: z_loss(logits, coefficient=-1.0)),
    (z_loss, "mask must have shape (2, 3)", lambda: z_loss(logits, torch.ones(2, 3, 5, dtype=torch.bool))),
]
