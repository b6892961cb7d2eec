# %% [markdown]
# # Chapter 26 · How do you design an optimizer suited to language models? (1)
#
# **题目：** 如何设计适合语言模型的优化算法？ — 请说明如何设计适合语言模型的优化算法。
#
# **Question:** How do you design an optimization algorithm suited to language models?
#
# **Time:** about 30 minutes · **Prerequisites:** [8 · optimizers](08_optimizers.ipynb),
# [21 · momentum and schedules](21_optimizers_training_effect.ipynb) · **Related:**
# [36 · designing an LM optimizer (2): memory](36_designing_optimizers_2.ipynb),
# [7 · gradient clipping](07_gradient_clipping.ipynb)
#
# Nobody designs a new optimizer for each language model: practice is AdamW, and the design work is in
# its settings and in how the step is spread over many machines. This chapter measures both. (Chapter 36
# takes the same question from the side of memory.)
#
# **Objectives**
# - Name AdamW's knobs — learning rate, β₂, ε, decoupled weight decay, warmup — and say what each does
#   to the update.
# - Measure which of them move a small LM's loss beyond seed-to-seed noise, in a stored sweep whose base
#   point is partly re-run live.
# - Train with PyTorch's `DistributedDataParallel` on 2 processes and check that the averaged gradient and
#   the weights equal single-process training on the combined batch.
# - Say what FSDP and ZeRO shard that data parallelism replicates.

# %% [markdown]
# ## Try first
#
# Your interview answer: which optimizer, which hyperparameters matter most and what values are typical
# for LLM pretraining, and how does training use many GPUs without changing the result?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “可以使用自适应学习率优化算法（如 Adam），以提高收敛速度” | **incomplete** | The choice is AdamW almost everywhere; what decides the result is its settings. The learning rate matters by far the most; β₂ = 0.95 (not the default 0.999), ε = 10⁻⁸ (GPT-3: Brown et al., 2020, appendix B) to 10⁻⁵ (Llama 2: Touvron et al., 2023) and weight decay 0.1 are the usual LLM values. | Labs 1–2 |
# | “通过梯度裁剪和权重衰减等方法，保持梯度在合理范围内” | **wrong** | Weight decay does not touch the gradient: AdamW shrinks the *weights* by lr·λ each step, outside the adaptive step. Clipping bounds the gradient's norm (chapter 7); under Adam, whose step hardly depends on the gradient's scale, its use is to keep one spike from inflating m and v for many steps. The stability knobs of an LM optimizer are the learning rate and warmup (Lab 2) and β₂ (Lab 1). | Labs 1–2 |
# | “可以使用并行计算和分布式训练技术，提高计算效率” | **incomplete** | Data parallelism is exact, not approximate: each process computes the gradient of its share of the batch and an all-reduce averages them, so every process steps with the full-batch gradient. It multiplies throughput, not memory; FSDP/ZeRO shard the model states to save memory. | Lab 3, chapter 36 |
# | “可以通过调整学习率、批量大小、动量参数等，找到最优的参数组合” | **incomplete** | Knobs are not equal, and a grid over all combinations is unaffordable at LLM scale: tune the learning rate first (with warmup), keep the well-tested defaults for the rest. | Lab 2 |
# | “可以使用通用的优化框架（如 TensorFlow、PyTorch），以支持各种优化算法” | **wrong** | A framework is not a property of an optimizer and does not make it adapt to anything; the optimizers themselves are a few lines each (chapter 8). | chapter 8 |

# %%
import json
import math
import time

import matplotlib.pyplot as plt
import torch

import course
from course.models import GPT, GPTConfig
from course.runtime import seed_everything
from course.text import WordTokenizer, grammar_corpus, lm_batch, train_val_split
from course.train import AdamW, evaluate, fit, warmup_cosine, warmup_cosine_scheduler

seed_everything(0)

# %% [markdown]
# ## Lab 1 — AdamW's knobs, and one training run
#
# One AdamW step on a weight θ with gradient g, at step t (Loshchilov & Hutter, 2019):
#
# | | update | knob |
# |---|---|---|
# | decay | θ ← θ · (1 − lr·λ) | weight decay λ, *decoupled*: outside the adaptive step |
# | momentum | m ← β₁·m + (1 − β₁)·g | β₁ (0.9 nearly always) |
# | scale | v ← β₂·v + (1 − β₂)·g² | β₂: how long v remembers; 0.95 in LLMs |
# | step | θ ← θ − lr · m̂ / (√v̂ + ε) | lr (with a schedule: warmup, then decay); ε |
#
# m̂ and v̂ are m and v with the bias correction 1/(1 − βᵗ). The step m̂/√v̂ is about ±1 per element, so
# **lr is the step size in weight units**. ε only matters where √v̂ is not much larger than ε.
#
# The base recipe of this chapter: a 2-layer GPT (width 64) on the course's grammar corpus, 100 steps of
# 32 sequences, AdamW with lr 3·10⁻³, β₂ 0.95, ε 10⁻⁸, λ 0.1, and 10 warmup steps before a cosine decay.
# This is the recipe of `tools/sweeps/ch26_adamw_knobs.py`, whose stored sweep Lab 2 plots. The script
# stored the base run's whole training curve; here we re-run its first 20 steps live (with the same 100-step
# schedule) and check them against the stored ones.

# %%
text = grammar_corpus(4000, seed=0)
words = WordTokenizer([text])
ids = torch.tensor([i for line in text.splitlines() for i in words.encode(line) + [words.eos_id]])
train_ids, val_ids = train_val_split(ids)
val_batches = [lm_batch(val_ids, 64, 32, torch.Generator().manual_seed(i)) for i in range(4)]
STEPS, LIVE_STEPS = 100, 20
BASE = {"lr": 3e-3, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1, "warmup": 10}


def train(knobs: dict, steps: int = STEPS):
    """The sweep's recipe, stopped after `steps` of its 100-step schedule: (model, optimizer, history, val loss)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=words.vocab_size, context=32, n_layers=2, n_heads=4, d_model=64))
    optimizer = AdamW(model.parameters(), lr=knobs["lr"], betas=(0.9, knobs["beta2"]), eps=knobs["eps"],
                      weight_decay=knobs["weight_decay"])
    batches = torch.Generator().manual_seed(1)
    history = fit(model, optimizer, lambda step: lm_batch(train_ids, 32, 32, batches), steps,
                  scheduler=warmup_cosine_scheduler(optimizer, warmup=knobs["warmup"], total=STEPS))
    return model, optimizer, history, evaluate(model, val_batches)


sweep = json.loads((course.DATA_DIR / "ch26_adamw_knobs.json").read_text())
model, optimizer, history, val_loss = train(BASE, LIVE_STEPS)
stored_curve = sweep["base_train_loss"]
print(f"live, {LIVE_STEPS} steps: training loss {history.loss[0]:.2f} → {history.final_loss:.2f}, "
      f"validation loss {val_loss:.3f} (stored: {sweep['check']['val_loss']:.3f})")
print(f"stored, all {len(stored_curve)} steps: training loss → {stored_curve[-1]:.2f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(range(len(stored_curve)), stored_curve, label="stored run (100 steps)")
axes[0].plot(history.step, history.loss, "--", label=f"live re-run ({LIVE_STEPS} steps)")
axes[0].set(xlabel="step", ylabel="training loss", title="Base recipe")
axes[0].legend(fontsize=8)
axes[1].plot(range(STEPS), [BASE["lr"] * warmup_cosine(t, warmup=BASE["warmup"], total=STEPS) for t in range(STEPS)])
axes[1].set(xlabel="step", ylabel="learning rate", title="10 warmup steps, then cosine to 10 %")
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Where does ε sit? The optimizer's state holds v for every weight. The bias-corrected √v̂ after the live steps,
# and the share of weights whose √v̂ is below each ε of the sweep — there, ε rather than √v̂ sets the step:

# %%
root_v = torch.cat([(s["exp_avg_sq"] / (1 - BASE["beta2"] ** s["step"])).sqrt().flatten()
                    for s in optimizer.state.values()])
print(f"√v̂ over all {root_v.numel():,} weights: median {root_v.median():.1e}, "
      f"1st percentile {root_v.quantile(0.01):.1e}")
for eps in (1e-8, 1e-6, 1e-4, 1e-3, 1e-2):
    print(f"ε = {eps:.0e}: √v̂ < ε for {(root_v < eps).float().mean():6.1%} of the weights")
for name, p in model.named_parameters():
    quiet = (optimizer.state[p]["exp_avg_sq"].sqrt() < 1e-8).nonzero().flatten()
    if len(quiet):
        print(f"√v̂ < 1e-8 in {name} (length {p.numel()}): {len(quiet)} entries, indices {quiet.min()}…{quiet.max()}; "
              f"the largest √v̂ among them {optimizer.state[p]['exp_avg_sq'][quiet].sqrt().max():.0e}")

# %% [markdown]
# At ε = 10⁻⁸ the only weights affected are ones whose gradient is zero up to rounding: entries 64…127 of
# each attention layer's `qkv_proj.bias` (queries, keys, values of width 64 each), the part that adds to the
# *keys*. Adding the same vector to every key shifts all of a query's scores by the same amount, which the
# softmax ignores. There ε only guards the division by (nearly) zero. At ε = 10⁻² it dominates the
# denominator of nearly all weights (at 10⁻³ of over a third), and the step shrinks towards lr·m̂/ε: Adam
# turns into momentum SGD with a smaller learning rate.

# %% [markdown]
# β₂ sets how long v remembers a gradient: after a spike, v decays by β₂ per step, so its half-life is
# ln 2 / −ln β₂ steps. Until v has forgotten, the spike keeps that weight's steps small; until v has
# *noticed* a sudden rise in the gradients, steps are too large — the reason LLM recipes lower β₂.

# %%
# NBVAL_CHECK_OUTPUT
for beta2 in (0.9, 0.95, 0.99, 0.999):
    print(f"β₂ = {beta2}: v's half-life {math.log(2) / -math.log(beta2):6.1f} steps")

# %% [markdown]
# The second effect, measured on one weight: Adam sees a gradient of 1 for 2,000 steps, then suddenly 10.
# Before the jump m̂/√v̂ = 1 (a step of lr); after it m̂ follows within a few steps, √v̂ only at β₂'s pace:

# %%
# NBVAL_CHECK_OUTPUT
for beta2 in (0.95, 0.999):
    m = v = 0.0
    after_jump = []
    for t in range(1, 2501):
        g = 1.0 if t <= 2000 else 10.0
        m, v = 0.9 * m + 0.1 * g, beta2 * v + (1 - beta2) * g * g
        if t > 2000:
            after_jump.append((m / (1 - 0.9 ** t)) / math.sqrt(v / (1 - beta2 ** t)))
    print(f"β₂ = {beta2}: largest step after the jump {max(after_jump):.2f} × lr")

# %% [markdown]
# ## Lab 2 — Which knobs matter: a sweep
#
# Each knob varied alone around the base recipe; plus warmup at a learning rate ten times higher, where
# it should matter. These runs of 100 steps each exceed this chapter's time budget, so
# `tools/sweeps/ch26_adamw_knobs.py` ran them and stored the results in `data/ch26_adamw_knobs.json`.
# It also ran the base recipe with two more seeds (initialisation and batch order): a difference between
# two knob values smaller than the spread between seeds is noise. First, does the live run reproduce the
# stored one?

# %%
stored = next(p["val_loss"] for p in sweep["points"] if p["knob"] == "lr" and p["lr"] == BASE["lr"])
seed_losses = [s["val_loss"] for s in sweep["base_seeds"]]
noise = max(seed_losses) - min(seed_losses)
print(f"{len(sweep['points'])} stored runs; base point after {LIVE_STEPS} steps: stored validation loss "
      f"{sweep['check']['val_loss']:.3f}, live {val_loss:.3f}")
print(f"base point after {STEPS} steps, seeds 0, 1, 2: " + ", ".join(f"{v:.3f}" for v in seed_losses)
      + f" — seed spread {noise:.3f}")

# %%
# NBVAL_CHECK_OUTPUT
print(f"the live run reproduces the stored first {LIVE_STEPS} steps (validation loss within 0.03):",
      abs(val_loss - sweep["check"]["val_loss"]) < 0.03)

# %%
knobs = ["lr", "beta2", "eps", "weight_decay", "warmup"]
labels = {"lr": "learning rate", "beta2": "β₂", "eps": "ε", "weight_decay": "weight decay λ",
          "warmup": "warmup steps"}
fig, axes = plt.subplots(1, 5, figsize=(14, 3.2), sharey=True)
top = 3.6
for ax, knob in zip(axes, knobs):
    runs = [p for p in sweep["points"] if p["knob"] == knob]
    xs = [p[knob] for p in runs]
    if knob == "beta2":                       # evenly spaced categories: 0.9 … 0.999
        ax.set_xticks(range(len(xs)), [str(x) for x in xs])
        xs = list(range(len(xs)))
    ys = [p["val_loss"] if p["val_loss"] is not None else math.nan for p in runs]
    ax.plot(xs, ys, marker="o", label=f"lr {BASE['lr']:g}")
    if knob == "warmup":
        high = [p for p in sweep["points"] if p["knob"] == "warmup at lr 3e-2"]
        ax.plot([p["warmup"] for p in high], [p["val_loss"] if p["val_loss"] is not None else math.nan
                                              for p in high], marker="s", label="lr 0.03")
        ax.legend(fontsize=8)
    base_x = runs.index(next(p for p in runs if p[knob] == BASE[knob])) if knob == "beta2" else BASE[knob]
    ax.scatter([base_x], [stored], s=120, facecolors="none", edgecolors="red", zorder=5)
    ax.axhspan(min(seed_losses), max(seed_losses), color="grey", alpha=0.3, lw=0)
    if knob in ("lr", "eps"):
        ax.set_xscale("log")
    ax.set(xlabel=labels[knob], ylim=(1.5, top))
    ax.grid(alpha=0.3)
axes[0].set_ylabel("validation loss after 100 steps")
fig.suptitle("AdamW's knobs one at a time (red circle: the base recipe; grey band: its spread over 3 seeds)",
             fontsize=10)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print(f"seed spread of the base point: {noise:.3f}")
print(f"{'knob':>17}  spread  {'':<18}  validation loss at each value")
spread = {}
for knob in knobs + ["warmup at lr 3e-2"]:
    runs = [p for p in sweep["points"] if p["knob"] == knob]
    losses = [p["val_loss"] if p["val_loss"] is not None else math.inf for p in runs]
    spread[knob] = max(losses) - min(losses)
    key = "warmup" if knob.startswith("warmup") else knob
    verdict = "beyond seed noise" if spread[knob] > noise else "within seed noise"
    print(f"{knob:>17}  {spread[knob]:6.2f}  {verdict:<18}  "
          + ", ".join(f"{p[key]:g}: {p['val_loss']:.2f}" for p in runs))
print("the learning rate has the largest spread:", max(spread, key=spread.get) == "lr")

# %% [markdown]
# In this sweep the learning rate moves the loss most, by far: too small and 100 steps are not enough
# (3.25 at lr 3·10⁻⁴), too large and the loss ends higher (2.40 at lr 0.1). Any difference below the seed
# spread (0.045) is noise. Warmup does not move the loss beyond it at the base learning rate, but it does
# at the high one, where the first steps, taken with an Adam denominator estimated from a few gradients,
# are the dangerous ones: 30 warmup steps turn lr 0.03 from one of the worst runs into one of the best
# (2.24 → 1.69). Warmup is what lets a larger learning rate be used. ε is harmless until it reaches the
# size of √v̂ (Lab 1), then it slows training (1.95 at 10⁻³, 2.28 at 10⁻²). β₂ does not move a 100-step
# run beyond seed noise, and weight decay only at λ = 1, ten times the usual value (1.90); between 0 and
# 0.3 (1.83–1.85) which value comes out best is chance. Their effects — β₂ = 0.95 reacting faster to a jump in the gradients than 0.999 (Lab 1),
# decay keeping weights from growing over a long run — show at scale and over long training, which is why
# LLM recipes still set them (GPT-3: β₂ 0.95, λ 0.1). The practical order: tune lr (and its warmup) first,
# keep the tested defaults for the rest. A modern alternative to the cosine schedule keeps lr constant
# after warmup and decays only at the end ("warmup–stable–decay",
# Hu et al., 2024, MiniCPM), so a run can be extended without restarting: exercise 2.

# %% [markdown]
# ## Lab 3 — Data parallelism with PyTorch's DistributedDataParallel
#
# Data parallelism runs one copy of the model per process (one per GPU in practice). Each step, every
# process takes its own share of the batch, runs forward and backward, and then the processes
# **all-reduce** their gradients: each ends up with the mean over all processes, i.e. the gradient of
# the whole batch, and every copy takes the same optimizer step. PyTorch's
# `DistributedDataParallel` (DDP; Li et al., 2020) does the all-reduce during `backward()`, in buckets,
# overlapped with the computation of the remaining gradients.
#
# We start 2 processes on this machine with the CPU backend `gloo`. Jupyter cannot send a function defined
# in a cell to a new process, so the worker lives in `course.distributed` and `launch` starts it with
# `torch.multiprocessing` (rendezvous on a free localhost port; on Linux and macOS the processes are forked
# from a server that has imported torch once, rather than each importing it anew). The worker, in full:

# %%
from course.distributed import _train, data_parallel_run, single_process_run

course.show(_train)

# %% [markdown]
# Two more AdamW steps for the model of Lab 1 (the shape of `GPTConfig.preset("tiny")`), each on a batch of
# 16 sequences: with DDP on 2 processes (8 sequences each), and in this process on all 16. Two steps are
# enough: most of the time goes into starting the processes, not into training.

# %%
step_batches = torch.Generator().manual_seed(2)
batches = [lm_batch(train_ids, 16, 32, step_batches) for _ in range(2)]
start = time.perf_counter()
ranks = data_parallel_run(model, batches, world_size=2, lr=1e-3)
print(f"2 processes started, trained and stopped in {time.perf_counter() - start:.1f} s "
      f"(mostly starting Python and importing torch, and torch._dynamo, which DDP loads)")
single = single_process_run(model, batches, lr=1e-3)

# %%
names = list(single.grads)


def max_diff(a: dict, b: dict) -> float:
    return max(float((a[n] - b[n]).abs().max()) for n in names)


def flat(d: dict) -> torch.Tensor:
    return torch.cat([d[n].flatten() for n in names])


local_vs_full = [max_diff(r.local_grads, single.grads) for r in ranks]
mean_local = {n: (ranks[0].local_grads[n] + ranks[1].local_grads[n]) / 2 for n in names}
start_w = flat({n: p.detach() for n, p in model.named_parameters()})
moved = flat(single.weights) - start_w                           # what 2 single-process steps changed
gap = flat(ranks[0].weights) - flat(single.weights)              # DDP's weights minus single-process weights
sizable = flat(single.grads).abs() > 1e-6                        # weights whose first gradient is not tiny
print(f"each process's own gradient vs the full-batch gradient: max |diff| {local_vs_full[0]:.1e}, "
      f"{local_vs_full[1]:.1e}")
print(f"DDP's gradient vs the full-batch gradient: max |diff| {max_diff(ranks[0].grads, single.grads):.1e}")
print(f"weights after 2 steps: largest change made by the steps {moved.abs().max():.1e}; DDP − single: "
      f"max |diff| {gap.abs().max():.1e} over all weights, {gap[sizable].abs().max():.1e} over the "
      f"{sizable.float().mean():.1%} whose full-batch gradient exceeds 1e-6")
worst = gap.abs().argmax()
print(f"the largest difference is at a weight whose full-batch gradient is {flat(single.grads)[worst]:.1e}")

# %%
# NBVAL_CHECK_OUTPUT
print("the processes' own gradients differ (each saw half the batch):",
      max_diff(ranks[0].local_grads, ranks[1].local_grads) > 1e-4)
print("DDP's gradient is the mean of the two:", max_diff(ranks[0].grads, mean_local) < 1e-6)
print("… which is the gradient of the combined batch:", max_diff(ranks[0].grads, single.grads) < 1e-6)
print("both processes hold identical weights after 2 steps:", max_diff(ranks[0].weights, ranks[1].weights) == 0)
print("… equal to single-process training wherever the gradient is not tiny (|diff| < 1e-6):",
      bool(gap[sizable].abs().max() < 1e-6))

# %%
per_tensor_local = [max(float((r.local_grads[n] - single.grads[n]).abs().max()) for r in ranks) for n in names]
per_tensor_ddp = [float((ranks[0].grads[n] - single.grads[n]).abs().max()) for n in names]
fig, ax = plt.subplots(figsize=(9, 3.2))
pos = torch.arange(len(names))
ax.bar(pos - 0.2, per_tensor_local, width=0.4, label="one process's own gradient")
ax.bar(pos + 0.2, [max(d, 1e-12) for d in per_tensor_ddp], width=0.4,
       label="after DDP's all-reduce (no bar: exactly equal)")
ax.set(yscale="log", ylabel="max |g − g_full batch|", xlabel="parameter tensor (embeddings … final norm)",
       title="Distance from the full-batch gradient, per parameter tensor", ylim=(1e-12, 1e2))
ax.set_xticks([])
ax.legend(fontsize=8, ncol=2, loc="upper center")
ax.grid(alpha=0.3, axis="y")
fig.tight_layout()

# %% [markdown]
# The equality has conditions, each a classic bug when broken: every process must start from the same
# weights (DDP broadcasts rank 0's at construction), take an **equal share** of the batch (the average of
# per-process means is the full-batch mean only when every process averages over the same number of
# tokens — exercise 1), and see **different** data (a `DistributedSampler`); dropout needs a different
# random stream per process. Differences of up to about 10⁻⁸ in the gradients remain: the all-reduce adds
# in another order than one process would. Adam magnifies them only where a gradient is itself that small
# (its first steps are close to lr·sign(g)), which is where the largest weight difference above sits;
# wherever the gradient is not tiny, the weights agree to about 10⁻⁸.
#
# **Memory.** DDP replicates everything: each process holds all weights, gradients and optimizer states.
# ZeRO (Rajbhandari et al., 2020) removes that redundancy in stages — stage 1 shards the optimizer states
# over the processes, stage 2 the gradients too, stage 3 the weights too, gathering each layer's weights
# just before it is used. PyTorch's **FSDP** (Zhao et al., 2023) is stage 3 (with stage-2-like options);
# DeepSpeed implements all three. Chapter 36 computes what each stage saves for 7B and 70B models.
# Tensor and pipeline parallelism (splitting each layer, or the stack of layers, over GPUs;
# Shoeybi et al., 2019) are the other two axes used at scale.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** DDP averages the per-process gradients with equal weights. When processes hold
# different numbers of real (non-padding) tokens, that is not the gradient of the batch. Fix it.

# %%
from course.selftest import exercise

exercise("26.combine_grads")

# %%
def combine_grads(grads, tokens):
    # your code here
    raise NotImplementedError


exercise("26.combine_grads").check(combine_grads)

# %% [markdown]
# **Exercise 2.** The warmup–stable–decay schedule mentioned at the end of Lab 2.

# %%
exercise("26.wsd_lr")

# %%
def wsd_lr(step, peak_lr, warmup, decay, total, min_lr=0.0):
    # your code here
    raise NotImplementedError


exercise("26.wsd_lr").check(wsd_lr)

# %% [markdown]
# Stuck? `exercise("26.wsd_lr").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(26)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 实践中很少为语言模型“发明”优化器，几乎都用 AdamW，关键在超参数和分布式。学习率影响最大，先调它，配合预热（warmup）和余弦或 WSD 衰减；β₂ 常取 0.95（比默认 0.999 更快适应梯度突变），ε 取 1e-8 到 1e-5，只防除零，过大会让 Adam 退化为小学习率的动量 SGD；权重衰减 0.1 是解耦的，直接收缩权重，不是“控制梯度范围”。稳定性：lr 与预热（Lab 2 实测）；大规模训练再加梯度裁剪和 β₂ = 0.95。多卡训练用数据并行：每卡算一部分
# batch 的梯度，all-reduce 求平均，结果与单卡在整个 batch 上训练相同（DDP）；要求各卡参与平均的有效 token
# 数相等（否则按 token 数加权），且数据不同。数据并行不省显存，ZeRO/FSDP 依次切分优化器状态、梯度和权重。
#
# **English:** In practice one does not invent an optimizer per LM: it is AdamW, and the design is in its
# settings and in distribution. The learning rate matters most — tune it first, with warmup and a cosine
# (or warmup–stable–decay) schedule. β₂ = 0.95 reacts faster to gradient jumps than 0.999; ε (1e-8 to 1e-5)
# only prevents division by zero, and a large ε turns Adam into momentum SGD with a smaller step; weight
# decay 0.1 is decoupled and shrinks weights — it does not bound gradients. Stability: lr and warmup
# (measured in Lab 2); at scale also clipping and β₂ = 0.95. Across GPUs, data parallelism (DDP)
# all-reduces the mean gradient, which equals the full-batch gradient when every process averages over
# equal numbers of real tokens. It saves no memory; ZeRO/FSDP shard optimizer states, gradients and weights.

# %% [markdown]
# ## Further reading
#
# - Kingma, Ba — *Adam: A Method for Stochastic Optimization* (2015).
# - Loshchilov, Hutter — *Decoupled Weight Decay Regularization* (2019): AdamW.
# - Brown et al. — *Language Models are Few-Shot Learners* (2020), appendix B: GPT-3's optimizer settings.
# - Touvron et al. — *Llama 2: Open Foundation and Fine-Tuned Chat Models* (2023): AdamW with ε = 10⁻⁵.
# - Li et al. — *PyTorch Distributed: Experiences on Accelerating Data Parallel Training* (2020): DDP.
# - Rajbhandari, Rasley, Ruwase, He — *ZeRO: Memory Optimizations Toward Training Trillion Parameter Models* (2020).
# - Zhao et al. — *PyTorch FSDP: Experiences on Scaling Fully Sharded Data Parallel* (2023).
# - Shoeybi et al. — *Megatron-LM: Training Multi-Billion Parameter Language Models Using Model Parallelism* (2019).
# - Hu et al. — *MiniCPM: Unveiling the Potential of Small Language Models with Scalable Training Strategies* (2024): WSD.
