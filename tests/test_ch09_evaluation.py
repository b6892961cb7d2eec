"""Chapter 9: the likelihood helpers of course.evaluation equal transformers' own loss, bits per byte
does not depend on the tokenizer's cut, course.metrics.bleu equals sacrebleu, and the self-test's
references agree with the libraries."""
import math
import random

import pytest
import torch

from course.evaluation import ChoiceItem, bits_per_byte, continuation_logprobs, text_nll, tiny_benchmark
from course.metrics import bleu, precision_recall_f1
from course.selftest.bank import ch09

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def hf_gpt2():
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=50, n_positions=32, n_embd=32, n_layer=2, n_head=2)
    return transformers.GPT2LMHeadModel(config).eval()


def test_continuation_logprobs_equal_transformers_loss(hf_gpt2):
    context, options = [3, 7, 9], [[4], [5, 6, 7], [8, 8]]
    ours = continuation_logprobs(hf_gpt2, context, options)
    for option, lp in zip(options, ours):
        ids = torch.tensor([context + option])
        labels = ids.clone()
        labels[0, :len(context)] = -100                  # score the option's tokens only
        with torch.no_grad():
            mean_nll = hf_gpt2(ids, labels=labels).loss.item()
        assert lp.shape == (len(option),)
        assert -lp.sum().item() == pytest.approx(mean_nll * len(option), rel=1e-5)


def test_text_nll_equals_transformers_loss_over_a_padded_batch(hf_gpt2):
    rng = random.Random(0)
    lines = [[rng.randrange(4, 50) for _ in range(rng.randint(1, 12))] for _ in range(9)]
    total, count = text_nll(hf_gpt2, lines, sep_id=1, batch_size=4)
    expected = 0.0
    for line in lines:                                   # one line at a time, no padding at all
        ids = torch.tensor([[1] + line + [1]])
        with torch.no_grad():
            expected += hf_gpt2(ids, labels=ids).loss.item() * (len(line) + 1)
    assert count == sum(len(line) + 1 for line in lines)
    assert total == pytest.approx(expected, rel=1e-5)


def test_bits_per_byte_is_total_nats_over_bytes():
    assert bits_per_byte(8 * math.log(2), 4) == pytest.approx(2.0)
    # a uniform model over 256 byte values costs exactly 8 bits per byte, however long the text
    assert bits_per_byte(1000 * math.log(256), 1000) == pytest.approx(8.0)


@pytest.mark.parametrize("seed", range(3))
def test_bleu_equals_sacrebleu_on_random_corpora_with_several_references(seed):
    sacrebleu = pytest.importorskip("sacrebleu")
    rng = random.Random(seed)
    words = "the a cat dog sees runs near big small red .".split()

    def sentence():
        return " ".join(rng.choice(words) for _ in range(rng.randint(4, 12)))
    hyps = [sentence() for _ in range(20)]
    refs = [[sentence() for _ in hyps] for _ in range(rng.randint(1, 3))]
    expected = sacrebleu.corpus_bleu(hyps, refs, tokenize="none", smooth_method="none").score
    assert bleu(hyps, refs) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_clipped_matches_reference_agrees_with_sacrebleu_counts():
    sacrebleu = pytest.importorskip("sacrebleu")
    hyp, refs = "the cat the cat the cat sees", ["the cat sees a cat", "a dog the cat"]
    stats = sacrebleu.corpus_bleu([hyp], [[r] for r in refs], tokenize="none", smooth_method="none")
    assert [ch09.clipped_matches(hyp, refs, n) for n in range(1, 5)] == list(stats.counts)


def test_precision_recall_f1_equals_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(1)
    y_true = [int(rng.random() < 0.1) for _ in range(300)]
    y_pred = [t if rng.random() < 0.8 else 1 - t for t in y_true]
    expected = metrics.precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)[:3]
    assert precision_recall_f1(y_true, y_pred) == pytest.approx(expected)


def test_tiny_benchmark_is_deterministic_and_well_formed():
    a, b = tiny_benchmark(5, seed=1), tiny_benchmark(5, seed=1)
    assert a == b and len(a) == 20
    assert {item.task for item in a} == {"agreement", "completion", "recall year", "recall city"}
    for item in a:
        assert isinstance(item, ChoiceItem) and 0 <= item.answer < len(item.options)
        assert len(set(item.options)) == len(item.options)
    assert len({item.answer for item in tiny_benchmark(25) if len(item.options) == 4}) == 4   # answers move

