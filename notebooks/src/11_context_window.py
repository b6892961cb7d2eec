# %% [markdown]
# # Chapter 11 · How is the context window of a language model set?
#
# **题目：** 语言模型中的上下文窗口如何设置？ — 请解释语言模型中的上下文窗口，并说明如何设置。
#
# **Question:** What is the context window of a language model, and how is it set?
#
# **Time:** about 25 minutes · **Prerequisites:** [4 · how attention works](04_how_attention_works.ipynb) · **Related:**
# [29 · attention complexity](29_attention_complexity_1.ipynb), [39 · inference cost and the KV cache](39_attention_complexity_3.ipynb)
#
# **Objectives**
# - Define the context window of a Transformer LM precisely, and what fixes its size.
# - Measure, by training, how accuracy on a task that needs a distant token depends on the window.
# - See that stacked layers extend a sliding window's reach.
# - Compare learned, sinusoidal and rotary positions beyond the trained length.

# %% [markdown]
# ## Try first
#
# GPT-3 has a 2,048-token context window. What does that number limit, who chooses it, and can you feed
# the model 4,000 tokens anyway?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “模型在生成或理解一个词时，考虑的上下文范围” | correct, vague | For a Transformer LM: the maximum number of tokens it attends over in one forward pass (GPT-2: 1,024; GPT-3: 2,048). | Lab 1 |
# | “固定窗口大小，如 5 个词或 10 个词” | **outdated** | That is the window of n-gram models or word2vec. LLM windows are thousands of tokens. | — |
# | “可变窗口：生成句子时较大，生成单词时较小” | **wrong** | The window is fixed when the model is trained. Shorter inputs are fine; longer ones exceed the position encoding (a learned table has no row for them) and the training distribution. | Lab 2 |
# | “根据任务需求与数据分布设置” | incomplete | What actually sets it: the dependency lengths the data needs, the O(n²) attention cost in training, the KV-cache memory at inference (chapter 39), and whether the position encoding extrapolates. | Labs 1–2 |
# | (missing) | — | Tokens beyond the window are simply invisible; stacking layers of *sliding-window* attention extends reach to n·(w−1)+1 tokens. | Lab 1 |

# %%
import matplotlib.pyplot as plt
import torch

from course.models import GPT, GPTConfig
from course.runtime import get_device, seed_everything
from course.train import AdamW, fit, warmup_cosine_scheduler

device = get_device()
generator = seed_everything(0)


def train(model, batch_fn, steps, lr=3e-3):
    opt = AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    return fit(model.to(device), opt, batch_fn, steps, scheduler=warmup_cosine_scheduler(opt, warmup=20, total=steps))

# %% [markdown]
# ## Lab 1 — A token outside the window does not exist
#
# Task: 16 random digits; at the last position, output the **first** one — 15 tokens back. We train
# one-layer GPTs whose attention only reaches `window` tokens back (sliding-window attention, as in
# Mistral 7B), then two-layer ones.

# %%
V, T = 8, 16


def recall_first_batch(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, V, (n, T), generator=g)
    y = torch.full((n, T), -100)
    y[:, -1] = x[:, 0]                                            # only the last position is scored
    return x.to(device), y.to(device)


runs = [(1, 8), (1, 16), (2, 8), (2, 12)]

# %%
# NBVAL_CHECK_OUTPUT
# Before training: how far back can each configuration see? The first token is T − 1 = 15 positions back.
for layers, window in runs:
    reach = layers * (window - 1) + 1
    print(f"{layers} layer(s), window {window:2d}: reach {reach:2d} tokens → first token visible: {reach >= T}")

# %%
x_test, y_test = recall_first_batch(1000, seed=99_999)
accuracy = {}
for layers, window in runs:
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=V, context=T, n_layers=layers, n_heads=2, d_model=64, window=window))
    train(model, lambda s: recall_first_batch(64, s), 300 if layers == 1 else 500, lr=6e-3)
    with torch.no_grad():
        accuracy[(layers, window)] = (model(x_test).logits[:, -1].argmax(-1) == y_test[:, -1]).float().mean().item()
    reach = layers * (window - 1) + 1
    print(f"{layers} layer(s), window {window:2d} → reach {reach:2d} tokens: accuracy {accuracy[(layers, window)]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.2))
labels = [f"{l} layer{'s' if l > 1 else ''}\nwindow {w}" for l, w in runs]
colors = ["tab:green" if l * (w - 1) + 1 >= T else "tab:red" for l, w in runs]
ax.bar(labels, [accuracy[r] for r in runs], color=colors)
ax.axhline(1 / (V - 1), color="gray", ls=":", label="chance (1/7)")
ax.set(ylabel="accuracy", ylim=(0, 1.05), title="Recall a token 15 positions back (green: within reach)")
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# With one layer, a window shorter than the distance gives chance accuracy however long we train — the
# token is masked out. Two layers of window 12 reach 2·11+1 = 23 tokens: layer 2 reads positions that layer 1
# already filled with information from further back. Two layers of window 8 reach 15 — one short, chance.
#
# ## Lab 2 — Beyond the trained length: learned, sinusoidal, rotary
#
# Three one-layer models learn "output the token 3 positions back" on sequences of 32 tokens, differing
# only in how they encode positions. Then we test them on 64 and 128 tokens.

# %%
V2, T_TRAIN = 10, 32


def copy_back_batch(n: int, seed: int, t: int = T_TRAIN):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, V2, (n, t), generator=g)
    y = torch.roll(x, 3, dims=1)
    y[:, :3] = -100
    return x.to(device), y.to(device)


lengths = [32, 64, 128]
extrapolation = {}
for positions in ("learned", "sinusoidal", "rope"):
    torch.manual_seed(0)
    context = T_TRAIN if positions == "learned" else 256          # learned tables have exactly T_TRAIN rows
    model = GPT(GPTConfig(vocab_size=V2, context=context, n_layers=1, n_heads=2, d_model=64, positions=positions))
    train(model, lambda s: copy_back_batch(64, s), 300)
    scores = []
    for t in lengths:
        x, y = copy_back_batch(200, seed=7, t=t)
        try:
            with torch.no_grad():
                pred = model(x).logits.argmax(-1)
            scores.append((pred[:, 3:] == y[:, 3:]).float().mean().item())
        except ValueError as err:                                   # the learned table ends at 32
            scores.append(float("nan"))
            if t == 64:
                print(f"learned positions at {t} tokens: {err}")
    extrapolation[positions] = scores
    print(f"{positions:>10}: accuracy at {lengths} tokens = {[round(s, 3) for s in scores]}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.3))
for positions, scores in extrapolation.items():
    label = "learned (no positions beyond 32)" if positions == "learned" else positions
    ax.plot(lengths, scores, marker="o", label=label, markersize=9 if positions == "learned" else 6)
ax.axvline(T_TRAIN, color="gray", ls=":", label="trained length")
ax.set(xscale="log", xlabel="test sequence length", ylabel="accuracy", ylim=(0, 1.05),
       title="Positions beyond the trained length")
ax.set_xticks(lengths, [str(t) for t in lengths])
ax.minorticks_off()
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# Learned positions cannot even be evaluated past their table. Sinusoids are defined everywhere, but the
# model never saw those position vectors and degrades. Rotary embeddings encode *relative* offsets in the
# q·k product, so a rule learned at offset 3 still applies at position 100 — here it holds up best (RoPE
# extrapolation is not unlimited in large models; techniques such as position interpolation extend it).
#
# **How windows are set in practice:** by the training sequence length, chosen against the attention cost
# (chapter 29) and KV-cache memory (chapter 39), then often extended by continued training on longer data.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Build a causal sliding-window mask.

# %%
from course.selftest import exercise


def window_mask(t, window):
    # your code here
    raise NotImplementedError


exercise("11.window_mask").check(window_mask)

# %% [markdown]
# **Exercise 2.** How many tokens back can information travel through `n_layers` of sliding-window attention?

# %%
def effective_context(n_layers, window):
    # your code here
    raise NotImplementedError


exercise("11.effective_context").check(effective_context)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(11)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** Transformer 语言模型的上下文窗口是一次前向计算中最多能关注的 token 数（GPT-2 为 1024，GPT-3 为 2048），
# 窗口外的 token 对模型完全不可见。它在训练时就确定了，不会按“生成句子还是单词”动态变化：输入可以更短，但更长就超出了
# 位置编码（可学习位置表没有对应的行）和训练分布。设置时要权衡：数据中依赖的长度、训练时注意力 O(n²) 的计算和显存、
# 推理时 KV cache 的显存，以及位置编码能否外推（RoPE 等相对位置更好，常再配合插值和长文本继续训练）。滑动窗口注意力
# 每层只看 w 个 token，但 n 层叠加后可传递约 n·(w−1)+1 个 token 的信息。
#
# **English:** A Transformer LM's context window is the maximum number of tokens it attends over in one
# forward pass (GPT-2: 1,024; GPT-3: 2,048); anything outside is invisible. It is fixed at training time,
# not varied per "sentence or word": shorter inputs are fine, longer ones exceed the position encoding (a
# learned table has no rows for them) and the training distribution. It is set by trading off dependency
# lengths in the data, O(n²) attention cost in training, KV-cache memory at inference, and whether positions
# extrapolate (relative schemes like RoPE do better, usually with interpolation and long-context fine-tuning).
# Sliding-window attention sees w tokens per layer, but n layers carry information n·(w−1)+1 tokens.

# %% [markdown]
# ## Further reading
#
# - Radford et al. — *Language Models are Unsupervised Multitask Learners* (GPT-2, 2019).
# - Beltagy, Peters, Cohan — *Longformer: The Long-Document Transformer* (2020).
# - Su et al. — *RoFormer: Enhanced Transformer with Rotary Position Embedding* (2021).
# - Press, Smith, Lewis — *Train Short, Test Long: Attention with Linear Biases* (ALiBi, 2022).
# - Chen et al. — *Extending Context Window of Large Language Models via Positional Interpolation* (2023).
# - Jiang et al. — *Mistral 7B* (2023).
