"""Wrong calls to course.embeddings (collected by tests/test_bad_input.py)."""
import torch

import course.embeddings
from course.embeddings import (analogy, bag_of_words, cooccurrence, cosine_matrix, fit_glove, glove_weights, nearest,
                               pca_2d, sgns_loss, skipgram_pairs, tfidf, train_sgns)

PUBLIC_MODULES = [course.embeddings]
_v = torch.randn(3, 4)
_pairs = torch.tensor([[0, 1], [1, 2]])

BAD_CALLS = [
    (bag_of_words, "docs must be a list of token lists", lambda: bag_of_words(["the dog runs"], ["the"])),
    (bag_of_words, "distinct words", lambda: bag_of_words([["a"]], ["a", "a"])),
    (tfidf, "docs must hold at least one document", lambda: tfidf([], ["a"])),
    (tfidf, "vocab must be a list of words", lambda: tfidf([["a"]], "a b")),
    (cooccurrence, "window must be", lambda: cooccurrence([["a", "b"]], ["a", "b"], window=0)),
    (skipgram_pairs, "no (center, context) pair", lambda: skipgram_pairs([["a"], ["b"]], ["a", "b"])),
    (sgns_loss, "negatives must have 3 dimensions", lambda: sgns_loss(_v, _v, _v)),
    (sgns_loss, "context must be (B, d)", lambda: sgns_loss(_v, torch.randn(2, 4), torch.randn(3, 5, 4))),
    (train_sgns, "pairs must hold indices in [0, vocab_size=2)", lambda: train_sgns(_pairs, 2)),
    (train_sgns, "pairs must have last dimension 2", lambda: train_sgns(torch.zeros(4, 3, dtype=torch.long), 5)),
    (glove_weights, "counts must have a float dtype", lambda: glove_weights(torch.ones(2, 2, dtype=torch.long))),
    (glove_weights, "x_max must be", lambda: glove_weights(torch.ones(2, 2), x_max=0)),
    (fit_glove, "square (V, V) matrix", lambda: fit_glove(torch.ones(2, 3))),
    (fit_glove, "non-negative", lambda: fit_glove(-torch.ones(2, 2))),
    (cosine_matrix, "vectors must have 2 dimensions", lambda: cosine_matrix(torch.randn(3))),
    (nearest, "is not in the vocabulary", lambda: nearest(_v, ["a", "b", "c"], "z", k=1)),
    (nearest, "one row per vocab word", lambda: nearest(_v, ["a", "b"], "a", k=1)),
    (analogy, "c 'z' is not in the vocabulary", lambda: analogy(torch.randn(4, 2), ["a", "b", "c", "d"], "a", "b", "z")),
    (analogy, "at least 4 words", lambda: analogy(_v, ["a", "b", "c"], "a", "b", "c")),
    (analogy, "three different words", lambda: analogy(torch.randn(4, 2), ["a", "b", "c", "d"], "a", "b", "a")),
    (pca_2d, "at least 2 rows and 2 columns", lambda: pca_2d(torch.randn(1, 4))),
]
