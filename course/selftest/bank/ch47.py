"""Self-test of chapter 47: one step of beam search, and BLEU's clipped n-gram matches."""
from __future__ import annotations

from collections import Counter

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def beam_step(scores: torch.Tensor, logp: torch.Tensor, width: int):
    """Extend K beams by one token: the `width` best (beam, token) pairs by total log-probability."""
    total = (scores[:, None] + logp).flatten()                  # (K·V,): every beam × every token
    best = total.topk(width)
    vocab = logp.shape[1]
    return best.values, best.indices // vocab, best.indices % vocab


def _beam_cases(g):
    # A fixed case first, on which each planted mistake gives its own result, so that each is caught by its
    # own hint at every seed: the best beam fills all three places, and adding probabilities instead
    # (0.1 + 0.95 > 0.6 + 0.3) ranks the unlikely beam's confident token first.
    cases = [{"scores": torch.tensor([0.6, 0.1, 0.05]).log(),
              "logp": torch.tensor([[0.3, 0.28, 0.25, 0.17], [0.95, 0.03, 0.015, 0.005], [0.5, 0.3, 0.15, 0.05]]).log(),
              "width": 3}]
    for k, v, width in ((1, 6, 3), (3, 7, 3), (4, 5, 2), (2, 9, 5)):
        logp = torch.randn(k, v, generator=g).mul(2).log_softmax(-1)
        scores = -torch.rand(k, generator=g).mul(4).sort(descending=True).values
        cases.append({"scores": scores, "logp": logp, "width": width})
    return cases


def _no_history(scores, logp, width):
    return beam_step(torch.zeros_like(scores), logp, width)


def _each_beam_best(scores, logp, width):
    best = logp.max(-1)
    total = scores + best.values
    order = total.argsort(descending=True)[:width]
    return total[order], order, best.indices[order]


def _swapped(scores, logp, width):
    total = (scores[:, None] + logp).flatten().topk(width)
    k = logp.shape[0]
    return total.values, total.indices % k, total.indices // k


def _multiplied(scores, logp, width):
    return beam_step(torch.zeros_like(scores), scores[:, None] * logp, width)


def _probabilities_added(scores, logp, width):
    total = (scores.exp()[:, None] + logp.exp()).flatten().topk(width)
    vocab = logp.shape[1]
    idx = total.indices
    return (scores[idx // vocab] + logp.flatten()[idx]), idx // vocab, idx % vocab


BEAM_STEP = Exercise(
    key="47.beam_step", title="beam_step",
    signature="beam_step(scores (K,), logp (K, V), width) -> (scores (width,), parents (width,), tokens (width,))",
    reference=beam_step, make_cases=_beam_cases,
    task="""One step of beam search, for K live beams and a vocabulary of V tokens.

- `scores`: float32 `(K,)`, the summed log-probability of each beam so far;
- `logp`: float32 `(K, V)`, row k = the decoder's log-probabilities of the next token after beam k;
- `width`: `int`, how many extended beams to keep (it may differ from K).

Every beam k extended by every token v gets the score `scores[k] + logp[k, v]`. Keep the `width` best of
all K·V candidates (not the best per beam) and return a tuple of three tensors, best first:
the new scores (float32 `(width,)`), the beam each came from (`parents`, int64 `(width,)`) and the token
it added (`tokens`, int64 `(width,)`). The checks have no ties. (The package's `beam_search` divides each score
by the beam's length, which changes the ranking only between beams of different lengths; here all K beams
have the same length.)""",
    mistakes=[
        Mistake("no_history", "rank by the beam's score so far plus the token's log-probability: "
                "`scores[:, None] + logp`, not `logp` alone.", _no_history),
        Mistake("each_beam_best", "that keeps one token per beam (greedy inside each beam): compare all K·V "
                "candidates together, so that one good beam can fill several places.", _each_beam_best),
        Mistake("swapped", "in the flattened (K·V,) candidates, index i is beam i // V and token i % V "
                "(V = logp.shape[1]).", _swapped),
        Mistake("multiplied", "log-probabilities add along a sequence (probabilities multiply): "
                "`scores[:, None] + logp`.", _multiplied),
        Mistake("probabilities_added", "add log-probabilities, not probabilities: exp(a) + exp(b) is not "
                "the probability of a sequence.", _probabilities_added),
    ])


def clipped_matches(hypothesis: list[str], references: list[list[str]], n: int) -> int:
    """BLEU's clipped n-gram matches of one sentence: each n-gram counts at most as often as in one reference."""
    def grams(tokens):
        return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))

    most = Counter()
    for ref in references:
        most |= grams(ref)                                  # | keeps the larger count of each n-gram
    return sum(min(count, most[gram]) for gram, count in grams(hypothesis).items())


def _bleu_cases(g):
    def words(text):
        return text.split()

    return [
        {"hypothesis": words("the the the the"), "references": [words("the cat is on the mat")], "n": 1},
        {"hypothesis": words("the the the"), "references": [words("the cat"), words("the dog")], "n": 1},
        {"hypothesis": words("one hundred one hundred one"), "references": [words("one hundred one"),
                                                                             words("hundred one hundred")], "n": 2},
        {"hypothesis": words("nine hundred nine"), "references": [words("nine hundred ninety nine"),
                                                                   words("nine nine hundred")], "n": 1},
        {"hypothesis": words("a b c a b c"), "references": [words("a b c d"), words("c a b")], "n": 3},
        {"hypothesis": words("two"), "references": [words("two hundred")], "n": 2},
    ]


def _grams(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _unclipped(hypothesis, references, n):
    seen = set().union(*(_grams(r, n) for r in references))
    return sum(c for gram, c in _grams(hypothesis, n).items() if gram in seen)


def _summed_refs(hypothesis, references, n):
    total = Counter()
    for r in references:
        total += _grams(r, n)
    return sum(min(c, total[gram]) for gram, c in _grams(hypothesis, n).items())


def _first_ref(hypothesis, references, n):
    return clipped_matches(hypothesis, references[:1], n)


def _distinct(hypothesis, references, n):
    most = Counter()
    for r in references:
        most |= _grams(r, n)
    return sum(1 for gram in _grams(hypothesis, n) if most[gram])


CLIPPED = Exercise(
    key="47.clipped_matches", title="clipped_matches",
    signature="clipped_matches(hypothesis: list[str], references: list[list[str]], n) -> int",
    reference=clipped_matches, make_cases=_bleu_cases,
    task="""The numerator of BLEU's n-gram precision for one sentence (Papineni et al., 2002), which Lab 3 took
from `course.metrics.bleu`.

- `hypothesis`: the system's output as a list of word strings; `references`: a list of one or more
  references, each a list of word strings; `n`: `int` ≥ 1.
- An n-gram is a tuple of n consecutive words. Count each distinct n-gram of the hypothesis, but at most as
  many times as it occurs in the **one** reference where it occurs most often (clipping), and return the
  total as a Python `int` (compared exactly). A hypothesis shorter than n has no n-grams: 0.""",
    mistakes=[
        Mistake("unclipped", "clip: \"the the the the\" against one reference with two \"the\" gets 2 matches, "
                "not 4.", _unclipped),
        Mistake("summed_refs", "clip at the largest count in any ONE reference, not at the sum over the "
                "references.", _summed_refs),
        Mistake("first_ref", "look at every reference: an n-gram may occur only in the second one.", _first_ref),
        Mistake("distinct", "a repeated n-gram can match several times, up to its clipped count: count "
                "occurrences, not distinct n-grams.", _distinct),
    ])

EXERCISES = [BEAM_STEP, CLIPPED]

QUIZ = Quiz([
    Question("47.q1", "The common answer says the encoder turns the input into “一个固定长度的嵌入向量”. What does a "
                      "Transformer decoder actually receive from its encoder?", (
        Option("One fixed-length vector summarizing the whole source sentence", False,
               "That is the RNN encoder–decoder without attention (2014). Lab 2 prints the memory's shape: "
               "one vector per source token."),
        Option("One vector per source token, each read by cross-attention", True,
               "S × d numbers that grow with the source; hiding any one of them changes many outputs (Lab 2)."),
        Option("The mean of the encoder states, a fixed-size sentence embedding", False,
               "Pooling is what a sentence classifier does; a seq2seq decoder attends to every state separately."),
        Option("Only the encoder state at the output word's own position", False,
               "That is a hard one-to-one alignment; cross-attention weighs all S states at every step, and Lab 2's "
               "\"seventeen\" draws on two source digits."),
    ), misconception=True),
    Question("47.q2", "During training with teacher forcing, what is the decoder's input at position t?", (
        Option("Its own prediction from position t − 1, as at inference", False,
               "That is free running, the inference regime; training would then need T sequential passes."),
        Option("The true target token t − 1 (the target shifted right)", True,
               "So one pass under a causal mask scores every position at once (Lab 1)."),
        Option("The true target token t, hidden by the causal mask", False,
               "Position t's own target is what it must predict; its input is token t − 1."),
    )),
    Question("47.q3", "In Lab 1, feeding the decoder one wrong first word (the rest of the history true) dropped its "
                      "accuracy on the following words from 0.997 to 0.588. Why?", (
        Option("Training fed it only correct prefixes, never a wrong word", True,
               "Teacher forcing never shows a wrong history, so the decoder has not learnt to recover from one; "
               "free running feeds back its own errors (exposure bias)."),
        Option("The causal mask hides the wrong word, so the decoder loses its place", False,
               "The causal mask hides only later positions; the wrong word is read, and that is the problem."),
        Option("A wrong word shifts every later target by one position", False,
               "The wrong word replaces the first one; every later word stays at its own position."),
    )),
    Question("47.q4", "Lab 3 decoded the held-out numbers with beams of width 1 to 8. What did the wider beams do "
                      "to exact match?", (
        Option("Raised it step by step, since a wider search finds better outputs", False,
               "A wider search finds more *probable* outputs; better ones only if the model's ranking is right. "
               "Here the stored sweep shows no gain."),
        Option("Nothing: the remaining errors are the model's own top choices", True,
               "Exact match is the same at every width, early and late in training; search cannot fix what the "
               "model ranks first."),
        Option("Lowered it, since wider beams favour shorter outputs", False,
               "Wider beams do favour short outputs in translation (Koehn & Knowles, 2017); here scores are divided "
               "by length, and exact match did not move."),
    )),
    Question("47.q5", "What does corpus BLEU compute?", (
        Option("The fraction of generated outputs identical to their reference", False,
               "That is exact match; BLEU gives partial credit for shared n-grams."),
        Option("Token accuracy, position by position, against the reference", False,
               "BLEU ignores positions: it counts n-grams wherever they occur."),
        Option("Clipped 1–4-gram precisions, geometric mean, brevity penalty", True,
               "Pooled over the corpus (Papineni et al., 2002); equal to sacrebleu in Lab 3."),
    )),
])
