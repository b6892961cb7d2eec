"""A deterministic English corpus from a small grammar, with long-range subject–verb agreement.

"the dog near the old trees runs ." — the verb agrees with *dog*, not with the nearer *trees*: a model
must carry the subject's number across the phrase in between, which a bigram model cannot.
"""
from __future__ import annotations

import random

from ..validate import check_int

__all__ = ["grammar_sentence", "grammar_corpus", "agreement_pairs", "NOUNS", "VERBS"]

NOUNS = [("dog", "dogs"), ("cat", "cats"), ("child", "children"), ("teacher", "teachers"),
         ("bird", "birds"), ("farmer", "farmers"), ("robot", "robots"), ("king", "kings")]
VERBS = [("runs", "run"), ("sleeps", "sleep"), ("sings", "sing"), ("waits", "wait"),
         ("laughs", "laugh"), ("is happy", "are happy"), ("was here", "were here")]
TRANSITIVE = [("sees", "see"), ("likes", "like"), ("follows", "follow"), ("helps", "help")]
ADJECTIVES = ["old", "small", "quiet", "clever", "tired", "green"]
PLACES = ["tree", "river", "house", "gate", "hill"]
ADVERBS = ["today", "again", "slowly", "at night"]


def _noun_phrase(rng: random.Random, plural: bool) -> str:
    det = rng.choice(["the", "some", "many"] if plural else ["the", "a", "one"])
    adj = rng.choice(ADJECTIVES) + " " if rng.random() < 0.4 else ""
    return f"{det} {adj}{rng.choice(NOUNS)[plural]}"


def grammar_sentence(rng: random.Random) -> str:
    """One sentence; the subject's number decides the verb's form however far apart they are."""
    if not isinstance(rng, random.Random):
        raise TypeError(f"rng must be a random.Random (e.g. random.Random(0)), got {type(rng).__name__}")
    plural = rng.random() < 0.5
    subject = _noun_phrase(rng, plural)
    roll = rng.random()
    if roll < 0.35:      # a prepositional phrase whose noun may disagree with the subject
        subject += f" near the {rng.choice(PLACES)}{'s' if rng.random() < 0.5 else ''}"
    elif roll < 0.65:    # an object relative clause: "the dog that the cats follow"
        other = rng.random() < 0.5
        subject += f" that {_noun_phrase(rng, other)} {rng.choice(TRANSITIVE)[other]}"
    if rng.random() < 0.3:
        verb = f"{rng.choice(TRANSITIVE)[plural]} {_noun_phrase(rng, rng.random() < 0.5)}"
    else:
        verb = rng.choice(VERBS)[plural]
    adverb = " " + rng.choice(ADVERBS) if rng.random() < 0.3 else ""
    return f"{subject} {verb}{adverb} ."


def grammar_corpus(n_sentences: int = 2000, seed: int = 0) -> str:
    """``n_sentences`` sentences, one per line; the same text for the same seed."""
    check_int("n_sentences", n_sentences, minimum=1)
    check_int("seed", seed, minimum=0)
    rng = random.Random(seed)
    return "\n".join(grammar_sentence(rng) for _ in range(n_sentences)) + "\n"


def agreement_pairs(n: int, seed: int = 0, attractor: str = "opposite") -> list[tuple[str, str, str]]:
    """``n`` (prefix, right verb, wrong verb) triples in which a noun (the attractor) stands between
    the subject and its verb: "the dog near the trees" + " runs" / " run".

    ``attractor="opposite"`` (default) gives the attractor the other number than the subject, so a
    model that only looks at the last few characters is fooled by the nearer noun -- but then
    "verb number = opposite of the nearest noun" also solves the task. ``attractor="random"`` draws the
    attractor's number independently (about half congruent, half incongruent), so only the subject
    decides.
    """
    check_int("n", n, minimum=1)
    if attractor not in ("opposite", "random"):
        raise ValueError(f"attractor must be 'opposite' or 'random', got {attractor!r}")
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        plural = rng.random() < 0.5
        noun = rng.choice(NOUNS)[plural]
        a_plural = (rng.random() < 0.5) if attractor == "random" else (not plural)
        if rng.random() < 0.5:
            prefix = f"the {noun} near the {rng.choice(PLACES)}{'s' if a_plural else ''}"
        else:
            a_noun = rng.choice(NOUNS)[a_plural]
            prefix = f"the {noun} that the {a_noun} {rng.choice(TRANSITIVE)[a_plural]}"
        right, wrong = rng.choice(VERBS)
        if plural:
            right, wrong = wrong, right
        out.append((prefix, f" {right} ", f" {wrong} "))   # the space ends the word: "run" ≠ prefix of "runs"
    return out
