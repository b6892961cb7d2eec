# %% [markdown]
# # Chapter 17 · How does multi-head attention improve language models?
#
# **题目：** 语言模型中的多头注意力如何提高性能？ — 请解释多头注意力机制如何提高语言模型的性能。
#
# **Question:** How does multi-head attention improve the performance of language models?
#
# **Time:** about 25 minutes · **Prerequisites:** [16 · self-attention](16_self_attention.ipynb) · **Related:**
# [4 · how attention works](04_how_attention_works.ipynb), [29 · attention complexity](29_attention_complexity_1.ipynb),
# [39 · inference cost, MQA and GQA](39_attention_complexity_3.ipynb)
#
# **Objectives**
# - See that heads split the *features*, never the sequence, and cost no extra parameters or matmul FLOPs
#   (counted with PyTorch's FLOP counter); only the attention weights grow, as h·n².
# - Train models with 1, 2 and 4 heads of the same size on a task with several look-ups, and measure
#   what the extra heads buy.
# - Read per-head patterns in a trained model and measure what ablating each head does.

# %% [markdown]
# ## Try first
#
# What exactly is split into heads? Does a model with 8 heads have more parameters, or do more FLOPs, than
# one with 1 head of the same width? What *does* grow with the number of heads? Write your answer.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “将**输入序列**分成多个头，每个头关注不同的部分” | **wrong** | The *feature* dimension is split: d_model = h · d_head. Every head attends over the whole sequence, in its own learned subspace. | Lab 1 |
# | “每个头独立计算…合并结果…通过另一个线性变换” | correct | Heads are concatenated and mixed by W_o. | Lab 1 |
# | “虽然多头注意力增加了计算量，但通过并行计算，可以在不显著增加计算时间的情况下…” | **wrong** | h heads of size d/h have the same parameters and matmul FLOPs as one head of size d. What grows is the attention weights, h·n² of them — memory, and the softmax. So there is no extra matmul work for parallelism to hide: all heads run in one batched matmul ([chapter 29](29_attention_complexity_1.ipynb), Lab 3, times it). | Lab 1 |
# | “捕捉多样化信息” | correct, and measurable | With the same parameters, more heads learn a task with several simultaneous look-ups faster; trained heads specialize, and removing one costs accuracy. | Labs 2, 3 |
# | “增加泛化能力” | unsupported | No such general result. Heads let one layer run several attention patterns at once; whether that helps a task is measured, not assumed — and some heads can be removed at little cost (Michel et al., 2019). | Lab 2 |

# %%
import matplotlib.pyplot as plt
import torch
from torch.utils.flop_counter import FlopCounterMode

from course.models import GPT, GPTConfig, count_parameters
from course.nn import MultiHeadAttention, record_attention
from course.runtime import get_device, saved_for_backward_bytes, seed_everything
from course.train import AdamW, fit, warmup_cosine_scheduler

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Heads are subspaces, and they are (almost) free
#
# A (B, T, d) tensor becomes (B, H, T, d/H): each head gets d/H of the features **of every position**.

# %%
# NBVAL_CHECK_OUTPUT
x = torch.randn(1, 6, 8)                                  # 6 positions, 8 features
heads = x.view(1, 6, 2, 4).transpose(1, 2)                # 2 heads of 4 features: (B, H, T, d/H)
print("per head:", tuple(heads.shape[2:]), "→ every head sees all 6 positions")
print("head 0 holds features 0–3 of position 0:", torch.equal(heads[0, 0, 0], x[0, 0, :4]))

# %% [markdown]
# Now the cost, measured rather than argued: one attention layer with d = 256 over n = 512 tokens, with 1 to 16
# heads. `FlopCounterMode` counts the FLOPs of every matmul PyTorch runs (we use the manual attention path,
# whose matmuls it can see), and `saved_for_backward_bytes` the memory autograd keeps for the backward pass.

# %%
d, n = 256, 512
x = torch.randn(1, n, d)
cost = {}
for h in (1, 2, 4, 8, 16):
    attn = MultiHeadAttention(d, h, causal=True)
    attn.record = True                                    # manual path: the weights exist as a tensor
    with FlopCounterMode(display=False) as counter:
        _, kept = saved_for_backward_bytes(lambda: attn(x))
    cost[h] = (count_parameters(attn), counter.get_total_flops(), attn.last_weights.numel(), kept / 2**20)

print(f"{'heads':>5} {'d_head':>6} {'parameters':>10} {'matmul FLOPs':>13} {'weights':>10} {'MiB kept for backward':>22}")
for h, (params, flops, weights, mib) in cost.items():
    print(f"{h:>5} {d // h:>6} {params:>10,} {flops:>13,} {weights:>10,} {mib:>22.1f}")
per_head = (cost[16][3] - cost[1][3]) / 15
print(f"each extra head keeps {per_head:.1f} MiB more for backward; one n × n float32 matrix is {n * n * 4 / 2**20:.0f} MiB")

# %%
# NBVAL_CHECK_OUTPUT
print("parameters the same for every h:", len({c[0] for c in cost.values()}) == 1)
print("matmul FLOPs the same for every h:", len({c[1] for c in cost.values()}) == 1)
print("attention weights = h·n² for every h:", all(c[2] == h * n * n for h, c in cost.items()))

# %% [markdown]
# Parameters and matmul FLOPs do not depend on h. What grows is the number of attention weights, h · n²:
# the softmax work and, on the manual path, the memory kept for backward: two n × n matrices per head here,
# the softmax output and the copy `nan_to_num` makes of it for fully masked rows (a non-causal layer keeps
# one). Fused kernels (chapter 34) avoid storing them.
#
# At **inference** heads do cost something else: every head's keys and values are cached for each token. That is
# why large models share them — *multi-query attention* (one K/V head for all query heads; Shazeer, 2019) and
# *grouped-query attention* (one per group of query heads; Ainslie et al., 2023) keep all the query heads and
# shrink the KV cache by h/G. [Chapter 39](39_attention_complexity_3.ipynb) measures it; exercise 2 below
# builds the head-to-group mapping.
#
# ## Lab 2 — Do more heads help? Four look-ups at once
#
# A task that needs several look-ups at the same time: at each position, output the tuple of the tokens
# 1, 2, 4 and 7 steps back, encoded as one of 3⁴ = 81 classes. We train one-layer models with 1, 2 and 4
# heads of the same total width — the same parameters — for the same small budget of steps:

# %%
V, T, OFFSETS = 3, 16, (1, 2, 4, 7)
FIRST = max(OFFSETS)                                      # positions before this one have no answer


def lookup_batch(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, V, (n, T), generator=g)
    y = torch.zeros_like(x)
    for offset in OFFSETS:                                # class = the digits (x[t-1], x[t-2], x[t-4], x[t-7]) in base V
        y = y * V + torch.roll(x, offset, 1)
    y[:, :FIRST] = -100
    return x.to(device), y.to(device)


def accuracy(model) -> float:
    with torch.inference_mode():
        pred = model(x_test).logits.argmax(-1)
    return (pred[:, FIRST:] == y_test[:, FIRST:]).float().mean().item()


x_test, y_test = lookup_batch(500, seed=10_000)
STEPS = 80
models, results = {}, {}
for h in (1, 2, 4):
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=V ** len(OFFSETS), context=T, n_layers=1, n_heads=h, d_model=64, tie_weights=False)
    model = GPT(config).to(device)
    opt = AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    fit(model, opt, lambda s: lookup_batch(64, s), STEPS, scheduler=warmup_cosine_scheduler(opt, warmup=10, total=STEPS))
    models[h], results[h] = model, accuracy(model)
    print(f"{h} head(s): {count_parameters(model):,} parameters, test accuracy after {STEPS} steps {results[h]:.3f}")

# %% [markdown]
# Same parameters, same steps, and the single head lags behind — yet it is far above chance (1/81 ≈ 0.012).
# How, with one softmax? Look at where it puts its weight, averaged over the test queries, at each offset back:

# %%
offsets = torch.arange(T)[:, None] - torch.arange(T)[None, :]  # query − key


def offset_profile(model) -> torch.Tensor:
    """Mean attention weight of each head at offsets 0..FIRST, over the queries that have an answer -> (H, FIRST + 1)."""
    with torch.inference_mode(), record_attention(model) as rec:
        model(x_test)
    w = rec["blocks.0.self_attn"][0]                           # (B, H, T, T)
    return torch.stack([w[:, :, FIRST:][:, :, offsets[FIRST:] == o].mean(dim=(0, 2)) for o in range(FIRST + 1)],
                       dim=1)


one_head = offset_profile(models[1])[0]
print("1 head, mean weight at the offsets the task needs:", {o: round(one_head[o].item(), 2) for o in OFFSETS},
      f"· together {one_head[list(OFFSETS)].sum():.2f}")

# %% [markdown]
# The single head spreads almost all its weight, unevenly, over the four offsets the task needs. It must then
# read one weighted average of four tokens and untangle it, while several heads give each look-up its own
# softmax and its own subspace. In this run, heads made the task easier to learn in the same budget. Try it yourself: more steps
# (`STEPS = 200`), or a single look-up (`OFFSETS = (3,)`) — does the gap stay?
#
# ## Lab 3 — What each head does, and what removing it costs
#
# For the 4-head model, the average attention each head puts at each offset (0 = the token itself):

# %%
model = models[4]
profile = offset_profile(model)                                # (H, offsets 0..7)

fig, ax = plt.subplots(figsize=(6, 2.8))
im = ax.imshow(profile.cpu().numpy(), cmap="viridis", aspect="auto", vmin=0)
ax.set(xlabel="offset back (query − key)", ylabel="head", title="Average attention by offset, per head")
ax.set_xticks(range(FIRST + 1))
ax.set_yticks(range(4))
fig.colorbar(im, ax=ax, label="mean weight")
fig.tight_layout()

# %% [markdown]
# The heads put their weight on the offsets the task needs — 1, 2, 4 and 7 — and divide them between them.
# Now ablate: multiply heads' outputs by zero (`head_mask`) and measure the accuracy again — removing one
# head, and keeping only one.

# %%
attention = model.blocks[0].self_attn


def accuracy_with(head_mask) -> float:
    attention.head_mask = torch.tensor(head_mask, dtype=torch.float32, device=device)
    try:
        return accuracy(model)
    finally:
        attention.head_mask = None


without = [accuracy_with([0.0 if i == h else 1.0 for i in range(4)]) for h in range(4)]
only = [accuracy_with([1.0 if i == h else 0.0 for i in range(4)]) for h in range(4)]
peaks = [[o for o in OFFSETS if profile[h, o] > 0.1] for h in range(4)]       # offsets where a head puts > 10 %
for h in range(4):
    print(f"head {h} (looks at offsets {peaks[h]}): without it {without[h]:.3f} · it alone {only[h]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.2))
positions = torch.arange(4)
ax.bar(positions - 0.2, without, width=0.4, color="tab:orange", label="this head removed")
ax.bar(positions + 0.2, only, width=0.4, color="tab:purple", label="only this head kept")
ax.set_xticks(positions.tolist(), [f"head {h}\noffsets {', '.join(map(str, p))}" for h, p in enumerate(peaks)])
ax.axhline(results[4], color="tab:green", ls="--", label="all heads")
ax.axhline(1 / V ** len(OFFSETS), color="gray", ls=":", label="chance")
ax.set(ylabel="test accuracy", title="Head ablation", ylim=(0, 1.05))
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))      # beside the plot, over no bar
fig.tight_layout()

# %% [markdown]
# Removing any one head costs accuracy: the look-ups it served are now served worse or not at all. Keeping
# a single head shows that none does the task alone. This is one seeded run: with another seed
# (`torch.manual_seed(1)` in Lab 2) the heads may divide the offsets differently — try it.
#
# ## Self-test
#
# **Exercise 1** — Lab 1 split a tensor into heads; write the way back.

# %%
from course.selftest import exercise

exercise("17.merge_heads")

# %%
def merge_heads(x):
    # your code here
    raise NotImplementedError


exercise("17.merge_heads").check(merge_heads)

# %% [markdown]
# **Exercise 2** — the next step toward grouped-query attention: give every query head the keys (or values)
# of its group.

# %%
exercise("17.repeat_kv")

# %%
def repeat_kv(k, n_heads):
    # your code here
    raise NotImplementedError


exercise("17.repeat_kv").check(repeat_kv)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(17)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 多头注意力把 d_model 维特征切成 h 个 d/h 维子空间（不是把序列切开），每个头用自己的 W_q、W_k、W_v
# 在整个序列上独立做注意力，结果拼接后由 W_o 融合。与一个 d 维单头相比，参数量和矩阵乘法 FLOPs 完全相同（FlopCounterMode 实测），增长的只是注意力权重的个数 h·n²（即 softmax 的计算量和反向传播要保存的显存），所以“多头增加计算量”基本不成立。好处是一层里同时有多种注意力模式：需要同时查看多个位置的任务上，同样参数、同样步数，4 个头明显比 1 个头学得快；训练后各头分工，消融可测出每个头的作用。推理时每个头都要缓存 K、V，所以 MQA/GQA 让多个查询头共享 K、V 以缩小
# KV cache。头数是超参数：头越多，每头维度 d/h 越小，要用实验来选。
#
# **English:** Multi-head attention splits the d_model features into h subspaces of size d/h — not the
# sequence. Each head projects with its own W_q, W_k, W_v and attends over the whole sequence; the heads are
# concatenated and mixed by W_o. Versus one head of width d, parameters and matmul FLOPs are identical
# (measured with FlopCounterMode); only the attention weights grow, h·n² (softmax work, memory for backward).
# The gain is several attention patterns in one layer: on a task with four simultaneous look-ups, four heads
# learn far faster than one with the same parameters, and ablation shows how trained heads divide the work.
# At inference each head caches K and V, so MQA/GQA share them across query heads. h is a hyperparameter:
# more heads means narrower ones (d/h each), so choose it by experiment.

# %% [markdown]
# ## Further reading
#
# - Vaswani et al. — *Attention Is All You Need* (2017), section 3.2.2.
# - Voita et al. — *Analyzing Multi-Head Self-Attention: Specialized Heads Do the Heavy Lifting* (2019).
# - Michel, Levy, Neubig — *Are Sixteen Heads Really Better than One?* (2019).
# - Shazeer — *Fast Transformer Decoding: One Write-Head is All You Need* (2019) — multi-query attention.
# - Ainslie et al. — *GQA: Training Generalized Multi-Query Transformer Models from Multi-Head Checkpoints* (2023).
