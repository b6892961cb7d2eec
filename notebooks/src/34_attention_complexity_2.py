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
# - Use it to compute exact attention tile by tile, with the same result (up to float rounding) and far less memory.
# - Compare two ways to cut compute — local windows and linear attention — and measure what linear attention
#   gives up ([chapter 11](11_context_window.ipynb) measures what windows give up).

# %% [markdown]
# ## Try first
#
# FlashAttention computes the same attention as the standard way (up to float rounding), yet needs O(n) memory. How can a
# softmax over n scores be computed without ever holding all n of them?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “计算复杂度为 O(n²)…随序列长度平方级增长” | incomplete | O(n²) compute is the price of *exact full* attention, but its O(n²) **memory** is not: tiling with an online softmax gives the same results (up to float rounding) in O(n) memory. | Lab 1 |
# | “在计算复杂度和模型性能之间进行权衡” | vague | The concrete trade-offs: local (sliding-window) attention, O(n·w·d); linear/kernel attention, O(n·d²) — each changes *what* is computed, and Lab 4 measures what linear attention costs in quality. | Labs 2–4 |
# | “多头…O(n²×h)” | half right | For the matmul FLOPs, no: at a fixed d_model each head works in d/h dimensions, so h heads cost the same score and value matmuls as one head of width d (chapter 29). But the h·n² score entries do grow with h: their memory and the softmax over them. In Lab 1 they are most of what standard attention keeps for backward (compare the size of one h × n × n score tensor printed there). | chapter 29, Lab 1 |
# | “并行计算…减少计算时间” | half right | True for training and for the prefill of a prompt: every position is known, so all of them (and all heads) run at once. Generation is sequential — token t+1 needs token t — so parallelism over time steps does not help there. | [chapter 39](39_attention_complexity_3.ipynb) |

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import course
from course.nn import linear_attention, scaled_dot_product_attention, sliding_window_mask, tiled_attention
from torch.utils.flop_counter import FlopCounterMode

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
# backward pass instead of storing them. Its results and gradients equal standard attention up to float rounding
# (the sums run in another order):

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

# %% [markdown]
# Is that memory O(n²) and O(n)? Measure again at twice the length (the forward pass only: what it keeps for
# backward is counted as it runs), and time one forward pass of each at n = 1,024:

# %%
MiB = 2**20
q2, k2, v2 = (torch.randn(1, 4, 2048, 32, generator=generator, requires_grad=True) for _ in range(3))
_, standard_2048 = saved_for_backward_bytes(lambda: scaled_dot_product_attention(q2, k2, v2, causal=True)[0])
_, tiled_2048 = saved_for_backward_bytes(lambda: tiled_attention(q2, k2, v2, block_q=128, block_k=128, causal=True))
print(f"kept for backward at n = 1,024: standard {standard_bytes / MiB:.1f} MiB, tiled {tiled_bytes / MiB:.1f} MiB "
      f"({standard_bytes / tiled_bytes:.0f}× less)")
print(f"kept for backward at n = 2,048: standard {standard_2048 / MiB:.1f} MiB, tiled {tiled_2048 / MiB:.1f} MiB")
print(f"doubling n multiplies it by {standard_2048 / standard_bytes:.1f} (standard) and "
      f"{tiled_2048 / tiled_bytes:.1f} (tiled)")
print(f"one h × n × n float32 score tensor at h = 4, n = 1,024: {4 * 1024 * 1024 * 4 / MiB:.0f} MiB")
seconds = {}
with torch.no_grad():
    for name, fn in (("standard", lambda: scaled_dot_product_attention(q, k, v, causal=True)[0]),
                     ("tiled", lambda: tiled_attention(q, k, v, block_q=128, block_k=128, causal=True))):
        fn()
        runs = []
        for _ in range(3):
            with Timer() as t:
                fn()
            runs.append(t.seconds)
        seconds[name] = min(runs)
print(f"one forward pass at n = 1,024 on this machine: standard {seconds['standard'] * 1e3:.1f} ms, "
      f"tiled {seconds['tiled'] * 1e3:.1f} ms")

# %% [markdown]
# Doubling n roughly quadruples what standard attention keeps (its score-sized tensors) and only doubles what
# the tiled version keeps (tensors with one row per token, nothing n × n). Time is another matter. In pure
# PyTorch each tile costs Python overhead while the standard path runs a few large operations, so which one is
# faster on a CPU depends on n and on the machine (the timing above is one run on yours). On GPUs, fused
# kernels (FlashAttention, `F.scaled_dot_product_attention`) are *faster* as well, because they avoid moving
# the n × n matrix through slow memory (Dao et al., 2022). The benchmark (`make bench`, part 3) measures both
# against n.
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
# Replace exp(q·k/√d) by φ(q)·φ(k) with φ(x) = elu(x) + 1 (Katharopoulos et al., 2020). Because the
# similarity now factorizes, the sums can be regrouped:
#
# out_i = Σ_j φ(q_i)·φ(k_j) v_j / Σ_j φ(q_i)·φ(k_j) = φ(q_i)ᵀ (Σ_j φ(k_j) v_jᵀ) / (φ(q_i) · Σ_j φ(k_j)).
#
# The (d × d_v) matrix Σ_j φ(k_j) v_jᵀ and the d-vector Σ_j φ(k_j) (the normalizer, in place of the softmax's
# denominator) are computed once and shared by every query: O(n·d²) instead of O(n²·d). First the FLOPs, counted by
# PyTorch itself on one head of width d = 32 (the softmax side on the manual path — the fused kernel does the
# same arithmetic but is invisible to the counter). The tensors live on PyTorch's `meta` device: shapes only,
# so the count costs no time and no memory, even at n = 16,384:

# %%
# NBVAL_CHECK_OUTPUT
def flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


for n_tokens in (16, 32, 64, 1024, 16384):
    qq = kk = vv = torch.empty(1, 1, n_tokens, 32, device="meta")
    soft_flops = flops(lambda: scaled_dot_product_attention(qq, kk, vv))
    lin_flops = flops(lambda: linear_attention(qq, kk, vv))
    print(f"n = {n_tokens:>6,}: softmax {soft_flops:>14,} · linear {lin_flops:>11,} FLOPs "
          f"({'linear' if lin_flops < soft_flops else 'softmax'} does less)")

# %% [markdown]
# In FLOPs linear attention wins once n exceeds d. In seconds the crossover comes later: each call also pays
# fixed costs that do not grow with n (the elu, several einsum dispatches, temporaries), while the fused
# softmax kernel is one tight loop. Timing both, forward only, from short to long sequences:

# %%
times = {"softmax (fused)": [], "linear": []}
ns = [64, 256, 1024, 4096]
for n_tokens in ns:
    qq, kk, vv = (torch.randn(1, 1, n_tokens, 32, generator=generator) for _ in range(3))
    for name, fn in (("softmax (fused)", lambda: scaled_dot_product_attention(qq, kk, vv, need_weights=False)),
                     ("linear", lambda: linear_attention(qq, kk, vv))):
        fn()
        runs = []
        for _ in range(5):                      # the fastest of 5: least disturbed by other programs
            with Timer() as t:
                fn()
            runs.append(t.seconds)
        times[name].append(min(runs))
slope = {name: math.log(ys[-1] / ys[-2]) / math.log(ns[-1] / ns[-2]) for name, ys in times.items()}
faster = [n_tokens for n_tokens, a, b in zip(ns, times["linear"], times["softmax (fused)"]) if a < b]
print("time grows between n = 1,024 and 4,096 like " + ", ".join(f"{k} ∝ n^{v:.1f}" for k, v in slope.items()))
print(f"linear attention is faster from n = {faster[0]:,} on (of {ns})" if faster else "softmax faster at every n")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name, ys in times.items():
    ax.plot(ns, ys, marker="o", label=name)
ax.set(xscale="log", yscale="log", xlabel="sequence length n", ylabel="seconds per call (forward)",
       title="Softmax vs linear attention, one head, d = 32")
ax.set_xticks(ns, [str(n_tokens) for n_tokens in ns])
ax.minorticks_off()
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# At the long end the softmax line climbs with a slope of 2 or more (more once the work spills out of the
# CPU's caches), the linear one with a slope near 1: each is now dominated by its own n² or n·d² work (the
# slopes printed above are this run's). More heads, another CPU or a GPU move the crossover. Speed is only
# half of it: the output is *not* softmax attention —

# %%
qs, ks, vs = (torch.randn(1, 4, 256, 32, generator=generator) for _ in range(3))
soft = scaled_dot_product_attention(qs, ks, vs)[0]
lin = linear_attention(qs, ks, vs)
print(f"relative difference between linear and softmax attention outputs: "
      f"{((lin - soft).norm() / soft.norm()).item():.2f}")

# %% [markdown]
# ## Lab 4 — What linear attention costs: recall
#
# Linear attention keeps, per head, one d × d_v state Σ_j φ(k_j) v_jᵀ: a fixed-size summary, however many
# tokens it has read. Softmax attention keeps every key and can look one up exactly. A recall task makes the
# difference measurable: store n (key, label) pairs — random unit keys in d = 16 dimensions, 16 labels — then
# present one of the keys as the query and ask for its label. One attention layer with trainable W_q and W_k is
# trained for each kind of attention and each n (the same steps, data and learning rate):

# %%
D_KEY, N_LABELS = 16, 16


def recall_batch(n_pairs: int, batch: int, g: torch.Generator):
    """query (B, d), keys (B, n, d), values (B, n, labels) one-hot, answer (B,)."""
    keys = F.normalize(torch.randn(batch, n_pairs, D_KEY, generator=g), dim=-1)
    labels = torch.randint(N_LABELS, (batch, n_pairs), generator=g)
    pick = torch.randint(n_pairs, (batch,), generator=g)
    rows = torch.arange(batch)
    return keys[rows, pick], keys, F.one_hot(labels, N_LABELS).float(), labels[rows, pick]


class Lookup(torch.nn.Module):
    """One attention read: out = attention(W_q·query, W_k·keys, values) -> (B, labels), a mixture of labels."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind
        self.w_q, self.w_k = torch.nn.Linear(D_KEY, D_KEY), torch.nn.Linear(D_KEY, D_KEY)

    def forward(self, query, keys, values):
        q, k, v = self.w_q(query)[:, None, None], self.w_k(keys)[:, None], values[:, None]   # (B, 1, ·, ·)
        if self.kind == "softmax":
            return scaled_dot_product_attention(q, k, v, need_weights=False)[0][:, 0, 0]
        return linear_attention(q, k, v)[:, 0, 0]


def train_lookup(kind: str, n_pairs: int, steps: int = 150) -> float:
    torch.manual_seed(0)
    model, g = Lookup(kind), torch.Generator().manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    for _ in range(steps):
        query, keys, values, answer = recall_batch(n_pairs, 64, g)
        loss = F.nll_loss(model(query, keys, values).clamp_min(1e-6).log(), answer)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.inference_mode():
        query, keys, values, answer = recall_batch(n_pairs, 2000, torch.Generator().manual_seed(1))
        return (model(query, keys, values).argmax(-1) == answer).float().mean().item()


recall = {kind: {n: train_lookup(kind, n) for n in (4, 16, 64)} for kind in ("softmax", "linear")}
for kind, by_n in recall.items():
    print(f"{kind:>7} attention: recall accuracy by number of stored pairs "
          f"{ {n: round(a, 2) for n, a in by_n.items()} } (chance {1 / N_LABELS:.2f})")

# %% [markdown]
# Softmax attention recalls every pair: exp(q·k) with a large learned scale singles out the matching key.
# Linear attention's accuracy falls as pairs are added: its 16 × 16 state cannot keep 64 associations apart,
# whatever it learns. This is the quality gap that linear-attention language models show on recall-heavy
# tasks (Arora et al., 2023, *Zoology*); hybrids that keep some softmax layers, or larger states, narrow it.
# Tiling, in contrast, changes nothing but float rounding — which is why FlashAttention became the default.
#
# ## Self-test
#
# **Exercise 1.** Lab 1 merged one key block at a time into a running result. The same rescaling merges two
# *whole* partial results — the step that lets several workers each take a share of the keys (split-KV
# decoding, ring attention) and combine their answers exactly.

# %%
from course.selftest import exercise

exercise("34.merge_attention")

# %%
def merge_attention(out_a, lse_a, out_b, lse_b):
    # your code here
    raise NotImplementedError


exercise("34.merge_attention").check(merge_attention)

# %% [markdown]
# **Exercise 2.** Lab 3 used the non-causal form. A decoder needs the causal one, and it can run as an RNN:
# a d × d_v state that each new token updates — constant memory per generated token, no growing KV cache.

# %%
exercise("34.causal_linear_attention")

# %%
def causal_linear_attention(q, k, v):
    # your code here
    raise NotImplementedError


exercise("34.causal_linear_attention").check(causal_linear_attention)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(34)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 标准注意力计算量 O(n²d)、朴素实现显存每层 O(h·n²)。三类办法：① 精确但省显存——分块计算并用在线 softmax（维护当前最大值（running max），按 exp(m_old−m_new) 重新缩放累加和），不存 n×n 矩阵，反向时重算；结果与标准注意力在浮点误差范围内一致，显存 O(n)，这就是 FlashAttention，在 GPU 上还更快；② 滑动窗口注意力，每个 token 只看最近 w 个，O(nwd)，单层可见范围受限；③ 线性注意力，用 φ(q)·φ(k) 代替 exp(q·k)，利用结合律得到 O(nd²)，FLOPs 在 n 超过 d
# 后就更少，但有固定开销，序列更长时才真正更快；它把历史压缩进固定大小的 d×d 状态，召回（recall）能力明显下降。d_model 固定时多头不改变矩阵乘法的 FLOPs，但 h 个 n×n 分数矩阵的显存随 h 增长。
#
# **English:** Standard attention costs O(n²d) compute and, naively, O(h·n²) memory per layer. Three ways around it:
# (1) exact but memory-frugal — tiles with an online softmax (a running maximum, the running sum rescaled by
# exp(m_old − m_new)), never storing the n×n matrix and recomputing tiles in backward: the same result up to
# float rounding in O(n) memory — FlashAttention, also faster on GPUs; (2) sliding windows, O(n·w·d), limited
# reach per layer; (3) linear attention, φ(q)·φ(k) instead of exp(q·k), regrouped to O(n·d²): fewer FLOPs once
# n exceeds d, faster in time only at longer n because of fixed per-call costs, and much weaker at recall,
# since a fixed d × d state must summarize everything read. At a fixed d_model heads do not change the matmul
# FLOPs, but the h score matrices' memory grows with h.

# %% [markdown]
# ## Further reading
#
# - Milakov, Gimelshein — *Online normalizer calculation for softmax* (2018).
# - Rabe, Staats — *Self-attention Does Not Need O(n²) Memory* (2021).
# - Dao et al. — *FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness* (2022).
# - Katharopoulos et al. — *Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention* (2020).
# - Beltagy, Peters, Cohan — *Longformer: The Long-Document Transformer* (2020).
# - Schlag, Irie, Schmidhuber — *Linear Transformers Are Secretly Fast Weight Programmers* (2021).
# - Arora et al. — *Zoology: Measuring and Improving Recall in Efficient Language Models* (2023).
