import pytest
import torch
from torch import nn

from course.nn import LayerNorm, RMSNorm, SequenceBatchNorm


def test_layernorm_equals_torch():
    ours, ref = LayerNorm(12), nn.LayerNorm(12)
    with torch.no_grad():
        for p in (ours.weight, ours.bias):
            p.normal_()
        ref.weight.copy_(ours.weight)
        ref.bias.copy_(ours.bias)
    x = torch.randn(3, 5, 12) * 4 + 2
    torch.testing.assert_close(ours(x), ref(x), rtol=1e-5, atol=1e-5)


def test_rmsnorm_equals_torch():
    ours, ref = RMSNorm(12, eps=1e-6), nn.RMSNorm(12, eps=1e-6)
    with torch.no_grad():
        ours.weight.normal_()
        ref.weight.copy_(ours.weight)
    x = torch.randn(3, 5, 12) * 3
    torch.testing.assert_close(ours(x), ref(x), rtol=1e-5, atol=1e-5)


def test_sequence_batchnorm_equals_batchnorm1d_in_train_and_eval():
    ours, ref = SequenceBatchNorm(6), nn.BatchNorm1d(6)
    for _ in range(3):
        x = torch.randn(4, 5, 6) * 2 + 1
        torch.testing.assert_close(ours(x), ref(x.transpose(1, 2)).transpose(1, 2), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours.running_mean, ref.running_mean)
    torch.testing.assert_close(ours.running_var, ref.running_var)
    ours.eval(), ref.eval()
    x = torch.randn(2, 3, 6)
    torch.testing.assert_close(ours(x), ref(x.transpose(1, 2)).transpose(1, 2), rtol=1e-5, atol=1e-5)


def test_sequence_batchnorm_ignores_padding():
    bn = SequenceBatchNorm(3)
    x = torch.randn(2, 4, 3)
    mask = torch.tensor([[True, True, True, False], [True, True, False, False]])
    padded = x.clone()
    padded[~mask] = 1e3                          # garbage in padding must not move the statistics
    torch.testing.assert_close(bn(padded, mask)[mask], SequenceBatchNorm(3)(x, mask)[mask])
    assert bn.running_mean.abs().max() < 10


@pytest.mark.parametrize("norm", [LayerNorm(8), RMSNorm(8)])
def test_norms_make_scale_irrelevant(norm):
    x = torch.randn(4, 8)
    torch.testing.assert_close(norm(x * 100), norm(x), rtol=1e-3, atol=1e-3)
