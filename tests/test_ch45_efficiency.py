"""Chapter 45: pruning equal to torch.nn.utils.prune, int8 weights equal to PyTorch's quantizers, the MoE
layer equal to a dense computation of its experts, and its balancing loss equal to transformers' Mixtral one."""
import copy
import warnings

import pytest
import torch
import torch.nn.utils.prune as prune

from course.efficiency import (apply_masks, csr_bytes, dense_bytes, dequantize, fake_quantize, int8_dynamic,
                               linear_weights, magnitude_masks, median_seconds, quantize_symmetric,
                               state_dict_bytes, zero_fraction)
from course.models import GPT, GPTConfig
from course.nn import MoEFeedForward, load_balancing_loss
from course.selftest import exercise
from course.selftest.bank import ch45


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=50, context=16, n_layers=2, n_heads=2, d_model=32))


@pytest.mark.parametrize("scope", ["layer", "global"])
@pytest.mark.parametrize("amount", [0.0, 0.3, 0.5, 0.9, 1.0])
def test_masks_equal_torch_prune(model, scope, amount):
    ours = magnitude_masks(linear_weights(model), amount, scope)
    clone = copy.deepcopy(model)
    modules = dict(clone.named_modules())
    names = list(ours)
    if scope == "global":
        prune.global_unstructured([(modules[n], "weight") for n in names], prune.L1Unstructured, amount=amount)
    else:
        for n in names:
            prune.l1_unstructured(modules[n], "weight", amount=amount)
    for n in names:
        assert torch.equal(ours[n], modules[n].weight_mask.bool()), n
    pruned = copy.deepcopy(model)
    apply_masks(linear_weights(pruned), ours)
    for n in names:                                   # the pruned weights equal prune's weight = orig · mask
        assert torch.equal(linear_weights(pruned)[n], modules[n].weight)
    total = sum(m.numel() for m in ours.values())
    expected = round(amount * total) / total if scope == "global" else None
    if expected is not None:
        assert zero_fraction(linear_weights(pruned)) == pytest.approx(expected, abs=1e-9)


def test_bytes_dense_and_csr():
    w = torch.zeros(4, 6)
    w[0, 1], w[2, 3] = 1.0, -2.0
    assert dense_bytes(w) == 4 * 6 * 4
    assert csr_bytes(w) == 2 * 4 + 2 * 8 + 5 * 8          # values, column indices, row offsets
    assert state_dict_bytes(torch.nn.Linear(8, 8)) > 8 * 8 * 4


@pytest.mark.parametrize("bits", [8, 4, 2])
def test_quantizer_equals_torch_per_channel(bits):
    from torch.ao.quantization.observer import PerChannelMinMaxObserver
    w = torch.randn(16, 24, generator=torch.Generator().manual_seed(bits))
    q, scale = quantize_symmetric(w, bits=bits)
    qmax = 2 ** (bits - 1) - 1
    observer = PerChannelMinMaxObserver(dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                        quant_min=-qmax, quant_max=qmax)
    observer(w)
    s, z = observer.calculate_qparams()
    assert torch.allclose(scale.squeeze(1), s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.quantize_per_channel(w, s, z, axis=0, dtype=torch.qint8).int_repr()
    assert torch.equal(q, theirs) and int(q.abs().max()) == qmax
    assert (dequantize(q, scale) - w).abs().le(scale / 2 + 1e-6).all()       # error at most half a step


def test_per_tensor_scale_is_one_number():
    w = torch.randn(5, 7)
    q, scale = quantize_symmetric(w, bits=8, per_channel=False)
    assert scale.dim() == 0 and torch.isclose(scale, w.abs().max() / 127)
    assert torch.equal(quantize_symmetric(torch.zeros(2, 3))[0], torch.zeros(2, 3, dtype=torch.int8))


def test_an_all_zero_row_gets_the_observers_scale():
    from torch.ao.quantization.observer import PerChannelMinMaxObserver
    w = torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
    w[1] = 0.0                                            # a row pruned away entirely
    q, scale = quantize_symmetric(w)
    observer = PerChannelMinMaxObserver(dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                        quant_min=-127, quant_max=127)
    observer(w)
    assert torch.allclose(scale.squeeze(1), observer.calculate_qparams()[0], rtol=1e-6, atol=0)
    assert torch.equal(q[1], torch.zeros(6, dtype=torch.int8))


def test_dequantize_takes_one_scale_per_row_or_one_in_all():
    q = torch.ones(3, 3, dtype=torch.int8)
    assert torch.equal(dequantize(q, torch.tensor([[1.0], [2.0], [3.0]]))[:, 0], torch.tensor([1.0, 2.0, 3.0]))
    assert torch.equal(dequantize(q, torch.tensor(2.0)), torch.full((3, 3), 2.0))
    with pytest.raises(ValueError, match="scale must be 0-d"):
        dequantize(q, torch.tensor([1.0, 2.0, 3.0]))     # would silently scale the columns


def test_dynamic_int8_model_uses_our_weights_and_leaves_the_head(model):
    quantized = int8_dynamic(model)
    layers = dict(quantized.named_modules())
    for name, w in linear_weights(model).items():
        assert torch.equal(layers[name].weight().int_repr(), quantize_symmetric(w)[0]), name
    assert type(quantized.head) is torch.nn.Linear and quantized.head.weight is quantized.tok_emb.weight
    assert state_dict_bytes(quantized) < state_dict_bytes(int8_dynamic(model, exclude=()))   # tie kept
    fake = fake_quantize(model)
    for name, w in linear_weights(fake).items():             # simulated = dequantized int8 weights, exactly
        assert torch.equal(w, dequantize(*quantize_symmetric(linear_weights(model)[name]))), name
    x = torch.randint(0, 50, (2, 16))
    with torch.inference_mode():
        ref, out = model(x).logits, quantized(x).logits
    assert (out - ref).abs().max() < 0.05 * ref.abs().max()
    per_tensor = dict(int8_dynamic(model, per_channel=False).named_modules())
    for name in linear_weights(model):
        assert per_tensor[name].weight().qscheme() in (torch.per_tensor_symmetric, torch.per_tensor_affine)
        assert per_tensor[name].weight().q_scale() > 0


def test_moe_equals_a_dense_computation_of_every_expert():
    torch.manual_seed(0)
    for k in (1, 2, 3):
        layer = MoEFeedForward(16, 32, n_experts=4, top_k=k)
        x = torch.randn(2, 5, 16)
        out = layer(x)
        tokens = x.reshape(-1, 16)
        probs = layer.router(tokens).softmax(-1)
        every = torch.stack([e(tokens) for e in layer.experts], dim=1)           # (N, E, d)
        top = probs.topk(k, dim=-1)
        gate = torch.zeros_like(probs).scatter(1, top.indices, top.values)
        if k > 1:
            gate = gate / gate.sum(-1, keepdim=True)
        assert torch.allclose(out.y, (gate[..., None] * every).sum(1).view_as(x), atol=1e-6)
        assert torch.isclose(out.expert_share.sum(), torch.tensor(float(k)))
        out.y.sum().backward()                                                     # the router learns
        assert layer.router.weight.grad is not None and layer.router.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("top_k", [1, 2, 4])
def test_balancing_loss_equals_transformers_mixtral(top_k):
    mixtral = pytest.importorskip("transformers.models.mixtral.modeling_mixtral")
    logits = torch.randn(40, 6, generator=torch.Generator().manual_seed(top_k))
    logits[:, 2] += 1.5
    theirs = mixtral.load_balancing_loss_func((logits,), num_experts=6, top_k=top_k)
    assert torch.isclose(load_balancing_loss(logits, top_k), theirs)
    assert torch.isclose(ch45.balance_loss(logits, top_k), theirs)          # the exercise's reference too


def test_balanced_routing_gives_top_k():
    logits = torch.eye(4).repeat(5, 1) * 10           # each expert first for a quarter of the tokens
    assert torch.isclose(load_balancing_loss(logits, 1), torch.tensor(1.0), atol=1e-3)
    pairs = (torch.eye(4) + torch.eye(4).roll(1, dims=1)).repeat(5, 1) * 10   # experts (i, i+1) for a quarter
    assert torch.isclose(load_balancing_loss(pairs, 2), torch.tensor(2.0), atol=1e-3)
    assert torch.isclose(load_balancing_loss(torch.zeros(8, 4).index_fill(1, torch.tensor([0]), 20.0), 1),
                         torch.tensor(4.0), atol=1e-3)             # every token on one expert: E


def test_reference_solutions_pass_and_mistakes_are_caught():
    for key in ("45.nm_mask", "45.balance_loss"):
        ex = exercise(key)
        assert ex.check(getattr(ch45, ex.name), record=False).passed
        for mistake in ex.mistakes:
            verdict = ex.check(mistake.fn, record=False)
            assert not verdict.passed and verdict.mistake == mistake.name, (key, mistake.name, str(verdict))


def test_median_seconds_times_a_call():
    calls = []
    assert median_seconds(lambda: calls.append(1), repeat=3) >= 0 and len(calls) == 4
