"""Chapter 46: the exercises' confusion matrix and macro-F1 equal scikit-learn's."""
import pytest
import torch
from sklearn.metrics import confusion_matrix, f1_score

from course.selftest.bank.ch46 import confusion_counts, macro_f1


@pytest.mark.parametrize("seed", range(5))
def test_confusion_counts_and_macro_f1_equal_scikit_learn(seed):
    g = torch.Generator().manual_seed(seed)
    c = 2 + seed
    y_true = torch.randint(0, c, (40,), generator=g)
    y_pred = torch.where(torch.rand(40, generator=g) < 0.5, y_true, torch.randint(0, c, (40,), generator=g))
    y_pred[y_pred == c - 1] = 0                                      # one class never predicted
    matrix = confusion_counts(y_true, y_pred, c)
    ref = confusion_matrix(y_true.numpy(), y_pred.numpy(), labels=list(range(c)))
    assert matrix.tolist() == ref.tolist()
    assert macro_f1(matrix) == pytest.approx(
        f1_score(y_true.numpy(), y_pred.numpy(), labels=list(range(c)), average="macro", zero_division=0))
