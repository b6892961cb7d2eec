# %% [markdown]
# # Chapter 31 · How do optimization algorithms shape the training process?
#
# **题目：** 语言模型中的优化算法如何影响训练过程？ — 请解释语言模型中的优化算法如何影响训练过程。
#
# **Question:** How do the optimization algorithms of a language model affect the training process?
#
# **Time:** about 30 minutes · **Prerequisites:** [8 · optimizers](08_optimizers.ipynb),
# [21 · how optimizers improve training](21_optimizers_training_effect.ipynb) · **Related:**
# [26 · designing an LM optimizer (1)](26_designing_optimizers_1.ipynb), [22 · regularization vs overfitting](22_regularization_overfitting.ipynb)
#
# **Objectives**
# - Train the same language model at four batch sizes, with and without the linear learning-rate scaling
#   rule, and see where scaling stops working.
# - Measure the gradient noise scale B_simple = tr(Σ)/|G|² from per-example gradients and with the
#   cheap two-batch estimator, and read it as the batch size beyond which larger batches stop paying.
# - Compare the end points that small- and large-batch training reach with loss-surface slices.
# - Decide when to stop from a validation curve.

# %% [markdown]
# ## Try first
#
# You move from 1 GPU to 8 and multiply the batch size by 8. What do you do with the learning rate, and how
# would you know whether the larger batch still buys you anything?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “随机梯度下降（SGD）通常收敛速度较快，但可能需要较大的批量大小” | **wrong** | Batch size is a choice for any optimizer, not a need of SGD. Per example seen, small batches learn at least as fast; a larger batch helps only by allowing a proportionally larger learning rate (fewer, bigger steps), and only up to about the gradient noise scale. | Labs 1–2 |
# | “Adam 可以通过并行计算和分布式训练技术，提高计算效率” | **wrong** | Parallelism comes from splitting the *batch* across devices (data parallelism, chapter 26), which works for any optimizer; Adam costs slightly *more* per step (two moment buffers, printed in Lab 1). | Lab 1 |
# | “SGD 每次更新一个样本的梯度” | **incomplete** | In practice “SGD” means mini-batch SGD: each step averages the gradients of B examples, and B sets how noisy the step is — tr(Σ)/B. | Lab 2 |
# | “Adam 优化算法通过自适应调整学习率和动量，提高了训练过程的稳定性” | **incomplete** | Adaptivity rescales per parameter but does not remove the need to match the learning rate to the batch size, nor the noise/curvature trade-off. The labs here run SGD; chapter 21 compares the optimizers, chapter 8 writes Adam out. | chapters 8, 21 |
# | “不稳定的优化算法可能导致…梯度消失或梯度爆炸” | **wrong** | Vanishing and exploding gradients come from the network's Jacobians multiplied layer by layer or step by step (chapter 20); the optimizer only scales the steps it takes with them. What a badly set optimizer does cause is divergence: too large a step (Lab 1, B = 2,048 at lr 6.4). | Lab 1; chapter 20 |
# | “收敛准则：设置最大迭代次数或收敛阈值…根据模型的性能指标进行动态调整” | **incomplete** | Stopping is decided on **held-out** data, not by the training loss: stop when the validation loss stops improving (patience) and restore the best checkpoint. | Lab 4 |
# | (missing) | — | The batch-size/learning-rate coupling (linear scaling, Goyal et al., 2017), the noise scale that bounds it (McCandlish et al., 2018), and what batch size does to the point training reaches (Keskar et al., 2017). | Labs 1–3 |

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course.pretrained import corpus_lines
from course.runtime import seed_everything
from course.text import WordTokenizer
from course.train import gradient_noise_scale, noise_scale_from_batches
from course.viz.plots import smooth

generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Batch size and learning rate
#
# A model small enough to train many times: a word-level **MLP language model** (Bengio et al., 2003) that
# predicts the next word of the course corpus from the previous three. Training data are all 3-word
# windows of 3,000 corpus lines; validation windows come from 500 lines of another seed, keeping only lines
# that do not occur among the 3,000 (short lines of the corpus's small grammar recur across seeds).

# %%
lines = corpus_lines(3000, seed=0)
tok = WordTokenizer(lines)
CONTEXT = 3


def windows(text_lines):
    """(N, 3) previous words and (N,) next word, for every position of every line."""
    xs, ys = [], []
    for line in text_lines:
        ids = [tok.bos_id] * CONTEXT + tok.encode(line) + [tok.eos_id]
        xs += [ids[i - CONTEXT:i] for i in range(CONTEXT, len(ids))]
        ys += ids[CONTEXT:]
    return torch.tensor(xs), torch.tensor(ys)


x_train, y_train = windows(lines)
seen_lines = set(lines)
val_lines = [line for line in corpus_lines(650, seed=10_000) if line not in seen_lines][:500]
x_val, y_val = windows(val_lines)


class MLPLanguageModel(nn.Module):
    """(B, 3) word ids -> (B, V) next-word logits: embed, concatenate, one tanh layer."""

    def __init__(self, vocab: int, d: int = 32, hidden: int = 128):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.mlp = nn.Sequential(nn.Linear(CONTEXT * d, hidden), nn.Tanh(), nn.Linear(hidden, vocab))

    def forward(self, x):
        return self.mlp(self.embed(x).flatten(1))


def new_model():
    torch.manual_seed(0)
    return MLPLanguageModel(tok.vocab_size)


@torch.inference_mode()
def mean_loss(model, x, y):
    return float(F.cross_entropy(model(x), y))


print(f"vocabulary {tok.vocab_size} words; {len(y_train):,} training and {len(y_val):,} validation windows "
      f"({len(val_lines)} validation lines, none among the training lines: {not seen_lines & set(val_lines)}); "
      f"{sum(p.numel() for p in new_model().parameters()):,} parameters")

# %% [markdown]
# What an optimizer keeps between steps, after one step on this model: plain SGD nothing, Adam two moment
# buffers of the model's size (which is also why it costs a little more per step).

# %%
# NBVAL_CHECK_OUTPUT
for name, make in (("SGD", lambda ps: torch.optim.SGD(ps, lr=0.1)), ("Adam", lambda ps: torch.optim.Adam(ps, lr=1e-3))):
    m = new_model()
    opt = make(m.parameters())
    F.cross_entropy(m(x_train[:32]), y_train[:32]).backward()
    opt.step()
    floats = sum(v.numel() for state in opt.state.values() for k, v in state.items()
                 if torch.is_tensor(v) and k != "step")
    print(f"{name:>4}: {floats:,} floats of optimizer state ({floats / sum(p.numel() for p in m.parameters()):g} × the parameters)")

# %% [markdown]
# Every run sees the **same number of examples**, 16,384 (about half an epoch), with plain SGD: a batch of
# 32 takes 512 steps, a batch of 2,048 only 8. Two rules for the learning rate: keep it at 0.1 whatever the
# batch, or scale it linearly, `lr = 0.1 · B / 32` (Goyal et al., 2017). The reasoning behind linear
# scaling: one step on a batch of kB examples averages the same gradients as k steps on batches of B, so
# it should move k times as far — as long as the gradient barely changes over those k small steps.

# %%
EXAMPLES, BASE_BATCH, BASE_LR = 16_384, 32, 0.1
BATCHES = [32, 128, 512, 2048]


def train_sgd(batch, lr):
    model, data = new_model(), torch.Generator().manual_seed(1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    seen, losses = [], []
    for step in range(EXAMPLES // batch):
        idx = torch.randint(0, len(y_train), (batch,), generator=data)
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen.append((step + 1) * batch)
        losses.append(loss.item())
    return model, seen, losses


runs = {}
for batch in BATCHES:
    for rule, lr in (("linear scaling", BASE_LR * batch / BASE_BATCH), ("fixed lr", BASE_LR)):
        if rule == "fixed lr" and batch == BASE_BATCH:
            runs[batch, rule] = runs[batch, "linear scaling"]        # the same run
            continue
        runs[batch, rule] = train_sgd(batch, lr)

val_loss = {key: mean_loss(model, x_val, y_val) for key, (model, _, _) in runs.items()}
print(f"{'batch':>6} {'steps':>6}   validation loss: linear scaling (lr)   fixed lr 0.1")
for batch in BATCHES:
    print(f"{batch:>6} {EXAMPLES // batch:>6}   {val_loss[batch, 'linear scaling']:>20.3f} "
          f"({BASE_LR * batch / BASE_BATCH:>4.1f})   {val_loss[batch, 'fixed lr']:>12.3f}")
worst = runs[2048, "linear scaling"][2]
print(f"\nB = 2048 at lr 6.4, training loss step by step: {[round(v, 1) for v in worst]}")

# %% [markdown]
# With a fixed learning rate a larger batch is simply fewer steps of the same size: after the same examples
# the loss is far worse. With linear scaling the batch sizes up to 512 reach nearly the same loss in a
# fraction of the steps — *that* is what a larger batch buys: fewer sequential steps, which parallel
# hardware turns into less wall-clock time. At 2,048 (lr 6.4) scaling breaks, in this run violently: by
# the fourth step the loss has jumped to 14 (printed above). Why there, and why at the start? Lab 2
# measures it.

# %% [markdown]
# ## Lab 2 — The gradient noise scale
#
# A mini-batch gradient is the true gradient G plus noise whose size shrinks as 1/B: its expected squared
# norm is `E|G_B|² = |G|² + tr(Σ)/B`, with Σ the covariance of a single example's gradient. The two terms are
# equal at `B_simple = tr(Σ)/|G|²`, the **gradient noise scale** (McCandlish, Kaplan, Amodei et al., 2018):
# well below it a batch gradient is mostly noise, and doubling B halves the noise — as good as two steps;
# well above it the batch gradient is already close to G, and more examples per step are wasted.
#
# `gradient_noise_scale` estimates |G|² and tr(Σ) without bias from the per-example gradients of N examples
# (with `torch.func.vmap`; below N = 1,024 of the 31,272 training windows). The two-batch estimator needs only the norms of two ordinary batch gradients — what
# one can afford in a large training run, where small batches exist anyway on each device.

# %%
# NBVAL_CHECK_OUTPUT
model, few = new_model(), torch.arange(64)
per_example = []
for i in few:                                          # the slow way: one ordinary backward pass per example
    model.zero_grad()
    F.cross_entropy(model(x_train[i:i + 1]), y_train[i:i + 1]).backward()
    per_example.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
grads_by_loop = torch.stack(per_example).double()                     # (64, P)
trace_by_loop = float(grads_by_loop.var(dim=0).sum())
g_sq_by_loop = float(grads_by_loop.mean(0).pow(2).sum()) - trace_by_loop / len(few)
fast = gradient_noise_scale(model, F.cross_entropy, x_train[few], y_train[few])
print("tr(Σ) from torch.func equals a loop of backward passes:", abs(fast.trace_sigma / trace_by_loop - 1) < 1e-4)
print("|G|² from torch.func equals a loop of backward passes:", abs(fast.g_sq / g_sq_by_loop - 1) < 1e-3)

# %%
def batch_grad_sq_norm(model, batch, generator):
    idx = torch.randint(0, len(y_train), (batch,), generator=generator)
    model.zero_grad()
    F.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
    return sum(float(p.grad.pow(2).sum()) for p in model.parameters())


probe = torch.randperm(len(y_train), generator=torch.Generator().manual_seed(2))[:1024]
trained = runs[BASE_BATCH, "linear scaling"][0]
noise = {}
for name, model in (("at initialization", new_model()), ("after the batch-32 run", trained)):
    per_ex = gradient_noise_scale(model, F.cross_entropy, x_train[probe], y_train[probe], chunk=512)
    g = torch.Generator().manual_seed(3)
    two_batch = []
    for _ in range(5):                                  # the two-batch estimate, repeated on fresh batches
        small = sum(batch_grad_sq_norm(model, 32, g) for _ in range(30)) / 30
        big = sum(batch_grad_sq_norm(model, 1024, g) for _ in range(4)) / 4
        two_batch.append(noise_scale_from_batches(small, big, 32, 1024).b_simple)
    noise[name] = per_ex
    print(f"{name:>23}: |G|² = {per_ex.g_sq:.3g}, tr(Σ) = {per_ex.trace_sigma:.3g}; B_simple per-example "
          f"{per_ex.b_simple:,.0f}, from two batch sizes (5 repeats) {min(two_batch):,.0f}–{max(two_batch):,.0f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
TOP = 6.0                                                  # the axes stop here; a diverged run is marked instead
for batch in BATCHES:
    _, seen, losses = runs[batch, "linear scaling"]
    axes[0].plot(seen, smooth(losses, max(1, 64 // (batch // 32))) if len(losses) > 8 else losses,
                 label=f"B = {batch}, lr {BASE_LR * batch / BASE_BATCH:g}")
axes[0].set(xlabel="examples seen", ylabel="training loss (smoothed)", ylim=(2, TOP),
            title="Linear scaling: loss per example seen (B = 2048 leaves the chart)")
axes[0].legend(fontsize=8)
for rule, marker in (("linear scaling", "o"), ("fixed lr", "s")):
    values = [val_loss[b, rule] for b in BATCHES]
    axes[1].plot(BATCHES, [min(v, TOP - 0.1) for v in values], marker=marker, label=rule)
    for b, v in zip(BATCHES, values):
        if v > TOP:
            axes[1].annotate(f"diverged ({v:.0f})", xy=(b, TOP - 0.1), xytext=(-70, -14), textcoords="offset points",
                             fontsize=8, arrowprops=dict(arrowstyle="->", lw=0.8))
for name, ls in (("at initialization", "--"), ("after the batch-32 run", ":")):
    axes[1].axvline(noise[name].b_simple, color="gray", ls=ls, label=f"B_simple {name} ≈ {noise[name].b_simple:,.0f}")
axes[1].set(xscale="log", ylim=(2, TOP), xlabel="batch size B (same examples seen)",
            ylabel="validation loss at the end", title="Where larger batches stop paying")
axes[1].legend(fontsize=8, loc="center left")
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# The noise scale **grows during training**: at initialization the gradient is large and consistent across
# examples (a small B_simple, printed above); as the loss falls, |G|² falls threefold (0.247 → 0.086) while
# tr(Σ) even rises (47.8 → 66.8), and B_simple rises from 193 to 777. That explains Lab 1. Linear scaling
# assumes a batch of kB behaves like k steps of B, which holds while B is below the noise scale *of the
# moment*. At the start that is a few hundred, so a batch of 2,048 with 64 times the learning rate takes
# giant steps on an almost noise-free gradient and overshoots; as the noise scale grows during training,
# larger batches become usable. Hence the two standard remedies: a learning-rate **warmup** (Goyal et al., 2017) and a batch size
# that **ramps up** during training (GPT-3 ramps it over the first 4–12 billion tokens; Brown et al., 2020,
# appendix B). The noise scale is an order-of-magnitude guide, not a sharp threshold. Neither number above
# is exact: the per-example one is an unbiased estimate from 1,024 windows, and the cheap two-batch
# estimate, repeated on fresh batches, spreads over the range printed above (181–204 at initialization,
# 669–969 after training). Both ranges contain the per-example estimate: good enough for a guide.
# The per-example check above matches a plain loop of backward passes; it says the code is right, not
# that 1,024 windows pin B_simple down exactly.

# %% [markdown]
# ## Lab 3 — Sharp and flat minima: a slice through the loss surface
#
# Keskar et al. (2017) observed that large-batch training tends to end in **sharper** minima than
# small-batch training, and that sharper minima generalise worse. Our models trained for half an epoch, so
# their weights θ are the end points of training, not minima (the slices below go lower than θ in some
# directions). We still look along one random direction d through each end point θ: `L(θ + α·d)` for α from −1 to 1. A raw random direction would be
# unfair to layers with small weights, so d is **filter-normalised** (Li et al., 2018): each row of d is
# rescaled to the norm of the same row of θ.

# %%
def filter_normalised_direction(model, seed):
    g = torch.Generator().manual_seed(seed)
    direction = []
    for p in model.parameters():
        d = torch.randn(p.shape, generator=g)
        if p.dim() > 1:                                                     # one row = one filter/neuron
            d *= p.detach().norm(dim=1, keepdim=True) / d.norm(dim=1, keepdim=True)
        else:
            d.zero_()                                                       # biases stay put (Li et al.)
        direction.append(d)
    return direction


@torch.inference_mode()
def loss_slice(model, alphas, seed=0, n=4096):
    direction, base = filter_normalised_direction(model, seed), [p.detach().clone() for p in model.parameters()]
    losses = []
    for a in alphas:
        for p, p0, d in zip(model.parameters(), base, direction):
            p.copy_(p0 + a * d)
        losses.append(mean_loss(model, x_train[:n], y_train[:n]))
    for p, p0 in zip(model.parameters(), base):
        p.copy_(p0)                                                         # leave the model as it was
    return losses


alphas = torch.linspace(-1, 1, 13).tolist()
at_zero, at_half = 6, 9                                                     # α = 0 and α = 0.5
slices = {}
for batch in (32, 512):
    model = runs[batch, "linear scaling"][0]
    slices[batch] = [loss_slice(model, alphas, seed=s) for s in range(2)]
    rise = sum(sl[at_half] - sl[at_zero] for sl in slices[batch]) / 2
    lowest = [alphas[min(range(len(sl)), key=sl.__getitem__)] for sl in slices[batch]]
    print(f"B = {batch:>4}: training loss at θ {slices[batch][0][at_zero]:.3f}; rise at α = 0.5 "
          f"(mean of 2 directions) {rise:.3f}; validation loss {val_loss[batch, 'linear scaling']:.3f}; "
          f"lowest point of each slice at α = {', '.join(f'{a:+.2f}' for a in lowest)}")

fig, ax = plt.subplots(figsize=(5.5, 3.4))
for batch, colour in ((32, "tab:blue"), (512, "tab:red")):
    for i, sl in enumerate(slices[batch]):
        ax.plot(alphas, sl, color=colour, alpha=0.8, label=f"B = {batch}" if i == 0 else None)
ax.set(xlabel="α (step along a filter-normalised random direction)", ylabel="training loss",
       title="Loss along two random directions through θ")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# In this run the two families of curves are almost the same: at a ratio of 16 in batch size, both below
# the late-training noise scale and trained with linear scaling, the large batch did not find a visibly
# sharper end point. Keskar et al. report the effect for much larger batches (about 10 % of the data set)
# without learning-rate scaling; later work (Goyal et al., 2017; McCandlish et al., 2018) found that much of
# the "generalization gap" of large batches disappears when the learning rate and schedule are adapted.
# Two cautions that any interview answer should carry. The two models also differ in their loss at θ and in
# how long they trained, so the slice does not isolate the batch size. And sharpness is not a property of
# the function alone: rescaling the weights of a ReLU network changes it without changing a single
# prediction (Dinh et al., 2017) — filter normalisation removes that particular effect, which is why the
# slices above use it.

# %% [markdown]
# ## Lab 4 — When to stop: reading a validation curve
#
# The training loss keeps falling as long as you train; the question is when the model stops getting better
# on data it has not seen. A deliberately over-fitting run: the same MLP, wider, on only 150 lines, with
# Adam, evaluated every 10 steps on 2,048 validation windows.

# %%
x_small, y_small = windows(lines[:150])
torch.manual_seed(0)
overfit = MLPLanguageModel(tok.vocab_size, d=64, hidden=256)
optimizer = torch.optim.Adam(overfit.parameters(), lr=2e-3)
eval_steps, train_curve, val_curve = [], [], []
for step in range(1, 121):
    loss = F.cross_entropy(overfit(x_small), y_small)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        eval_steps.append(step)
        train_curve.append(loss.item())
        val_curve.append(mean_loss(overfit, x_val[:2048], y_val[:2048]))
print(f"{len(y_small)} training windows; validation loss: best {min(val_curve):.3f} at step "
      f"{eval_steps[val_curve.index(min(val_curve))]}, at the end (step 120) {val_curve[-1]:.3f}")

# %% [markdown]
# The usual rule, **patience**: keep the best validation loss so far; stop once it has not improved for
# `patience` evaluations in a row, and restore the weights saved at the best evaluation.

# %%
def patience_stop(val_losses, patience):
    """Index of the evaluation at which training stops, and of the best evaluation before it."""
    best_at, waited = 0, 0
    for i, value in enumerate(val_losses):
        if value < val_losses[best_at]:
            best_at, waited = i, 0
        elif i > 0:
            waited += 1
            if waited == patience:
                return i, best_at
    return len(val_losses) - 1, best_at


for patience in (1, 3, 5):
    stop, best = patience_stop(val_curve, patience)
    print(f"patience {patience}: stop at step {eval_steps[stop]}, restore step {eval_steps[best]} "
          f"(validation {val_curve[best]:.3f}); {120 - eval_steps[stop]} of 120 steps saved")

stop, best = patience_stop(val_curve, 5)
fig, ax = plt.subplots(figsize=(5.5, 3.4))
ax.plot(eval_steps, train_curve, label="training loss")
ax.plot(eval_steps, val_curve, label="validation loss")
ax.axvline(eval_steps[best], color="green", ls="--", lw=1, label=f"best (restore), step {eval_steps[best]}")
ax.axvline(eval_steps[stop], color="gray", ls=":", lw=1, label=f"stop, patience 5, step {eval_steps[stop]}")
ax.set(xlabel="step", ylabel="cross-entropy", title="Over-fitting 150 lines: stop on validation")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# This curve is smooth, so every patience restores the same best step (printed above) and a larger patience
# only costs evaluations. On a noisy curve patience 1 would stop at the first bump; a larger patience waits
# out the noise, at the cost of steps past the best — which is why the best checkpoint is *restored*, not
# the last one. A training-loss
# threshold, the common answer's “收敛阈值”, would never fire here at the right time: the training loss
# is still falling when validation has long turned. For LLM pretraining, which rarely sees a token twice,
# validation loss keeps falling and runs stop at a compute budget planned in advance (chapter 10); early
# stopping matters in fine-tuning on small data, exactly this regime.

# %%
# NBVAL_CHECK_OUTPUT
toy = [3.0, 2.5, 2.6, 2.4, 2.45, 2.5, 2.55, 2.6]
print("patience_stop on a toy curve, patience 2:", patience_stop(toy, 2), "· patience 3:", patience_stop(toy, 3))
print("linear-scaling lr at B = 2048:", BASE_LR * 2048 / BASE_BATCH)

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Patience is one stopping rule; Prechelt (1998) compared several. Write his
# *generalisation loss* criterion.

# %%
from course.selftest import exercise

exercise("31.gl_stop")

# %%
def gl_stop(val_losses, alpha):
    # your code here
    raise NotImplementedError


exercise("31.gl_stop").check(gl_stop)

# %% [markdown]
# **Exercise 2.** The two-batch estimate of the noise scale that Lab 2 called from the package.

# %%
exercise("31.noise_scale")

# %%
def noise_scale(sq_norm_small, sq_norm_big, b_small, b_big):
    # your code here
    raise NotImplementedError


exercise("31.noise_scale").check(noise_scale)

# %% [markdown]
# Stuck? `exercise("31.noise_scale").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(31)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 优化器设置决定训练的“节奏”。批量大小和学习率是耦合的：一个批次平均 B 个样本的梯度，噪声按 tr(Σ)/B 减小；在批量远小于梯度噪声尺度 B_simple = tr(Σ)/|G|² 时，批量扩大 k 倍、学习率也扩大 k 倍（线性缩放，通常配合 warmup），按“见过的样本数”计损失几乎不变，但步数少 k 倍、更易并行；超过 B_simple 后，再加大批量基本是浪费。B_simple 可以用两种批量的梯度范数便宜地估计，并且会随着训练损失的下降而增大（所以大模型训练会逐步增大批量）。大批量常被认为收敛到更“尖锐”的极小值，可用归一化方向上的损失切片观察训练终点附近的曲率，但尖锐度依赖参数化，不能单独说明泛化。停止训练要看验证集：用
# patience 判断验证损失不再下降，并恢复最佳检查点，而不是看训练损失的阈值。
#
# **English:** The optimizer's settings set the pace of training. Batch size and learning rate are coupled: a
# batch averages B per-example gradients, so its noise falls as tr(Σ)/B. Well below the gradient noise scale
# B_simple = tr(Σ)/|G|², multiplying B and the learning rate by k (linear scaling, with warmup) gives about the
# same loss per example seen in k times fewer, more parallel steps; well above it, bigger batches are wasted.
# B_simple can be estimated cheaply from gradient norms at two batch sizes, and it grows as the loss falls — why
# large runs ramp the batch up. Large batches are said to find sharper minima; a filter-normalised loss slice
# shows the curvature where training ended, but sharpness depends on parametrization. Stop on validation, not training loss: patience,
# then restore the best checkpoint.

# %% [markdown]
# ## Further reading
#
# - Goyal, Dollár, Girshick et al. — *Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour* (2017):
#   linear scaling and warmup.
# - McCandlish, Kaplan, Amodei, OpenAI Dota Team — *An Empirical Model of Large-Batch Training* (2018):
#   the gradient noise scale, appendix A for the two-batch estimator.
# - Keskar, Mudigere, Nocedal, Smelyanskiy, Tang — *On Large-Batch Training for Deep Learning: Generalization
#   Gap and Sharp Minima* (2017); Dinh, Pascanu, Bengio, Bengio — *Sharp Minima Can Generalize for Deep
#   Nets* (2017).
# - Li, Xu, Taylor, Studer, Goldstein — *Visualizing the Loss Landscape of Neural Nets* (2018).
# - Prechelt — *Early Stopping — But When?* (1998).
# - Bengio, Ducharme, Vincent, Jauvin — *A Neural Probabilistic Language Model* (2003).
