"""Chapter 49: gradient × input equals an independent computation (finite differences of a float64 model),
and attention rollout equals the matrix product written out by hand."""
import torch

from course.attribution import attention_rollout, gradient_x_input
from course.models import Bert, BertClassifier, BertConfig
from course.selftest import bank
from course.selftest.exercises import _reference


def _classifier():
    torch.manual_seed(0)
    return BertClassifier(Bert(BertConfig(vocab_size=30, n_layers=2, d_model=32)), 3).double().eval()


def test_gradient_x_input_equals_finite_differences_per_token():
    model = _classifier()
    ids = torch.randint(4, 30, (2, 7), generator=torch.Generator().manual_seed(1))
    mask = torch.ones(2, 7, dtype=torch.bool)
    mask[1, 5:] = False
    target = torch.tensor([2, 0])
    scores = gradient_x_input(model, ids, target, mask)

    def logit(scale):
        hook = model.bert.tok_emb.register_forward_hook(lambda m, a, out: out * scale[..., None])
        with torch.no_grad():
            out = model(ids, mask).logits.gather(1, target[:, None])[:, 0]
        hook.remove()
        return out

    eps = 1e-6
    for t in range(7):
        bump = torch.zeros(2, 7, dtype=torch.float64)
        bump[:, t] = eps
        numeric = (logit(1 + bump) - logit(1 - bump)) / (2 * eps)
        expected = torch.where(mask[:, t], numeric, torch.zeros_like(numeric))
        assert torch.allclose(scores[:, t], expected, atol=1e-7), t
    assert all(p.grad is None for p in model.parameters())          # the model is left untouched


def test_rollout_is_the_product_of_residual_mixed_head_means():
    g = torch.Generator().manual_seed(0)
    layers = [torch.softmax(torch.randn(2, 3, 5, 5, generator=g), -1) for _ in range(3)]
    eye = torch.eye(5)
    mixed = [0.5 * eye + 0.5 * a.mean(1) for a in layers]
    expected = mixed[2] @ mixed[1] @ mixed[0]
    assert torch.allclose(attention_rollout(layers), expected, atol=1e-6)
    assert torch.allclose(attention_rollout(layers, residual=1.0), eye.expand(2, 5, 5))
    assert torch.allclose(attention_rollout(layers).sum(-1), torch.ones(2, 5), atol=1e-6)


def test_the_exercise_reference_equals_the_package():
    g = torch.Generator().manual_seed(3)
    layers = [torch.softmax(torch.randn(2, 4, 6, 6, generator=g), -1) for _ in range(4)]
    rollout = _reference(bank.load(49).ROLLOUT)
    for r in (0.0, 0.3, 0.5, 0.9):
        assert torch.allclose(rollout(layers, r), attention_rollout(layers, r), atol=1e-6)


def test_negation_scope_reference_on_known_cases():
    scope = _reference(bank.load(49).SCOPE)
    marked = lambda text: [w for w, m in zip(text.split(), scope(text.split()).tolist()) if m]
    assert marked("the movie was not very good .") == ["very", "good"]
    assert marked("not bad , really good") == ["bad"]
    assert marked("it was never not a dull show !") == []
