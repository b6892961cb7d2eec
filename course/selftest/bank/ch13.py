"""Self-test of chapter 13: the encoder's attention mask and the size of an encoder layer."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def encoder_mask(lengths: torch.Tensor, t: int) -> torch.Tensor:
    """(B, T, T) bool for a bidirectional encoder: every query may attend to every real (non-pad) key."""
    real = torch.arange(t)[None, :] < lengths[:, None]          # (B, T) keys that are real tokens
    return real[:, None, :].expand(-1, t, -1)


def _mask_cases(g):
    return [{"lengths": torch.tensor(ls), "t": t} for ls, t in (([3, 5], 5), ([1, 4, 2], 4), ([6], 6))]


def _causal(lengths, t):
    return encoder_mask(lengths, t) & torch.ones(t, t, dtype=torch.bool).tril()


def _transposed(lengths, t):
    return encoder_mask(lengths, t).transpose(1, 2)


def _off_by_one(lengths, t):
    return encoder_mask(lengths - 1, t)


ENCODER_MASK = Exercise(
    key="13.encoder_mask", title="encoder_mask", signature="encoder_mask(lengths (B,), t) -> (B, T, T) bool",
    reference=encoder_mask, make_cases=_mask_cases,
    mistakes=[
        Mistake("causal", "that is a decoder's mask. BERT's encoder is bidirectional: no causal part, only "
                "padding is hidden.", _causal),
        Mistake("transposed", "hide padding *keys* (columns), not queries (rows): mask[b, i, j] depends on j.",
                _transposed),
        Mistake("off_by_one", "a sequence of length n has real tokens at positions 0 … n−1: use arange(t) < n.",
                _off_by_one),
    ])


def encoder_layer_params(d_model: int, d_ff: int) -> int:
    """Parameters of one post-LN encoder layer with biases: attention 4d²+4d, FFN 2·d·d_ff + d_ff + d,
    two LayerNorms 2·2d."""
    return 4 * d_model * d_model + 4 * d_model + 2 * d_model * d_ff + d_ff + d_model + 4 * d_model


def _param_cases(g):
    return [{"d_model": d, "d_ff": f} for d, f in ((768, 3072), (64, 256), (1024, 4096))]


ENCODER_PARAMS = Exercise(
    key="13.encoder_layer_params", title="encoder_layer_params",
    signature="encoder_layer_params(d_model, d_ff) -> int",
    reference=encoder_layer_params, make_cases=_param_cases,
    mistakes=[
        Mistake("no_biases", "every linear layer here has a bias: 4d for q, k, v, o, and d_ff + d in the FFN.",
                lambda d_model, d_ff: 4 * d_model ** 2 + 2 * d_model * d_ff + 4 * d_model),
        Mistake("no_layernorm", "add the two LayerNorms, each with γ and β of size d: 4d.",
                lambda d_model, d_ff: 4 * d_model ** 2 + 4 * d_model + 2 * d_model * d_ff + d_ff + d_model),
        Mistake("one_ffn_matrix", "the FFN has two matrices, d→d_ff and d_ff→d.",
                lambda d_model, d_ff: 4 * d_model ** 2 + 4 * d_model + d_model * d_ff + d_ff + d_model + 4 * d_model),
    ])

EXERCISES = [ENCODER_MASK, ENCODER_PARAMS]

QUIZ = Quiz([
    Question("13.q1", "The common answer says BERT is bidirectional because “Transformer 具有双向自注意力机制”. What "
                      "makes BERT's encoder bidirectional?", (
        Option("Any Transformer attends in both directions", False,
               "GPT is a Transformer too, and its decoder is causal: the mask decides."),
        Option("It uses no causal mask — only padding is hidden — and that is possible because it is trained "
               "with masked-LM instead of next-token prediction", True,
               "With next-token loss, seeing the future would let the model copy the answer (Lab 2)."),
        Option("It runs one LSTM left-to-right and one right-to-left", False, "That is ELMo, not BERT."),
    ), misconception=True),
    Question("13.q2", "A bidirectional model trained with next-token loss reaches almost zero training loss. Why "
                      "is that bad news?", (
        Option("It overfits the vocabulary", False, "The cause is structural, not overfitting."),
        Option("Each position can see the very token it must predict, so it learns to copy; at generation "
               "time that token does not exist yet", True, "Lab 2 measures its real next-token accuracy."),
        Option("It is not bad: lower loss is always better", False, "Not when the test conditions differ."),
    )),
    Question("13.q3", "How many parameters does BERT-base have?", (
        Option("About 110 million", True, "Devlin et al. (2019); Lab 3 counts it from the config: 12 layers, "
               "768 wide, 12 heads, FFN 3072, vocabulary 30,522, 512 positions."),
        Option("About 1.5 billion", False, "That is GPT-2 XL (48 layers, 1600 wide)."),
        Option("About 340 million", False, "That is BERT-large (24 layers, 1024 wide)."),
    )),
    Question("13.q4", "BERT's position information comes from…", (
        Option("Sinusoidal encodings, as in the 2017 Transformer", False, "BERT learns its position embeddings."),
        Option("A learned position-embedding table (512 rows), added with token and segment embeddings", True,
               "Token + position + segment embeddings are summed and layer-normalized."),
        Option("Rotary embeddings", False, "RoPE came later (2021)."),
    )),
])
