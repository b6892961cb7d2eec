# %% [markdown]
# # Chapter 23 · How do word embeddings improve text representation?
#
# **题目：** 语言模型中的词嵌入技术如何提高文本表示能力？ — 请解释语言模型中的词嵌入技术如何提高文本表示能力。
#
# **Question:** How do word-embedding techniques improve the representation of text in language models?
#
# **Time:** about 30 minutes · **Prerequisites:** [1 · basic principles](01_llm_basics.ipynb),
# [13 · BERT's bidirectional encoder](13_bert_bidirectional_encoder.ipynb) · **Related:**
# [18 · how MLM strengthens understanding](18_mlm_and_understanding.ipynb),
# [46 · text classification](46_text_classification.ipynb)
#
# **Objectives**
# - Build one-hot, bag-of-words and TF-IDF vectors (sparse) and match scikit-learn's `TfidfVectorizer`.
# - Train skip-gram with negative sampling and a GloVe-style weighted least-squares fit (dense) on the
#   course corpus; read their neighbours, analogies and a PCA map — and what the corpus cannot teach them.
# - Tell static embeddings (one vector per word) from contextual ones (one vector per occurrence), measured
#   on the pretrained tiny BERT.

# %% [markdown]
# ## Try first
#
# Write your interview answer: what is a word embedding, how is one learned, and what can a static
# embedding not represent?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “词袋模型…每个词对应一个向量…可以捕捉到词的共现关系” | **wrong** | Bag of words gives each *document* one sparse vector of word counts; words themselves stay one-hot, so every two different words are orthogonal (cosine 0). It keeps counts, not co-occurrence, and no order: “the dog follows the cat” = “the cat follows the dog”. | Lab 1 |
# | “TF-IDF…突出表示重要词” | correct, **incomplete** | The weight is count × IDF, with IDF = ln((1+N)/(1+df)) + 1 in scikit-learn, then each row scaled to unit length: a word in every document gets the smallest weight. Still sparse, still one dimension per word. BoW and TF-IDF are not word embeddings at all. | Lab 1 |
# | “Word2Vec…将词映射到高维向量” | **incomplete** | The point is the opposite: from a sparse one-hot space as wide as the vocabulary to a **dense, low-dimensional** one (the published vectors have a few hundred dimensions for vocabularies of millions; here 32 for 228 words), learned by predicting context words. Skip-gram with negative sampling (Mikolov et al., 2013) is a logistic regression “is this a real context word?” against *k* sampled words. | Lab 2 |
# | “例如‘狗’和‘猫’的向量距离较小” | **incomplete** | True here, but “dog” is just as close to “robot”: the vectors reflect the contexts the corpus gives, and ours puts every noun in the same slots. | Lab 2 |
# | “GloVe…使用矩阵分解技术，如 SVD” | **half wrong** | GloVe (Pennington et al., 2014) *is* a factorization of the log co-occurrence matrix, but not by SVD: it fits w_i·w̃_j + b_i + b̃_j ≈ log X_ij by **weighted** least squares, trained with AdaGrad, with f(X) = min(1, (X/x_max)^0.75). With equal weights and no biases, the same fit *would* be the SVD problem: Lab 2 checks our fit against `torch.linalg.svd` in that case. “同时考虑局部和全局信息” is fair: the counts are gathered in local windows and fitted over the whole table at once. | Lab 2 |
# | “相似词在向量空间中距离较近” | **incomplete** | *Distributionally* similar: words that fill the same slots. Words of opposite polarity (“good”, “boring”) are neighbours, and words whose contexts never differ cannot be told apart at all. | Lab 2 |
# | “可以捕捉到词在不同上下文中的变化” | **wrong** for word2vec/GloVe | A static embedding has **one** vector per word type, whatever the sentence. Vectors that change with context come from a contextual encoder (ELMo, BERT, GPT): every occurrence gets its own vector. | Lab 3 |
# | “向量运算” | incomplete | Analogies by vector offsets (3CosAdd) work only for relations the corpus expresses consistently; here, singular → plural. | Lab 2 |

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course.embeddings import (analogy, bag_of_words, cooccurrence, cosine_matrix, fit_glove, glove_weights, nearest,
                               pca_2d, sgns_loss, skipgram_pairs, tfidf, train_sgns)
from course.pretrained import corpus_lines, held_out_lines, load_tiny_bert
from course.runtime import seed_everything
from course.text import pad_batch, topic_examples
from course.text.corpus import NOUNS, VERBS

generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Sparse: one-hot, bag of words, TF-IDF
#
# A one-hot vector has one dimension per vocabulary word. Any two different words are orthogonal, and a
# bag of words — the sum of a document's one-hots — forgets the order:

# %%
# NBVAL_CHECK_OUTPUT
four = ["the", "dog", "cat", "follows"]
one_hot = torch.eye(len(four))
print("cosine(one-hot dog, one-hot cat) =", F.cosine_similarity(one_hot[1], one_hot[2], dim=0).item())
a, b = "the dog follows the cat".split(), "the cat follows the dog".split()
print("bag of words:", bag_of_words([a, b], four).tolist(), "→ the two sentences are",
      "identical" if torch.equal(*bag_of_words([a, b], four)) else "different")

# %% [markdown]
# TF-IDF weighs each count by how rare the word is across documents. Written out, with scikit-learn's
# defaults (smoothed IDF, raw counts, rows scaled to unit length), on the course's topic texts:

# %%
docs = [text.split() for text, _ in topic_examples(200, seed=0)]
vocab = sorted({w for d in docs for w in d})
counts = torch.zeros(len(docs), len(vocab))
for n, doc in enumerate(docs):
    for w in doc:
        counts[n, vocab.index(w)] += 1
df = (counts > 0).sum(0)                                  # in how many documents each word occurs
idf = torch.log((1 + len(docs)) / (1 + df)) + 1
ours = counts * idf
ours = ours / ours.norm(dim=1, keepdim=True)

# %%
# NBVAL_CHECK_OUTPUT
from sklearn.feature_extraction.text import TfidfVectorizer

sk = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, vocabulary=vocab)
reference = torch.tensor(sk.fit_transform(" ".join(d) for d in docs).toarray(), dtype=torch.float32)
print(f"{len(docs)} documents × {len(vocab)} words; nonzero entries: {(ours > 0).float().mean():.0%}")
print("equal to scikit-learn's TfidfVectorizer:", torch.allclose(ours, reference, atol=1e-6))
print("equal to course.embeddings.tfidf:       ", torch.allclose(ours, tfidf(docs, vocab), atol=1e-6))
labels = [topic for _, topic in topic_examples(200, seed=0)]
topic_words = {w for w in vocab if len({t for d, t in zip(docs, labels) if w in d}) == 1}   # seen with one label only
for name, weights in (("raw counts", counts), ("TF-IDF", ours)):
    best = weights.argmax(1)                                  # ties go to the first column
    print(f"heaviest word of a document is one of its topic words — {name}: "
          f"{sum(vocab[j] in topic_words for j in best.tolist()) / len(docs):.0%} of the documents")
order = idf.argsort()
print("lowest IDF: ", ", ".join(f"{vocab[j]} {idf[j]:.2f}" for j in order[:3].tolist()))
print("highest IDF:", ", ".join(f"{vocab[j]} {idf[j]:.2f}" for j in order[-3:].tolist()))
for w in ("the", "guitar"):
    j = vocab.index(w)
    print(f"{w!r}: in {int(df[j])} of {len(docs)} documents, IDF {idf[j]:.2f} (the smallest possible is 1), "
          f"mean TF-IDF weight where it occurs {ours[counts[:, j] > 0, j].mean():.2f}")

# %% [markdown]
# TF-IDF finds the topic words without a stop-word list: filler words occur in many documents, so their
# IDF stays low, while a topic word occurs in few. Low is not zero: “the” still gets a fair weight where it
# occurs, only less than a topic word. But the vectors are as wide as the vocabulary and say nothing about which words are
# alike: “guitar” and “drum” are as far apart as “guitar” and “soup”.
#
# ## Lab 2 — Dense: skip-gram with negative sampling and a GloVe-style fit
#
# **Skip-gram with negative sampling** (SGNS) gives each word an input vector v and an output vector u,
# and trains a logistic regression: for each (center, context) pair seen in a window, push σ(u_o·v_c)
# towards 1, and for *k* words drawn from the unigram distribution raised to the power ¾, push σ(u_k·v_c) towards 0. The
# package's loss is exactly binary cross-entropy with those labels:

# %%
# NBVAL_CHECK_OUTPUT
v_c, u_o, u_neg = torch.randn(4, 8), torch.randn(4, 8), torch.randn(4, 5, 8)
logits = torch.cat([(v_c * u_o).sum(-1, keepdim=True), torch.einsum("bkd,bd->bk", u_neg, v_c)], 1)   # (4, 1 + 5)
labels = torch.cat([torch.ones(4, 1), torch.zeros(4, 5)], 1)
bce = F.binary_cross_entropy_with_logits(logits, labels, reduction="sum") / 4
print("sgns_loss equals torch's BCE-with-logits:", torch.allclose(sgns_loss(v_c, u_o, u_neg), bce))

# %% [markdown]
# We train it on 3,000 lines of the course corpus (grammar sentences, topic, sentiment, NER and QA text),
# window 2, 5 negatives, 32 dimensions, with Adam (the original uses plain SGD):

# %%
lines = [line.split() for line in corpus_lines(3000, seed=0)]
words = sorted({w for line in lines for w in line})
pairs = skipgram_pairs(lines, words, window=2)
sgns, sgns_losses = train_sgns(pairs, len(words), dim=32, negatives=5, steps=200, batch=512, lr=0.05)
print(f"{len(words)} words, {len(pairs):,} (center, context) pairs; SGNS loss {sgns_losses[0]:.2f} → "
      f"{sum(sgns_losses[-20:]) / 20:.2f}; {sgns.shape[1]} dense dimensions instead of {len(words)} one-hot ones")

# %% [markdown]
# **GloVe** starts from the global co-occurrence table X (here: within 4 words, each pair weighted 1/distance)
# and fits w_i·w̃_j + b_i + b̃_j ≈ log X_ij, each pair weighted by f(X_ij) = min(1, (X_ij/x_max)^¾): absent
# pairs count 0, frequent pairs no more than 1. There is no SVD in it. What *is* true: with every weight 1
# and no biases, fitting log(1 + X) with rank d is the problem a truncated SVD solves exactly
# (Eckart–Young). Our fit (full-batch Adam rather than the paper's AdaGrad: the objective is the point),
# run in that mode, must reach the SVD's error:

# %%
X = cooccurrence(lines, words, window=4)
glove, glove_losses = fit_glove(X, dim=16, steps=200, lr=0.05)
_, plain_losses = fit_glove(X, dim=16, steps=200, lr=0.1, weighted=False, biases=False)
singular = torch.linalg.svdvals(torch.log1p(X))
svd_error = (singular[16:] ** 2).sum() / X.numel()               # mean squared error of the best rank-16 fit
print(f"co-occurrence table {tuple(X.shape)}, {(X > 0).float().mean():.0%} of the pairs seen")
print(f"GloVe weighted fit: loss {glove_losses[0]:.2f} → {glove_losses[-1]:.4f}")
f = glove_weights(X)                                              # x_max = 100, as in the paper
print(f"pairs with X ≥ x_max = 100: {(X >= 100).sum() / (X > 0).sum():.1%} of the seen pairs; mean weight f of "
      + ", ".join(f"{w}'s seen pairs {f[words.index(w)][X[words.index(w)] > 0].mean():.3f}" for w in ("guitar", "the")))
print(f"unweighted, no biases: our fit {plain_losses[-1]:.5f} vs the rank-16 SVD optimum {svd_error:.5f}")

# %%
# NBVAL_CHECK_OUTPUT
print("unweighted fit reaches the SVD optimum (within 1 %):", abs(plain_losses[-1] / svd_error.item() - 1) < 0.01)

# %% [markdown]
# The nearest neighbours by cosine, and analogies by 3CosAdd (the word closest to b − a + c):

# %%
for name, vectors in (("SGNS", sgns), ("GloVe", glove)):
    print(name)
    for w in ("dog", "runs", "guitar", "Paris", "good"):
        print(f"  {w:>7}: " + ", ".join(f"{n} {s:.2f}" for n, s in nearest(vectors, words, w, k=4)))
    cos, dog = cosine_matrix(vectors), words.index("dog")
    others = [words.index(n) for n, _ in NOUNS if n not in ("dog", "cat")]
    print(f"  cosine(dog, cat) {cos[dog, words.index('cat')]:.2f}; dog with the other {len(others)} singular "
          f"nouns: {cos[dog, others].min():.2f} to {cos[dog, others].max():.2f}")

# %%
groups = {"nouns (dog : dogs :: cat : ?)": NOUNS,
          "verbs (runs : run :: sleeps : ?)": [v for v in VERBS if " " not in v[0]]}
scores = {}
for name, vectors in (("SGNS", sgns), ("GloVe", glove)):
    for group, forms in groups.items():
        plurals = {p for _, p in forms}
        answers = [(analogy(vectors, words, s1, p1, s2), p2) for s1, p1 in forms for s2, p2 in forms if s1 != s2]
        number = sum(got in plurals for got, _ in answers) / len(answers)
        exact = sum(got == want for got, want in answers) / len(answers)
        scores[name, group] = (number, exact)
        print(f"{name:>5} {group:<34} {len(answers)} analogies: right number {number:.0%}, exact word {exact:.0%}")

# %% [markdown]
# In this run the neighbours are clear for SGNS: nouns next to nouns, verbs next to verbs, music words
# next to music words (with a filler word among them), cities next to cities. GloVe is noisier for the rare
# topic words. A likely reason is its weighting f, made for corpora of billions of tokens: here hardly any
# pair reaches full weight, and a topic word's pairs weigh much less than those of “the” (printed above). “dog” and “cat” are close — and “dog” is about as close to every
# other noun: the corpus puts them all in the same slots. Two lessons no bigger corpus removes:
#
# - **Neighbours are distributional, not synonyms.** “good” has “boring” among its nearest in both: the
#   two never appear in the same sentence, but they fill the same slot in “the movie was ___”.
# - **Analogies need the corpus to contain the relation.** For nouns, both methods almost always answer with
#   the right *number* (the singular → plural offset is consistent; verbs less often), but rarely the exact word: our grammar
#   draws “dog” and “cat” uniformly into the same slots, so nothing in the text tells them apart.
#
# A map of both sets of vectors, each projected on its own two main directions:

# %%
groups_to_plot = {"singular nouns": [s for s, _ in NOUNS], "plural nouns": [p for _, p in NOUNS],
                  "music words": ["guitar", "drum", "melody", "concert", "album", "chorus"],
                  "food words": ["soup", "bread", "recipe", "spice", "kitchen", "dessert"],
                  "sentiment words": ["good", "great", "fun", "bad", "boring", "awful"]}
shown = [w for ws in groups_to_plot.values() for w in ws]
fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
for ax, (name, vectors) in zip(axes, (("skip-gram (SGNS), 32-d", sgns), ("GloVe-style fit, 16-d", glove))):
    xy = pca_2d(vectors[[words.index(w) for w in shown]])
    start, placed = 0, []
    for (group, ws), color in zip(groups_to_plot.items(),
                                  ("tab:blue", "tab:red", "tab:green", "tab:orange", "tab:purple")):
        pts = xy[start:start + len(ws)]
        ax.scatter(pts[:, 0], pts[:, 1], s=18, color=color, label=group)
        # label one word per group, on whichever of 8 sides leaves the label farthest from dots and labels
        step = (xy.max(0).values - xy.min(0).values) * torch.tensor([0.09, 0.07])   # ≈ a label's offset
        sides = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
        spots = {d: pts[0] + torch.tensor(d) * step for d in sides}
        d = max(sides, key=lambda d: min(((spots[d] - q) / step).norm().item() for q in [*xy, *placed]))
        placed.append(spots[d])
        ax.annotate(ws[0], pts[0].tolist(), fontsize=10, color=color, textcoords="offset points",
                    xytext=(14 * d[0], 14 * d[1]), ha=("right", "center", "left")[d[0] + 1],
                    va=("top", "center", "bottom")[d[1] + 1], arrowprops=dict(arrowstyle="-", color=color, lw=0.8))
        start += len(ws)
    ax.margins(0.12)                                                   # room for labels at the edges
    ax.set(title=name, xlabel="PC 1", ylabel="PC 2")
axes[0].legend(fontsize=9, loc="best")
fig.suptitle("PCA of the word vectors: words that fill the same slots land together", fontsize=10)
fig.tight_layout()

# %% [markdown]
# Two dimensions keep only the largest differences. In the SGNS panel music and food words share one
# region — both kinds fill the same slots among the filler words, and only the topic word beside them
# differs — while the full 32-dimensional neighbour lists above still keep them apart; singular and plural
# nouns overlap too, although the analogies found the number direction. GloVe's map is looser, as its
# neighbours were.

# %% [markdown]
# ## Lab 3 — Static vs contextual: one vector per word, or one per occurrence
#
# A static table gives “the” one vector in every sentence. The pretrained tiny BERT
# ([chapter 13](13_bert_bidirectional_encoder.ipynb)) gives each occurrence its own vector, computed from
# the whole sentence. Is anything in those vectors? “the” says nothing about number by itself, but in
# “the dog runs” and “the dogs run” the word after it does. We take held-out sentences (never in BERT's
# pretraining text) that begin with “the” + a noun, and read BERT's last-layer vector *at “the”*:

# %%
bert, tok = load_tiny_bert()
singular, plural = {s for s, _ in NOUNS}, {p for _, p in NOUNS}
sentences = [s for s in held_out_lines(600) if s.split()[0] == "the" and s.split()[1] in singular | plural]
is_plural = torch.tensor([s.split()[1] in plural for s in sentences])
ids, real = pad_batch([[tok.bos_id] + tok.encode(s) + [tok.eos_id] for s in sentences], tok.pad_id)
with torch.inference_mode():
    the_vectors = bert.encode(ids, real)[:, 1]                      # (N, 128): the vector at "the"

# %%
half = len(sentences) // 2                                          # fit centroids on one half, test on the other
centroids = torch.stack([the_vectors[:half][is_plural[:half] == c].mean(0) for c in (False, True)])
guess = torch.cdist(the_vectors[half:], centroids).argmin(1).bool()
accuracy = (guess == is_plural[half:]).float().mean().item()
static = bert.tok_emb(ids[:, 1])                                     # the input table's row for "the"
cos = cosine_matrix(the_vectors)
same = is_plural[:, None] == is_plural[None, :]
off_diagonal = ~torch.eye(len(sentences), dtype=torch.bool)
print(f"{len(sentences)} held-out sentences; distinct vectors at 'the': input table {len(torch.unique(static, dim=0))}, "
      f"last layer {len(torch.unique(the_vectors, dim=0))}")
print(f"mean cosine of the vectors at 'the': same number {cos[same & off_diagonal].mean():.2f}, "
      f"different number {cos[~same].mean():.2f}")
print(f"the following noun's number, read from the vector at 'the' (nearest centroid): {accuracy:.0%} "
      f"on the second half (chance {max(is_plural[half:].float().mean().item(), 1 - is_plural[half:].float().mean().item()):.0%})")

# %%
xy = pca_2d(the_vectors)
fig, ax = plt.subplots(figsize=(5.5, 3.8))
for value, color, label in ((False, "tab:blue", "“the” + singular noun"), (True, "tab:red", "“the” + plural noun")):
    pts = xy[is_plural == value]
    ax.scatter(pts[:, 0], pts[:, 1], s=12, alpha=0.7, color=color, label=label)
ax.set(title=f"Tiny BERT's last-layer vector at “the”, {len(sentences)} sentences (PCA)\n"
             "(a static table would put every one of them on one point)", xlabel="PC 1", ylabel="PC 2")
ax.title.set_fontsize(9)
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# Every occurrence of “the” has its own vector, and the vectors separate by something that is not in the
# word at all. That is what the common answer credits to word embeddings; it belongs to contextual
# encoders. In a Transformer both exist: the input table *is* a static embedding, and the layers above it
# turn it into contextual vectors.
#
# ## Self-test
#
# **Exercise 1.** Levy & Goldberg (2014) showed that SGNS with *k* negatives implicitly factorizes the PMI
# matrix shifted by ln *k*. Compute its positive part from a co-occurrence table like Lab 2's `X`.

# %%
from course.selftest import exercise

exercise("23.ppmi")

# %%
def ppmi(counts, k=1):
    # your code here
    raise NotImplementedError


exercise("23.ppmi").check(ppmi)

# %% [markdown]
# **Exercise 2.** Lab 2 called `course.embeddings.analogy`; write the 3CosAdd search yourself, on row indices.

# %%
exercise("23.analogy_index")

# %%
def analogy_index(vectors, a, b, c):
    # your code here
    raise NotImplementedError


exercise("23.analogy_index").check(analogy_index)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(23)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 词袋和 TF-IDF 是稀疏表示：每个词占一维，不同词两两正交，且丢失词序；TF-IDF 用 IDF 降低常见词权重，但它们都不是词嵌入。词嵌入把词映射到低维稠密向量，维数远小于词表大小（本实验 32 维对 228 个词）。带负采样的 skip-gram（SGNS）本质上是逻辑回归：判断一个上下文词是真实出现的，还是按 unigram^¾ 分布采样来的。GloVe 也是矩阵分解，但用加权最小二乘拟合共现次数的对数：权重 f(X) 给高频词对封顶、忽略未出现的词对，并不是 SVD；只有权重全为 1、没有偏置时才变成 SVD 问题。相似指“分布相似”：褒贬相反的词（如 good 与 boring）也会相近；语料没有提供的区分学不出来（本实验里 dog 与 cat 出现在完全相同的位置）。静态词向量每个词只有一个向量，不能随上下文变化；BERT、GPT 等上下文编码器为每次出现生成不同向量，Transformer 的输入嵌入表本身仍是静态的。
#
# **English:** Bag of words and TF-IDF are sparse: one dimension per word, all words orthogonal, no order;
# IDF down-weights common words, but neither is a word embedding. Embeddings map words to dense vectors
# far narrower than the vocabulary (32 for 228 words here). Skip-gram with negative sampling is a logistic
# regression: real context word vs words drawn from unigram^¾. GloVe is a factorization too, but a weighted
# least-squares fit of log co-occurrence counts (f caps frequent pairs, ignores absent ones) — not SVD; only
# with unit weights and no biases is it the SVD problem. Similarity is distributional: words of opposite
# polarity are neighbours, and what the corpus never distinguishes cannot be learned. A static embedding has one vector per word; contextual encoders (BERT, GPT) give each
# occurrence its own — a Transformer's input table is still static.

# %% [markdown]
# ## Further reading
#
# - Mikolov, Sutskever, Chen, Corrado, Dean — *Distributed Representations of Words and Phrases and their Compositionality* (2013).
# - Pennington, Socher, Manning — *GloVe: Global Vectors for Word Representation* (2014).
# - Levy, Goldberg — *Neural Word Embedding as Implicit Matrix Factorization* (2014).
# - Salton, Buckley — *Term-weighting approaches in automatic text retrieval* (1988).
# - Peters et al. — *Deep contextualized word representations* (ELMo, 2018).
# - Devlin, Chang, Lee, Toutanova — *BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding* (2019).
