"""Self-test of chapter 41: sinusoidal positional encoding and a post-LN decoder layer wired by hand."""
from __future__ import annotations

import math

import torch

from ...nn import TransformerBlock
from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def positional_encoding(t: int, d: int) -> torch.Tensor:
    """(T, d) float32: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))."""
    angle = torch.arange(t, dtype=torch.float32)[:, None] / 10000.0 ** (torch.arange(0, d, 2) / d)
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(t, d)


def _pe_cases(g):
    return [{"t": t, "d": d} for t, d in ((10, 8), (50, 16), (7, 4), (3, 32))]


def _swapped(t, d):
    pe = positional_encoding(t, d)
    return torch.stack([pe[:, 1::2], pe[:, 0::2]], -1).flatten(1)


def _i_not_2i(t, d):
    angle = torch.arange(t, dtype=torch.float32)[:, None] / 10000.0 ** (torch.arange(d // 2) / d)
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(t, d)


def _halves(t, d):
    pe = positional_encoding(t, d)
    return torch.cat([pe[:, 0::2], pe[:, 1::2]], dim=1)


def _log2(t, d):
    angle = torch.arange(t, dtype=torch.float32)[:, None] / 2.0 ** (math.log2(10000.0) * torch.arange(0, d, 2) / d)
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(t, d)


POSITIONAL = Exercise(
    key="41.positional_encoding", title="positional_encoding", signature="positional_encoding(t, d) -> (t, d)",
    reference=positional_encoding, make_cases=_pe_cases,
    task=("Return the sinusoidal position table that `Seq2SeqTransformer` adds to its embeddings "
          "(Vaswani et al., 2017), as a **float32** tensor of shape **(t, d)**:\n\n"
          "- `t` (int ≥ 1): number of positions p = 0 … t−1; `d` (int, even): model width.\n"
          "- Column pair i (i = 0 … d/2 − 1) uses the angle p / 10000^(2i/d).\n"
          "- **Interleaved**: column 2i holds the sine, column 2i+1 the cosine of the same angle "
          "(not all sines first, then all cosines).\n\n"
          "The checker compares with the package's `sinusoidal_table` at several (t, d), up to 1e-4."),
    mistakes=[
        Mistake("swapped", "even columns take the sine, odd columns the cosine.", _swapped),
        Mistake("i_not_2i", "the exponent is 2i/d with i counting sine–cosine pairs: use arange(0, d, 2) / d.",
                _i_not_2i),
        Mistake("halves", "interleave: sine at columns 0, 2, 4, …, cosine at 1, 3, 5, … (not all sines then "
                "all cosines).", _halves),
    ])


def decoder_layer(x: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor,
                  layer: TransformerBlock) -> torch.Tensor:
    """The 2017 (post-LN) decoder layer from `layer`'s parts: each sub-layer is norm(h + f(h)).
    x (B, T, d), memory (B, S, d), memory_mask (B, 1, 1, S) bool -> (B, T, d)."""
    seen = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool).tril()        # (T, T): i sees 0..i
    h = layer.norm1(x + layer.self_attn(x, mask=seen))
    h = layer.norm_cross(h + layer.cross_attn(h, memory, mask=memory_mask))
    return layer.norm2(h + layer.ffn(h))


def _decoder_block(g, d: int, heads: int, d_ff: int) -> TransformerBlock:
    """A post-LN decoder block whose attention applies no mask of its own, with weights drawn from g."""
    with torch.random.fork_rng(devices=[]):        # building modules must not move the learner's seed
        layer = TransformerBlock(d, heads, d_ff, cross_attention=True, norm_first=False, activation="relu")
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.2 if p.ndim > 1 else 0.5) + (p.ndim == 1) * 0.5)
    return layer.eval()


def _decoder_cases(g):
    cases = []
    for b, t, s, d, heads in ((2, 5, 6, 16, 2), (3, 4, 7, 8, 1), (1, 6, 3, 12, 3)):
        keep = torch.rand(b, s, generator=g) > 0.3
        keep[:, 0] = True                                   # every source keeps at least one token
        cases.append({"x": torch.randn(b, t, d, generator=g), "memory": torch.randn(b, s, d, generator=g),
                      "memory_mask": keep[:, None, None, :], "layer": _decoder_block(g, d, heads, 2 * d)})
    return cases


def _pre_ln(x, memory, memory_mask, layer):
    seen = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool).tril()
    h = x + layer.self_attn(layer.norm1(x), mask=seen)
    h = h + layer.cross_attn(layer.norm_cross(h), memory, mask=memory_mask)
    return h + layer.ffn(layer.norm2(h))


def _no_causal(x, memory, memory_mask, layer):
    h = layer.norm1(x + layer.self_attn(x))
    h = layer.norm_cross(h + layer.cross_attn(h, memory, mask=memory_mask))
    return layer.norm2(h + layer.ffn(h))


def _no_memory_mask(x, memory, memory_mask, layer):
    seen = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool).tril()
    h = layer.norm1(x + layer.self_attn(x, mask=seen))
    h = layer.norm_cross(h + layer.cross_attn(h, memory))
    return layer.norm2(h + layer.ffn(h))


def _cross_reads_decoder(x, memory, memory_mask, layer):
    seen = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool).tril()
    h = layer.norm1(x + layer.self_attn(x, mask=seen))
    h = layer.norm_cross(h + layer.cross_attn(h))              # keys and values from the decoder itself
    return layer.norm2(h + layer.ffn(h))


def _no_cross_residual(x, memory, memory_mask, layer):
    seen = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool).tril()
    h = layer.norm1(x + layer.self_attn(x, mask=seen))
    h = layer.norm_cross(layer.cross_attn(h, memory, mask=memory_mask))
    return layer.norm2(h + layer.ffn(h))


DECODER = Exercise(
    key="41.decoder_layer", title="decoder_layer",
    signature="decoder_layer(x (B, T, d), memory (B, S, d), memory_mask (B, 1, 1, S), layer) -> (B, T, d)",
    reference=decoder_layer, make_cases=_decoder_cases,
    task=("Wire one decoder layer of the **original, post-LN** Transformer (Vaswani et al., 2017) from the "
          "parts of `layer`, a `course.nn.TransformerBlock` built with `cross_attention=True`. The lab's model "
          "is pre-LN, x + f(norm(x)); here every sub-layer is **norm(h + f(h))**. The three sub-layers, in order: "
          "causal self-attention (`layer.self_attn`, normalized by `layer.norm1`), cross-attention to the encoder "
          "output (`layer.cross_attn`, `layer.norm_cross`), the feed-forward network (`layer.ffn`, `layer.norm2`). "
          "Both attention modules are `course.nn.MultiHeadAttention`: `attn(x, context=None, mask=None)` takes "
          "queries from `x` and keys and values from `context` (from `x` when it is None).\n\n"
          "- `x` (B, T, d) float32: the decoder's hidden states.\n"
          "- `memory` (B, S, d) float32: the encoder's output.\n"
          "- `memory_mask` (B, 1, 1, S) bool: **True on real source tokens**, False on padding.\n"
          "- Masks are bool with **True = may attend**. `layer`'s attention modules apply **no mask of their "
          "own**: build the (T, T) causal mask yourself (position i sees 0 … i).\n\n"
          "Return (B, T, d) float32, without calling `layer(...)` itself. The checker draws random blocks of "
          "several widths and head counts; its reference equals the package's post-LN decoder block "
          "(`TransformerBlock(..., causal=True, cross_attention=True, norm_first=False)`), up to 1e-4."),
    mistakes=[
        Mistake("pre_ln", "that is the pre-LN order x + f(norm(x)); the 2017 layer adds first and normalizes "
                "after: norm(h + f(h)).", _pre_ln),
        Mistake("no_causal", "the decoder's self-attention must not see later target positions: pass a (T, T) "
                "lower-triangular mask (True = may attend).", _no_causal),
        Mistake("no_memory_mask", "padding in the source must stay invisible: pass memory_mask to the "
                "cross-attention.", _no_memory_mask),
        Mistake("cross_reads_decoder", "cross-attention takes its keys and values from the encoder's memory, "
                "not from the decoder: cross_attn(h, memory, mask=memory_mask).", _cross_reads_decoder),
        Mistake("no_cross_residual", "each sub-layer, cross-attention included, has its residual: "
                "norm_cross(h + cross_attn(...)).", _no_cross_residual),
    ])

EXERCISES = [POSITIONAL, DECODER]

QUIZ = Quiz([
    Question("41.q1", "The common answer ends with a code sample. What does it build?", (
        Option("A Keras LSTM encoder–decoder with no attention, that would not run", True,
               "Lab 1 parses it: LSTM and Dense layers only, and names used but never defined."),
        Option("A compact Transformer, with attention inside Keras's LSTM layers", False,
               "Keras's LSTM is a recurrent layer; there is no attention anywhere in the sample."),
        Option("A correct Transformer encoder; the decoder is left out for brevity", False,
               "Neither half has attention or positional encoding: both halves are LSTMs."),
        Option("A runnable seq2seq baseline that only lacks its positional encoding", False,
               "It cannot run: several names are undefined and layers are passed where tensors belong."),
    ), misconception=True),
    Question("41.q2", "The common answer puts “a feed-forward network after each encoder layer”. Where is it?", (
        Option("Between consecutive encoder layers, mixing information across positions", False,
               "The FFN is applied to each position on its own; only attention mixes positions."),
        Option("Once, after the last encoder layer, before the decoder reads the output", False,
               "Every layer has its own FFN (6 in the base model's encoder alone)."),
        Option("Inside every layer: its second sub-layer, with a residual and a norm", True,
               "Lab 3 copies each layer's FFN into torch.nn.Transformer's linear1/linear2 of the same layer."),
        Option("In the decoder only; an encoder layer is self-attention and a norm", False,
               "Encoder layers have two sub-layers: self-attention and the FFN."),
    )),
    Question("41.q3", "The common answer says the input embeddings come from Word2Vec or GloVe. In the Transformer…", (
        Option("they are frozen pretrained vectors, and only the layers above train", False,
               "Nothing is frozen: the table is a parameter trained with the rest."),
        Option("they are a table trained with the model, scaled by √d_model", True,
               "Vaswani et al. (2017), section 3.4; the table is often tied to the output layer."),
        Option("they must be pretrained, because attention cannot learn word meaning", False,
               "Lab 4 trains its tables from random initialization with the rest of the model."),
    )),
    Question("41.q4", "While training with teacher forcing, the decoder's input is…", (
        Option("its own greedy predictions, fed back one step at a time as at inference", False,
               "That is inference. Training feeds the true target, so all positions train in parallel."),
        Option("the target itself; the causal mask alone keeps it from copying answers", False,
               "Position t may see itself, so it would read the token it must predict."),
        Option("the target shifted right by one, starting with <bos>", True,
               "Lab 4 prints a decoder input next to its target."),
        Option("the encoder output only; target tokens enter through the loss alone", False,
               "The decoder embeds the (shifted) target tokens; the encoder output enters via cross-attention."),
    )),
])
