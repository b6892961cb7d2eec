# %% [markdown]
# # Chapter 29 · How does self-attention affect computational complexity? (1)
#
# **题目：** 语言模型中的自注意力机制如何影响模型计算复杂度？ — 请解释语言模型中的自注意力机制如何影响模型计算复杂度。
#
# **Question:** How does self-attention affect a language model's computational complexity?
# *(This question appears three times in the set; this chapter is about the cost in **training**.
# [Chapter 34](34_attention_complexity_2.ipynb) covers efficient attention, [chapter 39](39_attention_complexity_3.ipynb)
# the cost of **inference**.)*
#
# **Time:** about 20 minutes · **Prerequisites:** [4 · how attention works](04_how_attention_works.ipynb), [17 · multi-head attention](17_multi_head_attention.ipynb)
#
# **Objectives**
# - Count the FLOPs of a Transformer layer: projections and FFN O(n·d²), scores O(n²·d).
# - Find the sequence length at which attention starts to dominate, for real model sizes.
# - Measure time and memory against n, and check the claim about heads.

# %% [markdown]
# ## Try first
#
# Is a Transformer layer O(n²)? For GPT-2 small at its 1,024-token window, which part of a layer costs
# the most FLOPs?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “自注意力计算复杂度为 O(n²)” | incomplete | The score and weighted-sum matmuls cost O(n²·d); the projections and the FFN cost O(n·d²). Which dominates depends on n versus d: below n ≈ 2d + d_ff the O(n·d²) terms are larger. | Lab 1 |
# | “多头…复杂度为 O(n²×h)” | **wrong** | With d_head = d/h the matmul cost stays O(n²·d) for any h; only the softmax entries (h·n²) grow. | Lab 3 |
# | “支持并行计算…有助于减少计算时间” | **confused** | Parallelism shortens wall time on parallel hardware; it does not change the number of operations. The point is that a Transformer has no sequential dependency across positions in training, unlike an RNN. | — |
# | (missing) | — | Memory: the manual path stores (h × n × n) weights per layer for backward — O(n²) memory, often the practical limit. Fused kernels avoid it. | Lab 2 |

# %%
import matplotlib.pyplot as plt
import torch

from course.nn import TransformerBlock, MultiHeadAttention
from course.runtime import Timer, saved_for_backward_bytes, seed_everything

generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Where the FLOPs go
#
# Forward FLOPs of one layer with n tokens, width d and FFN width d_ff (a multiply-add = 2 FLOPs):
#
# | part | FLOPs |
# |---|---|
# | Q, K, V and output projections | 4 · 2n·d² = 8n·d² |
# | scores QKᵀ and weights·V | 2 · 2n²·d = 4n²·d |
# | feed-forward (two matmuls) | 2 · 2n·d·d_ff = 4n·d·d_ff |
#
# Attention's n² part overtakes the rest when 4n²d > 8nd² + 4nd·d_ff, i.e. n > 2d + d_ff.

# %%
# NBVAL_CHECK_OUTPUT
def layer_flops(n: int, d: int, d_ff: int) -> dict:
    return {"projections": 8 * n * d * d, "scores + weighted sum": 4 * n * n * d, "feed-forward": 4 * n * d * d_ff}


models = {"GPT-2 small": (768, 3072, 1024), "GPT-3 175B": (12288, 49152, 2048)}   # d, d_ff, context window
for name, (d, d_ff, context) in models.items():
    flops = layer_flops(context, d, d_ff)
    share = flops["scores + weighted sum"] / sum(flops.values())
    print(f"{name}: attention overtakes at n = {2 * d + d_ff:,}; at its {context:,}-token window the n² part is "
          f"{share:.1%} of a layer's FLOPs")

# %%
ns = [2 ** k for k in range(6, 17)]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
for ax, (name, (d, d_ff, context)) in zip(axes, models.items()):
    shares = {part: [] for part in layer_flops(1, d, d_ff)}
    for n in ns:
        flops = layer_flops(n, d, d_ff)
        for part, value in flops.items():
            shares[part].append(value / sum(flops.values()))
    ax.stackplot(ns, *shares.values(), labels=list(shares), alpha=0.85)
    ax.axvline(context, color="black", ls="--", lw=1, label=f"context window ({context})")
    ax.set(xscale="log", xlabel="sequence length n", title=f"{name} (d = {d})")
axes[0].set_ylabel("share of a layer's FLOPs")
axes[0].legend(fontsize=7, loc="upper left")
fig.tight_layout()

# %% [markdown]
# At the lengths these models were trained on, the O(n²) part is a minority of the compute — which is why
# FLOP estimates like 6·N per token (chapter 10) work well. It wins only at long contexts.
#
# ## Lab 2 — Measured: time and memory against n
#
# One Transformer block (d = 128, 4 heads), forward + backward on the CPU, with the attention weights
# materialized (manual path, as when you record attention) and with the fused kernel. Memory is what autograd
# keeps for the backward pass.

# %%
block = TransformerBlock(128, 4, 512, causal=True)
lengths = [64, 128, 256, 512, 1024]
rows = []
for manual in (True, False):
    block.self_attn.record = manual                        # record=True takes the manual path
    for n in lengths:
        x = torch.randn(1, n, 128, requires_grad=True)

        def step():
            block(x).sum().backward()

        step()                                             # warm-up
        with Timer() as t:
            for _ in range(3):
                step()
        _, saved = saved_for_backward_bytes(lambda: block(x))
        rows.append(("manual" if manual else "fused", n, t.seconds / 3, saved / 2**20))
block.self_attn.record = False

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for path in ("manual", "fused"):
    sel = [r for r in rows if r[0] == path]
    axes[0].plot([r[1] for r in sel], [r[2] for r in sel], marker="o", label=path)
    axes[1].plot([r[1] for r in sel], [r[3] for r in sel], marker="o", label=path)
for ax, label in zip(axes, ("seconds per forward + backward", "MB kept for backward")):
    ax.set(xscale="log", yscale="log", xlabel="sequence length n", ylabel=label)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.suptitle("One Transformer block (d = 128, 4 heads) on this machine", fontsize=10)
fig.tight_layout()

# %%
import math

for path in ("manual", "fused"):
    sel = [r for r in rows if r[0] == path][-3:]
    memory_slope = math.log(sel[-1][3] / sel[0][3]) / math.log(sel[-1][1] / sel[0][1])
    print(f"{path:>6}: memory grows like n^{memory_slope:.2f} between n = {sel[0][1]} and {sel[-1][1]}")

# %% [markdown]
# Keeping the (heads × n × n) weights makes the manual path's memory grow faster and faster — its
# exponent climbs toward 2 as the n² term overtakes the O(n·d) activations; the fused kernel stays O(n)
# and recomputes what it needs. The repository's benchmark (`make bench`, part 3) extends this to
# n = 4096 and fits the exponents of time as well.
#
# ## Lab 3 — More heads, same cost
#
# Fixed d = 256 and n = 512; only the number of heads changes:

# %%
times = {}
x = torch.randn(1, 512, 256)
for h in (1, 2, 4, 8, 16):
    attn = MultiHeadAttention(256, h, causal=True)
    with torch.no_grad():
        attn(x)
        with Timer() as t:
            for _ in range(5):
                attn(x)
    times[h] = t.seconds / 5
base = times[1]
print("forward time relative to 1 head:", {h: round(s / base, 2) for h, s in times.items()})

# %% [markdown]
# Time stays within a small factor across h (the softmax over h·n² entries and smaller matmuls cost a
# little more per FLOP); it does not grow ×h as the common answer's O(n²·h) claims.
#
# ## Self-test
#
# **Exercise 1.** Forward FLOPs of the score and weighted-sum matmuls of one layer.

# %%
from course.selftest import exercise


def attention_score_flops(n, d):
    # your code here
    raise NotImplementedError


exercise("29.attention_score_flops").check(attention_score_flops)

# %% [markdown]
# **Exercise 2.** The sequence length at which those FLOPs equal the projections plus the FFN.

# %%
def crossover_length(d, d_ff):
    # your code here
    raise NotImplementedError


exercise("29.crossover_length").check(crossover_length)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(29)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 一层 Transformer 的前向计算量：QKV 和输出投影约 8nd²，注意力打分和加权求和约 4n²d，前馈网络约 4nd·d_ff。
# 所以自注意力对序列长度是平方复杂度，但只有当 n 超过约 2d + d_ff 时才占主导；GPT-2（d=768）在 1024 长度下 n² 部分
# 只占一小部分。多头不会把复杂度变成 O(n²h)：每个头维度是 d/h，总 FLOPs 不变，只是 softmax 元素数变为 h·n²。训练时
# 更常见的瓶颈是显存：朴素实现要为反向保存 h×n×n 的注意力矩阵，显存随 n² 增长；FlashAttention 等融合实现只需 O(n)。
# 并行计算缩短的是时间，不降低复杂度。
#
# **English:** Per layer, forward FLOPs are about 8nd² for the Q/K/V/output projections, 4n²d for the scores
# and weighted sum, and 4nd·d_ff for the FFN. So attention is quadratic in n, but it dominates only when n
# exceeds about 2d + d_ff; for GPT-2 (d = 768) at 1,024 tokens the n² part is a small share. Heads do not
# make it O(n²h): with head size d/h the FLOPs are unchanged, only the softmax has h·n² entries. In training
# the practical limit is often memory: a naive implementation stores h×n×n weights for backward (O(n²));
# fused kernels such as FlashAttention keep O(n). Parallelism cuts wall time, not complexity.

# %% [markdown]
# ## Further reading
#
# - Vaswani et al. — *Attention Is All You Need* (2017), table 1 (complexity per layer).
# - Kaplan et al. — *Scaling Laws for Neural Language Models* (2020), section 2.1 (FLOP counting).
# - Dao et al. — *FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness* (2022).
