# %% [markdown]
# # Chapter 43 · How does attention handle long-range dependencies?
#
# **题目：** 语言模型中的注意力机制如何处理长距离依赖问题？ — 请解释语言模型中的注意力机制如何解决长距离依赖问题。
#
# **Question:** How does the attention mechanism in language models solve the long-range dependency problem?
#
# **Time:** about 25 minutes · **Prerequisites:** [7 · gradient clipping](07_gradient_clipping.ipynb), [16 · self-attention](16_self_attention.ipynb)
# · **Related:** [24 · attention improves text processing](24_attention_text_processing.ipynb), [11 · context window](11_context_window.ipynb)
#
# **Objectives**
# - Compare a vanilla RNN, an LSTM and a Transformer **of the same size** as the distance of a dependency grows.
# - Measure the gradient that reaches a distant token: the path-length argument, in numbers.
# - Read how far a trained Transformer's heads actually look, with functions you write.

# %% [markdown]
# ## Try first
#
# Why do RNNs struggle with dependencies across many steps, what do LSTMs change, and what does attention
# change? Which of the three can fail on a long dependency, and why?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “多头注意力…捕捉局部依赖关系” | beside the point | Heads give several patterns per layer; what matters for distance is that any head can attend to *any* position directly. | Lab 3 |
# | “通过位置编码…从而捕捉到长距离依赖关系” | **misattributed** | Positions let a head *address* a distance (“the token 64 back”); they carry no information across it. What makes distance cheap is that the path between any two positions is **one attention step** (an RNN's path grows with the distance). | Lab 2 |
# | “交叉注意力…解码器能够利用编码器的信息” | correct, off topic | True for encoder–decoders; decoder-only LLMs have no cross-attention and handle long range by self-attention alone. | — |
# | “自回归特性…逐步捕捉到长距离依赖关系” | **wrong** | Generating token by token is how any autoregressive model decodes, RNNs included; it does not help with distance. | — |
# | (missing) | — | The limits: a dependency must fit in the context window (chapter 11), the O(n²) cost grows with it (chapter 29), and reaching a position is not using it well (“lost in the middle”). RNNs and LSTMs can also carry a token across 64 steps — the difference is learnability, path length and parallel training, not possibility. | Labs 1–2 |

# %%
import random

import matplotlib.pyplot as plt
import torch

from course.models import GPT, GPTConfig, RNNLanguageModel
from course.runtime import get_device, seed_everything
from course.train import AdamW, fit, warmup_cosine_scheduler

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Accuracy against distance
#
# Task: a sequence of D+1 random digits; at the last position output the **first** one, D steps back.
# Three models of about the same size — a vanilla RNN with 144 units, an LSTM with 64, a 2-layer Transformer
# of width 32 — train on distances 4–64 for the same number of steps.

# %%
V, DISTANCES = 8, [4, 8, 16, 32, 64]


def first_token_batch(n: int, seed: int, distance: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, V, (n, distance + 1), generator=g)
    y = torch.full((n, distance + 1), -100)
    y[:, -1] = x[:, 0]
    return x.to(device), y.to(device)


def make(kind: str):
    torch.manual_seed(0)
    if kind == "Transformer":
        return GPT(GPTConfig(vocab_size=V, context=65, n_layers=2, n_heads=2, d_model=32)).to(device)
    hidden, cell = {"vanilla RNN": (144, "rnn"), "LSTM": (64, "lstm")}[kind]
    return RNNLanguageModel(V, 32, hidden, cell=cell).to(device)


# %%
# NBVAL_CHECK_OUTPUT
from course.models import count_parameters

for kind in ("vanilla RNN", "LSTM", "Transformer"):
    print(f"{kind:>12}: {count_parameters(make(kind)):,} parameters")

# %%
def steps_to_learn(losses, level=0.3, window=20):
    """First step at which the mean loss of the last `window` steps is below `level` (None if never)."""
    return next((i for i in range(window, len(losses) + 1) if sum(losses[i - window:i]) / window < level), None)


models, accuracy, losses = {}, {}, {}
for kind in ("vanilla RNN", "LSTM", "Transformer"):
    model = make(kind)
    rng = random.Random(0)
    opt = AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    history = fit(model, opt, lambda s: first_token_batch(32, s, rng.choice(DISTANCES)), 400,
                  scheduler=warmup_cosine_scheduler(opt, warmup=20, total=400))
    model.eval()
    accuracy[kind] = []
    for distance in DISTANCES:
        x, y = first_token_batch(300, 7, distance)
        with torch.inference_mode():
            accuracy[kind].append((model(x).logits[:, -1].argmax(-1) == y[:, -1]).float().mean().item())
    models[kind], losses[kind] = model, history.loss
    print(f"{kind:>12}: accuracy by distance {dict(zip(DISTANCES, [round(a, 2) for a in accuracy[kind]]))}"
          f" · loss below 0.3 from step {steps_to_learn(history.loss)}")
learned = {kind: steps_to_learn(values) for kind, values in losses.items()}
order = sorted(learned, key=lambda kind: learned[kind] if learned[kind] is not None else float("inf"))
print("in this run, first to learn → last:", " → ".join(f"{kind} ({learned[kind]})" for kind in order))

# %%
from course.viz import smooth

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.4))
for kind in accuracy:
    ax_loss.plot(smooth(losses[kind], 20), label=kind)
    ax_acc.plot(DISTANCES, accuracy[kind], marker="o", label=kind, alpha=0.8)
ax_loss.axhline(0.3, color="gray", ls=":", label="loss 0.3")
ax_loss.set(yscale="log", xlabel="training step", ylabel="training loss (smoothed)", title="Learning to recall")
ax_acc.axhline(1 / (V - 1), color="gray", ls=":", label="chance")
ax_acc.set(xscale="log", xlabel="distance D (tokens)", ylabel="accuracy", ylim=(0, 1.05),
           title="After training: accuracy by distance")
ax_acc.set_xticks(DISTANCES, [str(d) for d in DISTANCES])
ax_acc.minorticks_off()
for ax in (ax_loss, ax_acc):
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# At equal size, the accuracies alone do not separate the architectures on this task: a recurrent network *can*
# carry one token across 64 steps, and the LSTM's gates make that easy. What differs is how quickly each
# learns it: compare the steps at which the losses fall below 0.3. (Try another seed in `make` and see which
# model's result moves most.) Lab 2 measures the reason on untrained models: how much gradient reaches the
# distant token.
#
# ## Lab 2 — How much gradient reaches a distant token
#
# Learning a dependency needs gradient from the loss at the last position back to the first token. In an
# RNN it flows through one Jacobian per step — a product of D matrices; in a Transformer one attention
# step connects any two positions. We measure ‖∂loss/∂(embedding of token 0)‖ at initialization:

# %%
def gradient_at_first_token(model, distance: int) -> float:
    embedding = model.tok_emb if isinstance(model, GPT) else model.embed
    captured = {}
    hook = embedding.register_forward_hook(lambda m, i, out: captured.update(out=out) or out.retain_grad())
    x, y = first_token_batch(64, 3, distance)
    model.zero_grad()
    model(x, y).loss.backward()
    hook.remove()
    return captured["out"].grad[:, 0].norm(dim=-1).mean().item()


distances = [2, 4, 8, 16, 32, 64]
gradients = {kind: [gradient_at_first_token(make(kind).train(), d) for d in distances]
             for kind in ("vanilla RNN", "LSTM", "Transformer")}
for kind, values in gradients.items():
    print(f"{kind:>12}: gradient at distance 64 is {values[-1] / values[0]:.1e} × its value at distance 2")
print(f"(weight spread evenly over the visible tokens would give about 2/64 = {2 / 64:.1e})")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for kind, values in gradients.items():
    ax.plot(distances, values, marker="o", label=kind)
ax.set(xscale="log", yscale="log", xlabel="distance to the first token", ylabel="‖∂loss/∂embedding₀‖",
       title="Gradient reaching a distant token (untrained models)")
ax.set_xticks(distances, [str(d) for d in distances])
ax.minorticks_off()
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# The RNN's gradient shrinks geometrically with distance — by many orders of magnitude (vanishing gradients,
# chapter 20); the LSTM's shrinks more slowly but still geometrically. The Transformer's shrinks too, but
# only by the small factor printed above, of the order of an even spread: an untrained head divides its
# weight over the D visible tokens. It does not vanish, and training can put that weight on the right token
# directly. This is the *path length* argument of Vaswani et al. (2017, table 1): O(n) sequential steps
# between two tokens in an RNN, O(1) in self-attention.
#
# It explains why, in this run (the order printed in Lab 1), the Transformer learned first. It does not rank
# the two recurrent models: in this run the vanilla RNN learned before the LSTM, although less gradient reaches
# its first token at initialization. Training reshapes the Jacobians as it goes, so the gradient at
# initialization is a hint about learnability, not a forecast; one seed does not settle an order either.
#
# ## Lab 3 — How far do the trained heads look?
#
# For the trained Transformer, at the last position of distance-64 sequences, the weight each head puts on
# each earlier position, as a function of how far back it is:

# %%
from course.nn import record_attention

model = models["Transformer"]
x, y = first_token_batch(200, 11, 64)
with torch.no_grad(), record_attention(model) as rec:
    model(x)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
for ax, (name, calls) in zip(axes, rec.items()):
    last_row = calls[0][:, :, -1].mean(0)                       # (heads, keys): average over the batch
    for h in range(last_row.shape[0]):
        ax.plot(range(64, -1, -1), last_row[h].cpu().numpy(), label=f"head {h}")
    ax.set(xlabel="distance back from the last token", title=name.replace(".self_attn", ""))
    ax.legend(fontsize=8)
axes[0].set_ylabel("attention weight")
fig.tight_layout()

# %%
for name, calls in rec.items():
    on_first = calls[0][:, :, -1, 0].mean(0)                    # weight from the last token on token 0
    print(f"{name}: weight from the last position on the token 64 back, per head:",
          [round(v, 2) for v in on_first.tolist()])

# %% [markdown]
# The heads of one layer put most of their weight 64 tokens back — on the first token — in a single step,
# however far away it is. That direct access, not positional encodings or generation order, is how attention
# handles long-range dependencies.
#
# Reaching a position is not the same as using it well. In LLMs with long contexts, Liu et al. (2023,
# *Lost in the Middle*) found question-answering accuracy highest when the relevant passage sits at the start
# or end of the context and lowest when it sits in the middle: one attention step makes every position
# reachable, and training decides which positions get used.
#
# ## Self-test
#
# Two summaries of a head, per sequence: how far back it looks on average, and how spread out it is. You will
# apply both to the trained Transformer right after.
#
# **Exercise 1.** The mean attention distance of each head.

# %%
from course.selftest import exercise

exercise("43.mean_attention_distance")

# %%
def mean_attention_distance(weights):
    # your code here
    raise NotImplementedError


exercise("43.mean_attention_distance").check(mean_attention_distance)

# %% [markdown]
# **Exercise 2.** The entropy of each head's attention.

# %%
exercise("43.attention_entropy")

# %%
def attention_entropy(weights):
    # your code here
    raise NotImplementedError


exercise("43.attention_entropy").check(attention_entropy)

# %% [markdown]
# ## Lab 4 — Your functions on the trained Transformer
#
# Each head's mean distance and entropy, on the distance-64 sequences of Lab 3 (weights averaged over the
# batch), for the trained model and for the same architecture untrained. Your functions are used once they
# pass their checks; until then the course's own stand in, and the cell says so.

# %%
from course.selftest.bank import ch43

ours = {"mean distance": (mean_attention_distance, "43.mean_attention_distance"),
        "entropy (nats)": (attention_entropy, "43.attention_entropy")}
summaries = {}
for label, (fn, key) in ours.items():
    yours = exercise(key).check(fn, seed=0, record=False).passed
    fallback = ch43.mean_attention_distance if key.endswith("distance") else ch43.attention_entropy
    summaries[label] = fn if yours else fallback
    print(f"{label}: {'your function' if yours else 'the course function (yours is not written yet)'}")

untrained = make("Transformer").eval()
for title, net in (("trained", models["Transformer"]), ("untrained", untrained)):
    with torch.inference_mode(), record_attention(net) as rec:
        net(x)
    for name, calls in rec.items():
        weights = calls[0].mean(0)                                  # (heads, T, T)
        row = " · ".join(f"{label} {[round(v, 1) for v in fn(weights).tolist()]}" for label, fn in summaries.items())
        print(f"{title:>9} {name.replace('.self_attn', '')}: {row}")

# %% [markdown]
# Untrained, every head spreads its weight evenly: a mean distance of 16 (query i looks on average i/2 back, and
# i/2 averages to 16 over i = 0 … 64) and a high entropy. After training, the heads of one layer look much
# farther back at far fewer tokens — a large mean distance and a low entropy: they read the first token from
# almost every position, not only from the last one, where the loss asks for it. The other layer stays close
# to the even spread.
# Measures like these (Clark et al., 2019, for BERT) are how one reads what a trained model's heads do.
#
# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(43)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** RNN 中相距 n 的两个词之间，信息和梯度要经过 n 步循环，梯度是 n 个雅可比矩阵的连乘，会随距离指数级衰减（或爆炸），长距离依赖难学；LSTM/GRU 的门控缓解了这一点，但路径长度仍是 O(n)，训练也无法沿时间并行。自注意力让任意两个位置一步直达（路径长度 O(1)）：到达远处 token 的梯度只是缓慢变小（未训练时注意力均匀分散在 D 个位置上），不会指数消失，训练后的头能把权重直接放到很远的 token 上。同等参数量下 RNN/LSTM 也能记住 64 步前的单个 token，差别在于学得多快。位置编码只提供位置信息，“自回归”也不是原因。局限：依赖必须在上下文窗口内；代价随长度平方增长；能看到不等于用得好——长上下文中间的信息常被忽略（lost in the middle；Liu et al., 2023，本章未测量）。
#
# **English:** In an RNN, information and gradients between two tokens n apart pass through n recurrent steps;
# the gradient is a product of n Jacobians and decays exponentially (or explodes), so long dependencies are hard to
# learn. LSTM/GRU gates mitigate this, but the path is still O(n) long and training is sequential in time.
# Self-attention links any two positions in one step (path length O(1)): the gradient reaching a distant token
# shrinks only slowly (an untrained head spreads its weight over the D visible tokens) instead of vanishing,
# and trained heads put weight directly on far-away tokens. At equal size, RNNs and LSTMs can also carry one token
# 64 steps; what differs is how fast each learns it. Positional encodings only say where tokens are; autoregression is not the
# reason. Limits: the context window, quadratic cost, and reach is not use (“lost in the middle”: Liu et al.,
# 2023; not measured here).

# %% [markdown]
# ## Further reading
#
# - Hochreiter, Schmidhuber — *Long Short-Term Memory* (1997).
# - Bengio, Simard, Frasconi — *Learning Long-Term Dependencies with Gradient Descent is Difficult* (1994).
# - Vaswani et al. — *Attention Is All You Need* (2017), table 1 (maximum path lengths).
# - Khandelwal et al. — *Sharp Nearby, Fuzzy Far Away: How Neural Language Models Use Context* (2018).
# - Liu et al. — *Lost in the Middle: How Language Models Use Long Contexts* (2023).
# - Clark, Khandelwal, Levy, Manning — *What Does BERT Look At? An Analysis of BERT's Attention* (2019).
