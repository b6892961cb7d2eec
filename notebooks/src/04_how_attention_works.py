# %% [markdown]
# # Chapter 4 · How does the attention mechanism in language models work?
#
# **题目：** 语言模型中的注意力机制如何工作？ — 请解释语言模型中的注意力机制。
#
# **Question:** How does the attention mechanism in language models work? Explain it.
#
# **Time:** about 30 minutes · **Prerequisites:** [1 · basic principles](01_llm_basics.ipynb) · **Related:**
# [16 · self-attention](16_self_attention.ipynb), [17 · multi-head attention](17_multi_head_attention.ipynb),
# [29 · attention complexity](29_attention_complexity_1.ipynb)
#
# **Objectives**
# - Compute scaled dot-product attention by hand and match it to PyTorch's fused kernel.
# - Explain, with a measurement, why the scores are divided by √d_k.
# - Apply causal and padding masks correctly (before the softmax).
# - Read attention maps of a trained model, and check they show the pattern the task requires.

# %% [markdown]
# ## Try first
#
# Write your interview answer: what are queries, keys and values, what is computed from them, and why
# is there a √d_k? Then read on.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “对序列中的每个单词计算权重，权重较高的单词赋予更高的关注程度” | incomplete | Each position forms a **query**; every position offers a **key** and a **value**. Weights = softmax(q·k/√d_k) over the keys, *one distribution per query*; the output is the weighted average of the values. The answer never mentions Q, K, V or the √d_k. | Labs 1–2 |
# | “多头注意力…将输入序列分成多个头，每个头关注不同的部分” | **wrong** | Heads split the **feature dimension** (d_model = h · d_k), not the sequence: every head attends over *all* positions, in its own learned subspace. | Lab 4, chapter 17 |
# | “提高模型的泛化能力” (of multi-head) | unsupported | Multiple heads let one layer mix several patterns at once, at the same parameter cost (chapter 17). “Generalization” is not the stated or measured reason. | chapter 17 |
# | “注意力机制需要知道每个词的位置信息，因此使用了位置编码” | correct, **incomplete** | The content score q·k is **order-blind** (permuting the inputs permutes the outputs), so order has to be supplied. It can enter the inputs (learned or sinusoidal encodings added to the embeddings) or act **inside the score**: RoPE rotates q and k by their positions, ALiBi and T5 add a bias that depends on the distance i − j. A causal mask also leaks some order: decoder LMs trained with no positional encoding at all still learn positions (Haviv et al., 2022). | Lab 1 |
#
# Missing: the mask (Lab 3), and that the cost of the score matrix grows with n² (chapter 29).

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import course
from course.runtime import get_device, seed_everything

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Attention by hand
#
# Four tokens with 8-dimensional queries, keys and values (in a model these come from three learned
# linear maps of the token vectors). Every step of the formula
# $\mathrm{softmax}(QK^\top/\sqrt{d_k})\,V$:

# %%
T, d_k = 4, 8
q, k, v = (torch.randn(T, d_k, generator=generator) for _ in range(3))

scores = q @ k.T / math.sqrt(d_k)          # (T, T): row i = how well query i matches each key
weights = torch.softmax(scores, dim=-1)     # each row is a probability distribution over the keys
out = weights @ v                           # (T, d_k): each output is a weighted average of the values

print("weights (rows sum to 1):\n", weights.numpy().round(2))
print("row sums:", weights.sum(-1).numpy().round(6))

# %% [markdown]
# The course's attention core (`course.nn.scaled_dot_product_attention`) does the same on batched,
# multi-head tensors `(B, H, T, d_k)` and has two paths: the *manual* one above, which returns the
# weights, and PyTorch's *fused* kernel, which is faster and never builds the weights. All three agree:

# %%
# NBVAL_CHECK_OUTPUT
from course.nn import scaled_dot_product_attention

q4, k4, v4 = (t[None, None] for t in (q, k, v))             # add batch and head axes: (1, 1, T, d_k)
manual, manual_weights = scaled_dot_product_attention(q4, k4, v4)
fused, _ = scaled_dot_product_attention(q4, k4, v4, need_weights=False)
torch_ref = F.scaled_dot_product_attention(q4, k4, v4)
print("by hand == course manual:", torch.allclose(out, manual[0, 0], atol=1e-6))
print("course manual == course fused == torch:", torch.allclose(manual, fused, atol=1e-6),
      torch.allclose(manual, torch_ref, atol=1e-6))

# %% [markdown]
# **Attention does not know the order.** Shuffle the tokens: the outputs are the same vectors, shuffled
# the same way. Without positional information, "dog bites man" and "man bites dog" look alike.
#
# Position can also act *inside* the score. ALiBi (Press et al., 2022) adds −m·|i − j| to the score of
# query *i* and key *j*, so nearby keys are favoured whatever their content; PyTorch's fused kernel takes
# such a bias as a float `attn_mask`. With it, shuffling the tokens no longer just shuffles the outputs:

# %%
# NBVAL_CHECK_OUTPUT
perm = torch.tensor([2, 0, 3, 1])
shuffled, _ = scaled_dot_product_attention(q4[:, :, perm], k4[:, :, perm], v4[:, :, perm])
print("content scores only: attention(shuffled) == shuffled attention:",
      torch.allclose(shuffled, manual[:, :, perm], atol=1e-6))

positions = torch.arange(T)
distance_bias = -0.5 * (positions[:, None] - positions[None, :]).abs().float()    # (T, T), slope m = 0.5
with_bias = F.scaled_dot_product_attention(q4, k4, v4, attn_mask=distance_bias)
shuffled_bias = F.scaled_dot_product_attention(q4[:, :, perm], k4[:, :, perm], v4[:, :, perm], attn_mask=distance_bias)
print("with a distance bias in the score:   attention(shuffled) == shuffled attention:",
      torch.allclose(shuffled_bias, with_bias[:, :, perm], atol=1e-6))

# %% [markdown]
# ## Lab 2 — Why divide by √d_k?
#
# If the entries of q and k are independent with variance 1, then q·k is a sum of d_k such products and
# has variance d_k. Large heads give large scores, the softmax **saturates** to one key, and its gradient
# — which the model needs in order to learn where to look — vanishes. Dividing by √d_k keeps the scores'
# variance at 1 whatever the head size. We measure both for d_k from 4 to 1024:

# %%
dims = [4, 16, 64, 256, 1024]
stats = {"unscaled": {"max_weight": [], "grad_norm": []}, "scaled by √d_k": {"max_weight": [], "grad_norm": []}}
for d in dims:
    qs, ks = torch.randn(256, 16, d, generator=generator), torch.randn(256, 16, d, generator=generator)
    raw = (qs @ ks.transpose(-1, -2))[:, 0]                          # 256 queries × 16 keys
    for name, s in (("unscaled", raw), ("scaled by √d_k", raw / math.sqrt(d))):
        s = s.clone().requires_grad_(True)
        p = torch.softmax(s, dim=-1)
        # gradient of a random linear read-out of the weights, back to the scores
        (p * torch.randn(p.shape, generator=generator)).sum().backward()
        stats[name]["max_weight"].append(p.max(-1).values.mean().item())
        stats[name]["grad_norm"].append(s.grad.norm(dim=-1).mean().item())
print("score std, unscaled vs scaled, at d_k = 1024:", round(raw.std().item(), 1), round((raw / 32).std().item(), 2))
print(f"{'d_k':>6} | {'largest weight':^21} | {'‖∂loss/∂scores‖':^21}")
print(f"{'':>6} | {'unscaled':>10} {'scaled':>10} | {'unscaled':>10} {'scaled':>10}")
for i, d in enumerate(dims):
    u, s = stats["unscaled"], stats["scaled by √d_k"]
    print(f"{d:>6} | {u['max_weight'][i]:>10.3f} {s['max_weight'][i]:>10.3f} | "
          f"{u['grad_norm'][i]:>10.2e} {s['grad_norm'][i]:>10.2e}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
for name, s in stats.items():
    axes[0].plot(dims, s["max_weight"], marker="o", label=name)
    axes[1].plot(dims, s["grad_norm"], marker="o", label=name)
axes[0].set(xscale="log", xlabel="d_k", ylabel="mean of the largest weight", title="Softmax saturates without scaling")
axes[1].set(xscale="log", yscale="log", xlabel="d_k", ylabel="‖∂loss/∂scores‖", title="…and its gradient vanishes")
for ax in axes:
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# ## Lab 3 — Masks
#
# A language model must not look at the future: a **causal mask** lets position *i* see keys 0…*i*. In a
# batch of different lengths, a **padding mask** hides the padding. Masks act on the *scores*, set to
# −∞ **before** the softmax, so masked keys get exactly zero weight and each row still sums to 1.

# %%
from course.nn import causal_mask, padding_mask
from course.viz import plot_attention

T = 6
qm, km, vm = (torch.randn(1, 1, T, 8, generator=generator) for _ in range(3))
causal = causal_mask(T)
padding = padding_mask(torch.tensor([4]), T)                  # 4 real tokens, then 2 pads
_, w_causal = scaled_dot_product_attention(qm, km, vm, causal)
_, w_both = scaled_dot_product_attention(qm, km, vm, causal & padding)

fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
labels = ["t0", "t1", "t2", "t3", "pad", "pad"]
plot_attention(causal.float(), labels, labels, ax=axes[0], title="causal mask (1 = may attend)", cmap="Greys")
plot_attention(w_causal[0, 0], labels, labels, ax=axes[1], title="weights with causal mask")
plot_attention(w_both[0, 0], labels, labels, ax=axes[2], title="causal + padding mask")
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("future keys get zero weight:", bool((w_causal[0, 0][~causal] == 0).all()))
print("padding keys get zero weight:", bool((w_both[0, 0][:, 4:] == 0).all()))
print("rows still sum to 1:", torch.allclose(w_both.sum(-1), torch.ones(1, 1, T)))

# %% [markdown]
# ## Lab 4 — Attention in a trained model
#
# Heatmaps of an untrained model are noise. To *check* what attention learned we need a task whose
# correct pattern we know. **Reversal:** the model reads 8 digits, a separator `|`, and must output them
# backwards. To write the *j*-th output it must look at input position 7 − *j*: the right attention
# pattern is an anti-diagonal. We train a 2-layer, 2-head GPT for a few seconds:

# %%
from course.models import GPT, GPTConfig
from course.text import sequence_task
from course.train import AdamW, fit, warmup_cosine_scheduler

L, V = 8, 10                       # sequence length; digits 1..9, 0 is the separator


def reversal_batch(n: int, seed: int):
    src, tgt = sequence_task("reverse", n, L, vocab=V, seed=seed)
    seq = torch.cat([src, torch.zeros(n, 1, dtype=torch.long), tgt], dim=1)
    x, y = seq[:, :-1], seq[:, 1:].clone()
    y[:, :L] = -100                # only the reversed half is scored
    return x.to(device), y.to(device)


model = GPT(GPTConfig(vocab_size=V, context=2 * L, n_layers=2, n_heads=2, d_model=64)).to(device)
optimizer = AdamW(model.parameters(), lr=5e-3, weight_decay=0.0)
history = fit(model, optimizer, lambda step: reversal_batch(64, 1000 + step), 120,
              scheduler=warmup_cosine_scheduler(optimizer, warmup=20, total=120))

x_test, y_test = reversal_batch(500, seed=7)
with torch.inference_mode():
    accuracy = (model(x_test).logits.argmax(-1)[:, L:] == y_test[:, L:]).float().mean().item()
print(f"final training loss {history.final_loss:.4f} · test accuracy on new sequences {accuracy:.3f}")

# %% [markdown]
# `record_attention` collects the weights of every attention module (it switches them to the manual
# path while recording). We score each head by how much weight the output positions put on the mirrored
# input position — 1.0 would be a perfect anti-diagonal:

# %%
from course.nn import record_attention

with torch.no_grad(), record_attention(model) as recorded:
    model(x_test)
attn = torch.stack([calls[0] for calls in recorded.values()])       # (layers, B, heads, T, T)
queries = torch.arange(L, 2 * L)
mirror_score = attn[:, :, :, queries, 2 * L - 1 - queries].mean(dim=(1, 3))   # (layers, heads)
for layer in range(mirror_score.shape[0]):
    print(f"layer {layer}: " + "  ".join(f"head {h}: {s:.2f}" for h, s in enumerate(mirror_score[layer].tolist())))

# %% [markdown]
# **What a head splits.** The common answer says heads cut the *sequence* into parts. Look at one layer:
# the heads cut the *features* of every query, key and value into slices of d_model/h, and each head's
# weight matrix still spans every position of the sequence (the causal mask hides only the future).

# %%
# NBVAL_CHECK_OUTPUT
mha = model.blocks[0].self_attn
W_q = mha.qkv_proj.weight[:mha.d_model]                       # (d_model, d_model): the query map of all heads
print(f"d_model {mha.d_model} = {mha.n_heads} heads × d_k {mha.head_dim} features")
print("recorded weights (layers, batch, heads, queries, keys):", tuple(attn.shape))
for h in range(mha.n_heads):
    rows = slice(h * mha.head_dim, (h + 1) * mha.head_dim)
    print(f"head {h}: W_q rows {rows.start}–{rows.stop - 1} {tuple(W_q[rows].shape)}, a {mha.head_dim}-dim query from all "
          f"{mha.d_model} input features · weights {tuple(attn[0, 0, h].shape)}: {attn.shape[-2]} queries × all "
          f"{attn.shape[-1]} positions")

# %%
from course.viz import attention_grid

example = x_test[:1]
tokens = [str(t) if t else "|" for t in example[0].tolist()]
with torch.no_grad(), record_attention(model) as one:
    model(example)
fig = attention_grid(one, tokens)
title = fig.suptitle("Every layer and head on one sequence (rows: queries, columns: keys)", fontsize=9, y=1.02)

# %% [markdown]
# The first layer's heads draw the anti-diagonal in the lower-left block: each output position looks at
# the digit it has to copy. (The first rows, the input half, are not scored by the loss, so their pattern
# is whatever is convenient.) Explore the heads yourself — pick a layer, a head and one of five examples:

# %%
from course.viz import AttentionExplorer

with torch.no_grad(), record_attention(model) as five:
    model(x_test[:5])
AttentionExplorer(five, [[str(t) if t else "|" for t in row.tolist()] for row in x_test[:5]],
                  title="reversal GPT")

# %% [markdown]
# The same weights in **bertviz**'s head view (lines from each token to the tokens it attends to; hover
# over a token).
#
# **Before you run the next cell:** bertviz draws with JavaScript that it downloads from the internet
# (d3 and require.js from a CDN). Offline, the cell shows a short note instead of the view; the
# `AttentionExplorer` above shows the same weights and works without a connection.

# %%
from course.viz import head_view

head_view(one, tokens)

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** A numerically stable softmax along any axis. The task, as the checker holds it:

# %%
from course.selftest import exercise

exercise("04.softmax")

# %%
def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    # your code here
    raise NotImplementedError


exercise("04.softmax").check(softmax)

# %% [markdown]
# **Exercise 2.** Lab 3 called the package for masked attention, and Lab 1 showed that a distance bias
# inside the score makes attention order-aware. Write both into one function:

# %%
exercise("04.attention")

# %%
def attention(q, k, v, mask=None, bias=None):
    # your code here
    raise NotImplementedError


exercise("04.attention").check(attention)

# %% [markdown]
# Stuck? `exercise("04.attention").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(4)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 注意力让每个位置按内容从其他位置读取信息。输入向量经三个线性变换得到查询 Q、键 K、值 V；得分为 QKᵀ/√d_k，对键做 softmax 得到权重（每个查询一行、和为 1），输出是 V 的加权平均。除以 √d_k 是因为点积方差随 d_k 增长，不缩放会使 softmax 饱和、梯度消失。语言模型用因果掩码（在 softmax 前把未来位置设为 −∞），批处理时还要屏蔽填充。多头注意力把特征维度切成 h 个子空间并行计算，每个头都看完整序列，而不是把序列切开。基于内容的打分与顺序无关，位置信息要么加在输入上（位置编码），要么直接作用在得分上（RoPE、ALiBi）。计算量随序列长度平方增长。
#
# **English:** Attention lets each position read from others by content. Linear maps turn the inputs into
# queries, keys and values; scores are QKᵀ/√d_k, a softmax over the keys gives each query a distribution of
# weights, and the output is the weighted average of the values. The √d_k keeps score variance at 1 —
# otherwise the softmax saturates and its gradients vanish. Decoders apply a causal mask as −∞ on the
# scores before the softmax; batches also mask padding. Multi-head attention splits the feature dimension
# into h subspaces, each head seeing the whole sequence. Content-based scores are order-blind: positions come
# from encodings added to the inputs or from terms inside the score (RoPE, ALiBi). Its cost grows with the
# square of the sequence length.

# %% [markdown]
# ## Further reading
#
# - Bahdanau, Cho, Bengio — *Neural Machine Translation by Jointly Learning to Align and Translate* (2015).
# - Vaswani et al. — *Attention Is All You Need* (2017), section 3.2 (the √d_k footnote).
# - Vig — *A Multiscale Visualization of Attention in the Transformer Model* (bertviz, 2019).
# - Su et al. — *RoFormer: Enhanced Transformer with Rotary Position Embedding* (2021).
# - Raffel et al. — *Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer* (T5, 2020): a learned relative-position bias on the scores.
# - Haviv, Ram, Press, Izsak, Levy — *Transformer Language Models without Positional Encodings Still Learn Positional Information* (2022).
# - Press, Smith, Lewis — *Train Short, Test Long: Attention with Linear Biases Enables Input Length Extrapolation* (ALiBi, 2022).
