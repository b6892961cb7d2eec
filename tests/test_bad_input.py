"""Wrong calls a learner makes, each answered by an error that names the argument."""
import pytest
import torch

from course import metrics
from course.generate import generate, sample_next
from course.models import GPT, GPTConfig, mask_tokens
from course.nn import MultiHeadAttention, causal_mask, padding_mask, scaled_dot_product_attention
from course.runtime import get_device, seed_everything
from course.selftest import exercise, quiz
from course.text import CharTokenizer, lm_batch, number_to_words, pad_batch, sequence_task
from course.train import SGD, Adam, clip_by_global_norm, fit, warmup_cosine
from course.viz import plot_attention

q = torch.randn(1, 2, 4, 8)
tiny = GPT(GPTConfig.preset("tiny"))
param = [torch.nn.Parameter(torch.zeros(2))]

BAD_CALLS = [
    ("q must have 4 dimensions", lambda: scaled_dot_product_attention(torch.randn(4, 8), q, q)),
    ("k must have last dimension 8", lambda: scaled_dot_product_attention(q, torch.randn(1, 2, 4, 6), q)),
    ("k and v must have the same number of keys", lambda: scaled_dot_product_attention(q, q, torch.randn(1, 2, 5, 8))),
    ("mask must have a bool dtype", lambda: scaled_dot_product_attention(q, q, q, torch.ones(4, 4))),
    ("does not broadcast", lambda: scaled_dot_product_attention(q, q, q, torch.ones(3, 4, dtype=torch.bool))),
    ("q must have a float dtype", lambda: scaled_dot_product_attention(q.long(), q, q)),
    ("dropout_p must be in [0, 1)", lambda: scaled_dot_product_attention(q, q, q, dropout_p=1.5)),
    ("d_model (10) must be divisible by n_heads (3)", lambda: MultiHeadAttention(10, 3)),
    ("x must have last dimension 16", lambda: MultiHeadAttention(16, 4)(torch.randn(1, 3, 8))),
    ("t_query must be >= 1", lambda: causal_mask(0)),
    ("lengths must lie in [0, t_key=3]", lambda: padding_mask(torch.tensor([5]), 3)),
    ("idx must have a int dtype", lambda: tiny(torch.randn(1, 4))),
    ("longer than the context window", lambda: tiny(torch.zeros(1, 65, dtype=torch.long))),
    ("outside [0, vocab_size=65)", lambda: tiny(torch.full((1, 3), 70))),
    ("positions must be one of", lambda: GPTConfig(positions="alibi")),
    ("n_heads must be >= 1", lambda: GPTConfig(n_heads=0)),
    ("lr must be > 0", lambda: SGD(param, lr=-0.1)),
    ("betas[1] must be in [0, 1)", lambda: Adam(param, betas=(0.9, 1.0))),
    ("nesterov=True needs momentum > 0", lambda: SGD(param, lr=0.1, nesterov=True)),
    ("max_norm must be > 0", lambda: clip_by_global_norm(param, 0)),
    ("warmup (20) must not exceed total (10)", lambda: warmup_cosine(0, warmup=20, total=10)),
    ("steps must be >= 1", lambda: fit(tiny, SGD(tiny.parameters(), lr=0.1), lambda s: None, 0)),
    ("temperature must be > 0", lambda: sample_next(torch.randn(1, 5), temperature=0)),
    ("top_p must be > 0", lambda: generate(tiny, torch.zeros(1, 2, dtype=torch.long), 2, top_p=0.0)),
    ("text has characters not in the vocabulary", lambda: CharTokenizer("abc").encode("abd")),
    ("kind must be one of", lambda: sequence_task("shuffle", 2, 3)),
    ("n must be at most 9999", lambda: number_to_words(10000)),
    ("it needs more than block=8", lambda: lm_batch(torch.arange(5), 2, 8)),
    ("more than max_len=2", lambda: pad_batch([[1, 2, 3]], max_len=2)),
    ("p must be in [0, 1]", lambda: mask_tokens(torch.zeros(1, 3, dtype=torch.long), 1, 5, p=2.0)),
    ("y_true and y_pred must have the same length", lambda: metrics.accuracy([1, 2], [1])),
    ("average must be one of", lambda: metrics.precision_recall_f1([1], [1], average="weighted")),
    ("is not a BIO tag", lambda: metrics.entity_f1([["B-PER", "X"]], [["O", "O"]])),
    ("seed must be >= 0", lambda: seed_everything(-1)),
    ("COURSE_DEVICE must be one of", lambda: _with_env("COURSE_DEVICE", "tpu", get_device)),
    ("got 2 token labels for an axis of length 3", lambda: plot_attention(torch.rand(3, 3), ["a", "b"])),
    ("key must look like '04.attention'", lambda: exercise("attention")),
    ("chapter 2 has no self-test yet", lambda: quiz(2)),
    ("choice must be one of a, b, c", lambda: quiz(4).answer(1, "z", record=False)),
]


def _with_env(name, value, fn):
    import os
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        return fn()
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


@pytest.mark.parametrize("message,call", BAD_CALLS, ids=[m[:40] for m, _ in BAD_CALLS])
def test_bad_input_gets_a_clear_message(message, call):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert message in str(info.value)


def test_there_are_at_least_20_cases():
    assert len(BAD_CALLS) >= 20
