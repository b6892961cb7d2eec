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
# - Count the FLOPs of a Transformer layer — projections and FFN O(n·d²), scores O(n²·d) — and check the
#   count with PyTorch's FLOP counter.
# - Find the sequence length at which attention starts to dominate, for real model sizes.
# - Measure how time and memory grow with n (fitted exponents), and check the claim about heads.

# %% [markdown]
# ## Try first
#
# Is a Transformer layer O(n²)? For GPT-2 small at its 1,024-token window, which part of a layer costs
# the most FLOPs? And can a Transformer compute all time steps at once when it *generates*?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “自注意力计算复杂度为 O(n²)” | incomplete | The score and weighted-sum matmuls cost O(n²·d); the projections and the FFN cost O(n·d²). Which dominates depends on n versus d: below n = 2d + d_ff the O(n·d²) terms are larger. | Lab 1 |
# | “多个头的计算复杂度为 O(n²×h)”, “增加注意力头数…也会增加计算复杂度” | **half right** | With d_head = d/h the matmul FLOPs stay 4·n²·d for any h. What does grow ×h is the h·n² score entries — the softmax work and, on the manual path, the memory kept for backward ([chapter 17](17_multi_head_attention.ipynb), Lab 1). | Lab 3 |
# | “支持并行计算，可以在不同时间步…同时进行计算” | **wrong for generation** | Only training and prefill (the prompt) see all tokens at once and run every position in one matmul. Decoding is sequential: token t+1 needs token t ([chapter 39](39_attention_complexity_3.ipynb)). And parallelism shortens wall time; it does not change the number of operations. | Lab 2 |
# | (missing) | — | Memory: the manual path keeps h × n × n attention weights per layer for backward — O(n²) memory, often the practical limit. Fused kernels avoid it. | Lab 2 |
# | (missing) | — | A causal mask does not halve the work by itself: the plain path computes every score, then masks. Kernels that skip the tiles above the diagonal do about half. | Lab 1, exercise 1 |

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch.utils.flop_counter import FlopCounterMode

from course.models import GPTConfig
from course.nn import MultiHeadAttention, TransformerBlock, causal_mask
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
# First, check the table against a measurement: `FlopCounterMode` counts the FLOPs of every matmul PyTorch
# runs, module by module. We run one real block (d = 64, 4 heads, d_ff = 256, n = 128) on the manual
# attention path, whose matmuls the counter can see.

# %%
# NBVAL_CHECK_OUTPUT
def layer_flops(n: int, d: int, d_ff: int) -> dict:
    return {"projections": 8 * n * d * d, "scores + weighted sum": 4 * n * n * d, "feed-forward": 4 * n * d * d_ff}


n, d, d_ff = 128, 64, 256
block = TransformerBlock(d, 4, d_ff, causal=True)
block.self_attn.record = True                              # manual path: QKᵀ and weights·V are visible matmuls
with torch.inference_mode(), FlopCounterMode(display=False) as counter:
    block(torch.randn(1, n, d))
by_module = {name: sum(ops.values()) for name, ops in counter.get_flop_counts().items()}
projections = by_module["TransformerBlock.self_attn.qkv_proj"] + by_module["TransformerBlock.self_attn.out_proj"]
measured = {"projections": projections,
            "scores + weighted sum": by_module["TransformerBlock.self_attn"] - projections,
            "feed-forward": by_module["TransformerBlock.ffn"]}
for part, flops in layer_flops(n, d, d_ff).items():
    print(f"{part:>22}: formula {flops:>10,}   measured {measured[part]:>10,}   equal: {flops == measured[part]}")
block.self_attn.record = False

# %% [markdown]
# The counter also shows what a causal mask does to the work: nothing. This block is causal, yet the
# n² part is the full 4n²·d — the plain path computes every score and then masks half of them away.
# Kernels that skip whole tiles above the diagonal (FlashAttention) save about half of it; exercise 1
# writes the exact count as a formula, and a brute-force count after it shows how close to half.
#
# Attention's n² part overtakes the rest when 4n²d > 8nd² + 4nd·d_ff, i.e. n > 2d + d_ff; it overtakes the
# feed-forward alone when 4n²d > 4nd·d_ff, i.e. n > d_ff. For real models, each part's share at the model's
# context window:

# %%
# NBVAL_CHECK_OUTPUT
models = {"GPT-2 small": (768, 3072, 1024), "GPT-3 175B": (12288, 49152, 2048)}   # d, d_ff, context window
for name, (d, d_ff, context) in models.items():
    flops = layer_flops(context, d, d_ff)
    shares = ", ".join(f"{part} {value / sum(flops.values()):.1%}" for part, value in flops.items())
    print(f"{name}: attention overtakes at n = {2 * d + d_ff:,}; at its {context:,}-token window: {shares}")

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
# At the lengths these models were trained on, the O(n²) part is a minority of the compute. Per token of
# training (backward ≈ 2 × forward), the layers cost 6·N FLOPs for their N weights plus 12·L·T·d for
# attending over a window of T tokens in L layers — PaLM's convention (Chowdhery et al., 2022, appendix B),
# which counts both QKᵀ and weights·V. Kaplan et al. (2020) count only 6·L·T·d for the context term. The
# course's `GPTConfig.flops_per_token` uses PaLM's:

# %%
# NBVAL_CHECK_OUTPUT
cfg = GPTConfig.preset("gpt2")
weights = 6 * cfg.n_params(include_embeddings=False)
print(f"GPT-2 small: {cfg.flops_per_token() / 1e9:.2f} GFLOPs per training token, of which attention over the "
      f"{cfg.context}-token window is {1 - weights / cfg.flops_per_token():.1%}")

# %% [markdown]
# ## Lab 2 — Measured: time and memory against n
#
# One Transformer block (d = 128, 4 heads), forward + backward on the CPU, with the attention weights
# materialized (manual path, as when you record attention) and with the fused kernel. Memory is what autograd
# keeps for the backward pass. This is training (or prefill): all n positions go through each matmul at
# once — there is no loop over positions here, unlike generation, which adds one token per step.

# %%
block = TransformerBlock(128, 4, 512, causal=True)
lengths = [128, 256, 512, 1024]
rows = []
for manual in (True, False):
    block.self_attn.record = manual                        # record=True takes the manual path
    for n in lengths:
        x = torch.randn(1, n, 128, requires_grad=True)

        def step():
            block(x).sum().backward()

        step()                                             # warm-up
        with Timer() as t:
            for _ in range(2):
                step()
        _, saved = saved_for_backward_bytes(lambda: block(x))
        rows.append(("manual" if manual else "fused", n, t.seconds / 2, saved / 2**20))
block.self_attn.record = False

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for path in ("manual", "fused"):
    sel = [r for r in rows if r[0] == path]
    axes[0].plot([r[1] for r in sel], [r[2] for r in sel], marker="o", label=path)
    axes[1].plot([r[1] for r in sel], [r[3] for r in sel], marker="o", label=path)
for ax, label in zip(axes, ("seconds per forward + backward", "MiB kept for backward")):
    ax.set(xscale="log", yscale="log", xlabel="sequence length n", ylabel=label)
    ax.set_xticks(lengths, [str(n) for n in lengths], minor=False)
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.yaxis.set_major_locator(plt.LogLocator(subs=(1, 2, 5)))
    ax.yaxis.set_major_formatter(plt.FormatStrFormatter("%g"))      # 0.2, 1, 10 rather than 2×10⁻¹, 10⁰, 10¹
    ax.yaxis.set_minor_formatter(plt.NullFormatter())
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
fig.suptitle("One Transformer block (d = 128, 4 heads) on this machine", fontsize=10)
fig.tight_layout()

# %% [markdown]
# A straight line on these log–log axes is a power law, y ∝ nᵏ, and its slope is k. Fit it over the three
# longest lengths:

# %%
def slope(points):
    """Least-squares slope of log y against log x: the exponent k of y ∝ xᵏ."""
    xs, ys = zip(*[(math.log(x), math.log(y)) for x, y in points])
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


for path in ("manual", "fused"):
    sel = [r for r in rows if r[0] == path][-3:]
    print(f"{path:>6}, n = {sel[0][1]}–{sel[-1][1]}: time ∝ n^{slope([(r[1], r[2]) for r in sel]):.2f}, "
          f"memory ∝ n^{slope([(r[1], r[3]) for r in sel]):.2f}")

# %% [markdown]
# Keeping the heads × n × n weights (on this causal manual path twice: the softmax output and the copy
# `nan_to_num` makes of it for fully masked rows) pushes the manual path's memory exponent toward 2 as the
# n² term overtakes the O(n·d) activations; the fused kernel stays near 1 (O(n)) and recomputes what it
# needs. Time grows faster than n but below n² on both paths: at these lengths the O(n·d²) matmuls are still a large
# share of the work (Lab 1). The repository's benchmark (`make bench`, part 3) extends this to n = 4096.
#
# ## Lab 3 — More heads, same cost
#
# Fixed d = 256 and n = 512; only the number of heads changes. FLOPs are counted on the manual path; time
# is measured on the fused path, the one training uses:

# %%
x = torch.randn(1, 512, 256)
flops, times = {}, {}
for h in (1, 2, 4, 8, 16):
    attn = MultiHeadAttention(256, h, causal=True)
    with torch.inference_mode():
        attn.record = True
        with FlopCounterMode(display=False) as counter:
            attn(x)
        flops[h] = counter.get_total_flops()
        attn.record = False
        attn(x)                                            # warm-up
        with Timer() as t:
            for _ in range(3):
                attn(x)
    times[h] = t.seconds / 3
print("matmul FLOPs, the same for every h:", len(set(flops.values())) == 1, f"({flops[1]:,})")
print("forward time relative to 1 head:", {h: round(s / times[1], 2) for h, s in times.items()})

# %% [markdown]
# The FLOPs are identical for every h, and the time stays within a small factor. No matmul work grows ×h;
# what does is the h·n² softmax entries (and, on the manual path, the weights kept for backward), and here
# they move the time by a small factor, not ×h — so O(n²·h) is half right: true of the softmax and the stored weights,
# not of the matmul FLOPs.
#
# ## Self-test
#
# **Exercise 1** — the next step after Lab 1's note on masking: how much of the n² work does a tiled causal
# kernel really do?

# %%
from course.selftest import exercise

exercise("29.causal_score_flops")

# %%
def causal_score_flops(n, d, block):
    # your code here
    raise NotImplementedError


exercise("29.causal_score_flops").check(causal_score_flops)

# %% [markdown]
# How much is "about half" at a real length? Whatever your formula, a brute-force count must agree: the tiles
# of GPT-2's 1,024-token window that hold at least one unmasked (query, key) pair, for two tile sizes.

# %%
# NBVAL_CHECK_OUTPUT
window = 1024
for tile in (64, 128):
    m = window // tile
    tiles = causal_mask(window).view(m, tile, m, tile).any(dim=(1, 3))   # (m, m): True = a tile with work to do
    print(f"n = {window:,}, tiles of {tile} × {tile}: {int(tiles.sum())} of {m * m} computed "
          f"({tiles.float().mean():.1%} of the n² work)")

# %% [markdown]
# **Exercise 2** — from one layer's forward FLOPs to what a model spends per token in training (the number
# `GPTConfig.flops_per_token` computes from a config).

# %%
exercise("29.train_flops_per_token")

# %%
def train_flops_per_token(n_layers, d, d_ff, context):
    # your code here
    raise NotImplementedError


exercise("29.train_flops_per_token").check(train_flops_per_token)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(29)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 一层 Transformer 的前向计算量：QKV 和输出投影 8nd²，注意力打分和加权求和 4n²d，前馈网络 4nd·d_ff（与 FlopCounterMode 实测完全一致）。自注意力对序列长度是平方复杂度，但只有 n 超过 2d + d_ff 时才占主导；GPT-2
# 在 1024 长度下 n² 部分只占约 18%。多头时矩阵乘法 FLOPs 不是 O(n²h)：每头维度 d/h，总量不变；随 h 增长的是 h·n²
# 个 softmax 元素（以及朴素实现保存的权重）。因果掩码本身不省计算，跳过对角线以上分块的核函数才省约一半。训练时常见瓶颈是显存：朴素实现为反向保存 h×n×n
# 的权重（显存 ∝ n²），融合实现只需 O(n)。并行只缩短时间、不降低复杂度，而且只在训练和 prefill 时成立；生成是逐 token 串行的。
#
# **English:** Per layer, forward FLOPs are 8nd² for the Q/K/V/output projections, 4n²d for the scores and
# weighted sum and 4nd·d_ff for the FFN (FlopCounterMode agrees exactly). Attention is quadratic in n but
# dominates only beyond n = 2d + d_ff; for GPT-2 at 1,024 tokens the n² part is about 18 %. Heads do not
# make the matmul FLOPs O(n²h): with head size d/h they are unchanged; what grows with h is the h·n² softmax
# entries (and the weights a naive implementation stores). A causal
# mask saves nothing by itself; kernels that skip tiles above the diagonal save about half. In training the
# limit is often memory: a naive implementation keeps h×n×n weights for backward (∝ n²), fused kernels O(n).
# Parallelism cuts wall time, not complexity — and only in training and prefill; generation is sequential.

# %% [markdown]
# ## Further reading
#
# - Vaswani et al. — *Attention Is All You Need* (2017), table 1 (complexity per layer).
# - Kaplan et al. — *Scaling Laws for Neural Language Models* (2020), section 2.1 (FLOP counting, 6·N + 6·L·T·d).
# - Chowdhery et al. — *PaLM: Scaling Language Modeling with Pathways* (2022), appendix B (6·N + 12·L·T·d).
# - Dao et al. — *FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness* (2022).
