"""Self-test of chapter 46: a confusion matrix and macro-averaged F1 read from it."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def confusion_counts(y_true: torch.Tensor, y_pred: torch.Tensor, n_classes: int) -> torch.Tensor:
    """(C, C) int64: entry [i, j] counts the examples of true class i predicted as class j."""
    flat = y_true * n_classes + y_pred
    return torch.bincount(flat, minlength=n_classes * n_classes).view(n_classes, n_classes)


def _confusion_cases(g):
    cases = []
    for n, c in ((30, 4), (12, 3), (50, 2), (8, 5)):           # the last: some classes never occur
        y_true = torch.randint(0, c, (n,), generator=g)
        y_pred = torch.where(torch.rand(n, generator=g) < 0.6, y_true, torch.randint(0, c, (n,), generator=g))
        if c == 5:
            y_true, y_pred = y_true.clamp(max=2), y_pred.clamp(max=3)
        cases.append({"y_true": y_true, "y_pred": y_pred, "n_classes": c})
    return cases


CONFUSION = Exercise(
    key="46.confusion_counts", title="confusion_counts",
    signature="confusion_counts(y_true (N,), y_pred (N,), n_classes) -> (C, C) int64",
    reference=confusion_counts, make_cases=_confusion_cases,
    task=(
        "Count a **confusion matrix**, as the lab's `sklearn.metrics.confusion_matrix` does.\n\n"
        "- `y_true`, `y_pred`: `(N,)` int64 class indices in `0 … n_classes − 1`; `n_classes`: `int`, C.\n"
        "- Return a `(C, C)` int64 tensor whose entry `[i, j]` is the number of examples whose **true** class "
        "is i and whose **predicted** class is j (rows = truth, columns = prediction, scikit-learn's "
        "convention).\n"
        "- Classes that never occur still get their row and column (of zeros): the shape is always (C, C)."),
    mistakes=[
        Mistake("transposed", "rows are the true classes, columns the predictions: [i, j] = true i, predicted j.",
                lambda y_true, y_pred, n_classes: confusion_counts(y_pred, y_true, n_classes)),
        Mistake("too_small", "use n_classes for the shape, not the largest label seen: a class may be absent.",
                lambda y_true, y_pred, n_classes: confusion_counts(
                    y_true, y_pred, int(max(y_true.max(), y_pred.max())) + 1)),
        Mistake("diagonal_only", "count the mistakes too: off-diagonal entries are the confusions.",
                lambda y_true, y_pred, n_classes: torch.diag(torch.bincount(y_true[y_true == y_pred],
                                                                            minlength=n_classes))),
    ])


def macro_f1(confusion: torch.Tensor) -> float:
    """Unweighted mean over classes of F1 = 2PR / (P + R); a class with P + R = 0 scores 0."""
    c = confusion.double()
    tp = c.diag()
    precision = tp / c.sum(0).clamp_min(1)
    recall = tp / c.sum(1).clamp_min(1)
    f1 = torch.where(precision + recall > 0, 2 * precision * recall / (precision + recall).clamp_min(1e-12),
                     torch.zeros_like(tp))
    return float(f1.mean())


def _f1_cases(g):
    # a fixed first case on which macro, micro, weighted and F1-of-means all differ, so a wrong answer is
    # named by the first case it fails
    cases = [{"confusion": torch.tensor([[50, 2, 3], [10, 5, 5], [1, 1, 3]])}]
    for c in (3, 4, 2, 5):
        m = torch.randint(0, 12, (c, c), generator=g) + torch.diag(torch.randint(5, 30, (c,), generator=g))
        if c == 4:
            m[:, 3] = 0                                              # class 3 is never predicted
        if c == 5:
            m[0] *= 8                                                # one big class: macro ≠ weighted
        cases.append({"confusion": m})
    return cases


def _micro(confusion):
    return float(confusion.diag().sum() / confusion.sum())


def _weighted(confusion):
    c = confusion.double()
    tp = c.diag()
    p, r = tp / c.sum(0).clamp_min(1), tp / c.sum(1).clamp_min(1)
    f1 = torch.where(p + r > 0, 2 * p * r / (p + r).clamp_min(1e-12), torch.zeros_like(tp))
    return float((f1 * c.sum(1)).sum() / c.sum())


def _mean_of_p_and_r(confusion):
    c = confusion.double()
    p = (c.diag() / c.sum(0).clamp_min(1)).mean()
    r = (c.diag() / c.sum(1)).mean()
    return float(2 * p * r / (p + r))


MACRO_F1 = Exercise(
    key="46.macro_f1", title="macro_f1",
    signature="macro_f1(confusion (C, C)) -> float",
    reference=macro_f1, make_cases=_f1_cases,
    task=(
        "Return the **macro-averaged F1** of a classifier from its confusion matrix.\n\n"
        "- `confusion`: `(C, C)` int64, `[i, j]` = examples of true class i predicted as j (rows = truth).\n"
        "- For each class: precision = diagonal / column sum, recall = diagonal / row sum, "
        "F1 = 2·P·R / (P + R). A class that is never predicted has precision 0 (not nan); a class with "
        "P + R = 0 has F1 = 0.\n"
        "- Return the plain mean of the C per-class F1 scores as a Python `float` (every class counts the "
        "same, however many examples it has)."),
    mistakes=[
        Mistake("micro", "that is micro-F1, which equals accuracy for single-label tasks: average the per-class "
                "F1 scores instead.", _micro),
        Mistake("weighted", "weighting classes by their size is scikit-learn's average='weighted'; macro gives "
                "every class the same weight.", _weighted),
        Mistake("f1_of_means", "compute F1 per class, then average; not F1 of the averaged P and R.",
                _mean_of_p_and_r),
    ])

EXERCISES = [CONFUSION, MACRO_F1]

QUIZ = Quiz([
    Question("46.q1", "The common answer lists “去除停用词” as a standard cleaning step. What did Lab 2 measure "
                      "on the sentiment task?", (
        Option("It removes noise, so both models gain accuracy", False,
               "That is the common answer's assumption. On sentiment the fine-tuned BERT fell from well above "
               "chance to chance; the bag-of-words baseline was at chance already."),
        Option("It deletes “not” and “never”, and BERT falls to chance", True,
               "scikit-learn's list holds both; “not good” becomes “good”. On topic texts, where the function "
               "words carry no label, the baseline did not move."),
        Option("It only matters for TF-IDF, since BERT ignores stop words", False,
               "BERT reads every token; it used the negation until it was deleted."),
    ), misconception=True),
    Question("46.q2", "The common answer says to embed the tokens with Word2Vec or GloVe before a pretrained BERT. "
                      "What does BERT take as input?", (
        Option("Word2Vec vectors, which BERT then refines layer by layer", False,
               "BERT has its own token embedding table, trained with the rest of it."),
        Option("Token ids, looked up in the model's own embedding table", True,
               "The tokenizer and the embedding table belong to the model; static vectors from elsewhere would "
               "not match its vocabulary or its space."),
        Option("GloVe vectors, with random ones for unknown words", False,
               "That was a recipe for LSTM classifiers before pretrained encoders."),
    ), misconception=True),
    Question("46.q3", "In Lab 1 the TF-IDF + logistic-regression baseline scored at least as well as the fine-tuned "
                      "BERT on topics. What follows?", (
        Option("Pretrained Transformers bring no benefit to text classification at all", False,
               "Lab 2: on sentiment the fine-tuned BERT is far above the baseline, which stays at chance."),
        Option("Keywords suit a linear model; BERT pays off when words interact", True,
               "Topics depend on which words occur; sentiment depends on negation, an interaction a bag of "
               "words cannot express."),
        Option("TF-IDF features are richer than BERT's 128-wide [CLS] vector", False,
               "The [CLS] vector reads the whole text; richness is not what decides here."),
    )),
    Question("46.q4", "Which vector does the course's BertClassifier feed to its classification head?", (
        Option("The average of all token vectors of the last layer", False,
               "Mean pooling is a common alternative; this head reads one position."),
        Option("The last layer's vector at the first ([CLS]) position", True,
               "Through a dense + tanh layer, as BERT's pooler does, then a linear layer to the classes."),
        Option("The last layer's vector at the final token of the text", False,
               "That is where a causal GPT is read, since only its last token has seen the whole text. In a "
               "bidirectional encoder every position sees everything; BertClassifier reads position 0."),
    )),
    Question("46.q5", "A 4-class test set has 90 % of its examples in one class. Which score exposes a classifier "
                      "that always predicts that class?", (
        Option("Accuracy, which counts every example exactly once", False,
               "Lab 1 printed it: 90.0 % for the always-the-big-class answer, flattering a useless classifier."),
        Option("Macro-F1, the unweighted mean of the per-class F1s", True,
               "Lab 1 printed 0.237: the big class scores F1 0.947, the three others 0, and the mean counts "
               "each class once."),
        Option("Micro-F1, which pools every decision before scoring", False,
               "For single-label tasks micro-F1 equals accuracy: Lab 1 printed 0.900."),
    )),
])
