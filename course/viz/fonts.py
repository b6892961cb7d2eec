"""Chinese characters in figures: use a CJK font when the machine has one, never draw empty boxes.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs. :func:`cjk_font` finds an installed CJK
font and appends it to matplotlib's fallback list; :func:`display_labels` falls back to a gloss when no
such font exists (install one with e.g. ``apt-get install fonts-noto-cjk`` to see the characters).
"""
from __future__ import annotations

import functools
from typing import Callable, Sequence

import matplotlib
from matplotlib import font_manager

__all__ = ["cjk_font", "has_cjk", "display_labels"]

_CANDIDATES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Source Han Sans SC",
               "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
               "Heiti SC", "Arial Unicode MS", "Noto Serif CJK SC")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed CJK font, added to matplotlib's sans-serif fallback list; or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    if not installed & set(_CANDIDATES):
        # matplotlib's font cache may predate a CJK font installed later: register such files directly
        for path in font_manager.findSystemFonts():
            if any(key in path for key in ("CJK", "wqy", "WenQuanYi", "SourceHanSans", "simhei", "msyh")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CANDIDATES:
        if name in installed:
            # a list of families is matplotlib's glyph fallback: Latin from DejaVu, Chinese from the CJK font
            matplotlib.rcParams["font.family"] = ["DejaVu Sans", name]
            return name
    return None


def has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def display_labels(labels: Sequence[str], gloss: Callable[[str], str] | None = None) -> list[str]:
    """``labels`` unchanged when a CJK font is available; otherwise Chinese labels pass through
    ``gloss`` (or become their Unicode code points), so that no figure shows empty boxes."""
    if cjk_font() is not None:
        return list(labels)
    fallback = gloss or (lambda s: " ".join(f"U+{ord(c):04X}" if has_cjk(c) else c for c in s))
    return [fallback(label) if has_cjk(label) else label for label in labels]
