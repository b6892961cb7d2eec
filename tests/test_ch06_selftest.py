"""Chapter 6's self-test beyond the bank-wide rules: the references equal torch (its tighter quiz-length
rules are in tests/test_bank.py)."""
import pytest
import torch
import torch.nn.functional as F

from course.selftest import bank
from course.selftest.exercises import _reference

CH = bank.load(6)


@pytest.mark.parametrize("seed", range(3))
def test_next_token_loss_reference_equals_torch_cross_entropy(seed):
    ex = CH.NEXT_TOKEN_LOSS
    for case in ex._cases(seed):
        logits, ids, lengths = case["logits"], case["ids"], case["lengths"]
        position = torch.arange(1, ids.shape[1])[None, :]
        unscored = (position >= lengths[:, None]) | (position < case["prompt_lengths"][:, None])
        targets = ids[:, 1:].masked_fill(unscored, -100)
        ref = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        torch.testing.assert_close(_reference(ex)(**case), ref)


@pytest.mark.parametrize("seed", range(3))
def test_soft_cross_entropy_reference_equals_torch_with_probability_targets(seed):
    ex = CH.SOFT_CE
    for case in ex._cases(seed):
        m = case["mask"]
        ref = F.cross_entropy(case["logits"][m], case["target_probs"][m])    # class probabilities as targets
        torch.testing.assert_close(_reference(ex)(**case), ref)

