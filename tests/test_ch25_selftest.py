"""Chapter 25's self-test beyond the bank-wide rules: the hand-written gradients equal autograd through
torch's own losses (its tighter quiz-length rules are in tests/test_bank.py)."""
import pytest
import torch
import torch.nn.functional as F

from course.selftest import bank
from course.selftest.exercises import _reference
from course.train import mse_on_probs

CH = bank.load(25)


@pytest.mark.parametrize("seed", range(3))
def test_mse_softmax_grad_equals_autograd_of_torch_mse_loss(seed):
    for case in CH.MSE_GRAD._cases(seed):
        z = case["logits"].clone().requires_grad_()
        n, v = z.shape
        (F.mse_loss(z.softmax(-1), F.one_hot(case["targets"], v).float(), reduction="sum") / n).backward()
        torch.testing.assert_close(_reference(CH.MSE_GRAD)(**case), z.grad)
        torch.testing.assert_close(mse_on_probs(case["logits"], case["targets"]),
                                   F.mse_loss(case["logits"].softmax(-1), F.one_hot(case["targets"], v).float(),
                                              reduction="sum") / n)


@pytest.mark.parametrize("seed", range(3))
def test_ce_grad_equals_autograd_of_torch_cross_entropy(seed):
    for case in CH.CE_GRAD._cases(seed):
        z = case["logits"].clone().requires_grad_()
        F.cross_entropy(z, case["targets"], ignore_index=case.get("ignore_index", -100)).backward()
        torch.testing.assert_close(_reference(CH.CE_GRAD)(**case), z.grad)


def test_mse_gradient_is_cross_entropy_gradient_times_two_over_v_at_uniform_predictions():
    v = 50
    z, y = torch.zeros(3, v), torch.tensor([0, 7, 49])
    ratio = _reference(CH.MSE_GRAD)(z, y) / _reference(CH.CE_GRAD)(z, y)
    torch.testing.assert_close(ratio, torch.full_like(ratio, 2 / v))

