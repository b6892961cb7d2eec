# %% [markdown]
# # Chapter 34 · How does self-attention affect computational complexity? (2)
#
# **题目：** 语言模型中的自注意力机制如何影响模型计算复杂度？ — 请解释语言模型中的自注意力机制如何影响模型计算复杂度。
#
# **Question:** How does self-attention affect a language model's computational complexity?
# *(The same question as [chapter 29](29_attention_complexity_1.ipynb), which counted the cost; this chapter
# is about **beating** it: exact tiled attention, local windows and linear attention.
# [Chapter 39](39_attention_complexity_3.ipynb) covers inference.)*
#
# **Time:** about 25 minutes · **Prerequisites:** [29 · attention complexity (1)](29_attention_complexity_1.ipynb)
#
# **Objectives**
# - Compute a softmax in a stream with a running maximum (online softmax).
# - Use it to compute exact attention tile by tile, with the same result and far less memory.
# - Compare two ways to cut compute — local windows and linear attention — and what they give up.

# %% [markdown]
# ## Try first
#
# FlashAttention computes exactly the same numbers as standard attention, yet needs O(n) memory. How can a
# softmax over n scores be computed without ever holding all n of them?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “计算复杂度为 O(n²)…随序列长度平方级增长” | incomplete | O(n²) compute is the price of *exact full* attention, but its O(n²) **memory** is not: tiling with an online softmax gives identical results in O(n) memory. | Lab 1 |
# | “在计算复杂度和模型性能之间进行权衡” | vague | The concrete trade-offs: local (sliding-window) attention, O(n·w·d); linear/kernel attention, O(n·d²) — each changes *what* is computed. | Labs 2–3 |
# | “多头…O(n²×h)” | **wrong** | See chapter 29: heads do not multiply the FLOPs. | chapter 29 |

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import course
from course.nn import linear_attention, scaled_dot_product_attention, sliding_window_mask, tiled_attention
from course.runtime import Timer, saved_for_backward_bytes, seed_everything

generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Online softmax and tiled attention
#
# A softmax needs the maximum (for stability) and the sum of exponentials. Reading scores in blocks, keep a
# running maximum m and a running sum s of exp(x − m); when a block raises the maximum, rescale the old sum by
# exp(m_old − m_new). At the end, s is the exact denominator:

# %%
# NBVAL_CHECK_OUTPUT
scores = torch.randn(1000, generator=generator) * 10
m, s = torch.tensor(float("-inf")), torch.tensor(0.0)
for block in scores.split(128):
    m_new = torch.maximum(m, block.max())
    s = s * torch.exp(m - m_new) + torch.exp(block - m_new).sum()
    m = m_new
print("streamed log-sum-exp equals torch.logsumexp:", torch.allclose(m + s.log(), torch.logsumexp(scores, 0)))

# %% [markdown]
# Attention applies the same idea to the weighted sum of values: `course.nn.tiled_attention` walks over
# (query block × key block) tiles, never holding more than one tile of scores, and recomputes tiles in the
# backward pass instead of storing them. Its results and gradients equal standard attention:

# %%
course.show(course.nn.efficient.online_softmax_attention)

# %%
# NBVAL_CHECK_OUTPUT
q, k, v = (torch.randn(1, 4, 1024, 32, generator=generator, requires_grad=True) for _ in range(3))
standard, standard_bytes = saved_for_backward_bytes(lambda: scaled_dot_product_attention(q, k, v, causal=True)[0])
tiled, tiled_bytes = saved_for_backward_bytes(lambda: tiled_attention(q, k, v, block_q=128, block_k=128, causal=True))
g = torch.randn_like(standard)
grads_standard = torch.autograd.grad(standard, (q, k, v), g)
grads_tiled = torch.autograd.grad(tiled, (q, k, v), g)
print("same outputs:", torch.allclose(standard, tiled, atol=1e-5))
print("same gradients:", all(torch.allclose(a, b, atol=1e-4) for a, b in zip(grads_standard, grads_tiled)))
print("tiled keeps less than a tenth of the memory for backward:", tiled_bytes < standard_bytes / 10)

# %%
print(f"memory kept for backward: standard {standard_bytes / 2**20:.1f} MB, tiled {tiled_bytes / 2**20:.1f} MB "
      f"({standard_bytes / tiled_bytes:.0f}× less)")

# %% [markdown]
# In pure PyTorch the tiles cost Python overhead, so it is slower on a CPU; on GPUs, fused kernels
# (FlashAttention, `F.scaled_dot_product_attention`) are *faster* as well, because they avoid moving the
# n × n matrix through slow memory. The benchmark (`make bench`, part 3) measures both against n.
#
# ## Lab 2 — Local attention: O(n·w) instead of O(n²)
#
# If every token only attends to the last w tokens, the useful part of the score matrix is a band of width w:
# compute grows like n·w·d. The price is reach (chapter 11 measures it): a single layer cannot see beyond w.

# %%
n, w = 16, 4
fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
axes[0].imshow(torch.ones(n, n).tril().numpy(), cmap="Greys")
axes[0].set(title=f"causal: {n * (n + 1) // 2} scores", xlabel="key", ylabel="query")
axes[1].imshow(sliding_window_mask(n, w).float().numpy(), cmap="Greys")
axes[1].set(title=f"window {w}: {int(sliding_window_mask(n, w).sum())} scores", xlabel="key")
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
def window_scores(n_tokens: int, window: int) -> int:
    """Σ_i min(i + 1, window): a triangle for the first `window` queries, then `window` per query."""
    first = min(n_tokens, window)
    return first * (first + 1) // 2 + (n_tokens - first) * window


for n_tokens in (1024, 8192, 131072):
    full = n_tokens * (n_tokens + 1) // 2
    print(f"n = {n_tokens:>7,}: causal scores {full:>15,} · window 4096 scores {window_scores(n_tokens, 4096):>13,}")

# %% [markdown]
# ## Lab 3 — Linear attention: O(n·d²), but a different model
#
# Replace exp(q·k) by φ(q)·φ(k) with φ(x) = elu(x) + 1 (Katharopoulos et al., 2020). Then
# Σ_j φ(q_i)·φ(k_j) v_j = φ(q_i) · Σ_j φ(k_j) v_jᵀ, and the (d × d) sum is shared by every query. Time grows
# linearly in n — and the output is *not* softmax attention:

# %%
times = {"softmax (fused)": [], "linear": []}
ns = [256, 512, 1024, 2048, 4096]
for n_tokens in ns:
    qq, kk, vv = (torch.randn(1, 4, n_tokens, 32, generator=generator) for _ in range(3))
    for name, fn in (("softmax (fused)", lambda: scaled_dot_product_attention(qq, kk, vv, need_weights=False)),
                     ("linear", lambda: linear_attention(qq, kk, vv))):
        fn()
        with Timer() as t:
            for _ in range(3):
                fn()
        times[name].append(t.seconds / 3)
qs, ks, vs = (torch.randn(1, 4, 256, 32, generator=generator) for _ in range(3))
soft = scaled_dot_product_attention(qs, ks, vs)[0]
lin = linear_attention(qs, ks, vs)
print(f"relative difference between linear and softmax attention outputs: "
      f"{((lin - soft).norm() / soft.norm()).item():.2f}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name, ys in times.items():
    ax.plot(ns, ys, marker="o", label=name)
slope = {name: math.log(ys[-1] / ys[-3]) / math.log(ns[-1] / ns[-3]) for name, ys in times.items()}
ax.set(xscale="log", yscale="log", xlabel="sequence length n", ylabel="seconds (forward)",
       title="Growth: " + ", ".join(f"{k} ∝ n^{v:.1f}" for k, v in slope.items()))
ax.title.set_fontsize(9)
ax.set_xticks(ns, [str(n_tokens) for n_tokens in ns])
ax.minorticks_off()
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Linear attention scales linearly but answers a different question: its weights are not a sharp softmax,
# and such models have historically lagged softmax Transformers in quality at the same size. Tiling, in
# contrast, changes nothing about the result — which is why FlashAttention became the default.
#
# ## Self-test
#
# **Exercise 1.** A streaming log-sum-exp over blocks (the heart of the online softmax).

# %%
from course.selftest import exercise


def online_logsumexp(x, block):
    # your code here
    raise NotImplementedError


exercise("34.online_logsumexp").check(online_logsumexp)

# %% [markdown]
# **Exercise 2.** Non-causal linear attention for q, k of shape (T, d) and v of shape (T, d_v).

# %%
def linear_attention_2d(q, k, v):
    # your code here
    raise NotImplementedError


exercise("34.linear_attention").check(linear_attention_2d)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(34)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 标准注意力计算量 O(n²d)、朴素实现显存 O(n²)。降低代价有三类思路：① 精确但省显存——分块计算并用在线 softmax
# （维护运行最大值和按 exp(m_old−m_new) 重新缩放的累加和），不需要存 n×n 矩阵，反向时重算，结果与标准注意力完全一致，
# 这就是 FlashAttention，在 GPU 上还更快；② 局部/滑动窗口注意力，每个 token 只看最近 w 个，计算量 O(nwd)，但单层可见
# 范围受限；③ 线性注意力，用核函数 φ(q)·φ(k) 代替 exp(q·k)，利用结合律得到 O(nd²)，但它是另一种注意力，效果通常不如 softmax。
# 多头不改变 FLOPs。
#
# **English:** Standard attention costs O(n²d) compute and, naively, O(n²) memory. Three ways around it:
# (1) exact but memory-frugal — compute in tiles with an online softmax (a running maximum and a running sum
# rescaled by exp(m_old − m_new)), never storing the n×n matrix and recomputing tiles in backward: identical
# results, O(n) memory — FlashAttention, which is also faster on GPUs; (2) local/sliding-window attention,
# O(n·w·d), limited reach per layer; (3) linear attention, φ(q)·φ(k) instead of exp(q·k), regrouped to
# O(n·d²) — a different attention that usually trails softmax in quality. Heads do not change the FLOPs.

# %% [markdown]
# ## Further reading
#
# - Milakov, Gimelshein — *Online normalizer calculation for softmax* (2018).
# - Rabe, Staats — *Self-attention Does Not Need O(n²) Memory* (2021).
# - Dao et al. — *FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness* (2022).
# - Katharopoulos et al. — *Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention* (2020).
# - Beltagy, Peters, Cohan — *Longformer: The Long-Document Transformer* (2020).
