"""Copy the weights of a transformers ``GPT2LMHeadModel`` into a course :class:`GPT`.

Used to prove that the course GPT computes exactly what GPT-2 computes. Nothing is downloaded: build
the Hugging Face model from a local ``GPT2Config`` (random weights) and copy them across.
"""
from __future__ import annotations

import torch

from .gpt import GPT, GPTConfig

__all__ = ["config_from_gpt2", "gpt_from_hf_gpt2"]


def config_from_gpt2(hf_config) -> GPTConfig:
    """The GPTConfig with the same shape as a transformers ``GPT2Config``."""
    if not all(hasattr(hf_config, a) for a in ("n_embd", "n_layer", "n_head", "n_positions", "vocab_size")):
        raise TypeError(f"hf_config must be a transformers GPT2Config, got {type(hf_config).__name__}")
    return GPTConfig(vocab_size=hf_config.vocab_size, context=hf_config.n_positions,
                     n_layers=hf_config.n_layer, n_heads=hf_config.n_head, d_model=hf_config.n_embd,
                     d_ff=hf_config.n_inner, activation="gelu_tanh", norm_eps=hf_config.layer_norm_epsilon)


@torch.no_grad()
def gpt_from_hf_gpt2(hf_model) -> GPT:
    """A course GPT holding the weights of ``hf_model`` (a ``GPT2LMHeadModel``).

    GPT-2 stores its linear layers as ``Conv1D`` with weights (in, out), the transpose of ``nn.Linear``;
    its ``c_attn`` stacks q, k, v like our ``qkv_proj``.
    """
    if not hasattr(hf_model, "transformer") or not hasattr(hf_model.config, "n_layer"):
        raise TypeError(f"hf_model must be a transformers GPT2LMHeadModel, got {type(hf_model).__name__}")
    model = GPT(config_from_gpt2(hf_model.config))
    src = hf_model.transformer
    model.tok_emb.weight.copy_(src.wte.weight)
    model.pos_emb.table.weight.copy_(src.wpe.weight)
    for block, h in zip(model.blocks, src.h):
        attn = block.self_attn
        pairs = [(attn.qkv_proj, h.attn.c_attn), (attn.out_proj, h.attn.c_proj),
                 (block.ffn.up, h.mlp.c_fc), (block.ffn.down, h.mlp.c_proj)]
        for ours, theirs in pairs:
            ours.weight.copy_(theirs.weight.t())
            ours.bias.copy_(theirs.bias)
        for ours, theirs in ((block.norm1, h.ln_1), (block.norm2, h.ln_2)):
            ours.weight.copy_(theirs.weight)
            ours.bias.copy_(theirs.bias)
    model.norm.weight.copy_(src.ln_f.weight)
    model.norm.bias.copy_(src.ln_f.bias)
    return model.eval()
