"""The learner's progress file: which exercises passed and which quiz questions were answered right.

- Writes are atomic (a temporary file in the same folder, then ``os.replace``): a crash mid-write never
  leaves half a file.
- Every read-modify-write holds an exclusive lock on ``<file>.lock``, so two notebooks (two kernels)
  recording at once both keep their updates.
- A file of ours that cannot be parsed is set aside next to it (``*.corrupt-<time>-<random>``, a name
  that cannot collide with an earlier backup), reported with a warning, and a fresh record is started.
  A single bad entry (hand-edited, older format) is dropped with a warning; the rest is kept.
- Something that is not our file — a folder, a file we may not read — is never moved: reading it gives a
  warning and an empty record, writing it a :class:`ProgressError` that says what is there.

Entry format, per exercise or quiz question::

    {"passed": bool, "attempts": int >= 0, "last": "2026-11-29T08:00:00",
     "solution_viewed": bool,   # the reference solution was shown (exercises)
     "after_solution": bool}    # the first pass came after the solution was shown

Mock-interview reviews (added later; files without them read as "nothing reviewed yet")::

    "interview_session": int >= 0,            # how many mock interviews were started
    "interview": {"07": {"box": int >= 0,     # Leitner box: 0 = missed last time, higher = known longer
                         "due": int >= 0,     # the session from which it is due again
                         "reviews": int >= 0, "missed": int >= 0, "last": "2026-11-29T08:00:00"}}
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import uuid
import warnings
from pathlib import Path

__all__ = ["Progress", "progress_path", "ProgressWarning", "ProgressError"]

PROGRESS_ENV = "COURSE_PROGRESS"
_SCHEMA = 1
SECTIONS = ("exercises", "quizzes")
_FLAGS = ("passed", "solution_viewed", "after_solution")
INTERVIEW = "interview"
_REVIEW_COUNTS = ("box", "due", "reviews", "missed")
# sessions until a card in box b is due again: a missed card (box 0) comes back at the next interview, a known one waits longer each time
INTERVALS = (1, 2, 4, 8, 16, 32)


class ProgressWarning(UserWarning):
    """The progress file, or an entry in it, could not be used; the warning says what was done."""


class ProgressError(OSError):
    """The progress file cannot be read or written; the message says why and what to do."""


def progress_path() -> Path:
    """``$COURSE_PROGRESS`` if set, else ``~/.llm-interview-lab/progress.json``."""
    env = os.environ.get(PROGRESS_ENV)
    return Path(env).expanduser() if env else Path.home() / ".llm-interview-lab" / "progress.json"


def _empty() -> dict:
    return {"schema": _SCHEMA, "exercises": {}, "quizzes": {}, "interview_session": 0, INTERVIEW: {}}


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _valid_review(entry) -> bool:
    return (isinstance(entry, dict) and all(_count(entry.get(k)) for k in _REVIEW_COUNTS)
            and isinstance(entry.get("last", ""), str))


def _valid_entry(entry) -> bool:
    return (isinstance(entry, dict)
            and all(isinstance(entry.get(flag, False), bool) for flag in _FLAGS)
            and isinstance(entry.get("attempts"), int) and not isinstance(entry.get("attempts"), bool)
            and entry["attempts"] >= 0 and isinstance(entry.get("last", ""), str))


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path`` + ".lock" for the duration of a read-modify-write."""
    lock = path.with_name(path.name + ".lock")
    with open(lock, "a+b") as f:
        try:
            import fcntl
        except ImportError:                      # Windows
            import msvcrt
            f.seek(0)
            while True:
                try:
                    msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:                  # LK_LOCK gives up after ~10 s: keep waiting
                    continue
            try:
                yield
            finally:
                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


class Progress:
    """Read-modify-write access to the progress file; every ``record_*`` call saves at once."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else progress_path()
        self.recovered_from: Path | None = None

    # reading ------------------------------------------------------------------------------------
    def _not_ours(self) -> str | None:
        """Why the path cannot hold our file, or None."""
        if self.path.is_dir():
            return (f"{self.path} is a folder, not a file. Set COURSE_PROGRESS to a file path such as "
                    f"{self.path / 'progress.json'}")
        if any(p.exists() and not p.is_dir() for p in self.path.parents):
            blocker = next(p for p in reversed(self.path.parents) if p.exists() and not p.is_dir())
            return f"{blocker} is a file, so {self.path} cannot be created inside it"
        return None

    def load(self) -> dict:
        """The stored record. Raises :class:`ProgressError` when the path is a folder or unreadable;
        an unparsable file of ours is moved aside and an empty record returned."""
        problem = self._not_ours()
        if problem:
            raise ProgressError(f"Progress cannot be read: {problem}.")
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return _empty()
        except OSError as err:                  # permissions, I/O: say so, and leave the file alone
            raise ProgressError(f"Your progress file {self.path} cannot be read ({err.strerror or err}); "
                                f"it was left where it is. Check its permissions.") from err
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as err:
            return self._set_aside(f"it is not valid JSON ({err})")
        if not (isinstance(data, dict) and data.get("schema") == _SCHEMA
                and all(isinstance(data.get(s, {}), dict) for s in SECTIONS)):
            return self._set_aside("it does not have the expected structure")
        for section in SECTIONS:
            entries = data.setdefault(section, {})
            bad = {key: entry for key, entry in entries.items() if not _valid_entry(entry)}
            for key, entry in bad.items():
                del entries[key]
                warnings.warn(f"Your progress file {self.path} has an entry for {key!r} that is not in the "
                              f"expected form ({entry!r:.80}); it was ignored and will be dropped at the next "
                              f"save.", ProgressWarning, stacklevel=3)
        self._check_reviews(data)
        return data

    def _check_reviews(self, data: dict) -> None:
        """Drop (with a warning) review entries not in the expected form; older files get empty ones."""
        if not _count(data.setdefault("interview_session", 0)):
            warnings.warn(f"Your progress file {self.path} has an interview session count that is not a "
                          f"whole number ({data['interview_session']!r:.40}); it restarts at 0.",
                          ProgressWarning, stacklevel=4)
            data["interview_session"] = 0
        reviews = data.setdefault(INTERVIEW, {})
        if not isinstance(reviews, dict):
            warnings.warn(f"Your progress file {self.path} has interview reviews that are not a mapping; "
                          f"they were ignored and will be dropped at the next save.", ProgressWarning,
                          stacklevel=4)
            data[INTERVIEW] = reviews = {}
        for key in [k for k, entry in reviews.items() if not _valid_review(entry)]:
            warnings.warn(f"Your progress file {self.path} has a review of chapter {key!r} that is not in "
                          f"the expected form ({reviews[key]!r:.80}); it was ignored.", ProgressWarning,
                          stacklevel=4)
            del reviews[key]

    def load_or_empty(self) -> dict:
        """Like :meth:`load`, but a folder or unreadable file gives a warning and an empty record."""
        try:
            return self.load()
        except OSError as err:
            warnings.warn(str(err), ProgressWarning, stacklevel=3)
            return _empty()

    def _set_aside(self, reason: str) -> dict:
        # time for the reader, a random part so that two backups in the same second never collide
        backup = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-"
                                     f"{uuid.uuid4().hex[:8]}")
        try:
            os.replace(self.path, backup)
        except OSError as err:                  # read-only folder: leave it, and say so
            warnings.warn(f"Your progress file {self.path} could not be read because {reason}, and could "
                          f"not be moved aside ({err.strerror or err}); progress starts empty for now.",
                          ProgressWarning, stacklevel=3)
            return _empty()
        self.recovered_from = backup
        warnings.warn(f"Your progress file {self.path} could not be read because {reason}. It was kept "
                      f"as {backup} and a new progress record was started.", ProgressWarning, stacklevel=3)
        return _empty()

    # writing ------------------------------------------------------------------------------------
    def save(self, data: dict) -> None:
        problem = self._not_ours()
        if problem:
            raise ProgressError(f"Progress cannot be saved: {problem}.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextlib.contextmanager
    def _editing(self):
        """Lock, load, let the caller change the record, save: one read-modify-write."""
        problem = self._not_ours()
        if problem:
            raise ProgressError(f"Progress cannot be saved: {problem}.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path):
            data = self.load()
            yield data
            self.save(data)

    def _update(self, section: str, key: str, change) -> dict:
        """Apply ``change(entry)`` to one entry and save; returns the entry."""
        with self._editing() as data:
            entry = data[section].setdefault(key, {"passed": False, "attempts": 0})
            change(entry)
            entry["last"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        return entry

    def _record(self, section: str, key: str, passed: bool, after_solution: bool = False) -> dict:
        def change(entry):
            entry["attempts"] += 1
            if passed and not entry["passed"]:       # the first pass decides: own work or after the solution
                entry["after_solution"] = bool(after_solution or entry.get("solution_viewed", False))
            entry["passed"] = entry["passed"] or bool(passed)      # once passed, stays passed
        return self._update(section, key, change)

    def record_exercise(self, key: str, passed: bool, *, after_solution: bool = False) -> dict:
        """Record one attempt; returns the entry as saved."""
        return self._record("exercises", key, passed, after_solution)

    def record_quiz(self, key: str, correct: bool) -> None:
        self._record("quizzes", key, correct)

    def record_solution_viewed(self, key: str) -> None:
        self._update("exercises", key, lambda entry: entry.update(solution_viewed=True))

    # mock interviews: a Leitner schedule ----------------------------------------------------------
    def start_interview(self) -> int:
        """Count a new mock interview; returns its session number (1 for the first)."""
        with self._editing() as data:
            data["interview_session"] += 1
        return data["interview_session"]

    def record_review(self, chapter: int, remembered: bool) -> dict:
        """The learner's own verdict on one interview question: a missed one drops to box 0 and is due at
        the next interview; a remembered one moves up a box and waits longer (``INTERVALS``)."""
        if not isinstance(remembered, bool):
            raise TypeError(f"remembered must be True or False, got {remembered!r}")
        with self._editing() as data:
            session = data["interview_session"]
            entry = data[INTERVIEW].setdefault(f"{chapter:02d}", {"box": 0, "due": 0, "reviews": 0, "missed": 0})
            entry["reviews"] += 1
            if remembered:
                entry["box"] = min(entry["box"] + 1, len(INTERVALS) - 1)
            else:
                entry["box"], entry["missed"] = 0, entry["missed"] + 1
            entry["due"] = session + INTERVALS[entry["box"]]
            entry["last"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        return entry

    def reviews(self) -> tuple[int, dict[str, dict]]:
        """(the current interview session, the review entry of every chapter reviewed so far)."""
        data = self.load_or_empty()
        self._check_reviews(data)
        return data["interview_session"], data[INTERVIEW]

    # queries (never raise: a folder or unreadable file gives a warning and nothing passed) ---------
    def entries(self, section: str = "exercises") -> dict[str, dict]:
        if section not in SECTIONS:
            raise ValueError(f"section must be one of {', '.join(SECTIONS)}, got {section!r}")
        return self.load_or_empty()[section]

    def passed(self, section: str = "exercises") -> set[str]:
        return {k for k, v in self.entries(section).items() if v["passed"]}

    def passed_after_solution(self) -> set[str]:
        """Exercises whose first pass came after their reference solution was shown."""
        return {k for k, v in self.entries("exercises").items() if v["passed"] and v.get("after_solution")}
