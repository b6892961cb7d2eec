"""Self-test of chapter 16: causal self-attention on a batch, and the pre-LN attention sub-layer."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz
from .ch04 import _mask_after_softmax, _no_scale, attention


def causal_self_attention(x: torch.Tensor, w_q: torch.Tensor, w_k: torch.Tensor, w_v: torch.Tensor):
    """x (B, T, d); w_q, w_k (d, d_k); w_v (d, d_v) -> (out (B, T, d_v), weights (B, T, T)).

    Queries, keys and values are projections of the same x; token i attends to tokens 0..i only.
    """
    n = x.shape[-2]
    allowed = torch.ones(n, n, dtype=torch.bool, device=x.device).tril()
    return attention(x @ w_q, x @ w_k, x @ w_v, mask=allowed)


def _cases(g):
    out = []
    for b, t, d, dk, dv in ((2, 4, 8, 8, 8), (3, 6, 16, 4, 8), (1, 5, 12, 6, 3)):
        out.append({"x": torch.randn(b, t, d, generator=g), "w_q": torch.randn(d, dk, generator=g) / math.sqrt(d),
                    "w_k": torch.randn(d, dk, generator=g) / math.sqrt(d), "w_v": torch.randn(d, dv, generator=g)})
    return out


def _tril(x):
    return torch.ones(x.shape[-2], x.shape[-2], dtype=torch.bool).tril()


def _no_mask(x, w_q, w_k, w_v):
    return attention(x @ w_q, x @ w_k, x @ w_v)


def _strict(x, w_q, w_k, w_v):
    keep = _tril(x).tril(-1)
    keep[0, 0] = True
    return attention(x @ w_q, x @ w_k, x @ w_v, mask=keep)


def _no_values(x, w_q, w_k, w_v):
    out, weights = attention(x @ w_q, x @ w_k, x, mask=_tril(x))
    return out, weights


CAUSAL = Exercise(
    key="16.causal_self_attention", title="causal_self_attention",
    signature="causal_self_attention(x, w_q, w_k, w_v) -> (out, weights)",
    reference=causal_self_attention, make_cases=_cases,
    task=(
        "Causal self-attention for a batch, one head: q = x·W_q, k = x·W_k, v = x·W_v, scores q·kᵀ/√d_k, "
        "a softmax over the keys, and token i may attend only to tokens 0 … i (itself included).\n\n"
        "- `x`: `(B, T, d)` float32; `w_q`, `w_k`: `(d, d_k)`; `w_v`: `(d, d_v)` (d_v may differ from d_k).\n"
        "- Return `(out, weights)`: `out` `(B, T, d_v)`, `weights` `(B, T, T)` after the softmax, each row "
        "summing to 1, exactly 0 above the diagonal.\n"
        "- Mask the scores (−inf) *before* the softmax."),
    mistakes=[
        Mistake("no_mask", "a GPT must not see the future: fill scores with −inf where key j > query i.", _no_mask),
        Mistake("mask_after", "mask the scores before the softmax; zeroing weights afterwards leaves rows that "
                "do not sum to 1.", lambda x, w_q, w_k, w_v: _mask_after_softmax(
                    x @ w_q, x @ w_k, x @ w_v, _tril(x))),
        Mistake("strict", "a token may attend to itself: keep the diagonal (tril(), not tril(-1)).", _strict),
        Mistake("no_scale", "divide q·k by √d_k before the softmax.",
                lambda x, w_q, w_k, w_v: _no_scale(x @ w_q, x @ w_k, x @ w_v, _tril(x))),
        Mistake("no_values", "the weighted sum is over the *values* x·W_v, not over the raw embeddings x "
                "(the common answer's “加权求和…嵌入向量”).", _no_values),
    ])


def pre_ln_attention(x, w_q, w_k, w_v, w_o):
    """x (B, T, d); w_q, w_k, w_v, w_o (d, d) -> (B, T, d): x + CausalAttn(LN(x))·W_o, one head."""
    h = F.layer_norm(x, x.shape[-1:], eps=1e-5)
    mixed, _ = causal_self_attention(h, w_q, w_k, w_v)
    return x + mixed @ w_o


def _block_cases(g):
    out = []
    for b, t, d in ((2, 5, 8), (1, 7, 16), (3, 4, 12)):
        w = [torch.randn(d, d, generator=g) / math.sqrt(d) for _ in range(4)]
        x = 3.0 * torch.randn(b, t, d, generator=g) + 1.0       # far from normalized, so LN matters
        out.append({"x": x, "w_q": w[0], "w_k": w[1], "w_v": w[2], "w_o": w[3]})
    return out


def _ln(x):
    return F.layer_norm(x, x.shape[-1:], eps=1e-5)


def _post_ln(x, w_q, w_k, w_v, w_o):
    return _ln(x + causal_self_attention(x, w_q, w_k, w_v)[0] @ w_o)


def _no_residual(x, w_q, w_k, w_v, w_o):
    return causal_self_attention(_ln(x), w_q, w_k, w_v)[0] @ w_o


def _normalized_residual(x, w_q, w_k, w_v, w_o):
    h = _ln(x)
    return h + causal_self_attention(h, w_q, w_k, w_v)[0] @ w_o


def _no_out_proj(x, w_q, w_k, w_v, w_o):
    return x + causal_self_attention(_ln(x), w_q, w_k, w_v)[0]


def _bidirectional(x, w_q, w_k, w_v, w_o):
    return x + attention(_ln(x) @ w_q, _ln(x) @ w_k, _ln(x) @ w_v)[0] @ w_o


PRE_LN = Exercise(
    key="16.pre_ln_attention", title="pre_ln_attention",
    signature="pre_ln_attention(x, w_q, w_k, w_v, w_o) -> (B, T, d)",
    reference=pre_ln_attention, make_cases=_block_cases,
    task=(
        "The attention sub-layer of a pre-LN (GPT-2-style) block, with one head and no biases:\n\n"
        "`x + CausalSelfAttention(LayerNorm(x)) · W_o`\n\n"
        "- `x`: `(B, T, d)` float32; `w_q`, `w_k`, `w_v`, `w_o`: `(d, d)`. Return `(B, T, d)`.\n"
        "- LayerNorm over the last dimension with **no learned scale or shift** and eps = 1e-5 "
        "(`torch.nn.functional.layer_norm(x, x.shape[-1:], eps=1e-5)`).\n"
        "- The attention is causal (token i sees 0 … i), scaled by 1/√d; you may call your "
        "`causal_self_attention` from exercise 1.\n"
        "- The residual adds the **un-normalized** input x."),
    mistakes=[
        Mistake("post_ln", "that is post-LN, LN(x + Attn(x)) — the 2017 order. Pre-LN normalizes the input of "
                "the sub-layer and adds its output to the raw x.", _post_ln),
        Mistake("no_residual", "the sub-layer's output is *added* to x (the residual stream); it does not "
                "replace the token's vector.", _no_residual),
        Mistake("normalized_residual", "add the output to the original x, not to LN(x): the residual stream "
                "itself is never normalized inside the block.", _normalized_residual),
        Mistake("no_out_proj", "the heads' mixture goes through the output projection W_o before the addition.",
                _no_out_proj),
        Mistake("bidirectional", "a GPT block is causal: mask keys after the query.", _bidirectional),
    ])

EXERCISES = [CAUSAL, PRE_LN]

QUIZ = Quiz([
    Question("16.q1", "The common answer says the attention weights multiply “each word's embedding vector”, "
                      "then are summed. What is actually summed?", (
        Option("The word embeddings themselves, each scaled by its weight", False,
               "That is the common answer's claim. The sum is over values, a learned projection, so what a "
               "token passes on can differ from what it is."),
        Option("The values x·W_v, a learned projection of each token", True,
               "Queries and keys decide the weights; values decide what is mixed. W_o and a residual addition "
               "follow."),
        Option("The keys x·W_k, the vectors the query was compared with", False,
               "Keys only take part in the scores; a separate projection W_v gives what is mixed."),
        Option("The scores q·k before the softmax, as a feature vector", False,
               "The scores become weights; they are not the output."),
    ), misconception=True),
    Question("16.q2", "In Lab 3 the subject head gives “dog” a large weight from the position before the verb. "
                      "What does that weight say?", (
        Option("“dog” is the most important word of the sentence for every token", False,
               "The common answer's “重要性”: another query, or another head, weights “dog” differently."),
        Option("That position's query matches the key computed for “dog”", True,
               "A weight is specific to one query (and one head): here the query looks for the subject."),
        Option("“dog” has the largest embedding, so it wins every softmax", False,
               "Scores depend on the query too; other rows of the same head's map look elsewhere."),
        Option("The model is about to output the word “dog” next", False,
               "Attention decides what is read, not what is predicted: the next word is a verb."),
    )),
    Question("16.q3", "Why do queries and keys get separate projections W_q and W_k?", (
        Option("A single shared W would also do, at half the parameters", False,
               "Lab 1: with q = k = x·W the largest score stays on the diagonal — tokens look at themselves."),
        Option("To keep the scores small, so the softmax does not saturate", False,
               "That is the job of the 1/√d_k scale (chapter 4)."),
        Option("So that a token can look for something other than itself", True,
               "x·W_q·W_kᵀ·xᵀ need not peak on the diagonal; Lab 1 measures the self-bias fall to chance."),
    )),
    Question("16.q4", "Shuffling the input tokens of self-attention that has no positional information…", (
        Option("…shuffles the outputs in the same way", True, "Self-attention is permutation-equivariant (Lab 4)."),
        Option("…leaves every output at its place unchanged", False, "Each output moves with its token."),
        Option("…changes each token's output vector", False, "Each token's output is the same vector, at its new place."),
    )),
    Question("16.q5", "The common answer takes the weighted sum “as the word's new embedding”. In a GPT-2-style "
                      "block, what happens to it?", (
        Option("It replaces the embedding and goes on to the next layer", False,
               "Nothing is replaced: it is added to the residual stream."),
        Option("It is projected by W_o and added to the block's input", True,
               "Pre-LN: x + Attn(LN(x)), then x + MLP(LN(x)) (Lab 2 shows the package's forward)."),
        Option("It is normalized together with the input: LN(x + Attn(x))", False,
               "That post-LN order is the 2017 Transformer's and BERT's; GPT-2 normalizes before each sub-layer."),
        Option("It is averaged with the embedding, then sent to the output layer", False,
               "Each block adds (not averages) and a feed-forward sub-layer follows before the next block."),
    )),
])
