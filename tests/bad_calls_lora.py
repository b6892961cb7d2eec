"""Wrong calls of course.nn.lora (chapter 42), each answered by an error that names the argument."""
import torch
from torch import nn

from course.models import GPT, GPTConfig
from course.nn import LoRALinear, add_lora, merge_lora

def _adapted():
    model = GPT(GPTConfig.preset("tiny"))
    add_lora(model)
    return model


BAD_CALLS = [
    (LoRALinear, "base must be a torch.nn.Linear", lambda: LoRALinear(nn.Conv1d(2, 2, 1))),
    (LoRALinear, "r must be >= 1", lambda: LoRALinear(nn.Linear(4, 4), r=0)),
    (LoRALinear, "alpha must be", lambda: LoRALinear(nn.Linear(4, 4), alpha=-1.0)),
    (LoRALinear, "dropout must be in [0, 1)", lambda: LoRALinear(nn.Linear(4, 4), dropout=1.0)),
    (add_lora, "no nn.Linear in model matches targets", lambda: add_lora(GPT(GPTConfig.preset("tiny")), ("q_proj",))),
    (add_lora, "targets must be a non-empty tuple", lambda: add_lora(GPT(GPTConfig.preset("tiny")), "qkv_proj")),
    (add_lora, "model must be", lambda: add_lora(torch.zeros(3))),
    (merge_lora, "model must be", lambda: merge_lora("gpt")),
    (add_lora, "model is already adapted", lambda: add_lora(_adapted())),
]
