"""Chapter 21: the warmup + cosine schedule equals torch's schedulers; the batch-noise law is exact."""
import itertools

import pytest
import torch

from course.selftest.bank import ch21
from course.train import SGD, warmup_cosine, warmup_cosine_scheduler


def _torch_lrs(steps, warmup, min_ratio):
    probe = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(probe, T_max=steps - warmup, eta_min=min_ratio)
    if warmup:
        linear = torch.optim.lr_scheduler.LinearLR(probe, start_factor=1 / warmup, total_iters=warmup - 1)
        scheduler = torch.optim.lr_scheduler.SequentialLR(probe, [linear, cosine], milestones=[warmup])
    else:
        scheduler = cosine
    lrs = []
    for _ in range(steps):
        lrs.append(probe.param_groups[0]["lr"])
        probe.step()
        scheduler.step()
    return lrs


@pytest.mark.parametrize("steps,warmup,min_ratio", [(100, 10, 0.1), (60, 1, 0.0), (37, 0, 0.2), (500, 50, 0.05)])
def test_warmup_cosine_equals_torch_linear_then_cosine(steps, warmup, min_ratio):
    ours = [warmup_cosine(s, warmup=warmup, total=steps, min_ratio=min_ratio) for s in range(steps)]
    assert ours == pytest.approx(_torch_lrs(steps, warmup, min_ratio), abs=1e-9)


def test_the_scheduler_applies_the_same_rates_to_an_optimizer():
    opt = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    sched = warmup_cosine_scheduler(opt, warmup=5, total=30)
    seen = []
    for _ in range(30):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([0.3 * m for m in _torch_lrs(30, 5, 0.1)], abs=1e-12)


def test_exercise_schedule_reference_equals_the_package():
    lrs = ch21.warmup_cosine_lrs(100, 3e-3, 10, 3e-4)
    assert lrs.dtype == torch.float64 and lrs.shape == (100,)
    expected = [3e-3 * warmup_cosine(s, warmup=10, total=100, min_ratio=0.1) for s in range(100)]
    assert lrs.tolist() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n,b", [(6, 1), (6, 2), (7, 3), (5, 5)])
def test_batch_noise_equals_the_average_over_every_batch(n, b):
    rows = torch.randn(n, 4, generator=torch.Generator().manual_seed(n + b), dtype=torch.float64) + 0.5
    mean = rows.mean(0)
    subsets = list(itertools.combinations(range(n), b))
    brute = sum(float((rows[list(s)].mean(0) - mean).pow(2).sum()) for s in subsets) / len(subsets)
    assert ch21.batch_noise(rows, b) == pytest.approx(brute / float(mean.pow(2).sum()), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("ex", ch21.EXERCISES, ids=lambda e: e.key)
def test_reference_passes_and_every_planted_mistake_is_caught(ex):
    from course.selftest.exercises import _reference
    assert ex.check(_reference(ex), record=False).passed
    for mistake in ex.mistakes:
        verdict = ex.check(mistake.fn, record=False)
        assert not verdict.passed and verdict.mistake == mistake.name, (mistake.name, verdict.message)
