"""Wrong calls to course.train.finetune (collected by tests/test_bad_input.py)."""
import torch

from course.text import agreement_pairs

from course.models import GPT, GPTConfig
from course.train import (GPTClassifier, discriminative_param_groups, hidden_states, last_token, layer_groups,
                          probe_accuracy, set_trainable, sft_targets, train_linear_probe, unfreeze_top)

_gpt = GPT(GPTConfig.preset("tiny"))
_groups = layer_groups(_gpt)
_ids = torch.randint(0, 65, (2, 5))
_probe = torch.nn.Linear(4, 2)


class _Renamed(GPT):
    """A GPT whose embedding parameters do not follow the course's names."""
    def __init__(self):
        super().__init__(GPTConfig.preset("tiny"))
        self.embed_tokens, self.embed_positions = self.tok_emb, self.pos_emb
        del self.tok_emb, self.pos_emb
        self.pos_emb = None


try:
    _renamed = _Renamed()
except Exception:          # the rename is only for the bad call below
    _renamed = None

BAD_CALLS = [
    (agreement_pairs, "attractor must be 'opposite' or 'random'", lambda: agreement_pairs(4, attractor="same")),
    (layer_groups, "model must be a course GPT or Bert", lambda: layer_groups(torch.nn.Linear(2, 2))),
    (set_trainable, "trainable must be True or False", lambda: set_trainable(_gpt, 1)),
    (set_trainable, "params must be a module or an iterable of parameters", lambda: set_trainable([1, 2], True)),
    (unfreeze_top, "k must be", lambda: unfreeze_top(_groups, len(_groups) + 1)),
    (unfreeze_top, "groups must be a list of parameter lists", lambda: unfreeze_top(_gpt, 1)),
    (discriminative_param_groups, "decay must be >= 1", lambda: discriminative_param_groups(_groups, 1e-3, 0.5)),
    (discriminative_param_groups, "lr must be", lambda: discriminative_param_groups(_groups, -1.0)),
    (hidden_states, "ids must have a int dtype", lambda: hidden_states(_gpt, _ids.float())),
    (hidden_states, "attention_mask is only used by Bert", lambda: hidden_states(_gpt, _ids, torch.ones(2, 5, dtype=torch.bool))),
    (train_linear_probe, "labels must lie in [0, 2)",
     lambda: train_linear_probe(torch.randn(4, 3), torch.tensor([0, 1, 2, 1]), 2)),
    (layer_groups, "found no embedding parameters", lambda: layer_groups(_renamed)),
    (hidden_states, "model must be a course GPT or Bert", lambda: hidden_states(torch.nn.Linear(2, 2), _ids)),
    (last_token, "lengths must lie in [1, 5]", lambda: last_token(torch.randn(2, 5, 3), torch.tensor([5, 6]))),
    (last_token, "lengths must have one entry per row", lambda: last_token(torch.randn(2, 5, 3), torch.tensor([5]))),
    (GPTClassifier, "gpt must be a course GPT", lambda: GPTClassifier(torch.nn.Linear(2, 2), 2)),
    (GPTClassifier, "n_classes must be", lambda: GPTClassifier(_gpt, 1)),
    (train_linear_probe, "labels must have one entry per row of features",
     lambda: train_linear_probe(torch.randn(5, 3), torch.zeros(4, dtype=torch.long))),
    (train_linear_probe, "labels must have a int dtype", lambda: train_linear_probe(torch.randn(5, 3), torch.zeros(5))),
    (probe_accuracy, "features must have last dimension 4",
     lambda: probe_accuracy(_probe, torch.randn(5, 3), torch.zeros(5, dtype=torch.long))),
    (probe_accuracy, "probe must be an nn.Linear", lambda: probe_accuracy(_gpt, torch.randn(5, 4), torch.zeros(5, dtype=torch.long))),
    (sft_targets, "need 1 <= prompt_lengths < lengths <= T",
     lambda: sft_targets(_ids, torch.tensor([5, 2]), torch.tensor([5, 4]))),
    (sft_targets, "prompt_lengths must have one entry per row of ids",
     lambda: sft_targets(_ids, torch.tensor([1]), torch.tensor([5, 4]))),
    (sft_targets, "mask_prompt must be True or False",
     lambda: sft_targets(_ids, torch.tensor([1, 1]), torch.tensor([5, 4]), mask_prompt="yes")),
]
