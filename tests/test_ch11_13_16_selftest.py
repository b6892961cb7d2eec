"""Self-tests of chapters 11, 13 and 16, beyond the bank-wide rules of tests/test_bank.py: quizzes whose
correct option is the longest in at most one question, and each exercise's reference checked against the
package or torch.
"""

import pytest
import torch

from course.models import Bert, BertConfig
from course.nn import causal_mask
from course.selftest import exercise, exercises, quiz
from course.selftest.exercises import _reference

CHAPTERS = (11, 13, 16)


@pytest.mark.parametrize("number", CHAPTERS)
def test_bank_has_enough_exercises_and_questions(number):
    assert len(exercises(number)) >= 2
    questions = quiz(number).questions
    assert len(questions) >= 3
    assert sum(q.misconception for q in questions) >= 1


@pytest.mark.parametrize("number", CHAPTERS)
def test_correct_option_is_rarely_the_longest(number):
    longest = [q.key for q in quiz(number).questions
               if max(q.options, key=lambda o: len(o.text)).correct]
    assert len(longest) <= 1, longest
    for q in quiz(number).questions:
        texts = [o.text for o in q.options]
        assert len(set(texts)) == len(texts), q.key





def test_window_mask_equals_the_package_mask():
    ref = _reference(exercise("11.window_mask"))
    for t, w in ((6, 2), (9, 4), (5, 8)):
        assert torch.equal(ref(t, w), causal_mask(t, window=w))


def test_earliest_visible_reaches_as_far_as_lab_1_measures():
    ref = _reference(exercise("11.earliest_visible"))
    assert ref(20, [8]) == 19 - 7 and ref(20, [8, 8]) == 19 - 14
    assert ref(20, [8, None]) == 0 and ref(3, [8]) == 0


def test_prefix_lm_mask_spans_encoder_and_decoder():
    ref = _reference(exercise("13.prefix_lm_mask"))
    lengths = torch.tensor([5, 3])
    real = (torch.arange(5)[None, :] < lengths[:, None])[:, None, :]
    assert torch.equal(ref(lengths, lengths, 5), real.expand(2, 5, 5))                 # BERT
    assert torch.equal(ref(lengths, torch.zeros(2, dtype=torch.long), 5), real & causal_mask(5))  # GPT


def test_encoder_layer_formula_counts_the_package_layer():
    ref = _reference(exercise("13.encoder_layer_params"))
    for d, f in ((64, 256), (96, 200)):
        layer = Bert(BertConfig(vocab_size=50, d_model=d, n_heads=4, d_ff=f)).blocks[0]
        assert ref(d, f) == sum(p.numel() for p in layer.parameters())


def test_causal_self_attention_equals_sdpa():
    ref = _reference(exercise("16.causal_self_attention"))
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(2, 5, 8, generator=g), torch.randn(3, 8, 4, generator=g)
    out, weights = ref(x, *w)
    expected = torch.nn.functional.scaled_dot_product_attention(x @ w[0], x @ w[1], x @ w[2], is_causal=True)
    assert torch.allclose(out, expected, atol=1e-6)
    assert torch.equal(weights.triu(1) == 0, torch.ones(5, 5, dtype=torch.bool).expand(2, 5, 5))


def test_pre_ln_attention_matches_a_package_block_sublayer():
    from course.nn import MultiHeadAttention
    ref = _reference(exercise("16.pre_ln_attention"))
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=8, n_heads=1, bias=False)
    mha.causal = True
    x = torch.randn(2, 5, 8)
    w_q, w_k, w_v = mha.qkv_proj.weight.T.chunk(3, dim=1)
    h = torch.nn.functional.layer_norm(x, (8,), eps=1e-5)
    with torch.no_grad():
        expected = x + mha(h)
        got = ref(x, w_q, w_k, w_v, mha.out_proj.weight.T)
    assert torch.allclose(got, expected, atol=1e-5)
