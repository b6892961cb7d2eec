"""Chapter 28: the exercise references and `to_batch_norm` against PyTorch's BatchNorm1d."""
import pytest
import torch
from torch import nn

from course.models import GPT, GPTConfig
from course.nn import LayerNorm, RMSNorm, SequenceBatchNorm, to_batch_norm
from course.selftest.bank.ch28 import masked_batch_norm, update_running_stats


def test_masked_batch_norm_equals_batchnorm1d_on_the_real_tokens():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 4) * 2 + 1
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=torch.bool)
    weight, bias = torch.rand(4) + 0.5, torch.randn(4)
    ref = nn.BatchNorm1d(4).train()
    with torch.no_grad():
        ref.weight.copy_(weight)
        ref.bias.copy_(bias)
    out = masked_batch_norm(x, mask, weight, bias)
    torch.testing.assert_close(out[mask], ref(x[mask]), rtol=1e-5, atol=1e-5)
    assert (out[~mask] == 0).all()


def test_update_running_stats_equals_batchnorm1d():
    torch.manual_seed(1)
    for momentum in (0.1, 0.5, 1.0):
        ref = nn.BatchNorm1d(3, momentum=momentum).train()
        with torch.no_grad():
            ref.running_mean.normal_()
            ref.running_var.uniform_(0.5, 2.0)
        before = ref.running_mean.clone(), ref.running_var.clone()
        batch = torch.randn(9, 3) * 3 + 2
        ref(batch)
        mean, var = update_running_stats(*before, batch, momentum)
        torch.testing.assert_close(mean, ref.running_mean)
        torch.testing.assert_close(var, ref.running_var)


def test_to_batch_norm_replaces_every_norm_and_keeps_gamma_beta():
    torch.manual_seed(2)
    model = GPT(GPTConfig(vocab_size=11, context=8, n_layers=2, n_heads=2, d_model=8))
    with torch.no_grad():
        model.blocks[0].norm1.weight.uniform_(0.5, 1.5)
    bn = to_batch_norm(model)
    norms = [m for m in bn.modules() if isinstance(m, SequenceBatchNorm)]
    assert len(norms) == 2 * 2 + 1 and not any(isinstance(m, (LayerNorm, RMSNorm)) for m in bn.modules())
    torch.testing.assert_close(bn.blocks[0].norm1.weight, model.blocks[0].norm1.weight)
    assert isinstance(model.blocks[0].norm1, LayerNorm), "the original model is left untouched"
    assert bn.training
    ids = torch.randint(0, 11, (3, 8))
    assert bn(ids).logits.shape == (3, 8, 11)


def test_to_batch_norm_layer_equals_batchnorm1d():
    ln = LayerNorm(4)
    with torch.no_grad():
        ln.weight.uniform_(0.5, 1.5)
        ln.bias.normal_()
    bn = to_batch_norm(nn.Sequential(ln))[0]
    ref = nn.BatchNorm1d(4).train()
    with torch.no_grad():
        ref.weight.copy_(ln.weight)
        ref.bias.copy_(ln.bias)
    x = torch.randn(2, 6, 4) * 3
    torch.testing.assert_close(bn(x), ref(x.transpose(1, 2)).transpose(1, 2), rtol=1e-5, atol=1e-5)


def test_to_batch_norm_handles_torch_norms_with_and_without_affine_parameters():
    model = nn.Sequential(nn.LayerNorm(4, elementwise_affine=False), nn.RMSNorm(4), nn.LayerNorm(4))
    with torch.no_grad():
        model[1].weight.uniform_(0.5, 1.5)
    bn = to_batch_norm(model)
    assert all(isinstance(m, SequenceBatchNorm) for m in bn)
    torch.testing.assert_close(bn[0].weight, torch.ones(4))
    torch.testing.assert_close(bn[1].weight, model[1].weight)
    torch.testing.assert_close(bn[1].bias, torch.zeros(4))
    x = torch.randn(2, 6, 4) * 3 + 1
    ref = nn.BatchNorm1d(4, affine=False).train()
    torch.testing.assert_close(bn[0](x), ref(x.transpose(1, 2)).transpose(1, 2), rtol=1e-5, atol=1e-5)


def test_to_batch_norm_rejects_a_norm_over_several_dimensions():
    with pytest.raises(ValueError, match="normalized_shape"):
        to_batch_norm(nn.Sequential(nn.LayerNorm((3, 4))))
