"""course.train.losses against torch: cross-entropy from scratch, the shift, MSE on softmax, z-loss."""
import math

import pytest
import torch
import torch.nn.functional as F

from course.models import lm_loss
from course.train import (IGNORE_INDEX, logsumexp, mse_on_probs, next_token_targets, token_cross_entropy,
                          z_loss)


def _batch(seed=0, b=3, t=7, v=11, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(b, t, v, generator=g) * scale
    targets = torch.randint(v, (b, t), generator=g)
    targets[0, 4:] = IGNORE_INDEX
    targets[2, 1] = IGNORE_INDEX
    return logits, targets


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_logsumexp_equals_torch_even_for_huge_logits(scale):
    x = torch.randn(4, 9, generator=torch.Generator().manual_seed(1)) * scale
    torch.testing.assert_close(logsumexp(x), torch.logsumexp(x, -1))
    torch.testing.assert_close(logsumexp(x, dim=0), torch.logsumexp(x, 0))


@pytest.mark.parametrize("seed", range(3))
def test_token_cross_entropy_equals_torch_and_lm_loss(seed):
    logits, targets = _batch(seed)
    ref = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX)
    torch.testing.assert_close(token_cross_entropy(logits, targets), ref)
    torch.testing.assert_close(lm_loss(logits, targets), ref)
    ref_sum = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX, reduction="sum")
    torch.testing.assert_close(token_cross_entropy(logits, targets, reduction="sum"), ref_sum)
    none = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX,
                           reduction="none").view_as(targets)
    torch.testing.assert_close(token_cross_entropy(logits, targets, reduction="none"), none)


def test_token_cross_entropy_gradient_equals_torch_and_other_ignore_index():
    logits, targets = _batch(3)
    targets = targets.masked_fill(targets == IGNORE_INDEX, 0)
    targets[1, :3] = 0
    a, b = logits.clone().requires_grad_(), logits.clone().requires_grad_()
    token_cross_entropy(a, targets, ignore_index=0).backward()
    F.cross_entropy(b.flatten(0, 1), targets.flatten(), ignore_index=0).backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_token_cross_entropy_stays_finite_where_naive_log_softmax_overflows():
    logits = torch.tensor([[1000.0, 0.0, -1000.0]])
    naive = -torch.log(logits.exp() / logits.exp().sum(-1, keepdim=True))[0, 1]
    assert not math.isfinite(naive.item())
    assert token_cross_entropy(logits, torch.tensor([1])).item() == pytest.approx(1000.0)


def test_next_token_targets_shifts_and_masks_padding():
    ids = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0]])
    mask = ids != 0
    x, y = next_token_targets(ids, mask)
    assert x.tolist() == [[5, 6, 7], [8, 9, 0]]
    assert y.tolist() == [[6, 7, -100], [9, -100, -100]]
    assert next_token_targets(ids)[1].tolist() == [[6, 7, 0], [9, 0, 0]]
    assert next_token_targets(ids, mask, ignore_index=-1)[1][1].tolist() == [9, -1, -1]


def test_mse_on_probs_equals_torch_mse_loss():
    g = torch.Generator().manual_seed(0)
    logits, targets = torch.randn(6, 5, generator=g) * 4, torch.randint(5, (6,), generator=g)
    ref = F.mse_loss(logits.softmax(-1), F.one_hot(targets, 5).float(), reduction="sum") / 6
    torch.testing.assert_close(mse_on_probs(logits, targets), ref)


def test_z_loss_is_the_mean_squared_log_partition():
    logits, targets = _batch(1)
    log_z = torch.logsumexp(logits, -1)
    torch.testing.assert_close(z_loss(logits, coefficient=1e-3), 1e-3 * (log_z ** 2).mean())
    mask = targets != IGNORE_INDEX
    torch.testing.assert_close(z_loss(logits, mask, 0.5), 0.5 * (log_z[mask] ** 2).mean())
    # shifting every logit of a row leaves cross-entropy unchanged but moves log Z: only z-loss sees it
    shifted = logits + 7.0
    torch.testing.assert_close(token_cross_entropy(shifted, targets), token_cross_entropy(logits, targets))
    assert z_loss(shifted) > z_loss(logits)


def test_token_cross_entropy_ignores_nonfinite_logits_at_ignored_positions():
    logits = torch.randn(2, 5, generator=torch.Generator().manual_seed(0))
    logits[1] = -math.inf                     # an ignored row with −inf logits: inf · 0 would give nan
    targets = torch.tensor([3, IGNORE_INDEX])
    ref = F.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX)
    assert torch.isfinite(ref)
    torch.testing.assert_close(token_cross_entropy(logits, targets), ref)
    logits[1] = math.nan
    torch.testing.assert_close(token_cross_entropy(logits, targets), ref)
    assert token_cross_entropy(logits, targets, reduction="none")[1].item() == 0.0


def test_losses_keep_float64_and_upcast_half_precision():
    logits, targets = _batch(4)
    double = logits.double()
    assert token_cross_entropy(double, targets).dtype == torch.float64
    torch.testing.assert_close(token_cross_entropy(double, targets),
                               F.cross_entropy(double.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX))
    assert mse_on_probs(double[:, 0], targets[:, 0].clamp(min=0)).dtype == torch.float64
    assert z_loss(double).dtype == torch.float64
    assert token_cross_entropy(logits.bfloat16(), targets).dtype == torch.float32
    assert z_loss(logits.half()).dtype == torch.float32
