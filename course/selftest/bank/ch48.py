"""Self-test of chapter 48: labels for every subword piece, and entity-level true positives."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def all_piece_labels(word_of: torch.Tensor, word_labels: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
    """Every piece of a word gets a label: the first its word's label, the others that label's inside form."""
    safe = word_of.clamp(min=0)
    labels = word_labels[safe]                                         # (T,) the word's label at every piece
    previous = torch.cat([torch.tensor([-1]), word_of[:-1]])
    continuation = (word_of == previous) & (word_of >= 0)
    labels = torch.where(continuation, inside[labels], labels)
    return torch.where(word_of >= 0, labels, torch.full_like(labels, -100))


# tags O, B-PER, I-PER, B-LOC, I-LOC: the inside form of B-X is I-X
_INSIDE = torch.tensor([0, 2, 2, 4, 4])


def _align_cases(g):
    cases = []
    for pieces_per_word, special_ends in (([1, 3, 1, 2], True), ([2, 2, 1], True), ([1, 1, 4], False),
                                          ([3, 1, 2, 2, 1], True)):
        word_of = [w for w, k in enumerate(pieces_per_word) for _ in range(k)]
        if special_ends:
            word_of = [-1] + word_of + [-1]                           # [CLS] … [SEP]
        labels = torch.randint(0, 5, (len(pieces_per_word),), generator=g)
        labels[0] = 1                                                 # a B- word always among the cases
        cases.append({"word_of": torch.tensor(word_of), "word_labels": labels, "inside": _INSIDE.clone()})
    cases.append({"word_of": torch.tensor([-1, 0, 0, 1, 1, 1, -1]), "word_labels": torch.tensor([3, 1]),
                  "inside": torch.tensor([0, 2, 2, 4, 4])})
    return cases


def _copied(word_of, word_labels, inside):
    return all_piece_labels(word_of, word_labels, torch.arange(len(inside)))


def _first_only(word_of, word_labels, inside):
    out = all_piece_labels(word_of, word_labels, inside)
    previous = torch.cat([torch.tensor([-1]), word_of[:-1]])
    return torch.where((word_of == previous) & (word_of >= 0), torch.full_like(out, -100), out)


def _specials_labelled(word_of, word_labels, inside):
    labels = word_labels[word_of.clamp(min=0)]
    previous = torch.cat([torch.tensor([-1]), word_of[:-1]])
    return torch.where((word_of == previous) & (word_of >= 0), inside[labels], labels)


def _every_piece_inside(word_of, word_labels, inside):
    out = inside[word_labels[word_of.clamp(min=0)]]
    return torch.where(word_of >= 0, out, torch.full_like(out, -100))


ALL_PIECES = Exercise(
    key="48.all_piece_labels", title="all_piece_labels",
    signature="all_piece_labels(word_of (T,), word_labels (W,), inside (n_tags,)) -> (T,) int64",
    reference=all_piece_labels, make_cases=_align_cases,
    task="""Lab 2's live run labelled only the first piece of each word; the stored sweep also trained the other
strategy, "all pieces". Write that one on tensors, as a data collator would.

- `word_of`: int64 `(T,)`, for each piece the index of the word it belongs to, in order (0, 0, 1, 2, 2, …);
  `-1` for special tokens such as [CLS] and [SEP].
- `word_labels`: int64 `(W,)`, one tag id per word.
- `inside`: int64 `(n_tags,)`, `inside[i]` is the id of the inside tag of tag i (B-X → I-X; I-X and O map to
  themselves).

Return int64 `(T,)`: the **first** piece of a word gets the word's label, every **further** piece of the
same word gets `inside[label]` (so a B-PER word split in three reads B-PER I-PER I-PER), and special tokens
get `-100`, the label cross-entropy ignores.""",
    mistakes=[
        Mistake("copied", "a B- tag copied onto every piece makes each piece start a new entity: continuation "
                "pieces take the inside form, inside[label].", _copied),
        Mistake("first_only", "that is the first-piece strategy (−100 on continuation pieces): here every piece "
                "of a word is labelled.", _first_only),
        Mistake("specials_labelled", "special tokens (word_of = −1) get −100, not the label of word −1 "
                "(Python would index the last word).", _specials_labelled),
        Mistake("every_piece_inside", "the first piece of a word keeps the word's own label (B-X stays B-X); only "
                "the pieces after it take inside[label].", _every_piece_inside),
    ])


def _spans(tags: list[str]) -> set[tuple[str, int, int]]:
    spans, kind, start = set(), None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, typ = tag[:1], tag[2:]
        if kind is not None and (prefix != "I" or typ != kind):
            spans.add((kind, start, i))
            kind = None
        if prefix == "B" or (prefix == "I" and kind is None):
            kind, start = typ, i
    return spans


def entity_true_positives(true_tags: list[list[str]], pred_tags: list[list[str]]) -> int:
    """Predicted entities (type, start, end) that are exactly a gold entity, summed over sentences."""
    return sum(len(_spans(t) & _spans(p)) for t, p in zip(true_tags, pred_tags))


def _tp_cases(g):
    return [
        {"true_tags": [["B-LOC", "I-LOC", "O"]], "pred_tags": [["B-ORG", "I-ORG", "O"]]},
        {"true_tags": [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG", "O"]],
         "pred_tags": [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG", "O"]]},
        {"true_tags": [["O", "B-PER", "I-PER", "O", "B-LOC", "I-LOC"]],
         "pred_tags": [["O", "I-PER", "I-PER", "O", "B-LOC", "I-LOC"]]},
        {"true_tags": [["B-PER", "B-PER", "O"], ["B-LOC", "O", "O"]],
         "pred_tags": [["B-PER", "I-PER", "O"], ["B-ORG", "O", "O"]]},
        {"true_tags": [["B-ORG", "I-ORG", "O", "B-PER"]], "pred_tags": [["B-ORG", "I-LOC", "O", "B-PER"]]},
        {"true_tags": [["O", "O"], ["B-LOC", "I-LOC", "O"]], "pred_tags": [["O", "O"], ["B-LOC", "I-LOC", "B-LOC"]]},
    ]


def _token_level(true_tags, pred_tags):
    return sum(a == b != "O" for t, p in zip(true_tags, pred_tags) for a, b in zip(t, p))


def _untyped(true_tags, pred_tags):
    def strip(spans):
        return {(s, e) for _, s, e in spans}
    return sum(len(strip(_spans(t)) & strip(_spans(p))) for t, p in zip(true_tags, pred_tags))


def _strict_b(true_tags, pred_tags):
    def spans(tags):
        out, kind, start = set(), None, 0
        for i, tag in enumerate(list(tags) + ["O"]):
            if kind is not None and tag != "I-" + kind:
                out.add((kind, start, i))
                kind = None
            if tag.startswith("B-"):
                kind, start = tag[2:], i
        return out
    return sum(len(spans(t) & spans(p)) for t, p in zip(true_tags, pred_tags))


def _start_only(true_tags, pred_tags):
    def starts(tags):
        return {(k, s) for k, s, _ in _spans(tags)}
    return sum(len(starts(t) & starts(p)) for t, p in zip(true_tags, pred_tags))


ENTITY_TP = Exercise(
    key="48.entity_true_positives", title="entity_true_positives",
    signature="entity_true_positives(true_tags: list[list[str]], pred_tags: list[list[str]]) -> int",
    reference=entity_true_positives, make_cases=_tp_cases,
    task="""The numerator of entity-level precision and recall, which Lab 1 took from `course.metrics.entity_f1`.

- `true_tags`, `pred_tags`: lists of sentences, each a list of BIO tag strings (`"B-PER"`, `"I-LOC"`, `"O"`);
  the two lists have the same shapes.
- Read each sentence's entities as seqeval and conlleval do: `B-X` starts an entity of type X; `I-X`
  continues the current entity if it is of type X, and otherwise **starts** a new one (an `I-X` after `O` or
  after another type is not dropped); `O` ends the current entity.
- An entity is (type, first word, last word). Count the predicted entities that equal a gold entity —
  same type **and** both boundaries — summed over sentences, and return a Python `int` (compared exactly).""",
    mistakes=[
        Mistake("token_level", "count entities, not tokens: a three-word entity is one true positive, and only "
                "if all its words are right.", _token_level),
        Mistake("untyped", "the type must match too: a LOC predicted as ORG with the right boundaries is wrong.",
                _untyped),
        Mistake("strict_b", "an I-X that follows O (or another type) starts a new entity, as in seqeval; it is "
                "not ignored.", _strict_b),
        Mistake("start_only", "both boundaries must match: an entity cut short or run on is a miss.", _start_only),
    ])

EXERCISES = [ALL_PIECES, ENTITY_TP]

QUIZ = Quiz([
    Question("48.q1", "The common answer's first step is “文本清洗：去除…停用词”. What does removing stop words "
                      "before NER do?", (
        Option("It helps: fewer noise words, so the tagger's entity F1 goes up", False,
               "That is the common answer's assumption; Lab 3 measures entity F1 going down."),
        Option("It hurts: 'in', 'for', 'the' are cues to type and boundaries", True,
               "'works for X in Y' tells ORG from LOC and where one name ends; 'the' is inside names like "
               "'the Andes'. Lab 3 measures the drop, also for a tagger trained on stripped text."),
        Option("Nothing: attention learns to ignore stop words anyway", False,
               "If the words are gone, attention cannot use them; Lab 3 measures the loss."),
    ), misconception=True),
    Question("48.q2", "The common answer has the encoder output “固定长度的嵌入向量” with a classifier on top. How "
                      "does a BERT tagger produce its NER output?", (
        Option("One pooled sentence vector, classified into an entity type", False,
               "That is sentence classification; it cannot say where each entity starts and ends."),
        Option("A linear layer on every token's vector: one BIO tag per token", True,
               "Logits (B, T, n_tags), cross-entropy per token with −100 on ignored positions (Lab 1)."),
        Option("A decoder that generates the entity names and types one by one", False,
               "Possible with a seq2seq model, but a BERT tagger classifies each token in place."),
    )),
    Question("48.q3", "With first-piece labelling, what happens to the other pieces of a split word?", (
        Option("They all get the same B- tag as the first piece, to keep the entity", False,
               "Then every piece would start an entity; that is the usual bug of the all-pieces strategy."),
        Option("Their label is −100: no loss in training, ignored in prediction", True,
               "At prediction each word reads its first piece's tag (course.tagging.word_tags), Lab 2."),
        Option("They are deleted from the input before the model sees them", False,
               "The model reads every piece; only the loss and the read-out skip them."),
    )),
    Question("48.q4", "Why is NER scored with entity-level F1 rather than token accuracy?", (
        Option("A half-found entity still earns token credit, yet it is wrong", True,
               "Token accuracy counts every right word, O's included; entity F1 counts an entity only with its exact "
               "type and both boundaries. Lab 1 prints token accuracy 0.967 against entity F1 0.886."),
        Option("Token accuracy cannot be computed when words are split into pieces", False,
               "It can, per word; it is simply the wrong question for entities."),
        Option("Entity F1 is always higher, so it is the kinder metric", False,
               "It is the stricter one: a boundary error costs a whole entity (Lab 1: 0.886 below 0.967)."),
    )),
])
