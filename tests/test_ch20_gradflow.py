"""Chapter 20: the gradient-flow measurements equal explicit Jacobians, and the exercises' references
equal autograd."""
import pytest
import torch
from torch import nn

from course.selftest import exercise
from course.selftest.exercises import _reference
from course.train import clip_by_global_norm, grad_norm_per_layer, grad_norm_per_step


def test_grad_norm_per_step_is_the_vector_jacobian_product():
    torch.manual_seed(0)
    rnn = nn.LSTM(3, 5, batch_first=True)
    x, v = torch.randn(2, 6, 3), torch.randn(2, 5)
    jac = [torch.autograd.functional.jacobian(lambda xb: rnn(xb[None])[0][0, -1], xb) for xb in x]
    expected = torch.stack([torch.einsum("h,htd->td", vb, J).norm(dim=-1) for vb, J in zip(v, jac)]).mean(0)
    assert torch.allclose(grad_norm_per_step(rnn, x, probe=v), expected, atol=1e-6)


def test_grad_norm_per_step_default_probe_is_seeded_and_unit():
    rnn = nn.RNN(3, 4, batch_first=True)
    x = torch.randn(2, 5, 3)
    a, b = grad_norm_per_step(rnn, x, seed=3), grad_norm_per_step(rnn, x, seed=3)
    assert torch.equal(a, b) and a.shape == (5,)
    # a linear "module" y = x: the gradient at the last step is the unit probe itself
    assert torch.allclose(grad_norm_per_step(lambda t: t, x), torch.tensor([0, 0, 0, 0, 1.0]))


def test_grad_norm_per_layer_matches_the_chain_rule():
    torch.manual_seed(0)
    layers = [nn.Linear(4, 4, bias=False) for _ in range(3)]
    x = torch.randn(1, 4)
    v = torch.randn(1, 4, generator=torch.Generator().manual_seed(0))
    v = v / v.norm()
    norms = grad_norm_per_layer(layers, x)
    g = v[0]
    expected = [1.0]
    for layer in reversed(layers):                        # linear layers: the gradient is vᵀ W_L ⋯ W_l
        g = g @ layer.weight
        expected.append(float(g.detach().norm()))
    assert torch.allclose(norms, torch.tensor(expected[::-1]), atol=1e-5)


def test_clipping_scales_the_per_step_profile_by_one_factor():
    torch.manual_seed(0)
    rnn = nn.RNN(3, 8, batch_first=True)
    nn.init.orthogonal_(rnn.weight_hh_l0, gain=3.0)
    inputs = nn.Parameter(torch.randn(4, 20, 3))
    rnn(inputs)[0][:, -1].sum().backward()
    before = inputs.grad.norm(dim=-1).clone()
    total = clip_by_global_norm([inputs, *rnn.parameters()], 1.0)
    factor = min(1.0, 1.0 / float(total))
    assert factor < 1
    assert torch.allclose(inputs.grad.norm(dim=-1), before * factor, rtol=1e-4)


@pytest.mark.parametrize("steps", [1, 7])
def test_bptt_reference_equals_autograd_through_the_unrolled_nn_rnn(steps):
    torch.manual_seed(0)
    rnn = nn.RNN(3, 5, batch_first=True)
    x = torch.randn(steps, 3)
    h, states = torch.zeros(5), []
    for t in range(steps):                                # the recurrence nn.RNN computes, unrolled
        h = torch.tanh(x[t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        h.retain_grad()
        states.append(h)
    assert torch.allclose(torch.stack(states), rnn(x[None])[0][0], atol=1e-6)
    g_last = torch.randn(5)
    (states[-1] * g_last).sum().backward()
    ours = _reference(exercise("20.bptt_tanh"))(rnn.weight_hh_l0.detach(), torch.stack(states).detach(), g_last)
    assert torch.allclose(ours, torch.stack([s.grad for s in states]), atol=1e-6)


def test_cell_path_reference_equals_autograd_of_the_cell_recurrence():
    torch.manual_seed(0)
    forget, g_last = torch.rand(6, 3), torch.randn(3)
    c = [torch.randn(3, requires_grad=True)]
    for t in range(1, 6):
        c.append(forget[t] * c[-1] + torch.randn(3))
    for ct in c[1:]:
        ct.retain_grad()
    (c[-1] * g_last).sum().backward()
    autograd = torch.stack([ct.grad for ct in c])
    assert torch.allclose(_reference(exercise("20.cell_path"))(forget, g_last), autograd, atol=1e-6)


@pytest.mark.parametrize("key", ["20.bptt_tanh", "20.cell_path"])
def test_reference_passes_and_every_planted_mistake_is_caught(key):
    ex = exercise(key)
    assert ex.check(_reference(ex), record=False).passed
    for mistake in ex.mistakes:
        verdict = ex.check(mistake.fn, record=False)
        assert not verdict.passed and verdict.mistake == mistake.name, (mistake.name, verdict.message)
