import copy

import pytest
import torch
from torch import nn

from course.train import SGD, AdaGrad, Adam, AdamW, RMSProp

CASES = [
    (SGD, torch.optim.SGD, dict(lr=0.05)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (AdaGrad, torch.optim.Adagrad, dict(lr=0.1)),
    (AdaGrad, torch.optim.Adagrad, dict(lr=0.1, weight_decay=0.01)),
    (RMSProp, torch.optim.RMSprop, dict(lr=0.01)),
    (RMSProp, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, weight_decay=0.01)),
    (Adam, torch.optim.Adam, dict(lr=0.01)),
    (Adam, torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    (AdamW, torch.optim.AdamW, dict(lr=0.01)),
    (AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1, eps=1e-6)),
]


@pytest.mark.parametrize("ours_cls,torch_cls,kwargs", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_optimizer_equals_torch_over_25_steps(ours_cls, torch_cls, kwargs):
    torch.manual_seed(0)
    model_a = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    model_b = copy.deepcopy(model_a)
    opt_a, opt_b = ours_cls(model_a.parameters(), **kwargs), torch_cls(model_b.parameters(), **kwargs)
    for _ in range(25):
        x, y = torch.randn(16, 5), torch.randn(16, 3)
        for model, opt in ((model_a, opt_a), (model_b, opt_b)):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        torch.testing.assert_close(pa, pb, rtol=1e-6, atol=1e-6)


def test_adamw_decay_is_decoupled_from_the_gradient_scale():
    # With a zero gradient Adam+L2 moves the weight by ~lr (normalized step); AdamW by lr·wd·w.
    w_adam, w_adamw = nn.Parameter(torch.tensor([2.0])), nn.Parameter(torch.tensor([2.0]))
    adam, adamw = Adam([w_adam], lr=0.1, weight_decay=0.01), AdamW([w_adamw], lr=0.1, weight_decay=0.01)
    for w, opt in ((w_adam, adam), (w_adamw, adamw)):
        w.grad = torch.zeros(1)
        opt.step()
    assert float(2.0 - w_adam.detach()) == pytest.approx(0.1, rel=1e-3)
    assert float(2.0 - w_adamw.detach()) == pytest.approx(0.1 * 0.01 * 2.0, rel=1e-3)
