# %% [markdown]
# # Chapter 37 · How do regularization methods balance performance and compute? (3)
#
# **题目：** 语言模型中的正则化方法如何平衡模型性能和计算成本？ — 请解释语言模型中的正则化方法如何平衡模型性能和计算成本。
#
# **Question:** How do regularization methods in language models balance model performance against
# computational cost?
#
# **Time:** about 20 minutes · **Prerequisites:** [27 · what regularizers cost](27_regularization_compute_1.ipynb),
# [22 · regularization vs overfitting](22_regularization_overfitting.ipynb) · **Related:**
# [32 · parameter sharing and factorization](32_regularization_compute_2.ipynb),
# [10 · improving LM performance](10_improving_lms.ipynb)
#
# **Objectives**
# - Measure how the value of one regularizer (dropout) depends on the amount of training data, in a 2-D
#   sweep of data size × dropout rate.
# - Read the data regime from one number: how many times a run sees each training token.
# - Use early stopping as the regularizer that *saves* compute, and count what it saves.

# %% [markdown]
# ## Try first
#
# You double the training data of a model that overfits. Should you keep its dropout rate, raise it, or
# lower it? And what is the cheapest regularizer you know?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “正则化方法的超参数…可以根据训练数据和模型规模进行调整” | incomplete | Right direction, but the dependence is strong and not monotone in the way people guess: the same dropout rate that helps on a small set hurts on a large one, where the model is not overfitting and noise only slows learning. | Lab 1 |
# | “通过调整超参数，可以在保持模型性能的同时，降低计算成本” | **wrong** | A regularizer's strength does not change the cost of a step. The one regularizer that cuts compute is **early stopping**: it ends the run when validation loss stops improving. | Lab 2 |
# | “自适应调整…动态调整正则化强度，以适应不同的训练阶段” | vague | The regime that matters is how often each token is seen (epochs). LLM pretraining sees most tokens about once, which is why it uses little or no dropout. | Labs 1–2 |
# | “减少过拟合…提高泛化能力” | correct | When the model does overfit — small data, many epochs — regularization lowers validation loss. | Lab 1 |

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import torch

import course
from course.runtime import seed_everything
from course.train import AdamW
from course.train.overfitting import overfit_setting

seed_everything(0)
sweep = json.loads((course.DATA_DIR / "ch37_data_regime.json").read_text())
print(sweep["script"], "·", sweep["recipe"])
print(f"{len(sweep['points'])} runs: {sorted({p['n_lines'] for p in sweep['points']})} training lines × "
      f"dropout {sorted({p['dropout'] for p in sweep['points']})}")

# %% [markdown]
# ## Lab 1 — One dropout rate, six data sizes
#
# The shared setting of the regularization chapters with 30 to 5,000 training lines, each trained for 150
# steps at five dropout rates: 30 runs, too many for this notebook, so `tools/sweeps/ch37_data_regime.py`
# ran them (the recipe is printed above) and we plot its file. Each cell of the heat map is the change of
# the **final validation loss** that dropout brings, against dropout 0 at the same data size: blue helps,
# red hurts.

# %%
lines = sorted({p["n_lines"] for p in sweep["points"]})
rates = sorted({p["dropout"] for p in sweep["points"]})
point = {(p["n_lines"], p["dropout"]): p for p in sweep["points"]}
final = np.array([[point[n, r]["eval_loss"][-1] for r in rates] for n in lines])
best = np.array([[min(point[n, r]["eval_loss"]) for r in rates] for n in lines])
gain = final - final[:, :1]                     # change vs dropout 0, same data
tokens = [point[n, 0.0]["train_tokens"] for n in lines]
seen = [150 * 16 * 32 / t for t in tokens]      # epochs: times each training token is read as a target

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.1, 1]})
limit = np.abs(gain).max()
im = axes[0].imshow(gain, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
axes[0].set(xticks=range(len(rates)), xticklabels=rates, yticks=range(len(lines)),
            yticklabels=[f"{n} lines ({e:.1f} ep.)" for n, e in zip(lines, seen)],
            xlabel="dropout rate", title="Δ final val loss vs no dropout")
for i in range(len(lines)):
    for j in range(len(rates)):
        axes[0].text(j, i, f"{gain[i, j]:+.2f}", ha="center", va="center", fontsize=8)
fig.colorbar(im, ax=axes[0], shrink=0.8)
for j, r in enumerate(rates):
    axes[1].plot(tokens, final[:, j], marker="o", label=f"dropout {r}")
axes[1].set(xscale="log", xlabel="training tokens", ylabel="final validation loss",
            title="Final validation loss vs data (150 steps)")
axes[1].legend(fontsize=8)
axes[1].grid(alpha=0.3)
fig.tight_layout()

# %%
for n, t, e, row in zip(lines, tokens, seen, gain):
    best_rate = rates[int(np.argmin(row))]
    print(f"{n:>5} lines, {t:>6,} tokens, {e:6.1f} epochs: best dropout {best_rate}, its gain {row.min():+.3f}; "
          f"dropout 0.5 changes the loss by {row[-1]:+.3f}")

# %% [markdown]
# Read the rows from top to bottom. In the overfitting regime dropout lowers the final loss: at 60 lines
# (125 epochs) every rate does, 0.3 the most and 0.5 nearly as much; at 150 lines (49 epochs) every rate
# still does, by less, and 0.5 only barely. At 500 lines (15 epochs) no rate helps any more (0.1 is
# level, the others raise the loss), and with 1,500 and 5,000 lines, a few epochs, every rate *raises* it:
# there is little to memorise, and the noise only slows a model that is still underfitting. The best rate moves with the data (printed per row) — the regularizer's value is
# a property of the regime, not of the method. The smallest set is an exception in this run: with its few
# hundred tokens read about 260 times each (first row), no rate lowered the final loss measurably — 0.1
# to 0.3 raised it, and the printed "best", 0.5, is level with no dropout (a gain that rounds to 0.000)
# — a reminder that "more regularization for less data" is a tendency to measure, not a law.
#
# One point re-run live, to show that the file reproduces: 60 lines, no dropout.

# %%
setting = overfit_setting(60)
model = setting.model(dropout=0.0)
live = setting.train(model, AdamW(model.parameters(), lr=3e-3, weight_decay=0.0), steps=150, eval_every=10,
                     progress=False)
stored = point[60, 0.0]["eval_loss"]
print(f"final validation loss: live {live.eval_loss[-1]:.4f}, stored {stored[-1]:.4f}")

# %%
# NBVAL_CHECK_OUTPUT
print("the live run reproduces the stored curve (to 0.01):",
      max(abs(a - b) for a, b in zip(live.eval_loss, stored)) < 0.01)

# %% [markdown]
# ## Lab 2 — Early stopping, the regularizer that saves compute
#
# None of the regularizers of chapter 27 makes a step cheaper: the same parameters, the same FLOPs, and
# dropout adds mask work. Early stopping is different: it evaluates every few steps, keeps the best
# weights, and ends the run when the validation loss has not improved for `patience` evaluations. On the live run above (deterministic: a run
# stopped at step s follows this same curve up to s), with patience 3 evaluations:

# %%
patience = 3
lowest = float("inf")
for k, loss in enumerate(live.eval_loss):
    if loss < lowest:
        lowest, kept = loss, k
    if k - kept == patience:
        break
stop_step, best_step = live.eval_step[k], live.eval_step[kept]
print(f"best validation loss {live.eval_loss[kept]:.3f} at step {best_step}; training stops at step {stop_step}")
print(f"steps run: {stop_step} of 150 ({1 - stop_step / 150:.0%} of the compute saved); "
      f"validation loss kept {live.eval_loss[kept]:.3f} instead of {live.eval_loss[-1]:.3f} at step 150")

fig, ax = plt.subplots(figsize=(6.5, 3.4))
ax.plot(live.step, live.loss, lw=0.8, color="gray", label="training loss")
ax.plot(live.eval_step, live.eval_loss, lw=2, color="#1f77b4", label="validation loss")
ax.axvline(best_step, color="green", ls="--", lw=1, label=f"best weights (step {best_step})")
ax.axvspan(stop_step, 150, color="red", alpha=0.1, label=f"steps saved ({150 - stop_step})")
ax.set(xlabel="step", ylabel="loss", title="Early stopping with patience 3 (60 lines, no dropout)")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("the stop comes before the end of the run:", stop_step < 150)
print("the restored loss is the lowest of the curve:", live.eval_loss[kept] == min(live.eval_loss))

# %% [markdown]
# Early stopping also answers the heat map: on the small sets, compare the *best* validation loss of the
# sweep (what early stopping keeps, provided its patience outlasts any plateau before the lowest point) with
# the final one:

# %%
for n, e, f_row, b_row in zip(lines, seen, final, best):
    print(f"{n:>5} lines: no dropout final {f_row[0]:.3f} → with early stopping {b_row[0]:.3f}; "
          f"best of all dropout rates with early stopping {b_row.min():.3f}")

# %% [markdown]
# With early stopping in place, the extra gain from dropout is the difference between the last two
# numbers of each row; the gain of stopping early is the difference between the first two. In this run
# stopping early does almost all of the work on the small sets, and the best dropout rate adds little or
# nothing on top of it. Stopping needs one validation pass every few steps and saves the rest of the run;
# dropout costs time on every step (chapter 27).

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Early stopping with patience and a minimum improvement, written as a function of the
# validation curve.

# %%
from course.selftest import exercise

exercise("37.early_stop")

# %%
def early_stop(val_losses, patience, min_delta=0.0):
    # your code here
    raise NotImplementedError


exercise("37.early_stop").check(early_stop)

# %% [markdown]
# **Exercise 2.** The heat map's epochs, read the other way round: how many steps a run needs.

# %%
exercise("37.steps_for_epochs")

# %%
def steps_for_epochs(train_tokens, epochs, batch_size, context):
    # your code here
    raise NotImplementedError


exercise("37.steps_for_epochs").check(steps_for_epochs)

# %% [markdown]
# Stuck? `exercise("37.early_stop").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(37)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 正则化的价值取决于数据规模（每个 token 被看几遍）。数据少、重复几十上百个 epoch 时模型会记住训练集，合适的 Dropout 能降低最终的验证损失（但不是总能：本实验中数据最少的一组用任何 Dropout 都没有降低）；数据多、每个 token 只看一两遍时模型还在欠拟合，同样的 Dropout 只会拖慢学习、抬高损失。所以强度要随数据调，大模型预训练（约一个 epoch）常常不用 Dropout。正则化强度并不改变每步的计算量；真正节省计算的是早停：每隔几步评估一次验证集，保存最优权重，若连续 patience 次没有改善就停止，省下后面的训练步数，同时得到验证损失最低的模型。本实验中有了早停之后，Dropout 几乎没有再带来额外收益。
#
# **English:** A regularizer's value depends on the data regime — how many times each token is seen. With
# little data and tens to hundreds of epochs the model memorises, and a suitable dropout rate lowers the
# final validation loss (not always: on the smallest set here no rate helped); with plenty of data and
# one or two epochs the model is still underfitting, and the same dropout only slows learning. So the
# strength must follow the data, and LLM pretraining (about one epoch) often uses no dropout. A
# regularizer's strength does not change the cost of a step; early stopping is the one that saves compute:
# evaluate every few steps, keep the best weights, and stop after `patience` evaluations without
# improvement — fewer steps, and the best model seen. Here, once early stopping was in place, dropout
# added almost nothing on top of it.

# %% [markdown]
# ## Further reading
#
# - Prechelt — *Early Stopping — But When?* (1998), in *Neural Networks: Tricks of the Trade*.
# - Srivastava, Hinton, Krizhevsky, Sutskever, Salakhutdinov — *Dropout: A Simple Way to Prevent Neural
#   Networks from Overfitting* (2014).
# - Hoffmann et al. — *Training Compute-Optimal Large Language Models* (2022): data and model size at a
#   fixed compute budget.
# - Muennighoff et al. — *Scaling Data-Constrained Language Models* (2023): what repeated epochs are worth.
