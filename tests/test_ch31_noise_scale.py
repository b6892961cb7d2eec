"""Chapter 31: the gradient noise scale from torch.func equals a loop of ordinary backward passes; the
two-batch estimator inverts E|G_B|² = |G|² + tr(Σ)/B; the exercises' references and planted mistakes."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course.selftest import exercise
from course.selftest.exercises import _reference
from course.train import gradient_noise_scale, noise_scale_from_batches


def test_gradient_noise_scale_equals_a_loop_of_backward_passes():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(11, 4), nn.Flatten(), nn.Linear(8, 11))
    x, y = torch.randint(0, 11, (37, 2)), torch.randint(0, 11, (37,))
    grads = []
    for i in range(37):
        model.zero_grad()
        F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    g = torch.stack(grads).double()                                          # (N, P)
    trace = float(g.var(dim=0, unbiased=True).sum())
    g_sq = float(g.mean(0).pow(2).sum()) - trace / 37
    ours = gradient_noise_scale(model, F.cross_entropy, x, y, chunk=10)      # chunks of 10: 4 chunks
    assert ours.trace_sigma == pytest.approx(trace, rel=1e-4)
    assert ours.g_sq == pytest.approx(g_sq, rel=1e-3)
    assert ours.b_simple == pytest.approx(trace / g_sq, rel=1e-3)


def test_two_batch_estimator_inverts_the_expected_norms():
    g_sq, trace = 0.3, 12.0
    est = noise_scale_from_batches(g_sq + trace / 16, g_sq + trace / 256, 16, 256)
    assert est.g_sq == pytest.approx(g_sq) and est.trace_sigma == pytest.approx(trace)
    assert est.b_simple == pytest.approx(40.0)


def test_exercise_reference_agrees_with_the_package():
    ref = _reference(exercise("31.noise_scale"))
    assert ref(1.2, 0.4, 8, 128) == pytest.approx(noise_scale_from_batches(1.2, 0.4, 8, 128).b_simple)


@pytest.mark.parametrize("key", ["31.gl_stop", "31.noise_scale"])
def test_reference_passes_and_every_planted_mistake_is_caught(key):
    ex = exercise(key)
    assert ex.check(_reference(ex), record=False).passed
    for mistake in ex.mistakes:
        verdict = ex.check(mistake.fn, record=False)
        assert not verdict.passed and verdict.mistake == mistake.name, (mistake.name, verdict.message)
