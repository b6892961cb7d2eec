# %% [markdown]
# # Chapter 7 · What gradient clipping methods do language models use?
#
# **题目：** 语言模型中的梯度裁剪方法有哪些？ — 请列举并简要介绍语言模型中常用的梯度裁剪方法。
#
# **Question:** What gradient clipping methods are commonly used in language models? List and briefly
# introduce them.
#
# **Time:** about 25 minutes · **Prerequisites:** [1 · basic principles](01_llm_basics.ipynb) · **Related:**
# [20 · clipping vs vanishing and exploding gradients](20_clipping_vanishing_exploding.ipynb),
# [8 · optimizers](08_optimizers.ipynb)
#
# **Objectives**
# - Place clipping exactly in the training step: after `backward()`, before `optimizer.step()`.
# - Compare clipping by value, by global norm and adaptive clipping (AGC), and measure why value clipping
#   turns the update while norm clipping only shortens it.
# - See an exploding-gradient run diverge, and each method rescue it, in loss curves and gradient-norm traces.
# - Combine clipping with a mixed-precision gradient scaler in the right order: unscale, then clip.

# %% [markdown]
# ## Try first
#
# Write your interview answer: which clipping methods exist, what does each bound, and where in the
# training step does clipping happen?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “静态裁剪：在每个训练步骤**之前**，将梯度裁剪到特定的阈值范围内” | **misleading** | Static and dynamic clipping differ in the **threshold** (fixed, vs set from the gradients themselves), not in timing. Every clipping method runs at the same place: after `loss.backward()`, before `optimizer.step()`. | Lab 1 |
# | “动态裁剪：在每个训练步骤**之后**，根据梯度的实际大小进行裁剪” | **misleading** | Again the difference is the threshold, not the moment: a threshold from the gradients' size (e.g. a percentile of past gradient norms, AutoClip). If “after” meant after `step()`, clipping would change nothing: the update has been applied. | Lab 1 |
# | “…防止梯度爆炸**或消失**” | **wrong** | Clipping multiplies gradients by a factor ≤ 1. It tames explosion; it cannot enlarge a vanishing gradient (chapter 20). | Lab 3 (measured ratios) |
# | “自适应梯度裁剪：通过自适应调整阈值…” | vague | The method usually meant, AGC (Brock et al., 2021), bounds each unit's gradient norm *relative to that unit's weight norm*. Other adaptive schemes set the threshold from the history of gradient norms (AutoClip, Seetharaman et al., 2020: a percentile of the norms seen so far). | Lab 3 |
# | (missing) | — | The two standard methods are not named: **clip by value** (clamp each element) and **clip by global norm** — the one LLMs use (threshold 1.0 in GPT-3, Brown et al., 2020, appendix B; and in LLaMA, Touvron et al., 2023). | Labs 2–3 |
# | (missing) | — | With mixed-precision training the gradients arrive multiplied by a loss scale; they must be unscaled *before* clipping, or the threshold is applied to the wrong numbers. | Lab 4 |

# %%
import math

import matplotlib.pyplot as plt
import torch

import course
from course.models import RNNLanguageModel
from course.runtime import get_device, seed_everything
from course.text import WordTokenizer, grammar_corpus, lm_batch, train_val_split
from course.train import (SGD, adaptive_clip, clip_by_global_norm, clip_by_value, fit, global_grad_norm)

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Where clipping sits in the step
#
# One training step, written out. Clipping reads the gradients that `backward()` just produced and
# rescales them in place; the optimizer then uses the clipped gradients.

# %%
text = grammar_corpus(3000, seed=0)
words = WordTokenizer([text])
ids = torch.tensor([i for line in text.splitlines() for i in words.encode(line) + [words.eos_id]])
train_ids, val_ids = train_val_split(ids)


def unstable_rnn(seed: int = 0) -> RNNLanguageModel:
    """A ReLU RNN whose recurrent matrix starts at 0.9·I (an 'IRNN', Le et al., 2015): signals and gradients
    pass through time almost undamped, so at a high learning rate its gradients explode."""
    torch.manual_seed(seed)
    model = RNNLanguageModel(words.vocab_size, d_embed=32, hidden=128, cell="rnn", nonlinearity="relu")
    with torch.no_grad():
        model.rnn.weight_hh_l0.copy_(0.9 * torch.eye(128))
    return model.to(device)


model = unstable_rnn()
optimizer = SGD(model.parameters(), lr=0.3)
x, y = lm_batch(train_ids, 32, 48, torch.Generator().manual_seed(0), device)

loss = model(x, y).loss
optimizer.zero_grad()
loss.backward()                                                   # 1. gradients exist from here on
norm_before = clip_by_global_norm(model.parameters(), max_norm=1.0)   # 2. clip them
optimizer.step()                                                  # 3. the update uses the clipped gradients
print(f"gradient norm before clipping {norm_before:.2f}, after {global_grad_norm(model.parameters()):.2f}")

# %% [markdown]
# The course's `clip_by_global_norm` matches PyTorch's `clip_grad_norm_` exactly (tested in
# `tests/test_clipping.py`, and checked here on fresh gradients). Exercise 1 asks you to write it — with a
# twist from Lab 4 — so its source waits until then: `course.show(clip_by_global_norm)` prints it.

# %%
# NBVAL_CHECK_OUTPUT
a, b = unstable_rnn(), unstable_rnn()                 # two identical fresh models
for m in (a, b):
    m(x, y).loss.backward()
ours = clip_by_global_norm(a.parameters(), 1.0)
theirs = torch.nn.utils.clip_grad_norm_(b.parameters(), 1.0)
print("same norm:", torch.allclose(ours, theirs),
      "· same clipped gradients:", all(torch.allclose(p.grad, q.grad) for p, q in zip(a.parameters(), b.parameters())))

# %% [markdown]
# ## Lab 2 — Value clipping turns the gradient, norm clipping only shortens it
#
# Clipping by value clamps each element into [−c, c] independently: large elements are cut more than
# small ones, so the gradient **changes direction**. Clipping by global norm multiplies *all* gradients by
# one factor min(1, c/‖g‖): same direction, bounded length. We measure the cosine between the raw and the
# clipped gradient of one batch, for a range of thresholds:

# %%
def flat_grad(m):
    return torch.cat([p.grad.flatten() for p in m.parameters()])


def clipped_direction(clip, threshold):
    m = unstable_rnn()
    m(x, y).loss.backward()
    raw = flat_grad(m).clone()
    clip(m.parameters(), threshold)
    return torch.cosine_similarity(raw, flat_grad(m), dim=0).item(), flat_grad(m).norm().item() / raw.norm().item()


thresholds = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
cos_value = [clipped_direction(clip_by_value, t)[0] for t in thresholds]
cos_norm = [clipped_direction(clip_by_global_norm, t)[0] for t in thresholds]
print(f"{'thresholds:':<26}", thresholds)
print(f"{'cos, value clipping:':<26}", [round(c, 3) for c in cos_value])
print(f"{'cos, global-norm clipping:':<26}", [round(c, 3) for c in cos_norm])

fig, ax = plt.subplots(figsize=(5.5, 3.3))
ax.plot(thresholds, cos_value, marker="o", label="clip by value (threshold c per element)")
ax.plot(thresholds, cos_norm, marker="s", label="clip by global norm (threshold c on ‖g‖)")
ax.set(xscale="log", xlabel="threshold c", ylabel="cos(raw gradient, clipped gradient)",
       title="Which clipping keeps the direction?", ylim=(0, 1.05))
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("norm clipping keeps the direction at every threshold:", all(abs(c - 1) < 1e-4 for c in cos_norm))
print("value clipping turns it at the smallest threshold:", cos_value[0] < 0.99)

# %% [markdown]
# ## Lab 3 — An exploding run, rescued
#
# The same unstable RNN, trained for 150 steps with plain SGD at a high learning rate, four times:
# without clipping, clipping by value (0.05), by global norm (1.0), and adaptive clipping (AGC, 0.02).
# `fit` records the gradient norm *before* clipping at every step; a small wrapper also records, at every
# step, the ratio ‖g after clipping‖ / ‖g before‖ that the real clipping produced.

# %%
def measured(clip, ratios: list):
    """Wrap a clipping function so that each call appends ‖g‖ after / ‖g‖ before to ``ratios``."""
    def run(params):
        params = list(params)
        before = global_grad_norm(params)
        clip(params)
        ratios.append(float(global_grad_norm(params) / before))
    return run


methods = {
    "no clipping": None,
    "by value 0.05": lambda params: clip_by_value(params, 0.05),
    "by global norm 1.0": lambda params: clip_by_global_norm(params, 1.0),
    "adaptive (AGC) 0.02": lambda params: adaptive_clip(params, clipping=0.02),
}
histories, ratios, models = {}, {}, {}
for name, clip in methods.items():
    models[name] = model = unstable_rnn()
    data_gen = torch.Generator().manual_seed(1)
    ratios[name] = []
    histories[name] = fit(model, SGD(model.parameters(), lr=0.3),
                          lambda step: lm_batch(train_ids, 32, 48, data_gen, device), 150,
                          clip=None if clip is None else measured(clip, ratios[name]))
    h = histories[name]
    fate = f"diverged at step {len(h.loss) - 1} (loss {h.loss[-1]})" if h.diverged else f"final loss {h.final_loss:.2f}"
    print(f"{name:>20}: {fate}; largest gradient norm {max(h.grad_norm):.3g}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for name, h in histories.items():
    finite = [v if math.isfinite(v) else float("nan") for v in h.loss]
    axes[0].plot(h.step, finite, label=name, lw=1.2)
    axes[1].plot(h.step, [g if math.isfinite(g) else float("nan") for g in h.grad_norm], label=name, lw=0.9)
    if h.diverged:
        axes[0].scatter([h.step[-1]], [7.6], marker="x", s=60, color="black", zorder=5)
        axes[0].annotate(f"{name}: NaN at step {h.step[-1]}", xy=(h.step[-1], 7.6), xytext=(25, 6.6),
                         fontsize=8, arrowprops=dict(arrowstyle="->", lw=0.8))
axes[0].set(xlabel="step", ylabel="training loss", title="Loss (axis cut at 8)", ylim=(0, 8))
axes[1].set(xlabel="step", ylabel="gradient norm before clipping", yscale="log", title="Gradient norm")
axes[1].axhline(1.0, color="gray", ls=":", lw=1)
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Without clipping a few huge gradients throw the weights so far that the loss becomes NaN within a few
# steps. All three clipping methods survive the same spikes. Global-norm clipping is the default in
# LLM training because it bounds the step without turning it, with one threshold for the whole model;
# AGC adapts the bound to each unit's weights. How much of the gradient did each method keep? The mean
# of the measured ratio ‖g after‖ / ‖g before‖, over the first and the last 30 steps:

# %%
print(f"{'':>20}  kept, steps 0–29   kept, last 30 steps   largest ratio")
for name, r in ratios.items():
    if r:
        print(f"{name:>20}  {sum(r[:30]) / 30:>16.3f}  {sum(r[-30:]) / 30:>20.3f}  {max(r):>14.4f}")

# %% [markdown]
# With these thresholds AGC is the strictest of the three all along, keeping a few percent of the
# gradient early and still well under half at the end, so it learns more slowly here; all three cut
# hardest at the start, when the gradient spikes are largest.
#
# Clipping only ever shrinks. The largest ratio over every step of every run above is at most 1, and
# a step whose gradient is already small passes through unchanged — we make one by scaling a loss down:

# %%
# NBVAL_CHECK_OUTPUT
largest = max(max(r) for r in ratios.values() if r)
print("largest ratio after/before over all clipped steps ≤ 1:", largest <= 1 + 1e-6)

small = unstable_rnn()
(1e-3 * small(x, y).loss).backward()                      # a gradient far below the threshold
small_ratio = []
measured(lambda params: clip_by_global_norm(params, 1.0), small_ratio)(small.parameters())
print("a small gradient passes global-norm clipping unchanged:", abs(small_ratio[0] - 1) < 1e-6)

# %% [markdown]
# So clipping cannot help when gradients *vanish* (chapter 20).

# %% [markdown]
# ## Lab 4 — Mixed precision: unscale, then clip
#
# In float16, gradients below about 6·10⁻⁸ round to zero. Mixed-precision training therefore multiplies
# the loss by a large factor S (65,536 to start) before `backward()`, so that every gradient arrives S
# times too large, and divides by S again before the update — PyTorch's `torch.amp.GradScaler`
# (Micikevicius et al., 2018). A clipping threshold is meant for the *true* gradients, so the order is
# `scaler.scale(loss).backward()` → `scaler.unscale_(optimizer)` → clip → `scaler.step(optimizer)`.
# Leave out `unscale_` and the clipper sees the scaled gradients. One step, both ways:

# %%
use_fp16 = device.type == "cuda"   # float16 autocast is slow on CPUs; the scaler works the same without it


def scaled_step(model, optimizer, scaler, batch, unscale_first: bool):
    """One mixed-precision step with global-norm clipping; returns (loss, ‖g‖ the clipper saw, ‖g‖ applied)."""
    with torch.autocast(device.type, dtype=torch.float16, enabled=use_fp16):
        loss = model(*batch).loss
    optimizer.zero_grad()
    scaler.scale(loss).backward()                  # every gradient arrives multiplied by S
    if unscale_first:
        scaler.unscale_(optimizer)                 # divide them by S, in place
    seen = clip_by_global_norm(model.parameters(), max_norm=1.0)
    scaler.step(optimizer)                         # unscales here if it was not done, then steps
    scaler.update()
    return loss.item(), float(seen), float(global_grad_norm(model.parameters()))


one_step = {}
for unscale_first in (True, False):
    m = unstable_rnn()
    scaler = torch.amp.GradScaler(device.type)
    _, seen, applied = scaled_step(m, SGD(m.parameters(), lr=0.3), scaler, (x, y), unscale_first)
    one_step[unscale_first] = applied
    print(f"{'unscale, then clip' if unscale_first else 'clip without unscale':>20}: the clipper saw ‖g‖ = "
          f"{seen:.3g}, the update used ‖g‖ = {applied:.3g}")

# %%
# NBVAL_CHECK_OUTPUT
S = torch.amp.GradScaler(device.type).get_scale()
print(f"loss scale S = {S:,.0f}")
print("unscale first: the update's gradient is clipped to norm 1:", abs(one_step[True] - 1) < 1e-3)
print("no unscale: the update's gradient has norm 1/S:", abs(one_step[False] * S - 1) < 1e-3)

# %% [markdown]
# Without `unscale_` the clipper compares S·‖g‖ with the threshold, always clips, and the step that
# follows divides by S once more: every update is 65,536 times too small. Sixty training steps each way:

# %%
amp_losses = {}
for unscale_first, name in ((True, "unscale, then clip"), (False, "clip without unscale")):
    m = unstable_rnn()
    optimizer, scaler = SGD(m.parameters(), lr=0.3), torch.amp.GradScaler(device.type)
    data_gen = torch.Generator().manual_seed(1)
    amp_losses[name] = [scaled_step(m, optimizer, scaler, lm_batch(train_ids, 32, 48, data_gen, device),
                                    unscale_first)[0] for _ in range(60)]
    print(f"{name:>20}: loss {amp_losses[name][0]:.2f} → {amp_losses[name][-1]:.2f}")

fig, ax = plt.subplots(figsize=(5.5, 3.2))
for name, losses in amp_losses.items():
    ax.plot(losses, label=name)
ax.set(xlabel="step", ylabel="training loss", title="With a loss scaler: unscale before clipping")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Global-norm clipping, written for the mixed-precision step of Lab 4: the gradients
# you receive are still multiplied by the loss scale.

# %%
from course.selftest import exercise

exercise("07.global_norm")

# %%
def clip_global_norm(grads, max_norm, scale=1.0):
    # your code here
    raise NotImplementedError


exercise("07.global_norm").check(clip_global_norm)

# %% [markdown]
# **Exercise 2.** The adaptive clipping that Lab 3 called from the package, for one weight matrix.

# %%
exercise("07.agc")

# %%
def adaptive_clip_grad(weight, grad, clipping, eps=1e-3):
    # your code here
    raise NotImplementedError


exercise("07.agc").check(adaptive_clip_grad)

# %% [markdown]
# Stuck? `exercise("07.agc").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(7)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 梯度裁剪在 `loss.backward()` 之后、`optimizer.step()` 之前进行，用来限制过大的更新、防止梯度爆炸导致损失变成 NaN。常见三类：① 按值裁剪，把每个元素截断到 [−c, c]，简单但会改变梯度方向；② 按全局范数裁剪，把所有参数的梯度看成一个向量，若范数超过阈值就整体乘以 c/‖g‖，方向不变，是大模型训练的默认做法（GPT-3、LLaMA 取 1.0）；③ 自适应裁剪，如 AGC 按每个单元的权重范数设定相对阈值，或把阈值取为历史梯度范数的某个分位数（AutoClip）。混合精度训练中梯度带着损失缩放因子，必须先 `scaler.unscale_()` 再裁剪，否则阈值作用在放大后的梯度上。裁剪只会缩小梯度，不能解决梯度消失；后者要靠门控、残差连接、归一化和合适的初始化。
#
# **English:** Clipping runs after `loss.backward()` and before `optimizer.step()`; it bounds the update so
# that a gradient spike cannot blow the weights up. Three families: clip by value (clamp each element to
# [−c, c] — simple, but it changes the gradient's direction); clip by global norm (treat all gradients as
# one vector and, if its norm exceeds c, scale it by c/‖g‖ — direction kept; the LLM default, 1.0 in GPT-3
# and LLaMA); and adaptive clipping, e.g. AGC, which bounds each unit's gradient relative to its weight norm,
# or a threshold set to a percentile of past gradient norms (AutoClip). With a mixed-precision loss scaler, unscale first, then
# clip. Clipping only shrinks gradients, so it does not cure vanishing gradients — gates, residuals,
# normalization and initialization do.

# %% [markdown]
# ## Further reading
#
# - Mikolov — *Statistical Language Models Based on Neural Networks* (PhD thesis, 2012): clipping for RNN LMs.
# - Pascanu, Mikolov, Bengio — *On the difficulty of training recurrent neural networks* (2013).
# - Le, Jaitly, Hinton — *A Simple Way to Initialize Recurrent Networks of Rectified Linear Units* (2015).
# - Seetharaman, Wichern, Pardo, Le Roux — *AutoClip: Adaptive Gradient Clipping for Source Separation Networks* (2020).
# - Brock, De, Smith, Simonyan — *High-Performance Large-Scale Image Recognition Without Normalization* (AGC, 2021).
# - Brown et al. — *Language Models are Few-Shot Learners* (2020), appendix B (training details).
# - Micikevicius et al. — *Mixed Precision Training* (2018): loss scaling.
