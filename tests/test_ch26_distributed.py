"""Chapter 26: DistributedDataParallel on 2 gloo processes equals single-process training on the combined
batch (gradients and weights)."""
import pytest
import torch

from course.distributed import data_parallel_run, free_port, launch, single_process_run
from course.models import GPT, GPTConfig
from course.selftest.bank import ch26
from course.train import warmup_cosine


def _max_diff(a, b):
    return max(float((a[n] - b[n]).abs().max()) for n in a)


def test_ddp_equals_single_process_training_on_the_combined_batch():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=40))
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randint(0, 40, (6, 12), generator=g), torch.randint(0, 40, (6, 12), generator=g))
               for _ in range(2)]
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    after = {n: p.detach() for n, p in model.named_parameters()}
    ranks = data_parallel_run(model, batches, world_size=2, lr=1e-3, weight_decay=0.1)
    single = single_process_run(model, batches, lr=1e-3, weight_decay=0.1)
    assert _max_diff(before, after) == 0                                    # the model itself is untouched
    assert _max_diff(ranks[0].local_grads, ranks[1].local_grads) > 1e-4     # the halves differ …
    mean_local = {n: (ranks[0].local_grads[n] + ranks[1].local_grads[n]) / 2 for n in single.grads}
    assert _max_diff(ranks[0].grads, mean_local) < 1e-6                     # … DDP averages them …
    assert _max_diff(ranks[0].grads, single.grads) < 1e-6                   # … into the full-batch gradient
    assert _max_diff(ranks[0].weights, ranks[1].weights) == 0
    assert _max_diff(ranks[0].weights, single.weights) < 1e-5
    assert [round(a + b, 4) for a, b in zip(ranks[0].losses, ranks[1].losses)] == \
           [round(2 * s, 4) for s in single.losses]


def test_free_port_is_an_unused_port():
    assert 1024 <= free_port() <= 65535


def test_launch_refuses_a_worker_it_cannot_import():
    with pytest.raises(TypeError, match="top level of an importable module"):
        launch(lambda rank, world: rank, 2)


def test_combine_grads_equals_the_gradient_of_the_combined_batch():
    torch.manual_seed(0)
    w = torch.randn(5, requires_grad=True)
    xs = [torch.randn(n, 5) for n in (3, 11)]
    per_process = []
    for x in xs:
        (grad,) = torch.autograd.grad((x @ w).pow(2).mean(), w)
        per_process.append(grad)
    (full,) = torch.autograd.grad((torch.cat(xs) @ w).pow(2).mean(), w)
    combined = ch26.combine_grads(torch.stack(per_process), torch.tensor([3, 11]))
    torch.testing.assert_close(combined, full)


def test_wsd_warmup_matches_the_course_schedule():
    for step in range(10):
        assert ch26.wsd_lr(step, 1.0, 10, 5, 40) == pytest.approx(warmup_cosine(step, warmup=10, total=40))
    assert ch26.wsd_lr(39, 1.0, 10, 5, 40, 0.1) == pytest.approx(0.1)
