"""LLM Interview Lab: the shared package behind the course's 50 chapters.

Sub-packages: ``runtime``, ``text``, ``nn``, ``models``, ``train``, ``generate``, ``metrics``, ``viz``,
``selftest`` and the chapter registry ``chapters``.
"""
from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

from . import runtime as _runtime  # noqa: F401  (importing it applies the default thread count)

__version__ = "0.1.0"

# The files the course ships (datasets, sweep results, pretrained checkpoints), found from the package
# itself so that a notebook opened from any folder reads the same files.
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

__all__ = ["show", "DATA_DIR", "__version__"]


def show(obj):
    """Display the source code of a course function or class in a notebook (saved with the outputs)."""
    from IPython.display import Code

    class _Source(Code):
        def _repr_html_(self):        # scroll sideways instead of wrapping inside words on a narrow page
            return super()._repr_html_().replace("<pre>", '<pre style="white-space: pre; overflow-x: auto">', 1)

    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as err:
        raise TypeError(f"obj must be a function, class or module with source code, got "
                        f"{type(obj).__name__}") from err
    return _Source(textwrap.dedent(source), language="python")     # a method's source starts indented
