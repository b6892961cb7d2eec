# %% [markdown]
# # Chapter 35 · How does the choice of loss function affect model performance? (2)
#
# **题目：** 语言模型中的损失函数选择对模型性能有哪些影响？ — 请解释语言模型中的损失函数选择对模型性能有哪些影响。
#
# **Question:** Explain how the choice of loss function affects a language model's performance.
#
# This question appears three times in the set. Chapter 30 answers it with label smoothing, calibration and
# focal loss, chapter 40 with distillation and contrastive losses. This chapter is about the choices *inside*
# "cross-entropy" that change what a language model learns: how the per-token losses of a padded batch are
# averaged, and an auxiliary term, z-loss, that keeps the logits from drifting.
#
# **Time:** about 25 minutes · **Prerequisites:** [6 · the LM loss](06_lm_loss.ipynb),
# [25 · how the loss shapes training](25_loss_shapes_training.ipynb) · **Related:**
# [30 · choosing the loss (1)](30_choosing_loss_1.ipynb), [40 · choosing the loss (3)](40_choosing_loss_3.ipynb)
#
# **Objectives**
# - Compute the classic sequence-loss mistakes — averaging per sequence, counting padding, forgetting the
#   shift — on one batch and see each change the number.
# - Train with two of them and see how a wrong loss can *look* better while the model gets worse.
# - Measure how the softmax normalizer log Z drifts during training, why that matters in low precision, and
#   how z-loss pulls it toward 0.

# %% [markdown]
# ## Try first
#
# Write your interview answer: beyond “use cross-entropy”, which decisions in computing a language model's
# loss change the trained model? Name at least two, and a symptom of getting each wrong.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “交叉熵损失函数可以衡量模型预测的概率分布与真实分布之间的差异，从而提高预测准确性” | **incomplete** | For a language model, “cross-entropy” leaves open how the per-token terms are combined: per token or per sequence, with padding or without, scored on the next token or on the current one. Each choice gives a different number and a different gradient. Nor does it aim at accuracy directly: it scores the probability given to the right token, not whether that token ranks first. | Lab 1 |
# | “平坦的损失函数可能导致梯度消失…而凸损失函数（如交叉熵损失函数）有助于快速收敛，减少训练时间” | **wrong** | Convexity is not why cross-entropy trains fast: a network's loss is not convex in its weights. Chapter 25 measures the real reason — cross-entropy's gradient on the logits, p − y, does not saturate, while squared error's vanishes on confident mistakes. And a fast-falling loss proves nothing by itself: forgetting the shift makes the reported loss fall fastest of all while the model learns to copy, not to predict. | chapter 25, Lab 2 |
# | “交叉熵损失函数可以在训练数据和验证数据上表现出良好的泛化能力” | **wrong** | Generalization comes from data and regularization, not from the loss's name. What the loss *can* do is report a misleading number: scoring padding lowers the reported loss without helping the model on real tokens. | Lab 2 |
# | “不稳定的损失函数可能导致模型在训练过程中出现梯度消失或梯度爆炸现象” | **incomplete** | The concrete instability is in the logits: cross-entropy is unchanged when every logit of a position is shifted by the same amount, so nothing stops log Z = log Σ e^{z} from drifting. Large logits lose precision in bfloat16 — negligible at this chapter's small drift, a problem once logits reach the hundreds (Wortsman et al., 2023). Large-model recipes add z-loss, 10⁻⁴ · (log Z)² in PaLM (Chowdhery et al., 2022). | Lab 3 |
# | “交叉熵损失函数可以反映模型对每个词的预测概率…从而提高模型的可解释性” | **incomplete** | The per-token losses are informative (chapter 6 plots them), but only if they are the right ones: next token, real tokens. | Lab 1 |

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course.models import GPT, GPTConfig
from course.pretrained import corpus_lines, load_tiny_gpt
from course.runtime import get_device, seed_everything
from course.text import lm_batch, pad_batch
from course.train import logsumexp, next_token_targets, token_cross_entropy, z_loss

device = get_device()
seed_everything(0)
gpt, tok = load_tiny_gpt(device)                 # the pretrained tiny GPT, V = 232 words
gpt.eval()
V = tok.vocab_size


def encode(line):
    return [tok.eos_id] + tok.encode(line) + [tok.eos_id]      # the pretraining text separates lines by <eos>

# %% [markdown]
# ## Lab 1 — One batch, five losses
#
# Six held-out sentences — the three shortest and the three longest of 64 — right-padded into one batch,
# read once by the pretrained model:

# %%
# NBVAL_CHECK_OUTPUT
pool = sorted(corpus_lines(64, seed=10_000), key=lambda s: len(encode(s)))
ids, mask = pad_batch([encode(s) for s in pool[:3] + pool[-3:]], tok.pad_id)
ids, mask = ids.to(device), mask.to(device)
inputs, targets = next_token_targets(ids, mask)              # shifted; padding targets = -100
with torch.inference_mode():
    logits = gpt(inputs).logits                              # (B, T−1, V)
per_token = token_cross_entropy(logits, targets, reduction="none")     # (B, T−1), 0 where ignored
scored = targets != -100
print("targets per sentence:", scored.sum(1).tolist(), "· positions in the batch:", scored.numel())

# %% [markdown]
# The right loss and four wrong ones, all from the same logits:
#
# - **per token** (right): the mean over every real target of the batch;
# - **per sequence**: each sentence's mean first, then the mean of those — a token of a short sentence
#   counts more;
# - **padding in the denominator**: the real losses summed, divided by all B × (T−1) positions;
# - **padding as targets**: the pad id scored as if it were the next word (no `ignore_index`);
# - **no shift**: logits at position t scored against the token at t, the one the model just read.

# %%
losses = {
    "per token (right)": per_token.sum() / scored.sum(),
    "per sequence": (per_token.sum(1) / scored.sum(1)).mean(),
    "padding in the denominator": per_token.sum() / scored.numel(),
    "padding as targets": F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1)),
    "no shift": token_cross_entropy(logits, inputs.masked_fill(~mask[:, :-1], -100)),
}
for name, value in losses.items():
    print(f"{name:>27}: {value.item():.3f}")

# %%
# NBVAL_CHECK_OUTPUT
right = losses["per token (right)"].item()
print("the right loss equals F.cross_entropy(ignore_index=-100):",
      math.isclose(right, F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1)).item(), rel_tol=1e-5))
for name, value in list(losses.items())[1:]:
    print(f"{name} differs from it by more than 5 %:", abs(value.item() - right) > 0.05 * right)

# %%
lengths = scored.sum(1).tolist()
B = len(lengths)
fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.4))
names = list(losses)
bars = axes[0].barh(names[::-1], [losses[n].item() for n in names[::-1]],
                    color=["tab:red"] * (len(names) - 1) + ["tab:green"])
axes[0].bar_label(bars, fmt="%.3f", fontsize=8, padding=2)
axes[0].axvline(right, color="tab:green", lw=0.8, ls=":")
axes[0].set(xlabel="loss [nats]", title="The same logits, five reductions",
            xlim=(0, 1.2 * max(v.item() for v in losses.values())))
axes[1].bar([i - 0.2 for i in range(B)], [1 / sum(lengths)] * B, width=0.4, label="per token: 1 / all targets")
axes[1].bar([i + 0.2 for i in range(B)], [1 / (B * n) for n in lengths], width=0.4, label="per sequence: 1 / (B · its length)")
axes[1].set_xticks(range(B), [str(n) for n in lengths])
axes[1].set(xlabel="sentence, by its number of target tokens", ylabel="weight of one token in the loss",
            title="Who counts how much", ylim=(0, 1.4 / (B * min(lengths))))
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3, axis="x" if ax is axes[0] else "y")
fig.tight_layout()

# %% [markdown]
# Per-sequence averaging is not always a bug — some fine-tuning recipes choose it on purpose so that every
# example counts equally — but it is a different objective: it up-weights short sequences, and its value
# is not comparable with a per-token loss or with perplexity. The padding mistakes depend on how much
# padding the batch happens to hold, and “no shift” scores the wrong token altogether. The same trap
# hides in gradient accumulation: adding up the *means* of micro-batches that hold different numbers of
# real tokens is per-micro-batch averaging (exercise 2).

# %% [markdown]
# ## Lab 2 — A wrong loss can look better
#
# Three small GPTs (2 layers, d = 64) trained from scratch for the same 20 steps on the same padded batches
# of 16 sentences: with the right loss, with padding scored as targets, and without the shift. Each run
# reports its own training loss; afterwards all three are measured the same, correct way on held-out
# sentences.

# %%
def sentence_batches(lines, size, seed):
    g = torch.Generator().manual_seed(seed)
    rows = [encode(s) for s in lines if len(encode(s)) <= 33]
    while True:
        pick = torch.randint(len(rows), (size,), generator=g).tolist()
        batch_ids, batch_mask = pad_batch([rows[i] for i in pick], tok.pad_id)
        yield batch_ids.to(device), batch_mask.to(device)


def loss_with(variant, model, batch_ids, batch_mask):
    x, y = next_token_targets(batch_ids, batch_mask)
    if variant == "padding as targets":
        y = batch_ids[:, 1:]
    elif variant == "no shift":
        y = x.masked_fill(~batch_mask[:, :-1], -100)
    return token_cross_entropy(model(x).logits, y)


train_lines = corpus_lines(2000, seed=1)
held_out = next(sentence_batches(corpus_lines(200, seed=10_001), 64, seed=1))
reported, true_loss, p_pad = {}, {}, {}
for variant in ("per token (right)", "padding as targets", "no shift"):
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=V, context=32)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    batches = sentence_batches(train_lines, 16, seed=0)
    reported[variant] = []
    for step in range(20):
        loss = loss_with(variant, model, *next(batches))
        opt.zero_grad()
        loss.backward()
        opt.step()
        reported[variant].append(loss.item())
    with torch.inference_mode():
        true_loss[variant] = loss_with("per token (right)", model, *held_out).item()
        x, y = next_token_targets(*held_out)
        p_pad[variant] = model(x).logits.softmax(-1)[..., tok.pad_id][y != -100].mean().item()
    print(f"{variant:>19}: reported training loss {reported[variant][-1]:.2f} · "
          f"held-out next-token loss {true_loss[variant]:.2f} · mean p(<pad>) at real targets {p_pad[variant]:.4f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for variant, curve in reported.items():
    line, = ax.plot(curve, label=f"{variant}: reported")
    ax.scatter([len(curve) - 1], [true_loss[variant]], color=line.get_color(), marker="*", s=90, zorder=4)
ax.set(xlabel="step", ylabel="loss [nats]", title="Reported training loss (lines), true held-out loss (stars)")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("no shift reports the lowest training loss:", min(reported, key=lambda v: reported[v][-1]) == "no shift")
print("…and has the worst held-out loss:", max(true_loss, key=true_loss.get) == "no shift")
print("padding as targets reports a lower loss than it really has:",
      reported["padding as targets"][-1] < true_loss["padding as targets"])
print("…and is worse on real tokens than the right loss:",
      true_loss["padding as targets"] > true_loss["per token (right)"])
print("…and puts more probability on <pad> where a real token comes:",
      p_pad["padding as targets"] > p_pad["per token (right)"])

# %% [markdown]
# Without the shift the model can see the token it is scored on, so it learns to copy its input: the loss it
# reports falls fastest while it learns little about what comes next. Scoring padding adds easy targets
# (after a pad comes a pad), so its reported number flatters the model. The pad targets also take a share of
# every gradient and teach the model to put probability on `<pad>`: at real held-out targets it gives
# `<pad>` 0.0418 on average, against 0.0009 for the right run, and its held-out loss is worse. Neither
# mistake raises an error; both are found only by measuring the right loss on held-out text.

# %% [markdown]
# ## Lab 3 — z-loss and the drift of log Z
#
# Softmax ignores a common shift: adding c to every logit of a position changes neither the probabilities
# nor the cross-entropy. So cross-entropy puts no force on the normalizer log Z = log Σ_v e^{z_v}, which is
# free to drift — and it does. Why care? In mixed-precision training the logits come out of a bfloat16
# matmul, and bfloat16's 8 significant bits leave gaps of up to 2⁻⁷ · |z| between neighbouring
# numbers: the larger the logits, the coarser they are. The same held-out logits of Lab 1, shifted by c and rounded to bfloat16 (the loss itself computed
# in float32); we print the mean absolute error of the per-token losses:

# %%
shift_error = {}
for c in (0, 10, 100, 1000):
    rounded = (logits + c).to(torch.bfloat16).float()
    error = token_cross_entropy(rounded, targets, reduction="none") - per_token
    shift_error[c] = error[scored].abs().mean().item()
    print(f"logits + {c:>4}: float32 loss {token_cross_entropy(logits + c, targets).item():.4f} · "
          f"bfloat16 logits: mean per-token error {shift_error[c]:.4f} nats")

# %%
# NBVAL_CHECK_OUTPUT
print("the error in bfloat16 grows with the shift:", shift_error[0] < shift_error[10] < shift_error[100] < shift_error[1000])

# %% [markdown]
# In this run, Lab 3 below measures log Z drifting from 5.47 to 7.14 without z-loss — far less than the
# table's shifts of 100 or 1000. At such a drift the bfloat16 error stays around a hundredth of a nat (0.0042
# with no shift, 0.0107 at +10): negligible. It matters when logits reach the hundreds (0.0415 at +100,
# 0.1564 at +1000), as in the large runs of Wortsman et al. (2023).

# %% [markdown]
# z-loss adds a penalty **coefficient · (log Z)²** per token. Since a common shift of a position's logits
# costs cross-entropy nothing, the model can meet the penalty by shifting its logits down without changing
# its predictions; until it has, the penalty's gradient, 2 · coefficient · log Z · p, also pulls on the
# probabilities, so the coefficient is kept small. PaLM used 10⁻⁴ over hundreds of thousands of steps; in a run
# of 80 steps we use 10⁻² so that its effect is visible. Two small GPTs from the same start, on the same
# batches, one with z-loss; we record the mean log Z of each step's tokens:

# %%
train_stream = torch.tensor([i for s in train_lines for i in tok.encode(s) + [tok.eos_id]])
val_x, val_y = lm_batch(torch.tensor([i for s in corpus_lines(400, seed=10_000) for i in encode(s)[1:]]),
                        64, 32, torch.Generator().manual_seed(1), device)
log_z_trace, val_loss = {}, {}
for coefficient in (0.0, 1e-2):
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=V, context=32)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    data = torch.Generator().manual_seed(0)
    log_z_trace[coefficient] = []
    for step in range(80):
        x, y = lm_batch(train_stream, 16, 32, data, device)
        z = model(x).logits
        loss = token_cross_entropy(z, y) + z_loss(z, coefficient=coefficient)
        opt.zero_grad()
        loss.backward()
        opt.step()
        log_z_trace[coefficient].append(logsumexp(z.detach()).mean().item())
    with torch.inference_mode():
        val_loss[coefficient] = token_cross_entropy(model(val_x).logits, val_y).item()
    print(f"z-loss coefficient {coefficient:g}: mean log Z {log_z_trace[coefficient][0]:.2f} → "
          f"{log_z_trace[coefficient][-1]:.2f} · held-out cross-entropy {val_loss[coefficient]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for coefficient, trace in log_z_trace.items():
    ax.plot(trace, label="cross-entropy only" if coefficient == 0 else f"+ z-loss, coefficient {coefficient:g}")
ax.axhline(math.log(V), color="gray", lw=0.8, ls=":")
ax.text(40, math.log(V) - 0.3, "ln V: log Z when all logits are near 0", fontsize=8, color="gray")
ax.set(xlabel="step", ylabel="mean log Z per token", title="The softmax normalizer during training")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
drift, held = log_z_trace[0.0], log_z_trace[1e-2]
print("without z-loss, log Z ends above where it started:", drift[-1] > drift[0])
print("with z-loss, log Z ends below the run without it:", held[-1] < drift[-1])

# %% [markdown]
# At initialization all logits are near 0, so log Z ≈ ln V. Cross-entropy alone lets it climb as the model
# grows confident; z-loss pulls it toward 0 — here it ends at 5.81 against 7.14 without it. The large
# coefficient costs held-out loss here (2.167 against 2.107); real runs use 10⁻⁴ over long runs. The payoff
# is at scale: PaLM reports that z-loss increased training stability (Chowdhery et al., 2022, section 5),
# and ST-MoE applies the same penalty to the router's logits to stop instabilities (Zoph et al., 2022).

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Lab 3 called `z_loss` from the package. Write it.

# %%
from course.selftest import exercise

exercise("35.z_loss")

# %%
def z_loss_penalty(logits, mask, coefficient):
    # your code here
    raise NotImplementedError


exercise("35.z_loss").check(z_loss_penalty)

# %% [markdown]
# **Exercise 2.** Gradient accumulation: a batch too big for memory is split into micro-batches, each
# backpropagated separately, gradients added. Give each micro-batch the loss whose gradients add up to
# the full batch's per-token mean.

# %%
exercise("35.accumulation")

# %%
def accumulation_losses(token_losses, masks):
    # your code here
    raise NotImplementedError


exercise("35.accumulation").check(accumulation_losses)

# %% [markdown]
# Stuck? `exercise("35.accumulation").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(35)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 除了“用交叉熵”，损失的计算细节也会改变模型。① 平均方式：应对整个批次的真实 token 取平均；先对每个序列求平均再平均，会让短序列的 token 权重更大，梯度累积时把各 micro-batch 的均值相加也是同样的错误。② 填充：填充位置必须用 `ignore_index` 排除，既不能当作目标，也不能计入分母，否则损失随填充量变化：分母计入填充使损失偏低（0.451 对 0.809）；把填充当目标训练，模型学会预测填充，训练损失虚低（2.11 对真实的 4.33）。③ 错开一位：位置 t 的输出要和第 t+1 个 token 比较；忘了错位，模型学会复制输入，训练损失下降最快，但验证集上最差。④ 稳定性：交叉熵对所有 logits 同加一个常数不变，log Z 会在训练中漂移；logits 大到数百时，bfloat16 的精度损失就不可忽略。z-loss 加上系数 ×(log Z)²（PaLM 取 1e-4），把 log Z 往 0 拉（本章实测：训练结束时加 z-loss 为
# 5.81，不加为 7.14）。
#
# **English:** Beyond “use cross-entropy”, how it is computed changes the model. (1) Averaging: take the mean
# over all real tokens of the batch; a mean per sequence first up-weights short sequences, and summing
# micro-batch means in gradient accumulation is the same mistake. (2) Padding: exclude it with
# `ignore_index` — neither as targets nor in the denominator — or the loss depends on the padding: padding
# in the denominator reads low (0.451 against 0.809), and a model trained with padding as targets learns to
# predict padding while its training loss reads low (2.11 against a true 4.33). (3) The shift: position t is
# scored on token t+1; without it the model learns to copy, its training loss falls fastest and its held-out
# loss is the worst. (4) Stability: cross-entropy ignores a common shift of the logits, so log Z drifts
# during training; once logits reach the hundreds, bfloat16 costs real precision. z-loss, coefficient ×
# (log Z)² (1e-4 in PaLM), pulls log Z toward 0 (in this chapter's run it ends at 5.81, against 7.14
# without it).

# %% [markdown]
# ## Further reading
#
# - Chowdhery et al. — *PaLM: Scaling Language Modeling with Pathways* (2022), section 5: z-loss with
#   coefficient 10⁻⁴ for training stability.
# - Zoph et al. — *ST-MoE: Designing Stable and Transferable Sparse Expert Models* (2022): the router z-loss.
# - Wortsman et al. — *Small-scale proxies for large-scale Transformer training instabilities* (2023): logit
#   divergence reproduced in small models, and mitigated by z-loss.
# - Kalamkar et al. — *A Study of BFLOAT16 for Deep Learning Training* (2019): the bfloat16 format.
