# %% [markdown]
# # Chapter 36 · How do you design an optimizer suited to language models? (2)
#
# **题目：** 如何设计适合语言模型的优化算法？ — 请说明如何设计适合语言模型的优化算法。
#
# **Question:** How do you design an optimization algorithm suited to language models?
#
# **Time:** about 25 minutes · **Prerequisites:** [8 · optimizers](08_optimizers.ipynb),
# [26 · designing an LM optimizer (1)](26_designing_optimizers_1.ipynb) · **Related:**
# [7 · gradient clipping](07_gradient_clipping.ipynb)
#
# This is the second chapter on the same question. Chapter 26 tunes the optimizer and spreads the batch
# over processes; this one asks what the optimizer **costs in memory** — the constraint that decides how a
# large model is trained at all.
#
# **Objectives**
# - Count the bytes a training step holds — weights, gradients, Adam's two moments, an fp32 master copy,
#   activations — and check the count against the bytes real tensors hold.
# - Measure why mixed precision keeps an fp32 master copy of the weights.
# - Apply the calculator to 7B and 70B models and see what each ZeRO stage saves per GPU.

# %% [markdown]
# ## Try first
#
# A 7-billion-parameter model is trained with AdamW in bf16 mixed precision. How many GB do the weights,
# gradients and optimizer states take on one GPU, and what changes with 64 GPUs?

# %% [markdown]
# ## What the common answer gets wrong
#
# The seed gives the same answer as for question 26; this chapter audits it for what it leaves out: memory.
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “可以使用自适应学习率优化算法（如 Adam），以提高收敛速度” | **incomplete** | Adam's per-parameter step size is not free: it keeps two fp32 moment tensors, 8 bytes per parameter — more than the bf16 weights and gradients together. For a 7B model that is 56 GB of optimizer state. | Labs 1, 4 |
# | “可以使用并行计算和分布式训练技术，提高计算效率” | **incomplete** | Plain data parallelism *replicates* weights, gradients and optimizer states on every GPU: it adds throughput, never memory. What makes a 70B model fit is sharding those states (ZeRO / FSDP). | Lab 4 |
# | “通过梯度裁剪和权重衰减等方法，保持梯度在合理范围内” | **wrong** | Weight decay shrinks the *weights*, not the gradients; only clipping bounds the gradient (chapter 7). Neither prevents vanishing gradients. | chapter 7, chapter 26 |
# | “使用通用的优化框架（如 TensorFlow、PyTorch），以支持各种优化算法” | **wrong** | A framework is not a property of an algorithm. What adapts an optimizer to LMs is measured: its hyperparameters (chapter 26), and its memory (this chapter). | Labs 1–4 |
# | (missing) | — | Mixed precision does not halve training memory: the bf16 weights need an fp32 master copy, because bf16 cannot represent a small update to a weight. | Lab 2 |
# | (missing) | — | Activations grow linearly with the batch and with the sequence length (quadratically when the attention matrices are stored) and are not sharded by ZeRO stages 1–3; past a small batch they dominate, and are cut by recomputation (activation checkpointing). | Labs 3–4 |

# %%
import copy

import matplotlib.pyplot as plt
import torch

import course
from course.models import GPT, GPTConfig, count_parameters
from course.runtime import saved_for_backward_bytes, seed_everything
from course.train import held_bytes, megatron_activation_bytes, training_memory

seed_everything(0)
PARTS = ["weights", "gradients", "master_weights", "optimizer_states", "activations"]

# %% [markdown]
# ## Lab 1 — Count the bytes, then read them from the tensors
#
# `training_memory` is the calculator: bytes per parameter for each part of the model state, times the
# number of parameters. `held_bytes` is the meter: it adds up the storages of the model's parameters,
# their `.grad`, and every tensor in `optimizer.state`. Both on the course GPT at its "baby" shape,
# trained in float32 with PyTorch's own AdamW:

# %%
course.show(training_memory)

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
model = GPT(GPTConfig.preset("baby", vocab_size=500))
n = count_parameters(model)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
x = torch.randint(0, 500, (8, 64), generator=torch.Generator().manual_seed(0))

print(f"{n:,} parameters in {len(list(model.parameters()))} tensors")
print("before the first step, held:", held_bytes(model, optimizer))
model(x, targets=x).loss.backward()
optimizer.step()
measured = held_bytes(model, optimizer)
predicted = training_memory(n, precision="fp32", optimizer="adam")
print(f"\n{'':>17} {'predicted':>10} {'measured':>10}")
for part in PARTS[:4]:
    print(f"{part:>17} {getattr(predicted, part):>10,.0f} {getattr(measured, part):>10,.0f}")

# %% [markdown]
# Before the first step the optimizer holds nothing: PyTorch creates Adam's moments lazily, at the first
# `step()`, and the gradients at the first `backward()` — so an out-of-memory error often comes at step 1,
# not at model creation. After it, the count is exact for weights and gradients, and for the optimizer
# state up to one small tensor per parameter tensor: AdamW's `step` counter.

# %%
# NBVAL_CHECK_OUTPUT
n_tensors = len(optimizer.state)
extra = measured.optimizer_states - predicted.optimizer_states
print(f"optimizer state beyond 8 bytes/parameter: {extra:.0f} bytes = {n_tensors} step counters × "
      f"{extra / n_tensors:.0f} bytes")
print("float32 AdamW holds 16 bytes per parameter:", round((measured.total - extra) / n) == 16)

# %% [markdown]
# ## Lab 2 — Mixed precision: why an fp32 master copy
#
# In bf16 mixed precision the forward and backward passes run on 16-bit weights, which halves their bytes
# and speeds up matrix multiplies on GPUs. But bf16 keeps only 8 significant bits: near 1.0 the next
# representable number is 1 + 2⁻⁷ ≈ 1.0078. An Adam update moves each weight by about `lr`. Take the
# course's pretrained tiny GPT (trained weights, `load_tiny_gpt()`), compute one real AdamW update at three
# learning rates, and apply it to the weights held in bf16: how many updates are lost entirely, and how
# far is the applied update from the intended one?

# %%
# NBVAL_CHECK_OUTPUT
print("in bf16, 1 + 0.001 == 1:", (torch.tensor(1.0, dtype=torch.bfloat16) + 0.001).item() == 1.0)

# %%
from course.pretrained import load_tiny_gpt

gpt, tok = load_tiny_gpt()
xt = torch.randint(0, tok.vocab_size, (8, 64), generator=torch.Generator().manual_seed(0))
gpt(xt, targets=xt).loss.backward()
trained = [p.detach().clone() for p in gpt.parameters()]
lost = {}
for lr in (1e-3, 1e-4, 1e-5):
    torch.optim.AdamW(gpt.parameters(), lr=lr, weight_decay=0.0).step()
    update = [p.detach() - w for p, w in zip(gpt.parameters(), trained)]
    applied = [(w.bfloat16() + u.bfloat16()).float() - w.bfloat16().float() for w, u in zip(trained, update)]
    lost[lr] = sum(int(((a == 0) & (u != 0)).sum()) for a, u in zip(applied, update)) / sum(
        u.numel() for u in update)
    error = (torch.cat([(a - u).flatten() for a, u in zip(applied, update)]).norm()
             / torch.cat([u.flatten() for u in update]).norm())
    print(f"lr {lr:.0e}: updates rounded away in bf16 {lost[lr]:6.1%} · error of the applied update "
          f"{error:.0%}")
    with torch.no_grad():                                        # back to the trained weights
        for p, w in zip(gpt.parameters(), trained):
            p.copy_(w)

# %% [markdown]
# The smaller the learning rate, the more of the update bf16 rounds away — and late in a cosine schedule
# the learning rate is small: training would stall just when it should be converging. So mixed precision
# keeps an fp32 **master copy** of the weights; the optimizer updates it, and the bf16 weights are re-cast from it after
# each step (Micikevicius et al., 2018). A mixed-precision AdamW step, written out, and measured:

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
master_model = GPT(GPTConfig.preset("baby", vocab_size=500))
low = copy.deepcopy(master_model).bfloat16()                    # the 16-bit weights forward/backward use
master = [p for p in master_model.parameters()]                 # fp32 master copy: what AdamW updates
mixed_opt = torch.optim.AdamW(master, lr=1e-4)

low(x, targets=x).loss.backward()                               # bf16 gradients on the bf16 weights
for m, p in zip(master, low.parameters()):
    m.grad = p.grad.float()                                     # the fp32 gradient is transient
mixed_opt.step()
for m, p in zip(master, low.parameters()):
    m.grad = None
    p.data.copy_(m.detach())                                    # re-cast: bf16 weights from the master

got = held_bytes(low, mixed_opt)
want = training_memory(n, precision="mixed", optimizer="adam")
print(f"{'':>17} {'predicted':>10} {'measured':>10}")
for part in PARTS[:4]:
    print(f"{part:>17} {getattr(want, part):>10,.0f} {getattr(got, part):>10,.0f}")
print("mixed precision AdamW, bytes per parameter:", round((got.total - 4 * len(master)) / n))

# %% [markdown]
# Still 16 bytes per parameter — the same as float32: mixed precision does not save model-state memory.
# (This count assumes 16-bit gradients. Megatron-LM accumulates gradients in an fp32 `main_grad`, which
# makes 18 bytes per parameter.) PyTorch's `torch.autocast` takes another route to the same 16 bytes: it
# keeps fp32 weights and casts them to bf16 inside each operation, so weights, gradients and moments all
# stay fp32: 4 + 4 + 8. What it does save is activation memory — measured on the batch of Lab 1:

# %%
_, fp32_act = saved_for_backward_bytes(lambda: model(x, targets=x).loss)
with torch.autocast("cpu", dtype=torch.bfloat16):
    _, bf16_act = saved_for_backward_bytes(lambda: model(x, targets=x).loss)
print(f"activations saved for backward, batch 8 × 64 tokens: fp32 {fp32_act / 1e6:.2f} MB, "
      f"under bf16 autocast {bf16_act / 1e6:.2f} MB ({bf16_act / fp32_act:.2f}×)")

# %% [markdown]
# ## Lab 3 — Activations grow with the batch
#
# The model states above do not depend on the batch. What backward needs from the forward pass does:
# `saved_for_backward_bytes` counts the storages autograd keeps. Measured at five batch sizes:

# %%
batches = [2, 4, 8, 16]
act = []
for b in batches:
    xb = torch.randint(0, 500, (b, 64), generator=torch.Generator().manual_seed(b))
    act.append(saved_for_backward_bytes(lambda: model(xb, targets=xb).loss)[1])
states = training_memory(n, precision="fp32").total
for b, a in zip(batches, act):
    print(f"batch {b:>2} × 64 tokens: activations {a / 1e6:6.1f} MB — {a / states:4.2f}× the model states")
per_sequence = (act[-1] - act[0]) / (batches[-1] - batches[0])
print(f"each extra sequence adds {per_sequence / 1e6:.2f} MB")

fig, ax = plt.subplots(figsize=(5.5, 3.3))
ax.plot(batches, [a / 1e6 for a in act], marker="o", label="activations (measured)")
ax.axhline(states / 1e6, color="gray", ls="--", label="weights + gradients + Adam (fp32)")
ax.set(xlabel="batch size (sequences of 64 tokens)", ylabel="MB", title="What a training step holds")
ax.set_ylim(bottom=0)
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
steps = [b2 - b1 for b1, b2 in zip(act, act[1:])]
print("activation bytes grow linearly with the batch (within 2 %):",
      all(abs(s / (b2 - b1) - per_sequence) / per_sequence < 0.02
          for s, b1, b2 in zip(steps, batches, batches[1:])))

# %% [markdown]
# For real models the same count is done by formula: per Transformer layer, `s·b·h·(34 + 5·a·s/h)` bytes
# in 16-bit training (sequence s, batch b, width h, heads a; Korthikanti et al., 2022, eq. 1), and
# `2·s·b·h` with full recomputation, which keeps only each layer's input and runs its forward again during
# backward (about one extra forward pass of compute). The `5·a·s/h` term is the attention matrices, which
# grow with s²; the rest grows with s. The formula counts 16-bit activations and dropout masks; our model
# is fp32 (twice the bytes) and has no dropout, so the masks' share (a few bytes per element) is missing
# from it, while the embeddings and the loss add a little. Against the measured cost of one sequence:

# %%
# NBVAL_CHECK_OUTPUT
cfg = model.config
formula = 2 * megatron_activation_bytes(64, 1, cfg.d_model, cfg.n_heads, cfg.n_layers)   # × 2: fp32
print(f"one sequence of 64 tokens: formula × 2 (fp32) {formula / 1e6:.2f} MB, measured {per_sequence / 1e6:.2f} MB")

# %% [markdown]
# ## Lab 4 — 7B and 70B, with ZeRO stages 1–3
#
# Data parallelism gives every GPU the whole model state. ZeRO (Rajbhandari et al., 2020) removes the
# redundancy: stage 1 shards the optimizer states (moments and master copy) over the N GPUs, stage 2 the
# gradients too, stage 3 the weights too (gathered layer by layer when needed). First a check against the
# paper's own Figure 1 (7.5B parameters, 64 GPUs, mixed-precision Adam):

# %%
# NBVAL_CHECK_OUTPUT
paper = [training_memory(7_500_000_000, zero_stage=s, n_gpus=64).total / 1e9 for s in range(4)]
print("ZeRO paper, Figure 1, GB per GPU:  120, 31.4, 16.6, 1.9")
print("this calculator:                 ", ", ".join(f"{g:.3g}" for g in paper))

# %% [markdown]
# Now LLaMA-2-shaped models (Touvron et al., 2023: 7B with 32 layers of width 4,096 and 32 heads; 70B with
# 80 layers of width 8,192 and 64 heads; nominal sizes — Llama-2-7B has 6.74B parameters), one sequence of
# 4,096 tokens per GPU. First the activations, which decide whether recomputation is needed at all:

# %%
# NBVAL_CHECK_OUTPUT
shapes = {"7B": (7e9, 32, 4096, 32), "70B": (70e9, 80, 8192, 64)}
for name, (p, layers, width, heads) in shapes.items():
    stored = megatron_activation_bytes(4096, 1, width, heads, layers)
    no_scores = 4096 * 1 * width * 34 * layers               # the same without the attention matrices
    full = megatron_activation_bytes(4096, 1, width, heads, layers, recompute=True)
    print(f"{name:>3} at 4,096 tokens, activations: all stored {stored / 1e9:6.1f} GB · attention scores "
          f"not stored {no_scores / 1e9:5.1f} GB · full recomputation {full / 1e9:4.1f} GB")

# %% [markdown]
# Stored in full, the activations alone exceed an 80 GB GPU even for 7B. The table below therefore assumes
# full recomputation, on one 8-GPU node and on 64 GPUs:

# %%
# NBVAL_CHECK_OUTPUT
table = {}
print(f"{'model':>5} {'GPUs':>4} {'stage':>5}  {'weights':>8} {'grads':>7} {'master':>7} {'Adam':>7} "
      f"{'activ.':>7} {'total GB':>9}  fits 80 GB")
for name, (p, layers, width, heads) in shapes.items():
    activations = megatron_activation_bytes(4096, 1, width, heads, layers, recompute=True)
    for gpus in (8, 64):
        for stage in range(4):
            mem = training_memory(int(p), zero_stage=stage, n_gpus=gpus, activation_bytes=activations)
            table[name, gpus, stage] = mem
            g = mem.gb()
            print(f"{name:>5} {gpus:>4} {stage:>5}  {g['weights']:>8.1f} {g['gradients']:>7.1f} "
                  f"{g['master_weights']:>7.1f} {g['optimizer_states']:>7.1f} {g['activations']:>7.1f} "
                  f"{g['total']:>9.1f}  {'yes' if g['total'] <= 80 else 'no'}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]
for ax, name in zip(axes, shapes):
    bottom = [0.0] * 4
    for part, color in zip(PARTS, colors):
        values = [getattr(table[name, 64, s], part) / 1e9 for s in range(4)]
        ax.bar(range(4), values, bottom=bottom, color=color, label=part.replace("_", " "))
        bottom = [b + v for b, v in zip(bottom, values)]
    for s, total in enumerate(bottom):
        ax.text(s, total, f"{total:.0f} GB", ha="center", va="bottom", fontsize=8)
    ax.axhline(80, color="black", ls="--", lw=1)
    ax.text(-0.45, 80, "one 80 GB GPU", va="bottom", ha="left", fontsize=8,
            bbox=dict(facecolor="white", alpha=0.8, lw=0, pad=1))
    ax.set(xticks=range(4), xticklabels=["plain DP", "ZeRO-1", "ZeRO-2", "ZeRO-3"], ylim=(0, max(bottom) * 1.12),
           ylabel="GB per GPU", title=f"{name} model on 64 GPUs: memory per GPU")
    ax.grid(alpha=0.3, axis="y")
axes[0].legend(fontsize=8, loc="upper right")
fig.tight_layout()

# %% [markdown]
# Read the table: with plain data parallelism a 7B model needs 112 GB of model states on *every* GPU —
# it does not fit one 80 GB GPU however many GPUs there are. With full recomputation, ZeRO-1 alone brings
# it under 80 GB on 8 GPUs, because the optimizer states (moments and master copy) are three quarters of the
# total. A 70B model fits on 64 GPUs only at stage 3 (or with PyTorch FSDP's fully sharded mode, the same
# sharding). ZeRO's price is communication. Per GPU and step, in units of Ψ parameters (ZeRO paper, section 7):

# %%
# NBVAL_CHECK_OUTPUT
volume = {0: {"all-reduce of the gradients (= reduce-scatter + all-gather)": 2},
          1: {"reduce-scatter of the gradients": 1, "all-gather of the updated weights": 1},
          2: {"reduce-scatter of the gradients": 1, "all-gather of the updated weights": 1},
          3: {"all-gather of the weights for forward": 1, "… again for backward": 1,
              "reduce-scatter of the gradients": 1}}
for stage, parts in volume.items():
    print(f"stage {stage}: {sum(parts.values())}Ψ ({sum(parts.values()) / 2:.1f}× plain DP) — " + "; ".join(parts))

# %% [markdown]
# Stages 1–2 cost no more communication than plain data parallelism; stage 3 costs 1.5× — the weights are
# gathered twice, once for the forward and once for the backward pass.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** The calculator answered "how much memory does this model need?". Turn it around: how
# large a model fits?

# %%
from course.selftest import exercise

exercise("36.max_params")

# %%
def max_params(gpu_bytes, n_gpus, stage, k=12):
    # your code here
    raise NotImplementedError


exercise("36.max_params").check(max_params)

# %% [markdown]
# **Exercise 2.** Lab 2 let PyTorch's AdamW update the master copy. Write the mixed-precision step
# yourself, for plain SGD and with a loss scale (as float16 training uses, chapter 7).

# %%
exercise("36.master_step")

# %%
def master_step(master, grad, lr, loss_scale=1.0):
    # your code here
    raise NotImplementedError


exercise("36.master_step").check(master_step)

# %% [markdown]
# Stuck? `exercise("36.master_step").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(36)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 设计大模型优化器时，除了学习率等超参数，显存往往是决定性约束。混合精度 AdamW 每个参数要 16 字节：bf16 权重 2、bf16 梯度 2、fp32 主权重 4、Adam 一阶和二阶矩各 4。主权重不可省：bf16 只有 8 位有效二进制位（约 2–3 位十进制有效数字），lr 远小于权重的 bf16 间隔时更新被舍入掉（本实验 lr = 1e-5 时 90%）。7B 模型仅模型状态就要 112 GB，单卡放不下；普通数据并行每卡复制全部状态，不省显存。ZeRO 把状态切分到
# N 张卡：ZeRO-1 切优化器状态，ZeRO-2 再切梯度，ZeRO-3（PyTorch FSDP 的完全分片模式）再切权重；代价是通信，ZeRO-3 为数据并行的 1.5 倍（3Ψ 对 2Ψ）。激活随 batch 线性增长，随序列长度线性增长（保存注意力矩阵时为平方增长），用激活重计算来削减。也可用 8-bit 优化器或 Adafactor 缩小优化器状态。
#
# **English:** Beyond hyperparameters, memory decides how an LM optimizer is run. Mixed-precision AdamW
# holds 16 bytes per parameter: bf16 weights 2, bf16 gradients 2, an fp32 master copy 4, and Adam's two
# moments 4 each. The master copy is needed because at small learning rates bf16 rounds most updates away
# (90 % at lr 1e-5 in Lab 2). A 7B model's states alone take 112 GB, too much for one GPU; plain data
# parallelism replicates them on every GPU and saves nothing. ZeRO shards them over N GPUs — stage 1 the
# optimizer states, stage 2 the gradients too, stage 3 (PyTorch FSDP's fully sharded mode) the weights
# too — at a communication cost of 1.5× data parallelism for stage 3 (3Ψ vs 2Ψ). Activations grow linearly
# with batch and sequence length (quadratically in length if attention matrices are stored) and are cut by
# recomputation; 8-bit optimizers or Adafactor shrink the optimizer state itself.

# %% [markdown]
# ## Further reading
#
# - Rajbhandari, Rasley, Ruwase, He — *ZeRO: Memory Optimizations Toward Training Trillion Parameter Models* (2020).
# - Micikevicius et al. — *Mixed Precision Training* (2018): fp32 master weights and loss scaling.
# - Korthikanti et al. — *Reducing Activation Recomputation in Large Transformer Models* (2022), section 4.
# - Chen, Xu, Zhang, Guestrin — *Training Deep Nets with Sublinear Memory Cost* (2016): recomputation.
# - Zhao et al. — *PyTorch FSDP: Experiences on Scaling Fully Sharded Data Parallel* (2023).
# - Dettmers, Lewis, Shleifer, Zettlemoyer — *8-bit Optimizers via Block-wise Quantization* (2022);
#   Shazeer, Stern — *Adafactor: Adaptive Learning Rates with Sublinear Memory Cost* (2018).
# - Touvron et al. — *Llama 2: Open Foundation and Fine-Tuned Chat Models* (2023): the model shapes used here.
