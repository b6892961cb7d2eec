# %% [markdown]
# # Chapter 18 · How does BERT's masked language model task strengthen language understanding?
#
# **题目：** BERT 模型中的 Masked Language Model 任务如何增强语言理解？ — 请解释 BERT 模型中的 Masked Language Model 任务如何增强语言理解。
#
# **Question:** Explain how the masked-language-model task in BERT strengthens language understanding.
#
# **Time:** about 25 minutes · **Prerequisites:** [12 · BERT's MLM task](12_bert_mlm.ipynb),
# [13 · BERT's bidirectional encoder](13_bert_bidirectional_encoder.ipynb) · **Related:**
# [2 · pretraining and fine-tuning](02_pretraining_and_finetuning.ipynb), [42 · transfer learning](42_transfer_learning.ipynb)
#
# **Objectives**
# - Turn "understanding" into measurements: cloze accuracy, and linear probes on frozen representations.
# - Locate what MLM pretraining adds: in the contextual layers, not in the word embeddings.
# - Read a probe correctly: against the same architecture untrained, since a random encoder is a strong baseline.

# %% [markdown]
# ## Try first
#
# "MLM makes BERT understand language." How would you *test* that claim on a trained model, and what would you
# compare it with?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “通过遮蔽一部分词，迫使模型…依赖于其他词的上下文信息” | correct | To predict a hidden word the encoder must gather evidence from both sides: in our grammar, the verb form depends on a subject several words to its left. | Lab 1 |
# | “词嵌入学习…增强了词嵌入的语义信息” | **wrong** as the mechanism | The gain is in the **contextual** layers. At a `[MASK]` position the embedding layer holds the same vector in every sentence, so it cannot know anything about the missing word; the subject's number becomes linearly readable there only after the attention layers. Word identity (and so part of speech) is readable from the embedding of *any* encoder, trained or not. | Labs 2–3 |
# | “跨词关联：遮蔽不同位置的词…建立联系” | correct | The same point as the first row, seen from the target's side: which word is masked changes which other words carry the evidence. In Lab 1 the masked verb is decided by the subject, several words away, and not by the noun next to it. | Lab 1 |
# | “学习到单词之间的关系和语言的深层结构” | **incomplete** | A claim, not a measurement. The evidence is that a linear probe decodes syntax (here, the subject's number) from frozen layers far better than from the same architecture untrained, and that the MLM head fills blanks correctly. A probe shows what is *decodable*, not what the model *uses*. | Labs 1–2 |
# | (missing) the cost of MLM | **incomplete** | Only the 15 % selected positions produce a loss, so MLM learns from fewer targets per sentence than next-token prediction (the motivation of ELECTRA, Clark et al., 2020), and `[MASK]` never appears at fine-tuning time (hence the 80/10/10 rule, chapter 12). | chapter 12 |

# %%
import matplotlib.pyplot as plt
import torch

from course.models import Bert, mask_tokens
from course.pretrained import VAL_SEED, held_out_lines, load_tiny_bert
from course.runtime import seed_everything
from course.text import agreement_pairs, pad_batch
from course.text.corpus import ADJECTIVES, NOUNS, PLACES, TRANSITIVE, VERBS
from course.train import hidden_states, probe_accuracy, train_linear_probe

seed_everything(0)
bert, tok = load_tiny_bert()
MASK = tok.stoi["<mask>"]
torch.manual_seed(0)
untrained = Bert(bert.config).eval()            # the same architecture, never trained: the baseline
encoders = {"pretrained (MLM)": bert, "untrained": untrained}

# %% [markdown]
# ## Lab 1 — Cloze: fill in the blank
#
# The MLM head's own task, on 500 lines it never saw in pretraining (`held_out_lines`): choose 15 % of the words (80/10/10 as in pretraining) and
# count how often the top prediction is the original word. The baseline that knows no context always answers
# the most frequent word.

# %%
lines = held_out_lines(500)
ids, real = pad_batch([[tok.bos_id] + tok.encode(line) + [tok.eos_id] for line in lines], tok.pad_id)
special = ~real | (ids == tok.bos_id) | (ids == tok.eos_id)
inputs, labels = mask_tokens(ids, MASK, tok.vocab_size, special=special, generator=torch.Generator().manual_seed(0))
chosen = labels != -100
most_frequent = labels[chosen].mode().values
print(f"{int(chosen.sum()):,} blanks; always answering {tok.itos[most_frequent]!r}: "
      f"{(labels[chosen] == most_frequent).float().mean():.3f}")
with torch.inference_mode():
    for name, model in encoders.items():
        predicted = model(inputs, attention_mask=real).logits.argmax(-1)
        print(f"{name:>17}: cloze top-1 accuracy {(predicted[chosen] == labels[chosen]).float().mean():.3f}")

# %% [markdown]
# Some blanks cannot be filled by anyone (which name, which year?); others are decided by grammar. The
# sharpest test is agreement: mask the verb after a subject and an *attractor* noun — "the dog near the trees
# `[MASK]` ." — and ask which form the MLM head prefers, "runs" or "run". The attractor's number is drawn
# independently of the subject's (`attractor="random"`), so "the opposite of the nearest noun" is right only on
# the *incongruent* half; the *congruent* half ("the dog near the tree") is the control. The same sentences
# serve the probes of Lab 2.

# %%
PLURAL_VERBS = {plural.split()[0] for _, plural in VERBS}
PLURAL_NOUNS = {plural for _, plural in NOUNS} | {place + "s" for place in PLACES}


def masked_verb_batch(n, seed, exclude=()):
    """[CLS] prefix [MASK] rest . [SEP]; returns ids, real, the [MASK] position, the subject's number
    (1 = plural), the ids of the right and wrong verb forms, whether the attractor agrees with the subject
    (congruent), and the sentences. Sentences in `exclude` are skipped, as are repeats."""
    rows, where, plural, good, bad, congruent, texts = [], [], [], [], [], [], []
    for prefix, right, wrong in agreement_pairs(n, seed, attractor="random"):
        if prefix + right in exclude or prefix + right in texts:
            continue
        words = prefix.split()
        attractor = words[-1] if words[-2] == "the" else words[-2]        # "near the trees" / "that the kings help"
        texts.append(prefix + right)
        congruent.append((attractor in PLURAL_NOUNS) == (right.split()[0] in PLURAL_VERBS))
        head = [tok.bos_id] + tok.encode(prefix)
        rows.append(head + [MASK] + tok.encode(right)[1:] + tok.encode(".") + [tok.eos_id])
        where.append(len(head))
        plural.append(int(right.split()[0] in PLURAL_VERBS))
        good.append(tok.encode(right)[0])
        bad.append(tok.encode(wrong)[0])
    batch_ids, batch_real = pad_batch(rows, tok.pad_id)
    return batch_ids, batch_real, *map(torch.tensor, (where, plural, good, bad, congruent)), texts


train_set = masked_verb_batch(1000, seed=1)
test_set = masked_verb_batch(800, seed=2, exclude=set(train_set[-1]))     # no sentence seen by the probes
n_test, cong = len(test_set[-1]), test_set[6]
print(f"{len(train_set[-1])} distinct training sentences; {n_test} test sentences, none of them in training "
      f"({int(cong.sum())} congruent, {int((~cong).sum())} incongruent)")
print(tok.decode(test_set[0][0, :int(test_set[1][0].sum())].tolist()), "· subject plural:", test_set[3][0].item(),
      "· congruent:", bool(cong[0]))
rows = torch.arange(n_test)
with torch.inference_mode():
    for name, model in encoders.items():
        at_mask = model(test_set[0], attention_mask=test_set[1]).logits[rows, test_set[2]]      # (N, V)
        right = at_mask[rows, test_set[4]] > at_mask[rows, test_set[5]]
        print(f"{name:>17}: prefers the agreeing verb in {right[~cong].float().mean():.1%} of incongruent, "
              f"{right[cong].float().mean():.1%} of congruent sentences")

# %% [markdown]
# ## Lab 2 — Linear probes, layer by layer
#
# Freeze the encoder, take the vector at the `[MASK]` position from each depth (0 = embeddings, 1–4 = after
# each Transformer layer) and fit a **linear** classifier — logistic regression — to read off the subject's
# number on the training sentences; test on the others, separately on incongruent and congruent ones. A probe
# that read "the opposite of the nearest noun" would score high on one half and low on the other. A linear probe is weak on purpose: if it succeeds, the
# information is *explicitly* there, not computed by the probe. The same probe on the untrained encoder says
# how much a random network's mixing of the context already exposes.

# %%
def layer_features(model, data):
    """One (N, d) matrix per depth: the vectors at each sentence's [MASK] position."""
    with torch.inference_mode():
        states = hidden_states(model, data[0], data[1])
    return [h[torch.arange(len(h)), data[2]] for h in states]


def probe_by_depth(name, l2):
    """Test accuracy by depth 0…4, on (incongruent, congruent) test sentences."""
    out = []
    for a, b in zip(*features[name]):
        probe = train_linear_probe(a, train_set[3], 2, l2=l2)
        out.append(tuple(probe_accuracy(probe, b[m], test_set[3][m]) for m in (~cong, cong)))
    return out


probe_acc, features = {}, {}
for name, model in encoders.items():
    features[name] = layer_features(model, train_set), layer_features(model, test_set)
    both = probe_by_depth(name, l2=1e-3)
    probe_acc[name] = [inc for inc, _ in both]
    print(f"{name:>17}, subject number from [MASK], depth 0…4\n"
          f"{'incongruent':>20}: {[round(inc, 3) for inc, _ in both]}\n{'congruent':>20}: {[round(c, 3) for _, c in both]}")

# %% [markdown]
# `train_linear_probe` fits softmax (multinomial) logistic regression with an L2 penalty to convergence with
# L-BFGS. It is scikit-learn's `LogisticRegression` with a matching `C` (Exercise 2 asks why the two-class
# case differs). Checked on the pretrained encoder's depth 1:

# %%
# NBVAL_CHECK_OUTPUT
from sklearn.linear_model import LogisticRegression

l2 = 1e-3
x_train, x_test = (f[1] for f in features["pretrained (MLM)"])
ours = train_linear_probe(x_train, train_set[3], 2, l2=l2)
theirs = LogisticRegression(C=2 / (l2 * len(x_train)), max_iter=5000, tol=1e-10).fit(x_train.numpy(), train_set[3].numpy())
gap = (ours(x_test).softmax(-1) - torch.tensor(theirs.predict_proba(x_test.numpy()))).abs().max().item()
agree = (ours(x_test).argmax(-1).numpy() == theirs.predict(x_test.numpy())).mean()
print("same prediction as scikit-learn on ≥ 99 % of the test sentences:", agree >= 0.99)
print("largest probability difference below 0.02:", gap < 0.02)

# %%
# NBVAL_CHECK_OUTPUT
pre, rnd = probe_acc["pretrained (MLM)"], probe_acc["untrained"]
print("depth 0 ([MASK]'s embedding) at chance (< 0.6) for both:", pre[0] < 0.6 and rnd[0] < 0.6)
print("pretrained beats untrained at every depth 1–4:", all(p > r for p, r in zip(pre[1:], rnd[1:])))
print("pretrained ≥ 0.95 from depth 2 on:", all(p >= 0.95 for p in pre[2:]))

# %% [markdown]
# ## Lab 3 — A probe needs a baseline: part of speech
#
# Part of speech looks like "understanding", but in our grammar it is a property of the word itself. Tag every
# word of 300 sentences never seen in pretraining (determiner, adjective, noun, verb, other) and probe the embeddings (depth 0)
# and the last layer of both encoders:

# %%
TAGS = ["DET", "ADJ", "NOUN", "VERB", "OTHER"]
LEXICON = {**{w: "DET" for w in ("the", "a", "one", "some", "many")}, **{w: "ADJ" for w in ADJECTIVES + ["happy"]},
           **{w: "NOUN" for pair in NOUNS for w in pair}, **{w: "NOUN" for p in PLACES for w in (p, p + "s")},
           **{w: "VERB" for pair in VERBS + TRANSITIVE for form in pair for w in form.split()[:1]}}
sentences = [line for line in held_out_lines(600, seed=VAL_SEED + 1) if set(line.split()) <= set(LEXICON) | {
    "near", "that", "here", "today", "again", "slowly", "at", "night", "."}][:300]
pos_ids, pos_real = pad_batch([[tok.bos_id] + tok.encode(s) + [tok.eos_id] for s in sentences], tok.pad_id)
tag = torch.tensor([[TAGS.index(LEXICON.get(tok.itos[i], "OTHER")) for i in row] for row in pos_ids.tolist()])
words = pos_real & (pos_ids != tok.bos_id) & (pos_ids != tok.eos_id)                 # (N, T) real words
half = len(sentences) // 2                                                           # train on half the sentences
split = torch.zeros_like(words)
split[:half] = True
pos_acc = {}
for name, model in encoders.items():
    with torch.inference_mode():
        states = hidden_states(model, pos_ids, pos_real)
    pos_acc[name] = []
    for depth in (0, len(states) - 1):
        probe = train_linear_probe(states[depth][words & split], tag[words & split], len(TAGS), l2=1e-3)
        pos_acc[name].append(probe_accuracy(probe, states[depth][words & ~split], tag[words & ~split]))
    print(f"{name:>17}: part of speech at depth 0 {pos_acc[name][0]:.3f} · depth 4 {pos_acc[name][1]:.3f} "
          f"({int((words & ~split).sum())} test words)")

# %%
# NBVAL_CHECK_OUTPUT
print("the untrained encoder's embeddings already give part of speech (≥ 0.95):", pos_acc["untrained"][0] >= 0.95)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), gridspec_kw={"width_ratios": [1.6, 1]})
for name, color in zip(encoders, ("tab:blue", "tab:gray")):
    axes[0].plot(range(5), probe_acc[name], marker="o", color=color, label=name)
axes[0].axhline(0.5, color="black", ls=":", lw=1, label="chance")
axes[0].set(xlabel="depth (0 = embeddings)", ylabel="probe test accuracy", ylim=(0.4, 1.03), xticks=range(5),
            title="Subject number at the masked verb (incongruent)")
axes[0].legend(fontsize=8, loc="lower right")
width = 0.38
for k, (name, color) in enumerate(zip(encoders, ("tab:blue", "tab:gray"))):
    axes[1].bar([i + (k - 0.5) * width for i in range(2)], pos_acc[name], width, color=color, label=name)
axes[1].set_xticks(range(2), ["depth 0", "depth 4"])
axes[1].set(ylim=(0, 1.25), yticks=[0, 0.2, 0.4, 0.6, 0.8, 1.0], ylabel="probe test accuracy",
            title="Part of speech, every word")
axes[1].legend(fontsize=8, loc="upper center", ncol=2)
for ax in axes:
    ax.grid(alpha=0.3, axis="y")
fig.tight_layout()

# %% [markdown]
# Left (incongruent sentences): at the masked verb, depth 0 is at chance for both encoders — the `[MASK]`
# embedding is the same in every sentence. Compare the two printed rows: the untrained encoder does better on
# congruent sentences than on incongruent ones, so part of what its average of the context exposes is the
# *nearest noun's* number, not the subject's. Only the pretrained layers, from depth 2 on, read the subject on
# both halves alike — the information pretraining needed to fill the blank. Right: part of speech is decodable from random embeddings,
# because each word type gets its own random vector and a linear probe can memorise 5 classes for a few dozen
# words. A high probe score proves nothing without this baseline; Hewitt & Liang (2019) formalise it with
# *control tasks*.
#
# The baseline also depends on the probe's regularisation. Lab 2 again with ten times the penalty, `l2=1e-2`
# (incongruent sentences):

# %%
for name in encoders:
    print(f"{name:>17}, l2=1e-2:", [round(inc, 3) for inc, _ in probe_by_depth(name, l2=1e-2)])

# %% [markdown]
# Compare with the `l2=1e-3` rows above: the stronger penalty hurts the untrained encoder more than the
# pretrained one. Report probes with their settings, and tune them on held-out data for every encoder alike.
#
# ## Self-test
#
# **Exercise 1.** Lab 1 counted top-1 hits. Cloze benchmarks often report top-k: write that.

# %%
from course.selftest import exercise

exercise("18.topk_cloze_accuracy")

# %%
def topk_cloze_accuracy(logits, labels, k):
    # your code here
    raise NotImplementedError


exercise("18.topk_cloze_accuracy").check(topk_cloze_accuracy)

# %% [markdown]
# **Exercise 2.** Lab 2 checked `train_linear_probe` against scikit-learn. Write the conversion from its
# penalty to scikit-learn's `C`.

# %%
exercise("18.sklearn_C")

# %%
def sklearn_C(l2, n, n_classes):
    # your code here
    raise NotImplementedError


exercise("18.sklearn_C").check(sklearn_C)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(18)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** MLM 随机选 15% 的词（80% 换成 [MASK]、10% 随机、10% 不变）让模型还原，要还原就必须利用两侧上下文，比如动词的单复数取决于左边较远处的主语，而不是紧挨着的名词。这种“理解”可以测量：一是完形填空准确率；二是线性探针——冻结编码器，用逻辑回归从各层表示中读出语法信息。本实验里，被遮蔽动词位置的词嵌入层对主语单复数是随机水平；未训练的同结构模型经过注意力层后读出的主要是最近那个名词的单复数（吸引词与主语不一致的句子上明显更差），而预训练模型从第 2 层起在两类句子上都能读出主语——收益在上下文层，而不只是“词嵌入”。但探针必须有基线：词性这类词汇信息连随机初始化的嵌入都能读出。探针说明信息“可解码”，不等于模型“使用”了它。MLM 的代价是每句只有 15% 的位置产生损失（ELECTRA 的出发点）。
#
# **English:** MLM selects 15 % of the tokens (80 % [MASK], 10 % random, 10 % kept) and predicts the originals,
# which forces the encoder to combine evidence from both sides — e.g. a verb's form depends on a distant
# subject. "Understanding" is measured two ways: cloze accuracy, and linear probes — logistic regression
# reading a property from frozen layers. In this lab the subject's number is at chance in the [MASK] embedding;
# the same architecture untrained mostly exposes the *nearest noun's* number after attention (it fails where
# the attractor disagrees), while the pretrained layers from depth 2 on encode the subject on both kinds of
# sentence: the gain is contextual, not "better word embeddings". Probes need that baseline — part of speech is
# readable even from random embeddings — and show what is decodable, not what is used. The cost: only 15 %
# of positions give a loss (ELECTRA's motivation).

# %% [markdown]
# ## Further reading
#
# - Devlin, Chang, Lee, Toutanova — *BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding* (2019).
# - Alain, Bengio — *Understanding intermediate layers using linear classifier probes* (2016).
# - Linzen, Dupoux, Goldberg — *Assessing the Ability of LSTMs to Learn Syntax-Sensitive Dependencies* (2016): agreement with attractors.
# - Goldberg — *Assessing BERT's Syntactic Abilities* (2019).
# - Tenney, Das, Pavlick — *BERT Rediscovers the Classical NLP Pipeline* (2019).
# - Hewitt, Liang — *Designing and Interpreting Probes with Control Tasks* (2019).
# - Clark, Luong, Le, Manning — *ELECTRA: Pre-training Text Encoders as Discriminators Rather Than Generators* (2020).
