"""The learner's progress file: which exercises passed and which quiz questions were answered right.

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a crash mid-write
never leaves half a file. A file that cannot be read is set aside next to it (``*.corrupt-<time>``),
reported with a warning, and a fresh record is started: nothing is silently lost.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from pathlib import Path

__all__ = ["Progress", "progress_path", "ProgressWarning"]

PROGRESS_ENV = "COURSE_PROGRESS"
_SCHEMA = 1


class ProgressWarning(UserWarning):
    """The progress file was unreadable and has been set aside."""


def progress_path() -> Path:
    """``$COURSE_PROGRESS`` if set, else ``~/.llm-interview-lab/progress.json``."""
    env = os.environ.get(PROGRESS_ENV)
    return Path(env).expanduser() if env else Path.home() / ".llm-interview-lab" / "progress.json"


def _empty() -> dict:
    return {"schema": _SCHEMA, "exercises": {}, "quizzes": {}}


class Progress:
    """Read-modify-write access to the progress file; every ``record_*`` call saves at once."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else progress_path()
        self.recovered_from: Path | None = None

    def load(self) -> dict:
        """The stored record; an unreadable file is moved aside and an empty record returned."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _empty()
        except (OSError, ValueError) as err:
            return self._set_aside(f"it is not valid JSON ({err})")
        if not (isinstance(data, dict) and data.get("schema") == _SCHEMA
                and isinstance(data.get("exercises"), dict) and isinstance(data.get("quizzes"), dict)):
            return self._set_aside("it does not have the expected structure")
        return data

    def _set_aside(self, reason: str) -> dict:
        backup = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(self.path, backup)
        self.recovered_from = backup
        warnings.warn(f"Your progress file {self.path} could not be read because {reason}. It was kept "
                      f"as {backup} and a new progress record was started.", ProgressWarning, stacklevel=3)
        return _empty()

    def save(self, data: dict) -> None:
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

    def _record(self, section: str, key: str, passed: bool) -> None:
        data = self.load()
        entry = data[section].setdefault(key, {"passed": False, "attempts": 0})
        entry["attempts"] += 1
        entry["passed"] = entry["passed"] or passed      # once passed, stays passed
        entry["last"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        self.save(data)

    def record_exercise(self, key: str, passed: bool) -> None:
        self._record("exercises", key, passed)

    def record_quiz(self, key: str, correct: bool) -> None:
        self._record("quizzes", key, correct)

    def passed(self, section: str = "exercises") -> set[str]:
        return {k for k, v in self.load()[section].items() if v.get("passed")}
