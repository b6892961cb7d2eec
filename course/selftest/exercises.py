"""Code exercises: a learner's function is run on fresh random inputs and compared with a reference.

A wrong answer is diagnosed, not just rejected: the checker also runs *planted mistakes* — the usual
wrong versions (forgot the √d_k, masked after the softmax, …) — and when the learner's output matches
one of them, it says which mistake that is. Exceptions, NaNs, wrong shapes, dtypes, devices and
parameter names become one sentence in the learner's terms, pointing at the learner's own cell and line.

The reference solution is shown only on request (``show_solution()``), and it is not an attribute of
the exercise object: a pass obtained after viewing it is recorded as such.
"""
from __future__ import annotations

import inspect
import math
import numbers
import operator
import sys
import sysconfig
import traceback
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Callable

import torch

from .progress import Progress

__all__ = ["Mistake", "Exercise", "Verdict"]

# id(exercise) -> its reference solution. Kept out of the object, so that `ex.<Tab>` offers no answer.
_REFERENCES: dict[int, Callable] = {}
# keys of exercises whose solution was shown in this process (also recorded in the progress file)
_VIEWED: set[str] = set()


def _reference(ex: "Exercise | str") -> Callable:
    """The reference solution of ``ex``, an exercise or its key such as "05.drop_connect" (for the course's
    own tests and tools)."""
    if isinstance(ex, str):
        from . import exercise
        ex = exercise(ex)
    return _REFERENCES[id(ex)]


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
    attempted: bool = True         # False for a stub that still raises NotImplementedError: not recorded

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_markdown_(self) -> str:
        return self.message


# ---- talking about values in the learner's terms ---------------------------------------------------
def _safe_str(err: BaseException) -> str:
    """``type: message`` of an exception, even one whose ``__str__`` itself raises."""
    try:
        text = str(err)
    except Exception:
        text = ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _describe(x) -> str:
    """What ``x`` is, as a learner would say it: 'a tensor of shape (3, 5) and dtype torch.float32'."""
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    if x is None:
        return "None"
    if isinstance(x, bool):
        return f"a bool ({x})"
    if isinstance(x, numbers.Integral):
        return f"a whole number ({type(x).__module__}.{type(x).__name__})".replace("builtins.", "")
    if isinstance(x, numbers.Real):
        return f"a number ({type(x).__module__}.{type(x).__name__})".replace("builtins.", "")
    if isinstance(x, (list, tuple)):
        inner = ", ".join(_describe(t).removeprefix("a ") for t in x[:4]) + (", …" if len(x) > 4 else "")
        return f"a {type(x).__name__} of {len(x)} ({inner})"
    module = type(x).__module__
    return f"a {'' if module == 'builtins' else module.split('.')[0] + '.'}{type(x).__name__}"


def _expected(x, exact: bool) -> str:
    if _is_number(x) and exact:
        return "a whole number (a Python int)"
    if _is_number(x):
        return "a number (a Python float, or a one-element tensor)"
    return _describe(x)


def _as_tensors(x) -> list[torch.Tensor] | None:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)) and x and all(isinstance(t, torch.Tensor) for t in x):
        return list(x)
    if isinstance(x, (list, tuple)) and x and all(_is_number(t) for t in x):    # e.g. a tuple (a, alpha)
        return [torch.tensor([float(t) for t in x], dtype=torch.float64)]
    return None


def _as_number(x):
    """A Python int/float from a number, numpy scalar or one-element tensor; None otherwise."""
    if isinstance(x, torch.Tensor) and x.numel() == 1 and not x.dtype.is_complex and x.dtype != torch.bool:
        return x.item()
    if _is_number(x):
        return int(x) if isinstance(x, numbers.Integral) else float(x)
    return None


def _close(a: list[torch.Tensor], b: list[torch.Tensor], rtol: float, atol: float) -> bool:
    # compared in float64: a float64 answer must not pass or fail by rounding to float32 first
    return len(a) == len(b) and all(
        x.shape == y.shape and torch.allclose(x.detach().double().cpu(), y.detach().double().cpu(),
                                              rtol=rtol, atol=atol, equal_nan=True)
        for x, y in zip(a, b))


# ---- where an error happened ---------------------------------------------------------------------
def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs |= {str(Path(torch.__file__).parent), str(Path(__file__).parents[1])}
    # both spellings: a virtualenv reached through a symlink gives frames either path
    return tuple(sorted({p for d in dirs if d for p in (d, str(Path(d).resolve()))}))


def _cell_name(filename: str) -> str | None:
    """'cell [5]' for code run in an IPython cell, else None."""
    ip = sys.modules.get("IPython")
    shell = ip.get_ipython() if ip is not None and hasattr(ip, "get_ipython") else None
    number = getattr(getattr(shell, "compile", None), "_filename_map", {}).get(filename)
    return f"cell [{number}]" if number is not None else None


def _where(err: BaseException) -> str:
    """The learner's own line the exception came from: the last frame outside torch, Python and us."""
    frames = traceback.extract_tb(err.__traceback__)
    lib = _library_dirs()
    own = [f for f in frames if not f.filename.startswith(lib) and not f.filename.startswith("<frozen")
           and not str(Path(f.filename).resolve()).startswith(lib)]
    if not own:
        return ""
    frame = own[-1]
    place = _cell_name(frame.filename) or f"{frame.filename}"
    line = f": `{frame.line.strip()}`" if frame.line and frame.line.strip() else ""
    return f" in {place}, line {frame.lineno}{line}"


# ---- the exercise ----------------------------------------------------------------------------------
def _parameters(fn) -> list[inspect.Parameter] | None:
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):      # builtins without a signature: let the call decide
        return None


@dataclass(eq=False)
class Exercise:
    """One auto-checked exercise.

    key: ``"04.attention"`` (chapter.name); make_cases(generator) -> list of kwargs dicts (include edge
    cases: large values, masks; give every parameter a non-default value in some case);
    reference(**kwargs) -> tensor, list of tensors, or a number (an ``int`` result is compared exactly).
    """
    key: str
    title: str
    signature: str
    reference: InitVar[Callable]
    make_cases: Callable[[torch.Generator], list[dict]]
    mistakes: list[Mistake] = field(default_factory=list)
    rtol: float = 1e-4
    atol: float = 1e-5
    # The whole task as the learner reads it (Markdown): what to compute, each argument's and the
    # result's shape and dtype, and every convention the checker holds (True = may attend, nats, …).
    task: str = ""

    def __post_init__(self, reference: Callable):
        if not callable(reference):
            raise TypeError(f"reference of exercise {self.key} must be a function, got {type(reference).__name__}")
        _REFERENCES[id(self)] = reference

    @property
    def chapter(self) -> int:
        return int(self.key.split(".")[0])

    @property
    def name(self) -> str:
        """The function name the learner writes, e.g. 'softmax'."""
        return self.signature.split("(")[0].strip()

    def _cases(self, seed: int) -> list[dict]:
        return self.make_cases(torch.Generator().manual_seed(seed))

    @staticmethod
    def _call(fn, case: dict, copies: dict | None = None):
        # fresh copies, so a function that writes into its inputs cannot spoil the comparison; pass
        # ``copies`` to look at them afterwards (see _changed_inputs)
        copies = _copy_case(case) if copies is None else copies
        return fn(**copies)

    def _exact(self) -> bool:
        """Integer results (counts, sizes) must match exactly; the reference's annotation says which."""
        annotation = inspect.signature(_reference(self)).return_annotation
        return annotation in (int, "int")

    # -- comparing one case ----------------------------------------------------------------------
    def _same(self, got, expected) -> bool:
        if _is_number(expected):
            value = _as_number(got)
            if value is None:
                return False
            if self._exact():
                return value == expected
            return math.isclose(value, expected, rel_tol=self.rtol, abs_tol=self.atol) or (
                math.isnan(value) and math.isnan(expected))
        got_t, exp_t = _as_tensors(got), _as_tensors(expected)
        return got_t is not None and exp_t is not None and _close(got_t, exp_t, self.rtol, self.atol)

    def _signature_problem(self, fn) -> str | None:
        """A sentence when ``fn``'s parameters cannot take the checker's call, else None."""
        mine, wanted = _parameters(fn), _parameters(_reference(self))
        if mine is None or wanted is None:
            return None
        if any(p.kind == p.VAR_KEYWORD for p in mine):
            return None
        names = {p.name for p in mine if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        missing = [p.name for p in wanted if p.name not in names]
        extra = [p.name for p in mine if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                 and p.name not in {w.name for w in wanted}]
        if not missing and not extra:
            return None
        yours = ", ".join(str(p).split(":")[0].split("=")[0].strip() for p in mine)
        parts = []
        if missing:
            parts.append(f"it has no parameter {', '.join(f'`{m}`' for m in missing)}")
        if extra:
            parts.append(f"it requires {', '.join(f'`{e}`' for e in extra)}, which the checker never passes")
        return (f"✗ Your function's parameters are `({yours})`: {' and '.join(parts)}. The checker calls it "
                f"by name as `{self.signature}`: keep these parameter names.")

    def _result_problem(self, got, expected) -> str | None:
        """A sentence when ``got`` is not even the kind of thing expected, else None."""
        if got is None:
            return (f"✗ Your function returned None — is a `return` missing? "
                    f"Expected {_expected(expected, self._exact())}.")
        if _is_number(expected):
            value = _as_number(got)
            if value is None:
                return f"✗ Your function returned {_describe(got)}; expected {_expected(expected, self._exact())}."
            if not math.isfinite(value) and math.isfinite(float(expected)):
                return (f"✗ Your function returned {value!r} where the reference is finite. Look for a division "
                        f"by zero or the log of 0.")
            if self._exact() and not float(value).is_integer():
                return (f"✗ Your function returned {value!r}; expected a whole number (it must be exact: check "
                        f"for a `/` that should be `//`, or a missing factor).")
            return None
        exp_t = _as_tensors(expected)
        got_t = _as_tensors(got)
        if got_t is None or len(got_t) != len(exp_t):
            hint = " Build the result with torch operations (not math or numpy)." if (
                _is_number(got) or type(got).__module__.startswith("numpy")) else ""
            return f"✗ Your function returned {_describe(got)}; expected {_describe(expected)}.{hint}"
        for g, e in zip(got_t, exp_t):
            if g.dtype != e.dtype:
                return f"✗ Wrong dtype: your function returned {_describe(g)}; expected {_describe(e)}."
            if g.device != e.device:
                return f"✗ Result is on {g.device}, the inputs were on {e.device}."
        return None

    def _diagnose(self, fn, seed: int) -> Verdict:
        if not callable(fn):
            return Verdict(False, f"✗ Pass your function itself, e.g. `check({self.name})`, "
                                  f"not {_describe(fn)}.")
        problem = self._signature_problem(fn)
        if problem:
            return Verdict(False, problem)
        reference = _reference(self)
        for case in self._cases(seed):
            reference_args = _copy_case(case)
            expected = self._call(reference, case, reference_args)
            args = _copy_case(case)
            try:
                got = self._call(fn, case, args)
            except NotImplementedError:
                return Verdict(False, "Not written yet: replace `raise NotImplementedError` with your code, "
                                      "then run the check again.", attempted=False)
            except (Exception, SystemExit) as err:  # the learner's code (even sys.exit): report, never crash
                return Verdict(False, f"✗ Your function raised `{_safe_str(err)}`{_where(err)}. "
                                      f"Expected signature: `{self.signature}`.")
            changed = _changed_inputs(case, args)
            if changed and not _changed_inputs(case, reference_args):
                return Verdict(False, f"✗ Your function changed its input `{changed[0]}` in place (an operation "
                                      f"ending in `_`, `+=`, or assignment into a slice). Leave the inputs as "
                                      f"they were: work on a copy (`.clone()`) or build new tensors.",
                               "changed_input")
            problem = self._result_problem(got, expected)
            if problem:
                return Verdict(False, problem)
            if self._same(got, expected):
                continue
            for mistake in self.mistakes:     # a known mistake, even one of another shape, gets its hint
                try:
                    planted = self._call(mistake.fn, case)
                except Exception:
                    continue
                if self._same(got, planted):
                    return Verdict(False, f"✗ Not yet. Hint: {mistake.hint}", mistake.name)
            if _is_number(expected):
                return Verdict(False, f"✗ Your function returned {_as_number(got)!r}, which is not the right "
                                      f"value{' (whole numbers must match exactly)' if self._exact() else ''}. "
                                      f"Work the formula out by hand on the smallest case.")
            got_t, exp_t = _as_tensors(got), _as_tensors(expected)
            for g, e in zip(got_t, exp_t):
                if g.shape != e.shape:
                    return Verdict(False, f"✗ Wrong shape: got {tuple(g.shape)}, expected {tuple(e.shape)}. "
                                          f"Check which dimension you reduce or transpose.")
            bad = [g for g in got_t if not torch.isfinite(g).all()]
            if bad and all(torch.isfinite(e).all() for e in exp_t):
                return Verdict(False, "✗ Your result contains NaN or inf where the reference is finite. "
                                      "Look for overflow (exp of a large number) or a division by zero.")
            worst = max(float((g.double() - e.double()).abs().max()) for g, e in zip(got_t, exp_t))
            return Verdict(False, f"✗ Values differ from the reference by up to {worst:.3g}. Compare with "
                                  f"the formula step by step on a small input.")
        return Verdict(True, f"✓ Correct — {self.title} matches the reference on every test case.")

    def check(self, fn, *, seed: int | None = None, record: bool = True) -> Verdict:
        """Check ``fn``; records the result in the learner's progress file unless ``record`` is False.

        A stub that still raises ``NotImplementedError`` (as Run All runs it) is not recorded.
        """
        if seed is None:
            seed = int(torch.randint(0, 2**31 - 1, (1,)))
        else:
            try:
                if isinstance(seed, bool):
                    raise TypeError
                seed = operator.index(seed)
            except TypeError:
                return Verdict(False, f"✗ `seed` must be a whole number such as 0 (or left out), got {seed!r}.",
                               attempted=False)
        verdict = self._diagnose(fn, seed)
        reference = _reference(self)
        is_reference = callable(fn) and (
            inspect.unwrap(fn) is reference
            or getattr(inspect.unwrap(fn), "__code__", None) is getattr(reference, "__code__", False))
        after_solution = self.key in _VIEWED or is_reference
        if verdict.passed and is_reference:
            verdict.message += " (That is the reference solution itself.)"
        if record and verdict.attempted:
            try:
                entry = Progress().record_exercise(self.key, verdict.passed, after_solution=after_solution)
            except OSError as err:   # an unwritable home folder must not hide the verdict
                verdict.message += f"\n\n(Progress not saved: {err})"
            else:
                if verdict.passed and entry.get("after_solution"):
                    verdict.message += (" Recorded as passed after viewing the solution: try the next "
                                        "exercise before opening its solution.")
        return verdict

    # -- what the learner reads ------------------------------------------------------------------
    def _repr_markdown_(self) -> str:
        """Displaying an exercise shows its task, rendered from the object the checker uses."""
        lines = [f"**Exercise {self.key} — {self.title}**", "", "```", self.signature, "```"]
        if self.task:
            lines += ["", self.task.strip()]
        lines += ["", f"Check it with `exercise(\"{self.key}\").check({self.name})`: it is called with these "
                      f"parameter names, on fresh random inputs. Stuck? `exercise(\"{self.key}\").show_solution()` "
                      f"shows a reference; a pass after that is marked as such in your progress."]
        return "\n".join(lines)

    def __repr__(self) -> str:
        """The same task as plain text (consoles, and notebooks rendered without Markdown)."""
        text = [f"Exercise {self.key} — {self.title}", f"    {self.signature}"]
        if self.task:
            text += ["", self.task.strip().replace("`", "").replace("**", "")]
        text += ["", f"Check it with exercise(\"{self.key}\").check({self.name})."]
        return "\n".join(text)

    # -- the solution, on request ----------------------------------------------------------------
    def _mark_viewed(self, record: bool) -> None:
        _VIEWED.add(self.key)
        if record:
            try:
                Progress().record_solution_viewed(self.key)
            except OSError:
                pass                # the in-process mark still counts for this session

    def solution(self, *, record: bool = True) -> str:
        """The reference solution's source code (only when you ask for it: a later pass is recorded as
        passed after viewing the solution)."""
        self._mark_viewed(record)
        return inspect.getsource(_reference(self))

    def show_solution(self, *, record: bool = True):
        from IPython.display import Code
        return Code(self.solution(record=record), language="python")


def _copy_case(case: dict) -> dict:
    """The case's arguments, with every tensor (also inside a list) cloned."""
    return {k: (v.clone() if isinstance(v, torch.Tensor) else
                [t.clone() for t in v] if isinstance(v, list) and v and isinstance(v[0], torch.Tensor)
                else v) for k, v in case.items()}


def _changed_inputs(case: dict, copies: dict) -> list[str]:
    """Names of the tensor arguments a call wrote into (its copies no longer equal the originals)."""
    def same(a, b):
        return a.shape == b.shape and a.dtype == b.dtype and torch.equal(
            torch.nan_to_num(a.double()) if a.is_floating_point() else a,
            torch.nan_to_num(b.double()) if b.is_floating_point() else b)

    changed = []
    for name, original in case.items():
        copy = copies[name]
        if isinstance(original, torch.Tensor):
            if not same(original, copy):
                changed.append(name)
        elif isinstance(original, list) and original and isinstance(original[0], torch.Tensor):
            if len(copy) != len(original) or not all(isinstance(c, torch.Tensor) and same(o, c)
                                                      for o, c in zip(original, copy)):
                changed.append(name)
    return changed
