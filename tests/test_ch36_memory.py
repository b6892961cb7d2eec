"""Chapter 36: the training-memory calculator agrees with the bytes PyTorch's own AdamW really holds, and with
the ZeRO paper's Figure 1."""
import pytest
import torch

from course.models import GPT, GPTConfig, count_parameters
from course.runtime import saved_for_backward_bytes
from course.selftest.bank import ch36
from course.train import held_bytes, megatron_activation_bytes, training_memory


def _stepped(optimizer_cls, **kw):
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=50))
    opt = optimizer_cls(model.parameters(), **kw)
    x = torch.randint(0, 50, (2, 16))
    model(x, targets=x).loss.backward()
    opt.step()
    return model, opt


@pytest.mark.parametrize("cls,kind,kw", [(torch.optim.AdamW, "adam", {}), (torch.optim.Adam, "adam", {}),
                                         (torch.optim.SGD, "sgd_momentum", {"momentum": 0.9}),
                                         (torch.optim.SGD, "sgd", {})])
def test_calculator_equals_the_bytes_torch_optimizers_hold(cls, kind, kw):
    model, opt = _stepped(cls, lr=1e-3, **kw)
    n = count_parameters(model)
    got, want = held_bytes(model, opt), training_memory(n, precision="fp32", optimizer=kind)
    assert got.weights == want.weights == 4 * n and got.gradients == want.gradients
    counters = 4 * len(opt.state) if kind == "adam" else 0     # Adam's per-tensor float32 step counter
    assert got.optimizer_states == want.optimizer_states + counters


def test_a_master_copy_is_counted_as_master_weights():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=50)).bfloat16()
    master = [p.detach().float().requires_grad_() for p in model.parameters()]
    opt = torch.optim.AdamW(master)
    for m in master:
        m.grad = torch.zeros_like(m)
    opt.step()
    for m in master:
        m.grad = None
    n = count_parameters(model)
    got, want = held_bytes(model, opt), training_memory(n, precision="mixed")
    assert (got.weights, got.master_weights) == (want.weights, want.master_weights) == (2 * n, 4 * n)
    assert got.optimizer_states == want.optimizer_states + 4 * len(master)


def test_zero_stages_reproduce_the_papers_figure_1():
    gb = [training_memory(7_500_000_000, zero_stage=s, n_gpus=64).total / 1e9 for s in range(4)]
    assert [round(g, 1) for g in gb] == [120.0, 31.4, 16.6, 1.9]


def test_megatron_activation_formula_on_hand_computed_values():
    # one Llama-2-7B layer, 4,096 tokens: 4096·4096·(34 + 5·32·4096/4096) = 16,777,216 · 194
    assert megatron_activation_bytes(4096, 1, 4096, 32, 1) == 3_254_779_904
    assert megatron_activation_bytes(4096, 1, 4096, 32, 1, recompute=True) == 33_554_432
    assert megatron_activation_bytes(4096, 1, 8192, 64, 80) == 520_764_784_640


def test_megatron_activation_formula_matches_a_measurement():
    """The formula counts 16-bit activations; the course GPT (fp32, no dropout) measured per sequence
    should hold about twice the formula's bytes (within 2 %)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("baby", vocab_size=500))
    measured = []
    for b in (2, 4):
        x = torch.randint(0, 500, (b, 64), generator=torch.Generator().manual_seed(b))
        measured.append(saved_for_backward_bytes(lambda: model(x, targets=x).loss)[1])
    per_sequence = (measured[1] - measured[0]) / 2
    c = model.config
    formula = 2 * megatron_activation_bytes(64, 1, c.d_model, c.n_heads, c.n_layers)
    assert abs(per_sequence / formula - 1) < 0.02


def test_max_params_on_known_cases():
    assert ch36.max_params(80_000_000_000, 8, 0) == 5_000_000_000          # 16 bytes per parameter
    assert ch36.max_params(16 * 64, 64, 3) == 4096                         # 16/64 bytes per parameter
