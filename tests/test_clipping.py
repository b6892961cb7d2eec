import copy

import pytest
import torch
from torch import nn

from course.train import adaptive_clip, clip_by_global_norm, clip_by_value, global_grad_norm


def _model_with_grads(scale=10.0):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    (model(torch.randn(8, 4)).pow(2).sum() * scale).backward()
    return model


def _twin(model):
    """A deep copy with the gradients copied too (deepcopy leaves .grad behind)."""
    twin = copy.deepcopy(model)
    for p, q in zip(model.parameters(), twin.parameters()):
        q.grad = p.grad.clone()
    return twin


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e6])
def test_global_norm_clipping_equals_torch(max_norm):
    a = _model_with_grads()
    b = _twin(a)
    ours = clip_by_global_norm(a.parameters(), max_norm)
    theirs = torch.nn.utils.clip_grad_norm_(b.parameters(), max_norm)
    torch.testing.assert_close(ours, theirs)
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa.grad, pb.grad)


def test_value_clipping_equals_torch_and_changes_direction():
    a = _model_with_grads()
    b = _twin(a)
    before = torch.cat([p.grad.flatten() for p in a.parameters()])
    clip_by_value(a.parameters(), 0.5)
    torch.nn.utils.clip_grad_value_(b.parameters(), 0.5)
    after = torch.cat([p.grad.flatten() for p in a.parameters()])
    torch.testing.assert_close(after, torch.cat([p.grad.flatten() for p in b.parameters()]))
    assert torch.cosine_similarity(before, after, dim=0) < 0.999


def test_norm_clipping_keeps_direction():
    a = _model_with_grads()
    before = torch.cat([p.grad.flatten() for p in a.parameters()])
    clip_by_global_norm(a.parameters(), 0.5)
    after = torch.cat([p.grad.flatten() for p in a.parameters()])
    assert float(global_grad_norm(a.parameters())) == pytest.approx(0.5, rel=1e-4)
    assert float(torch.cosine_similarity(before, after, dim=0)) == pytest.approx(1.0, abs=1e-6)


def test_adaptive_clipping_bounds_each_row_relative_to_its_weights():
    model = _model_with_grads(scale=1e3)
    adaptive_clip(model.parameters(), clipping=0.01)
    for p in model.parameters():
        if p.dim() == 2:
            ratio = p.grad.norm(dim=1) / p.norm(dim=1).clamp_min(1e-3)
            assert (ratio <= 0.01 + 1e-5).all()


def test_adaptive_clipping_matches_the_chapter_reference():
    from course.selftest.bank.ch07 import adaptive_clip_grad
    w = nn.Parameter(torch.randn(4, 5))
    w.grad = torch.randn(4, 5) * 3
    expected = adaptive_clip_grad(w.detach(), w.grad.clone(), 0.05)
    adaptive_clip([w], clipping=0.05)
    torch.testing.assert_close(w.grad, expected)
