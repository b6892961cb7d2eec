"""course.train.regularizers against the libraries that do the same job, and the claims chapters 5 and 22 make."""
import torch
import torch.nn.functional as F
from torch import nn

from course.selftest import exercise
from course.selftest.exercises import _reference
from course.train import AdamW
from course.train.loop import evaluate
from course.train.overfitting import overfit_setting
from course.train.regularizers import (DropConnectLinear, EarlyStop, decay_groups, early_stopping, l1_penalty,
                                       l2_penalty, soft_threshold_, train_with_curves, zero_fraction)


def test_drop_connect_is_a_masked_linear_in_training_and_nn_linear_in_eval():
    torch.manual_seed(0)
    linear = nn.Linear(6, 4)
    layer = DropConnectLinear(linear, p=0.3)
    x = torch.randn(5, 6)
    out = layer.train()(x)
    assert layer.last_mask.shape == (4, 6) and layer.last_mask.dtype == torch.bool
    assert torch.allclose(out, F.linear(x, linear.weight * layer.last_mask / 0.7, linear.bias))
    assert torch.equal(layer.eval()(x), linear(x))
    # the expectation over masks is the plain layer
    layer.train()
    mean = torch.stack([layer(x) for _ in range(4000)]).mean(0)
    assert torch.allclose(mean, linear(x), atol=0.08)


def test_soft_threshold_is_torch_softshrink():
    w = torch.randn(50)
    p = nn.Parameter(w.clone())
    soft_threshold_([p], 0.4)
    assert torch.equal(p.data, F.softshrink(w, 0.4))
    assert zero_fraction([p]) == int((w.abs() <= 0.4).sum()) / 50


def test_penalties_are_norms():
    params = [nn.Parameter(torch.randn(3, 4)), nn.Parameter(torch.randn(5))]
    flat = torch.cat([p.detach().flatten() for p in params])
    assert torch.allclose(l1_penalty(params), torch.linalg.vector_norm(flat, ord=1))
    assert torch.allclose(l2_penalty(params), torch.linalg.vector_norm(flat) ** 2)


def test_decay_groups_with_our_adamw_equal_torch_adamw():
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 2))
    b = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 2))
    b.load_state_dict(a.state_dict())
    ours, theirs = AdamW(decay_groups(a, 0.5), lr=0.01), torch.optim.AdamW(decay_groups(b, 0.5), lr=0.01)
    x = torch.randn(16, 4)
    for _ in range(5):
        for model, opt in ((a, ours), (b, theirs)):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
    assert all(torch.allclose(p, q, atol=1e-6) for p, q in zip(a.parameters(), b.parameters()))
    groups = decay_groups(a, 0.5)
    assert [len(g["params"]) for g in groups] == [2, 4]          # two matrices; two biases + γ, β


def test_early_stopping_replays_patience_and_min_delta():
    curve = [4.0, 3.5, 3.6, 3.7, 3.3, 3.2]
    assert (early_stopping(curve, 2).best, early_stopping(curve, 2).stop) == (1, 3)
    assert (early_stopping(curve, 3).best, early_stopping(curve, 3).stop) == (5, 5)   # patience never ran out
    assert early_stopping([3.0, 3.0, 3.0, 2.0], 2) == EarlyStop(best=0, stop=2)       # a tie is no improvement
    assert early_stopping([3.0, 2.99, 2.98], 1, min_delta=0.05).best == 0
    assert early_stopping([3.0, 2.9, 2.8], 1, min_delta=0.05).best == 2


def test_train_with_curves_records_eval_mode_curves_and_calls_after_step():
    setting = overfit_setting(8)
    model = setting.model(dropout=0.5)
    calls = []
    curves = train_with_curves(setting, model, AdamW(model.parameters(), lr=1e-3), 3, every=2,
                               after_step=lambda m: calls.append(m.training))
    assert curves.step == [2, 3] and len(curves.train) == len(curves.val) == 2
    assert calls == [True, True, True]                  # after each step, before the evaluation
    # the curves are measured in eval mode: dropout off, so the same weights give the same number
    assert curves.val[-1] == evaluate(model, setting.val_batches)


def test_the_exercise_references_agree_with_the_package():
    ref = _reference(exercise("05.early_stopping"))
    for case in exercise("05.early_stopping")._cases(0):
        assert ref(**case) == early_stopping(case["losses"], case["patience"], case.get("min_delta", 0.0)).best
    dc = _reference(exercise("05.drop_connect"))
    linear = nn.Linear(5, 3)
    layer = DropConnectLinear(linear, p=0.4).train()
    x = torch.randn(2, 5)
    out = layer(x)
    assert torch.allclose(out, dc(x, linear.weight, linear.bias, layer.last_mask, 0.4, True), atol=1e-6)


def test_the_dropout_rates_chapter_5_quotes_are_the_library_defaults():
    from transformers import BertConfig, GPT2Config
    gpt2, bert = GPT2Config(), BertConfig()
    assert gpt2.attn_pdrop == gpt2.resid_pdrop == gpt2.embd_pdrop == 0.1
    assert bert.attention_probs_dropout_prob == bert.hidden_dropout_prob == 0.1


def _stored(name):
    import json

    import course
    return json.loads((course.DATA_DIR / name).read_text())


def test_the_claims_chapter_5_lab_3_makes_hold_on_the_stored_sweep():
    runs = _stored("ch05_regularizers.json")["runs"]
    best = {name: min(zip(c["val"], c["step"])) for name, c in runs.items()}
    none, drop, attn = runs["none"], runs["dropout 0.2 (all sites)"], runs["attention dropout 0.2 only"]
    gap = {name: c["val"][-1] - c["train"][-1] for name, c in runs.items()}
    # dropout: higher training loss, smaller gap, lower final loss, but no lower (and no later) best point
    assert drop["train"][-1] > none["train"][-1] and gap["dropout 0.2 (all sites)"] < gap["none"]
    assert drop["val"][-1] < none["val"][-1]
    assert best["dropout 0.2 (all sites)"][0] >= best["none"][0] and best["dropout 0.2 (all sites)"][1] <= best["none"][1]
    # attention dropout alone is the milder dose
    assert none["train"][-1] < attn["train"][-1] < drop["train"][-1]
    # L2 in Adam underfits; label smoothing lowers both the best and the final validation loss
    assert gap["L2 in Adam, λ=0.1"] < 0.5 * min(g for n, g in gap.items() if n != "L2 in Adam, λ=0.1")
    smooth = runs["label smoothing 0.1"]
    assert best["label smoothing 0.1"][0] < best["none"][0] and smooth["val"][-1] < none["val"][-1]


def test_the_claims_chapter_22_lab_1_makes_hold_on_the_stored_sweep():
    sweep = _stored("ch22_dropout_decay.json")
    cell = {(r["dropout"], r["weight_decay"]): r for r in sweep["grid"]}
    final = {k: r["val"][-1] for k, r in cell.items()}
    stopped = {k: r["val"][early_stopping(r["val"], 3).best] for k, r in cell.items()}
    gap = {k: r["val"][-1] - r["train"][-1] for k, r in cell.items()}
    top_left, largest = (0.0, 0.0), (0.0, max(sweep["weight_decays"]))
    assert min(cell, key=lambda k: cell[k]["train"][-1]) == top_left and max(gap, key=gap.get) == top_left
    best_final, best_stopped = min(final, key=final.get), min(stopped, key=stopped.get)
    assert best_final == best_stopped == (0.1, 3.0)             # the best cell the chapter names
    # quiz 22.q4: more than a nat off the final loss, less than a tenth off the early-stopped one
    assert final[top_left] - final[best_final] > 1 and 0 < stopped[top_left] - stopped[best_stopped] < 0.1
    assert abs(gap[largest]) < 0.05 and final[largest] > 5  # too much: no gap, both high
    # dropout 0.5 (no decay): final loss lower than without dropout, early-stopped loss higher
    assert final[(0.5, 0.0)] < final[top_left] and stopped[(0.5, 0.0)] > stopped[top_left]
