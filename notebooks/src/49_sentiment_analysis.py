# %% [markdown]
# # Chapter 49 · How is sentiment analysis implemented?
#
# **题目：** 语言模型中的情感分析任务如何实现？ — 请解释语言模型中的情感分析任务是如何实现的。
#
# **Question:** How is sentiment analysis implemented with language models? Explain how the task is done.
#
# **Time:** about 25 minutes · **Prerequisites:** [12 · BERT's MLM task](12_bert_mlm.ipynb),
# [46 · text classification](46_text_classification.ipynb) · **Related:**
# [42 · transfer learning](42_transfer_learning.ipynb), [4 · how attention works](04_how_attention_works.ipynb)
#
# **Objectives**
# - Frame sentiment as **sentence-level** classification: one label per text, read from the [CLS] position.
# - Measure, case by case, where a bag-of-words model fails (negation) and where a fine-tuned BERT does not.
# - Measure what the common answer's "remove stop words" does to negated sentences.
# - Attribute a decision to the input tokens with gradient × input (checked by finite differences) and
#   attention rollout.

# %% [markdown]
# ## Try first
#
# Write your interview answer: what exactly is labelled, what does the model output, and which sentences
# would a bag-of-words classifier get wrong?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “文本清洗：去除…停用词” | **wrong** for sentiment | Standard stop-word lists contain `not`, `never`, `very`. Removing them turns `the movie was not good` into `movie good`: every negated sentence loses its label. | Lab 2 |
# | “标注每个词的情感标签” | **wrong** | Datasets label the **sentence or document** (SST-2, IMDb, Yelp); the model learns how words combine. A word's polarity is not fixed: `good` is negative in `not good`. | Lab 1 |
# | “将文本序列编码为固定长度的嵌入向量” + “分类器层” | correct, incomplete | For classification one vector is what we want: BERT's final [CLS] state, then a small head, here trained together with the encoder (fine-tuning). | Lab 1 |
# | “交叉熵…Adam…准确率、精确率、召回率” | correct | Plus: check the cases that matter (negation, intensifiers) separately — an overall accuracy hides them. | Lab 1 |
# | “预训练的语言模型提供了强大的特征提取能力” | incomplete | What the lab shows is that the fine-tuned encoder relates `not` to `good` across `very` in every template, where a linear model on word counts (or n-grams) does not. Attribution is a first look at which tokens the decision rests on. | Labs 1, 3 |

# %%
import random

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.linear_model import LogisticRegression

from course.models import BertClassifier
from course.pretrained import load_tiny_bert
from course.runtime import get_device, seed_everything
from course.text import pad_batch, sentiment_examples
from course.train import fit

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — One label per sentence: bag of words against a fine-tuned BERT
#
# `sentiment_examples` writes sentences such as `the meal was not really dull` with **one label per
# sentence** (1 = positive). The label is the polar word's sign, flipped by a negator; intensifiers
# (`very`, `really`) never change it. We keep the distinct sentences and split them so that no test
# sentence occurs in training. (The pretrained BERT read sentences like these without labels while learning
# masked-LM; the labels are new to it.)

# %%
# NBVAL_CHECK_OUTPUT
sentences = sorted(set(sentiment_examples(3000, seed=49)))
random.Random(0).shuffle(sentences)
train, test = sentences[:300], sentences[300:]


def case(text):
    words = text.split()
    negated = "not" in words or "never" in words
    boosted = "very" in words or "really" in words
    return ("negated" if negated else "plain") + (" + intensifier" if boosted else "")


CASES = ["plain", "plain + intensifier", "negated", "negated + intensifier"]
print(f"{len(sentences)} distinct sentences: {len(train)} to train, {len(test)} to test, "
      f"{len({s for s, _ in train} & {s for s, _ in test})} in both")
for c in CASES:
    example = next(s for s, _ in test if case(s) == c)
    print(f"{c:<22} train {sum(case(s) == c for s, _ in train):>3} · test {sum(case(s) == c for s, _ in test):>3}"
          f" · e.g. {example!r}")

# %% [markdown]
# The baseline a practitioner reaches for first: word counts and logistic regression (scikit-learn), with
# single words, then with word pairs (bigrams) added, then with word triples (trigrams) as well.

# %%
# NBVAL_CHECK_OUTPUT
texts_train, y_train = [s for s, _ in train], np.array([y for _, y in train])
texts_test, y_test = [s for s, _ in test], np.array([y for _, y in test])
predictions = {}
for name, ngrams in (("words (BoW)", (1, 1)), ("words + bigrams", (1, 2)), ("up to trigrams", (1, 3))):
    vectorizer = CountVectorizer(ngram_range=ngrams, token_pattern=r"\S+")
    classifier = LogisticRegression(max_iter=1000).fit(vectorizer.fit_transform(texts_train), y_train)
    predictions[name] = classifier.predict(vectorizer.transform(texts_test))
    weights = dict(zip(vectorizer.get_feature_names_out(), classifier.coef_[0]))
    if ngrams == (1, 1):
        print("one weight per word — good:", f"{weights['good']:+.2f}", "· bad:", f"{weights['bad']:+.2f}",
              "· not:", f"{weights['not']:+.2f}")
    if ngrams == (1, 2):
        for pair in ("very good", "very weak"):
            plain = sum(pair in s and not case(s).startswith("negated") for s in texts_train)
            print(f"bigram {pair!r}: weight {weights[pair]:+.2f}; in {plain} plain and "
                  f"{sum(pair in s for s in texts_train) - plain} negated training sentences")

# %% [markdown]
# Each word gets **one** weight, whatever stands before it. Now the pretrained tiny BERT with a
# classification head on its [CLS] state, fine-tuned on the same 300 sentences for 80 steps:

# %%
bert, tok = load_tiny_bert(device)
torch.manual_seed(0)
model = BertClassifier(bert, n_classes=2).to(device)


def encode(rows):
    """[CLS] sentence [SEP], padded -> ids (B, T), mask (B, T), labels (B,)."""
    ids, mask = pad_batch([[tok.bos_id] + tok.encode(text) + [tok.eos_id] for text, _ in rows], tok.pad_id)
    return ids.to(device), mask.to(device), torch.tensor([y for _, y in rows], device=device)


draw = random.Random(0)
history = fit(model, torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01),
              lambda step: encode(draw.sample(train, 32)), 80, progress=False)
model.eval()
with torch.inference_mode():
    ids, mask, _ = encode(test)
    predictions["fine-tuned BERT"] = model(ids, mask).logits.argmax(-1).cpu().numpy()
print(f"fine-tuning: loss {history.loss[0]:.3f} → {history.final_loss:.3f} in this run")

# %%
kinds = np.array([case(s) for s in texts_test])
table = {name: [float((pred[kinds == c] == y_test[kinds == c]).mean()) for c in CASES]
         for name, pred in predictions.items()}
print(f"{'accuracy on test sentences':<26}" + "".join(f"{c:>23}" for c in CASES) + f"{'all':>7}")
for name, row in table.items():
    print(f"{name:<26}" + "".join(f"{a:>23.2f}" for a in row) + f"{(predictions[name] == y_test).mean():>7.2f}")

fig, ax = plt.subplots(figsize=(9, 3.2))
width = 0.8 / len(table)
for i, (name, row) in enumerate(table.items()):
    ax.bar(np.arange(len(CASES)) + (i - (len(table) - 1) / 2) * width, row, width, label=name)
ax.axhline(0.5, color="gray", lw=0.8, ls="--")
ax.set_xticks(range(len(CASES)), CASES)
ax.set(ylabel="test accuracy", ylim=(0, 1.05), title="Per-case accuracy: n-gram counts vs the fine-tuned BERT")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
fig.tight_layout()

# %% [markdown]
# Read the table case by case. With single words, `good` has one weight: the model sides with the larger
# group of the training set and gets the other group wrong — with these data most sentences are negated, so
# the *plain* ones fail (the printed weights show `good` pointing negative). Adding bigrams patches
# `not good` and `was good`, but in `was very good` / `not very good` the negator (or its absence) and the
# polar word are no longer neighbours: no bigram holds both. `very weak` is learnt from both groups and sides
# with its larger one, `very good` ends near zero (the printed weights and counts), and *plain + intensifier*
# fails. Trigrams (`not very good`) help only where the triple was seen in training with its label: they
# recover part of that group, not all of it. The fine-tuned BERT gets every case right in this run.
#
# (Fair to the baseline: n-grams of any order are patches for one template each. Real text puts the negator
# anywhere — `not only good but great`, `I did not think it would be this good` — and word order, which a
# bag throws away, decides.)
#
# ## Lab 2 — "Remove stop words" deletes the negation
#
# scikit-learn's English stop-word list, applied to our vocabulary, and what it leaves of the sentences.
# When two sentences with *different* labels become the same text, no model can tell them apart.

# %%
# NBVAL_CHECK_OUTPUT
vocabulary = sorted({w for text, _ in sentences for w in text.split()})
print("stop words among our words:", [w for w in vocabulary if w in ENGLISH_STOP_WORDS])


def strip(text):
    return " ".join(w for w in text.split() if w not in ENGLISH_STOP_WORDS)


labels_of = {}
for text, label in sentences:
    labels_of.setdefault(strip(text), []).append(label)
print(f"{'the movie was not very good'!r} → {strip('the movie was not very good')!r}; "
      f"{'the movie was good'!r} → {strip('the movie was good')!r}")
print(f"{len(sentences)} distinct sentences → {len(labels_of)} distinct texts after stripping, "
      f"{sum(len(set(v)) > 1 for v in labels_of.values())} of which stand for both labels")
best = sum(max(v.count(0), v.count(1)) for v in labels_of.values()) / len(sentences)
print(f"best possible accuracy of any model on the stripped text (majority label of each text): {best:.2f}")

# %% [markdown]
# Sentences of opposite labels collapse onto the same text, and the best any model could then do — answer
# each stripped text with its more frequent label — is the bound printed above, however large the model. Stop-word removal belongs to keyword retrieval and sparse bag-of-words models
# with little data; a pretrained Transformer is trained on full text and should be fine-tuned on full text.
#
# ## Lab 3 — Which tokens carried the decision?
#
# **Gradient × input** scores token t by Σ_d e_td · ∂logit/∂e_td — the first-order estimate of how the
# chosen logit would move if the token's embedding were scaled to zero (Shrikumar et al., 2017). It is in
# `course.attribution`:

# %%
import inspect

from IPython.display import Code

from course.attribution import attention_rollout, gradient_x_input

Code(inspect.getsource(gradient_x_input), language="python")

# %% [markdown]
# A gradient is easy to get wrong (wrong tensor, wrong sign, padding included), so we check it against
# a method that uses no backward pass at all: finite differences, scaling one token's embedding by 1 ± ε
# in a float64 copy of the model.

# %%
# NBVAL_CHECK_OUTPUT
import copy

probe = copy.deepcopy(model).double().cpu()
one = torch.tensor([[tok.bos_id] + tok.encode("the movie was not very good") + [tok.eos_id]])
analytic = gradient_x_input(probe, one, torch.tensor([1]))[0]


def positive_logit(scale):
    """The positive logit with each token's embedding multiplied by scale (1, T)."""
    hook = probe.bert.tok_emb.register_forward_hook(lambda module, args, out: out * scale[..., None])
    with torch.no_grad():
        value = probe(one).logits[0, 1].item()
    hook.remove()
    return value


eps, numeric = 1e-5, []
for t in range(one.shape[1]):
    bump = torch.zeros(one.shape, dtype=torch.float64)
    bump[0, t] = eps
    numeric.append((positive_logit(1 + bump) - positive_logit(1 - bump)) / (2 * eps))
print("gradient × input equals finite differences (within 1e-6):",
      torch.allclose(analytic, torch.tensor(numeric, dtype=torch.float64), atol=1e-6))

# %% [markdown]
# Now the decisions on four sentences, each explained for the class the model chose. Above each sentence,
# gradient × input for the chosen class's logit (red: the token raised that logit, blue: lowered it — not
# the same as pushing toward the class, since a token may raise both logits); below, **attention rollout**
# (Abnar & Zuidema, 2020): the attention weights multiplied through all the layers with the residual
# path counted as attention to oneself, read off at the [CLS] row — how much of each token reaches [CLS].

# %%
from course.nn import record_attention

examples = ["the movie was good", "the movie was not good", "the game was not very boring",
            "the song was never really clever"]
fig, axes = plt.subplots(len(examples), 1, figsize=(8, 1.25 * len(examples)))
for ax, text in zip(axes, examples):
    ids = torch.tensor([[tok.bos_id] + tok.encode(text) + [tok.eos_id]], device=device)
    with torch.inference_mode(), record_attention(model) as records:
        probs = model(ids).logits.softmax(-1)[0]
    chosen = int(probs.argmax())
    saliency = gradient_x_input(model, ids, torch.tensor([chosen], device=device))[0].cpu()
    rollout = attention_rollout([calls[0] for calls in records.values()])[0, 0].cpu()
    words = ["[CLS]"] + text.split() + ["[SEP]"]
    limit = float(saliency.abs().max())
    ax.imshow(saliency[None].numpy(), cmap="coolwarm", vmin=-limit, vmax=limit, aspect="auto",
              extent=(-0.5, len(words) - 0.5, 0.5, 1.5))
    ax.imshow(rollout[None].numpy(), cmap="Greens", vmin=0, vmax=float(rollout.max()), aspect="auto",
              extent=(-0.5, len(words) - 0.5, -0.5, 0.5))
    for i, w in enumerate(words):
        ax.text(i, 1, w, ha="center", va="center", fontsize=9)
        ax.text(i, 0, f"{rollout[i]:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xlim(-0.5, len(words) - 0.5)
    ax.set_ylim(-0.5, 1.5)
    ax.set_yticks([1, 0], ["grad×input", "rollout"], fontsize=7)
    ax.set_xticks([])
    ax.set_title(f"{text!r} → {'positive' if chosen else 'negative'} (p = {probs[chosen]:.2f})", fontsize=9)
fig.tight_layout()

# %% [markdown]
# Read the two rows with suspicion. In this run the model is all but certain (see p in the titles), and there gradient × input
# is a poor guide: the softmax is saturated, the local gradient is small and its sign varies from word to
# word — the weakness that led Sundararajan, Taly & Yan (2017) to integrate gradients along a path from a
# baseline instead. Rollout gives little to `the` and the noun and more to the words around the decision,
# but it says where information *flows* to [CLS], not what the classifier does with it; Jain & Wallace
# (2019) warn against reading attention as explanation. Both are cheap first looks. The test of a claim
# such as "the model relies on `not`" is an intervention: delete or swap the token and re-run, as Lab 1's
# per-case table does for whole groups of sentences.
#
# ## Self-test
#
# **Exercise 1.** Lab 3 drew attention rollout from the package without showing its code. Write it.

# %%
from course.selftest import exercise

exercise("49.attention_rollout")

# %%
def attention_rollout(attentions, residual=0.5):
    # your code here
    raise NotImplementedError


exercise("49.attention_rollout").check(attention_rollout)

# %% [markdown]
# **Exercise 2.** Before Transformers, the standard patch for Lab 1's failure was to mark the words that a
# negation governs, so that `good` and `NOT_good` become different features. Compute the scope.

# %%
exercise("49.negation_scope")

# %%
def negation_scope(tokens, negators=("not", "never", "no")):
    # your code here
    raise NotImplementedError


exercise("49.negation_scope").check(negation_scope)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(49)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 情感分析是**句子/文档级**分类：数据集给整段文本一个标签（正面/负面/中性），而不是给每个词标注——同一个词的极性取决于上下文，“not good” 里的 good 是负面的。做法：预训练编码器（如 BERT）读入 [CLS] 文本 [SEP]，取 [CLS] 的最终向量接一个小分类头，用交叉熵连同编码器一起微调。预处理不要去停用词：常用停用词表包含 not、never、very，去掉后否定句和对应的肯定句变成同一段文本，标签再也分不开。词袋 + 逻辑回归给每个词一个固定权重，无法表达否定翻转；加二元组能修补 “not good”，但在 “not very good” 和 “was very good” 里否定词和极性词之间隔了一个词，没有哪个二元组能同时包含两者，其中一类仍会判错；三元组也只能修补训练中见过的组合。评估时除总体准确率外，要按否定、程度副词等情况分别统计；可以用梯度×输入或注意力 rollout 查看决策依据了哪些词。
#
# **English:** Sentiment analysis is **sentence- or document-level** classification: one label per text,
# not per word — a word's polarity depends on context (`good` is negative in `not good`). Fine-tune a
# pretrained encoder on [CLS] text [SEP] with a small head on the final [CLS] state and cross-entropy,
# encoder included. Keep stop words: standard lists contain `not`, `never`, `very`, and removing them
# erases negation. A bag of words with logistic regression gives each word one weight and cannot flip it;
# bigrams patch `not good`, but in `not very good` and `was very good` no bigram holds both the negator (or
# its absence) and the polar word, so one group still fails; trigrams patch only the triples seen in training.
# Report accuracy per case (negation, intensifiers), not only overall, and inspect decisions with gradient ×
# input or attention rollout.

# %% [markdown]
# ## Further reading
#
# - Pang, Lee, Vaithyanathan — *Thumbs up? Sentiment Classification using Machine Learning Techniques* (2002): bag-of-words baselines and negation marking.
# - Socher et al. — *Recursive Deep Models for Semantic Compositionality Over a Sentiment Treebank* (2013): SST, and negation measured as a separate case.
# - Devlin, Chang, Lee, Toutanova — *BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding* (2019): fine-tuning with the [CLS] state (SST-2 in GLUE).
# - Shrikumar, Greenside, Kundaje — *Learning Important Features Through Propagating Activation Differences* (2017): gradient × input as a baseline attribution.
# - Abnar, Zuidema — *Quantifying Attention Flow in Transformers* (2020): attention rollout.
# - Jain, Wallace — *Attention is not Explanation* (2019).
