"""Chapter 39's exercises: the references agree with the package."""
import torch

from course.nn import scaled_dot_product_attention
from course.selftest.bank import ch39


def test_grouped_attention_equals_the_package_core():
    g = torch.Generator().manual_seed(0)
    for h, kv in ((8, 2), (6, 3), (4, 1), (4, 4)):
        q, k, v = (torch.randn(2, n, 7, 8, generator=g) for n in (h, kv, kv))
        ref, _ = scaled_dot_product_attention(q, k, v, causal=True, need_weights=False)
        torch.testing.assert_close(ch39.grouped_attention(q, k, v), ref, rtol=1e-5, atol=1e-6)


def test_max_batch_on_known_cases():
    gib = 2**30
    # LLaMA-2 7B (fp16) on 80 GiB: 2 GiB of cache per 4,096-token sequence
    assert ch39.max_batch(80 * gib, 6_738_415_616, 32, 32, 128, 4096, 2) == 33
    # weights that do not fit leave no room at all
    assert ch39.max_batch(24 * gib, 13_015_864_320, 40, 40, 128, 4096, 2) == 0
    # exactly one sequence's worth of free memory fits one sequence
    per_seq = 2 * 2 * 1 * 4 * 8 * 1
    assert ch39.max_batch(100 + per_seq, 100, 2, 1, 4, 8, 1) == 1
    assert ch39.max_batch(100 + per_seq - 1, 100, 2, 1, 4, 8, 1) == 0
