"""Self-test of chapter 1: bigram statistics and perplexity."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def bigram_probs(ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """P[a, b] = (count(a followed by b) + 1) / (count(a followed by anything) + V)."""
    counts = torch.zeros(vocab_size, vocab_size)
    counts.index_put_((ids[:-1], ids[1:]), torch.ones(len(ids) - 1), accumulate=True)
    counts += 1                                   # add-one smoothing: no transition is impossible
    return counts / counts.sum(dim=1, keepdim=True)


def _bigram_cases(g):
    return [{"ids": torch.randint(0, v, (n,), generator=g), "vocab_size": v} for v, n in ((5, 40), (8, 200), (3, 7))]


def _no_smoothing(ids, vocab_size):
    counts = torch.zeros(vocab_size, vocab_size)
    counts.index_put_((ids[:-1], ids[1:]), torch.ones(len(ids) - 1), accumulate=True)
    return counts / counts.sum(dim=1, keepdim=True)


def _columns(ids, vocab_size):
    counts = torch.zeros(vocab_size, vocab_size)
    counts.index_put_((ids[:-1], ids[1:]), torch.ones(len(ids) - 1), accumulate=True)
    counts += 1
    return counts / counts.sum(dim=0, keepdim=True)


def _transposed(ids, vocab_size):
    return bigram_probs(ids, vocab_size).t()


BIGRAM = Exercise(
    key="01.bigram", title="bigram_probs", signature="bigram_probs(ids, vocab_size) -> (V, V) tensor",
    reference=bigram_probs, make_cases=_bigram_cases,
    mistakes=[
        Mistake("no_smoothing", "add 1 to every count before normalizing; otherwise unseen pairs get "
                "probability 0 (infinite loss) and tokens never seen first give 0/0.", _no_smoothing),
        Mistake("columns", "each row a (the current token) must sum to 1: normalize with "
                "sum(dim=1), not dim=0.", _columns),
        Mistake("transposed", "row = current token, column = next token: count counts[ids[t], ids[t+1]].",
                _transposed),
    ])


def sequence_perplexity(logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """logits[t] predicts ids[t+1]; perplexity = exp(mean −log p(ids[t+1] | ids[≤t]))."""
    logp = torch.log_softmax(logits[:-1], dim=-1)
    nll = -logp.gather(-1, ids[1:, None]).squeeze(-1)
    return nll.mean().exp()


def _ppl_cases(g):
    cases = []
    for t, v, scale in ((6, 4, 1.0), (20, 10, 3.0), (12, 7, 40.0)):
        cases.append({"logits": torch.randn(t, v, generator=g) * scale,
                      "ids": torch.randint(0, v, (t,), generator=g)})
    return cases


def _no_shift(logits, ids):
    return (-torch.log_softmax(logits, -1).gather(-1, ids[:, None]).squeeze(-1)).mean().exp()


def _mean_of_ppl(logits, ids):
    nll = -torch.log_softmax(logits[:-1], -1).gather(-1, ids[1:, None]).squeeze(-1)
    return nll.exp().mean()


def _no_exp(logits, ids):
    return (-torch.log_softmax(logits[:-1], -1).gather(-1, ids[1:, None]).squeeze(-1)).mean()


PERPLEXITY = Exercise(
    key="01.perplexity", title="sequence_perplexity",
    signature="sequence_perplexity(logits (T, V), ids (T,)) -> scalar tensor",
    reference=sequence_perplexity, make_cases=_ppl_cases,
    mistakes=[
        Mistake("no_shift", "the prediction made at position t is for the *next* token: compare "
                "logits[:-1] with ids[1:].", _no_shift),
        Mistake("mean_of_ppl", "average the negative log-likelihoods first, then exponentiate once; "
                "the mean of per-token exp(nll) is not the perplexity.", _mean_of_ppl),
        Mistake("no_exp", "that is the cross-entropy (nats per token); perplexity is its exp.", _no_exp),
    ])

EXERCISES = [BIGRAM, PERPLEXITY]

QUIZ = Quiz([
    Question("01.q1", "How is a GPT-style LLM pretrained?", (
        Option("Supervised learning on a corpus labelled by annotators", False,
               "This is the common answer's claim (“大量标注好的语料”). Pretraining needs no annotators: the next token "
               "of raw text is the label, so the text supervises itself."),
        Option("Self-supervised next-token prediction on raw text", True,
               "Every position of unlabelled text gives a training example: predict token t+1 from tokens ≤ t."),
        Option("As an autoencoder that reconstructs its input", False,
               "An autoencoder maps input to itself through a bottleneck; a causal LM predicts the *next* "
               "token and never sees it."),
    ), misconception=True),
    Question("01.q2", "What network is at the base of today's large language models?", (
        Option("Recurrent networks (RNN/LSTM), with Transformers as an option", False,
               "The common answer lists RNNs first. GPT-2/3, LLaMA and their kind are Transformer decoders; "
               "RNNs were the pre-2018 LMs."),
        Option("A stack of Transformer decoder blocks (causal self-attention + MLP)", True,
               "Every current LLM family is built this way; it trains in parallel over positions."),
        Option("Convolutional networks over word embeddings", False,
               "CNN LMs existed but are not the basis of current LLMs."),
    )),
    Question("01.q3", "A model assigns each of V = 65 characters probability 1/65. Its perplexity is…", (
        Option("1", False, "Perplexity 1 means perfect certainty about the right token."),
        Option("65", True, "exp(−ln(1/65)) = 65: as uncertain as a uniform choice among 65 options."),
        Option("ln 65 ≈ 4.17", False, "4.17 is the cross-entropy in nats; perplexity is its exp."),
    )),
    Question("01.q4", "Why does our tiny GPT beat the bigram model on the grammar corpus?", (
        Option("It has more parameters, nothing else", False,
               "More parameters alone do not let a bigram model see further back."),
        Option("It conditions on many earlier tokens, e.g. the subject that decides the verb's form", True,
               "A bigram model sees one previous character; attention reaches the whole context window."),
        Option("It is trained longer", False, "The bigram model is optimal for its counts after one pass."),
    )),
])
