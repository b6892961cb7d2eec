"""Chapter 3: the size counters against built models, FlopCounterMode and transformers; head_dim honoured."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from course.models import GPT, GPTConfig, count_parameters
from course.models.sizes import GPT3_SIZES, attended_pairs, matmul_flops, param_breakdown, published_size
from course.nn import MultiHeadAttention, causal_mask, record_attention

SHAPES = [GPTConfig(vocab_size=31, context=12, n_layers=2, n_heads=4, d_model=32),
          GPTConfig(vocab_size=31, context=12, n_layers=3, n_heads=3, d_model=32, head_dim=12),
          GPTConfig(vocab_size=31, context=12, n_layers=2, n_heads=6, d_model=20, head_dim=4, n_kv_heads=2),
          GPTConfig(vocab_size=31, context=12, n_layers=1, n_heads=2, d_model=16, head_dim=10, bias=False,
                    tie_weights=False, norm="rms", positions="rope")]


@pytest.mark.parametrize("cfg", SHAPES)
def test_counter_and_breakdown_equal_the_built_model(cfg):
    built = count_parameters(GPT(cfg))
    assert cfg.n_params() == built == sum(param_breakdown(cfg).values())


@pytest.mark.parametrize("cfg", SHAPES)
def test_matmul_flops_equal_flop_counter_mode(cfg):
    model = GPT(cfg)
    x = torch.randint(0, cfg.vocab_size, (3, 10))
    with record_attention(model), FlopCounterMode(display=False) as counter:
        model(x, targets=x).loss.backward()
    assert counter.get_total_flops() == matmul_flops(cfg, 3, 10)
    with record_attention(model), FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    assert counter.get_total_flops() == matmul_flops(cfg, 3, 10, backward=False)


def test_gpt3_table_is_reproduced_except_the_xl_row_as_printed():
    off = {row.name: row.config().n_params() / row.n_params - 1 for row in GPT3_SIZES}
    assert len(GPT3_SIZES) == 8
    assert all(abs(v) < 0.02 for name, v in off.items() if name != "GPT-3 XL"), off
    assert 0.15 < off["GPT-3 XL"] < 0.18                      # 24 heads × 128 = 3072 ≠ 2048
    xl = published_size("GPT-3 XL")
    assert abs(xl.config(n_heads=16).n_params() / xl.n_params - 1) < 0.02
    big = published_size("GPT-3 175B").config()
    assert (big.n_layers, big.d_model, big.n_heads, big.head_size, big.context) == (96, 12288, 96, 128, 2048)
    with torch.device("meta"):
        assert count_parameters(GPT(big)) == big.n_params() == 174_604_259_328


def test_head_dim_is_honoured_by_attention_and_equals_torch_reference():
    mha = MultiHeadAttention(20, 3, head_dim=8, causal=True).eval()
    assert mha.qkv_proj.weight.shape == (3 * 24, 20) and mha.out_proj.weight.shape == (20, 24)
    x = torch.randn(2, 5, 20)
    q, k, v = (t.view(2, 5, 3, 8).transpose(1, 2) for t in mha.qkv_proj(x).split(24, dim=-1))
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    expected = mha.out_proj(ref.transpose(1, 2).reshape(2, 5, 24))
    torch.testing.assert_close(mha(x), expected)
    with record_attention(mha):                                   # the manual path agrees too
        torch.testing.assert_close(mha(x), expected)


def test_gpt_with_head_dim_runs_with_a_kv_cache():
    cfg = GPTConfig(vocab_size=31, context=12, n_layers=2, n_heads=3, d_model=16, head_dim=8)
    model = GPT(cfg).eval()
    x = torch.randint(0, 31, (2, 7))
    with torch.no_grad():
        full = model(x).logits
        first = model(x[:, :6], use_cache=True)
        step = model(x[:, 6:], cache=first.cache, use_cache=True).logits
    torch.testing.assert_close(step[:, -1], full[:, -1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("t,window", [(1, 1), (5, 2), (6, 9), (40, 7), (33, None)])
def test_attended_pairs_counts_the_mask(t, window):
    assert attended_pairs(t, window) == int(causal_mask(t, window=window).sum())


def test_set_window_per_layer_matches_a_config_window_and_can_be_undone():
    cfg = GPTConfig(vocab_size=31, context=12, n_layers=4, n_heads=2, d_model=16)
    banded_cfg = GPTConfig(vocab_size=31, context=12, n_layers=4, n_heads=2, d_model=16, window=3)
    x = torch.randint(0, 31, (2, 12))
    torch.manual_seed(0)
    model = GPT(cfg).eval()
    reference = GPT(banded_cfg).eval()
    reference.load_state_dict(model.state_dict())
    with torch.no_grad():
        dense = model(x).logits
        assert model.set_window(range(4), 3) is model
        torch.testing.assert_close(model(x).logits, reference(x).logits)
        model.set_window(range(4), None)
        torch.testing.assert_close(model(x).logits, dense)
        model.set_window(range(1, 4, 2), 3)                          # GPT-3's alternation
        assert [b.self_attn.window for b in model.blocks] == [None, 3, None, 3]
        alternating = model(x).logits
    assert not torch.allclose(alternating, dense) and not torch.allclose(alternating, reference(x).logits)
    torch.testing.assert_close(alternating[:, :3], dense[:, :3])      # the first 3 positions see all keys anyway
