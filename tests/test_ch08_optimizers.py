"""Chapter 8: the optimizers equal torch.optim over many steps; step sizes, the valley, and its exercises."""
import copy
import math

import pytest
import torch
from torch import nn

from course.selftest.bank import ch08
from course.train import SGD, AdaGrad, Adam, AdamW, RMSProp, effective_lr, trajectory, valley_loss

TWINS = [
    (SGD, torch.optim.SGD, dict(lr=0.02, weight_decay=0.01)),
    (SGD, torch.optim.SGD, dict(lr=0.02, momentum=0.9, weight_decay=0.01)),
    (SGD, torch.optim.SGD, dict(lr=0.02, momentum=0.9, nesterov=True)),
    (AdaGrad, torch.optim.Adagrad, dict(lr=0.3, weight_decay=0.01, eps=1e-6)),
    (RMSProp, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, weight_decay=0.01)),
    (Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.9, 0.95), weight_decay=0.1)),
    (AdamW, torch.optim.AdamW, dict(lr=0.05, betas=(0.9, 0.95), weight_decay=0.1)),
]


@pytest.mark.parametrize("ours,theirs,kwargs", TWINS, ids=[f"{t[0].__name__}-{i}" for i, t in enumerate(TWINS)])
def test_optimizer_equals_torch_on_the_turned_valley_over_500_steps(ours, theirs, kwargs):
    loss = lambda p: valley_loss(p, (1.0, 25.0), math.pi / 5)
    a = trajectory(lambda p: ours(p, **kwargs), (-3.0, 2.0), 500, loss)
    b = trajectory(lambda p: theirs(p, **kwargs), (-3.0, 2.0), 500, loss)
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)          # float64: every step agrees


@pytest.mark.parametrize("ours,theirs,kwargs", TWINS, ids=[f"{t[0].__name__}-{i}" for i, t in enumerate(TWINS)])
def test_optimizer_equals_torch_on_a_network_over_300_steps(ours, theirs, kwargs):
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 2)).double()   # float64: no rounding drift
    b = copy.deepcopy(a)
    opt_a, opt_b = ours(a.parameters(), **kwargs), theirs(b.parameters(), **kwargs)
    data = torch.Generator().manual_seed(0)
    for _ in range(300):
        x = torch.randn(16, 6, generator=data, dtype=torch.float64)
        y = torch.stack([x[:, 0] * x[:, 1], torch.sin(x[:, 2])], 1)
        for model, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-9, atol=1e-9)


def test_effective_lr_is_the_factor_that_multiplies_the_gradient():
    # AdaGrad and RMSProp: Δθ = -effective_lr · g, measured on one step after some history
    for cls, kwargs in ((AdaGrad, dict(lr=0.1)), (RMSProp, dict(lr=0.01, alpha=0.9)), (SGD, dict(lr=0.3))):
        p = nn.Parameter(torch.randn(5, dtype=torch.float64))
        opt = cls([p], **kwargs)
        for k in range(4):
            p.grad = torch.randn(5, dtype=torch.float64) * 10 ** torch.arange(5.0, dtype=torch.float64)
            before = p.detach().clone()
            opt.step()
            torch.testing.assert_close(p.detach() - before, -effective_lr(opt, p) * p.grad)
    # Adam: Δθ = -effective_lr · m
    p = nn.Parameter(torch.randn(4, dtype=torch.float64))
    opt = Adam([p], lr=0.01, betas=(0.8, 0.9))
    for _ in range(3):
        p.grad = torch.randn(4, dtype=torch.float64)
        before = p.detach().clone()
        opt.step()
        torch.testing.assert_close(p.detach() - before, -effective_lr(opt, p) * opt.state[p]["exp_avg"])


def test_adagrad_step_size_falls_as_one_over_root_t_for_constant_gradients():
    p = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = AdaGrad([p], lr=1.0, eps=1e-12)
    sizes = []
    for _ in range(100):
        p.grad = torch.full((1,), 2.0, dtype=torch.float64)
        opt.step()
        sizes.append(effective_lr(opt, p).item())
    assert sizes[99] == pytest.approx(1 / (2 * math.sqrt(100)))
    assert sizes[24] / sizes[99] == pytest.approx(2.0)


def test_valley_loss_and_trajectory():
    xy = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    torch.testing.assert_close(valley_loss(xy, (2.0, 8.0)), torch.tensor([1.0, 4.0]))
    turned = valley_loss(torch.tensor([math.cos(0.3), math.sin(0.3)]), (2.0, 8.0), angle=0.3)
    assert float(turned) == pytest.approx(1.0)
    path = trajectory(lambda p: SGD(p, lr=0.1), (1.0, 1.0), 7)
    assert path.shape == (8, 2) and path.dtype == torch.float64
    torch.testing.assert_close(path[1], torch.tensor([0.9, 1.0 - 0.1 * 25.0], dtype=torch.float64))


def test_adamw_and_adam_l2_differ_by_a_gradient_dependent_factor():
    # two weights with the same value, very different gradient scales
    w_l2, w_w = (nn.Parameter(torch.tensor([1.0, 1.0], dtype=torch.float64)) for _ in range(2))
    adam, adamw = Adam([w_l2], lr=0.01, weight_decay=0.1), AdamW([w_w], lr=0.01, weight_decay=0.1)
    for _ in range(200):
        for w, opt in ((w_l2, adam), (w_w, adamw)):
            opt.zero_grad()
            (w * torch.tensor([10.0, 1e-3], dtype=torch.float64)).sum().backward()
            opt.step()
    decay_l2 = effective_lr(adam, w_l2) * 0.1
    assert decay_l2[1] / decay_l2[0] > 10                     # the small-gradient weight is pulled far harder
    # ...so under L2 it is driven to ≈ 0, while AdamW moves both weights alike
    assert abs(w_l2[1]) < 0.1 * abs(w_w[1]) and torch.allclose(w_w[0], w_w[1], atol=1e-2)


def test_adamw_step_reference_equals_torch_adamw():
    for case in ch08._adamw_cases(torch.Generator().manual_seed(0)):
        p = nn.Parameter(case["param"].clone())
        kwargs = {k: case[k] for k in ("betas", "eps", "weight_decay") if k in case}
        opt = torch.optim.AdamW([p], lr=case["lr"], **kwargs)
        if case["step"] > 1:
            opt.state[p] = {"step": torch.tensor(float(case["step"] - 1)), "exp_avg": case["exp_avg"].clone(),
                            "exp_avg_sq": case["exp_avg_sq"].clone()}
        p.grad = case["grad"].clone()
        opt.step()
        new, m, v = ch08.adamw_step(**case)
        torch.testing.assert_close(new, p.detach(), rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(m, opt.state[p]["exp_avg"])
        torch.testing.assert_close(v, opt.state[p]["exp_avg_sq"])


@pytest.mark.parametrize("alpha", [None, 0.9])
def test_step_sizes_reference_equals_the_optimizers(alpha):
    case = ch08._step_cases(torch.Generator().manual_seed(1))[1]
    grads = case["grads"].double()
    p = nn.Parameter(torch.zeros(grads.shape[1], dtype=torch.float64))
    opt = AdaGrad([p], lr=0.1, eps=1e-8) if alpha is None else RMSProp([p], lr=0.1, alpha=alpha, eps=1e-8)
    got = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        got.append(effective_lr(opt, p))
    torch.testing.assert_close(torch.stack(got), ch08.step_sizes(grads, 0.1, alpha, 1e-8))


@pytest.mark.parametrize("ex", ch08.EXERCISES, ids=lambda e: e.key)
def test_reference_passes_and_every_planted_mistake_is_caught(ex):
    from course.selftest.exercises import _reference
    assert ex.check(_reference(ex), record=False).passed
    for mistake in ex.mistakes:
        verdict = ex.check(mistake.fn, record=False)
        assert not verdict.passed and verdict.mistake == mistake.name, (mistake.name, verdict.message)
