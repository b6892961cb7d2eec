# %% [markdown]
# # Chapter 38 · What does batch normalization do in language models? (3)
#
# **题目：** 语言模型中的批归一化（Batch Normalization）方法的作用是什么？ — 请解释语言模型中的批归一化方法的作用。
#
# **Question:** What does batch normalization do in language models? Explain its role.
#
# **Time:** about 25 minutes · **Prerequisites:** [28 · batch normalization (1)](28_batch_norm_1.ipynb),
# [21 · how optimizers improve training](21_optimizers_training_effect.ipynb) · **Related:**
# [33 · batch normalization (2)](33_batch_norm_2.ipynb), [20 · clipping vs vanishing and exploding gradients](20_clipping_vanishing_exploding.ipynb)
#
# **Objectives**
# - Write RMSNorm's formula, match the package's RMSNorm to `nn.RMSNorm`, and measure what it saves over
#   LayerNorm.
# - Measure the gradient norm of every layer at initialization in a pre-LN and a post-LN Transformer.
# - Train both arrangements at depth, with and without learning-rate warmup, and read where the norm's
#   *position* matters.

# %% [markdown]
# ## Try first
#
# GPT-2 moved LayerNorm from after each residual addition to before each sublayer, and LLaMA replaced
# LayerNorm by RMSNorm. What problem did each change address?

# %% [markdown]
# ## What the common answer gets wrong
#
# Chapters [28](28_batch_norm_1.ipynb) and [33](33_batch_norm_2.ipynb) showed that LMs do not use BatchNorm.
# This chapter asks what the answer's benefits — faster, more stable training of deep networks — really
# depend on in a Transformer.
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “批归一化是语言模型中常用的技术” | **wrong** | LMs use per-token norms: LayerNorm (GPT-2/3, BERT) or RMSNorm (T5, LLaMA) — RMSNorm drops the mean and β, so it does less arithmetic; whether that is faster depends on the kernel (Lab 1). | Lab 1 |
# | “加速训练：…减少了梯度消失和梯度爆炸的问题” | **incomplete** | For Transformers what shapes the gradients is *where* the norm sits. Post-LN, `LN(x + f(x))`, at Xavier initialization gives gradients that grow towards the output layers; pre-LN, `x + f(LN(x))`, keeps an un-normalized residual path (Xiong et al., 2020). | Lab 2 |
# | “提高性能：尤其是在深度神经网络中，可以显著提高模型的训练效果” | **incomplete** | Post-LN Transformers were trained with a learning-rate warmup, and Xiong et al. (2020) showed that pre-LN can drop it; whether warmup matters at a given depth and rate is measured, not assumed. | Lab 3 |

# %%
import json
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import course
from course.models import GPT, GPTConfig
from course.nn import LayerNorm, RMSNorm
from course.pretrained import corpus_lines, load_tiny_gpt
from course.runtime import get_device, seed_everything
from course.text import lm_batch

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — RMSNorm: LayerNorm without the mean
#
# LayerNorm computes `(x − mean) / std · γ + β` for each token. RMSNorm (Zhang & Sennrich, 2019) drops the
# centring and the bias: `x / RMS(x) · γ`, with `RMS(x) = sqrt(mean(x²) + eps)`. For a vector whose mean is
# already 0, RMS and standard deviation coincide, so the two agree:

# %%
# NBVAL_CHECK_OUTPUT
x = torch.randn(4, 10, 256, generator=generator) * 2 + 0.5
ours, theirs = RMSNorm(256), nn.RMSNorm(256, eps=1e-6)
with torch.no_grad():
    ours.weight.uniform_(0.5, 1.5)
    theirs.weight.copy_(ours.weight)
print("course RMSNorm = nn.RMSNorm:", torch.allclose(ours(x), theirs(x), atol=1e-5))
centred = x - x.mean(-1, keepdim=True)
print("on zero-mean vectors RMSNorm = LayerNorm (γ = 1, β = 0):",
      torch.allclose(RMSNorm(256, eps=1e-5)(centred), LayerNorm(256)(centred), atol=1e-5))
print("parameters per norm of width 256 — LayerNorm:", sum(p.numel() for p in LayerNorm(256).parameters()),
      "· RMSNorm:", sum(p.numel() for p in RMSNorm(256).parameters()))

# %% [markdown]
# What does dropping the mean save? Forward and backward through each norm on a `(32, 128, 512)`
# activation, median of 15 runs (the written-out course versions, and PyTorch's fused `F.layer_norm` /
# `F.rms_norm`). Timings vary with the machine; the ratio is what to read.

# %%
def time_norm(fn, x, repeats=15):
    """Median seconds of forward + backward of fn(x)."""
    x = x.detach().requires_grad_(True)
    times = []
    for _ in range(repeats + 2):
        start = time.perf_counter()
        fn(x).sum().backward()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times[2:])[repeats // 2]


big = torch.randn(32, 128, 512, device=device)
gain, shift = torch.ones(512, device=device), torch.zeros(512, device=device)
timings = {"LayerNorm (course)": time_norm(LayerNorm(512).to(device), big),
           "RMSNorm (course)": time_norm(RMSNorm(512).to(device), big),
           "F.layer_norm (fused)": time_norm(lambda h: F.layer_norm(h, (512,), gain, shift), big),
           "F.rms_norm (fused)": time_norm(lambda h: F.rms_norm(h, (512,), gain), big)}
for name, seconds in timings.items():
    print(f"{name:>22}: {1e3 * seconds:6.2f} ms")
print(f"RMSNorm / LayerNorm time — course: {timings['RMSNorm (course)'] / timings['LayerNorm (course)']:.2f}, "
      f"fused: {timings['F.rms_norm (fused)'] / timings['F.layer_norm (fused)']:.2f}")

# %% [markdown]
# Written out, RMSNorm does less work — one reduction fewer per token, no β to add and to update — and in
# this run it was the faster of the two. The fused library functions tell a different story on a CPU:
# `F.layer_norm` has a dedicated kernel, while `F.rms_norm` may be composed of several elementary
# operations, and in this run it was the *slower* one (the fused ratio above). RMSNorm's saving is real
# only with a kernel as good as LayerNorm's. Zhang & Sennrich (2019), with such kernels, measured 7 %–64 %
# faster running times across their models at matching quality — one reason T5 and LLaMA use it. In a
# whole model the norms are a small share of the work, so the end-to-end saving is smaller than the ratio
# of the norms.

# %% [markdown]
# ## Lab 2 — Pre-LN and post-LN: gradients at initialization
#
# The 2017 Transformer put the norm **after** each residual addition (post-LN): `x ← LN(x + f(x))`. GPT-2
# moved it **before** the sublayer (pre-LN): `x ← x + f(LN(x))`, with one final norm after the last block.
# The course GPT takes `norm_first=False` for post-LN. Xiong et al. (2020) showed that with Xavier
# initialization, post-LN's gradients at the output layers are large at the start of training, while
# pre-LN's are well behaved. We measure the gradient norm of every block's first feed-forward weight,
# for 12-layer models at initialization, on one batch:

# %%
_, tok = load_tiny_gpt(device)
ids = torch.tensor([i for line in corpus_lines(2000, seed=5) for i in tok.encode(line) + [tok.eos_id]])


def xavier(model):
    """Xavier-uniform weights for every linear layer, Xiong et al.'s setting (the course GPT starts from
    GPT-2's small normal init instead)."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
    return model


def layer_grad_norms(post_ln: bool, init: str, n_layers: int = 12):
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, context=32, n_layers=n_layers, n_heads=4, d_model=64,
                          norm_first=not post_ln))
    model = (xavier(model) if init == "xavier" else model).to(device)
    x, y = lm_batch(ids, 16, 32, torch.Generator().manual_seed(0), device)
    model(x, y).loss.backward()
    return [block.ffn.up.weight.grad.norm().item() for block in model.blocks]


grads = {(post, init): layer_grad_norms(post, init) for post in (False, True) for init in ("xavier", "gpt2")}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for ax, init, title in ((axes[0], "xavier", "Xavier init (Xiong et al.)"), (axes[1], "gpt2", "course GPT init (GPT-2 style)")):
    for post, marker in ((False, "o"), (True, "s")):
        ax.plot(range(1, 13), grads[post, init], marker=marker, label="post-LN" if post else "pre-LN")
    ax.set(yscale="log", xlabel="layer (1 = nearest the input)", ylabel="‖∂loss/∂W_ffn‖", title=title)
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.StrMethodFormatter("{x:.2g}"))
    ax.yaxis.set_minor_formatter(plt.matplotlib.ticker.StrMethodFormatter("{x:.2g}") if init == "xavier"
                                 else plt.matplotlib.ticker.NullFormatter())   # 2 decades: minor labels overlap
    ax.legend()
    ax.grid(alpha=0.3)
fig.tight_layout()
for (post, init), g in grads.items():
    print(f"{'post-LN' if post else 'pre-LN':>7}, {init:>6} init: last layer / first layer = {g[-1] / g[0]:.2f}")
for init in ("xavier", "gpt2"):
    print(f"{init:>6} init: mean gradient norm, post-LN / pre-LN = "
          f"{sum(grads[True, init]) / sum(grads[False, init]):.3f}")

# %%
# NBVAL_CHECK_OUTPUT
ratio = {key: g[-1] / g[0] for key, g in grads.items()}
print("Xavier init — post-LN's gradients grow towards the output:", ratio[True, "xavier"] > 1,
      "· pre-LN's shrink:", ratio[False, "xavier"] < 1)

# %% [markdown]
# With Xavier initialization the two profiles point opposite ways: post-LN's gradients grow towards the
# output layers — Xiong et al.'s finding, and their explanation for why post-LN needs a small learning
# rate at the start — while pre-LN's shrink towards the output (Xiong et al.'s theory calls pre-LN's
# "well-behaved"; NormFormer, Shleifer et al. 2021, reports this same early-layers-larger mismatch in
# pre-LN models). With the course's GPT-2 initialization (std 0.02, residual projections scaled by
# 1/√(2L)) the sublayers start close to zero; both profiles are nearly flat and post-LN's gradients are a
# small fraction of pre-LN's (the mean ratio printed above): the initialization matters as much as the
# arrangement.

# %% [markdown]
# ## Lab 3 — Warmup at depth
#
# Pre-LN and post-LN GPTs of 8 layers (Xavier init), trained with Adam for 120 steps at three peak
# learning rates, with a constant rate or with a linear warmup over the first 40 steps. The 12 runs take
# too long for this notebook, so `tools/sweeps/ch38_warmup.py` ran them (seeded) and stored every loss curve in
# `data/ch38_warmup.json`:

# %%
sweep = json.loads((course.DATA_DIR / "ch38_warmup.json").read_text())
runs = sweep["runs"]


def final(run):
    """Mean training loss of the last 20 steps (inf if the run diverged)."""
    losses = run["loss"]
    return float("inf") if losses[-1] is None else sum(losses[-20:]) / 20


lrs = sorted({r["lr"] for r in runs})
p = torch.bincount(ids, minlength=tok.vocab_size).float() / len(ids)
unigram = -(p[p > 0] * p[p > 0].log()).sum().item()   # the loss of knowing only the token frequencies
fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.6))
for run in runs:
    if run["lr"] == 0.003:
        label = f"{'post' if run['post_ln'] else 'pre'}-LN, {'warmup ' + str(run['warmup']) if run['warmup'] else 'no warmup'}"
        axes[0].plot([v if v is not None else float("nan") for v in run["loss"]], label=label,
                     ls="-" if run["warmup"] else "--", color="tab:red" if run["post_ln"] else "tab:blue")
for post in (False, True):
    for warmup in (0, sweep["warmup"]):
        row = [final(r) for lr in lrs for r in runs if (r["lr"], r["post_ln"], r["warmup"]) == (lr, post, warmup)]
        axes[1].plot(lrs, row, marker="s" if post else "o", ls="-" if warmup else "--",
                     color="tab:red" if post else "tab:blue",
                     label=f"{'post' if post else 'pre'}-LN, {'warmup' if warmup else 'no warmup'}")
axes[0].axhline(unigram, color="gray", ls=":", lw=1)
axes[0].text(119, unigram - 0.25, "unigram entropy", fontsize=8, color="gray", ha="right")
axes[0].set(xlabel="step", ylabel="training loss", title="Loss curves at peak lr 0.003")
axes[1].set(xscale="log", xlabel="peak learning rate", ylabel="mean loss, last 20 steps", title="Final loss")
axes[1].set_xticks(lrs, [f"{lr:g}" for lr in lrs])
axes[1].minorticks_off()
for ax in axes:
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
fig.tight_layout()
print(f"{'':>22}" + "".join(f"{lr:>10g}" for lr in lrs))
for post in (False, True):
    for warmup in (0, sweep["warmup"]):
        row = [final(r) for lr in lrs for r in runs if (r["lr"], r["post_ln"], r["warmup"]) == (lr, post, warmup)]
        print(f"{('post' if post else 'pre') + '-LN, ' + ('warmup' if warmup else 'no warmup'):>22}"
              + "".join(f"{v:>10.3f}" for v in row))

# %% [markdown]
# The gray line is the loss of a model that has learned only how frequent each token is: the entropy of
# the token frequencies of the training text. Read from the stored file:

# %%
# NBVAL_CHECK_OUTPUT
table = {(r["post_ln"], r["lr"], r["warmup"]): final(r) for r in runs}
print(f"unigram entropy: {unigram:.2f} nats/token")
print("pre-LN learns beyond it at every rate without warmup:", all(table[False, lr, 0] < unigram - 1 for lr in lrs))
print("post-LN at lr 0.003: stuck near it without warmup:", abs(table[True, 0.003, 0] - unigram) < 0.2,
      "· learns with warmup:", table[True, 0.003, sweep["warmup"]] < unigram - 1)
print("post-LN at lr 0.01 stuck even with warmup:", abs(table[True, 0.01, sweep["warmup"]] - unigram) < 0.2)

# %% [markdown]
# In this sweep pre-LN trains at every rate, with or without warmup. Post-LN is the fragile arrangement:
# at 0.003 without warmup it stalls at the unigram entropy — it predicts token frequencies and nothing
# more — while the same run with 40 warmup steps learns as well as any run of the grid; at 0.01 it stalls
# even with that warmup; at 0.001 it needs none. That is Xiong et al.'s result in miniature: post-LN's large
# output-side gradients at initialization (Lab 2) call for a small rate at the start, which warmup
# provides; pre-LN's do not, so it tolerates higher rates and can drop warmup. Dropping it is not free,
# though: at 0.01 warmup still lowered pre-LN's final loss, and at 0.001 it raised it (fewer steps at the
# full rate) — see the table. GPT-3 and LLaMA, both pre-LN, still use a short warmup.
#
# One point re-run live — post-LN, no warmup, 0.003, the first 60 steps — to show that the stored file is
# what this code produces:

# %%
def train_curve(post_ln, lr, warmup, steps):
    torch.manual_seed(0)
    model = xavier(GPT(GPTConfig(vocab_size=tok.vocab_size, context=32, n_layers=8, n_heads=4, d_model=64,
                                 norm_first=not post_ln))).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    batches, losses = torch.Generator().manual_seed(1), []
    for step in range(steps):
        for group in optimizer.param_groups:                      # linear warmup, then constant
            group["lr"] = lr * min(1.0, (step + 1) / warmup) if warmup else lr
        x, y = lm_batch(ids, 16, 32, batches, device)
        loss = model(x, y).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


live = train_curve(True, 0.003, 0, 60)
stored = next(r for r in runs if (r["post_ln"], r["lr"], r["warmup"]) == (True, 0.003, 0))["loss"][:60]
gap = max(abs(a - b) for a, b in zip(live, stored) if b is not None)
print(f"first 60 steps, live vs stored: largest difference {gap:.4f} (loss at step 60: live {live[-1]:.3f}, stored {stored[-1]:.3f})")

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** RMSNorm, which Lab 1 called from the package.

# %%
from course.selftest import exercise

exercise("38.rms_norm")

# %%
def rms_norm(x, weight, eps=1e-6):
    # your code here
    raise NotImplementedError


exercise("38.rms_norm").check(rms_norm)

# %% [markdown]
# **Exercise 2.** One residual sublayer, pre-LN or post-LN.

# %%
exercise("38.residual_sublayer")

# %%
def residual_sublayer(x, weight, bias, gamma, beta, pre_ln, eps=1e-5):
    # your code here
    raise NotImplementedError


exercise("38.residual_sublayer").check(residual_sublayer)

# %% [markdown]
# Stuck? `exercise("38.residual_sublayer").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(38)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 语言模型不用 BatchNorm，而用逐 token 的 LayerNorm 或 RMSNorm。RMSNorm 去掉了减均值和偏置 β，只除以均方根再乘 γ：少一次归约、参数减半，对零均值向量与 LayerNorm 完全相同。计算量更少，但是否真的更快取决于算子实现：本实验里手写版 RMSNorm 比手写 LayerNorm 快，而 PyTorch 在 CPU 上的 F.rms_norm 反而比融合的 F.layer_norm 慢；论文在有高效实现时测得提速 7%–64% 且效果相当（Zhang & Sennrich 2019），所以 T5、LLaMA 采用它。对深层 Transformer 更关键的是归一化的位置：Post-LN（原始 Transformer、BERT）是
# LN(x + f(x))，Pre-LN（GPT-2 之后）是 x + f(LN(x))，残差通路不被归一化。Xavier 初始化下，Post-LN 的梯度越靠近输出层越大（Xiong et al. 2020 的结论，也是它需要 warmup 的原因）；本实验中 Pre-LN 的梯度则是越靠近输出层越小。本实验中 8 层模型、学习率 0.003：Post-LN 不加 warmup 停在一元词频熵附近学不动，加 40 步 warmup 就能正常训练；Pre-LN 在各学习率下不加 warmup 也能训练。所以“BN 加速训练、减少梯度问题”答非所问：真正起作用的是逐 token 归一化和它所在的位置。
#
# **English:** LMs do not use BatchNorm; they use per-token LayerNorm or RMSNorm. RMSNorm drops the mean
# subtraction and β — `x / RMS(x) · γ` — one reduction fewer and half the parameters, identical to LayerNorm
# on zero-mean vectors. Less arithmetic is faster only with a good kernel: written out here RMSNorm was
# faster, PyTorch's CPU `F.rms_norm` slower than the fused `F.layer_norm`; with efficient kernels Zhang &
# Sennrich (2019) report 7–64 % speed-ups at equal quality, hence T5 and LLaMA. For deep
# Transformers the position matters more: post-LN `LN(x + f(x))` (original Transformer, BERT) versus pre-LN
# `x + f(LN(x))` (GPT-2 on), whose residual path is never normalized. With Xavier init, post-LN's gradients
# grow towards the output layers (Xiong et al., 2020: why it needs warmup), while here pre-LN's shrink
# towards the output. In this chapter's
# 8-layer runs at lr 0.003, post-LN without warmup stalls at the unigram entropy and learns with 40 warmup
# steps; pre-LN trains without warmup at every rate tried. What stabilizes LM training is per-token
# normalization and where it sits, not BatchNorm.

# %% [markdown]
# ## Further reading
#
# - Ba, Kiros, Hinton — *Layer Normalization* (2016).
# - Zhang, Sennrich — *Root Mean Square Layer Normalization* (2019).
# - Xiong et al. — *On Layer Normalization in the Transformer Architecture* (2020): pre-LN vs post-LN,
#   gradients at initialization, training without warmup.
# - Vaswani et al. — *Attention Is All You Need* (2017): post-LN and the warmup schedule.
# - Radford et al. — *Language Models are Unsupervised Multitask Learners* (GPT-2, 2019): pre-LN and a final norm.
# - Shleifer, Weston, Ott — *NormFormer: Improved Transformer Pretraining with Extra Normalization* (2021):
#   pre-LN's gradients larger at early layers than at late ones.
# - Touvron et al. — *LLaMA: Open and Efficient Foundation Language Models* (2023): pre-normalization with RMSNorm.
