# %% [markdown]
# # Chapter 16 · How does self-attention work in language models?
#
# **题目：** 语言模型中的自注意力如何工作？ — 请解释语言模型中的自注意力机制。
#
# **Question:** How does self-attention work in language models? Explain the mechanism.
#
# **Time:** about 25 minutes · **Prerequisites:** [4 · how attention works](04_how_attention_works.ipynb) · **Related:**
# [17 · multi-head attention](17_multi_head_attention.ipynb), [41 · implementing the Transformer](41_implementing_transformer.ipynb)
#
# **Objectives**
# - Build self-attention from one sequence: queries, keys and values are three projections of the same tokens.
# - Measure why the projections matter (without independent W_q and W_k, every token looks at itself).
# - Match the course's implementation to `torch.nn.MultiheadAttention` with copied weights.
# - In a trained GPT, find the head that links a verb to its subject, and remove it.

# %% [markdown]
# ## Try first
#
# Write down how one token's output is computed from the whole sequence. Where do Q, K and V come from?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “计算每个词与其他词之间的相似度…通过点积实现” | incomplete | The dot product is between a token's **query** and the other tokens' **keys** — two different learned projections — scaled by 1/√d_k. Similarity of the raw embeddings (or of one shared projection) makes each token attend mostly to itself. | Lab 1 |
# | “相似度值表示一个词在上下文中的重要性” | **wrong** | A weight is how well *this* query matches *that* key; the same word gets different weights from different queries and heads. It is not a global importance. | Lab 3 |
# | “将每个词的权重与其对应的**嵌入向量**相乘，然后求和” | **wrong** | The weighted sum is over the **values** V = X·W_v, not over the embeddings. | Lab 1 |
# | “将加权和向量作为当前词的新的嵌入向量” | **wrong** | The sum is projected by W_o and **added** to the input (residual connection); it replaces nothing. A feed-forward network follows. GPT-2 and later normalize *before* each sub-layer (pre-LN: x + Attn(LN(x))); the 2017 Transformer and BERT normalized after the addition (post-LN). | Lab 2 |
# | (missing) | — | Self-attention has no notion of order: it is permutation-equivariant until positions are added. | Lab 4 |

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch import nn

import course
from course.models import GPT, GPTConfig
from course.nn import MultiHeadAttention, record_attention
from course.runtime import get_device, seed_everything

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Q, K and V come from the same sequence
#
# Self-attention is attention in which queries, keys and values are all computed from one sequence X
# (T tokens × d features): Q = X·W_q, K = X·W_k, V = X·W_v. Written out for 6 tokens:

# %%
tokens = ["the", "dog", "near", "the", "trees", "runs"]
T, d, d_k = len(tokens), 16, 8
x = torch.randn(T, d, generator=generator)                       # token vectors (embeddings + positions)
w_q, w_k, w_v = (torch.randn(d, d_k, generator=generator) / math.sqrt(d) for _ in range(3))

q, k, v = x @ w_q, x @ w_k, x @ w_v                              # three views of the same tokens
weights = torch.softmax(q @ k.T / math.sqrt(d_k), dim=-1)       # (T, T): row i = where token i looks
out = weights @ v                                                # (T, d_k): a weighted sum of *values*
print("out:", tuple(out.shape), "· row sums of the weights:", weights.sum(-1).numpy().round(4))

# %% [markdown]
# Why not score the tokens by their raw similarity x·x? A vector is usually most similar to itself, so
# every token would mostly attend to itself. One shared projection (q = k = x·W) does not help: x·W·Wᵀ·xᵀ
# usually still puts the largest score on the diagonal — not always, since Cauchy–Schwarz only bounds
# (x_i·W)·(x_j·W) by |x_i·W|·|x_j·W|, and a longer x_j·W can win; the rate below is measured, not a theorem.
# Separate W_q and W_k let a token *look for* something other
# than itself (a verb for its subject, say). Measured on 200 random sequences of 12 vectors of dimension 64
# (projections scaled by 1/√64 so that q and k keep unit variance, scores divided by √64 as usual):

# %%
# NBVAL_CHECK_OUTPUT
g = torch.Generator().manual_seed(1)
xs = torch.randn(200, 12, 64, generator=g)
w_a, w_b = (torch.randn(64, 64, generator=g) / 8 for _ in range(2))
variants = {"q = k = x": (xs, xs), "q = k = x·W (shared)": (xs @ w_a, xs @ w_a),
            "q = x·W_q, k = x·W_k": (xs @ w_a, xs @ w_b)}
for name, (qs, ks) in variants.items():
    attn = torch.softmax(qs @ ks.transpose(1, 2) / 8, dim=-1)
    on_self = (attn.argmax(-1) == torch.arange(12)).float().mean().item()
    print(f"{name:>22}: a token's largest weight is on itself in {on_self:.0%} of rows (chance: {1 / 12:.0%})")

# %% [markdown]
# ## Lab 2 — The course's multi-head attention equals PyTorch's
#
# `course.nn.MultiHeadAttention` stacks W_q, W_k, W_v in one matrix, splits into heads, runs the attention
# core and mixes heads with W_o — the same layout as `torch.nn.MultiheadAttention`. With the weights
# copied across, they compute the same outputs and the same per-head weights:

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
ours = MultiHeadAttention(d_model=16, n_heads=4)
theirs = nn.MultiheadAttention(16, 4, batch_first=True)
with torch.no_grad():
    theirs.in_proj_weight.copy_(ours.qkv_proj.weight)
    theirs.in_proj_bias.copy_(ours.qkv_proj.bias)
    theirs.out_proj.weight.copy_(ours.out_proj.weight)
    theirs.out_proj.bias.copy_(ours.out_proj.bias)
batch = x[None]                                                  # (1, T, 16)
with record_attention(ours) as recorded, torch.no_grad():
    mine = ours(batch)
    reference, reference_weights = theirs(batch, batch, batch, average_attn_weights=False)
print("outputs equal:", torch.allclose(mine, reference, atol=1e-6))
print("per-head weights equal:", torch.allclose(recorded[""][0], reference_weights, atol=1e-6))

# %% [markdown]
# Attention is one sub-layer of a block. The course's GPT uses the **pre-LN** order of GPT-2 and later:
# normalize, attend, **add** the result to the input (the residual stream); then the same for the
# feed-forward network. The 2017 Transformer and BERT normalized after the addition (post-LN), which needs
# a learning-rate warmup to train deep stacks (Xiong et al., 2020). The block's forward pass, from the package:

# %%
from course.nn import TransformerBlock

course.show(TransformerBlock.forward)

# %% [markdown]
# ## Lab 3 — A head that links the verb to its subject
#
# Random weights only show the arithmetic. What does a *trained* model's self-attention do? We train the
# small word-level GPT of [chapter 1](01_llm_basics.ipynb) on its agreement grammar, where a verb agrees with a subject that can be
# several words back: “the **dog** near the trees **runs**”. To choose between *runs* and *run*, the position
# just before the verb (“trees”) must fetch the subject's number from 3 words back.

# %%
from course.text import WordTokenizer, agreement_pairs, grammar_corpus, lm_batch, train_val_split
from course.train import AdamW, fit, warmup_cosine_scheduler

text = grammar_corpus(4000, seed=0)
words = WordTokenizer([text])
ids = torch.tensor([i for line in text.splitlines() for i in words.encode(line) + [words.eos_id]])
train_ids, _ = train_val_split(ids)
torch.manual_seed(0)
data_gen = torch.Generator().manual_seed(0)
gpt = GPT(GPTConfig(vocab_size=words.vocab_size, context=32, n_layers=2, n_heads=4, d_model=64)).to(device)
optimizer = AdamW(gpt.parameters(), lr=3e-3, weight_decay=0.01)
history = fit(gpt, optimizer, lambda step: lm_batch(train_ids, 32, 32, data_gen, device), 300,
              scheduler=warmup_cosine_scheduler(optimizer, warmup=30, total=300))
gpt.eval()
print(f"final training loss {history.final_loss:.2f} nats/token")

# %% [markdown]
# Test sentences in which a noun of the other number stands between subject and verb. The model is right
# when it gives the correct verb form a higher score than the wrong one; we also record every head's
# attention from the last prefix position (the one that predicts the verb) to the subject (position 1).

# %%
pairs = agreement_pairs(300, seed=123)
groups = {}                                                      # prefixes of equal length, batched together
for prefix, right, wrong in pairs:
    groups.setdefault(len(words.encode(prefix)), []).append(
        (words.encode(prefix), words.encode(right)[0], words.encode(wrong)[0]))


def agreement_and_subject_attention():
    """Fraction of pairs where the right verb scores higher; attention (L, H) from the last prefix
    position to the subject, averaged over the pairs."""
    hits, to_subject = 0, 0.0
    with record_attention(gpt) as recorded, torch.inference_mode():
        for group in groups.values():
            prefix = torch.tensor([p for p, _, _ in group], device=device)             # (n, t)
            logits = gpt(prefix).logits[:, -1]                                          # (n, V)
            right = logits.gather(1, torch.tensor([[r] for _, r, _ in group], device=device))
            wrong = logits.gather(1, torch.tensor([[w] for _, _, w in group], device=device))
            hits += (right > wrong).sum().item()
            per_layer = [calls[-1][:, :, -1, 1] for calls in recorded.values()]         # L × (n, H)
            to_subject = to_subject + torch.stack(per_layer, 1).sum(0)                  # (L, H)
    return hits / len(pairs), (to_subject / len(pairs)).cpu()


accuracy, to_subject = agreement_and_subject_attention()
layer, head = divmod(int(to_subject.argmax()), to_subject.shape[1])
print(f"agreement accuracy: {accuracy:.2f} over {len(pairs)} sentences with a distracting noun")
print("attention from the verb-predicting position to the subject, per layer (rows) and head (columns):")
print(to_subject.numpy().round(2))
print(f"the subject head: layer {layer}, head {head}")

# %% [markdown]
# Does the model *need* that head? Switch each head off in turn (its output multiplied by 0, through the
# attention module's `head_mask`) and measure agreement again:

# %%
n_heads = to_subject.shape[1]
ablated = torch.zeros_like(to_subject)                           # (L, H) agreement without that head
for l, block in enumerate(gpt.blocks):
    for h in range(n_heads):
        keep = torch.ones(n_heads, device=device)
        keep[h] = 0.0                                            # silence head h of layer l
        block.self_attn.head_mask = keep
        ablated[l, h] = agreement_and_subject_attention()[0]
    block.self_attn.head_mask = None
print(f"agreement with all heads: {accuracy:.2f}; without layer {layer} head {head}: {ablated[layer, head]:.2f}")
print("agreement with one head removed, per layer (rows) and head (columns):")
print(ablated.numpy().round(2))

# %%
example = "the dog near the trees"
example_ids = torch.tensor([words.encode(example + " runs")], device=device)
with record_attention(gpt) as recorded, torch.inference_mode():
    gpt(example_ids)
subject_map = list(recorded.values())[layer][0][0, head].cpu()                         # (T, T)
labels = [words.itos[i] for i in example_ids[0].tolist()]
print(f"layer {layer}, head {head}: weight on “{labels[1]}” from each query:",
      {q: round(w, 2) for q, w in zip([f"{i}:{t}" for i, t in enumerate(labels)], subject_map[:, 1].tolist())})
names = [f"L{l}H{h}" for l in range(to_subject.shape[0]) for h in range(to_subject.shape[1])]

from course.viz import plot_attention

fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.6), gridspec_kw={"width_ratios": [1, 1.4]})
plot_attention(subject_map, labels, labels, ax=axes[0], title=f"layer {layer}, head {head}: the subject head")
axes[1].bar(names, to_subject.flatten(), color="tab:blue", label="attention to the subject")
axes[1].plot(names, ablated.flatten(), "o", color="tab:red", label="agreement with this head removed")
axes[1].axhline(0.5, color="gray", ls=":", label="chance agreement")
axes[1].set(ylim=(0, 1.05), xlabel="head (layer, head)", title="Which head carries the subject?")
axes[1].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
fig.tight_layout()

# %% [markdown]
# In this run one head of the second layer (layers and heads are counted from 0) puts most of its weight,
# from the position before the verb, on the subject — past the distracting noun — and removing that one head
# drops agreement from 1.00 to 0.52, about chance, while removing any other head leaves it at 1.00 (the
# printed table). That is one trained model: with another seed the job may be shared by several heads, and
# removing one of them then costs less. Attention weights are query-specific: in the map (and the printed
# column), the same word “dog” gets a large weight from “trees” (and from itself) and small ones from the
# other queries; it is not a global “importance” of the word.
#
# ## Lab 4 — Self-attention does not know the order
#
# Shuffle the tokens and self-attention returns the same output vectors, shuffled the same way
# (*permutation equivariance*). “dog bites man” and “man bites dog” would be processed alike. Adding a
# position vector to each token breaks the symmetry — that is the job of positional encodings:

# %%
# NBVAL_CHECK_OUTPUT
from course.nn import sinusoidal_table

perm = torch.tensor([5, 2, 0, 4, 1, 3])
with torch.no_grad():
    plain = ours(batch)
    shuffled = ours(batch[:, perm])
    positions = sinusoidal_table(T, 16)[None]
    with_pos = ours(batch + positions)
    shuffled_pos = ours(batch[:, perm] + positions)              # positions stay in place, tokens move
print("no positions:   shuffled output == shuffled input's output:", torch.allclose(shuffled, plain[:, perm], atol=1e-6))
print("with positions: shuffled output == shuffled input's output:", torch.allclose(shuffled_pos, with_pos[:, perm], atol=1e-6))

# %% [markdown]
# **Step through it.** Pick a query of the example sentence: the bars are the subject head's weights over
# the tokens it may see (causal: only earlier ones). (Move the slider in JupyterLab.)

# %%
import ipywidgets as widgets


def show_query(i: int = 4):
    fig, ax = plt.subplots(figsize=(6, 2.6))
    ax.bar(range(len(labels)), subject_map[i].numpy(), color="tab:blue")
    ax.set_xticks(range(len(labels)), labels)
    ax.set(title=f"layer {layer}, head {head}: weights of query '{labels[i]}' (sum = 1)", ylim=(0, 1))
    fig.tight_layout()
    plt.show()


widgets.interact(show_query, i=widgets.IntSlider(min=0, max=len(labels) - 1, value=4, description="query"));

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Lab 1 wrote bidirectional self-attention for one sequence; a GPT needs the causal
# version, on a batch.

# %%
from course.selftest import exercise

exercise("16.causal_self_attention")

# %%
def causal_self_attention(x, w_q, w_k, w_v):
    # your code here
    raise NotImplementedError


exercise("16.causal_self_attention").check(causal_self_attention)

# %% [markdown]
# **Exercise 2.** The next step: the attention sub-layer of a pre-LN block, as in Lab 2's `forward`.

# %%
exercise("16.pre_ln_attention")

# %%
def pre_ln_attention(x, w_q, w_k, w_v, w_o):
    # your code here
    raise NotImplementedError


exercise("16.pre_ln_attention").check(pre_ln_attention)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(16)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 自注意力中，查询、键、值都来自同一序列：Q = XW_q，K = XW_k，V = XW_v。每个位置用自己的查询与所有位置的键做缩放点积（除以 √d_k），softmax 得到一行权重，再对**值向量**（而不是原始嵌入）加权求和。分数表示“这个查询与那个键的匹配程度”，不是词的全局重要性。W_q、W_k 分开是关键：若直接用 x·x 或共享一个投影，词几乎只关注自己。训练好的小 GPT 里能找到一个头从动词前的位置把约 0.9 的权重放在主语上；本次运行中去掉这个头，主谓一致准确率从 1.00 跌到 0.52（换个随机种子，这项工作可能由几个头分担）。输出经 W_o 投影后**加回**
# 输入（残差），GPT-2 之后采用 pre-LN：x + Attn(LN(x))，再接前馈网络。自注意力对顺序不敏感（置换等变），需要位置编码；解码器还要加因果掩码。
#
# **English:** In self-attention, queries, keys and values are three learned projections of the same
# sequence: Q = XW_q, K = XW_k, V = XW_v. Each position scores its query against every key (scaled dot
# product, 1/√d_k), a softmax turns the row into weights, and the output is the weighted sum of the
# **values**, not of the raw embeddings. A score says how well this query matches that key — not a global
# importance of the word. Separate W_q and W_k matter: with x·x, or one shared projection, a token mostly
# attends to itself. A trained small GPT has a head that links the verb to its subject; in this run,
# removing it drops agreement from 1.00 to 0.52 (with other seeds several heads may share the job). The result is projected by W_o and *added* to the input (residual);
# GPT-2 and later are pre-LN, x + Attn(LN(x)), then an MLP the same way. It is
# order-blind (permutation-equivariant) until positions are added; decoders add a causal mask.

# %% [markdown]
# ## Further reading
#
# - Vaswani et al. — *Attention Is All You Need* (2017), section 3.2.
# - Cheng, Dong, Lapata — *Long Short-Term Memory-Networks for Machine Reading* (self-attention, 2016).
# - Lin et al. — *A Structured Self-attentive Sentence Embedding* (2017).
# - Xiong et al. — *On Layer Normalization in the Transformer Architecture* (pre-LN vs post-LN, 2020).
# - Clark, Khandelwal, Levy, Manning — *What Does BERT Look At? An Analysis of BERT's Attention* (2019).
# - Michel, Levy, Neubig — *Are Sixteen Heads Really Better than One?* (head ablation, 2019).
