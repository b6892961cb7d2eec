"""Tokenizers: characters, words, and a byte-level BPE trained from scratch (Sennrich et al., 2016)."""
from __future__ import annotations

import re
from collections import Counter

from ..validate import check_int

__all__ = ["CharTokenizer", "WordTokenizer", "BPETokenizer"]


class _Vocab:
    """Shared token<->id bookkeeping."""

    def __init__(self, tokens: list[str]):
        self.itos = list(tokens)
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def __len__(self) -> int:
        return len(self.itos)

    def _ids(self, ids) -> list[int]:
        """ids as ints in [0, vocab_size): a negative id would silently index from the end."""
        ids = [int(i) for i in ids]
        bad = [i for i in ids if not 0 <= i < len(self.itos)]
        if bad:
            raise ValueError(f"ids not in the vocabulary (size {len(self.itos)}): {bad[:5]}")
        return ids


class CharTokenizer(_Vocab):
    """One id per distinct character of the training text."""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string to build a character vocabulary")
        super().__init__(sorted(set(text)))

    def encode(self, text: str) -> list[int]:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        unknown = sorted(set(text) - self.stoi.keys())
        if unknown:
            raise ValueError(f"text has characters not in the vocabulary: {''.join(unknown)!r}")
        return [self.stoi[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.itos[i] for i in self._ids(ids))


class WordTokenizer(_Vocab):
    """Lower-cased words and punctuation; words seen fewer than ``min_count`` times become ``<unk>``."""

    SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")
    PATTERN = re.compile(r"<\w+>|\w+|[^\w\s]")   # "<eos>" stays one token

    def __init__(self, texts: list[str], min_count: int = 1):
        check_int("min_count", min_count, minimum=1)
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be a list of strings (one per document); a single string would be "
                            "read one character at a time")
        counts = Counter(tok for t in texts for tok in self.split(t))
        words = sorted(w for w, c in counts.items() if c >= min_count)
        super().__init__(list(self.SPECIALS) + words)
        self.pad_id, self.unk_id, self.bos_id, self.eos_id = range(4)

    @classmethod
    def split(cls, text: str) -> list[str]:
        return cls.PATTERN.findall(text.lower())

    def encode(self, text: str) -> list[int]:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        return [self.stoi.get(tok, self.unk_id) for tok in self.split(text)]

    def decode(self, ids) -> str:
        return " ".join(self.itos[i] for i in self._ids(ids) if i != self.pad_id)


class BPETokenizer:
    """Byte-level BPE: start from the 256 byte values, repeatedly merge the most frequent adjacent
    pair. Any string round-trips exactly because every byte is a token.

    ``BPETokenizer.train(text, vocab_size)`` learns ``vocab_size − 256`` merges.
    """

    PRETOKEN = re.compile(r" ?\w+| ?[^\w\s]+|\s+")   # merges never cross these chunks

    def __init__(self, merges: list[tuple[int, int]]):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {pair: 256 + i for i, pair in enumerate(self.merges)}
        self.vocab = {i: bytes([i]) for i in range(256)}
        for pair, new_id in self.ranks.items():
            self.vocab[new_id] = self.vocab[pair[0]] + self.vocab[pair[1]]

    @property
    def vocab_size(self) -> int:
        return 256 + len(self.merges)

    @staticmethod
    def _merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
        out, i = [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
                out.append(new_id)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        return out

    @classmethod
    def train(cls, text: str, vocab_size: int) -> "BPETokenizer":
        check_int("vocab_size", vocab_size, minimum=256)
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        chunks = Counter(cls.PRETOKEN.findall(text))
        words = {w: list(w.encode("utf-8")) for w in chunks}
        merges: list[tuple[int, int]] = []
        for new_id in range(256, vocab_size):
            pairs: Counter = Counter()
            for w, ids in words.items():
                for pair in zip(ids, ids[1:]):
                    pairs[pair] += chunks[w]
            if not pairs:
                break
            best = max(pairs.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))[0]  # ties: stable
            merges.append(best)
            words = {w: cls._merge(ids, best, new_id) for w, ids in words.items()}
        return cls(merges)

    def encode(self, text: str) -> list[int]:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        out: list[int] = []
        for chunk in self.PRETOKEN.findall(text):
            ids = list(chunk.encode("utf-8"))
            while len(ids) > 1:   # apply the earliest-learned merge present, as in training
                pair = min(zip(ids, ids[1:]), key=lambda p: self.ranks.get(p, float("inf")))
                if pair not in self.ranks:
                    break
                ids = self._merge(ids, pair, self.ranks[pair])
            out.extend(ids)
        return out

    def decode(self, ids) -> str:
        bad = [int(i) for i in ids if int(i) not in self.vocab]
        if bad:
            raise ValueError(f"ids not in the vocabulary (size {self.vocab_size}): {bad[:5]}")
        return b"".join(self.vocab[int(i)] for i in ids).decode("utf-8", errors="replace")

    def token_strings(self, ids) -> list[str]:
        return [self.vocab[int(i)].decode("utf-8", errors="replace") for i in ids]
