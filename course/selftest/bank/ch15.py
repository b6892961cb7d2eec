"""Self-test of chapter 15: the ceiling of in-context lookup, and the effective weights of a data mixture."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def icl_ceiling(n_symbols: int, k: int) -> float:
    """Best expected accuracy after k examples drawn uniformly with replacement: the query was shown
    (probability 1 − (1 − 1/n)^k) or is guessed (1/n)."""
    miss = (1 - 1 / n_symbols) ** k
    return (1 - miss) + miss / n_symbols


def _ceiling_cases(g):
    return [{"n_symbols": n, "k": k} for n, k in ((8, 0), (8, 11), (8, 1), (2, 3), (26, 40), (5, 7))]


ICL_CEILING = Exercise(
    key="15.icl_ceiling", title="icl_ceiling",
    signature="icl_ceiling(n_symbols, k) -> float",
    reference=icl_ceiling, make_cases=_ceiling_cases,
    task=(
        "Lab 3's task: a random function f maps `n_symbols` inputs to `n_symbols` outputs, each output drawn "
        "uniformly and independently. The prompt holds `k` example pairs whose inputs are drawn uniformly "
        "**with replacement**, then a query input drawn the same way. A perfect in-context learner answers "
        "f(query) when the query appeared among the examples and otherwise guesses an output uniformly.\n\n"
        "Return its expected accuracy as a Python `float` (`n_symbols` ≥ 1 and `k` ≥ 0 are `int`). "
        "Checked to a relative tolerance of 1e-4."),
    mistakes=[
        Mistake("no_guessing", "an unseen query is still right by chance 1/n_symbols of the time.",
                lambda n_symbols, k: 1 - (1 - 1 / n_symbols) ** k),
        Mistake("distinct_examples", "inputs are drawn with replacement, so k examples need not cover k "
                "different inputs: the query is missed with probability (1 − 1/n)^k.",
                lambda n_symbols, k: min(1.0, k / n_symbols) + max(0.0, 1 - k / n_symbols) / n_symbols),
        Mistake("chance_only", "the examples carry information: a query seen among them is answered exactly.",
                lambda n_symbols, k: 1 / n_symbols),
    ])


def effective_weights(tokens: torch.Tensor, epochs: torch.Tensor, budget: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The share of the `budget` tokens each source must have had to be read `epochs` times, and the shares' sum."""
    weights = epochs * tokens / budget
    return weights, weights.sum()


def _weight_cases(g):
    cases = [{"tokens": torch.tensor([410e9, 19e9, 12e9, 55e9, 3e9], dtype=torch.float64),
              "epochs": torch.tensor([0.44, 2.9, 1.9, 0.43, 3.4], dtype=torch.float64), "budget": 300e9},
             {"tokens": torch.tensor([100.0, 50.0]), "epochs": torch.tensor([3.0, 2.0]), "budget": 400.0},
             {"tokens": torch.tensor([7e6]), "epochs": torch.tensor([0.5]), "budget": 1e6}]
    n = int(torch.randint(2, 6, (1,), generator=g))
    cases.append({"tokens": torch.rand(n, generator=g, dtype=torch.float64) * 1e9 + 1e8,
                  "epochs": torch.rand(n, generator=g, dtype=torch.float64) * 3 + 0.1, "budget": 2e9})
    return cases


def _normalised(tokens, epochs, budget):
    w = epochs * tokens
    return w / w.sum(), (w / w.sum()).sum()


def _inverted(tokens, epochs, budget):
    w = budget / (epochs * tokens)
    return w, w.sum()


def _no_epochs(tokens, epochs, budget):
    w = tokens / budget
    return w, w.sum()


EFFECTIVE_WEIGHTS = Exercise(
    key="15.effective_weights", title="effective_weights",
    signature="effective_weights(tokens (S,), epochs (S,), budget) -> (weights (S,), total ())",
    reference=effective_weights, make_cases=_weight_cases,
    task=(
        "Lab 2 went from the paper's sampling weights to epochs. Go the other way: a model trained on `budget` "
        "tokens (a `float`) drawn from S sources; source i holds `tokens[i]` tokens and, the paper says, was "
        "read `epochs[i]` times. Recover the **effective weight** of each source — the share of the budget it "
        "must have supplied — without normalising anything, and their sum.\n\n"
        "- `tokens`, `epochs`: 1-D float tensors of shape `(S,)` (float32 or float64);\n"
        "- return a pair `(weights, total)`: `weights` a float tensor `(S,)` of the same dtype, `total` their "
        "sum as a 0-d tensor. Checked to a relative tolerance of 1e-4.\n\n"
        "Then call it on GPT-3's five sources (`GPT3_DATA_MIX`, `s.tokens` and `s.epochs`, budget 300e9) and "
        "print both: which source's effective weight is furthest from its printed weight, and do the paper's "
        "epochs account for the whole budget?"),
    mistakes=[
        Mistake("normalised", "do not normalise: a total that is not 1 is the finding — it says the epochs "
                "and the budget do not fit together exactly.", _normalised),
        Mistake("inverted", "tokens read from a source = epochs × its size; its share is that ÷ budget, "
                "not the other way round.", _inverted),
        Mistake("no_epochs", "the share of the data (tokens ÷ budget) is not the share of training: multiply "
                "by how many times the source was read.", _no_epochs),
    ])

EXERCISES = [ICL_CEILING, EFFECTIVE_WEIGHTS]

QUIZ = Quiz([
    Question("15.q1", "The common answer says GPT-2 has “约 1.5 亿” parameters. How large is the largest "
                      "GPT-2?", (
        Option("About 150 million (1.5 亿)", False,
               "That is the common answer's figure, ten times too small: 1.5 亿 is 150M."),
        Option("About 1.5 billion (15 亿): 48 layers of 1600", True,
               "Lab 1 counts 1,557,611,200 — the paper's 1542M, corrected to 1558M."),
        Option("About 117 million, as the paper's first row says", False,
               "That is the smallest GPT-2, and even it counts 124M."),
        Option("About 175 billion, the same as GPT-3's largest", False,
               "GPT-3 175B is over 100 times GPT-2 XL."),
    ), misconception=True),
    Question("15.q2", "Why do GPT-2's released checkpoints count 124M … 1558M when its paper says "
                      "117M … 1542M?", (
        Option("The released models were retrained with more layers", False,
               "The shapes are the paper's (Lab 1 builds them from Table 2's layers and widths)."),
        Option("The paper miscounted; OpenAI later corrected it", True,
               "The repository says so, without saying what the error was. Counting with GPT-1's 40,478-token "
               "vocabulary and 512 positions is consistent with the paper's numbers, within half a percent "
               "(Lab 1) — a likely explanation, not a confirmed one."),
        Option("The paper left out the output layer's weights", False,
               "The output layer is tied to the token embeddings: it adds no parameters."),
    )),
    Question("15.q3", "What did GPT-2 train on?", (
        Option("BookCorpus plus a web corpus, as for GPT-1", False,
               "BookCorpus was GPT-1's data; the common answer mixes the two up."),
        Option("A weighted mix led by filtered Common Crawl", False, "That is GPT-3's training mix (Lab 2)."),
        Option("WebText: text of ~8M web pages linked from Reddit", True,
               "Radford et al. (2019), §2.1: 40 GB, links with at least 3 karma, Wikipedia removed (Lab 2's "
               "as-reported table)."),
        Option("English Wikipedia plus BooksCorpus, 3.3B words in all", False, "That is BERT's pretraining data."),
    )),
    Question("15.q4", "In GPT-3's few-shot setting, what happens to the model when examples are added to "
                      "the prompt?", (
        Option("It takes a few gradient steps on the examples", False,
               "That would be fine-tuning. In-context learning updates nothing."),
        Option("Nothing in the weights changes: the examples are only extra input", True,
               "Lab 3's model runs under inference_mode and still goes from chance to the ceiling."),
        Option("It stores the examples in its weights, so later prompts benefit too", False,
               "Nothing is written anywhere: a later prompt without the examples gets no help from them."),
    )),
    Question("15.q5", "In Lab 3, how does the frozen model do on queries whose input did not appear among "
                      "the examples in its prompt?", (
        Option("About chance (1/8): the prompt lacks f(x)", True,
               "f(x) of an unseen x is random and independent of the prompt, so no model can do better in "
               "expectation; Lab 3 prints the model's rate with its standard error."),
        Option("Near 100 %: it memorised the mappings in training", False,
               "The test mappings were never seen in training (Lab 3 counts them)."),
        Option("Near 0 %: it copies another example", False,
               "Lab 3 measures it at about chance, not below: with no example to copy, it guesses."),
    )),
])
