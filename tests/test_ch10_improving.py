"""Chapter 10: the power-law fit equals numpy's least squares, the exercises' references agree with the
published figures, and the sweep's data-quality variants are what the chapter says."""
import math
import sys
from collections import Counter
from pathlib import Path

import pytest

from course.evaluation import fit_power_law
from course.selftest.bank import ch10

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "sweeps"))
import ch10_improving  # noqa: E402


def test_fit_power_law_recovers_known_exponents_and_equals_numpy_polyfit():
    np = pytest.importorskip("numpy")
    x = [1e3, 1e4, 1e5, 1e6]
    y = [1.7 + 5.0 * v ** -0.3 for v in x]
    a, alpha = fit_power_law(x, y, irreducible=1.7)
    assert (a, alpha) == pytest.approx((5.0, 0.3))
    noisy = [2.9, 2.6, 2.45, 2.2, 2.1]
    sizes = [10, 30, 100, 300, 1000]
    slope, intercept = np.polyfit(np.log(sizes), np.log(noisy), 1)
    assert fit_power_law(sizes, noisy) == pytest.approx((math.exp(intercept), -slope))



def test_exercise_reference_equals_the_package_fit():
    x, y = [3e3, 1e4, 4e4, 2e5], [3.1, 2.7, 2.45, 2.3]
    assert ch10.fit_power_law(x, y, 1.2) == pytest.approx(fit_power_law(x, y, irreducible=1.2))


def test_compute_optimal_gives_chinchillas_size_for_its_budget():
    # Hoffmann et al. (2022): 5.76e23 FLOPs → Chinchilla, 70B parameters on 1.4T tokens
    n, d = ch10.compute_optimal(5.76e23)
    assert n == pytest.approx(70e9, rel=0.02) and d == pytest.approx(1.4e12, rel=0.02)
    assert 6 * n * d == pytest.approx(5.76e23)


def test_sweep_data_variants_are_what_the_chapter_says():
    clean = ch10_improving.training_lines("clean", 20_000)
    dup = ch10_improving.training_lines("duplicated", 20_000)
    noisy = ch10_improving.training_lines("noisy", 20_000)
    assert len(clean) == len(dup) == len(noisy)
    assert len(set(dup)) < 0.6 * len(set(clean))                 # about half the lines are repeats
    changed = sum(a != b for a, b in zip(clean, noisy)) / len(clean)
    assert 0.2 < changed < 0.35                                  # 30 % shuffled (a few shuffles change nothing)
    assert all(Counter(a.split()) == Counter(b.split()) for a, b in zip(clean, noisy))
    with pytest.raises(ValueError, match="kind must be"):
        ch10_improving.training_lines("dirty", 1000)
