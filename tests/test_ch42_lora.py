"""Chapter 42: course.nn.lora against the peft library on the same base weights."""
import copy

import pytest
import torch
from torch import nn

from course.models import GPT, GPTConfig, count_parameters
from course.nn import LoRALinear, add_lora, merge_lora

peft = pytest.importorskip("peft")


def _gpt():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=50, context=16, n_layers=2, n_heads=4, d_model=32)).eval()


def _randomise_b(model):
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, LoRALinear):
                m.lora_B.copy_(0.1 * torch.randn(m.lora_B.shape, generator=g))


@pytest.mark.parametrize("r, alpha, targets", [(4, 8, ("qkv_proj", "out_proj")), (2, 5, ("up", "down")),
                                               (8, 8, ("qkv_proj", "out_proj", "up", "down"))])
def test_same_outputs_as_peft_after_copying_a_and_b(r, alpha, targets):
    base = _gpt()
    ours = copy.deepcopy(base)
    names = add_lora(ours, targets=targets, r=r, alpha=alpha)
    _randomise_b(ours)
    twin = peft.inject_adapter_in_model(peft.LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0,
                                                        target_modules=list(targets)), copy.deepcopy(base))
    with torch.no_grad():
        for name in names:
            mine, theirs = ours.get_submodule(name), twin.get_submodule(name)
            assert theirs.lora_A["default"].weight.shape == mine.lora_A.shape
            assert theirs.lora_B["default"].weight.shape == mine.lora_B.shape
            assert theirs.scaling["default"] == pytest.approx(mine.scale)
            theirs.lora_A["default"].weight.copy_(mine.lora_A)
            theirs.lora_B["default"].weight.copy_(mine.lora_B)
        ids = torch.randint(0, 50, (3, 16))
        torch.testing.assert_close(ours(ids).logits, twin(ids).logits, rtol=1e-5, atol=1e-6)
    assert sum(p.numel() for n, p in twin.named_parameters() if "lora_" in n) == \
        count_parameters(ours, trainable_only=True)


def test_merge_equals_peft_merge_and_the_unmerged_model():
    base = _gpt()
    ours = copy.deepcopy(base)
    names = add_lora(ours, r=4, alpha=8)
    _randomise_b(ours)
    ids = torch.randint(0, 50, (2, 16))
    with torch.no_grad():
        before = ours(ids).logits
        merged = copy.deepcopy(ours)
        assert merge_lora(merged) == len(names)
        assert not any(isinstance(m, LoRALinear) for m in merged.modules())
        torch.testing.assert_close(merged(ids).logits, before, rtol=1e-5, atol=1e-6)
        for name in names:                       # W + (alpha / r) B A
            layer = ours.get_submodule(name)
            torch.testing.assert_close(merged.get_submodule(name).weight,
                                       base.get_submodule(name).weight + layer.scale * layer.lora_B @ layer.lora_A)
    from peft import LoraConfig, inject_adapter_in_model
    twin = inject_adapter_in_model(LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0,
                                              target_modules=["qkv_proj", "out_proj"]), copy.deepcopy(base))
    with torch.no_grad():
        for name in names:                       # peft's own merge() on each of its LoRA layers
            mine, theirs = ours.get_submodule(name), twin.get_submodule(name)
            theirs.lora_A["default"].weight.copy_(mine.lora_A)
            theirs.lora_B["default"].weight.copy_(mine.lora_B)
            theirs.merge()
            torch.testing.assert_close(theirs.base_layer.weight, merged.get_submodule(name).weight,
                                       rtol=1e-5, atol=1e-6)


def test_starts_as_the_base_model_and_trains_only_a_and_b():
    base = _gpt()
    ours = copy.deepcopy(base)
    add_lora(ours, r=4, alpha=8)
    ids = torch.randint(0, 50, (2, 16))
    with torch.no_grad():
        assert torch.equal(ours(ids).logits, base(ids).logits)          # B = 0
    trainable = {n for n, p in ours.named_parameters() if p.requires_grad}
    assert trainable and all(n.endswith(("lora_A", "lora_B")) for n in trainable)
    ours(ids, targets=ids).loss.backward()
    assert all(p.grad is None for n, p in ours.named_parameters() if n not in trainable)
    a_grads = [p.grad for n, p in ours.named_parameters() if n.endswith("lora_A")]
    b_grads = [p.grad for n, p in ours.named_parameters() if n.endswith("lora_B")]
    assert all(g.abs().sum() == 0 for g in a_grads)                       # B = 0: A gets no gradient yet
    assert all(g.abs().sum() > 0 for g in b_grads)                        # A random: B does


def test_lora_linear_count_and_shapes():
    layer = LoRALinear(nn.Linear(10, 6), r=3, alpha=6)
    assert layer.lora_A.shape == (3, 10) and layer.lora_B.shape == (6, 3) and layer.scale == 2.0
    assert count_parameters(layer, trainable_only=True) == 3 * (10 + 6)
    x = torch.randn(4, 7, 10)
    assert layer(x).shape == (4, 7, 6)
