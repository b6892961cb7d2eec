"""Chapter 34's exercise references agree with what they claim: merging two key blocks gives attention over
all keys, and the RNN form of causal linear attention equals the package's prefix-sum form."""
import torch

from course.nn import linear_attention, scaled_dot_product_attention
from course.selftest.bank import ch34


def test_merging_two_key_blocks_gives_full_attention():
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(5, 8, generator=g), torch.randn(12, 8, generator=g) * 4, torch.randn(12, 3, generator=g)
    scores = q @ k.T / 8 ** 0.5

    def part(sl):
        return torch.softmax(scores[:, sl], -1) @ v[sl], torch.logsumexp(scores[:, sl], -1)

    out, lse = ch34.merge_attention(*part(slice(0, 7)), *part(slice(7, 12)))
    full = scaled_dot_product_attention(q[None, None], k[None, None], v[None, None])[0][0, 0]
    torch.testing.assert_close(out, full)
    torch.testing.assert_close(lse, torch.logsumexp(scores, -1))


def test_recurrent_causal_linear_attention_equals_the_package():
    g = torch.Generator().manual_seed(1)
    q, k, v = torch.randn(9, 4, generator=g), torch.randn(9, 4, generator=g), torch.randn(9, 6, generator=g)
    expected = linear_attention(q[None, None], k[None, None], v[None, None], causal=True)[0, 0]
    torch.testing.assert_close(ch34.causal_linear_attention(q, k, v), expected)
