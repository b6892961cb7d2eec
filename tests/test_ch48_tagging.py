"""Chapter 48: subword label alignment, word read-out, stop-word removal and entity counts, checked against
seqeval and the BPE tokenizer itself."""
import random

import pytest
import torch

from course.metrics import entity_f1
from course.selftest.bank.ch48 import all_piece_labels, entity_true_positives
from course.tagging import align_labels, drop_words, inside_tag, replace_entities, word_pieces, word_tags
from course.text import BPETokenizer, ner_examples

TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]


@pytest.fixture(scope="module")
def bpe():
    return BPETokenizer.train(" ".join(" ".join(w) for w, _ in ner_examples(300)), 300)


def test_word_pieces_equal_the_tokenizers_encoding_of_the_sentence(bpe):
    for words, _ in ner_examples(50, seed=3) + [(["Sara", "Okafor", "visited", "Ouagadougou", "."], None)]:
        ids, word_of = word_pieces(words, bpe)
        assert ids == bpe.encode(" ".join(words))
        assert sorted(set(word_of)) == list(range(len(words)))


def test_alignment_round_trips_through_the_first_piece(bpe):
    for words, tags in ner_examples(50, seed=4):
        _, word_of = word_pieces(words + ["Okafor"], bpe)
        tags = tags + ["B-PER"]
        for strategy in ("first", "all"):
            pieces = align_labels(word_of, tags, strategy)
            assert word_tags(word_of, pieces) == tags
        every = align_labels(word_of, tags, "all")
        assert entity_f1([tags], [word_tags(word_of, every)])[2] == 1.0


def test_all_pieces_continue_the_entity_and_agree_with_the_tensor_exercise():
    word_of, tags = [0, 1, 1, 1, 2, 2], ["O", "B-PER", "B-LOC"]
    assert align_labels(word_of, tags, "first") == ["O", "B-PER", None, None, "B-LOC", None]
    every = align_labels(word_of, tags, "all")
    assert every == ["O", "B-PER", "I-PER", "I-PER", "B-LOC", "I-LOC"]
    inside = torch.tensor([TAGS.index(inside_tag(t)) for t in TAGS])
    ids = all_piece_labels(torch.tensor([-1] + word_of + [-1]), torch.tensor([TAGS.index(t) for t in tags]), inside)
    assert ids.tolist() == [-100] + [TAGS.index(t) for t in every] + [-100]


def test_entity_true_positives_agree_with_seqeval():
    seqeval = pytest.importorskip("seqeval.metrics.sequence_labeling")
    rng = random.Random(0)
    for _ in range(200):
        n = rng.randint(1, 8)
        true = [[rng.choice(TAGS) for _ in range(n)] for _ in range(3)]
        pred = [[rng.choice(TAGS) for _ in range(n)] for _ in range(3)]
        expected = sum(len(set(seqeval.get_entities(t)) & set(seqeval.get_entities(p))) for t, p in zip(true, pred))
        assert entity_true_positives(true, pred) == expected


def test_drop_words_keeps_entities_well_formed():
    words = ["Sara", "works", "for", "the", "World", "Bank", "in", "the", "Andes", "."]
    tags = ["B-PER", "O", "O", "B-ORG", "I-ORG", "I-ORG", "O", "B-LOC", "I-LOC", "O"]
    kept, kept_tags = drop_words(words, tags, {"the", "for", "in"})
    assert kept == ["Sara", "works", "World", "Bank", "Andes", "."]
    assert kept_tags == ["B-PER", "O", "B-ORG", "I-ORG", "B-LOC", "O"]


def test_replace_entities_keeps_types_and_counts():
    rng = random.Random(0)
    names = {"PER": ["Sara Okafor"], "ORG": ["Initech"], "LOC": ["the Andes"]}
    for words, tags in ner_examples(30, seed=5):
        new_words, new_tags = replace_entities(words, tags, names, rng)
        assert [k for k, _, _ in sorted(entity_spans(tags))] == [k for k, _, _ in sorted(entity_spans(new_tags))]
        assert len(new_words) == len(new_tags)


def entity_spans(tags):
    from course.metrics import bio_entities
    return bio_entities(tags)
