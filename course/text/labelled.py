"""Small labelled datasets from templates: sentiment, topics, named entities (BIO) and extractive QA.

Deterministic for a seed; sized for CPU labs.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from ..validate import check_int

__all__ = ["sentiment_examples", "topic_examples", "ner_examples", "qa_examples", "QAExample"]

_POS = ["good", "great", "fun", "lovely", "clever"]
_NEG = ["bad", "boring", "awful", "dull", "weak"]
_THINGS = ["movie", "book", "meal", "game", "song", "show"]


def sentiment_examples(n: int, seed: int = 0) -> list[tuple[str, int]]:
    """(sentence, label) with label 1 = positive. Negation flips the word's polarity, so a bag of
    words cannot tell "not good" from "good"; intensifiers ("very") change nothing of the label."""
    check_int("n", n, minimum=1)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        positive_word = rng.random() < 0.5
        negated = rng.random() < 0.5
        word = rng.choice(_POS if positive_word else _NEG)
        intens = rng.choice(["", "very ", "really "])
        neg = rng.choice(["not ", "never "]) if negated else ""
        out.append((f"the {rng.choice(_THINGS)} was {neg}{intens}{word}", int(positive_word != negated)))
    return out


_TOPICS = {
    "sport": ["team", "goal", "match", "coach", "score", "league"],
    "science": ["atom", "theory", "experiment", "cell", "energy", "telescope"],
    "food": ["soup", "bread", "recipe", "spice", "kitchen", "dessert"],
    "music": ["guitar", "melody", "concert", "drum", "album", "chorus"],
}
_FILLER = ["the", "a", "new", "about", "today", "this", "with", "we", "saw", "and"]


def topic_examples(n: int, seed: int = 0, length: int = 8) -> list[tuple[str, str]]:
    """(text, topic) where a few topic words hide among common filler words."""
    check_int("n", n, minimum=1)
    check_int("length", length, minimum=2)   # two topic words hide among the filler
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        topic = rng.choice(sorted(_TOPICS))
        words = [rng.choice(_FILLER) for _ in range(length)]
        for i in rng.sample(range(length), 2):
            words[i] = rng.choice(_TOPICS[topic])
        out.append((" ".join(words), topic))
    return out


_PEOPLE = ["Alice", "Bob", "Li Wei", "Maria Garcia", "Chen", "Omar"]
_ORGS = ["Acme Corp", "the United Nations", "Globex", "Tsinghua University"]
_LOCS = ["Paris", "New York", "Beijing", "Lagos", "the Alps"]


def ner_examples(n: int, seed: int = 0) -> list[tuple[list[str], list[str]]]:
    """(tokens, BIO tags) with PER, ORG and LOC entities, some of several tokens."""
    check_int("n", n, minimum=1)
    rng = random.Random(seed)
    templates = ["{PER} works for {ORG} in {LOC} .", "{PER} met {PER} in {LOC} .",
                 "{ORG} opened an office in {LOC} .", "yesterday {PER} visited {LOC} ."]
    out = []
    for _ in range(n):
        tokens, tags = [], []
        for part in rng.choice(templates).split():
            if part.startswith("{"):
                kind = part[1:4]
                name = rng.choice({"PER": _PEOPLE, "ORG": _ORGS, "LOC": _LOCS}[kind]).split()
                tokens += name
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(name) - 1)
            else:
                tokens.append(part)
                tags.append("O")
        out.append((tokens, tags))
    return out


@dataclass(frozen=True)
class QAExample:
    context: str
    question: str
    answer: str
    start: int      # character offset of the answer in the context

    def __post_init__(self):
        if self.context[self.start:self.start + len(self.answer)] != self.answer:
            raise ValueError("answer must appear in context at start")


def qa_examples(n: int, seed: int = 0) -> list[QAExample]:
    """Short contexts with facts about people; the answer is always a span of the context."""
    check_int("n", n, minimum=1)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        person, city, thing = rng.choice(_PEOPLE), rng.choice(_LOCS), rng.choice(_THINGS)
        year = str(rng.randint(1950, 2020))
        facts = {"Where": (f"{person} lives in {city} .", city),
                 "When": (f"{person} was born in {year} .", year),
                 "What": (f"{person} likes the {thing} .", thing)}
        order = rng.sample(sorted(facts), 3)
        context = " ".join(facts[k][0] for k in order)
        kind = rng.choice(order)
        question = {"Where": f"Where does {person} live ?", "When": f"When was {person} born ?",
                    "What": f"What does {person} like ?"}[kind]
        sentence, answer = facts[kind]
        start = context.index(sentence) + sentence.index(answer)
        out.append(QAExample(context, question, answer, start))
    return out
