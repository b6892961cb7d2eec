"""The reference solutions of chapters 17, 24 and 29 against independent ground truth: torch's own GQA
attention, the package's attention modules, PyTorch's FLOP counter and a brute-force count of tiles."""
import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from course.nn import AdditiveAttention, MultiHeadAttention, TransformerBlock, causal_mask
from course.nn.attention import attention_from_scores
from course.selftest import bank


from course.selftest.exercises import _reference as _reference_of


def _reference(key: str):
    ex = next(e for e in bank.load(int(key.split(".")[0])).EXERCISES if e.key == key)
    return _reference_of(ex)


# ---- chapter 17 -----------------------------------------------------------------------------------
def test_merge_heads_inverts_the_split_of_multi_head_attention():
    merge = _reference("17.merge_heads")
    attn = MultiHeadAttention(24, 3)
    x = torch.randn(2, 5, 24)
    assert torch.equal(merge(attn._split(x)), x)


@pytest.mark.parametrize("groups, heads", [(1, 4), (2, 4), (2, 8), (3, 6), (4, 4)])
def test_repeat_kv_gives_torch_grouped_query_attention(groups, heads):
    repeat_kv = _reference("17.repeat_kv")
    g = torch.Generator().manual_seed(0)
    q = torch.randn(2, heads, 5, 8, generator=g)
    k, v = (torch.randn(2, groups, 5, 8, generator=g) for _ in range(2))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    got = F.scaled_dot_product_attention(q, repeat_kv(k, heads), repeat_kv(v, heads), is_causal=True)
    torch.testing.assert_close(got, expected)


# ---- chapter 24 -----------------------------------------------------------------------------------
def test_additive_scores_match_the_package_module():
    scores = _reference("24.additive_scores")
    module = AdditiveAttention(query_dim=6, key_dim=5, hidden=7)
    query, keys = torch.randn(6), torch.randn(9, 5)
    hidden = torch.tanh(module.w_q(query)[None, :] + module.w_k(keys))
    torch.testing.assert_close(scores(query, keys, module.w_q.weight, module.w_k.weight, module.v.weight[0]),
                               module.v(hidden).squeeze(-1))


def test_context_vector_matches_the_attention_core_with_a_padding_mask():
    context = _reference("24.context_vector")
    scores, values = torch.randn(7), torch.randn(7, 3)
    mask = torch.arange(7) < 4                                     # True = real token
    out, weights = attention_from_scores(scores[None, None, None], values[None, None], mask[None, None, None])
    torch.testing.assert_close(context(scores, values, mask), out[0, 0, 0])
    assert weights[..., 4:].eq(0).all()


# ---- chapter 29 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("n, block", [(8, 2), (12, 4), (16, 16), (6, 1), (32, 8)])
def test_causal_score_flops_counts_the_tiles_a_causal_mask_leaves(n, block):
    flops = _reference("29.causal_score_flops")
    d = 5
    mask = causal_mask(n)                                          # (n, n), True = may attend
    tiles = mask.view(n // block, block, n // block, block).any(dim=(1, 3))   # tiles with an unmasked pair
    assert flops(n, d, block) == int(tiles.sum()) * 2 * (2 * block * block * d)


def test_causal_score_flops_without_skipping_is_what_the_flop_counter_sees():
    flops = _reference("29.causal_score_flops")
    n, d = 64, 32
    attn = MultiHeadAttention(d, 4, causal=True, bias=False)
    attn.record = True                                             # manual path: the counter sees the matmuls
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        attn(torch.randn(1, n, d))
    projections = 2 * n * d * 4 * d                                # Q, K, V and output, 2 FLOPs per multiply-add
    assert counter.get_total_flops() - projections == flops(n, d, n)


def test_train_flops_per_token_is_three_forwards_as_counted_by_torch():
    per_token = _reference("29.train_flops_per_token")
    n, d, d_ff, layers = 32, 16, 40, 3
    block = TransformerBlock(d, 2, d_ff, causal=True, bias=False)
    block.self_attn.record = True
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        block(torch.randn(1, n, d))
    # the forward over n tokens, each attending over all n keys (no skipping), per token, times 3, times L
    assert per_token(layers, d, d_ff, n) == layers * 3 * counter.get_total_flops() // n
