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
# - See that stacked layers extend a sliding window's reach, to the token.
# - Compare learned, sinusoidal and rotary positions beyond the trained length.
# - Handle an input longer than the window: truncation, chunking, a sliding stride, retrieval.

# %% [markdown]
# ## Try first
#
# GPT-3 has a 2,048-token context window. What does that number limit, who chooses it, and can you feed
# the model 4,000 tokens anyway? (Lab 3 answers the last part.)

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “模型在生成或理解一个词时，考虑的上下文范围” | correct, vague | For a Transformer LM: the maximum number of tokens it attends over in one forward pass (GPT-2: 1,024; GPT-3: 2,048). | Lab 1 |
# | “固定窗口大小，如 5 个词或 10 个词” | **outdated** | That is the window of n-gram models or word2vec. LLM windows are thousands of tokens. | — |
# | “可变窗口：生成句子时较大，生成单词时较小” | **wrong** | The window is fixed when the model is trained. Shorter inputs are fine; longer ones exceed the position encoding (a learned table has no row for them) and the training distribution. | Lab 2 |
# | “根据任务需求与数据分布设置” | incomplete | What actually sets it: the dependency lengths the data needs, the O(n²) attention compute in training, the KV-cache memory at inference ([chapter 39](39_attention_complexity_3.ipynb)), and whether the position encoding extrapolates. | Labs 1–2 |
# | (missing) | — | Tokens beyond the window are simply invisible; with *sliding-window* attention (w tokens, the token itself included) n stacked layers reach n·(w−1) tokens back. | Lab 1 |
# | (missing) | — | Longer inputs must be cut: truncate, chunk, slide with a stride, or retrieve the relevant passages. | Lab 3 |

# %%
import matplotlib.pyplot as plt
import torch

from course.models import GPT, GPTConfig
from course.runtime import get_device, seed_everything
from course.train import AdamW, fit, warmup_cosine_scheduler

device = get_device()
generator = seed_everything(0)


def train(model, batch_fn, steps, lr):
    opt = AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    return fit(model.to(device), opt, batch_fn, steps, scheduler=warmup_cosine_scheduler(opt, warmup=20, total=steps))

# %% [markdown]
# ## Lab 1 — A token outside the window does not exist
#
# Task: 20 random digits; at **every** position, output the **first** digit. At position t the answer
# lies t tokens back, so one trained model gives us accuracy at every distance from 1 to 19. We train two
# GPTs with sliding-window attention (as in Mistral 7B) of `window = 8`: each query sees the last 8
# tokens, **itself included**, so 7 tokens back. One model has one layer, the other two.

# %%
V, T, WINDOW = 8, 20, 8


def recall_first_batch(n: int, seed: int):
    """x: (n, T) digits 1..7; y: (n, T) the first digit at every position (position 0 is not scored)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, V, (n, T), generator=g)
    y = x[:, :1].repeat(1, T)
    y[:, 0] = -100
    return x.to(device), y.to(device)


# %%
# NBVAL_CHECK_OUTPUT
# Before training: how far back can each model see? Layer 2 reads positions that layer 1 already filled.
for layers in (1, 2):
    reach = layers * (WINDOW - 1) + 1
    print(f"{layers} layer(s) of window {WINDOW}: reach {reach} tokens, i.e. up to {reach - 1} tokens back")

# %%
x_test, y_test = recall_first_batch(1000, seed=99_999)
distances = torch.arange(1, T)
accuracy = {}
for layers in (1, 2):
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=V, context=T, n_layers=layers, n_heads=2, d_model=32, window=WINDOW))
    train(model, lambda s: recall_first_batch(32, s), 200, lr=2e-2)
    with torch.inference_mode():
        hits = model(x_test).logits.argmax(-1) == y_test                # (1000, T)
    accuracy[layers] = hits[:, 1:].float().mean(0).cpu()                # accuracy at distance 1 … T−1
    within = distances <= layers * (WINDOW - 1)
    print(f"{layers} layer(s): accuracy {accuracy[layers][within].mean():.2f} within reach, "
          f"{accuracy[layers][~within].mean():.2f} beyond it (chance {1 / (V - 1):.2f})")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.3))
for layers, color in ((1, "tab:red"), (2, "tab:green")):
    ax.plot(distances, accuracy[layers], marker="o", color=color, label=f"{layers} layer{'s' * (layers > 1)}")
    ax.axvline(layers * (WINDOW - 1) + 0.5, color=color, ls="--", lw=1)
ax.axhline(1 / (V - 1), color="gray", ls=":", label="chance (1/7)")
ax.set(xlabel="distance to the first token (tokens back)", ylabel="accuracy", ylim=(0, 1.05),
       title=f"Recall the first token · window {WINDOW} (dashed: predicted reach)")
ax.set_xticks(distances)
ax.legend(fontsize=8, loc="center right")
fig.tight_layout()

# %% [markdown]
# Each curve is a cliff exactly where the arithmetic says. One layer is perfect up to 7 tokens back and at
# chance from 8 on: that token is masked out of every query, and no amount of training brings it back.
# Two layers reach 2·(8−1) = 14 tokens back: layer 2 reads positions whose layer-1 output already holds the
# first token. Beyond 14, chance again.
#
# ## Lab 2 — Beyond the trained length: learned, sinusoidal, rotary
#
# Three one-layer models learn "output the token 3 positions back" on sequences of 32 tokens, differing
# only in how they encode positions. Then we test them on 64 and 128 tokens.

# %%
V2, T_TRAIN = 10, 32


def copy_back_batch(n: int, seed: int, t: int = T_TRAIN):
    """x: (n, t) digits; y: (n, t) the digit 3 positions back (the first 3 positions are not scored)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, V2, (n, t), generator=g)
    y = torch.roll(x, 3, dims=1)
    y[:, :3] = -100
    return x.to(device), y.to(device)


lengths = [32, 64, 128]
extrapolation, copy_models = {}, {}
for positions in ("learned", "sinusoidal", "rope"):
    torch.manual_seed(0)
    context = T_TRAIN if positions == "learned" else 256          # learned tables have exactly T_TRAIN rows
    model = GPT(GPTConfig(vocab_size=V2, context=context, n_layers=1, n_heads=2, d_model=32, positions=positions))
    train(model, lambda s: copy_back_batch(32, s), 150, lr=1e-2)
    copy_models[positions] = model.eval()
    scores = []
    for t in lengths:
        x, y = copy_back_batch(200, seed=7, t=t)
        try:
            with torch.inference_mode():
                pred = model(x).logits.argmax(-1)
            scores.append((pred[:, 3:] == y[:, 3:]).float().mean().item())
        except ValueError as err:                                   # the learned table ends at 32
            scores.append(float("nan"))
            if t == 64:
                print(f"learned positions at {t} tokens: {err}")
    extrapolation[positions] = scores
    print(f"{positions:>10}: accuracy at {lengths} tokens = {[round(s, 2) for s in scores]}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.3))
for positions, scores in extrapolation.items():
    label = "learned (no positions beyond 32)" if positions == "learned" else positions
    ax.plot(lengths, scores, marker="o", label=label, markersize=9 if positions == "learned" else 6)
ax.axvline(T_TRAIN, color="gray", ls=":", label="trained length")
ax.axhline(1 / V2, color="gray", ls="--", lw=1, label="chance (1/10)")
ax.set(xscale="log", xlabel="test sequence length", ylabel="accuracy", ylim=(0, 1.05),
       title="Positions beyond the trained length")
ax.set_xticks(lengths, [str(t) for t in lengths])
ax.minorticks_off()
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
fig.tight_layout()

# %% [markdown]
# Learned positions cannot even be evaluated past their table. Sinusoids are defined everywhere, but the
# model never saw those position vectors and degrades. Rotary embeddings encode *relative* offsets in the
# q·k product, so a rule learned at offset 3 still applies at position 100 — in this run it holds up best,
# though not perfectly (compare the accuracies printed at 128 tokens). RoPE extrapolation
# is not unlimited in large models either; position interpolation (Chen et al., 2023) and continued training
# on longer data extend it.
#
# ## Lab 3 — An input longer than the window
#
# A document of 128 tokens and a model whose window is 32 (the learned-positions model of Lab 2). The
# model cannot read it at once; three common ways around, measured on the same copy task:
#
# - **truncate**: keep the last 32 tokens (what many chat front-ends do with old turns) — the rest is lost;
# - **chunk**: cut into 4 pieces of 32 and run each — every chunk starts without its context;
# - **slide with a stride**: windows of 32 that advance by 16; score only each window's last 16 tokens,
#   so every prediction has at least 16 tokens of context — at the price of running the overlap twice.

# %%
learned = copy_models["learned"]
doc_x, doc_y = copy_back_batch(200, seed=11, t=128)                       # (200, 128)


def predict_windows(starts, keep_from):
    """Run the model on doc_x[:, s : s+32] for each start s; keep predictions from offset keep_from(s)."""
    pred = torch.full_like(doc_y, -1)
    for s in starts:
        with torch.inference_mode():
            out = learned(doc_x[:, s:s + T_TRAIN]).logits.argmax(-1)
        k = keep_from(s)
        pred[:, s + k:s + T_TRAIN] = out[:, k:]
    return pred, len(starts) * T_TRAIN


strategies = {
    "truncate to the last 32": predict_windows([128 - T_TRAIN], lambda s: 0),
    "4 chunks of 32": predict_windows(range(0, 128, T_TRAIN), lambda s: 0),
    "slide 32, stride 16": predict_windows(range(0, 128 - T_TRAIN + 1, 16), lambda s: 0 if s == 0 else 16),
}
scored = doc_y != -100                                                    # positions 3 … 127
for name, (pred, cost) in strategies.items():
    covered = (pred != -1) & scored
    right = ((pred == doc_y) & scored).float().sum() / scored.sum()
    print(f"{name:<24}: predicts {covered[0].sum().item():3d} of {scored[0].sum().item()} positions · "
          f"{cost:3d} tokens run · accuracy on the whole document {right:.2f}")
slide_cost, chunk_cost = strategies["slide 32, stride 16"][1], strategies["4 chunks of 32"][1]
print(f"sliding runs {slide_cost} tokens where chunking runs {chunk_cost}: {slide_cost / chunk_cost:.2f}× the compute "
      f"(each window advances 16 but runs 32, so the ratio nears 2× on long documents)")

# %% [markdown]
# Truncation is cheap and fine when only recent text matters, but it answers nothing about the first 96
# tokens. Chunking covers everything, yet each chunk's first tokens lose the context they needed (3 of 32
# here; in real text, a pronoun whose referent is in the previous chunk). The sliding window gives every
# token context at the price of recomputing the overlap — 1.75× the tokens of chunking here (224 against
# 128), approaching 2× on long documents — and is the standard way to evaluate perplexity on long
# text. When the needed fact is far away, none of these help: **retrieval** (find the relevant passages and
# put only those in the window) or a model trained with a longer window is the answer.
#
# **How windows are set in practice:** by the training sequence length, chosen against the attention cost
# ([chapter 29](29_attention_complexity_1.ipynb)) and KV-cache memory ([chapter 39](39_attention_complexity_3.ipynb)), then often extended by continued training on longer data.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** The lab asked `GPTConfig(window=8)` for sliding-window attention; the package built the
# mask. Build it yourself.

# %%
from course.selftest import exercise

exercise("11.window_mask")

# %%
def window_mask(t, window):
    # your code here
    raise NotImplementedError


exercise("11.window_mask").check(window_mask)

# %% [markdown]
# **Exercise 2.** Lab 1 used the same window in every layer. Models such as Gemma 2 mix layer types
# (local windows and full attention): which is the earliest token the last position can hear from?

# %%
exercise("11.earliest_visible")

# %%
def earliest_visible(t, windows):
    # your code here
    raise NotImplementedError


exercise("11.earliest_visible").check(earliest_visible)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(11)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** Transformer 语言模型的上下文窗口是一次前向计算中最多能关注的 token 数（GPT-2 为 1024，GPT-3 为 2048），窗口外的 token 对模型完全不可见。它在训练时就确定了，不会按“生成句子还是单词”动态变化：输入可以更短，但更长就超出了位置编码（可学习位置表没有对应的行）和训练分布。设置时要权衡：数据中依赖的长度、训练时注意力 O(n²) 的计算（朴素实现的显存也是 O(n²)，FlashAttention 可降到 O(n)）、推理时 KV cache 的显存，以及位置编码能否外推（RoPE 等相对位置更好，常再配合插值和长文本继续训练）。滑动窗口注意力每层只看 w 个 token（含自身），n 层叠加后可向前传递 n·(w−1) 个 token 的信息。超出窗口的输入要截断、分块、带步长滑动（每个位置都有足够上文，计算量约为分块的 1.75–2 倍），或用检索只放入相关段落。
#
# **English:** A Transformer LM's context window is the maximum number of tokens it attends over in one
# forward pass (GPT-2: 1,024; GPT-3: 2,048); anything outside is invisible. It is fixed at training time,
# not varied per "sentence or word": shorter inputs are fine, longer ones exceed the position encoding (a
# learned table has no rows for them) and the training distribution. It is set by trading off dependency
# lengths in the data, O(n²) attention compute in training, KV-cache memory at inference, and whether positions
# extrapolate (relative schemes like RoPE do better, usually with interpolation and long-context fine-tuning).
# Sliding-window attention sees w tokens per layer (itself included), so n layers reach n·(w−1) tokens back.
# Longer inputs are truncated, chunked, slid over with a stride (context for every token, about 1.75–2× the compute of chunking),
# or reduced by retrieval to the passages that matter.

# %% [markdown]
# ## Further reading
#
# - Radford et al. — *Language Models are Unsupervised Multitask Learners* (GPT-2, 2019).
# - Beltagy, Peters, Cohan — *Longformer: The Long-Document Transformer* (2020).
# - Su et al. — *RoFormer: Enhanced Transformer with Rotary Position Embedding* (2021).
# - Press, Smith, Lewis — *Train Short, Test Long: Attention with Linear Biases* (ALiBi, 2022).
# - Chen et al. — *Extending Context Window of Large Language Models via Positional Interpolation* (2023).
# - Jiang et al. — *Mistral 7B* (2023).
# - Gemma Team — *Gemma 2: Improving Open Language Models at a Practical Size* (local and global layers, 2024).
