# %% [markdown]
# # Chapter 16 · How does self-attention work in language models?
#
# **题目：** 语言模型中的自注意力如何工作？ — 请解释语言模型中的自注意力机制。
#
# **Question:** How does self-attention work in language models? Explain the mechanism.
#
# **Time:** about 20 minutes · **Prerequisites:** [4 · how attention works](04_how_attention_works.ipynb) · **Related:**
# [17 · multi-head attention](17_multi_head_attention.ipynb), [41 · implementing the Transformer](41_implementing_transformer.ipynb)
#
# **Objectives**
# - Build self-attention from one sequence: queries, keys and values are three projections of the same tokens.
# - Measure why the projections matter (without them, every token looks at itself).
# - Match the course's implementation to `torch.nn.MultiheadAttention` with copied weights.
# - Show that self-attention ignores order until positions are added.

# %% [markdown]
# ## Try first
#
# Write down how one token's output is computed from the whole sequence. Where do Q, K and V come from?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “计算每个词与其他词之间的相似度…通过点积实现” | incomplete | The dot product is between a token's **query** and the other tokens' **keys** — two different learned projections — scaled by 1/√d_k. Similarity of the raw embeddings would make each token attend mostly to itself. | Lab 1 |
# | “相似度值表示一个词在上下文中的重要性” | **wrong** | A score is how well *this* query matches *that* key; the same word gets different weights from different queries. It is not a global importance. | Lab 1 |
# | “将每个词的权重与其对应的**嵌入向量**相乘，然后求和” | **wrong** | The weighted sum is over the **values** V = X·W_v, not over the embeddings. | Lab 2 |
# | “将加权和向量作为当前词的新的嵌入向量” | incomplete | The sum is projected by W_o, **added** to the input (residual connection), normalized, and passed to a feed-forward network. | chapter 41 |
# | (missing) | — | Self-attention has no notion of order: it is permutation-equivariant until positions are added. | Lab 3 |

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch import nn

import course
from course.nn import MultiHeadAttention, scaled_dot_product_attention
from course.runtime import seed_everything

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
out = weights @ v                                                # (T, d_k): token i's new vector
print("out:", tuple(out.shape), "· row sums of the weights:", weights.sum(-1).numpy().round(4))

# %% [markdown]
# Why not score the tokens by their raw similarity x·x? Because a vector is usually most similar to
# itself: every token would mostly attend to itself and learn nothing from the others. Separate W_q and
# W_k let a token *look for* something other than itself (a verb for its subject, say). Measured on random
# 64-dimensional vectors:

# %%
# NBVAL_CHECK_OUTPUT
xs = torch.randn(200, 12, 64, generator=torch.Generator().manual_seed(1))
raw = torch.softmax(xs @ xs.transpose(1, 2) / 8, dim=-1)
wq, wk = torch.randn(64, 64, generator=torch.Generator().manual_seed(2)), torch.randn(64, 64, generator=torch.Generator().manual_seed(3))
projected = torch.softmax((xs @ wq) @ (xs @ wk).transpose(1, 2) / 64, dim=-1)
eye = torch.arange(12)
for name, w in (("q = k = x", raw), ("q = x·W_q, k = x·W_k", projected)):
    self_top = (w.argmax(-1) == eye).float().mean().item()
    print(f"{name:>22}: a token's largest weight is on itself in {self_top:.0%} of rows (chance: {1 / 12:.0%})")

# %%
from course.viz import plot_attention

fig, ax = plt.subplots(figsize=(4.8, 4))
plot_attention(weights, tokens, tokens, ax=ax, title="self-attention weights (random projections)")
fig.tight_layout()

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
from course.nn import record_attention

with record_attention(ours) as recorded:
    mine = ours(batch)
reference, reference_weights = theirs(batch, batch, batch, average_attn_weights=False)
print("outputs equal:", torch.allclose(mine, reference, atol=1e-6))
print("per-head weights equal:", torch.allclose(recorded[""][0], reference_weights, atol=1e-6))

# %% [markdown]
# The forward pass you just ran, from the package:

# %%
course.show(MultiHeadAttention.forward)

# %% [markdown]
# ## Lab 3 — Self-attention does not know the order
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
# ## Lab 4 — Step through it
#
# Pick a query token: the bars are its attention weights over the sequence; its output is the
# weighted sum of the value vectors. (Move the slider in JupyterLab.)

# %%
import ipywidgets as widgets
from IPython.display import display


def show_query(i: int = 5):
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.8))
    axes[0].bar(range(T), weights[i].numpy(), color="tab:blue")
    axes[0].set_xticks(range(T), tokens)
    axes[0].set(title=f"weights of query '{tokens[i]}' (sum = 1)", ylim=(0, 1))
    contributions = (weights[i][:, None] * v).numpy()            # each value vector, scaled by its weight
    axes[1].imshow(contributions, cmap="coolwarm", aspect="auto", vmin=-1, vmax=1)
    axes[1].set_yticks(range(T), tokens)
    axes[1].set(title="weight × value, summed down the rows = output", xlabel="feature")
    fig.tight_layout()
    plt.show()


widgets.interact(show_query, i=widgets.IntSlider(min=0, max=T - 1, value=5, description="query"));

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Write `self_attention(x, w_q, w_k, w_v)` returning `(out, weights)` for `x` of shape `(T, d)`.

# %%
from course.selftest import exercise


def self_attention(x, w_q, w_k, w_v):
    # your code here
    raise NotImplementedError


exercise("16.self_attention").check(self_attention)

# %% [markdown]
# **Exercise 2.** The causal version, as in a GPT: token *i* may only attend to tokens 0…*i*.

# %%
def causal_self_attention(x, w_q, w_k, w_v):
    # your code here
    raise NotImplementedError


exercise("16.causal_self_attention").check(causal_self_attention)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(16)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 自注意力中，查询、键、值都来自同一序列：Q = XW_q，K = XW_k，V = XW_v。每个位置用自己的查询与所有位置的键
# 做缩放点积（除以 √d_k），softmax 得到一行权重，再对**值向量**（而不是原始嵌入）加权求和。分数表示“这个查询与那个键
# 的匹配程度”，不是词的全局重要性。W_q、W_k 分开是关键：若直接用 x·x，词几乎只关注自己。输出再经 W_o 投影、残差相加、
# 归一化，然后进入前馈网络。自注意力对顺序不敏感（置换等变），需要位置编码；解码器还要加因果掩码。
#
# **English:** In self-attention, queries, keys and values are three learned projections of the same
# sequence: Q = XW_q, K = XW_k, V = XW_v. Each position scores its query against every key (scaled dot
# product, 1/√d_k), a softmax turns the row into weights, and the output is the weighted sum of the
# **values**, not of the raw embeddings. A score says how well this query matches that key — not a global
# importance of the word. Separate W_q and W_k matter: with x·x a token mostly attends to itself. The result
# is projected by W_o, added back through a residual connection, normalized, and fed to an MLP. It is
# order-blind (permutation-equivariant) until positions are added; decoders add a causal mask.

# %% [markdown]
# ## Further reading
#
# - Vaswani et al. — *Attention Is All You Need* (2017), section 3.2.
# - Cheng, Dong, Lapata — *Long Short-Term Memory-Networks for Machine Reading* (self-attention, 2016).
# - Lin et al. — *A Structured Self-attentive Sentence Embedding* (2017).
