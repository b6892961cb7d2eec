import math

import pytest

from course.metrics import (accuracy, bits_per_token, bleu, entity_f1, exact_match, perplexity,
                            precision_recall_f1, token_f1)
from course.text import ner_examples


def test_bleu_equals_sacrebleu():
    sacrebleu = pytest.importorskip("sacrebleu")
    hyps = ["the cat sat on the mat", "a quick brown dog jumps", "one two three four five six"]
    refs = [["the cat is on the mat", "a fast brown dog jumps over", "one two three four five six"],
            ["there is a cat on the mat", "the quick brown dog jumped", "one two three four five"]]
    expected = sacrebleu.corpus_bleu(hyps, refs, tokenize="none", smooth_method="none").score
    assert bleu(hyps, refs) == pytest.approx(expected, rel=1e-9)
    assert bleu(hyps[:2], [r[:2] for r in refs]) == pytest.approx(
        sacrebleu.corpus_bleu(hyps[:2], [r[:2] for r in refs], tokenize="none", smooth_method="none").score)


def test_entity_f1_equals_seqeval_including_ill_formed_tags():
    seqeval = pytest.importorskip("seqeval.metrics")
    true = [tags for _, tags in ner_examples(30, seed=1)]
    pred = [list(t) for t in true]
    pred[0][0] = "O"
    pred[1] = ["I-PER"] * len(pred[1])            # I- after O starts an entity, as in conlleval
    pred[2][-2] = "B-LOC"
    pred[3] = ["B-ORG" if t.startswith("I-") else t for t in pred[3]]
    p, r, f = entity_f1(true, pred)
    assert p == pytest.approx(seqeval.precision_score(true, pred))
    assert r == pytest.approx(seqeval.recall_score(true, pred))
    assert f == pytest.approx(seqeval.f1_score(true, pred))


def test_precision_recall_f1_equal_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    y_true = [0, 1, 2, 2, 1, 0, 1, 2, 2, 0]
    y_pred = [0, 2, 2, 2, 1, 0, 0, 1, 2, 1]
    for average in ("macro", "micro"):
        ours = precision_recall_f1(y_true, y_pred, average=average)
        theirs = metrics.precision_recall_fscore_support(y_true, y_pred, average=average)[:3]
        assert ours == pytest.approx(theirs)
    yt, yp = [1, 0, 1, 1, 0], [1, 1, 0, 1, 0]
    assert precision_recall_f1(yt, yp) == pytest.approx(metrics.precision_recall_fscore_support(
        yt, yp, average="binary")[:3])
    assert accuracy(y_true, y_pred) == pytest.approx(metrics.accuracy_score(y_true, y_pred))


def test_perplexity_and_bits():
    assert perplexity(math.log(65)) == pytest.approx(65)
    assert bits_per_token(math.log(2)) == pytest.approx(1.0)


def test_squad_exact_match_and_f1():
    assert exact_match("The Eiffel Tower!", "eiffel tower") == 1.0
    assert token_f1("in Paris France", "Paris") == pytest.approx(2 * (1 / 3) * 1 / (1 / 3 + 1))
    assert token_f1("London", "Paris") == 0.0
