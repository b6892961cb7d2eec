# %% [markdown]
# # Chapter 21 · How do optimization algorithms improve training?
#
# **题目：** 语言模型中的优化算法如何提高训练效果？ — 请解释语言模型中的优化算法如何提高训练效果。
#
# **Question:** How do the optimization algorithms used for language models improve training? Explain.
#
# **Time:** about 25 minutes · **Prerequisites:** [8 · optimizers](08_optimizers.ipynb) · **Related:**
# [31 · how optimizers shape the run](31_optimizers_training_process.ipynb),
# [26 · designing an LM optimizer](26_designing_optimizers_1.ipynb),
# [7 · gradient clipping](07_gradient_clipping.ipynb)
#
# **Objectives**
# - Compare SGD, SGD with momentum, Adam and AdamW on a tiny LM at the same budget, each with a constant
#   learning rate and with warmup + cosine decay.
# - See why warmup lets Adam use a higher peak rate: on its first step every weight moves by the full
#   learning rate.
# - Measure how noisy a gradient is — from one example, a mini-batch, the full batch — as a function of
#   the batch size.
# - Tell apart what the optimizer contributes (direction, per-coordinate scale), what the schedule
#   contributes (the learning rate over time) and what the batch contributes (gradient noise).

# %% [markdown]
# ## Try first
#
# Write your interview answer: name three separate mechanisms by which the choice of optimizer and its
# settings make training faster or better, and say which one you would tune first.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “SGD 可以快速找到局部最小值，但可能需要较大的批量大小” | **wrong** | SGD works with any batch size; a smaller batch gives a noisier gradient (its relative noise falls about as 1/B). And on a Transformer LM plain SGD is the *slowest* of the four optimizers here. | Labs 1, 3 |
# | “Adam…在处理稀疏数据和长时间训练时表现优异” | **incomplete** | What Adam wins here is per-coordinate scaling on a Transformer: a lower loss at the same budget. Long LLM runs use it as AdamW with a decaying schedule. | Lab 1 |
# | “AdaGrad…学习率与梯度大小成正比”; “RMSProp…对稀疏数据的处理更有效” | **wrong** | Inverse, and RMSProp's point is that its step size stops decaying (measured in chapter 8, Lab 4). | [chapter 8](08_optimizers.ipynb) |
# | “自适应学习率：…在不同阶段的训练过程中都能保持有效的参数更新” | **incomplete** | Two separate things: Adam's per-coordinate *scale*, and the learning rate *over time* (the schedule), which Adam does not set itself. Warmup + cosine still changes Adam's result, and Adam's first steps are exactly where warmup matters. | Labs 1, 2 |
# | “动量：保留先前梯度的信息，有助于快速找到局部最小值” | **incomplete** | Momentum averages the last ~1/(1 − μ) gradients: the consistent part adds up, the noise partly cancels. It makes SGD much faster here. | Labs 1, 3 |
# | “梯度裁剪：防止梯度消失和梯度爆炸” | **wrong** | Clipping only ever shrinks gradients: it bounds explosions and does nothing for vanishing ones (chapters 7 and 20). | [chapter 7](07_gradient_clipping.ipynb) |
# | “并行计算：优化算法可以支持并行计算” | **wrong** | Training is parallelized by splitting the *batch* across devices and averaging their gradients (data parallelism, chapter 26), whatever the optimizer; the averaged gradient is simply a bigger batch's, with less noise. | Lab 3 |
# | (missing) | — | The learning-rate **schedule** (linear warmup then cosine in GPT-3 and LLaMA) is a separate lever: here it lets a 3× higher peak rate work (Adam at 0.01: 2.175 → 2.096) but, at 60 steps, costs 0.10–0.19 at each optimizer's best rate. | Labs 1, 2 |

# %%
import json
import math

import matplotlib.pyplot as plt
import torch

import course
from course.models import GPT, GPTConfig
from course.runtime import get_device, seed_everything
from course.text import WordTokenizer, grammar_corpus, lm_batch, train_val_split
from course.train import SGD, Adam, AdamW, evaluate, fit, warmup_cosine, warmup_cosine_scheduler

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Four optimizers, two schedules, one budget
#
# The tiny LM of chapter 8 (one layer, d = 64, next-word prediction on the grammar corpus, 60 steps of
# 16 windows). Each optimizer runs once with a constant learning rate and once with **warmup + cosine**:
# the rate climbs linearly to its peak η over the first tenth of the steps, then follows half a cosine
# down to η/10.
# The course's `warmup_cosine_scheduler` gives the same rates as PyTorch's own pieces chained together:

# %%
# NBVAL_CHECK_OUTPUT
STEPS, WARMUP = 60, 6
ours = [warmup_cosine(step, warmup=WARMUP, total=STEPS) for step in range(STEPS)]

probe = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
theirs_scheduler = torch.optim.lr_scheduler.SequentialLR(probe, [
    torch.optim.lr_scheduler.LinearLR(probe, start_factor=1 / WARMUP, total_iters=WARMUP - 1),
    torch.optim.lr_scheduler.CosineAnnealingLR(probe, T_max=STEPS - WARMUP, eta_min=0.1)], milestones=[WARMUP])
theirs = []
for _ in range(STEPS):
    theirs.append(probe.param_groups[0]["lr"])
    probe.step()
    theirs_scheduler.step()
print(f"warmup_cosine equals torch's LinearLR → CosineAnnealingLR at all {STEPS} steps:",
      max(abs(a - b) for a, b in zip(ours, theirs)) < 1e-9)

# %% [markdown]
# `tools/sweeps/ch21_schedules.py` trained all eight combinations at four (peak) learning rates each; here
# each combination runs live at its best rate, from the same initial weights, on the same batches. A
# pair of step hooks records the size of every update relative to the weights, ‖Δθ‖/‖θ‖, for Lab 2.

# %%
sweep = json.loads((course.DATA_DIR / "ch21_schedules.json").read_text())
OPTIMIZERS = {"SGD": (SGD, {}), "SGD + momentum": (SGD, {"momentum": 0.9}),
              "Adam": (Adam, {}), "AdamW": (AdamW, {"weight_decay": 0.1})}
SCHEDULES = ("constant", "warmup + cosine")

text = grammar_corpus(2000, seed=0)
words = WordTokenizer([text])
ids = torch.tensor([i for line in text.splitlines() for i in words.encode(line) + [words.eos_id]])
train_ids, val_ids = train_val_split(ids)
val_batches = [lm_batch(val_ids, 64, 32, torch.Generator().manual_seed(i), device) for i in range(4)]


def best(name: str, schedule: str) -> tuple[float, float]:
    """(validation loss, lr) of the best stored point."""
    results = sweep["results"][name]
    return min((v, lr) for v, lr in zip(results[schedule], results["lrs"]) if v is not None)


def record_update_sizes(optimizer, params, sizes: list) -> None:
    """After every step, append ‖θ_new − θ_old‖ / ‖θ_old‖ over all weights together."""
    before = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: before.__setitem__(
        slice(None), [p.detach().clone() for p in params]))
    optimizer.register_step_post_hook(lambda opt, args, kwargs: sizes.append(
        (torch.cat([(p.detach() - b).flatten() for p, b in zip(params, before)]).norm()
         / torch.cat([b.flatten() for b in before]).norm()).item()))


def train_lm(name: str, schedule: str, lr: float | None = None, steps: int = STEPS):
    """One run of the sweep's recipe, at the stored best rate unless lr is given."""
    cls, settings = OPTIMIZERS[name]
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=words.vocab_size, context=32, n_layers=1, n_heads=4, d_model=64)).to(device)
    optimizer = cls(model.parameters(), lr=best(name, schedule)[1] if lr is None else lr, **settings)
    scheduler = warmup_cosine_scheduler(optimizer, warmup=WARMUP, total=STEPS) if schedule != "constant" else None
    sizes = []
    record_update_sizes(optimizer, list(model.parameters()), sizes)
    batches = torch.Generator().manual_seed(1)
    history = fit(model, optimizer, lambda step: lm_batch(train_ids, 16, 32, batches, device), steps,
                  scheduler=scheduler)
    with torch.inference_mode():
        return model, history, sizes, evaluate(model, val_batches)


runs = {(name, schedule): train_lm(name, schedule) for name in OPTIMIZERS for schedule in SCHEDULES}
print(f"{'':>15}  {'schedule':>16}  best lr   validation loss: stored   live")
for (name, schedule), (_, _, _, val) in runs.items():
    stored_loss, lr = best(name, schedule)
    print(f"{name:>15}  {schedule:>16}  {lr:<7}  {stored_loss:>22.3f}  {val:>6.3f}")

# %%
def smooth(values, k=10):
    return [sum(values[max(0, i - k + 1):i + 1]) / len(values[max(0, i - k + 1):i + 1]) for i in range(len(values))]


fig, axes = plt.subplots(1, 4, figsize=(15, 3.3), sharey=True)
for ax, name in zip(axes, OPTIMIZERS):
    for schedule, color in zip(SCHEDULES, ("C0", "C3")):
        ax.plot(smooth(runs[name, schedule][1].loss), color=color, label=f"{schedule} (lr {best(name, schedule)[1]})")
    ax.set(title=name, xlabel="step", ylim=(1.8, 4.4))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
axes[0].set_ylabel("training loss (mean of 10 steps)")
fig.tight_layout()
print(f"every run: {STEPS} steps × 16 windows = {STEPS * 16} training windows")

# %% [markdown]
# In this run, three observations:
#
# - **The optimizer matters most.** Momentum lifts SGD a long way; Adam and AdamW end lowest, because
#   dividing each coordinate by its own gradient scale suits a Transformer whose parameters have
#   gradients of very different sizes (chapter 8).
# - **Each at its best rate, the schedule did not win** at this short budget (compare the stored losses in
#   the table): warmup spends a tenth of the steps at low rates, and the cosine lowers the average rate.
# - **But the schedule changes which rates work.** The stored grid, below, shows the validation loss against
#   the (peak) rate with and without the schedule. For SGD, Adam and AdamW the schedule's best peak rate is
#   higher than the best constant rate, and at that peak a constant rate does worse: warmup is what
#   makes the higher rate usable. SGD + momentum is the exception here: at 0.3 the schedule ended worse
#   than a constant rate. Its best scheduled peak, 0.3, is the top of its grid, so this grid cannot say
#   whether a still higher peak would have helped.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.6, 1]})
for i, name in enumerate(OPTIMIZERS):
    results = sweep["results"][name]
    for schedule, style in zip(SCHEDULES, ("-", "--")):
        points = [(lr, v) for lr, v in zip(results["lrs"], results[schedule]) if v is not None]
        axes[0].plot(*zip(*points), ls=style, marker="o", ms=4, color=f"C{i}", label=f"{name}, {schedule}")
axes[0].set(xscale="log", xlabel="(peak) learning rate", ylabel=f"validation loss after {STEPS} steps",
            title="The stored grid (diverged runs left out)")
axes[0].legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), handlelength=4)
axes[1].plot([1.0] * STEPS, label="constant", color="C0")
axes[1].plot(ours, label="warmup + cosine", color="C3")
axes[1].set(xlabel="step", ylabel="lr / peak lr", title="The two schedules", ylim=(0, 1.1))
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()

print("at the schedule's best peak rate, the stored validation loss of each schedule:")
for name in OPTIMIZERS:
    results = sweep["results"][name]
    peak = best(name, "warmup + cosine")[1]
    at_peak = {s: results[s][results["lrs"].index(peak)] for s in SCHEDULES}
    print(f"{name:>15}, lr {peak:<5}: constant {at_peak['constant']:.3f}, warmup + cosine {at_peak['warmup + cosine']:.3f}")

# %% [markdown]
# ## Lab 2 — Why Adam wants warmup
#
# Adam divides the first moment by the square root of the second. On step 1 both are built from one
# gradient: m̂ = g and v̂ = g², so the update is η·g/(|g| + ε) ≈ ±η for every coordinate whose gradient is
# well above ε (all with |g| > 1e-6 here), however small or noisy that gradient was. Measured on the first
# step of the constant-rate Adam run's weights:

# %%
torch.manual_seed(0)
fresh = GPT(GPTConfig(vocab_size=words.vocab_size, context=32, n_layers=1, n_heads=4, d_model=64)).to(device)
start = [p.detach().clone() for p in fresh.parameters()]
first_lr = best("Adam", "constant")[1]
first = Adam(fresh.parameters(), lr=first_lr)
x, y = lm_batch(train_ids, 16, 32, torch.Generator().manual_seed(1), device)
fresh(x, y).loss.backward()
first.step()
moved = torch.cat([(p.detach() - s).abs().flatten() for p, s in zip(fresh.parameters(), start)])
grads = torch.cat([p.grad.abs().flatten() for p in fresh.parameters()])
print(f"gradients of the weights span {grads[grads > 0].min():.1e} to {grads.max():.1e}")
print(f"each weight with |g| > 1e-6 moved by: min {moved[grads > 1e-6].min():.3g}, max {moved.max():.3g}  (lr = {first_lr})")
tiny = (grads > 0) & (grads <= 1e-6)
print(f"{int(tiny.sum())} of {grads.numel():,} weights have 0 < |g| ≤ 1e-6; the smallest of them moved by "
      f"{moved[tiny].min():.1e}")

# %%
# NBVAL_CHECK_OUTPUT
share = ((moved - first_lr).abs() < 0.01 * first_lr)[grads > 1e-6].float().mean().item()
print(f"weights with a gradient above 1e-6 that moved by lr (±1 %) on Adam's first step: {share:.0%}")

# %% [markdown]
# Every weight whose gradient is well above ε takes a full-size step in a direction set by a single batch.
# At a high rate that is a jolt; warmup keeps the first steps small while v̂ gathers enough gradients to
# be a good estimate (Liu et al., 2020, trace Adam's early instability to this variance). To compare at
# the same peak rate, 0.01, we add the first 10 steps of Adam at a constant 0.01 to the update sizes
# recorded in Lab 1:

# %%
peak = best("Adam", "warmup + cosine")[1]
adam_high = train_lm("Adam", "constant", lr=peak, steps=10)[2]       # constant 0.01: its first 10 steps only
fig, ax = plt.subplots(figsize=(6.2, 3.4))
ax.plot(range(1, 11), adam_high, color="C1", marker=".", label=f"Adam, constant {peak} (10 steps)")
for name, style in (("Adam", "-"), ("SGD + momentum", "--")):
    for schedule, color in zip(SCHEDULES, ("C0", "C3")):
        lr_label = best(name, schedule)[1]
        ax.plot(range(1, STEPS + 1), runs[name, schedule][2], ls=style, color=color,
                label=f"{name}, {schedule} {lr_label}")
ax.set(yscale="log", xlabel="step", ylabel="‖Δθ‖ / ‖θ‖ per step", title="Size of each update")
ax.legend(fontsize=8)
ax.grid(alpha=0.3, which="both")
fig.tight_layout()

adam_const, adam_sched = runs["Adam", "constant"][2], runs["Adam", "warmup + cosine"][2]
print(f"Adam at peak {peak}, relative update at steps 1 / 6: constant {adam_high[0]:.2e} / {adam_high[5]:.2e}, "
      f"warmup {adam_sched[0]:.2e} / {adam_sched[5]:.2e}")
print(f"Adam, last 10 steps (mean): {sum(adam_const[-10:]) / 10:.2e} (constant {first_lr}) vs "
      f"{sum(adam_sched[-10:]) / 10:.2e} (cosine from {peak})")
momentum_sizes = runs["SGD + momentum", "constant"][2]
print("SGD + momentum (constant), relative update at steps 1 / 2 / 5 / 10: "
      + " / ".join(f"{momentum_sizes[k - 1]:.2e}" for k in (1, 2, 5, 10)))

# %% [markdown]
# At the same peak rate, 0.01, a constant rate gives Adam its biggest update on step 1, when the model
# knows least (about 6× warmup's first update in this run); by step 6, where warmup reaches the peak, the
# two are of similar size. The cosine tail then shrinks the updates at the end, where the loss is refined
# rather than reshaped. SGD + momentum's updates (last line) grow by about a third from step 1 to step 2
# as its buffer adds up, then stay level: no long warmup-like ramp here.

# %% [markdown]
# ## Lab 3 — How noisy is a mini-batch gradient?
#
# Take one model (Lab 1's AdamW run with the schedule, after training) and a pool of N = 64 training
# windows. The **full-batch** gradient is the mean over the pool. Because the loss is a mean over windows
# of equal length, any mini-batch gradient is the mean of its windows' gradients: we compute each
# window's gradient once, then draw 200 random mini-batches of each size B (without replacement) and
# compare. B = 1 is **single-sample** SGD.

# %%
model = runs["AdamW", "warmup + cosine"][0]
pool_x, pool_y = lm_batch(train_ids, 64, 32, torch.Generator().manual_seed(7), device)
per_window = []
for xi, yi in zip(pool_x, pool_y):
    model.zero_grad()
    model(xi[None], yi[None]).loss.backward()
    per_window.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
per_window = torch.stack(per_window)                 # (N, P): one gradient per window
full = per_window.mean(0)

draws = torch.Generator().manual_seed(0)
sizes = [1, 2, 4, 8, 16, 32, 64]
cosine, noise = {}, {}
for size in sizes:
    picks = torch.stack([torch.randperm(len(per_window), generator=draws)[:size] for _ in range(200)])
    averaging = torch.zeros(200, len(per_window)).scatter_(1, picks, 1.0 / size)   # (200, N): 1/B on each pick
    batch_grads = averaging.to(per_window.device) @ per_window                     # (200, P)
    cosine[size] = torch.cosine_similarity(batch_grads, full[None], dim=1).mean().item()
    noise[size] = ((batch_grads - full).pow(2).sum(1) / full.pow(2).sum()).mean().item()
for size in sizes:
    print(f"B = {size:>3}: mean cos(g_B, g_full) = {cosine[size]:.3f}   mean ‖g_B − g_full‖² / ‖g_full‖² = {noise[size]:.3g}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
axes[0].plot(sizes, [cosine[s] for s in sizes], marker="o")
axes[0].set(xscale="log", xlabel="batch size B (64 = full batch)", ylabel="mean cosine to the full gradient",
            title="Direction", ylim=(0, 1.05))
measured = [s for s in sizes if s < 64]
axes[1].plot(measured, [noise[s] for s in measured], marker="o", label="measured")
axes[1].plot(measured, [noise[1] / s for s in measured], ls="--", color="gray", label="noise at B = 1, divided by B")
axes[1].set(xscale="log", yscale="log", xlabel="batch size B", ylabel="‖g_B − g_full‖² / ‖g_full‖²",
            title="Noise")
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3, which="both")
fig.tight_layout()

slope = math.log(noise[16] / noise[1]) / math.log(16)
print(f"log-log slope of the noise from B = 1 to B = 16: {slope:.2f}")

# %%
# NBVAL_CHECK_OUTPUT
print("the full batch reproduces the full gradient (cos = 1):", abs(cosine[64] - 1) < 1e-4)
print("cosine to the full gradient rises with every doubling of B:", all(cosine[a] < cosine[b] for a, b in zip(sizes, sizes[1:])))
print("noise falls about as 1/B (slope between -1.2 and -0.8):", -1.2 < slope < -0.8)

# %% [markdown]
# A single window's gradient points only loosely toward the full-batch gradient; its noise is many times
# the signal. The noise falls as 1/B (it is an average of B independent draws; the last points bend down
# further because the pool is finite — Exercise 2 asks for the exact law). Two consequences for the
# common answer: SGD does not "need" a large batch; a small batch only gives it a noisier direction.
# And splitting a batch over devices and averaging their gradients (chapter 26) is exactly a larger B,
# whatever the optimizer. How the batch size and the learning rate should scale together is chapter 31.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Lab 1 called `warmup_cosine_scheduler` from the package. Write the schedule yourself,
# with an absolute final rate.

# %%
from course.selftest import exercise

exercise("21.warmup_cosine_lrs")

# %%
def warmup_cosine_lrs(steps, peak_lr, warmup, final_lr):
    # your code here
    raise NotImplementedError


exercise("21.warmup_cosine_lrs").check(warmup_cosine_lrs)

# %% [markdown]
# **Exercise 2.** Lab 3 measured the noise of mini-batch gradients by drawing 200 batches. Predict it
# exactly from the per-window gradients, without drawing any.

# %%
exercise("21.batch_noise")

# %%
def batch_noise(per_example, batch_size):
    # your code here
    raise NotImplementedError


exercise("21.batch_noise").check(batch_noise)

# %% [markdown]
# Stuck? `exercise("21.batch_noise").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(21)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 优化算法通过三条不同的途径提高训练效果。① 更新方向与尺度：动量对最近约 1/(1−μ) 个梯度做平均，累积一致方向、抵消噪声；Adam/AdamW 再按每个坐标的梯度均方根归一化步长，适合各参数梯度尺度差异很大的
# Transformer，同样步数下损失明显低于 SGD。② 学习率调度：线性 warmup + 余弦退火。Adam 第一步时每个有梯度的权重都移动整整一个 η（梯度远大于 ε 时），warmup 让 v̂ 先积累足够的梯度统计量；退火让后期的更新变小（本实验 60 步内，调度让更高的峰值学习率可用，但在各自最佳学习率下并未降低损失）。③ 批大小：小批量梯度的相对噪声
# ‖g_B−g‖²/‖g‖² 约按 1/B 下降，单样本梯度与全量梯度方向相差很大。SGD 并不“需要大批量”，小批量只是梯度噪声更大；并行训练靠把批拆到多卡再平均梯度，与具体优化器无关。梯度裁剪只能缩小梯度，防不了梯度消失。
#
# **English:** Optimizers improve training through three different levers. (1) Direction and scale: momentum
# averages the last ~1/(1−μ) gradients, adding up the consistent part and cancelling noise; Adam/AdamW also
# divide each coordinate by its gradient RMS, which suits Transformers whose gradients differ widely in
# scale — a clearly lower loss than SGD at the same budget. (2) The schedule: linear
# warmup then cosine decay. On Adam's first step every weight whose gradient is well above ε moves by a
# full η; warmup lets v̂ gather statistics first, and the decay makes late updates small (in this 60-step
# lab the schedule made a higher peak rate usable but did not lower the loss at each optimizer's best
# rate). (3) Batch size: the relative noise ‖g_B−g‖²/‖g‖² falls about as 1/B; a single example's gradient
# points far from the full one. SGD doesn't "need" big batches, small ones only give noisier gradients;
# parallel training splits the batch and averages gradients, whatever the optimizer. Clipping only
# shrinks gradients; it can't cure vanishing.

# %% [markdown]
# ## Further reading
#
# - Sutskever, Martens, Dahl, Hinton — *On the importance of initialization and momentum in deep learning* (2013).
# - Loshchilov, Hutter — *SGDR: Stochastic Gradient Descent with Warm Restarts* (2017): cosine schedules.
# - Goyal et al. — *Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour* (2017): warmup, batch size.
# - Liu et al. — *On the Variance of the Adaptive Learning Rate and Beyond* (2020): why Adam needs warmup.
# - McCandlish, Kaplan, Amodei et al. — *An Empirical Model of Large-Batch Training* (2018): the gradient-noise scale.
# - Brown et al. — *Language Models are Few-Shot Learners* (2020), appendix B: warmup + cosine for GPT-3.
