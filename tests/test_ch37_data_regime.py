"""Chapter 37: early stopping equals Hugging Face's EarlyStoppingCallback; steps for a number of epochs; the sweep
file matches its script's recipe."""
import json
from types import SimpleNamespace

import pytest
import torch

import course
from course.selftest import bank

CH = bank.load(37)


def _hf_stop(losses, patience):
    """Drive transformers' EarlyStoppingCallback as the Trainer does (best_metric updated on improvement)."""
    from transformers import EarlyStoppingCallback
    cb = EarlyStoppingCallback(early_stopping_patience=patience)
    args = SimpleNamespace(greater_is_better=False, metric_for_best_model="loss")
    state = SimpleNamespace(best_metric=None)
    for i, loss in enumerate(losses):
        control = SimpleNamespace(should_training_stop=False)
        cb.on_evaluate(args, state, control, {"eval_loss": loss})
        if state.best_metric is None or loss < state.best_metric:
            state.best_metric = loss
        if control.should_training_stop:
            return i
    return len(losses) - 1


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("patience", [1, 2, 3, 5])
def test_early_stop_equals_transformers_callback(seed, patience):
    g = torch.Generator().manual_seed(seed)
    losses = (torch.linspace(4, 3, 30) + 0.003 * torch.arange(30.0) ** 2 / 3 + 0.05 * torch.randn(30, generator=g))
    losses = [round(v, 4) for v in losses.tolist()]
    assert CH.early_stop(losses, patience) == _hf_stop(losses, patience)


def test_steps_for_epochs_inverts_the_epochs_of_the_heat_map():
    """Lab 1 labels 60 lines (613 tokens) × 150 steps of 16 × 32 as 125.3 epochs: 150 steps reach 125
    epochs, 149 do not."""
    steps = CH.steps_for_epochs(613, 125.0, 16, 32)
    assert steps == 150
    assert (steps - 1) * 16 * 32 / 613 < 125.0 <= steps * 16 * 32 / 613


def test_sweep_file_covers_the_grid_and_names_its_script():
    sweep = json.loads((course.DATA_DIR / "ch37_data_regime.json").read_text())
    assert sweep["script"] == "tools/sweeps/ch37_data_regime.py"
    grid = {(p["n_lines"], p["dropout"]) for p in sweep["points"]}
    assert len(grid) == len(sweep["points"]) == 30
