"""Self-test of chapter 23: positive PMI (what skip-gram factorizes) and the 3CosAdd analogy."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def ppmi(counts: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Shifted positive PMI: max(0, log(X_ij · N / (X_i· · X_·j)) − log k), and 0 where X_ij = 0."""
    total = counts.sum()
    rows, cols = counts.sum(1, keepdim=True), counts.sum(0, keepdim=True)
    pmi = torch.log(counts * total / (rows * cols)) - torch.log(torch.tensor(float(k)))
    return torch.where(counts > 0, pmi.clamp(min=0), torch.zeros_like(pmi))


def _ppmi_cases(g):
    cases = []
    for v, w, k, density in ((5, 5, 1, 0.7), (6, 4, 5, 0.6), (3, 7, 2, 1.0), (8, 8, 10, 0.5)):
        counts = torch.randint(1, 30, (v, w), generator=g).float() * (torch.rand(v, w, generator=g) < density)
        counts[0, 0] = 40.0                                     # every row and column keeps a count
        counts[:, 0] += 1
        counts[0, :] += 1
        cases.append({"counts": counts, "k": k})
    return cases


def _no_clip(counts, k=1):
    total = counts.sum()
    pmi = torch.log(counts * total / (counts.sum(1, keepdim=True) * counts.sum(0, keepdim=True))) - torch.log(
        torch.tensor(float(k)))
    return torch.where(counts > 0, pmi, torch.zeros_like(pmi))


def _no_total(counts, k=1):
    return _shifted(torch.log(counts / (counts.sum(1, keepdim=True) * counts.sum(0, keepdim=True))), counts, k)


def _shifted(pmi, counts, k):
    pmi = pmi - torch.log(torch.tensor(float(k)))
    return torch.where(counts > 0, pmi.clamp(min=0), torch.zeros_like(pmi))


def _log2(counts, k=1):
    pmi = torch.log2(counts * counts.sum() / (counts.sum(1, keepdim=True) * counts.sum(0, keepdim=True)))
    return torch.where(counts > 0, (pmi - torch.log2(torch.tensor(float(k)))).clamp(min=0), torch.zeros_like(pmi))


PPMI = Exercise(
    key="23.ppmi", title="ppmi",
    signature="ppmi(counts (V, W), k=1) -> (V, W)",
    reference=ppmi, make_cases=_ppmi_cases,
    task=(
        "Return the **shifted positive PMI** matrix of a co-occurrence table — the matrix that skip-gram with "
        "`k` negative samples implicitly factorizes (Levy & Goldberg, 2014).\n\n"
        "- `counts`: `(V, W)` float32, `counts[i, j]` = how often word i was seen with context j (≥ 0; not "
        "necessarily square or symmetric). `k`: `int` ≥ 1, the number of negative samples.\n"
        "- With N the sum of all counts, X_i· the sum of row i and X_·j the sum of column j: "
        "PMI_ij = ln(X_ij · N / (X_i· · X_·j)) − ln k (natural logarithm).\n"
        "- Return `max(0, PMI_ij)` as a `(V, W)` float32 tensor, and exactly `0` where `counts[i, j] == 0` "
        "(never −inf or nan)."),
    mistakes=[
        Mistake("no_clip", "keep only the positive part: max(0, PMI). Negative PMI of rare pairs is mostly noise.",
                _no_clip),
        Mistake("no_shift", "subtract ln k: k negative samples shift the optimum of skip-gram by ln k.",
                lambda counts, k=1: ppmi(counts, 1)),
        Mistake("log2", "use the natural logarithm (torch.log), as the task says: log2 scales every value.",
                _log2),
        Mistake("no_total", "PMI compares p(i, j) with p(i)·p(j): multiply X_ij by the total N.", _no_total),
    ])


def analogy_index(vectors: torch.Tensor, a: int, b: int, c: int) -> int:
    """a : b :: c : ? — the row closest in cosine to unit(b) − unit(a) + unit(c), a, b, c excluded."""
    unit = vectors / vectors.norm(dim=1, keepdim=True)
    scores = unit @ (unit[b] - unit[a] + unit[c])
    scores[[a, b, c]] = -float("inf")
    return int(scores.argmax())


def _planted_analogy():
    """A fixed case on which every planted mistake gives a different row, and so does leaving out only c
    (b wins) or only a and b (c wins): b and c point almost the same way, so both beat the blurred answer."""
    def unit(v):
        return v / v.norm()
    a, b, c = torch.tensor([1.0, 0, 0, 0, 0]), torch.tensor([0, 4.0, 0, 0, 0]), torch.tensor([0.4, 4.0, 1.2, 0, 0])
    target = unit(b) - unit(a) + unit(c)
    rows = {"c": c, "long": (unit(target) + torch.tensor([0, 0, 0, 0, 1.3])) * 10,   # wins on raw dot products
            "b": b, "sign": unit(unit(a) - unit(b) + unit(c)) * 0.5,                # wins for b − a swapped
            "filler": torch.tensor([0, 0, 0, -1.0, 1.0]), "a": a,
            "answer": (target + torch.tensor([0, 0, 0, 1.5, 0])) * 0.3}            # cosine 0.82 with the target
    names = list(rows)
    return {"vectors": torch.stack(list(rows.values())), "a": names.index("a"), "b": names.index("b"),
            "c": names.index("c")}


def _analogy_cases(g):
    cases = [_planted_analogy()]
    for v, d, (a, b, c), near in ((20, 6, (0, 1, 2), False), (30, 8, (5, 3, 9), True), (12, 4, (11, 0, 6), False),
                                  (25, 10, (2, 7, 4), True)):
        vectors = torch.randn(v, d, generator=g) * torch.rand(v, 1, generator=g).mul(5).add(0.2)
        if near:                                    # b ≈ a: the target is almost c itself
            vectors[b] = vectors[a] * 2 + 0.1 * torch.randn(d, generator=g)
        answer = (v - 1) if (v - 1) not in (a, b, c) else 1
        offset = vectors[b] / vectors[b].norm() - vectors[a] / vectors[a].norm()
        blur = 0.5 * torch.randn(d, generator=g) / d ** 0.5 if near else 0    # near: c itself is closer still
        vectors[answer] = (vectors[c] / vectors[c].norm() + offset + blur) * 0.3   # short, in about the right direction
        vectors[b] = vectors[b] * 4                                           # long query vectors
        vectors[c] = vectors[c] * 4
        cases.append({"vectors": vectors, "a": a, "b": b, "c": c})
    return cases


def _not_excluded(vectors, a, b, c):
    unit = vectors / vectors.norm(dim=1, keepdim=True)
    return int((unit @ (unit[b] - unit[a] + unit[c])).argmax())


def _raw_vectors(vectors, a, b, c):
    scores = vectors @ (vectors[b] - vectors[a] + vectors[c])
    scores[[a, b, c]] = -float("inf")
    return int(scores.argmax())


ANALOGY = Exercise(
    key="23.analogy_index", title="analogy_index",
    signature="analogy_index(vectors (V, d), a, b, c) -> int",
    reference=analogy_index, make_cases=_analogy_cases,
    task=(
        "Solve the analogy **a : b :: c : ?** by 3CosAdd, as the lab's `course.embeddings.analogy` does, but "
        "on row indices.\n\n"
        "- `vectors`: `(V, d)` float32, one word vector per row (rows have different lengths); `a`, `b`, `c`: "
        "`int` row indices, all different.\n"
        "- Scale every row to unit length, form the target unit(b) − unit(a) + unit(c), and score every row by "
        "its dot product with the target (the cosine up to a constant).\n"
        "- The rows a, b and c themselves are not allowed as answers.\n"
        "- Return the best row's index as a Python `int` (compared exactly)."),
    mistakes=[
        Mistake("not_excluded", "exclude a, b and c: the target lies close to b and c, so they would win.",
                _not_excluded),
        Mistake("raw_vectors", "normalise the rows first: with raw dot products, long vectors (frequent words) "
                "win whatever their direction.", _raw_vectors),
        Mistake("sign", "the offset goes from a to b: target = b − a + c.",
                lambda vectors, a, b, c: analogy_index(vectors, b, a, c)),
    ])

EXERCISES = [PPMI, ANALOGY]

QUIZ = Quiz([
    Question("23.q1", "The common answer says word embeddings “可以捕捉到词在不同上下文中的变化”. For word2vec or "
                      "GloVe, is that right?", (
        Option("Yes: each occurrence of a word gets a vector from its sentence", False,
               "That is what a contextual encoder does. Word2vec and GloVe keep one row per word type (Lab 3)."),
        Option("No: they give each word one vector, whatever the sentence", True,
               "A static table. Lab 3: the tiny BERT's vectors for “the” tell the following noun's number "
               "apart, the lookup table cannot."),
        Option("Yes, once the window is wide enough to cover the sentence", False,
               "The window changes what the single vector averages over, not how many vectors a word has."),
    ), misconception=True),
    Question("23.q2", "The common answer says GloVe uses “矩阵分解技术，如 SVD”. What does GloVe fit?", (
        Option("A truncated SVD of the raw co-occurrence count matrix", False,
               "That is LSA-style factorization; GloVe neither uses SVD nor raw counts."),
        Option("A weighted least-squares fit to log co-occurrence counts", True,
               "f(X) caps frequent pairs and zeroes absent ones; with f ≡ 1 and no biases it would be the SVD "
               "problem (Lab 2 checks that case against torch.linalg.svd)."),
        Option("A neural network predicting each context word from its center", False,
               "That is skip-gram; GloVe regresses the global co-occurrence statistics directly."),
    ), misconception=True),
    Question("23.q3", "In Lab 2, the nearest neighbours of “good” include “boring”. Why?", (
        Option("The embeddings did not train long enough to separate them", False,
               "More training makes it stronger: the words share every context."),
        Option("They fill the same slots and so share context words", True,
               "“the movie was ___”: distributional similarity is not synonymy, and words of opposite "
               "polarity fill the same slots."),
        Option("Negative sampling pushes opposite words towards each other", False,
               "Negatives push random words away; similar contexts pull these two together."),
        Option("They often appear together in the same sentences", False,
               "They never do: each sentiment text holds one polarity word. The vectors are close because the "
               "words' contexts match, not because the words meet."),
    )),
    Question("23.q4", "Skip-gram finds “dog : dogs :: cat : ?” with the right number but rarely the word “cats”. "
                      "What does the corpus lack?", (
        Option("Enough dimensions: 32 cannot hold eight nouns", False,
               "Eight nouns fit easily; the plural direction is found, so capacity is not what limits it."),
        Option("Any context that tells cat apart from dog", True,
               "The grammar draws nouns uniformly, so their contexts are identical; no method can learn a "
               "difference the text does not contain."),
        Option("A bias term, which skip-gram leaves out", False,
               "GloVe has biases and does no better on exact answers in Lab 2."),
    )),
    Question("23.q5", "Why does TF-IDF weigh “the” less than “guitar” in the topic texts of Lab 1?", (
        Option("It is on a built-in stop-word list that TF-IDF down-weights", False,
               "TF-IDF has no list: the weight falls out of the document frequency."),
        Option("It occurs in about half the documents, “guitar” in few", True,
               "IDF = ln((1+N)/(1+df)) + 1 shrinks as df grows; Lab 1 printed both document counts and IDFs. "
               "Low is not zero: “the” keeps a fair weight where it occurs."),
        Option("It is short: TF-IDF divides by word length", False,
               "Rows are normalised to unit length, not words by their letters."),
    )),
])
