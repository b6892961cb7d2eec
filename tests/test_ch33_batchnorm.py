"""Chapter 33: the exercise references against PyTorch (BatchNorm folding, BatchNorm1d per ghost batch)."""
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_linear_bn_eval

from course.selftest.bank.ch33 import fold_batch_norm, ghost_batch_norm


def _trained_pair():
    torch.manual_seed(0)
    linear, bn = nn.Linear(5, 4), nn.BatchNorm1d(4, eps=1e-3)
    for _ in range(5):                                   # fill the running statistics
        bn(linear(torch.randn(16, 5) * 2 + 1))
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.normal_()
    return linear.eval(), bn.eval()


def test_fold_batch_norm_equals_linear_then_eval_batchnorm_and_torch_fusion():
    linear, bn = _trained_pair()
    w, b = fold_batch_norm(linear.weight, linear.bias, bn.running_mean, bn.running_var, bn.weight, bn.bias,
                           bn.eps)
    x = torch.randn(7, 5)
    with torch.no_grad():
        torch.testing.assert_close(x @ w.T + b, bn(linear(x)), rtol=1e-5, atol=1e-5)
        fused = fuse_linear_bn_eval(linear, bn)
        torch.testing.assert_close(w, fused.weight)
        torch.testing.assert_close(b, fused.bias)


def test_ghost_batch_norm_equals_batchnorm1d_per_group():
    torch.manual_seed(1)
    x = torch.randn(12, 3) * 2 + 1
    ref = nn.BatchNorm1d(3, affine=False, eps=1e-2).train()
    expected = torch.cat([ref(chunk) for chunk in x.split(4)])
    torch.testing.assert_close(ghost_batch_norm(x, 4, eps=1e-2), expected, rtol=1e-5, atol=1e-5)
