"""Self-test of chapter 41: sinusoidal positional encoding and the shifted decoder input."""
from __future__ import annotations

import math

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def positional_encoding(t: int, d: int) -> torch.Tensor:
    """(T, d): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))."""
    pos = torch.arange(t, dtype=torch.float32)[:, None]
    div = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, dtype=torch.float32) / d)
    pe = torch.zeros(t, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


def _pe_cases(g):
    return [{"t": t, "d": d} for t, d in ((10, 8), (50, 16), (7, 4))]


def _swapped(t, d):
    pe = positional_encoding(t, d)
    return torch.stack([pe[:, 1::2], pe[:, 0::2]], -1).flatten(1)


def _i_not_2i(t, d):
    pos = torch.arange(t, dtype=torch.float32)[:, None]
    div = torch.exp(-math.log(10000.0) * torch.arange(0, d // 2, dtype=torch.float32) / d)
    pe = torch.zeros(t, d)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
    return pe


def _halves(t, d):
    pe = positional_encoding(t, d)
    return torch.cat([pe[:, 0::2], pe[:, 1::2]], dim=1)


POSITIONAL = Exercise(
    key="41.positional_encoding", title="positional_encoding", signature="positional_encoding(t, d) -> (T, d)",
    reference=positional_encoding, make_cases=_pe_cases,
    mistakes=[
        Mistake("swapped", "even dimensions take the sine, odd ones the cosine.", _swapped),
        Mistake("i_not_2i", "the exponent is 2i/d (i counts sine–cosine pairs): use arange(0, d, 2) / d.",
                _i_not_2i),
        Mistake("halves", "interleave: sine at 0, 2, 4, …, cosine at 1, 3, 5, … (not all sines then all cosines).",
                _halves),
    ])


def shift_right(targets: torch.Tensor, bos_id: int) -> torch.Tensor:
    """Teacher forcing: the decoder's input is the target moved one step right, starting with BOS.
    targets (B, T) -> (B, T)."""
    return torch.cat([torch.full_like(targets[:, :1], bos_id), targets[:, :-1]], dim=1)


def _shift_cases(g):
    return [{"targets": torch.randint(3, 20, (b, t), generator=g), "bos_id": 1} for b, t in ((2, 5), (3, 1), (1, 8))]


SHIFT = Exercise(
    key="41.shift_right", title="shift_right", signature="shift_right(targets (B, T), bos_id) -> (B, T)",
    reference=shift_right, make_cases=_shift_cases,
    mistakes=[
        Mistake("shift_left", "the decoder must not see the token it predicts: move targets to the *right* "
                "and put BOS first.", lambda targets, bos_id: torch.cat(
                    [targets[:, 1:], torch.full_like(targets[:, :1], bos_id)], 1)),
        Mistake("unshifted", "feeding the targets themselves lets position t read the answer t.",
                lambda targets, bos_id: targets.clone()),
        Mistake("prepend_keep_all", "keep the length T: drop the last target after prepending BOS.",
                lambda targets, bos_id: torch.cat([torch.full_like(targets[:, :1], bos_id), targets], 1)),
    ])

EXERCISES = [POSITIONAL, SHIFT]

QUIZ = Quiz([
    Question("41.q1", "The common answer's “Transformer” code sample is built from…", (
        Option("Multi-head attention and feed-forward layers", False, "Read it again: there is no attention."),
        Option("Keras LSTM layers — it is an RNN encoder–decoder, and it would not even run (undefined names, "
               "layers passed where tensors are expected)", True, "Lab 1 lists its undefined names by parsing it."),
        Option("Convolutions", False, "There are no convolutions either."),
    ), misconception=True),
    Question("41.q2", "The common answer says input embeddings “can be obtained from pretrained Word2Vec/GloVe”. In the "
                      "Transformer…", (
        Option("embeddings must come from Word2Vec", False, "Nothing requires that."),
        Option("the embedding table is a learned parameter of the model, trained with everything else "
               "(often tied with the output projection)", True, "Vaswani et al. (2017) learn them, scaled by √d_model."),
        Option("there are no embeddings", False, "Tokens are embedded first."),
    )),
    Question("41.q3", "A decoder layer has three sub-layers. Which?", (
        Option("Causal self-attention, cross-attention to the encoder output, feed-forward", True,
               "Each wrapped in a residual connection and layer normalization."),
        Option("Self-attention, LSTM, feed-forward", False, "There is no recurrence in a Transformer."),
        Option("Cross-attention, pooling, softmax", False, "Not a Transformer layer."),
    )),
])
