import pytest
import torch

from course.text import (BPETokenizer, CharTokenizer, WordTokenizer, associative_recall, grammar_corpus,
                         lm_batch, ner_examples, number_to_words, number_words_pairs, pad_batch, qa_examples,
                         sentiment_examples, sequence_task, topic_examples)

GENERATORS = [
    lambda s: grammar_corpus(50, seed=s),
    lambda s: sequence_task("reverse", 4, 6, seed=s)[0].tolist(),
    lambda s: associative_recall(4, seed=s)[0].tolist(),
    lambda s: number_words_pairs(5, seed=s),
    lambda s: sentiment_examples(5, seed=s),
    lambda s: topic_examples(5, seed=s),
    lambda s: ner_examples(5, seed=s),
    lambda s: qa_examples(5, seed=s),
]


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_are_deterministic_and_seed_dependent(make):
    assert make(0) == make(0)
    assert make(0) != make(1)


def test_grammar_corpus_agreement_is_long_range():
    text = grammar_corpus(400, seed=0)
    assert "that" in text and "near the" in text
    assert any(line.startswith("the dog near the trees runs") or " that " in line for line in text.splitlines())


def test_tokenizers_round_trip():
    text = grammar_corpus(100, seed=3)
    char = CharTokenizer(text)
    assert char.decode(char.encode(text)) == text
    bpe = BPETokenizer.train(text, 400)
    assert bpe.vocab_size == 400
    for s in (text[:500], "unseen words: 三百一十二 ✓ and émoji 🙂"):
        assert bpe.decode(bpe.encode(s)) == s
    assert len(bpe.encode(text[:500])) < len(text[:500].encode()) / 2     # merges compress
    words = WordTokenizer(["The cat sat.", "the dog sat!"])
    assert words.decode(words.encode("the cat sat .")) == "the cat sat ."
    assert words.encode("zebra")[0] == words.unk_id


@pytest.mark.parametrize("n,en,zh", [(0, "zero", "零"), (15, "fifteen", "十五"), (110, "one hundred ten", "一百一十"),
                                     (312, "three hundred twelve", "三百一十二"),
                                     (1005, "one thousand five", "一千零五"), (2020, "two thousand twenty", "二千零二十")])
def test_number_words(n, en, zh):
    assert number_to_words(n, "en") == en
    assert number_to_words(n, "zh") == zh


def test_tasks_have_the_promised_targets():
    src, tgt = sequence_task("sort", 3, 5, seed=0)
    assert torch.equal(tgt, src.sort(1).values)
    inputs, answers, key_pos = associative_recall(10, n_pairs=3, seed=0)
    for row, ans, pos in zip(inputs, answers, key_pos):
        assert row[pos] == row[-1] and row[pos + 1] == ans
    for ex in qa_examples(20):
        assert ex.context[ex.start:ex.start + len(ex.answer)] == ex.answer


def test_batching():
    ids, mask = pad_batch([[1, 2, 3], [4]], pad_id=0)
    assert ids.tolist() == [[1, 2, 3], [4, 0, 0]] and mask.tolist() == [[True] * 3, [True, False, False]]
    data = torch.arange(100)
    x, y = lm_batch(data, 4, 8, torch.Generator().manual_seed(0))
    assert x.shape == (4, 8) and torch.equal(y, x + 1)


def test_zh_numeral_gloss():
    from course.text import zh_numeral_gloss
    assert zh_numeral_gloss("三千零五") == "3 ×1000 0 5"
