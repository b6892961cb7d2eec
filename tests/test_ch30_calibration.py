"""Chapter 30: label smoothing and focal loss against PyTorch, reliability bins against scikit-learn."""
import pytest
import torch
import torch.nn.functional as F
from sklearn.calibration import calibration_curve

from course.selftest import exercise
from course.selftest.exercises import _reference
from course.train import expected_calibration_error, focal_loss, reliability_bins, smoothed_cross_entropy


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 1.0])
def test_label_smoothing_equals_torch(eps):
    g = torch.Generator().manual_seed(0)
    logits, targets = torch.randn(32, 7, generator=g) * 4, torch.randint(0, 7, (32,), generator=g)
    assert torch.allclose(smoothed_cross_entropy(logits, targets, eps),
                          F.cross_entropy(logits, targets, label_smoothing=eps), atol=1e-6)


def test_focal_loss_is_cross_entropy_at_gamma_zero_and_smaller_above():
    g = torch.Generator().manual_seed(1)
    logits, targets = torch.randn(50, 4, generator=g) * 3, torch.randint(0, 4, (50,), generator=g)
    assert torch.allclose(focal_loss(logits, targets, gamma=0.0), F.cross_entropy(logits, targets), atol=1e-6)
    p_t = logits.softmax(-1).gather(1, targets[:, None]).squeeze(1)
    explicit = (-(1 - p_t) ** 2 * p_t.log()).mean()
    assert torch.allclose(focal_loss(logits, targets, gamma=2.0), explicit, atol=1e-6)
    assert focal_loss(logits, targets, 2.0) < F.cross_entropy(logits, targets)


@pytest.mark.parametrize("n_bins", [1, 5, 10, 15])
def test_reliability_bins_equal_sklearn_calibration_curve(n_bins):
    g = torch.Generator().manual_seed(2)
    conf = torch.rand(3000, generator=g)
    conf[:10] = torch.tensor([0.0, 0.1, 0.2, 0.5, 1.0, 0.3, 0.4, 0.6, 0.8, 0.9])     # values on bin edges
    hit = torch.rand(3000, generator=g) < conf
    bins = reliability_bins(conf, hit, n_bins)
    acc, mean_conf = calibration_curve(hit.numpy(), conf.numpy(), n_bins=n_bins)
    used = bins.count > 0
    assert int(bins.count.sum()) == 3000
    assert torch.allclose(bins.accuracy[used], torch.tensor(acc, dtype=torch.float64))
    assert torch.allclose(bins.confidence[used], torch.tensor(mean_conf, dtype=torch.float64), atol=1e-7)


def test_ece_of_a_perfectly_calibrated_and_of_an_overconfident_model():
    probs = torch.tensor([[0.8, 0.2]] * 10)
    targets = torch.tensor([0] * 8 + [1] * 2)                     # right 8 times in 10 at confidence 0.8
    assert expected_calibration_error(probs, targets) == pytest.approx(0.0, abs=1e-6)
    assert expected_calibration_error(probs, torch.tensor([0] * 5 + [1] * 5)) == pytest.approx(0.3)


def test_ece_reference_of_the_exercise_equals_the_package():
    g = torch.Generator().manual_seed(3)
    probs = (torch.randn(400, 6, generator=g) * 2).softmax(-1)
    targets = torch.randint(0, 6, (400,), generator=g)
    for n_bins in (1, 7, 10):
        assert _reference(exercise("30.ece"))(probs, targets, n_bins) == pytest.approx(
            expected_calibration_error(probs, targets, n_bins), abs=1e-9)


def test_binary_focal_reference_equals_bce_and_the_naive_formula():
    g = torch.Generator().manual_seed(4)
    logits, targets = torch.randn(64, generator=g) * 2, (torch.rand(64, generator=g) < 0.3).float()
    focal = _reference(exercise("30.binary_focal"))
    # γ = 0, α = 0.5: half of PyTorch's binary cross-entropy
    assert torch.allclose(focal(logits, targets, 0.0, 0.5),
                          0.5 * F.binary_cross_entropy_with_logits(logits, targets), atol=1e-6)
    p = torch.sigmoid(logits)
    p_t = torch.where(targets == 1, p, 1 - p)
    alpha_t = torch.where(targets == 1, 0.25, 0.75)
    assert torch.allclose(focal(logits, targets), (-alpha_t * (1 - p_t) ** 2 * p_t.log()).mean(), atol=1e-6)


@pytest.mark.parametrize("key", ["30.ece", "30.binary_focal"])
def test_reference_passes_and_every_planted_mistake_is_caught(key):
    ex = exercise(key)
    assert ex.check(_reference(ex), record=False).passed
    for mistake in ex.mistakes:
        verdict = ex.check(mistake.fn, record=False)
        assert not verdict.passed and verdict.mistake == mistake.name, (mistake.name, verdict.message)
