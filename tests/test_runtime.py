"""The course's default thread count: COURSE_THREADS wins, OMP_NUM_THREADS is respected, else a few cores."""
import pytest
import torch

from course import runtime


@pytest.fixture(autouse=True)
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_course_threads_variable_wins(monkeypatch):
    monkeypatch.setenv("COURSE_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert runtime.default_threads() == 1
    assert runtime.set_threads() == 1


def test_omp_num_threads_is_left_alone(monkeypatch):
    monkeypatch.delenv("COURSE_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert runtime.default_threads() is None
    torch.set_num_threads(1)
    assert runtime.set_threads() == 1


def test_default_is_the_usable_cores_capped(monkeypatch):
    monkeypatch.delenv("COURSE_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(runtime, "_usable_cores", lambda: 64)
    assert runtime.default_threads() == runtime.MAX_DEFAULT_THREADS
    monkeypatch.setattr(runtime, "_usable_cores", lambda: 2)
    assert runtime.default_threads() == 2


@pytest.mark.parametrize("value", ["0", "two", "-1", ""])
def test_bad_course_threads_is_named(monkeypatch, value):
    monkeypatch.setenv("COURSE_THREADS", value)
    with pytest.raises(ValueError, match="COURSE_THREADS"):
        runtime.default_threads()


def test_explicit_count_is_checked():
    assert runtime.set_threads(1) == 1
    with pytest.raises(ValueError, match="n"):
        runtime.set_threads(0)
