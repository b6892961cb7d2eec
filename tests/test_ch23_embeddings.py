"""Chapter 23: the sparse and dense word representations of course.embeddings against their references."""
import torch
from sklearn.feature_extraction.text import TfidfVectorizer

from course.embeddings import (analogy, bag_of_words, cooccurrence, fit_glove, glove_weights, nearest, pca_2d,
                               sgns_loss, skipgram_pairs, tfidf, train_sgns)
from course.text import topic_examples


def test_tfidf_equals_scikit_learn_with_matching_settings():
    docs = [t.split() for t, _ in topic_examples(60, seed=3)] + [["guitar"], ["unknown", "words"]]
    vocab = sorted({w for d in docs for w in d})
    sk = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, vocabulary=vocab)
    ref = torch.tensor(sk.fit_transform(" ".join(d) for d in docs).toarray(), dtype=torch.float32)
    assert torch.allclose(tfidf(docs, vocab), ref, atol=1e-6)


def test_bag_of_words_counts_and_forgets_order():
    counts = bag_of_words([["a", "b", "a"], ["b", "a", "a", "zzz"]], ["a", "b"])
    assert counts.tolist() == [[2.0, 1.0], [2.0, 1.0]]


def test_cooccurrence_weights_by_distance_and_is_symmetric():
    x = cooccurrence([["a", "b", "c", "a"], ["c", "b"]], ["a", "b", "c"], window=2)
    assert torch.allclose(x, torch.tensor([[0, 1.5, 1.5], [1.5, 0, 2.0], [1.5, 2.0, 0]]))


def test_skipgram_pairs_are_every_neighbour_within_the_window():
    pairs = skipgram_pairs([["a", "b", "c"]], ["a", "b", "c"], window=1)
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1)]


def test_sgns_loss_equals_torch_binary_cross_entropy():
    g = torch.Generator().manual_seed(0)
    c, o, n = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g), torch.randn(6, 3, 5, generator=g)
    logits = torch.cat([(c * o).sum(-1, keepdim=True), (n @ c[:, :, None]).squeeze(-1)], 1)
    labels = torch.cat([torch.ones(6, 1), torch.zeros(6, 3)], 1)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="sum") / 6
    assert torch.allclose(sgns_loss(c, o, n), ref)


def test_unweighted_glove_without_biases_reaches_the_svd_optimum():
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 20, (30, 30), generator=g).float()
    x = x + x.T
    _, losses = fit_glove(x, dim=4, steps=600, lr=0.05, weighted=False, biases=False)
    s = torch.linalg.svdvals(torch.log1p(x))
    assert abs(losses[-1] / ((s[4:] ** 2).sum() / x.numel()).item() - 1) < 0.01


def test_glove_weights_cap_and_ignore_absent_pairs():
    w = glove_weights(torch.tensor([0.0, 10.0, 100.0, 1000.0]), x_max=100, alpha=0.75)
    assert torch.allclose(w, torch.tensor([0.0, 0.1 ** 0.75, 1.0, 1.0]))


def test_sgns_learns_that_words_in_the_same_slot_are_neighbours():
    docs = [["the", a, "runs"] for a in ("dog", "cat")] * 50 + [["we", b, "sing"] for b in ("song", "tune")] * 50
    vocab = sorted({w for d in docs for w in d})
    vectors, losses = train_sgns(skipgram_pairs(docs, vocab, 1), len(vocab), dim=8, steps=300, batch=64, lr=0.05)
    assert losses[-1] < losses[0]
    assert nearest(vectors, vocab, "dog", k=1)[0][0] == "cat"


def test_analogy_and_pca_on_a_planted_offset():
    vocab = ["a", "b", "c", "d", "e"]
    v = torch.tensor([[1.0, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 1]])
    assert analogy(v, vocab, "a", "b", "c") == "d"
    xy = pca_2d(v)
    assert xy.shape == (5, 2) and torch.allclose(xy.mean(0), torch.zeros(2), atol=1e-6)


def test_pca_2d_keeps_the_two_largest_variance_directions():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 5, generator=g) * torch.tensor([0.1, 3.0, 0.2, 1.5, 0.05])   # variance mostly in dims 1, 3
    xy = pca_2d(x)
    centred = x - x.mean(0)
    eigvals, eigvecs = torch.linalg.eigh(centred.T @ centred)                         # ascending eigenvalues
    reference = centred @ eigvecs[:, [-1, -2]]
    assert torch.allclose(xy.abs(), reference.abs(), atol=1e-4)                        # equal up to each axis' sign
    assert xy[:, 0].var() > xy[:, 1].var() > 0
