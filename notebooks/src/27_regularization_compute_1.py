# %% [markdown]
# # Chapter 27 · How do regularization methods balance performance and compute? (1)
#
# **题目：** 语言模型中的正则化方法如何平衡模型性能和计算成本？ — 请解释语言模型中的正则化方法如何平衡模型性能和计算成本。
#
# **Question:** How do regularization methods in language models balance model performance against
# computational cost?
#
# **Time:** about 25 minutes · **Prerequisites:** [5 · regularization methods](05_regularization_methods.ipynb),
# [22 · regularization vs overfitting](22_regularization_overfitting.ipynb) · **Related:**
# [32 · parameter sharing and factorization](32_regularization_compute_2.ipynb),
# [37 · early stopping and the data regime](37_regularization_compute_3.ipynb)
#
# **Objectives**
# - Measure what dropout, weight decay and label smoothing cost per training step: parameters, FLOPs,
#   memory kept for backward, and time.
# - Weigh that cost against what each buys, on the course's shared overfitting setting.
# - See dropout's train/inference mismatch, and why inverted dropout makes inference free.

# %% [markdown]
# ## Try first
#
# Pick dropout, weight decay and label smoothing. For each, say whether it changes the number of
# parameters, the FLOPs of a step, the memory of a step, and the cost of inference.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “L1、L2 正则化…惩罚模型参数的大小…防止过拟合” | correct | A penalty on weight size is a regularizer; in LLM training it is applied as *decoupled* weight decay (AdamW), not as a term in the loss. | Lab 2 |
# | “通过正则化，可以简化模型结构，减少参数数量，降低计算复杂度” | **wrong** | Dropout, weight decay and label smoothing leave the parameter count and the matmul FLOPs exactly as they were; dropout even *adds* time and memory per step. What cuts parameters is a change of architecture (sharing, factorization: chapter 32) or pruning (chapter 45). | Lab 1 |
# | “通过在训练过程中引入噪声（如 Dropout），可以增强模型的鲁棒性” | incomplete | Dropout's noise exists only in training, so the model trains and predicts in two different modes. PyTorch's *inverted* dropout rescales during training so that inference is the identity and costs nothing. | Lab 3 |
# | “通过调整超参数，可以在保持模型性能的同时，降低计算成本” | **wrong** | Turning the strength of a regularizer up or down does not change a step's cost. The regularizer that *saves* compute is early stopping: fewer steps (chapter 37). | Labs 1–2 |
# | “自适应权重衰减…平衡模型性能和计算成本” | vague | No standard method of that name trades performance for compute. Weight decay costs one multiply per parameter per step, whatever its schedule. | Lab 1 |
# | (missing) | — | Large LLMs often pretrain with **no** dropout at all — PaLM (Chowdhery et al., 2022, section 5) used 0 in pretraining and 0.1 in fine-tuning: with one pass over huge data there is little to overfit, and dropout would only cost. | cited; chapter 37 measures the data regime |

# %%
import statistics

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from course.models import count_parameters
from course.runtime import Timer, eval_mode, saved_for_backward_bytes, seed_everything
from course.train import AdamW
from course.train.overfitting import overfit_setting

seed_everything(0)
setting = overfit_setting(60)            # the shared setting of chapters 5, 22, 27, 32 and 37
batch = setting.batches()(0)
print(f"{len(setting.train_tokens):,} training tokens · a {setting.config.n_layers}-layer GPT, "
      f"d_model {setting.config.d_model}, batches of {tuple(batch[0].shape)}")

# %% [markdown]
# ## Lab 1 — What a regularizer costs: parameters, FLOPs, memory
#
# Four variants of the same model and the same step. Each regularizer sits in a different place:
# dropout in the **model** (`dropout=0.2` on embeddings, attention weights, residual branches and the
# FFN), weight decay in the **optimizer** (AdamW, λ = 0.5), label smoothing in the **loss** (ε = 0.1).

# %%
VARIANTS = {                     # name: (model overrides, weight decay, label smoothing)
    "plain": ({}, 0.0, 0.0),
    "dropout 0.2": ({"dropout": 0.2}, 0.0, 0.0),
    "weight decay 0.5": ({}, 0.5, 0.0),
    "label smoothing 0.1": ({}, 0.0, 0.1),
}


def make_loss(smoothing):
    def loss_fn(model, batch):
        x, y = batch
        logits = model(x).logits
        return F.cross_entropy(logits.flatten(0, 1), y.flatten(), label_smoothing=smoothing)
    return loss_fn


def make_run(name):
    overrides, decay, smoothing = VARIANTS[name]
    model = setting.model(**overrides)   # same seed: the same initial weights for every variant
    return model, AdamW(model.parameters(), lr=3e-3, weight_decay=decay), make_loss(smoothing)


costs = {}
for name in VARIANTS:
    model, optimizer, loss_fn = make_run(name)
    with FlopCounterMode(display=False) as counter:
        loss_fn(model, batch).backward()
    by_op = {str(op).replace("aten.", ""): n for op, n in counter.get_flop_counts()["Global"].items()}
    _, saved = saved_for_backward_bytes(lambda: loss_fn(model, batch))
    costs[name] = {"params": count_parameters(model), "flops": by_op, "saved": saved}

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'variant':<20} {'parameters':>10} {'linear FLOPs':>13} {'attention bmm FLOPs':>20} {'saved for backward':>19}")
for name, c in costs.items():
    linear = c["flops"].get("addmm", 0) + c["flops"].get("mm", 0)
    print(f"{name:<20} {c['params']:>10,} {linear:>13,} {c['flops'].get('bmm', 0):>20,} {c['saved'] / 1e6:>16.2f} MB")
print("same parameter count in all four:", len({c["params"] for c in costs.values()}) == 1)
print(f"dropout keeps {costs['dropout 0.2']['saved'] / costs['plain']['saved'] - 1:.0%} more for backward")
for name in ("weight decay 0.5", "label smoothing 0.1"):
    print(f"{name} keeps {costs[name]['saved'] - costs['plain']['saved']:,} bytes more")


# %% [markdown]
# The parameter counts are identical: none of the three regularizers adds or removes a weight. The
# linear layers' FLOPs are identical too. One column differs and needs care: with dropout,
# `FlopCounterMode` shows *attention* FLOPs (`bmm`) that the plain model seems not to have. The plain model
# does the same products, inside PyTorch's fused CPU attention kernel, which the counter does not see; a
# kernel that also drops attention weights does not exist on this path, so PyTorch falls back to explicit
# matmuls, which it counts. Those FLOPs are exactly the attention's QKᵀ and weights·V, forward and
# backward — a formula we can check:

# %%
# NBVAL_CHECK_OUTPUT
cfg = setting.config
B, T = batch[0].shape
attention_flops = 3 * cfg.n_layers * 2 * (2 * B * T * T * cfg.d_model)   # (fwd + 2·fwd for bwd) × (QKᵀ + A·V)
print("bmm FLOPs with dropout = 3 × layers × 2 products × 2·B·T²·d:",
      costs["dropout 0.2"]["flops"]["bmm"] == attention_flops)

# %% [markdown]
# Dropout adds no multiply-adds; it adds **mask work and mask memory**: a random draw per element at
# every dropout site, and a mask per site that autograd keeps for backward (on this fallback path the
# attention probabilities are kept too). Weight decay keeps nothing extra, label smoothing a few bytes.

# %% [markdown]
# ## Lab 2 — What each one costs in time, and what it buys
#
# Cost only matters next to benefit. The shared setting overfits fast: 60 training lines, validation loss
# at its lowest early, then climbing. The four variants start from the same initial weights, read the same
# batches, and train **side by side**: at every step each one takes its turn, so all four see the same load
# on this machine, and each training step is timed. Every few steps all four are scored on the same
# validation batches with the **plain** cross-entropy, dropout off — label smoothing changes the training
# loss, not the yardstick. Only the time ratios matter, not the milliseconds.

# %%
STEPS, EVAL_EVERY = 60, 15
runs = {name: make_run(name) for name in VARIANTS}
get_batch = {name: setting.batches() for name in VARIANTS}     # the same windows, in the same order
train_loss = {name: [] for name in VARIANTS}
val_loss = {name: [] for name in VARIANTS}
times = {name: [] for name in VARIANTS}


def validation_loss(model):
    """Mean plain cross-entropy over the setting's validation batches, in eval mode."""
    with eval_mode(model), torch.no_grad():
        return statistics.mean(model(*b).loss.item() for b in setting.val_batches)


for step in range(STEPS):
    for name, (model, optimizer, loss_fn) in runs.items():     # round-robin: one step each, in turn
        b = get_batch[name](step)
        with Timer() as t:
            loss = loss_fn(model, b)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        times[name].append(t.seconds)
        train_loss[name].append(loss.item())
        if (step + 1) % EVAL_EVERY == 0:
            val_loss[name].append(validation_loss(model))
eval_steps = list(range(EVAL_EVERY, STEPS + 1, EVAL_EVERY))
step_ms = {name: 1e3 * statistics.median(ts) for name, ts in times.items()}
dropout_model = runs["dropout 0.2"][0]          # Lab 3 looks at this one

print(f"{STEPS} steps per variant, validation every {EVAL_EVERY}; median of {STEPS} timed steps each")
print(f"{'variant':<20} {'ms per step':>11} {'× plain':>8} {'best val loss':>14} {'at step':>8} "
      f"{'val loss at ' + str(STEPS):>15} {'train loss, last 10':>20}")
for name, curve in val_loss.items():
    best = min(range(len(curve)), key=curve.__getitem__)
    print(f"{name:<20} {step_ms[name]:>11.1f} {step_ms[name] / step_ms['plain']:>8.2f} {curve[best]:>14.3f} "
          f"{eval_steps[best]:>8} {curve[-1]:>15.3f} {statistics.mean(train_loss[name][-10:]):>20.3f}")

colors = ["#888888", "#d62728", "#1f77b4", "#2ca02c"]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), gridspec_kw={"width_ratios": [1, 1, 0.9]})
for name, color in zip(VARIANTS, colors):
    axes[0].plot(range(1, STEPS + 1), train_loss[name], color=color, lw=1, label=name)
    axes[1].plot(eval_steps, val_loss[name], color=color, lw=2, marker="o", label=name)
axes[0].set(xlabel="step", ylabel="training loss (each variant's own)", title="Training loss")
axes[1].set(xlabel="step", ylabel="validation cross-entropy", title="Validation loss (same yardstick)")
axes[1].legend(fontsize=8)
axes[2].barh(list(VARIANTS), [step_ms[n] for n in VARIANTS], color=colors)
axes[2].invert_yaxis()
axes[2].set(xlabel="median ms per training step (this machine)", title="Time per step")
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Read the table against Lab 1: the same parameters and the same matmul FLOPs, but not the same time.
# Dropout is the one with a visible price per step (its ratio printed): mask draws at every site. Weight
# decay is one multiply per parameter inside the optimizer step and label smoothing one mean over
# log-probabilities that cross-entropy computes anyway; in this run both time like the plain model.
#
# What they buy, in this run: weight decay and label smoothing end below the plain model's validation
# cross-entropy, and label smoothing also reaches the lowest point of the four — trained on a softened
# target, it is still scored on the plain one. Its *training* loss is the highest of the four (last
# column), since its smoothed target is not one-hot and cannot be matched exactly. Dropout slows
# memorisation: its training loss stays above the plain model's, and after the lowest point, reached at
# the same evaluation as the plain model's, its validation curve climbs far less. In this short run that
# buys nothing on validation: dropout's curve lies above the plain one at every evaluation, so its best is
# above the plain model's best, and it ends slightly above it too. Stopping the plain model at its best would have
# beaten dropout at no cost per step: the one "regularizer" that saves compute is stopping early, the
# subject of chapter 37.
#
# With one pass over a very large corpus there is little to memorise, which is why large LLMs often
# pretrain without dropout (PaLM) and keep only weight decay, which is nearly free.

# %% [markdown]
# ## Lab 3 — Dropout's train/inference mismatch
#
# In training mode the model's output is random: every forward pass draws new masks. In eval mode dropout
# is the identity. Inverted dropout divides the kept units by 1 − p during training so that the
# *expected* activation equals the eval-mode one — checked here on a large tensor:

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
ones = torch.ones(1_000_000)
dropped = F.dropout(ones, p=0.2, training=True)
print(f"fraction zeroed {(dropped == 0).float().mean():.3f}, kept values {dropped[dropped > 0].unique().tolist()}, "
      f"mean {dropped.mean():.2f}")

# %% [markdown]
# The expectation matches, but a network is not linear: the mean over masks of a network's output is not
# the output with the mean mask. The dropout model of Lab 2, exactly as it stopped there, scored on the
# validation batches both ways:

# %%
val = setting.val_batches
with torch.inference_mode():
    with eval_mode(dropout_model):
        eval_loss = statistics.mean(dropout_model(*b).loss.item() for b in val)
        eval_first = dropout_model(*val[0]).loss.item()
        eval_twice = [dropout_model(*val[0]).logits for _ in range(2)]
    dropout_model.train()
    train_mode_losses = [statistics.mean(dropout_model(*b).loss.item() for b in val) for _ in range(3)]
    train_twice = [dropout_model(*val[0]).logits for _ in range(2)]
    with Timer() as t_one:
        dropout_model(*val[0])
    with Timer() as t_many:
        mc_probs = torch.stack([dropout_model(*val[0]).logits.softmax(-1) for _ in range(8)]).mean(0)
    mc_loss = F.nll_loss(mc_probs.log().flatten(0, 1), val[0][1].flatten()).item()

print(f"validation loss, eval mode (dropout off): {eval_loss:.3f}  (Lab 2's last value: {val_loss['dropout 0.2'][-1]:.3f})")
print("validation loss, train mode, 3 passes:   ", [round(v, 3) for v in train_mode_losses])
print(f"first validation batch: eval mode {eval_first:.3f}; average of 8 train-mode passes (MC dropout) "
      f"{mc_loss:.3f}, for {t_many.seconds / t_one.seconds:.1f} × the time of one pass")

# %%
# NBVAL_CHECK_OUTPUT
print("eval mode is deterministic:", torch.equal(*eval_twice))
print("train mode gives a different output each pass:", not torch.equal(*train_twice))
print("the two modes give different validation losses:", all(abs(eval_loss - v) > 1e-3 for v in train_mode_losses))

# %% [markdown]
# The model the learner deploys is not the model that was trained: the same weights behave differently in
# the two modes. In this run each train-mode pass happens to score slightly *below* eval mode on the
# validation set, but no two passes agree: forgetting `model.eval()` at inference is a bug — every
# prediction is random. Averaging many train-mode passes (Monte Carlo dropout, Gal & Ghahramani, 2016) is
# different: it turns the noise into a deliberate ensemble, which on the first batch scores below eval
# mode here, at the price of one full forward pass per sample (the time ratio printed above). The original
# dropout paper scaled by 1 − p *at inference* instead; the inverted form used by PyTorch moves that
# multiply into training so inference pays nothing.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Dropout in both modes, with the random draw given so that the answer can be checked.

# %%
from course.selftest import exercise

exercise("27.inverted_dropout")

# %%
def inverted_dropout(x, keep, p, training):
    # your code here
    raise NotImplementedError


exercise("27.inverted_dropout").check(inverted_dropout)

# %% [markdown]
# **Exercise 2.** The label-smoothed loss that Lab 1 asked of `F.cross_entropy`, on a padded batch.

# %%
exercise("27.smoothed_loss")

# %%
def smoothed_token_loss(logits, targets, eps, ignore_index=-100):
    # your code here
    raise NotImplementedError


exercise("27.smoothed_loss").check(smoothed_token_loss)

# %% [markdown]
# Stuck? `exercise("27.smoothed_loss").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(27)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 常见的正则化（Dropout、权重衰减、标签平滑）**不会**减少参数量，也不会减少矩阵乘法的 FLOPs：它们改变的是学到什么，而不是模型多大。代价要分开看：Dropout 每步要生成随机掩码并为反向传播保存掩码，训练时每步更慢、占用更多激活内存；推理时用 `model.eval()` 关闭。PyTorch 用的是倒置 Dropout（inverted dropout），训练时把保留的值除以 1−p，因此推理时没有额外开销；忘记调用 eval() 则每次预测都带随机性，两次调用结果不同。AdamW 的解耦权重衰减每个参数每步只多一次乘法，标签平滑只多一次对 log 概率的平均，几乎免费。真正节省计算的是早停（更少步数）以及改变结构（参数共享、低秩分解、剪枝、量化）。大模型预训练数据量大、只过一遍，常常不用 Dropout（如 PaLM），只保留权重衰减。
#
# **English:** Dropout, weight decay and label smoothing do **not** reduce parameters or matmul FLOPs: they
# change what is learnt, not the model's size. Their costs differ: dropout draws a random mask at every
# site and keeps it for backward, so each training step is slower and holds more activation memory; at
# inference `model.eval()` turns it off, and because PyTorch's inverted dropout divides by 1 − p during
# training, inference costs nothing extra (forgetting eval() makes every prediction random: no two calls agree).
# Decoupled weight decay is one multiply per parameter per step; label smoothing one mean over
# log-probabilities — nearly free. What saves compute is early stopping (fewer steps) and architectural
# changes: sharing, factorization, pruning, quantization. LLMs pretrained on huge data for one epoch
# often use no dropout at all (PaLM), keeping only weight decay.

# %% [markdown]
# ## Further reading
#
# - Srivastava, Hinton, Krizhevsky, Sutskever, Salakhutdinov — *Dropout: A Simple Way to Prevent Neural
#   Networks from Overfitting* (2014).
# - Loshchilov, Hutter — *Decoupled Weight Decay Regularization* (2019).
# - Szegedy, Vanhoucke, Ioffe, Shlens, Wojna — *Rethinking the Inception Architecture for Computer Vision*
#   (2016), section 7: label smoothing.
# - Gal, Ghahramani — *Dropout as a Bayesian Approximation* (2016): Monte Carlo dropout.
# - Chowdhery et al. — *PaLM: Scaling Language Modeling with Pathways* (2022), section 5: no dropout in pretraining.
