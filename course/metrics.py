"""Evaluation metrics, each written out: perplexity, accuracy, P/R/F1, BLEU, entity F1, QA EM/F1."""
from __future__ import annotations

import math
import re
import string
from collections import Counter

from .validate import check_in, check_int, check_same_length

__all__ = ["perplexity", "bits_per_token", "accuracy", "precision_recall_f1", "bleu",
           "bio_entities", "entity_f1", "exact_match", "token_f1", "distinct_n"]


def _check_strings(name: str, value, hint: str = "") -> None:
    """A list of strings, not one string (which would be read one character at a time)."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or \
            not all(isinstance(s, str) for s in value):
        raise TypeError(f"{name} must be a list of strings{hint}, got {type(value).__name__}")


def _labels(name: str, y) -> list:
    """Labels as a plain list. Tensor elements would hash by identity (every 0-dim tensor its own
    class), so tensors and arrays become lists of Python values; 2-D inputs (logits) are refused."""
    if hasattr(y, "tolist") and not isinstance(y, (list, tuple)):
        if getattr(y, "ndim", 1) != 1:
            raise ValueError(f"{name} must be 1-D, one label per example, got shape {tuple(y.shape)}; "
                             f"for logits or probabilities take argmax(-1) first")
        return y.tolist()
    return y


def _check_text(name: str, value) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")


def perplexity(mean_nll: float) -> float:
    """exp(mean negative log-likelihood per token, in nats). A uniform guess over V tokens gives V."""
    if isinstance(mean_nll, bool) or not isinstance(mean_nll, (int, float)) or not mean_nll >= 0:  # NaN too
        raise ValueError(f"mean_nll must be a non-negative number (nats per token), got {mean_nll!r}")
    return math.exp(mean_nll)


def bits_per_token(mean_nll: float) -> float:
    """The same loss in bits: nats / ln 2 (bits per character for a character model)."""
    perplexity(mean_nll)
    return mean_nll / math.log(2)


def accuracy(y_true, y_pred) -> float:
    y_true, y_pred = _labels("y_true", y_true), _labels("y_pred", y_pred)
    check_same_length("y_true", y_true, "y_pred", y_pred)
    if not len(y_true):
        raise ValueError("y_true must not be empty")
    return sum(int(a == b) for a, b in zip(y_true, y_pred)) / len(y_true)


def precision_recall_f1(y_true, y_pred, positive=1, average: str = "binary") -> tuple[float, float, float]:
    """Precision, recall and F1. ``average="binary"`` for the ``positive`` class, ``"macro"`` averages
    the per-class scores, ``"micro"`` pools all decisions (equal to accuracy for single-label tasks)."""
    y_true, y_pred = _labels("y_true", y_true), _labels("y_pred", y_pred)
    check_same_length("y_true", y_true, "y_pred", y_pred)
    check_in("average", average, ("binary", "macro", "micro"))

    def prf(cls):
        tp = sum(1 for t, p in zip(y_true, y_pred) if t == cls and p == cls)
        fp = sum(1 for t, p in zip(y_true, y_pred) if t != cls and p == cls)
        fn = sum(1 for t, p in zip(y_true, y_pred) if t == cls and p != cls)
        return tp, fp, fn

    def scores(tp, fp, fn):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    if average == "binary":
        return scores(*prf(positive))
    classes = sorted(set(y_true) | set(y_pred), key=str)
    if average == "micro":
        return scores(*map(sum, zip(*(prf(c) for c in classes))))
    per_class = [scores(*prf(c)) for c in classes]
    return tuple(sum(s[i] for s in per_class) / len(per_class) for i in range(3))


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu(hypotheses: list[str], references: list[list[str]], max_n: int = 4) -> float:
    """Corpus BLEU (Papineni et al., 2002) on whitespace tokens, 0–100, no smoothing.

    references[j][i] is the j-th reference of sentence i (sacrebleu's layout). Clipped n-gram
    precisions for n = 1..4 are pooled over the corpus, combined by a geometric mean, times the
    brevity penalty exp(1 − r/c) when the hypotheses are shorter than the closest references.
    """
    check_int("max_n", max_n, minimum=1)
    _check_strings("hypotheses", hypotheses)
    if isinstance(references, str) or not isinstance(references, (list, tuple)):
        raise TypeError(f"references must be a list of reference streams, got {type(references).__name__}")
    for j, stream in enumerate(references):
        _check_strings(f"references[{j}]", stream, hint=" (references[j][i] is the j-th reference of "
                                                            "sentence i: wrap a single stream as [refs])")
    if not references or any(len(r) != len(hypotheses) for r in references):
        raise ValueError("references must be a list of reference streams, each as long as hypotheses")
    matches, totals = [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for i, hyp in enumerate(hypotheses):
        h = hyp.split()
        refs = [r[i].split() for r in references]
        hyp_len += len(h)
        ref_len += min((abs(len(r) - len(h)), len(r)) for r in refs)[1]   # closest length, ties shorter
        for n in range(1, max_n + 1):
            max_ref = Counter()
            for r in refs:
                max_ref |= _ngrams(r, n)
            counts = _ngrams(h, n)
            matches[n - 1] += sum(min(c, max_ref[g]) for g, c in counts.items())
            totals[n - 1] += max(len(h) - n + 1, 0)
    if hyp_len == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return 100 * brevity * math.exp(log_precision)


def bio_entities(tags: list[str]) -> set[tuple[str, int, int]]:
    """Entities (type, start, end exclusive) from BIO tags, read like conlleval/seqeval: an I- tag
    whose type differs from the current entity (or that follows O) starts a new entity."""
    entities, kind, start = set(), None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, typ = tag.partition("-")
        if prefix not in ("B", "I", "O"):
            raise ValueError(f"tag {tag!r} at position {i} is not a BIO tag (B-X, I-X or O)")
        begins = prefix == "B" or (prefix == "I" and typ != kind)
        if kind is not None and (prefix == "O" or begins):
            entities.add((kind, start, i))
            kind = None
        if begins:
            kind, start = typ, i
    return entities


def entity_f1(true_tags: list[list[str]], pred_tags: list[list[str]]) -> tuple[float, float, float]:
    """Entity-level precision, recall, F1 over sentences: an entity counts only if type and both
    boundaries match exactly (micro-averaged, as seqeval's default)."""
    check_same_length("true_tags", true_tags, "pred_tags", pred_tags)
    tp = n_true = n_pred = 0
    for i, (t, p) in enumerate(zip(true_tags, pred_tags)):
        check_same_length(f"true_tags[{i}]", t, f"pred_tags[{i}]", p)
        et, ep = bio_entities(t), bio_entities(p)
        tp, n_true, n_pred = tp + len(et & ep), n_true + len(et), n_pred + len(ep)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if tp else 0.0)


def _normalize_answer(text: str) -> list[str]:
    """SQuAD's normalization: lower case, drop punctuation and articles, split on whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return re.sub(r"\b(a|an|the)\b", " ", text).split()


def exact_match(prediction: str, truth: str) -> float:
    _check_text("prediction", prediction)
    _check_text("truth", truth)
    return float(_normalize_answer(prediction) == _normalize_answer(truth))


def token_f1(prediction: str, truth: str) -> float:
    """Overlap F1 of normalized answer tokens (Rajpurkar et al., 2016)."""
    _check_text("prediction", prediction)
    _check_text("truth", truth)
    p, t = _normalize_answer(prediction), _normalize_answer(truth)
    if not p or not t:
        return float(p == t)
    common = sum((Counter(p) & Counter(t)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(t)
    return 2 * precision * recall / (precision + recall)


def distinct_n(texts: list[str], n: int = 2) -> float:
    """Distinct-n (Li et al., 2016): distinct n-grams / all n-grams over the whitespace tokens of ``texts``.

    1.0 means no n-gram occurs twice; text stuck in a loop scores near 0. 0.0 when there is no n-gram."""
    _check_strings("texts", texts)
    check_int("n", n, minimum=1)
    grams = Counter()
    for text in texts:
        grams.update(_ngrams(text.split(), n))
    total = sum(grams.values())
    return len(grams) / total if total else 0.0
