# %% [markdown]
# # Chapter 39 · How does self-attention affect computational complexity? (3)
#
# **题目：** 语言模型中的自注意力机制如何影响模型计算复杂度？ — 请解释语言模型中的自注意力机制如何影响模型计算复杂度。
#
# **Question:** How does self-attention affect a language model's computational complexity?
# *(The third copy of this question: [chapter 29](29_attention_complexity_1.ipynb) covered training cost,
# [chapter 34](34_attention_complexity_2.ipynb) efficient attention; this chapter is about **inference**:
# the KV cache, its memory, and multi-query / grouped-query attention.)*
#
# **Time:** about 20 minutes · **Prerequisites:** [14 · GPT's generation process](14_gpt_generation.ipynb), [29](29_attention_complexity_1.ipynb)
#
# **Objectives**
# - Explain why decoding is sequential, what the KV cache stores, and what it saves at each step.
# - Compute KV-cache memory for real models and compare it with their weights, at batch 1 and when serving.
# - Measure cache memory and decoding speed of multi-head, grouped-query and multi-query attention.

# %% [markdown]
# ## Try first
#
# When a model generates its 1,000th token, which attention work is new and which could be reused? How
# much memory does that reuse cost for a 70B model at a 4,096-token context — and is that more or less
# than the weights? Write your answer in the cell below, then read on.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “计算复杂度为 O(n²)” (as the whole story) | incomplete | Over a whole sequence, attention scores cost O(n²·d) next to the projections' O(n·d²). In **decoding**, each new token has one query: with a KV cache a step costs O(n·d) attention; without one, every step reruns the whole prefix through all layers. | Lab 2 |
# | “可以在不同时间步和注意力头上同时进行计算” | **wrong for generation** | All time steps run at once only when all tokens are known: in training and in the **prefill** of the prompt. Generation is **sequential**: token t+1 needs token t, so each new token is one more forward pass. | Lab 2 |
# | “多个头的计算复杂度为 O(n²×h)”, “增加注意力头数…增加计算复杂度” | half right | At a fixed d_model each head works in d/h dimensions: the score *matmul* FLOPs stay 2·n²·d for any h ([chapters 17](17_multi_head_attention.ipynb) and [29](29_attention_complexity_1.ipynb)); only the h·n² score entries (their memory and the softmax over them) grow with h ([chapter 34](34_attention_complexity_2.ipynb), Lab 1). What heads change at inference is how many **key/value** heads must be stored and read: multi-query and grouped-query attention share them. | Lab 3 |
# | (missing) | — | The inference bottleneck is often **memory**: the KV cache holds 2 · layers · KV heads · head size · tokens · batch values. At batch 1 the weights dominate; the cache is what grows with context and batch. | Labs 1, 3 |

# %%
from dataclasses import replace

import matplotlib.pyplot as plt
import torch
from torch.utils.flop_counter import FlopCounterMode

from course.models import GPT, GPTConfig
from course.nn import KVCache, record_attention
from course.runtime import Timer, get_device, seed_everything

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — KV-cache memory of real models, next to their weights
#
# bytes = 2 (K and V) × layers × KV heads × head size × tokens × batch × bytes per value. Configurations from
# the papers: GPT-2 small (Radford et al., 2019), GPT-3 175B (Brown et al., 2020: 96 layers, d = 12288,
# 96 heads, 2,048 tokens), LLaMA-2 7B and 70B (Touvron et al., 2023: 32 layers × 32 heads × 128; 80 layers ×
# 64 heads × 128 with **8 KV heads**, 4,096 tokens). Everything in fp16 (2 bytes per value), one sequence at
# the full context; the last column is the batch at which the cache would weigh as much as the weights.

# %%
# NBVAL_CHECK_OUTPUT
def kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch=1, bytes_per_value=2):
    return 2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value


GiB, MiB = 2**30, 2**20
models = {   # layers, KV heads, head size, context, parameters
    "GPT-2 small": (12, 12, 64, 1024, 124e6),
    "GPT-3 175B": (96, 96, 128, 2048, 175e9),
    "LLaMA-2 7B": (32, 32, 128, 4096, 6.7e9),
    "LLaMA-2 70B (GQA)": (80, 8, 128, 4096, 69e9),
    "  same, if MHA": (80, 64, 128, 4096, 69e9),
}
print(f"{'model':<18} {'cache/sequence':>14} {'per token':>10} {'weights':>10} {'cache = weights at batch':>25}")
for name, (layers, kv_heads, head_dim, context, params) in models.items():
    cache, weights = kv_cache_bytes(layers, kv_heads, head_dim, context), params * 2
    print(f"{name:<18} {cache / GiB:>10.2f} GiB {cache / context / MiB:>6.2f} MiB "
          f"{weights / GiB:>6.1f} GiB {weights / cache:>25.0f}")

# %% [markdown]
# One sequence's cache is small next to the weights: GPT-3's 9 GiB is 3 % of its 326 GiB. What grows is
# the cache: linearly with context and with batch, and a server runs many sequences at once to use its
# hardware. At about 36 full-length sequences GPT-3's cache weighs as much as its weights (LLaMA-2 7B's at
# about 6). LLaMA-2 70B stores 8 KV heads instead of 64, so a sequence's cache is 8× smaller — smaller than that of the 10× smaller LLaMA-2 7B —
# and the batch at which the cache catches up with the weights grows 8-fold, from 13 to 103.
#
# ## Lab 2 — Decoding is sequential; the cache makes each step cheap
#
# A course GPT (2 layers, d = 256, 8 heads; untrained: time and memory do not depend on the weights' values)
# gets a 64-token prompt and generates 96 tokens greedily, once with the KV cache and once recomputing the
# whole sequence at every step. We time every step. With the cache, the first step is the **prefill**: the
# whole prompt in one parallel pass. Every later step feeds one token, because it needs the one before.

# %%
cfg = GPTConfig(vocab_size=65, context=1024, n_layers=2, n_heads=8, d_model=256)
torch.manual_seed(0)
model = GPT(cfg).to(device).eval()
prompt = torch.randint(0, cfg.vocab_size, (1, 64), generator=generator).to(device)


def decode(model, prompt, n_new, use_cache):
    """Greedy decoding, timed step by step -> (tokens (1, T + n_new), seconds per step).

    The loop of `course.generate.generate`, written out here so that each step can be timed."""
    idx, cache, seconds = prompt, None, []
    with torch.inference_mode():
        for _ in range(n_new):
            with Timer() as t:
                out = model(idx if cache is None else idx[:, -1:], cache=cache, use_cache=use_cache)
            cache = out.cache
            idx = torch.cat([idx, out.logits[:, -1:].argmax(-1)], dim=1)
            seconds.append(t.seconds)
    return idx, seconds


n_new = 96
cached_tokens, cached = decode(model, prompt, n_new, use_cache=True)
full_tokens, full = decode(model, prompt, n_new, use_cache=False)
print("identical tokens with and without the cache:", torch.equal(cached_tokens, full_tokens))
print(f"prefill: {prompt.shape[1]} prompt tokens in one pass: {cached[0] * 1e3:.1f} ms "
      f"({cached[0] / prompt.shape[1] * 1e3:.2f} ms per token)")


def median_ms(seconds):
    """The median step in ms: unlike the mean, one step slowed down by another program hardly moves it."""
    return torch.tensor(seconds).median().item() * 1e3


print(f"decoding: {n_new - 1} more tokens, one pass each: {sum(cached[1:]) * 1e3:.0f} ms in all "
      f"(median {median_ms(cached[1:]):.2f} ms per token)")
print(f"without the cache the median decoding step takes {median_ms(full[1:]) / median_ms(cached[1:]):.1f}× as long")
for name, secs in (("recompute", full), ("KV cache", cached)):
    print(f"{name:>10}: median step {median_ms(secs[1:17]):5.1f} ms over steps 2-17, "
          f"{median_ms(secs[-16:]):5.1f} ms over the last 16")

# %%
def smoothed_ms(seconds):
    """Decoding steps 2… in ms, each the median of 5 neighbours: other processes' noise hides less of the trend."""
    return torch.tensor(seconds[1:]).mul(1e3).unfold(0, 5, 1).median(-1).values


fig, ax = plt.subplots(figsize=(6, 3.4))
centre = range(4, n_new - 1)      # step numbers at the centre of each window of 5
ax.plot(centre, smoothed_ms(full), label="recompute every step", color="tab:red")
ax.plot(centre, smoothed_ms(cached), label="with KV cache", color="tab:blue")
ax.scatter([1], [cached[0] * 1e3], color="tab:blue", marker="s", label=f"prefill: {prompt.shape[1]} tokens in one pass")
ax.set(xlabel="decoding step", ylabel="ms per step (median of 5)", title="Greedy decoding, one pass per new token")
ax.set_ylim(bottom=0)
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Without the cache, each step reruns the prompt and every token generated so far, so its time grows with the
# text; with it, a step reads the stored keys and values and costs about the same at every position. The
# prefill's cost per token is a small fraction of a decoding step's: positions known in advance are
# processed in parallel, but the tokens being generated cannot be, since each one is the input of the next.
# That is why training and prefill are fast and generation is slow.
#
# ## Lab 3 — Multi-query and grouped-query attention, measured
#
# Keep all H query heads, but let groups of them share one key/value head: `n_kv_heads = 1` is multi-query
# attention (Shazeer, 2019), 1 < `n_kv_heads` < H grouped-query attention (Ainslie et al., 2023). In the
# course's `MultiHeadAttention`, query heads 0 … H/G−1 use KV head 0, the next H/G use KV head 1, and so on;
# only the G KV heads are projected and cached. We build the same GPT with 8, 2 and 1 KV heads, measure the
# cache it actually stores after the prompt, count one decoding step's FLOPs with PyTorch's
# `FlopCounterMode`, and time decoding steps at a context of 512 with batch 1 and batch 32 (the cache filled
# with random numbers: a step's cost does not depend on the values).

# %%
# NBVAL_CHECK_OUTPUT
def random_cache(model, batch, context):
    """Per layer, keys and values (batch, KV heads, context, head size) of random numbers."""
    c = model.config
    shape = (batch, c.kv_heads, context, c.d_model // c.n_heads)
    return [KVCache(torch.randn(shape, device=device), torch.randn(shape, device=device)) for _ in range(c.n_layers)]


def step_flops(model, context=512):
    """FLOPs of one decoding step (batch 1, `context` cached tokens): attention matmuls, linear layers.
    Recording attention selects the written-out path, whose matmuls the counter can see."""
    token = torch.zeros(1, 1, dtype=torch.long, device=device)
    with torch.inference_mode(), record_attention(model), FlopCounterMode(display=False) as counter:
        model(token, cache=random_cache(model, 1, context), use_cache=True)
    counts = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    return counts.get("aten.bmm", 0), counts.get("aten.addmm", 0) + counts.get("aten.mm", 0)


variants = {kv: GPT(replace(cfg, n_kv_heads=kv)).to(device).eval() for kv in (8, 2, 1)}
head_dim = cfg.d_model // cfg.n_heads
rows = [f"{'KV heads':>8} {'parameters':>11} {'cache after prompt':>19} {'= formula':>10} "
        f"{'FLOPs/step: attention':>22} {'linear':>10}"]
for kv, m in variants.items():
    with torch.inference_mode():
        cache = m(prompt, use_cache=True).cache
    stored = sum(c.k.nbytes + c.v.nbytes for c in cache)
    formula = kv_cache_bytes(cfg.n_layers, kv, head_dim, prompt.shape[1], bytes_per_value=4)
    attention, linear = step_flops(m)
    rows.append(f"{kv:>8} {sum(p.numel() for p in m.parameters()):>11,} {stored / 1024:>15.0f} KiB "
                f"{str(stored == formula):>10} {attention:>22,} {linear:>10,}")
print("\n".join(rows))


# %%
def step_ms(model, batch, context=512, steps=7):
    """Milliseconds of one decoding step with `context` cached tokens for `batch` sequences (best of `steps`)."""
    cache = random_cache(model, batch, context)
    token = torch.zeros(batch, 1, dtype=torch.long, device=device)
    times = []
    with torch.inference_mode():
        for _ in range(steps):
            with Timer() as t:
                model(token, cache=cache, use_cache=True)
            times.append(t.seconds)
    return min(times) * 1e3


weights_mib = sum(p.nbytes for p in model.parameters()) / MiB
speed = {kv: {b: step_ms(m, b) for b in (1, 32)} for kv, m in variants.items()}
print(f"weights: {weights_mib:.1f} MiB")
print(f"{'KV heads':>8} {'cache, batch 1':>15} {'batch 32':>9} {'step, batch 1':>14} {'step, batch 32':>15} "
      f"{'speed-up at 1':>14} {'at 32':>6}")
for kv, t in speed.items():
    cache_1, cache_32 = (kv_cache_bytes(cfg.n_layers, kv, head_dim, 512, batch=b, bytes_per_value=4) / MiB
                         for b in (1, 32))
    print(f"{kv:>8} {cache_1:>11.2f} MiB {cache_32:>5.0f} MiB {t[1]:>11.1f} ms {t[32]:>12.1f} ms "
          f"{speed[8][1] / t[1]:>13.1f}× {speed[8][32] / t[32]:>5.1f}×")

# %% [markdown]
# The stored cache shrinks exactly by H/G: 4× for 2 KV heads, 8× for one, and the parameter count only a
# little (W_k and W_v shrink; W_q and W_o do not). At batch 1 the cache (2 MiB at 512 tokens with 8 KV heads,
# plus the copy that extends it each step: `torch.cat` writes the whole cache anew) is smaller than the
# weights every step reads (7.1 MiB), and sharing KV heads gains far less than the 4× and 8× by which the
# caches differ. At batch 32 the cache is 64 MiB with 8 KV heads, several times the weights, and reading and
# extending it dominates the step: sharing KV heads makes each step several times faster. Yet the attention
# FLOPs are the same for all three — every query head still scores every cached key — and the linear layers'
# FLOPs drop only by the smaller W_k and W_v: what GQA saves is memory and memory traffic, not arithmetic.
#
# Quality is not measured here: Ainslie et al. (2023) report that multi-query attention loses some quality
# against multi-head, and grouped-query attention with 8 groups comes close to multi-head while decoding
# almost as fast as multi-query — which is why LLaMA-2 70B, Mistral 7B and most recent models use it. They
# also show how to turn a multi-head checkpoint into a grouped one: average each group's key and value
# heads, then train a little longer ("uptraining").
#
# ## Self-test
#
# **Exercise 1** uses the formula of Lab 1 for a serving decision: how many sequences fit on one GPU?

# %%
from course.selftest import exercise

exercise("39.max_batch")


# %%
def max_batch(memory_bytes, n_params, n_layers, n_kv_heads, head_dim, seq_len, bytes_per_value):
    # your code here
    raise NotImplementedError


exercise("39.max_batch").check(max_batch)

# %% [markdown]
# **Exercise 2.** Lab 3 used the package's grouped-query attention. Write it yourself, without making H/G
# copies of the keys and values (the package's written-out path does copy them, for clarity).

# %%
exercise("39.grouped_attention")


# %%
def grouped_attention(q, k, v):
    # your code here
    raise NotImplementedError


exercise("39.grouped_attention").check(grouped_attention)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(39)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 训练和预填充（prefill）时所有位置已知，可以并行计算；生成时第 t+1 个 token 依赖第 t 个，只能逐个解码，每生成一个 token 做一次前向计算。之前 token 的 K、V 不变，可以缓存（KV cache）：每步注意力只需 O(n·d)，不必把整个前缀重算一遍，输出完全相同，解码快数倍，且文本越长差距越大（实验 2）。代价是显存：2 × 层数 × KV 头数 × 头维度 × 长度 × batch × 字节数。batch 为 1 时权重占大头（GPT-3 一条 2048 序列约
# 9 GiB，权重 326 GiB）；随上下文和 batch 线性增长的是缓存：GPT-3 约 36 条序列就超过权重（LLaMA-2 7B
# 只需约 6 条）。MQA/GQA 让多个查询头共享 K/V 头，缓存缩小 H/G 倍（LLaMA-2 70B 用 8 个 KV 头），大 batch 时解码明显加快（实验 3），注意力 FLOPs 不变。头数本身不增加矩阵乘法 FLOPs。
#
# **English:** Training and prefill see all positions and run them in parallel; generation is sequential:
# token t+1 needs token t, one forward pass each. Earlier tokens' keys and values never change, so they are
# cached: a step then costs O(n·d) attention instead of rerunning the prefix, with identical tokens and
# decoding several times faster, more for longer texts (Lab 2). The price is memory: 2 × layers × KV heads ×
# head size × tokens × batch × bytes. At batch 1 the weights dominate (GPT-3: 9 GiB of cache per 2,048-token
# sequence, 326 GiB of weights); what grows with context and batch is the cache: GPT-3's passes its weights
# at about 36 sequences (LLaMA-2 7B's at about 6). MQA and GQA share K/V heads across query heads, shrinking
# the cache H/G times (LLaMA-2 70B: 8 KV heads) and speeding up large-batch decoding (Lab 3) with unchanged
# attention FLOPs. More heads add no matmul FLOPs.

# %% [markdown]
# ## Further reading
#
# - Pope et al. — *Efficiently Scaling Transformer Inference* (2022).
# - Shazeer — *Fast Transformer Decoding: One Write-Head is All You Need* (MQA, 2019).
# - Ainslie et al. — *GQA: Training Generalized Multi-Query Transformer Models from Multi-Head Checkpoints* (2023).
# - Touvron et al. — *Llama 2: Open Foundation and Fine-Tuned Chat Models* (2023).
# - Kwon et al. — *Efficient Memory Management for Large Language Model Serving with PagedAttention* (2023).
