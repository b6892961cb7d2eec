"""Token classification with subword tokenizers: one label per word becomes labels per subword piece, and
predictions per piece become one tag per word again (the bookkeeping of NER on top of BPE).

    ids, word_of = word_pieces(words, bpe)                  # word_of[t] = index of the word piece t belongs to
    piece_tags = align_labels(word_of, tags, "first")       # None where no loss is taken
    tags_again = word_tags(word_of, predicted_piece_tags)   # each word takes its first piece's tag
"""
from __future__ import annotations

import random

from .validate import check_in

__all__ = ["word_pieces", "align_labels", "word_tags", "inside_tag", "drop_words", "replace_entities"]


def _check_words(name: str, words) -> list[str]:
    if isinstance(words, str) or not isinstance(words, (list, tuple)) or \
            not all(isinstance(w, str) and w for w in words):
        raise TypeError(f"{name} must be a list of non-empty strings (one per word), got {words!r:.80}")
    return list(words)


def _check_word_of(word_of) -> list[int]:
    if isinstance(word_of, str) or not isinstance(word_of, (list, tuple)) or \
            not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in word_of):
        raise TypeError(f"word_of must be a list of word indices (ints ≥ 0), one per piece, got {word_of!r:.80}")
    if any(b not in (a, a + 1) for a, b in zip(word_of, word_of[1:])) or (word_of and word_of[0] != 0):
        raise ValueError(f"word_of must start at word 0 and step through the words in order, got {word_of!r:.80}")
    return list(word_of)


def word_pieces(words: list[str], tokenizer) -> tuple[list[int], list[int]]:
    """Encode a sentence word by word with a BPE tokenizer: (piece ids, word index of each piece).

    Words after the first are encoded with their leading space, as in running text, so the pieces equal
    ``tokenizer.encode(" ".join(words))`` (BPE merges never cross a word boundary)."""
    words = _check_words("words", words)
    if isinstance(tokenizer, (str, bytes)) or not callable(getattr(tokenizer, "encode", None)):
        raise TypeError(f"tokenizer must have an encode(text) method, got {type(tokenizer).__name__}")
    ids, word_of = [], []
    for i, word in enumerate(words):
        pieces = tokenizer.encode(word if i == 0 else " " + word)
        ids += pieces
        word_of += [i] * len(pieces)
    return ids, word_of


def _check_tags(name: str, tags) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, (list, tuple)):
        raise TypeError(f"{name} must be a list of BIO tags, got {type(tags).__name__}")
    bad = [t for t in tags if not (isinstance(t, str) and (t == "O" or (t[:2] in ("B-", "I-") and len(t) > 2)))]
    if bad:
        raise ValueError(f"{name} must hold BIO tags (B-X, I-X or O), got {bad[0]!r}")
    return list(tags)


def inside_tag(tag: str) -> str:
    """The tag a continuation piece of a word tagged ``tag`` gets: B-X → I-X; I-X and O unchanged."""
    if not isinstance(tag, str) or not (tag == "O" or tag[:2] in ("B-", "I-")):
        raise ValueError(f"tag must be a BIO tag (B-X, I-X or O), got {tag!r}")
    return "I-" + tag[2:] if tag.startswith("B-") else tag


def align_labels(word_of: list[int], tags: list[str], strategy: str = "first") -> list[str | None]:
    """Word tags → one label per piece.

    ``"first"``: a word's first piece carries its tag, the other pieces ``None`` (no loss there: −100).
    ``"all"``: every piece carries a tag; continuation pieces of a B-X word get I-X, so that the pieces
    still read as valid BIO."""
    word_of = _check_word_of(word_of)
    check_in("strategy", strategy, ("first", "all"))
    tags = _check_tags("tags", tags)
    if (word_of[-1] + 1 if word_of else 0) != len(tags):
        raise ValueError(f"word_of covers {word_of[-1] + 1 if word_of else 0} words but tags has {len(tags)}")
    out = []
    for t, w in enumerate(word_of):
        first = t == 0 or word_of[t - 1] != w
        out.append(tags[w] if first else (inside_tag(tags[w]) if strategy == "all" else None))
    return out


def word_tags(word_of: list[int], piece_tags: list[str]) -> list[str]:
    """Tags predicted per piece → one tag per word: each word takes its first piece's tag."""
    word_of = _check_word_of(word_of)
    if isinstance(piece_tags, str) or not isinstance(piece_tags, (list, tuple)) or len(piece_tags) != len(word_of):
        raise ValueError(f"piece_tags must be a list with one tag per piece ({len(word_of)}), got {piece_tags!r:.80}")
    return _check_tags("piece_tags (at first pieces)",
                       [piece_tags[t] for t, w in enumerate(word_of) if t == 0 or word_of[t - 1] != w])


def drop_words(words: list[str], tags: list[str], drop: set[str]) -> tuple[list[str], list[str]]:
    """Remove every word whose lower-case form is in ``drop`` (a stop-word list), with its tag; a B- tag
    lost with a dropped word passes to the entity's next word, so that the gold entities stay well formed."""
    words = _check_words("words", words)
    if isinstance(tags, str) or not isinstance(tags, (list, tuple)) or len(tags) != len(words):
        raise ValueError(f"tags must be a list with one tag per word ({len(words)}), got {tags!r:.80}")
    if not isinstance(drop, (set, frozenset)):
        raise TypeError(f"drop must be a set of lower-case words, got {type(drop).__name__}")
    kept_words, kept_tags, begin = [], [], None
    for word, tag in zip(words, tags):
        if word.lower() in drop:
            begin = tag if tag.startswith("B-") else None
            continue
        if begin is not None and tag == "I-" + begin[2:]:
            tag = begin
        begin = None
        kept_words.append(word)
        kept_tags.append(tag)
    return kept_words, kept_tags


def replace_entities(words: list[str], tags: list[str], names: dict[str, list[str]],
                     rng: random.Random) -> tuple[list[str], list[str]]:
    """Put a random name of the same type (``names["PER"]`` …, each a string of one or more words) in
    place of every entity, re-tagged B-X I-X …: a test of names the tagger never saw."""
    words = _check_words("words", words)
    if isinstance(tags, str) or not isinstance(tags, (list, tuple)) or len(tags) != len(words):
        raise ValueError(f"tags must be a list with one tag per word ({len(words)}), got {tags!r:.80}")
    if not isinstance(names, dict) or not all(isinstance(v, (list, tuple)) and v for v in names.values()):
        raise TypeError("names must map each entity type to a non-empty list of names")
    if not isinstance(rng, random.Random):
        raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}")
    out_words, out_tags, i = [], [], 0
    while i < len(words):
        kind = tags[i][2:]
        if tags[i] == "O":
            out_words.append(words[i])
            out_tags.append("O")
            i += 1
            continue
        if kind not in names:
            raise ValueError(f"names has no entry for entity type {kind!r}")
        i += 1
        while i < len(words) and tags[i] == "I-" + kind:
            i += 1
        name = rng.choice(names[kind]).split()
        out_words += name
        out_tags += ["B-" + kind] + ["I-" + kind] * (len(name) - 1)
    return out_words, out_tags
