"""Recurrent baselines: an RNN/LSTM/GRU language model and a GRU seq2seq with optional attention."""
from __future__ import annotations

import torch
from torch import nn

from ..nn import AdditiveAttention
from ..validate import check_ids, check_in, check_int, check_tensor
from .output import ModelOutput, lm_loss

__all__ = ["RNNLanguageModel", "RNNSeq2Seq"]

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RNNLanguageModel(nn.Module):
    """tokens (B, T) -> next-token logits (B, T, V) with a recurrent core (``cell`` = rnn | lstm | gru)."""

    def __init__(self, vocab_size: int, d_embed: int = 64, hidden: int = 128, n_layers: int = 1,
                 cell: str = "lstm", nonlinearity: str = "tanh"):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("d_embed", d_embed), ("hidden", hidden),
                            ("n_layers", n_layers)):
            check_int(name, value, minimum=1)
        check_in("cell", cell, _CELLS)
        check_in("nonlinearity", nonlinearity, ("tanh", "relu"))
        if nonlinearity != "tanh" and cell != "rnn":
            raise ValueError(f"nonlinearity applies to cell='rnn' only, got cell={cell!r}")
        self.embed = nn.Embedding(vocab_size, d_embed)
        extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.rnn = _CELLS[cell](d_embed, hidden, n_layers, batch_first=True, **extra)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> ModelOutput:
        check_tensor("idx", idx, ndim=2, dtype="int")
        check_ids("idx", idx, self.embed.num_embeddings, "vocab_size")
        out, _ = self.rnn(self.embed(idx))
        logits = self.head(out)
        return ModelOutput(logits, lm_loss(logits, targets) if targets is not None else None)


class RNNSeq2Seq(nn.Module):
    """GRU encoder–decoder. Without attention the decoder sees the source only through the final
    encoder state (a fixed-size bottleneck); with ``attention=True`` every decoder step attends to all
    encoder states (Bahdanau et al., 2015).

    forward(src (B, S), tgt_in (B, T)) -> logits (B, T, tgt_vocab).
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, hidden: int = 64, attention: bool = True,
                 pad_id: int = 0):
        super().__init__()
        for name, value in (("src_vocab", src_vocab), ("tgt_vocab", tgt_vocab), ("hidden", hidden)):
            check_int(name, value, minimum=1)
        self.pad_id = pad_id
        self.src_emb = nn.Embedding(src_vocab, hidden)
        self.tgt_emb = nn.Embedding(tgt_vocab, hidden)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.decoder = nn.GRU(hidden * (2 if attention else 1), hidden, batch_first=True)
        self.attention = AdditiveAttention(hidden, hidden, hidden) if attention else None
        self.head = nn.Linear(hidden * (2 if attention else 1), tgt_vocab)

    def forward(self, src, tgt_in, targets=None) -> ModelOutput:
        check_tensor("src", src, ndim=2, dtype="int")
        check_tensor("tgt_in", tgt_in, ndim=2, dtype="int")
        check_ids("src", src, self.src_emb.num_embeddings, "src_vocab")
        check_ids("tgt_in", tgt_in, self.tgt_emb.num_embeddings, "tgt_vocab")
        if src.shape[0] != tgt_in.shape[0]:
            raise ValueError(f"src and tgt_in must have the same batch size, got {src.shape[0]} and "
                             f"{tgt_in.shape[0]}")
        enc, state = self.encoder(self.src_emb(src))                    # (B, S, h), (1, B, h)
        emb = self.tgt_emb(tgt_in)
        if self.attention is None:
            out, _ = self.decoder(emb, state)
            logits = self.head(out)
        else:
            mask = (src != self.pad_id)[:, None, None, :]
            outs, context = [], enc.new_zeros(enc.shape[0], 1, enc.shape[2])
            for t in range(emb.shape[1]):          # step by step: each step's query is the new state
                out, state = self.decoder(torch.cat([emb[:, t:t + 1], context], -1), state)
                context = self.attention(out, enc, enc, mask)
                outs.append(torch.cat([out, context], -1))
            logits = self.head(torch.cat(outs, 1))
        return ModelOutput(logits, lm_loss(logits, targets) if targets is not None else None)
