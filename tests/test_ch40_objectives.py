"""Chapter 40: distillation equals T²·F.kl_div, InfoNCE equals cross-entropy over similarity logits, and CLIP's
symmetric loss equals transformers' own."""
import pytest
import torch
import torch.nn.functional as F

from course.selftest.bank import ch40
from course.train import distillation_loss, info_nce


@pytest.mark.parametrize("T", [0.5, 1.0, 2.0, 8.0])
def test_distillation_equals_torch_kl_div(T):
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(3, 5, 11, generator=g), 3 * torch.randn(3, 5, 11, generator=g)
    ref = F.kl_div(F.log_softmax(s / T, -1).flatten(0, 1), F.softmax(t / T, -1).flatten(0, 1),
                   reduction="batchmean")
    torch.testing.assert_close(distillation_loss(s, t, T), T ** 2 * ref)
    torch.testing.assert_close(distillation_loss(s, t, T, scale_by_t2=False), ref)


def test_distillation_gives_the_teacher_no_gradient_and_is_zero_at_a_match():
    t = torch.randn(2, 4, 6, requires_grad=True)
    s = t.detach().clone().requires_grad_()
    loss = distillation_loss(s, t, 2.0)
    loss.backward()
    assert abs(loss.item()) < 1e-6 and t.grad is None


def test_info_nce_equals_cross_entropy_over_cosine_logits():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(6, 8, generator=g), torch.randn(6, 8, generator=g)
    logits = F.cosine_similarity(a[:, None], b[None], dim=-1) / 0.07
    torch.testing.assert_close(info_nce(a, b, 0.07), F.cross_entropy(logits, torch.arange(6)))


def test_symmetric_nce_equals_transformers_clip_loss():
    from transformers.models.clip import modeling_clip
    clip_loss = getattr(modeling_clip, "image_text_contrastive_loss", None) or modeling_clip.clip_loss
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g)
    # CLIP's logits_per_text: text rows (b) against image columns (a), scaled by 1/τ
    logits_per_text = F.normalize(b, dim=-1) @ F.normalize(a, dim=-1).T / 0.1
    torch.testing.assert_close(ch40.symmetric_nce(a, b, 0.1), clip_loss(logits_per_text))


def test_masked_kd_equals_the_package_loss_on_the_real_tokens():
    g = torch.Generator().manual_seed(3)
    s, t = torch.randn(2, 6, 9, generator=g), torch.randn(2, 6, 9, generator=g)
    mask = torch.tensor([[True] * 6, [True] * 2 + [False] * 4])
    real = distillation_loss(s[mask], t[mask], 3.0)                  # (8, V): one row per real token
    torch.testing.assert_close(ch40.masked_kd(s, t, mask, 3.0), real)
