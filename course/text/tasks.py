"""Synthetic sequence tasks whose correct attention pattern is known, and number words → digits.

Every generator is deterministic given ``seed``; sequences are returned as int64 tensors.
"""
from __future__ import annotations

import random

import torch

from ..validate import check_in, check_int

__all__ = ["sequence_task", "associative_recall", "number_to_words", "number_words_pairs", "zh_numeral_gloss"]


def sequence_task(kind: str, n: int, length: int, vocab: int = 10, seed: int = 0):
    """``kind`` in copy | reverse | sort. Tokens 1..vocab−1 (0 is kept for padding/separators).

    Returns ``(src (n, length), tgt (n, length))``: tgt is src copied, reversed or sorted.
    """
    check_in("kind", kind, ("copy", "reverse", "sort"))
    check_int("n", n, minimum=1)
    check_int("length", length, minimum=1)
    check_int("vocab", vocab, minimum=3)
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(1, vocab, (n, length), generator=g)
    tgt = {"copy": src, "reverse": src.flip(1), "sort": src.sort(1).values}[kind]
    return src, tgt.clone()


def associative_recall(n: int, n_pairs: int = 4, n_keys: int = 8, n_values: int = 8, seed: int = 0):
    """Key–value pairs, then a query key; the answer is the value stored with that key.

    Token layout (ids): 0 = "?", keys 1..n_keys, values n_keys+1 .. n_keys+n_values.
    A sequence is ``k1 v1 k2 v2 … ? k`` and the target is the value after ``k``.
    Returns ``(inputs (n, 2·n_pairs+2), answers (n,), key_positions (n,))``; key_positions tells where
    the queried key stands, so one can check that attention looks there (or at its value, one later).
    """
    check_int("n", n, minimum=1)
    check_int("n_pairs", n_pairs, minimum=1)
    if n_pairs > n_keys:
        raise ValueError(f"n_pairs ({n_pairs}) cannot exceed n_keys ({n_keys}): keys must be distinct")
    g = torch.Generator().manual_seed(seed)
    keys = torch.stack([torch.randperm(n_keys, generator=g)[:n_pairs] + 1 for _ in range(n)])
    values = torch.randint(n_keys + 1, n_keys + n_values + 1, (n, n_pairs), generator=g)
    which = torch.randint(n_pairs, (n,), generator=g)
    rows = torch.arange(n)
    query = keys[rows, which]
    seq = torch.stack([keys, values], dim=2).flatten(1)
    inputs = torch.cat([seq, torch.zeros(n, 1, dtype=torch.long), query[:, None]], dim=1)
    return inputs, values[rows, which], 2 * which


_EN_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " \
           "fifteen sixteen seventeen eighteen nineteen".split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ZH_DIGITS = "零一二三四五六七八九"


def _english(n: int) -> str:
    if n < 20:
        return _EN_ONES[n]
    if n < 100:
        return _EN_TENS[n // 10] + ("-" + _EN_ONES[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        return f"{_EN_ONES[n // 100]} hundred" + (f" {_english(rest)}" if rest else "")
    rest = n % 1000
    return f"{_english(n // 1000)} thousand" + (f" {_english(rest)}" if rest else "")


def _chinese(n: int) -> str:
    """Standard reading for 0..9999: 三百一十二, 一千零五, 十五 (not 一十五) at the start."""
    if n == 0:
        return "零"
    out, zero_pending = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out += "零"
            zero_pending = False
        out += ("" if (unit == "十" and digit == 1 and not out) else _ZH_DIGITS[digit]) + unit
    return out


def number_to_words(n: int, language: str = "en") -> str:
    """0 ≤ n ≤ 9999 in words: ``312 -> "three hundred twelve"`` or ``"三百一十二"``."""
    check_int("n", n, minimum=0)
    if n > 9999:
        raise ValueError(f"n must be at most 9999, got {n}")
    check_in("language", language, ("en", "zh"))
    return _english(n) if language == "en" else _chinese(n)


def number_words_pairs(n: int, language: str = "zh", max_value: int = 999, seed: int = 0):
    """``n`` pairs (words, digits) like ("三百一十二", "312"), numbers drawn uniformly in [0, max_value]."""
    check_int("n", n, minimum=1)
    check_int("max_value", max_value, minimum=0, maximum=9999)
    rng = random.Random(seed)
    nums = [rng.randint(0, max_value) for _ in range(n)]
    return [(number_to_words(x, language), str(x)) for x in nums]


_ZH_GLOSS = {**{c: str(i) for i, c in enumerate(_ZH_DIGITS)}, "十": "×10", "百": "×100", "千": "×1000"}


def zh_numeral_gloss(text: str) -> str:
    """Chinese numerals written with digits and multipliers: "三千" -> "3 ×1000" (for plots without a CJK font)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return " ".join(_ZH_GLOSS.get(ch, ch) for ch in text)
