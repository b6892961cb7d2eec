"""Self-test of chapter 1: trigram statistics (the next step after the lab's bigram) and perplexity."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def trigram_probs(ids: torch.Tensor, vocab_size: int, alpha: float = 1.0) -> torch.Tensor:
    """P[a, b, c] = (count(a b c) + alpha) / (count(a b ·) + alpha·V): add-alpha smoothed trigram model."""
    table = torch.full((vocab_size,) * 3, float(alpha))
    table.index_put_((ids[:-2], ids[1:-1], ids[2:]), torch.ones(len(ids) - 2), accumulate=True)
    return table / table.sum(dim=-1, keepdim=True)


def _trigram_cases(g):
    return [{"ids": torch.randint(0, v, (n,), generator=g), "vocab_size": v, **extra}
            for v, n, extra in ((5, 60, {}), (4, 300, {"alpha": 0.1}), (3, 9, {"alpha": 2.0}))]


def _counts(ids, vocab_size):
    counts = torch.zeros((vocab_size,) * 3)
    counts.index_put_((ids[:-2], ids[1:-1], ids[2:]), torch.ones(len(ids) - 2), accumulate=True)
    return counts


def _no_smoothing(ids, vocab_size, alpha=1.0):
    counts = _counts(ids, vocab_size)
    return counts / counts.sum(dim=-1, keepdim=True)


def _alpha_ignored(ids, vocab_size, alpha=1.0):
    return trigram_probs(ids, vocab_size)


def _joint(ids, vocab_size, alpha=1.0):
    counts = _counts(ids, vocab_size) + alpha
    return counts / counts.sum()


def _first_axis(ids, vocab_size, alpha=1.0):
    counts = _counts(ids, vocab_size) + alpha
    return counts / counts.sum(dim=0, keepdim=True)


def _reversed(ids, vocab_size, alpha=1.0):
    return trigram_probs(ids.flip(0), vocab_size, alpha)


TRIGRAM = Exercise(
    key="01.trigram", title="trigram_probs: one more word of context",
    signature="trigram_probs(ids, vocab_size, alpha=1.0) -> (V, V, V) tensor",
    reference=trigram_probs, make_cases=_trigram_cases,
    task="""The lab's bigram model conditions on one previous token. Take the next step: a **trigram**
model, which conditions on two. Count every window of three consecutive tokens `(a, b, c)` in `ids` and
return `P` with

`P[a, b, c] = (count(a, b, c) + alpha) / (count(a, b, ·) + alpha · V)`

— the probability that `c` follows the pair `a b`, with **add-alpha smoothing** so that no continuation
is impossible (and a pair never seen gives the uniform distribution).

- `ids`: int64 tensor `(N,)`, values in `[0, V)`, `N ≥ 3`; `vocab_size`: the int `V`;
  `alpha`: positive float (the checks use 1.0, 0.1 and 2.0).
- Return a float32 tensor `(V, V, V)`; `P[a, b]` sums to 1 over its last axis.""",
    mistakes=[
        Mistake("no_smoothing", "add alpha to every count before normalizing; otherwise unseen triples get "
                "probability 0 (infinite loss) and pairs never seen give 0/0.", _no_smoothing),
        Mistake("alpha_ignored", "use the `alpha` you were given, not 1.", _alpha_ignored),
        Mistake("joint", "normalize each pair's row P[a, b, :] (sum over the last axis), not the whole "
                "table: this is P(c | a, b), not the joint P(a, b, c).", _joint),
        Mistake("first_axis", "the last axis is the next token: normalize with sum(dim=-1).", _first_axis),
        Mistake("reversed", "count in reading order: ids[t], ids[t+1], ids[t+2] index P[a, b, c].", _reversed),
    ])


def sequence_perplexity(logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """logits[t] predicts ids[t+1]; perplexity = exp(mean −log p(ids[t+1] | ids[≤t]))."""
    logp = torch.log_softmax(logits[:-1], dim=-1)
    nll = -logp.gather(-1, ids[1:, None]).squeeze(-1)
    return nll.mean().exp()


def _ppl_cases(g):
    # Two fixed cases first, so that each planted mistake is caught by its own hint at every seed:
    # - small scores, on which no_shift, mean_of_ppl and no_exp each give their own value;
    # - scores in the tens with a target token 120 below the best: its softmax underflows to 0, so
    #   softmax_then_log gives inf where the reference is finite (random scores do not always reach that).
    cases = [{"logits": torch.tensor([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [-1.0, 0.0, 1.5], [0.0, 1.0, 0.0]]),
              "ids": torch.tensor([0, 2, 1, 0])},
             {"logits": torch.tensor([[60.0, 0.0, -60.0], [0.0, 50.0, -70.0], [20.0, -10.0, 0.0], [0.0, 0.0, 0.0]]),
              "ids": torch.tensor([0, 2, 0, 1])}]
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


def _raw_softmax_log(logits, ids):
    p = torch.softmax(logits[:-1], -1).gather(-1, ids[1:, None]).squeeze(-1)
    return (-p.log()).mean().exp()


PERPLEXITY = Exercise(
    key="01.perplexity", title="sequence_perplexity",
    signature="sequence_perplexity(logits (T, V), ids (T,)) -> scalar tensor",
    reference=sequence_perplexity, make_cases=_ppl_cases,
    task="""A model read the token sequence `ids` and, at every position `t`, produced `logits[t]`: its
scores for the token that comes **next**, `ids[t+1]`. Return the perplexity of the sequence:

`exp( mean over t = 0 … T−2 of  −log softmax(logits[t])[ids[t+1]] )`

(the last row of `logits` has no next token to score, so it is not used).

- `logits`: float32 `(T, V)`, raw scores (not probabilities; some checks have scores in the tens);
  `ids`: int64 `(T,)`, values in `[0, V)`.
- Return a 0-dim float32 tensor. Logarithms are natural (nats).""",
    mistakes=[
        Mistake("no_shift", "the prediction made at position t is for the *next* token: compare "
                "logits[:-1] with ids[1:].", _no_shift),
        Mistake("softmax_then_log", "take log_softmax directly: softmax of scores in the tens underflows to "
                "0 for unlikely tokens, and log(0) is −inf.", _raw_softmax_log),
        Mistake("mean_of_ppl", "average the negative log-likelihoods first, then exponentiate once; "
                "the mean of per-token exp(nll) is not the perplexity.", _mean_of_ppl),
        Mistake("no_exp", "that is the cross-entropy (nats per token); perplexity is its exp.", _no_exp),
    ])

EXERCISES = [TRIGRAM, PERPLEXITY]

QUIZ = Quiz([
    Question("01.q1", "How is a GPT-style LLM pretrained?", (
        Option("Supervised, on a huge corpus that annotators have labelled", False,
               "This is the common answer's claim (“大量标注好的语料”). Pretraining needs no annotators: the next "
               "token of raw text is the label (Lab 2), so the text supervises itself."),
        Option("Self-supervised: the next token of raw text is its own label", True,
               "Every position of unlabelled text gives a training example: predict token t+1 from tokens ≤ t."),
        Option("As a denoising autoencoder that rebuilds its corrupted input", False,
               "That is closer to BERT's or BART's objective. A causal LM predicts the *next* token and never "
               "sees it in its input."),
    ), misconception=True),
    Question("01.q2", "What network is at the base of today's large language models?", (
        Option("Recurrent networks (RNN, LSTM), with Transformers as an option", False,
               "The common answer lists RNNs first. GPT-2/3, LLaMA and Qwen are Transformer decoders; RNNs "
               "were the language models before 2018."),
        Option("A Transformer encoder–decoder, as in the 2017 translation paper", False,
               "GPT-style LLMs keep only the decoder stack (without cross-attention); the encoder–decoder is "
               "the original translation model (chapter 41)."),
        Option("A stack of Transformer decoder blocks (causal attention + MLP)", True,
               "Lab 3 trains a small one; every current LLM family is built this way."),
    )),
    Question("01.q3", "A model gives each of V = 65 tokens probability 1/65 at every step. Its perplexity is…", (
        Option("65", True, "exp(−ln(1/65)) = 65: as uncertain as a uniform choice among 65 options."),
        Option("ln 65 ≈ 4.17", False, "4.17 is the cross-entropy in nats; perplexity is its exp."),
        Option("1/65 ≈ 0.015", False, "That is the probability of each token; perplexity is 1 / (geometric "
               "mean of the probabilities), here 65."),
    )),
    Question("01.q4", "Why does our tiny GPT beat the bigram model on subject–verb agreement (Lab 4)?", (
        Option("It has more parameters, so it stores more word pairs", False,
               "The bigram table already holds every word pair; no number of pair counts can tell which "
               "noun was the subject."),
        Option("It conditions on many earlier words, like the subject", True,
               "A bigram model sees one previous word, usually the noun right before the verb; attention "
               "reaches the subject across the phrase in between."),
        Option("Its embeddings generalize to words it saw rarely or never", False,
               "Embeddings do smooth rare words, but with one word of context even perfect embeddings are at "
               "chance on agreement."),
    )),
    Question("01.q5", "What does the model-size sweep of Lab 5 show about “large”?", (
        Option("Only the vocabulary grows; the loss is set by the tokenizer", False,
               "All three models share one tokenizer and vocabulary; only the width (d_model) changes; "
               "depth, data and steps are fixed."),
        Option("Bigger models overfit: their validation loss rises with size", False,
               "With data fixed one might expect that, but in the sweep the validation loss falls at every "
               "size (1.806, 1.670, 1.621), and agreement goes from 0.39 (no better than chance) at the "
               "smallest model to 0.95 and 1.00 at the larger two."),
        Option("Same data and steps, bigger model: lower validation loss", True,
               "The loss falls at every size, with shrinking gains (0.136, then 0.049 nats): this simple "
               "grammar has a floor. On real text Kaplan et al. (2020) measured a power law over six orders "
               "of magnitude of model size (768 to 1.5B non-embedding parameters)."),
    )),
])
