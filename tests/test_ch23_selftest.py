"""Chapter 23's self-test beyond the bank-wide rules: a half-done exclusion in the analogy search fails, and
the PPMI reference matches a hand case (its tighter quiz-length rules are in tests/test_bank.py)."""
import pytest
import torch

from course.selftest import bank
from course.selftest.exercises import _reference

CH = bank.load(23)


@pytest.mark.parametrize("excluded", ["c", "ab", "ac"])      # leaving a in rarely matters: it scores low
def test_analogy_that_excludes_only_some_of_a_b_c_fails(excluded):
    def partial(vectors, a, b, c):
        unit = vectors / vectors.norm(dim=1, keepdim=True)
        scores = unit @ (unit[b] - unit[a] + unit[c])
        scores[[{"a": a, "b": b, "c": c}[k] for k in excluded]] = -float("inf")
        return int(scores.argmax())
    for seed in range(3):
        assert not CH.ANALOGY.check(partial, seed=seed, record=False).passed


def test_ppmi_reference_matches_the_formula_on_a_hand_case():
    counts = torch.tensor([[4.0, 0.0], [1.0, 3.0]])                 # N = 8
    expected = torch.tensor([[torch.log(torch.tensor(4 * 8 / (4 * 5))), 0.0],
                             [0.0, torch.log(torch.tensor(3 * 8 / (4 * 3)))]])   # 1·8/(4·5) < 1 → clipped
    assert torch.allclose(_reference(CH.PPMI)(counts, 1), expected)

