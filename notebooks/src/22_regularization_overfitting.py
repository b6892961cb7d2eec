# %% [markdown]
# # Chapter 22 · How do regularization methods prevent overfitting?
#
# **题目：** 语言模型中的正则化方法如何防止过拟合？ — 请解释语言模型中的正则化方法如何防止过拟合。
#
# **Question:** Explain how regularization methods in language models prevent overfitting.
#
# **Time:** about 25 minutes · **Prerequisites:** [5 · regularization methods](05_regularization_methods.ipynb) ·
# **Related:** [37 · regularization and the data regime](37_regularization_compute_3.ipynb),
# [45 · sparsity and efficiency](45_sparsity_efficiency.ipynb)
#
# **Objectives**
# - Read a sweep of dropout × weight decay as heat maps of validation loss: too little, just right, too much.
# - Measure why L1 gives exact zeros only with a proximal step, while L2 shrinks every weight and zeroes none.
# - Show that a validation set measures overfitting and prevents nothing until a decision — early stopping,
#   a choice of strength — is taken from it.

# %% [markdown]
# ## Try first
#
# Overfitting means what, in terms of two curves? Name one regularizer that adds a penalty, one that adds
# noise, and one that does neither — and say how each of them keeps the validation loss down.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “通过惩罚模型的复杂度，防止模型在训练数据上过拟合” | **incomplete** | Only the penalties (L1, L2) work that way. Dropout injects noise, weight decay shrinks the weights in the optimizer step, label smoothing softens the target, early stopping limits training time. All of them keep the model from fitting the training set's accidents; none needs a “complexity” term. | Labs 1–3 |
# | “L1 和 L2 正则化：惩罚参数的绝对值或平方值” | **incomplete** | The difference is the point: L1 drives weights to **exactly 0** (sparsity, a feature selection) — but only when it is applied by a proximal, soft-threshold step; added to the loss and followed by plain gradient steps, it leaves weights jittering around 0. L2 shrinks every weight in proportion and zeroes none. | Lab 2 |
# | “权重衰减：在损失函数中添加权重衰减项” (listed beside L2) | **incomplete** | That *is* L2. Weight decay proper is decoupled from the loss (AdamW); the two agree for SGD only ([chapter 5](05_regularization_methods.ipynb), Lab 4). | Lab 1 |
# | “增加训练数据：正则化方法有助于模型在大量训练数据上学习” | **wrong** | Regularization adds no data. More data is a separate remedy for overfitting, and how much regularization helps depends on how much data there is ([chapter 37](37_regularization_compute_3.ipynb) measures it; not shown here). | — |
# | “增加验证集：正则化方法可以在验证集上评估模型的泛化能力，避免过拟合” | **wrong** | A validation set is not a regularizer: evaluating on it changes no weight. It *measures* overfitting; it helps only through the decisions taken from it — stop here, pick this strength. | Lab 3 |
# | “调整正则化参数…在模型复杂度和泛化能力之间找到平衡” | correct | Too little and the model memorises, too much and it underfits: the heat maps show both ends. | Lab 1 |

# %%
import json

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import course
from course.runtime import seed_everything
from course.text import topic_examples
from course.train import SGD, AdamW, fit
from course.train.overfitting import overfit_setting
from course.train.regularizers import early_stopping, l1_penalty, soft_threshold_, train_with_curves, zero_fraction

generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Dropout × weight decay, as heat maps
#
# The shared overfitting setting of the regularization chapters ([chapter 5](05_regularization_methods.ipynb),
# Lab 3): a small GPT trained on a few dozen lines of the course corpus and validated on held-out lines it
# never sees:

# %%
# NBVAL_CHECK_OUTPUT
setting = overfit_setting(60)
eos = setting.train_tokens[-1]                                 # every line of the stream ends with <eos>
config = setting.config
print(f"model: {config.n_layers}-layer GPT, d = {config.d_model}, "
      f"{sum(p.numel() for p in setting.model().parameters()):,} parameters")
print(f"training: {int((setting.train_tokens == eos).sum())} lines ({len(setting.train_tokens)} tokens); "
      f"validation: {int((setting.val_tokens == eos).sum())} other lines ({len(setting.val_tokens)} tokens)")

# %% [markdown]
# We train it 16 times — dropout p at every site × decoupled weight decay λ (AdamW, lr 3·10⁻³, 150
# steps) — and keep both curves of every run. That is far beyond this chapter's time budget:
# `tools/sweeps/ch22_dropout_decay.py` ran the grid into `data/ch22_dropout_decay.json`. In this sweep λ
# acts on every parameter, LayerNorm gains and biases included. What each λ does to a weight without any
# gradient is a plain factor per step, compounded:

# %%
sweep = json.loads((course.DATA_DIR / "ch22_dropout_decay.json").read_text())
dropouts, decays = sweep["dropouts"], sweep["weight_decays"]
cell = {(r["dropout"], r["weight_decay"]): r for r in sweep["grid"]}
lr, steps = 3e-3, cell[(0.0, 0.0)]["step"][-1]
for wd in decays:
    print(f"λ = {wd:>4}: per step × {1 - lr * wd:.4f}, after 10 steps × {(1 - lr * wd) ** 10:.3f}, "
          f"after {steps} steps × {(1 - lr * wd) ** steps:.3g}   (lr·λ·steps = {lr * wd * steps:.3g})")

# %% [markdown]
# These λ look large next to the 0.1 of LLM training ([chapter 5](05_regularization_methods.ipynb), Lab 4),
# but what a weight feels is set by lr·λ and the number of steps, and a 150-step run at lr 3·10⁻³ needs a
# large λ before decay shrinks anything much.
#
# Two numbers per run: the validation loss at the end of training, and the one early stopping would
# have kept (patience of 3 evaluations, 10 steps apart, replayed on the stored curve).

# %%
def grid_of(value):
    return torch.tensor([[value(cell[(p, wd)]) for wd in decays] for p in dropouts])


final_val = grid_of(lambda r: r["val"][-1])
stopped_val = grid_of(lambda r: r["val"][early_stopping(r["val"], patience=3).best])
final_train = grid_of(lambda r: r["train"][-1])

fig, axes = plt.subplots(1, 3, figsize=(13.5, 3.9))
panels = ((final_val, "validation loss at step 150", (3.0, 4.5)),
          (stopped_val, "validation loss, early-stopped", (3.0, 4.5)),
          (final_val - final_train, "gap: validation − training at 150", (None, None)))
for ax, (values, title, (low, high)) in zip(axes, panels):
    image = ax.imshow(values.numpy(), cmap="viridis_r", aspect="auto", vmin=low, vmax=high)
    middle = (values.min().item() + values.max().item()) / 2 if high is None else (low + high) / 2
    for i in range(len(dropouts)):
        for j in range(len(decays)):
            v = values[i, j].item()
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8, color="white" if v > middle else "black")
    ax.set(title=title, xlabel="weight decay λ (AdamW)", ylabel="dropout p",
           xticks=range(len(decays)), xticklabels=decays, yticks=range(len(dropouts)), yticklabels=dropouts)
    fig.colorbar(image, ax=ax, shrink=0.85, extend="max" if high is not None else "neither")
fig.suptitle("16 runs of the shared overfitting setting. Left and middle share one colour scale (lower is better); "
             "a small gap alone is not good (see λ = 30)", fontsize=9)
fig.tight_layout()

# %%
def best_of(values):
    i, j = divmod(int(values.argmin()), len(decays))
    return dropouts[i], decays[j], values[i, j].item()


p_best, wd_best, v_best = best_of(final_val)
print(f"no regularization: validation {final_val[0, 0]:.3f} at step 150, {stopped_val[0, 0]:.3f} early-stopped")
print(f"best cell at step 150: p = {p_best}, λ = {wd_best}: {v_best:.3f}")
print(f"best cell early-stopped: p = {best_of(stopped_val)[0]}, λ = {best_of(stopped_val)[1]}: {best_of(stopped_val)[2]:.3f}")
print(f"largest λ ({decays[-1]}), no dropout: validation {final_val[0, -1]:.3f}, training {final_train[0, -1]:.3f}")

# %% [markdown]
# What the maps say, in this setting:
#
# - **Too little** (top-left): the lowest training loss, the largest gap, a validation loss that has climbed
#   far above its early minimum.
# - **Just right**: a moderate λ keeps the validation loss at step 150 close to its best, at the price of a
#   higher training loss. Regularization moved the *end* of training much more than its best point: compare
#   the spread of the first two maps.
# - **Too much**: at the largest λ decay alone takes a weight below half within 10 steps (printed above;
#   Exercise 2 finds the exact count); training and
#   validation loss are equal and both high — underfitting, no gap at all. Dropout 0.5 errs the same way,
#   more gently: its final loss is lower than without dropout, its early-stopped loss higher.
#
# The sweep is reproducible: we re-run the first 40 steps of the best cell live.

# %%
model = setting.model(dropout=p_best)
live = train_with_curves(setting, model, AdamW(model.parameters(), lr=lr, weight_decay=wd_best), steps=40, every=20)
stored_at = dict(zip(cell[(p_best, wd_best)]["step"], cell[(p_best, wd_best)]["val"]))
print("steps:     ", live.step)
print("live  val:", [round(v, 3) for v in live.val])
print("stored val:", [stored_at[s] for s in live.step])

# %%
# NBVAL_CHECK_OUTPUT
print("the live run reproduces the stored curve (within 0.02 nats):",
      max(abs(v - stored_at[s]) for s, v in zip(live.step, live.val)) < 0.02)

# %% [markdown]
# ## Lab 2 — L1 makes exact zeros, L2 only shrinks
#
# A small model whose right answer is sparse: a bag-of-words topic classifier on short texts in which two
# topic words hide among filler words (“the”, “saw”, “today”, …; the counts are printed below). Only topic
# words should carry weight. One weight matrix W (topics × words), trained four ways with full-batch SGD:
#
# - no penalty; **L2**: + (λ/2)‖W‖² in the loss;
# - **L1 in the loss**: + λ‖W‖₁, then ordinary (sub)gradient steps;
# - **L1, proximal**: a gradient step on the loss alone, then soft-thresholding every weight by lr·λ
#   (`soft_threshold_`: shrink |w| by lr·λ, and set it to 0 if it would cross zero) — proximal gradient
#   descent, or ISTA.

# %%
train, test = topic_examples(200, seed=0), topic_examples(1000, seed=1)
vocab = sorted({w for text, _ in train + test for w in text.split()})
topics = sorted({t for _, t in train})


def bag_of_words(examples):
    counts = torch.zeros(len(examples), len(vocab))
    for i, (text, _) in enumerate(examples):
        for w in text.split():
            counts[i, vocab.index(w)] += 1
    return counts, torch.tensor([topics.index(t) for _, t in examples])


x_train, y_train = bag_of_words(train)
x_test, y_test = bag_of_words(test)
lam, sgd_lr = 0.01, 0.5
filler = [i for i, w in enumerate(vocab) if w in {"the", "a", "new", "about", "today", "this", "with", "we", "saw", "and"}]
per_text = {sum(vocab.index(w) not in filler for w in text.split()) for text, _ in train + test}
print(f"{len(topics)} topics, {len(vocab) - len(filler)} topic words, {len(filler)} filler words; "
      f"{len(train)} training and {len(test)} test texts of {len(train[0][0].split())} words, "
      f"topic words per text: {sorted(per_text)}")
print("e.g.", train[0])


def train_classifier(penalty):
    torch.manual_seed(0)
    W = torch.nn.Parameter(0.01 * torch.randn(len(topics), len(vocab)))
    b = torch.nn.Parameter(torch.zeros(len(topics)))
    optimizer = SGD([W, b], lr=sgd_lr)
    for _ in range(300):
        loss = F.cross_entropy(x_train @ W.t() + b, y_train)
        if penalty == "L2":
            loss = loss + lam / 2 * W.pow(2).sum()
        if penalty == "L1 in the loss":
            loss = loss + lam * l1_penalty([W])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if penalty == "L1, proximal":
            soft_threshold_([W], sgd_lr * lam)
    accuracy = ((x_test @ W.t() + b).argmax(1) == y_test).float().mean().item()
    return W.detach(), accuracy


weights, accuracy = {}, {}
for penalty in ("none", "L2", "L1 in the loss", "L1, proximal"):
    weights[penalty], accuracy[penalty] = train_classifier(penalty)
print(f"{'':>15}  exactly 0   |w| < 0.001   mean |w| on filler words   test accuracy")
for penalty, W in weights.items():
    print(f"{penalty:>15}  {zero_fraction([W]):>9.1%}  {(W.abs() < 1e-3).float().mean().item():>12.1%}"
          f"  {W[:, filler].abs().mean().item():>25.4f}  {accuracy[penalty]:>14.3f}")

# %%
fig, axes = plt.subplots(2, 1, figsize=(11, 4.4))
for ax, penalty in zip(axes, ("L2", "L1, proximal")):
    W = weights[penalty]
    limit = W.abs().max().item()
    ax.imshow(W.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    zeros = (W == 0).nonzero()
    ax.scatter(zeros[:, 1], zeros[:, 0], marker="x", s=14, color="gray", lw=0.8)
    ax.set_yticks(range(len(topics)), topics, fontsize=8)
    ax.set_xticks(range(len(vocab)), vocab, rotation=90, fontsize=7)
    ax.set_title(f"{penalty}: weights (red +, blue −), × = exactly 0", fontsize=9)
for ax in axes[:1]:
    ax.set_xticks([])
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
prox = weights["L1, proximal"]
filler_words = {vocab[i] for i in filler}
topic_of = {w: topic for text, topic in train for w in text.split() if w not in filler_words}
kept = [(topics[i], vocab[j]) for i, j in prox.nonzero().tolist()]
print("exact zeros — L2:", int((weights["L2"] == 0).sum()), "· L1 in the loss:",
      int((weights["L1 in the loss"] == 0).sum()), "· L1 proximal:", int((prox == 0).sum()), "of", prox.numel())
print("every filler word's weights are exactly 0 under proximal L1:", bool((prox[:, filler] == 0).all()))
print(f"non-zero weights under proximal L1: {len(kept)}, for {len(topic_of)} topic words;",
      "each on its own topic's row:", all(topic_of[word] == topic for topic, word in kept))
w = torch.nn.Parameter(torch.tensor([-0.3, -0.004, 0.0, 0.002, 0.7]))
expected = F.softshrink(w.detach().clone(), 0.005)
soft_threshold_([w], 0.005)
print("soft_threshold_ equals torch's F.softshrink:", torch.equal(w.data, expected))

# %% [markdown]
# L2 leaves every weight non-zero: its pull, λw, fades as w shrinks. L1's pull is λ·sign(w), the same
# size however small w is — but a gradient step of that size jumps *across* zero and back, so “L1 in the
# loss” leaves tiny weights jittering around 0, never equal to it. The soft-threshold step stops them at
# exactly 0, and what survives reads like a dictionary: each topic word keeps weight for its own topic, the
# filler words none. The test accuracy is the same in all four runs — the task is easy — so the difference
# is in *which* weights the model keeps. Chapter [45](45_sparsity_efficiency.ipynb) turns sparsity into smaller models.
#
# ## Lab 3 — A validation set measures overfitting; it does not prevent it
#
# Evaluating changes no weight. The best cell of Lab 1 again, 40 steps, this time without a single
# evaluation, compared with the live run above, which evaluated after steps 20 and 40:

# %%
# NBVAL_CHECK_OUTPUT
blind = setting.model(dropout=p_best)
fit(blind, AdamW(blind.parameters(), lr=lr, weight_decay=wd_best), setting.batches(), 40, progress=False)
print("weights identical with and without validation:",
      all(torch.equal(a, b) for a, b in zip(model.parameters(), blind.parameters())))

# %% [markdown]
# So the validation curve prevents nothing by itself. It prevents overfitting only through the decisions
# taken from it — and it measures the price of not taking them. Without regularization, the validation loss
# that early stopping keeps versus the one at step 150, and the same for the best cell:

# %%
# NBVAL_CHECK_OUTPUT
none, best = cell[(0.0, 0.0)], cell[(p_best, wd_best)]
for name, run in (("no regularization", none), (f"p = {p_best}, λ = {wd_best}", best)):
    stop = early_stopping(run["val"], patience=3)
    print(f"{name:>20}: early stopping keeps step {run['step'][stop.best]} ({run['val'][stop.best]:.2f}), "
          f"stops at step {run['step'][stop.stop]}; training on to step 150 gives {run['val'][-1]:.2f}")

# %% [markdown]
# Two decisions, both read off the validation set: *when to stop* (Lab 3) and *how strongly to regularize*
# (Lab 1). Taking many such decisions on the same validation set slowly fits the set itself, which is why a
# final number is reported on a test set that no decision has seen.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** One step of proximal L1 on a weight tensor — the gradient step and the soft threshold that
# Lab 2 called from the package.

# %%
from course.selftest import exercise

exercise("22.prox_l1")

# %%
def prox_l1_step(w, grad, lr, strength):
    # your code here
    raise NotImplementedError


exercise("22.prox_l1").check(prox_l1_step)

# %% [markdown]
# **Exercise 2.** Lab 1 printed what decoupled decay does to a weight in 150 steps. Turn it around: after
# how many steps has decay alone halved a weight?

# %%
exercise("22.half_life")

# %%
def half_life_steps(lr, weight_decay):
    # your code here
    raise NotImplementedError


exercise("22.half_life").check(half_life_steps)

# %% [markdown]
# Stuck? `exercise("22.half_life").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(22)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 过拟合表现为训练损失持续下降而验证损失到达最低点后回升。正则化让模型难以记住训练集的偶然细节，方式各不相同：L1/L2
# 在损失中加惩罚项；权重衰减（AdamW 解耦）在每步把权重乘以 (1−lr·λ)；Dropout 注入噪声；标签平滑软化目标；早停限制训练时间。强度需要调：太弱，模型仍会死记训练集；太强则欠拟合（训练损失和验证损失一样高）。L1 配合近端（软阈值）更新能把权重精确置零、起到特征选择作用；直接把 L1 加进损失用普通梯度更新只会让权重在 0 附近抖动；L2 只按比例收缩，不会得到零。验证集本身不防止过拟合，评估不改变任何权重；它用来度量过拟合，并据此做决定：何时停止、选多大强度。多次在同一验证集上做选择也会过拟合验证集，所以最终结果要在测试集上报告。增加数据不是正则化做的事，而是另一种独立的防过拟合手段。
#
# **English:** Overfitting shows as training loss still falling while validation loss turns up. Regularizers
# stop the model from fitting the training set's accidents, each differently: L1/L2 add a penalty to the
# loss; decoupled weight decay multiplies the weights by (1 − lr·λ) each step; dropout injects noise; label
# smoothing softens targets; early stopping limits training time. Strength must be tuned: too little
# memorises, too much underfits (training and validation loss equal and high). L1 with a proximal
# soft-threshold step gives exact zeros (feature selection); L1 in the loss with plain gradient steps only
# jitters around zero; L2 shrinks and zeroes nothing. A validation set prevents nothing — evaluating changes
# no weight — it measures overfitting and drives decisions (when to stop, how strong); a test set untouched
# by those decisions gives the final number. More data is a separate remedy, not something regularization does.

# %% [markdown]
# ## Further reading
#
# - Tibshirani — *Regression Shrinkage and Selection via the Lasso* (1996), J. R. Statist. Soc. B: L1 and exact zeros.
# - Beck, Teboulle — *A Fast Iterative Shrinkage-Thresholding Algorithm for Linear Inverse Problems* (2009), SIAM J. Imaging Sciences: proximal steps (ISTA/FISTA).
# - Prechelt — *Early Stopping — But When?* (1998), in *Neural Networks: Tricks of the Trade*.
# - Srivastava et al. — *Dropout: A Simple Way to Prevent Neural Networks from Overfitting* (2014), JMLR.
# - Loshchilov, Hutter — *Decoupled Weight Decay Regularization* (2019), ICLR.
