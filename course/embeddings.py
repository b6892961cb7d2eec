"""Word representations: sparse counts (bag of words, TF-IDF) and dense vectors (skip-gram with negative
sampling, a GloVe-style weighted least-squares fit of log co-occurrences), with neighbours and analogies.

Documents are lists of tokens; ``vocab`` is a list of distinct words, whose order fixes the columns.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .validate import check_int, check_positive, check_tensor

__all__ = ["bag_of_words", "tfidf", "cooccurrence", "skipgram_pairs", "sgns_loss", "train_sgns",
           "glove_weights", "fit_glove", "cosine_matrix", "nearest", "analogy", "pca_2d"]


def _check_docs(docs) -> None:
    if not isinstance(docs, (list, tuple)) or not all(isinstance(d, (list, tuple)) for d in docs):
        raise TypeError("docs must be a list of token lists, e.g. [['the', 'dog', 'runs'], ...]; "
                        f"got {type(docs).__name__}" + (f" of {type(docs[0]).__name__}" if docs else ""))
    if not docs:
        raise ValueError("docs must hold at least one document")


def _index(vocab) -> dict[str, int]:
    if not isinstance(vocab, (list, tuple)) or not all(isinstance(w, str) for w in vocab):
        raise TypeError(f"vocab must be a list of words (str), got {type(vocab).__name__}")
    index = {w: i for i, w in enumerate(vocab)}
    if len(index) != len(vocab) or not vocab:
        raise ValueError(f"vocab must be a non-empty list of distinct words, got {len(vocab)} entries "
                         f"with {len(index)} distinct")
    return index


def bag_of_words(docs: list[list[str]], vocab: list[str]) -> torch.Tensor:
    """Counts (N, V): entry [n, v] is how often vocab[v] occurs in docs[n]; words outside vocab are dropped."""
    _check_docs(docs)
    index = _index(vocab)
    counts = torch.zeros(len(docs), len(vocab))
    for n, doc in enumerate(docs):
        for w in doc:
            if w in index:
                counts[n, index[w]] += 1
    return counts


def tfidf(docs: list[list[str]], vocab: list[str]) -> torch.Tensor:
    """TF-IDF (N, V) with scikit-learn's defaults: raw counts × (ln((1 + N) / (1 + df)) + 1), each row
    scaled to unit L2 norm (an empty row stays zero)."""
    counts = bag_of_words(docs, vocab)
    df = (counts > 0).sum(0)                                           # documents containing each word
    idf = torch.log((1 + len(docs)) / (1 + df)) + 1
    weighted = counts * idf
    return weighted / weighted.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _padded_ids(docs, index) -> torch.Tensor:
    """(N, T) int64 word indices, words outside the vocabulary dropped, padded with −1."""
    rows = [[index[w] for w in doc if w in index] for doc in docs]
    ids = torch.full((len(rows), max(1, max(map(len, rows)))), -1, dtype=torch.long)
    for n, row in enumerate(rows):
        ids[n, :len(row)] = torch.tensor(row, dtype=torch.long)
    return ids


def _offset_pairs(ids: torch.Tensor, d: int) -> torch.Tensor:
    """(P, 2) every (word, word d places to its right) pair of the padded rows."""
    left, right = ids[:, :-d].reshape(-1), ids[:, d:].reshape(-1)
    keep = (left >= 0) & (right >= 0)
    return torch.stack([left[keep], right[keep]], 1)


def cooccurrence(docs: list[list[str]], vocab: list[str], window: int = 4) -> torch.Tensor:
    """Symmetric co-occurrence counts (V, V): each pair of words at distance d ≤ window within a document
    adds 1/d (GloVe's weighting of near context over far context). Words outside ``vocab`` are dropped
    first, so distances are counted among the known words."""
    _check_docs(docs)
    index = _index(vocab)
    check_int("window", window, minimum=1)
    ids, v = _padded_ids(docs, index), len(vocab)
    counts = torch.zeros(v * v, dtype=torch.float64)
    for d in range(1, min(window, ids.shape[1] - 1) + 1):
        pairs = _offset_pairs(ids, d)
        for a, b in ((0, 1), (1, 0)):
            counts.index_add_(0, pairs[:, a] * v + pairs[:, b], torch.full((len(pairs),), 1 / d, dtype=torch.float64))
    return counts.view(v, v).float()


def skipgram_pairs(docs: list[list[str]], vocab: list[str], window: int = 2) -> torch.Tensor:
    """(P, 2) int64 (center, context) index pairs: every word with each neighbour at distance ≤ window
    (words outside ``vocab`` dropped first, as in ``cooccurrence``)."""
    _check_docs(docs)
    index = _index(vocab)
    check_int("window", window, minimum=1)
    ids = _padded_ids(docs, index)
    right = [_offset_pairs(ids, d) for d in range(1, min(window, ids.shape[1] - 1) + 1)]
    pairs = torch.cat(right + [p.flip(1) for p in right]) if right else torch.zeros(0, 2, dtype=torch.long)
    if not len(pairs):
        raise ValueError("docs give no (center, context) pair: every document has fewer than 2 known words")
    return pairs


def sgns_loss(center: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
    """Skip-gram negative-sampling loss, mean over the batch:
    −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c).

    center: (B, d) input vectors v_c; context: (B, d) output vectors u_o of the true context words;
    negatives: (B, K, d) output vectors u_k of K sampled words.
    """
    check_tensor("center", center, ndim=2, dtype="float")
    check_tensor("context", context, ndim=2, dtype="float")
    check_tensor("negatives", negatives, ndim=3, dtype="float")
    if context.shape != center.shape or negatives.shape[0] != center.shape[0] or negatives.shape[2] != center.shape[1]:
        raise ValueError(f"context must be (B, d) like center {tuple(center.shape)} and negatives (B, K, d); "
                         f"got context {tuple(context.shape)}, negatives {tuple(negatives.shape)}")
    positive = F.logsigmoid((center * context).sum(-1))                      # (B,)
    negative = F.logsigmoid(-torch.einsum("bkd,bd->bk", negatives, center)).sum(-1)   # (B,)
    return -(positive + negative).mean()


def train_sgns(pairs: torch.Tensor, vocab_size: int, dim: int = 32, *, negatives: int = 5, steps: int = 400,
               batch: int = 1024, lr: float = 0.02, seed: int = 0) -> tuple[torch.Tensor, list[float]]:
    """Train skip-gram with negative sampling (Mikolov et al., 2013) on (center, context) ``pairs`` (P, 2).

    Negatives are drawn from the unigram distribution of the context words raised to 3/4. Returns the input
    vectors (V, dim) — the word embeddings — and the loss of every step.
    """
    check_tensor("pairs", pairs, ndim=2, dtype="int", last_dim=2, nonempty=True)
    check_int("vocab_size", vocab_size, minimum=2)
    if int(pairs.max()) >= vocab_size or int(pairs.min()) < 0:
        raise ValueError(f"pairs must hold indices in [0, vocab_size={vocab_size}), got {int(pairs.min())}…{int(pairs.max())}")
    for name, value in (("dim", dim), ("negatives", negatives), ("steps", steps), ("batch", batch)):
        check_int(name, value, minimum=1)
    check_positive("lr", lr)
    gen = torch.Generator().manual_seed(seed)
    v_in = torch.nn.Parameter(torch.randn(vocab_size, dim, generator=gen) / math.sqrt(dim))
    v_out = torch.nn.Parameter(torch.zeros(vocab_size, dim))
    noise = torch.bincount(pairs[:, 1], minlength=vocab_size).float() ** 0.75
    opt = torch.optim.Adam([v_in, v_out], lr=lr)
    losses = []
    for _ in range(steps):
        rows = pairs[torch.randint(len(pairs), (batch,), generator=gen)]
        neg = torch.multinomial(noise, batch * negatives, replacement=True, generator=gen).view(batch, negatives)
        loss = sgns_loss(v_in[rows[:, 0]], v_out[rows[:, 1]], v_out[neg])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return v_in.detach().clone(), losses


def glove_weights(counts: torch.Tensor, x_max: float = 100.0, alpha: float = 0.75) -> torch.Tensor:
    """GloVe's weighting f(x) = (x / x_max)^alpha, capped at 1; f(0) = 0 so absent pairs do not count."""
    check_tensor("counts", counts, dtype="float")
    check_positive("x_max", x_max)
    check_positive("alpha", alpha)
    return (counts / x_max).pow(alpha).clamp(max=1.0) * (counts > 0)


def fit_glove(counts: torch.Tensor, dim: int = 32, *, steps: int = 300, lr: float = 0.05, x_max: float = 100.0,
              alpha: float = 0.75, weighted: bool = True, biases: bool = True,
              seed: int = 0) -> tuple[torch.Tensor, list[float]]:
    """Fit w_i·w̃_j + b_i + b̃_j ≈ log X_ij by weighted least squares (Pennington et al., 2014).

    counts: (V, V) co-occurrences. ``weighted=False, biases=False`` fits every entry of ``log(1 + X)``
    equally — the problem a truncated SVD solves exactly. Returns the word vectors w + w̃ (V, dim) and the
    loss (weighted mean squared error) of every step; full batch, Adam.
    """
    check_tensor("counts", counts, ndim=2, dtype="float", nonempty=True)
    if counts.shape[0] != counts.shape[1] or bool((counts < 0).any()):
        raise ValueError(f"counts must be a square (V, V) matrix of non-negative co-occurrences, got shape "
                         f"{tuple(counts.shape)}")
    check_int("dim", dim, minimum=1)
    check_int("steps", steps, minimum=1)
    check_positive("lr", lr)
    v = counts.shape[0]
    if weighted:
        weight, target = glove_weights(counts, x_max, alpha), torch.log(counts.clamp_min(1e-12))
    else:
        weight, target = torch.ones_like(counts), torch.log1p(counts)
    gen = torch.Generator().manual_seed(seed)
    w, w_ctx = (torch.nn.Parameter(torch.randn(v, dim, generator=gen) * 0.1) for _ in range(2))
    b, b_ctx = (torch.nn.Parameter(torch.zeros(v)) for _ in range(2))
    params = [w, w_ctx] + ([b, b_ctx] if biases else [])
    opt = torch.optim.Adam(params, lr=lr)
    losses = []
    for _ in range(steps):
        pred = w @ w_ctx.T + (b[:, None] + b_ctx[None, :] if biases else 0)
        loss = (weight * (pred - target) ** 2).sum() / weight.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return (w + w_ctx).detach(), losses


def cosine_matrix(vectors: torch.Tensor) -> torch.Tensor:
    """(V, d) -> (V, V) cosine similarities between all rows (a zero row has similarity 0 to everything)."""
    check_tensor("vectors", vectors, ndim=2, dtype="float", nonempty=True)
    unit = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return unit @ unit.T


def _word(vocab, index, name, word) -> int:
    if word not in index:
        raise ValueError(f"{name} {word!r} is not in the vocabulary ({len(vocab)} words)")
    return index[word]


def nearest(vectors: torch.Tensor, vocab: list[str], word: str, k: int = 5) -> list[tuple[str, float]]:
    """The k words whose vectors (V, d) have the highest cosine with ``word``'s, itself excluded."""
    index = _index(vocab)
    check_tensor("vectors", vectors, ndim=2, dtype="float")
    if vectors.shape[0] != len(vocab):
        raise ValueError(f"vectors must have one row per vocab word ({len(vocab)}), got shape {tuple(vectors.shape)}")
    check_int("k", k, minimum=1, maximum=len(vocab) - 1)
    i = _word(vocab, index, "word", word)
    sims = cosine_matrix(vectors)[i]
    sims[i] = -float("inf")
    top = sims.topk(k)
    return [(vocab[j], float(s)) for s, j in zip(top.values, top.indices)]


def analogy(vectors: torch.Tensor, vocab: list[str], a: str, b: str, c: str) -> str:
    """a : b :: c : ? by 3CosAdd — the word whose unit vector is closest (cosine) to
    unit(b) − unit(a) + unit(c), with a, b and c themselves excluded."""
    index = _index(vocab)
    check_tensor("vectors", vectors, ndim=2, dtype="float")
    if vectors.shape[0] != len(vocab):
        raise ValueError(f"vectors must have one row per vocab word ({len(vocab)}), got shape {tuple(vectors.shape)}")
    if len(vocab) < 4:
        raise ValueError(f"vocab must hold at least 4 words (a, b, c and a candidate answer), got {len(vocab)}")
    ids = [_word(vocab, index, name, w) for name, w in (("a", a), ("b", b), ("c", c))]
    if len(set(ids)) < 3:
        raise ValueError(f"a, b and c must be three different words, got {a!r}, {b!r}, {c!r}")
    unit = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)
    target = unit[ids[1]] - unit[ids[0]] + unit[ids[2]]
    scores = unit @ target
    scores[ids] = -float("inf")
    return vocab[int(scores.argmax())]


def pca_2d(vectors: torch.Tensor) -> torch.Tensor:
    """(N, d) -> (N, 2): coordinates on the two directions of largest variance (centred, via SVD)."""
    check_tensor("vectors", vectors, ndim=2, dtype="float")
    if vectors.shape[0] < 2 or vectors.shape[1] < 2:
        raise ValueError(f"vectors must have at least 2 rows and 2 columns, got shape {tuple(vectors.shape)}")
    centred = vectors - vectors.mean(0)
    _, _, vt = torch.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T
