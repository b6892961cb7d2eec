"""Grouped-query and multi-query attention: the core, MultiHeadAttention, the GPT and its KV cache."""
import pytest
import torch
import torch.nn.functional as F

from course.generate import generate
from course.models import GPT, GPTConfig, count_parameters
from course.nn import MultiHeadAttention, record_attention, scaled_dot_product_attention

H, D, T = 8, 32, 12


def _qkv(h_kv, t_q=T, t_k=T, b=2, hd=D // H, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, H, t_q, hd, generator=g), torch.randn(b, h_kv, t_k, hd, generator=g),
            torch.randn(b, h_kv, t_k, hd, generator=g))


@pytest.mark.parametrize("h_kv", [8, 4, 2, 1])
@pytest.mark.parametrize("need_weights", [True, False])
def test_core_matches_torch_enable_gqa(h_kv, need_weights):
    q, k, v = _qkv(h_kv)
    out, weights = scaled_dot_product_attention(q, k, v, causal=True, need_weights=need_weights)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    if need_weights:
        assert weights.shape == (2, H, T, T)


def test_core_grouping_is_consecutive_heads_and_works_with_cache_and_mask():
    """Query heads 0..H/G−1 share KV head 0 (repeat_interleave, not tile); a KV cache (Tq < Tk) and a mask."""
    q, k, v = _qkv(2, t_q=3, t_k=T)
    mask = torch.rand(2, 1, 3, T, generator=torch.Generator().manual_seed(1)) > 0.3
    ref = F.scaled_dot_product_attention(q, k.repeat_interleave(4, 1), v.repeat_interleave(4, 1),
                                         attn_mask=mask & torch.ones(3, T, dtype=torch.bool).tril(T - 3))
    for need_weights in (True, False):
        out, _ = scaled_dot_product_attention(q, k, v, mask, causal=True, need_weights=need_weights)
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)


def test_multihead_gqa_matches_a_written_out_reference():
    torch.manual_seed(0)
    attn = MultiHeadAttention(D, H, causal=True, n_kv_heads=2).eval()
    x = torch.randn(2, T, D)
    w, b = attn.qkv_proj.weight, attn.qkv_proj.bias
    assert w.shape == (D + 2 * 2 * (D // H), D)
    q, k, v = F.linear(x, w, b).split([D, 8, 8], dim=-1)
    heads = lambda t: t.view(2, T, -1, D // H).transpose(1, 2)
    ref = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), is_causal=True, enable_gqa=True)
    ref = attn.out_proj(ref.transpose(1, 2).reshape(2, T, D))
    torch.testing.assert_close(attn(x), ref, rtol=1e-5, atol=1e-6)


def test_default_is_multihead_unchanged():
    torch.manual_seed(0)
    a = MultiHeadAttention(D, H, causal=True)
    torch.manual_seed(0)
    b = MultiHeadAttention(D, H, causal=True, n_kv_heads=H)
    x = torch.randn(1, T, D)
    assert a.qkv_proj.weight.shape == (3 * D, D) and a.n_kv_heads == H
    torch.testing.assert_close(a(x), b(x))


def test_cross_attention_with_grouped_kv():
    torch.manual_seed(0)
    attn = MultiHeadAttention(D, H, n_kv_heads=4)
    out = attn(torch.randn(2, 5, D), context=torch.randn(2, 9, D))
    assert out.shape == (2, 5, D)


@pytest.mark.parametrize("kv", [4, 2, 1])
@pytest.mark.parametrize("positions", ["learned", "rope"])
def test_gpt_cache_stores_only_kv_heads_and_generation_matches(kv, positions):
    torch.manual_seed(0)
    cfg = GPTConfig.preset("tiny", n_kv_heads=kv, positions=positions)
    model = GPT(cfg).eval()
    prompt = torch.randint(0, cfg.vocab_size, (2, 5))
    out = model(prompt, use_cache=True)
    assert all(c.k.shape == c.v.shape == (2, kv, 5, cfg.d_model // cfg.n_heads) for c in out.cache)
    with_cache = generate(model, prompt, 20, greedy=True, use_cache=True)
    without = generate(model, prompt, 20, greedy=True, use_cache=False)
    assert torch.equal(with_cache, without)
    full = model(with_cache).logits
    step = model(with_cache[:, -1:], cache=model(with_cache[:, :-1], use_cache=True).cache, use_cache=True)
    torch.testing.assert_close(step.logits[:, -1], full[:, -1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kv", [4, 2, 1])
@pytest.mark.parametrize("bias", [True, False])
def test_parameter_counts(kv, bias):
    cfg = GPTConfig.preset("baby", n_kv_heads=kv, bias=bias)
    model = GPT(cfg)
    assert count_parameters(model) == cfg.n_params()
    mha = GPTConfig.preset("baby", bias=bias)
    # W_k and W_v shrink from d×d to d×(kv·head_dim) in each layer
    hd = cfg.d_model // cfg.n_heads
    saved = cfg.n_layers * 2 * (cfg.d_model - kv * hd) * (cfg.d_model + int(bias))
    assert mha.n_params() - cfg.n_params() == saved


def test_record_attention_gives_all_query_heads():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", n_kv_heads=1)).eval()
    with record_attention(model) as rec:
        model(torch.randint(0, 65, (1, 7)))
    assert [w[0].shape for w in rec.values()] == [(1, 4, 7, 7)] * 2


@pytest.mark.parametrize("make", [
    lambda: MultiHeadAttention(32, 8, n_kv_heads=3),
    lambda: MultiHeadAttention(32, 8, n_kv_heads=0),
    lambda: MultiHeadAttention(32, 8, n_kv_heads=16),
    lambda: GPTConfig(n_heads=4, n_kv_heads=3),
    lambda: GPTConfig(n_heads=4, n_kv_heads=0),
])
def test_bad_kv_heads_raise_a_clear_error(make):
    with pytest.raises((ValueError, TypeError), match="n_kv_heads"):
        make()


def test_core_rejects_mismatched_heads():
    q, k, _ = _qkv(3)
    with pytest.raises(ValueError, match="heads"):
        scaled_dot_product_attention(q, k, k)
    q, k, v = _qkv(2)
    with pytest.raises(ValueError, match="heads"):
        scaled_dot_product_attention(q, k, v[:, :1])
