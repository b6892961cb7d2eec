"""Self-test of chapter 13: a prefix-LM attention mask and the size of an encoder layer."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def prefix_lm_mask(lengths: torch.Tensor, prefix: torch.Tensor, t: int) -> torch.Tensor:
    """(B, T, T) bool, True = may attend: bidirectional over each row's first prefix[b] tokens, causal
    after them, padding keys (positions ≥ lengths[b]) hidden."""
    pos = torch.arange(t)
    key, query = pos[None, None, :], pos[None, :, None]                  # (1, 1, T), (1, T, 1)
    real = key < lengths[:, None, None]                                  # (B, 1, T)
    in_prefix = key < prefix[:, None, None]                              # (B, 1, T)
    return real & (in_prefix | (key <= query))


def _mask_cases(g):
    return [{"lengths": torch.tensor(ls), "prefix": torch.tensor(ps), "t": t}
            for ls, ps, t in (([3, 5], [2, 1], 5), ([1, 4, 2], [1, 3, 0], 4), ([6], [4], 6), ([7, 5], [0, 5], 8))]


def _encoder_only(lengths, prefix, t):
    return prefix_lm_mask(lengths, lengths, t)


def _causal_only(lengths, prefix, t):
    return prefix_lm_mask(lengths, torch.zeros_like(prefix), t)


def _prefix_off_by_one(lengths, prefix, t):
    return prefix_lm_mask(lengths, prefix + 1, t)


def _no_padding(lengths, prefix, t):
    return prefix_lm_mask(torch.full_like(lengths, t), prefix, t)


def _transposed(lengths, prefix, t):
    return prefix_lm_mask(lengths, prefix, t).transpose(1, 2)


PREFIX_LM_MASK = Exercise(
    key="13.prefix_lm_mask", title="prefix_lm_mask",
    signature="prefix_lm_mask(lengths (B,), prefix (B,), t) -> (B, T, T) bool",
    reference=prefix_lm_mask, make_cases=_mask_cases,
    task=(
        "Build the attention mask of a **prefix LM** for a padded batch: a `(B, T, T)` tensor of dtype "
        "`torch.bool` where `mask[b, i, j]` is `True` when query i **may attend** to key j in row b.\n\n"
        "- `lengths`: `(B,)` int64, the number of real tokens of each row (positions ≥ `lengths[b]` are padding); "
        "`prefix`: `(B,)` int64, 0 ≤ `prefix[b]` ≤ `lengths[b]`; `t`: `int`, the padded length T.\n"
        "- Keys inside the prefix (j < `prefix[b]`) are visible to **every** query (bidirectional part).\n"
        "- Other real keys are causal: visible when j ≤ i (a token sees itself).\n"
        "- Padding keys are never visible. Padding *queries* follow the same rule (their outputs are ignored).\n"
        "- `prefix[b] = lengths[b]` gives BERT's encoder mask; `prefix[b] = 0` gives GPT's causal mask."),
    mistakes=[
        Mistake("encoder_only", "that is BERT's mask: after the prefix, attention must be causal (j ≤ i).",
                _encoder_only),
        Mistake("causal_only", "that is GPT's mask: keys inside the prefix are visible to every query, also "
                "to queries before them.", _causal_only),
        Mistake("prefix_off_by_one", "a prefix of length p covers positions 0 … p−1: use j < prefix, not j ≤ prefix.",
                _prefix_off_by_one),
        Mistake("no_padding", "hide padding keys: positions j ≥ lengths[b] are never visible.", _no_padding),
        Mistake("transposed", "rows are queries, columns are keys: mask[b, i, j] says whether query i may "
                "look at key j.", _transposed),
    ])


def encoder_layer_params(d_model: int, d_ff: int) -> int:
    """Parameters of one post-LN encoder layer with biases: attention 4d²+4d, FFN 2·d·d_ff + d_ff + d,
    two LayerNorms 2·2d."""
    return 4 * d_model * d_model + 4 * d_model + 2 * d_model * d_ff + d_ff + d_model + 4 * d_model


def _param_cases(g):
    return [{"d_model": d, "d_ff": f} for d, f in ((768, 3072), (64, 256), (1024, 4096), (96, 200))]


ENCODER_PARAMS = Exercise(
    key="13.encoder_layer_params", title="encoder_layer_params",
    signature="encoder_layer_params(d_model, d_ff) -> int",
    reference=encoder_layer_params, make_cases=_param_cases,
    task=(
        "Return, as a Python `int`, the number of parameters of **one** BERT encoder layer of width "
        "`d_model` with a feed-forward hidden size `d_ff` (both `int`):\n\n"
        "- self-attention: the four projections W_q, W_k, W_v, W_o, each `d_model × d_model` **with a bias**;\n"
        "- feed-forward: `d_model → d_ff → d_model`, both linear layers with biases;\n"
        "- two LayerNorms, each with a scale γ and a shift β of size `d_model`.\n\n"
        "No embeddings, no pooler. The checker compares integers exactly."),
    mistakes=[
        Mistake("no_biases", "every linear layer here has a bias: 4d for q, k, v, o, and d_ff + d in the FFN.",
                lambda d_model, d_ff: 4 * d_model ** 2 + 2 * d_model * d_ff + 4 * d_model),
        Mistake("no_layernorm", "add the two LayerNorms, each with γ and β of size d: 4d.",
                lambda d_model, d_ff: 4 * d_model ** 2 + 4 * d_model + 2 * d_model * d_ff + d_ff + d_model),
        Mistake("one_ffn_matrix", "the FFN has two matrices, d→d_ff and d_ff→d.",
                lambda d_model, d_ff: 4 * d_model ** 2 + 4 * d_model + d_model * d_ff + d_ff + d_model + 4 * d_model),
    ])

EXERCISES = [PREFIX_LM_MASK, ENCODER_PARAMS]

QUIZ = Quiz([
    Question("13.q1", "The common answer says BERT is bidirectional because “Transformer 具有双向自注意力机制”. "
                      "What makes BERT's encoder bidirectional?", (
        Option("Self-attention in any Transformer reads both directions", False,
               "That is the common answer's claim. GPT is a Transformer too, and its attention is causal: "
               "the mask decides."),
        Option("No causal mask, which its masked-LM objective makes safe", True,
               "Only padding is hidden. With next-token loss, seeing the future would let it copy the answer "
               "(Lab 2)."),
        Option("One left-to-right and one right-to-left model, concatenated", False,
               "That is ELMo (two LSTMs). BERT's single encoder sees both sides in every layer."),
        Option("Each sentence is fed twice, once forward and once reversed", False,
               "There is one pass over one input; the mask alone lets each token see both sides."),
    ), misconception=True),
    Question("13.q2", "A bidirectional model trained with next-token loss reaches a training loss near zero. "
                      "Why is that bad news?", (
        Option("It has overfitted: more data would fix it", False,
               "The cause is structural: every position sees its own target in the input."),
        Option("Each position reads the very token it must predict", True,
               "It learns to copy; when generating, that token does not exist yet, and Lab 2's honest "
               "accuracy falls below the causal model's."),
        Option("It is not bad news: lower training loss means a better model", False,
               "Only if test conditions match training; here they do not."),
    )),
    Question("13.q3", "How does BERT's masked-LM choose and corrupt its training targets?", (
        Option("It replaces 15 % of the tokens by [MASK] and predicts them", False,
               "Selection and replacement differ: of the 15 % selected, only 80 % become [MASK]."),
        Option("It masks whole sentences and predicts the next one", False,
               "That confuses MLM with next-sentence prediction, BERT's second task."),
        Option("It selects 15 %: 80 % → [MASK], 10 % random, 10 % kept", True,
               "Every selected position is predicted; the random and unchanged 20 % keep the model honest "
               "about tokens that are not [MASK] (chapter 12)."),
    )),
    Question("13.q4", "How many parameters does BERT-base have?", (
        Option("About 340 million: 24 layers, 1024 wide", False,
               "That is BERT-large, the paper's bigger model (Lab 3 counts 335M; the paper rounds to 340M)."),
        Option("About 110 million: 12 layers, 768 wide", True,
               "Devlin et al. (2019); Lab 3 counts it from the config (vocabulary 30,522, 512 positions)."),
        Option("About 1.5 billion: 48 layers, 1600 wide", False, "That is GPT-2 XL, a decoder (chapter 15)."),
        Option("About 66 million: 6 layers, 768 wide", False, "That is DistilBERT, distilled from BERT-base."),
    )),
    Question("13.q5", "The common answer mentions “位置编码”. What goes into BERT's input vectors?", (
        Option("Token embeddings plus fixed sinusoids, as in the 2017 paper", False,
               "BERT learns its position table instead of using sinusoids."),
        Option("Token, learned position and segment embeddings, summed", True,
               "Then a LayerNorm. Inputs read [CLS] A [SEP], pairs [CLS] A [SEP] B [SEP]; the segment says A or B."),
        Option("Token embeddings rotated by position in every layer (RoPE)", False,
               "Rotary embeddings came later (Su et al., 2021)."),
    )),
])
