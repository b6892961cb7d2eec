"""Chapter 35's self-test beyond the bank-wide rules: the references equal the package and torch, the
accumulated losses give the full batch's gradient (its tighter quiz-length rules are in tests/test_bank.py)."""
import pytest
import torch
import torch.nn.functional as F

from course.selftest import bank
from course.selftest.exercises import _reference
from course.train import token_cross_entropy, z_loss

CH = bank.load(35)


@pytest.mark.parametrize("seed", range(3))
def test_z_loss_reference_equals_the_package(seed):
    for case in CH.Z_LOSS._cases(seed):
        torch.testing.assert_close(_reference(CH.Z_LOSS)(**case), z_loss(**case))


def test_accumulated_micro_batch_gradients_equal_the_full_batch_gradient():
    g = torch.Generator().manual_seed(0)
    v = 6
    logits = torch.randn(5, 7, v, generator=g)
    targets = torch.randint(v, (5, 7), generator=g)
    targets[0, 2:] = -100
    targets[3, 5:] = -100
    targets[4, 1:] = -100
    full = logits.clone().requires_grad_()
    F.cross_entropy(full.reshape(-1, v), targets.reshape(-1), ignore_index=-100).backward()

    parts = [slice(0, 1), slice(1, 3), slice(3, 5)]          # micro-batches with 2, 14 and 3 real tokens
    split = logits.clone().requires_grad_()
    token_losses = [token_cross_entropy(split[s], targets[s], reduction="none") for s in parts]
    losses = _reference(CH.ACCUMULATION)(token_losses, [targets[s] != -100 for s in parts])
    for loss in losses:
        loss.backward(retain_graph=True)
    torch.testing.assert_close(split.grad, full.grad)

