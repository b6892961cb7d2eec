"""Wrong calls to the optimizer chapters' functions (8, 21), each answered by an error naming the argument."""
import torch

from course.train import SGD, AdaGrad, effective_lr, trajectory, valley_loss

_p = torch.nn.Parameter(torch.zeros(2))
_q = torch.nn.Parameter(torch.zeros(2))

BAD_CALLS = [
    (valley_loss, "xy must have last dimension 2", lambda: valley_loss(torch.zeros(3, 3))),
    (valley_loss, "curvatures[1] must be > 0", lambda: valley_loss(torch.zeros(2), (1.0, -5.0))),
    (valley_loss, "angle must be a number", lambda: valley_loss(torch.zeros(2), angle="45")),
    (trajectory, "make_optimizer must be a function", lambda: trajectory(SGD([_p], lr=0.1), (0.0, 1.0), 5)),
    (trajectory, "start must be a pair (x, y)", lambda: trajectory(lambda p: SGD(p, lr=0.1), 1.0, 5)),
    (trajectory, "steps must be >= 1", lambda: trajectory(lambda p: SGD(p, lr=0.1), (0.0, 1.0), 0)),
    (trajectory, "loss_fn must be a function", lambda: trajectory(lambda p: SGD(p, lr=0.1), (0.0, 1.0), 3, 2.0)),
    (trajectory, "make_optimizer must return a torch.optim.Optimizer", lambda: trajectory(lambda p: p, (0.0, 1.0), 3)),
    (effective_lr, "optimizer must be one of the course's", lambda: effective_lr(torch.optim.SGD([_p], lr=0.1), _p)),
    (effective_lr, "param must be one of the parameters", lambda: effective_lr(SGD([_p], lr=0.1), _q)),
    (effective_lr, "no optimizer state yet", lambda: effective_lr(AdaGrad([_p], lr=0.1), _p)),
]
