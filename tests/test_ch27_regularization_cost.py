"""Chapter 27: the exercise references equal PyTorch's dropout and label-smoothed cross-entropy."""
import torch
import torch.nn.functional as F

from course.selftest.bank.ch27 import inverted_dropout, smoothed_token_loss


def test_inverted_dropout_equals_torch_dropout_given_its_mask():
    torch.manual_seed(0)
    x = torch.randn(64, 33) + 3.0                   # no zeros in x: a zero output means a dropped element
    for p in (0.1, 0.5):
        out = F.dropout(x, p=p, training=True)
        assert torch.allclose(inverted_dropout(x, out != 0, p, True), out)
        assert torch.equal(inverted_dropout(x, out != 0, p, False), F.dropout(x, p=p, training=False))


def test_inverted_dropout_matches_nn_dropout_in_eval_mode():
    x, layer = torch.randn(5, 7), torch.nn.Dropout(0.3).eval()
    assert torch.equal(inverted_dropout(x, torch.zeros_like(x, dtype=torch.bool), 0.3, False), layer(x))


def test_smoothed_token_loss_equals_cross_entropy_with_label_smoothing_and_padding():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 6, 11, generator=g)
    targets = torch.randint(0, 11, (3, 6), generator=g)
    for ignore in (-100, 0):
        padded = targets.clone()
        padded[0, :2] = ignore
        for eps in (0.0, 0.1, 0.3):
            ours = smoothed_token_loss(logits, padded, eps, ignore)
            theirs = F.cross_entropy(logits.flatten(0, 1), padded.flatten(), label_smoothing=eps,
                                     ignore_index=ignore)
            assert torch.allclose(ours, theirs, atol=1e-6)
