"""Code exercises: a learner's function is run on fresh random inputs and compared with a reference.

A wrong answer is diagnosed, not just rejected: the checker also runs *planted mistakes* — the usual
wrong versions (forgot the √d_k, masked after the softmax, …) — and when the learner's output matches
one of them, it says which mistake that is. Exceptions, NaNs, wrong shapes, dtypes and devices become
one friendly sentence. The reference solution is shown only on request.
"""
from __future__ import annotations

import inspect
import traceback
from dataclasses import dataclass, field
from typing import Callable

import torch

from .progress import Progress

__all__ = ["Mistake", "Exercise", "Verdict"]


@dataclass(frozen=True)
class Mistake:
    """A typical wrong solution and the hint to give when a learner's output matches it."""
    name: str
    hint: str
    fn: Callable


@dataclass
class Verdict:
    passed: bool
    message: str
    mistake: str | None = None     # the planted mistake that the output matched, if any

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_markdown_(self) -> str:
        return self.message


def _as_list(x) -> list | None:
    """Tensors, lists of tensors, and plain numbers (compared as float64 tensors)."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return [torch.tensor(float(x), dtype=torch.float64)]
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)) and all(isinstance(t, torch.Tensor) for t in x):
        return list(x)
    return None


def _close(a: list[torch.Tensor], b: list[torch.Tensor], rtol: float, atol: float) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and torch.allclose(x.detach().float().cpu(), y.detach().float().cpu(),
                                              rtol=rtol, atol=atol, equal_nan=True)
        for x, y in zip(a, b))


@dataclass
class Exercise:
    """One auto-checked exercise.

    key: ``"04.attention"`` (chapter.name); make_cases(generator) -> list of kwargs dicts (include edge
    cases: large values, masks); reference(**kwargs) -> tensor or list of tensors.
    """
    key: str
    title: str
    signature: str
    reference: Callable
    make_cases: Callable[[torch.Generator], list[dict]]
    mistakes: list[Mistake] = field(default_factory=list)
    rtol: float = 1e-4
    atol: float = 1e-5
    # The whole task as the learner reads it (Markdown): what to compute, each argument's and the
    # result's shape and dtype, and every convention the checker holds (True = may attend, nats, …).
    task: str = ""

    @property
    def chapter(self) -> int:
        return int(self.key.split(".")[0])

    def _cases(self, seed: int) -> list[dict]:
        return self.make_cases(torch.Generator().manual_seed(seed))

    @staticmethod
    def _call(fn, case: dict):
        # fresh copies, so a function that writes into its inputs cannot spoil the comparison
        return fn(**{k: (v.clone() if isinstance(v, torch.Tensor) else
                         [t.clone() for t in v] if isinstance(v, list) and v and isinstance(v[0], torch.Tensor)
                         else v) for k, v in case.items()})

    def _diagnose(self, fn, seed: int) -> Verdict:
        if not callable(fn):
            return Verdict(False, f"✗ Pass your function itself, e.g. `check({self.signature.split('(')[0]})`, "
                                  f"not {type(fn).__name__}.")
        for case in self._cases(seed):
            reference_raw = self._call(self.reference, case)
            expected = _as_list(reference_raw)
            try:
                got_raw = self._call(fn, case)
            except NotImplementedError:
                return Verdict(False, "Not written yet: replace `raise NotImplementedError` with your code, "
                                      "then run the check again.")
            except Exception as err:  # the learner's code: report, never crash
                where = traceback.extract_tb(err.__traceback__)[-1]
                detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
                return Verdict(False, f"✗ Your function raised `{detail}` (line {where.lineno}). "
                                      f"Expected signature: `{self.signature}`.")
            if isinstance(reference_raw, (int, float)) and isinstance(got_raw, torch.Tensor) and got_raw.numel() == 1:
                got_raw = got_raw.item()          # a number asked for, a one-element tensor given: fine
            got = _as_list(got_raw)
            if got is None:
                return Verdict(False, f"✗ Your function returned {type(got_raw).__name__}; expected "
                                      f"{'a tensor' if len(expected) == 1 else f'{len(expected)} tensors'}.")
            if len(got) != len(expected):
                return Verdict(False, f"✗ Expected {len(expected)} tensor(s), got {len(got)}.")
            for g, e in zip(got, expected):
                if g.dtype != e.dtype:
                    return Verdict(False, f"✗ Wrong dtype: got {g.dtype}, expected {e.dtype}.")
                if g.device != e.device:
                    return Verdict(False, f"✗ Result is on {g.device}, the inputs were on {e.device}.")
            if _close(got, expected, self.rtol, self.atol):
                continue
            for mistake in self.mistakes:     # a known mistake, even one of another shape, gets its hint
                try:
                    planted = _as_list(self._call(mistake.fn, case))
                except Exception:
                    continue
                if planted is not None and _close(got, planted, self.rtol, self.atol):
                    return Verdict(False, f"✗ Not yet. Hint: {mistake.hint}", mistake.name)
            for g, e in zip(got, expected):
                if g.shape != e.shape:
                    return Verdict(False, f"✗ Wrong shape: got {tuple(g.shape)}, expected {tuple(e.shape)}. "
                                          f"Check which dimension you reduce or transpose.")
            bad = [g for g in got if not torch.isfinite(g).all()]
            if bad and all(torch.isfinite(e).all() for e in expected):
                return Verdict(False, "✗ Your result contains NaN or inf where the reference is finite. "
                                      "Look for overflow (exp of a large number) or a division by zero.")
            worst = max(float((g.float() - e.float()).abs().max()) for g, e in zip(got, expected))
            return Verdict(False, f"✗ Values differ from the reference by up to {worst:.3g}. Compare with "
                                  f"the formula step by step on a small input.")
        return Verdict(True, f"✓ Correct — {self.title} matches the reference on every test case.")

    def check(self, fn, *, seed: int | None = None, record: bool = True) -> Verdict:
        """Check ``fn``; records the result in the learner's progress file unless ``record`` is False."""
        seed = int(torch.randint(0, 2**31 - 1, (1,))) if seed is None else seed
        verdict = self._diagnose(fn, seed)
        if record:
            try:
                Progress().record_exercise(self.key, verdict.passed)
            except OSError as err:   # an unwritable home folder must not hide the verdict
                verdict.message += f"\n\n(Progress not saved: {err})"
        return verdict

    def _repr_markdown_(self) -> str:
        """Displaying an exercise shows its task, rendered from the object the checker uses."""
        return f"**Exercise {self.key} — {self.title}**\n\n`{self.signature}`\n\n{self.task}".rstrip()

    def solution(self) -> str:
        """The reference solution's source code (only when you ask for it)."""
        return inspect.getsource(self.reference)

    def show_solution(self):
        from IPython.display import Code
        return Code(self.solution(), language="python")

