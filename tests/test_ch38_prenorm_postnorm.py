"""Chapter 38: RMSNorm and the residual sublayer against PyTorch; the GPT's post-LN option."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course.models import GPT, GPTConfig
from course.selftest.bank.ch38 import residual_sublayer, rms_norm


def test_rms_norm_reference_equals_torch():
    torch.manual_seed(0)
    x, w = torch.randn(3, 4, 16) * 3 + 1, torch.rand(16) + 0.5
    for eps in (1e-6, 1e-2):
        torch.testing.assert_close(rms_norm(x, w, eps), F.rms_norm(x, (16,), w, eps))


@pytest.mark.parametrize("pre_ln", [True, False])
def test_residual_sublayer_equals_linear_and_layernorm_modules(pre_ln):
    torch.manual_seed(1)
    linear, norm = nn.Linear(6, 6), nn.LayerNorm(6)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.normal_()
    x = torch.randn(2, 3, 6)
    expected = x + linear(norm(x)) if pre_ln else norm(x + linear(x))
    got = residual_sublayer(x, linear.weight, linear.bias, norm.weight, norm.bias, pre_ln)
    torch.testing.assert_close(got, expected)


def test_gpt_post_ln_option_reaches_every_block_and_changes_the_function():
    cfg = GPTConfig(vocab_size=11, context=8, n_layers=2, n_heads=2, d_model=8)
    assert all(b.norm_first for b in GPT(cfg).blocks)
    post = GPTConfig(**{**cfg.__dict__, "norm_first": False})
    torch.manual_seed(0)
    a = GPT(cfg)
    torch.manual_seed(0)
    b = GPT(post)
    assert not any(blk.norm_first for blk in b.blocks)
    ids = torch.randint(0, 11, (2, 8))
    assert not torch.allclose(a(ids).logits, b(ids).logits)
    assert cfg.n_params() == post.n_params()


def test_post_ln_block_equals_torch_encoder_layer():
    """A post-LN course block = nn.TransformerEncoderLayer(norm_first=False) with copied weights."""
    from course.nn import TransformerBlock
    torch.manual_seed(2)
    ours = TransformerBlock(8, 2, 16, norm_first=False, activation="relu")
    ref = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=False)
    with torch.no_grad():
        a = ours.self_attn
        ref.self_attn.in_proj_weight.copy_(a.qkv_proj.weight)
        ref.self_attn.in_proj_bias.copy_(a.qkv_proj.bias)
        ref.self_attn.out_proj.weight.copy_(a.out_proj.weight)
        ref.self_attn.out_proj.bias.copy_(a.out_proj.bias)
        ref.linear1.weight.copy_(ours.ffn.up.weight), ref.linear1.bias.copy_(ours.ffn.up.bias)
        ref.linear2.weight.copy_(ours.ffn.down.weight), ref.linear2.bias.copy_(ours.ffn.down.bias)
    ref.eval()
    x = torch.randn(2, 5, 8)
    torch.testing.assert_close(ours(x), ref(x), rtol=1e-5, atol=1e-5)
