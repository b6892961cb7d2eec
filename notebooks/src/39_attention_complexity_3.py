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
# - Explain what the KV cache stores and what it saves at each decoding step.
# - Compute KV-cache memory for real models from their configurations.
# - Measure decoding speed with and without the cache.
# - Implement grouped-query attention and see how it shrinks the cache.

# %% [markdown]
# ## Try first
#
# When a model generates its 1,000th token, which attention work is new and which could be reused? How
# much memory does that reuse cost for a 70B model at a 4,096-token context?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “计算复杂度为 O(n²)” (as the whole story) | incomplete | In autoregressive **decoding** each new token has one query: with a KV cache a step costs O(n·d) attention, so generating n tokens costs O(n²·d) in total — but without a cache every step reruns the whole prefix through all layers. | Lab 2 |
# | (missing) | — | The inference bottleneck is often **memory**: the KV cache holds 2 · layers · KV heads · head size · tokens · batch values, growing linearly with context and batch. | Lab 1 |
# | “增加注意力头数…增加计算复杂度” | **wrong** | Heads do not add FLOPs (chapter 29). What does change inference cost is how many *key/value* heads are stored: multi-query and grouped-query attention share them across query heads. | Lab 3 |

# %%
import matplotlib.pyplot as plt
import torch

from course.generate import generate
from course.models import GPT, GPTConfig
from course.nn import scaled_dot_product_attention
from course.runtime import Timer, get_device, seed_everything

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — KV-cache memory of real models
#
# bytes = 2 (K and V) × layers × KV heads × head size × tokens × batch × bytes per value. Configurations from
# the papers: GPT-3 175B (Brown et al., 2020: 96 layers, d = 12288, 96 heads, 2,048 tokens), LLaMA-2 7B and
# 70B (Touvron et al., 2023: 32 layers × 32 heads × 128; 80 layers × 64 heads × 128 with **8 KV heads**,
# 4,096 tokens). Values in fp16 (2 bytes), one sequence at the full context:

# %%
# NBVAL_CHECK_OUTPUT
def kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch=1, bytes_per_value=2):
    return 2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value


models = {   # layers, query heads, KV heads, head size, context, parameters
    "GPT-2 small": (12, 12, 12, 64, 1024, 124e6),
    "GPT-3 175B": (96, 96, 96, 128, 2048, 175e9),
    "LLaMA-2 7B": (32, 32, 32, 128, 4096, 6.7e9),
    "LLaMA-2 70B (GQA)": (80, 64, 8, 128, 4096, 70e9),
}
print(f"{'model':<18} {'KV cache / sequence':>20} {'per token':>10} {'weights (fp16)':>15}")
for name, (layers, heads, kv_heads, head_dim, context, params) in models.items():
    total = kv_cache_bytes(layers, kv_heads, head_dim, context)
    print(f"{name:<18} {total / 2**30:>17.2f} GB {total / context / 2**20:>7.2f} MB {params * 2 / 2**30:>12.1f} GB")
gpt3_batch = kv_cache_bytes(96, 96, 128, 2048, batch=32)
print(f"GPT-3, a batch of 32 full-context sequences: {gpt3_batch / 2**30:.0f} GB of cache")

# %% [markdown]
# The cache grows linearly with context and batch: for a served batch (last line) it rivals the weights
# themselves. LLaMA-2 70B stores 8 KV heads instead of 64, so its cache is 8× smaller than full multi-head
# attention would need — smaller, per sequence, than that of the 10× smaller LLaMA-2 7B.
#
# ## Lab 2 — What the cache saves, measured
#
# Without a cache, step t reruns all t tokens through every layer. With it, step t feeds one token and
# reads the stored keys and values. Same tokens out, very different time:

# %%
torch.manual_seed(0)
model = GPT(GPTConfig.preset("small", vocab_size=512, context=1024)).to(device).eval()
prompt = torch.randint(0, 512, (1, 16), device=device)
lengths = [32, 64, 128, 256]
speed = {"with KV cache": [], "recompute every step": []}
for n in lengths:
    for name, use_cache in (("with KV cache", True), ("recompute every step", False)):
        with Timer() as t:
            out = generate(model, prompt, n, greedy=True, use_cache=use_cache)
        speed[name].append(n / t.seconds)
same = torch.equal(generate(model, prompt, 64, greedy=True, use_cache=True),
                   generate(model, prompt, 64, greedy=True, use_cache=False))
print("identical tokens with and without the cache:", same)
print("speed-up at", lengths[-1], "tokens:", round(speed["with KV cache"][-1] / speed["recompute every step"][-1], 1), "×")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name, ys in speed.items():
    ax.plot(lengths, ys, marker="o", label=name)
ax.set(xscale="log", xlabel="tokens generated", ylabel="tokens per second", title="Greedy decoding, 6-layer GPT")
ax.set_xticks(lengths, [str(n) for n in lengths])
ax.minorticks_off()
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# With the cache, speed stays roughly flat (each step's attention grows only linearly with the prefix);
# without it, every step redoes the whole prefix and throughput collapses as the text grows.
#
# ## Lab 3 — Multi-query and grouped-query attention
#
# Keep all query heads, but let groups of them share one key/value head (Shazeer, 2019: one KV head; Ainslie
# et al., 2023: G groups). In code, each stored K/V head is repeated for the query heads of its group:

# %%
def grouped_query_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = True):
    """q (B, H, T, d); k, v (B, G, T, d) with H divisible by G -> (B, H, T, d)."""
    n_rep = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(n_rep, dim=1), v.repeat_interleave(n_rep, dim=1)   # heads 0..n_rep−1 share group 0
    return scaled_dot_product_attention(q, k, v, causal=causal, need_weights=False)[0]


# %%
# NBVAL_CHECK_OUTPUT
B, H, T, d = 1, 8, 10, 16
q = torch.randn(B, H, T, d, generator=generator)
k, v = torch.randn(B, H, T, d, generator=generator), torch.randn(B, H, T, d, generator=generator)
mha = scaled_dot_product_attention(q, k, v, causal=True, need_weights=False)[0]
print("G = H (multi-head) equals ordinary attention:", torch.allclose(grouped_query_attention(q, k, v), mha, atol=1e-6))
for groups in (8, 2, 1):
    kg, vg = k[:, :groups], v[:, :groups]
    out = grouped_query_attention(q, kg, vg)
    print(f"G = {groups}: output {tuple(out.shape)}, cache holds {2 * groups * T * d} values "
          f"({groups}/{H} of multi-head's)")

# %% [markdown]
# Fewer KV heads mean a smaller cache and less memory traffic per decoding step, at a small cost in quality
# that grouped-query attention mostly recovers (Ainslie et al., 2023) — which is why LLaMA-2 70B, Mistral
# and most recent models use it.
#
# ## Self-test
#
# **Exercise 1.** The size of a KV cache in bytes.

# %%
from course.selftest import exercise


def kv_cache_size(n_layers, n_kv_heads, head_dim, seq_len, batch, bytes_per_value):
    # your code here
    raise NotImplementedError


exercise("39.kv_cache_bytes").check(kv_cache_size)

# %% [markdown]
# **Exercise 2.** Repeat G key heads for grouped-query attention.

# %%
def repeat_kv(k, n_rep):
    # your code here
    raise NotImplementedError


exercise("39.repeat_kv").check(repeat_kv)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(39)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 自回归生成时，每一步只有一个新 token 的查询；之前所有 token 的 K、V 不会变，可以缓存（KV cache）。有缓存时
# 每步注意力是 O(n·d)，无需把整个前缀重新过一遍所有层，实测速度相差数倍到十几倍，输出完全相同。代价是显存：
# 2 × 层数 × KV 头数 × 头维度 × 序列长度 × batch × 每值字节数，随上下文和 batch 线性增长，长上下文时可与模型权重相当
# （GPT-3 一条 2048 长度序列约 9 GB）。多查询注意力（MQA）和分组查询注意力（GQA）让多个查询头共享 K/V 头，
# 把缓存缩小 H/G 倍（LLaMA-2 70B 用 8 个 KV 头）。头数本身不增加 FLOPs。
#
# **English:** In autoregressive decoding each step has one new query, while the keys and values of earlier
# tokens never change, so they are cached. With a KV cache a step costs O(n·d) attention instead of rerunning
# the whole prefix through every layer — several to tens of times faster, identical tokens. The price is
# memory: 2 × layers × KV heads × head size × tokens × batch × bytes, linear in context and batch, and for
# long contexts comparable to the weights (GPT-3: about 9 GB for one 2,048-token sequence). Multi-query and
# grouped-query attention share K/V heads across query heads, shrinking the cache H/G times (LLaMA-2 70B
# keeps 8 KV heads). The number of heads itself adds no FLOPs.

# %% [markdown]
# ## Further reading
#
# - Pope et al. — *Efficiently Scaling Transformer Inference* (2022).
# - Shazeer — *Fast Transformer Decoding: One Write-Head is All You Need* (MQA, 2019).
# - Ainslie et al. — *GQA: Training Generalized Multi-Query Transformer Models from Multi-Head Checkpoints* (2023).
# - Touvron et al. — *Llama 2: Open Foundation and Fine-Tuned Chat Models* (2023).
# - Kwon et al. — *Efficient Memory Management for Large Language Model Serving with PagedAttention* (2023).
