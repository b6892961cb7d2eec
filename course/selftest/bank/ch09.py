"""Self-test of chapter 9: BLEU's clipped matches with several references, and multiple-choice scoring
with length normalization."""
from __future__ import annotations

from collections import Counter

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz

_WORDS = ("the", "cat", "dogs", "see", "a", "bird", "sings", ".")


def clipped_matches(hypothesis: str, references: list[str], n: int) -> int:
    """Σ over the hypothesis n-grams g of min(count in hypothesis, max over references of count in it)."""
    def grams(text):
        tokens = text.split()
        return Counter(zip(*(tokens[k:] for k in range(n))))

    ceiling = Counter()
    for ref in references:
        ceiling |= grams(ref)                     # | keeps the larger count of each n-gram
    return sum((grams(hypothesis) & ceiling).values())


def _sentence(g, length):
    return " ".join(_WORDS[int(i)] for i in torch.randint(0, 5, (length,), generator=g))


def _bleu_cases(g):
    cases = [{"hypothesis": "the the the the cat sat", "references": ["the cat sat", "the the", "a cat"], "n": 1},
             {"hypothesis": "the cat the cat the cat sees", "references": ["the cat sees a cat", "a dog the cat"],
              "n": 2}]
    for n, n_refs, length in ((1, 2, 9), (2, 3, 10), (3, 2, 12), (4, 3, 14), (1, 4, 7)):
        cases.append({"hypothesis": _sentence(g, length), "references": [_sentence(g, length + int(k) - 1)
                                                                          for k in range(n_refs)], "n": n})
    return cases


def _unclipped(hypothesis, references, n):
    ceiling = set().union(*(_grams(r, n) for r in references))
    return sum(c for gram, c in _grams(hypothesis, n).items() if gram in ceiling)


def _grams(text, n):
    tokens = text.split()
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _summed_refs(hypothesis, references, n):
    ceiling = sum((_grams(r, n) for r in references), Counter())
    return sum(min(c, ceiling[gram]) for gram, c in _grams(hypothesis, n).items())


def _first_ref(hypothesis, references, n):
    return clipped_matches(hypothesis, references[:1], n)


def _min_over_refs(hypothesis, references, n):
    total = 0
    for gram, c in _grams(hypothesis, n).items():
        total += min([c] + [_grams(r, n)[gram] for r in references])
    return total


def _unigrams_always(hypothesis, references, n):
    return clipped_matches(hypothesis, references, 1)


CLIPPED = Exercise(
    key="09.clipped_matches", title="clipped_matches",
    signature="clipped_matches(hypothesis: str, references: list[str], n: int) -> int",
    reference=clipped_matches, make_cases=_bleu_cases,
    task="""The numerator of BLEU's n-gram precision for one sentence with **several** references.
Tokens are the whitespace-separated words (`text.split()`); an n-gram is a tuple of `n` consecutive tokens.

For every distinct n-gram of the hypothesis, count it in the hypothesis and clip that count at the
**largest** number of times it occurs in any **single** reference; return the sum of the clipped counts.

- `hypothesis`: str; `references`: a non-empty list of str; `n`: int ≥ 1 (the checks use 1 to 4).
- Return an `int` (compared exactly). Example: hypothesis `"the the the cat"`, references `["the cat sat",
  "the the"]`, `n=1` → `the` clipped at 2 (second reference) + `cat` 1 = 3.""",
    mistakes=[
        Mistake("unigrams_always", "count n-grams of the given `n`, not single words.", _unigrams_always),
        Mistake("unclipped", "clip each count: an n-gram repeated in the hypothesis earns at most as many matches "
                "as it has in one reference (\"the the the\" must not score 3 against \"the cat\").", _unclipped),
        Mistake("summed_refs", "the ceiling is the maximum count over the references, not their sum: several "
                "references give alternatives, not extra copies.", _summed_refs),
        Mistake("min_over_refs", "take the maximum over the references; the minimum would make an n-gram count "
                "only if every reference has it.", _min_over_refs),
        Mistake("first_ref", "use every reference in `references`, not only the first.", _first_ref),
    ])


def choose_option(token_logprobs: list[torch.Tensor], options: list[str], normalize: str = "none") -> int:
    """argmax over options of Σ log p, divided by the option's number of tokens ("token") or of
    characters ("char") when normalizing."""
    divisors = {"none": [1] * len(options),
                "token": [lp.numel() for lp in token_logprobs],
                "char": [len(text) for text in options]}[normalize]
    totals = torch.tensor([float(lp.sum()) / d for lp, d in zip(token_logprobs, divisors)])
    return int(torch.argmax(totals))


def _choice_cases(g):
    """Options whose three scores (sum, per token, per character) pick three different answers, so that
    every rule and every mistake is told apart; the last case has two options only."""
    cases = []
    for k, normalize in ((4, "none"), (4, "token"), (4, "char"), (3, "char"), (5, "token"), (2, "char")):
        while True:
            lengths = torch.randint(1, 6, (k,), generator=g).tolist()
            logps = [-torch.rand(t, generator=g) * 3 for t in lengths]
            options = ["x" * int(torch.randint(2, 30, (1,), generator=g)) for _ in range(k)]
            picks = {choose_option(logps, options, rule) for rule in ("none", "token", "char")}
            mean_prob = int(torch.tensor([float(lp.exp().mean()) for lp in logps]).argmax())
            lowest = int(torch.tensor([float(lp.sum()) for lp in logps]).argmin())
            if len(picks) == min(k, 3) and (k < 4 or mean_prob not in picks | {lowest}):
                break
        case = {"token_logprobs": logps, "options": options}
        if normalize != "none" or k == 4:
            case["normalize"] = normalize
        cases.append(case)
    return cases


def _argmin(token_logprobs, options, normalize="none"):
    divisors = {"none": [1] * len(options), "token": [lp.numel() for lp in token_logprobs],
                "char": [len(t) for t in options]}[normalize]
    return int(torch.tensor([float(lp.sum()) / d for lp, d in zip(token_logprobs, divisors)]).argmin())


def _always_sum(token_logprobs, options, normalize="none"):
    return choose_option(token_logprobs, options, "none")


def _tokens_for_chars(token_logprobs, options, normalize="none"):
    return choose_option(token_logprobs, options, "none" if normalize == "none" else "token")


def _chars_for_tokens(token_logprobs, options, normalize="none"):
    return choose_option(token_logprobs, options, "none" if normalize == "none" else "char")


def _mean_prob(token_logprobs, options, normalize="none"):
    return int(torch.tensor([float(lp.exp().mean()) for lp in token_logprobs]).argmax())


CHOOSE = Exercise(
    key="09.choose_option", title="choose_option",
    signature="choose_option(token_logprobs: list[tensor], options: list[str], normalize='none') -> int",
    reference=choose_option, make_cases=_choice_cases,
    task="""The answer a likelihood-based harness gives to one multiple-choice question. Option `k` has
per-token log-probabilities `token_logprobs[k]` (float32, shape `(T_k,)`, natural log, all ≤ 0) and text
`options[k]`. Score each option by the sum of its log-probabilities, divided by

- `normalize="none"`: 1 (the plain sum, harnesses' `acc`);
- `normalize="token"`: its number of tokens `T_k` (the mean per token);
- `normalize="char"`: its number of characters `len(options[k])` (harnesses' `acc_norm`);

and return the index (a Python `int`, compared exactly) of the highest score; the checks have no ties.
`token_logprobs` and `options` have the same length K ≥ 2; character counts and token counts differ.""",
    mistakes=[
        Mistake("always_sum", "apply the `normalize` you are given: divide the sum by the option's length.",
                _always_sum),
        Mistake("tokens_for_chars", "for normalize=\"char\" divide by the option's number of characters "
                "(len(options[k])), not its number of tokens.", _tokens_for_chars),
        Mistake("chars_for_tokens", "for normalize=\"token\" divide by the number of tokens, T_k.", _chars_for_tokens),
        Mistake("mean_prob", "score log-probabilities (sum of logs), not the mean of probabilities.", _mean_prob),
        Mistake("argmin", "log-probabilities are ≤ 0: the most likely option has the *highest* (least negative) "
                "score — take the argmax.", _argmin),
    ])

EXERCISES = [CLIPPED, CHOOSE]

QUIZ = Quiz([
    Question("09.q1", "The common answer says “the lower the loss, the better the model”. A character-level model "
                      "has perplexity 7.4, a word-level one 9.3, on the same text. Which is the better model?", (
        Option("The character model: its perplexity is lower", False,
               "Per-token perplexities of different vocabularies are not comparable: in Lab 1 the char bigram has "
               "the lowest perplexity and the highest bits per character."),
        Option("Unknown until both are measured in bits per byte", True,
               "Divide each model's total NLL by the same text's size (bytes · ln 2); Lab 1 shows the ranking "
               "can reverse."),
        Option("The word model: its tokens carry more information each", False,
               "Vocabulary size decides nothing by itself; the total likelihood of the same text does."),
    ), misconception=True),
    Question("09.q2", "Why does BLEU clip n-gram counts and add a brevity penalty?", (
        Option("To keep repeats and short outputs from scoring high", True,
               "Clipping caps each n-gram at its count in a reference; the penalty exp(1 − r/c) hits outputs "
               "shorter than the references, which precision alone would reward."),
        Option("To measure meaning, not only surface words", False,
               "BLEU stays a surface n-gram overlap; paraphrases score low (Lab 3)."),
        Option("To make the corpus score the mean of the sentence scores", False,
               "Corpus BLEU pools counts before dividing; Lab 3 prints a different mean of sentence scores."),
    )),
    Question("09.q3", "Scoring multiple-choice options by their *summed* log-likelihood tends to…", (
        Option("…favour longer options, since they carry more information", False,
               "Each extra token adds a negative term: the sum favours short options."),
        Option("…favour short options, since each token adds a negative term", True,
               "Lab 4: on completion the summed score loses to the per-token mean, its wrong picks being short scrambles."),
        Option("…give the same choice as the per-token mean when options differ in length", False,
               "They agree only when all options have the same length; Lab 4 measures them apart."),
    )),
    Question("09.q4", "A detector of a rare class (10 % of examples) reaches 90 % accuracy. What do you know?", (
        Option("Little: never predicting the class also gets 90 %", True,
               "Lab 2's do-nothing baseline scores 0.90 accuracy with F1 0; report precision, recall and F1."),
        Option("That it is good, since 90 % is far above the 50 % of a coin flip", False,
               "Always answering the majority label is already 90 % here; a coin flip is the wrong baseline."),
        Option("That its F1 score is also about 0.9", False,
               "F1 of the rare class can be 0 at 90 % accuracy (Lab 2)."),
    )),
    Question("09.q5", "Why must validation text be text the model never trained on?", (
        Option("Seen text is scored above the model's real skill", True,
               "Lab 1: the GPT's perplexity on validation lines that were in its pretraining text is lower than "
               "on lines it never saw — contamination flatters the model."),
        Option("It need not: likelihood is unaffected by training", False,
               "Training raises the likelihood of exactly the text it saw (Lab 1)."),
        Option("Because seen text makes the loss higher", False,
               "Lower, not higher: the model fits what it has seen."),
    )),
])
