import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course.nn import (MultiHeadAttention, RotaryEmbedding, causal_mask, padding_mask,
                       record_attention, scaled_dot_product_attention, sliding_window_mask)


def _qkv(b=2, h=3, tq=5, tk=7, d=8):
    return torch.randn(b, h, tq, d), torch.randn(b, h, tk, d), torch.randn(b, h, tk, d)


@pytest.mark.parametrize("mask_kind", [None, "causal", "padding", "window"])
def test_manual_path_equals_fused_and_torch_sdpa(mask_kind):
    q, k, v = _qkv(tq=6, tk=6)
    mask = {None: None, "causal": causal_mask(6), "window": sliding_window_mask(6, 3),
            "padding": padding_mask(torch.tensor([6, 3]), 6)}[mask_kind]
    manual, weights = scaled_dot_product_attention(q, k, v, mask)
    fused, none = scaled_dot_product_attention(q, k, v, mask, need_weights=False)
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert none is None
    torch.testing.assert_close(manual, reference, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(fused, reference, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 6))
    if mask is not None:
        assert (weights.masked_select(~mask.expand_as(weights)) == 0).all()


def test_fully_masked_rows_give_zeros_on_both_paths():
    q, k, v = _qkv(tq=2, tk=3)
    mask = torch.tensor([[True, True, False], [False, False, False]])
    manual, w = scaled_dot_product_attention(q, k, v, mask)
    fused, _ = scaled_dot_product_attention(q, k, v, mask, need_weights=False)
    assert torch.isfinite(manual).all() and (w[..., 1, :] == 0).all()
    torch.testing.assert_close(manual, fused)


def test_masks_have_the_documented_pattern():
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert causal_mask(1, 3).tolist() == [[True, True, True]]        # the newest query sees the cache
    assert sliding_window_mask(4, 2).tolist() == [[True, False, False, False], [True, True, False, False],
                                                   [False, True, True, False], [False, False, True, True]]
    assert padding_mask(torch.tensor([2]), 3).flatten().tolist() == [True, True, False]


def test_multihead_equals_nn_multiheadattention_with_copied_weights():
    d, h = 16, 4
    ours = MultiHeadAttention(d, h)
    ref = nn.MultiheadAttention(d, h, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(ours.qkv_proj.weight)       # both stack W_q, W_k, W_v in this order
        ref.in_proj_bias.copy_(ours.qkv_proj.bias)
        ref.out_proj.weight.copy_(ours.out_proj.weight)
        ref.out_proj.bias.copy_(ours.out_proj.bias)
    x, ctx = torch.randn(2, 5, d), torch.randn(2, 7, d)
    keep = torch.ones(5, 5, dtype=torch.bool).tril()
    expected, expected_w = ref(x, x, x, attn_mask=~keep, average_attn_weights=False)   # torch: True = block
    with record_attention(ours) as rec:
        got = ours(x, mask=keep)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(rec[""][0], expected_w, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours(x, ctx), ref(x, ctx, ctx)[0], rtol=1e-5, atol=1e-6)   # cross-attention


def test_record_attention_collects_every_layer_in_order_and_restores_the_fast_path():
    from course.models import GPT, GPTConfig
    model = GPT(GPTConfig.preset("tiny", n_layers=3)).eval()
    x = torch.randint(0, 65, (2, 10))
    with record_attention(model) as rec:
        logits_recorded = model(x).logits
    assert list(rec) == [f"blocks.{i}.self_attn" for i in range(3)]
    assert all(calls[0].shape == (2, 4, 10, 10) for calls in rec.values())
    assert all(not m.record for m in model.modules() if isinstance(m, MultiHeadAttention))
    torch.testing.assert_close(model(x).logits, logits_recorded, rtol=1e-5, atol=1e-5)


def test_rotary_scores_depend_only_on_relative_position():
    rope = RotaryEmbedding(8)
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)

    def score(p, s):
        return float(rope(q, torch.tensor([p])) @ rope(k, torch.tensor([s])).transpose(-1, -2))

    assert score(3, 1) == pytest.approx(score(10, 8), rel=1e-4)
    assert score(3, 1) != pytest.approx(score(3, 2), rel=1e-3)
    torch.testing.assert_close(rope(q, torch.tensor([5])).norm(), q.norm())   # rotations keep length


def test_kv_cache_gives_the_same_outputs_as_full_recompute():
    torch.manual_seed(1)
    attn = MultiHeadAttention(16, 4, causal=True, rotary=True).eval()
    x = torch.randn(1, 6, 16)
    full = attn(x)
    out, cache = attn(x[:, :4], use_cache=True)
    step, _ = attn(x[:, 4:], cache=cache, use_cache=True)
    torch.testing.assert_close(torch.cat([out, step], 1), full, rtol=1e-5, atol=1e-6)


def test_scaling_keeps_score_variance_near_one():
    d = 256
    q, k = torch.randn(4000, d), torch.randn(4000, d)
    raw = (q * k).sum(-1)
    assert raw.var().item() == pytest.approx(d, rel=0.1)
    assert (raw / math.sqrt(d)).var().item() == pytest.approx(1.0, rel=0.1)


@pytest.mark.parametrize("causal", [False, True])
def test_tiled_online_softmax_attention_equals_plain_attention_and_its_gradients(causal):
    from course.nn import tiled_attention
    q, k, v = (torch.randn(2, 2, 37, 8, requires_grad=True) for _ in range(3))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    got = tiled_attention(q, k, v, block_q=8, block_k=5, causal=causal)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    g = torch.randn_like(got)
    grads = torch.autograd.grad(got, (q, k, v), g)
    ref = torch.autograd.grad(expected, (q, k, v), g)
    for a, b in zip(grads, ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_tiled_attention_saves_less_for_backward():
    from course.nn import tiled_attention
    q, k, v = (torch.randn(1, 1, 512, 16, requires_grad=True) for _ in range(3))

    from course.runtime import saved_for_backward_bytes
    _, plain = saved_for_backward_bytes(lambda: scaled_dot_product_attention(q, k, v))
    _, tiled = saved_for_backward_bytes(lambda: tiled_attention(q, k, v, block_q=64, block_k=64))
    assert tiled < plain / 4


def test_causal_flag_equals_an_explicit_mask_on_both_paths():
    q, k, v = _qkv(tq=5, tk=5)
    expected, _ = scaled_dot_product_attention(q, k, v, causal_mask(5))
    for need_weights in (True, False):
        got, _ = scaled_dot_product_attention(q, k, v, causal=True, need_weights=need_weights)
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    q1 = q[..., -2:, :]                       # the last two queries against all keys (a KV cache)
    got, _ = scaled_dot_product_attention(q1, k, v, causal=True, need_weights=False)
    torch.testing.assert_close(got, expected[..., -2:, :], rtol=1e-5, atol=1e-6)


def test_window_attention_equals_the_sliding_window_mask_with_and_without_cache():
    torch.manual_seed(3)
    attn = MultiHeadAttention(16, 2, causal=True, window=3).eval()
    plain = MultiHeadAttention(16, 2, causal=True).eval()
    plain.load_state_dict(attn.state_dict())
    x = torch.randn(1, 7, 16)
    expected = plain(x, mask=sliding_window_mask(7, 3))
    torch.testing.assert_close(attn(x), expected, rtol=1e-5, atol=1e-6)
    out, cache = attn(x[:, :5], use_cache=True)
    step, _ = attn(x[:, 5:], cache=cache, use_cache=True)
    torch.testing.assert_close(torch.cat([out, step], 1), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("causal", [False, True])
def test_linear_attention_matches_its_quadratic_form(causal):
    from course.nn import linear_attention
    q, k, v = (torch.randn(2, 2, 9, 4) for _ in range(3))
    fq, fk = F.elu(q) + 1, F.elu(k) + 1
    scores = fq @ fk.transpose(-2, -1)                       # the T x T form it avoids building
    if causal:
        scores = scores * causal_mask(9)
    expected = (scores @ v) / scores.sum(-1, keepdim=True)
    torch.testing.assert_close(linear_attention(q, k, v, causal=causal), expected, rtol=1e-4, atol=1e-5)
