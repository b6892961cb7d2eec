# %% [markdown]
# # Chapter 17 · How does multi-head attention improve language models?
#
# **题目：** 语言模型中的多头注意力如何提高性能？ — 请解释多头注意力机制如何提高语言模型的性能。
#
# **Question:** How does multi-head attention improve the performance of language models?
#
# **Time:** about 25 minutes · **Prerequisites:** [16 · self-attention](16_self_attention.ipynb) · **Related:**
# [4 · how attention works](04_how_attention_works.ipynb), [29 · attention complexity](29_attention_complexity_1.ipynb)
#
# **Objectives**
# - See that heads split the *features*, never the sequence, and cost no extra parameters.
# - Train models with 1, 2 and 4 heads at the same size and compare them honestly.
# - Read per-head patterns in a trained model and measure what ablating each head does.

# %% [markdown]
# ## Try first
#
# What exactly is split into heads? Does a model with 8 heads have more parameters than one with 1 head of
# the same width? Write your answer.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “将**输入序列**分成多个头，每个头关注不同的部分” | **wrong** | The *feature* dimension is split: d_model = h · d_head. Every head attends over the whole sequence, in its own learned subspace. | Lab 1 |
# | “每个头独立计算…合并结果…通过另一个线性变换” | correct | Heads are concatenated and mixed by W_o. | Lab 1 |
# | “增加泛化能力” | unsupported | No such general result. Heads let one layer run several attention patterns at once; whether that helps a task is measured, not assumed. | Lab 2 |
# | “虽然多头注意力增加了计算量” | **wrong** | h heads of size d/h have the same parameters and matmul FLOPs as one head of size d; only the softmax runs over h score matrices. | Lab 1 |
# | “捕捉多样化信息” | plausible | Trained heads often do specialize — and some can be removed at little cost (Michel et al., 2019). | Lab 3 |

# %%
import math

import matplotlib.pyplot as plt
import torch

from course.models import GPT, GPTConfig, count_parameters
from course.nn import MultiHeadAttention, record_attention
from course.runtime import get_device, seed_everything
from course.train import AdamW, fit, warmup_cosine_scheduler

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Heads are subspaces, and they are free
#
# A (B, T, d) tensor becomes (B, H, T, d/H): each head gets d/H of the features **of every position**.

# %%
# NBVAL_CHECK_OUTPUT
x = torch.randn(1, 6, 8)                                  # 6 positions, 8 features
heads = x.view(1, 6, 2, 4).transpose(1, 2)                # 2 heads of 4 features: (B, H, T, d/H)
print("per head:", tuple(heads.shape[2:]), "→ every head sees all 6 positions")
print("head 0 holds features 0–3 of position 0:", torch.equal(heads[0, 0, 0], x[0, 0, :4]))

# %%
# NBVAL_CHECK_OUTPUT
d, n = 512, 1024
print(f"{'heads':>5} {'d_head':>6} {'parameters':>11} {'matmul FLOPs (forward)':>23} {'softmax entries':>16}")
for h in (1, 2, 4, 8, 16):
    params = count_parameters(MultiHeadAttention(d, h))
    flops = 2 * n * d * 3 * d + 2 * n * n * d * 2 + 2 * n * d * d     # projections, QKᵀ and AV, W_o
    print(f"{h:>5} {d // h:>6} {params:>11,} {flops:>23,} {h * n * n:>16,}")

# %% [markdown]
# Parameters and matmul FLOPs do not depend on h; only the number of softmax entries grows (h · n²).
#
# ## Lab 2 — Do more heads help? An honest test
#
# A task that needs two lookups at once: at each position, output the pair (token 2 back, token 5 back),
# encoded as one of 25 classes. We train one-layer models with 1, 2 and 4 heads of the same total width
# (same parameters) for the same number of steps:

# %%
V, T = 5, 16


def pair_batch(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, V, (n, T), generator=g)
    y = torch.roll(x, 2, 1) * V + torch.roll(x, 5, 1)     # class = (x[t-2], x[t-5])
    y[:, :5] = -100                                       # the first positions have no answer
    return x.to(device), y.to(device)


x_test, y_test = pair_batch(500, seed=10_000)
models, results = {}, {}
for h in (1, 2, 4):
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=V * V, context=T, n_layers=1, n_heads=h, d_model=64)).to(device)
    opt = AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    fit(model, opt, lambda s: pair_batch(64, s), 400, scheduler=warmup_cosine_scheduler(opt, warmup=20, total=400))
    with torch.no_grad():
        acc = (model(x_test).logits.argmax(-1)[:, 5:] == y_test[:, 5:]).float().mean().item()
    models[h], results[h] = model, acc
    print(f"{h} head(s): {count_parameters(model):,} parameters, test accuracy {acc:.3f}")

# %% [markdown]
# All three solve it. A single head can attend to two positions at once with unequal weights and still
# tell them apart, so "one head can only look at one thing" is not true either. Multi-head attention is a
# design choice that lets heads specialize at no parameter cost — and the specialization is visible:
#
# ## Lab 3 — What each head does, and what removing it costs
#
# For the 4-head model, the average attention each head puts at each relative offset (0 = the token itself):

# %%
model = models[4]
with torch.no_grad(), record_attention(model) as rec:
    model(x_test)
w = rec["blocks.0.self_attn"][0]                               # (B, H, T, T)
offsets = torch.arange(T)[:, None] - torch.arange(T)[None, :]  # query − key
profile = torch.stack([w[:, :, offsets == o].mean(dim=(0, 2)) for o in range(8)], dim=1)   # (H, offsets)

fig, ax = plt.subplots(figsize=(6, 2.8))
im = ax.imshow(profile.cpu().numpy(), cmap="viridis", aspect="auto")
ax.set(xlabel="offset back (query − key)", ylabel="head", title="Average attention by offset, per head")
ax.set_yticks(range(4))
fig.colorbar(im, ax=ax)
fig.tight_layout()

# %% [markdown]
# The heads look exactly where the task needs them — offsets 2 and 5 — each in its own proportion,
# which is how even a single head can keep the two tokens apart. Now ablate: multiply heads'
# outputs by zero (`head_mask`) and measure the accuracy again — removing one head, and keeping only one.

# %%
attention = model.blocks[0].self_attn


def accuracy_with(head_mask):
    attention.head_mask = torch.tensor(head_mask, dtype=torch.float32, device=device)
    with torch.no_grad():
        acc = (model(x_test).logits.argmax(-1)[:, 5:] == y_test[:, 5:]).float().mean().item()
    attention.head_mask = None
    return acc


without = [accuracy_with([0.0 if i == h else 1.0 for i in range(4)]) for h in range(4)]
only = [accuracy_with([1.0 if i == h else 0.0 for i in range(4)]) for h in range(4)]
peaks = profile.argmax(1).tolist()
for h in range(4):
    print(f"head {h} (peaks at offset {peaks[h]}): without it {without[h]:.3f} · it alone {only[h]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
positions = torch.arange(4)
ax.bar(positions - 0.2, without, width=0.4, color="tab:orange", label="this head removed")
ax.bar(positions + 0.2, only, width=0.4, color="tab:purple", label="only this head kept")
ax.set_xticks(positions.tolist(), [f"head {h}\n(offset {p})" for h, p in enumerate(peaks)])
ax.axhline(results[4], color="tab:green", ls="--", label="all heads")
ax.axhline(1 / 25, color="gray", ls=":", label="chance")
ax.set(ylabel="test accuracy", title="Head ablation", ylim=(0, 1.05))
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# Removing a single head costs little: the others cover for it (this model even learned several heads
# at offset 2). Keeping a single head shows what each contributes on its own: no head alone does the task.
#
# ## Self-test
#
# **Exercise 1.** `split_heads(x, n_heads)`: (B, T, d) → (B, H, T, d/H).

# %%
from course.selftest import exercise


def split_heads(x, n_heads):
    # your code here
    raise NotImplementedError


exercise("17.split_heads").check(split_heads)

# %% [markdown]
# **Exercise 2.** `merge_heads(x)`: (B, H, T, d_h) → (B, T, H·d_h), the inverse.

# %%
def merge_heads(x):
    # your code here
    raise NotImplementedError


exercise("17.merge_heads").check(merge_heads)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(17)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 多头注意力把 d_model 维的特征切成 h 个 d/h 维子空间（不是把序列切开），每个头用自己的 W_q、W_k、W_v
# 投影在整个序列上独立做注意力，结果拼接后由 W_o 融合。与一个 d 维的单头相比，参数量和矩阵乘法 FLOPs 完全相同，
# 只是 softmax 要算 h 个 n×n 矩阵，所以“多头增加计算量”基本不成立。它的好处是一层里可以同时有多种注意力模式
# （例如看前一个词、看主语），训练后各头常常分工，有的头去掉几乎无影响，有的很关键（可以用消融实验测量）。
# 头数并非越多越好，要按任务实验决定。
#
# **English:** Multi-head attention splits the d_model features into h subspaces of size d/h — not the
# sequence. Each head projects with its own W_q, W_k, W_v and attends over the whole sequence; the heads are
# concatenated and mixed by W_o. Versus one head of width d it has exactly the same parameters and matmul
# FLOPs; only the softmax runs over h score matrices, so "heads add compute" is essentially wrong. The gain is
# several attention patterns in one layer (previous token, subject, …). Trained heads specialize; ablation
# shows some are critical and some removable. More heads is not automatically better — measure it.

# %% [markdown]
# ## Further reading
#
# - Vaswani et al. — *Attention Is All You Need* (2017), section 3.2.2.
# - Voita et al. — *Analyzing Multi-Head Self-Attention: Specialized Heads Do the Heavy Lifting* (2019).
# - Michel, Levy, Neubig — *Are Sixteen Heads Really Better than One?* (2019).
