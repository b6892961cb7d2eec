# %% [markdown]
# # Chapter 5 · What regularization methods do language models use?
#
# **题目：** 语言模型的正则化方法有哪些？ — 请列举并简要介绍语言模型中常用的正则化方法。
#
# **Question:** What regularization methods are commonly used in language models? List and briefly
# introduce them.
#
# **Time:** about 25 minutes · **Prerequisites:** [1 · basic principles](01_llm_basics.ipynb),
# [8 · optimizers](08_optimizers.ipynb) · **Related:** [22 · regularization vs overfitting](22_regularization_overfitting.ipynb),
# [27 · what regularization costs](27_regularization_compute_1.ipynb), [28 · normalization](28_batch_norm_1.ipynb)
#
# **Objectives**
# - Write inverted dropout, check it against `nn.Dropout`, and say exactly what changes between training and evaluation.
# - Name the places a Transformer drops (attention weights, sub-layer outputs, embeddings) and tell dropout from DropConnect.
# - Compare dropout, attention dropout, L2 in Adam, decoupled weight decay (AdamW), label smoothing and early stopping on one overfitting model, with train and validation curves.

# %% [markdown]
# ## Try first
#
# List the regularizers you would name in an interview. For each: what does it change — the model, the
# loss, the optimizer step, or when training stops?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “Dropout：随机丢弃一部分神经元” | **incomplete** | Dropout zeroes each *activation* with probability p, with a fresh mask at every forward pass, and divides the survivors by 1 − p (“inverted” dropout) so that nothing needs rescaling at evaluation, where dropout is switched off. No neuron is removed. | Lab 1 |
# | “Dropout Connection：对自注意力机制进行正则化，通过随机丢弃部分连接” | **wrong** | There is no standard method of that name. *DropConnect* (Wan et al., 2013) drops **weights**, not activations, and Transformers do not use it. What Transformers drop is the **attention weights** after the softmax (attention dropout) and the **outputs of each sub-layer and the embedding sum** (residual dropout, Vaswani et al., 2017, §5.4). | Lab 2 |
# | “Layer Normalization … 稳定训练过程，提高收敛速度” | **wrong as a regularizer** | What it says is right, but that makes LayerNorm an aid to *optimization* (Ba et al., 2016), not a regularizer: it adds no noise and no penalty, and no one adds it to fight overfitting ([chapter 28](28_batch_norm_1.ipynb), [chapter 38](38_batch_norm_3.ipynb)). | — |
# | “Weight Decay：在损失函数中加入权重衰减项” | **incomplete** | A term λ‖θ‖²/2 in the loss is **L2 regularization**. It equals weight decay for plain SGD, but not for Adam: Adam divides the L2 gradient by √v̂, so weights with large gradients are hardly decayed. LLMs use **decoupled** decay (AdamW, Loshchilov & Hutter, 2019), applied to the weights outside the loss. | Labs 3–4 |
# | (missing) | — | **Label smoothing** (a loss change), **early stopping** (keep the weights of the best validation point) and, above all, **more data** — large pretraining runs that see each token about once often use no dropout at all (PaLM: Chowdhery et al., 2022, §5). | Lab 3 |

# %%
import json

import matplotlib.pyplot as plt
import torch
from torch import nn

import course
from course.runtime import seed_everything
from course.train import SGD, Adam, AdamW
from course.train.overfitting import overfit_setting
from course.train.regularizers import DropConnectLinear, decay_groups, early_stopping, train_with_curves

generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Dropout: noise in training, nothing at evaluation
#
# In training, dropout keeps each activation with probability 1 − p and divides what it keeps by 1 − p,
# so the *expected* activation is unchanged. At evaluation it does nothing. Written out, and checked
# against `nn.Dropout` (we read torch's keep-mask from its output, since its random draws are its own):

# %%
def inverted_dropout(x, p, training):
    if not training or p == 0:
        return x                                              # evaluation: the identity
    keep = torch.rand(x.shape, generator=generator) >= p       # a fresh mask every call
    return x * keep / (1 - p)                                  # survivors scaled up by 1/(1 − p)


x = torch.rand(4, 1000) + 0.5                                  # positive, so a kept entry is never 0
torch_dropout = nn.Dropout(p=0.2).train()
theirs = torch_dropout(x)
torch_keep = theirs != 0
ours = x * torch_keep / (1 - 0.2)                              # our rule, applied with torch's mask

# %%
# NBVAL_CHECK_OUTPUT
print("same output as nn.Dropout, given its mask:", torch.allclose(ours, theirs))
print("nn.Dropout in eval mode is the identity:", torch.equal(torch_dropout.eval()(x), x))
print("ours in eval mode is the identity:", torch.equal(inverted_dropout(x, 0.2, training=False), x))
draws = torch.stack([inverted_dropout(x, 0.2, training=True) for _ in range(400)])
kept = (draws != 0).float().mean().item()
print(f"fraction kept over 400 draws: {kept:.2f} (1 − p = 0.80)")
print(f"mean over draws / x: {(draws.mean(0) / x).mean().item():.2f} (the expectation is preserved)")

# %% [markdown]
# Without the division by 1 − p, an activation would average (1 − p) times its evaluation value during
# training, and the next layer would meet a different scale once dropout is switched off. The original dropout paper (Srivastava et al., 2014) scaled the weights by 1 − p at test
# time instead; dividing during training gives the same expectations and leaves inference untouched.

# %% [markdown]
# ## Lab 2 — What a Transformer drops, and what DropConnect would drop
#
# The course's GPT takes one `dropout` rate and applies it at the sites the Transformer papers use. The
# modules that drop, in the first block of a model built with p = 0.2 (the rate of Lab 3):

# %%
setting = overfit_setting(60)                                  # the shared overfitting setting (Lab 3)
model = setting.model(dropout=0.2)
block = model.blocks[0]
sites = {
    "embedding sum (token + position)": model.drop.p,
    "attention weights, after softmax": block.self_attn.dropout,
    "each sub-layer's output, before the add": block.drop.p,
    "feed-forward's own dropout (off)": block.ffn.drop.p,
}
for site, p in sites.items():
    print(f"{site:<40} p = {p}")

# %% [markdown]
# The block drops each sub-layer's output once, just before the residual add: the attention branch and
# the feed-forward branch alike. `FeedForward` can drop its own output too, so the block builds it with
# that rate at 0 — otherwise the feed-forward branch would be dropped twice, at 1 − (1 − p)² rather than p.
# What each branch loses, measured in training mode on random inputs:

# %%
h = torch.randn(16, 32, setting.config.d_model)
with torch.no_grad():
    attention_branch = block.drop(block.self_attn(h))
    ffn_branch = block.drop(block.ffn(h))
p = block.drop.p
print(f"attention branch zeroed:    {(attention_branch == 0).float().mean().item():.3f}   (p = {p})")
print(f"feed-forward branch zeroed: {(ffn_branch == 0).float().mean().item():.3f}   (p = {p})")

# %% [markdown]
# Both branches lose a fraction p of their entries: the block drops each sub-layer's output once, as the
# 2017 Transformer (§5.4) and GPT-2 do, so Lab 3's "dropout 0.2 (all sites)" drops both branches at 0.2.
#
# GPT-2 and BERT name the rates in their configurations (`attn_pdrop`, `resid_pdrop`, `embd_pdrop`;
# `attention_probs_dropout_prob`, `hidden_dropout_prob`); the Hugging Face configurations default them to
# 0.1, the rate the GPT-1 and BERT papers report. Attention dropout is the only site that drops
# *connections* — a query's weight on one key — and it is the closest real thing to the common answer's
# “Dropout Connection”.
#
# **DropConnect** (Wan et al., 2013) is different: it drops individual **weights** of a linear layer.
# Dropping an *input* of a linear layer removes a whole column of its weight matrix; DropConnect removes
# single entries. The course's `DropConnectLinear` draws a keep-mask of the weight's shape, and divides the
# kept weights by 1 − p so that, averaged over masks, it is the plain layer:

# %%
torch.manual_seed(0)
linear = nn.Linear(12, 8)
drop_connect = DropConnectLinear(linear, p=0.5).train()
inputs = torch.randn(3, 12)
out = drop_connect(inputs)
input_keep = torch.rand(12, generator=generator) >= 0.5       # dropout on the inputs, for comparison
masks = {"dropout on the inputs:\nwhole columns vanish": input_keep.expand(8, 12),
         "DropConnect:\nsingle weights vanish": drop_connect.last_mask}

fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
for ax, (title, mask) in zip(axes, masks.items()):
    ax.imshow(mask.float().numpy(), cmap="Greys", vmin=0, vmax=1)
    ax.set(title=title, xlabel="input unit", ylabel="output unit", xticks=range(0, 12, 2), yticks=range(0, 8, 2))
fig.suptitle("Which weights of one linear layer take part (black = used)", fontsize=10)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
with torch.no_grad():
    average = torch.stack([drop_connect(inputs) for _ in range(4000)]).mean(0)
print("training: one mask changes the output:", not torch.allclose(out, linear(inputs), atol=0.05))
print("training: the average over 4,000 masks is the plain nn.Linear (within 0.05):",
      torch.allclose(average, linear(inputs), atol=0.05))
print("evaluation: equal to the plain nn.Linear:", torch.allclose(drop_connect.eval()(inputs), linear(inputs)))

# %% [markdown]
# DropConnect found use in recurrent LMs (the AWD-LSTM drops hidden-to-hidden weights, Merity et al.,
# 2018), not in Transformers. Exercise 1 asks you to write it.
#
# ## Lab 3 — Every regularizer on one overfitting model
#
# The shared setting of the regularization chapters: a small GPT trained on a few dozen lines of the
# course corpus and scored on held-out lines it never sees (its sizes are printed below). Each variant
# below changes one thing and starts from the same initial weights, with the same batches:
#
# - **dropout 0.2** at every site of Lab 2, or **on the attention weights only**;
# - **L2 in Adam**: λθ added to the gradient (`Adam(weight_decay=λ)`), versus **decoupled decay**
#   (`AdamW(weight_decay=λ)`: θ ← θ − lr·λ·θ beside the Adam step), both with λ = 0.1 and both on every
#   parameter, biases and LayerNorm gains included (Lab 4 shows the usual split);
# - **label smoothing 0.1**: the target puts 0.9 on the right token and spreads 0.1 over the vocabulary
#   (`F.cross_entropy(..., label_smoothing=0.1)`).
#
# Both curves are plain cross-entropy measured in eval mode (no dropout), the training one on 4 fixed
# windows of the training lines. Six runs of 150 steps exceed this chapter's time budget:
# `tools/sweeps/ch05_regularizers.py` ran them into `data/ch05_regularizers.json`; we plot those and
# re-run the first 40 steps of the unregularized one live.

# %%
# NBVAL_CHECK_OUTPUT
eos = setting.train_tokens[-1]                                 # every line of the stream ends with <eos>
config = setting.config
print(f"model: {config.n_layers}-layer GPT, d = {config.d_model}, "
      f"{sum(p.numel() for p in setting.model().parameters()):,} parameters")
print(f"training: {int((setting.train_tokens == eos).sum())} lines ({len(setting.train_tokens)} tokens), "
      f"batches of {setting.batch_size} windows of {config.context} tokens")
print(f"validation: {int((setting.val_tokens == eos).sum())} other lines ({len(setting.val_tokens)} tokens), "
      f"scored on {len(setting.val_batches)} fixed batches of {len(setting.val_batches[0][0])} windows")

# %%
stored = json.loads((course.DATA_DIR / "ch05_regularizers.json").read_text())
runs = stored["runs"]
print(f"{'':>28}  best val (step)  final val  final train  final gap")
for name, c in runs.items():
    best = min(range(len(c["val"])), key=c["val"].__getitem__)
    print(f"{name:>28}  {c['val'][best]:>8.3f} ({c['step'][best]:>3})  {c['val'][-1]:>9.3f}  "
          f"{c['train'][-1]:>11.3f}  {c['val'][-1] - c['train'][-1]:>9.3f}")
print(f"decoupled decay over 150 steps: every weight × (1 − lr·λ)^150 = {(1 - 3e-3 * 0.1) ** 150:.3f}")

# %%
base_model = setting.model()
live = train_with_curves(setting, base_model, AdamW(base_model.parameters(), lr=3e-3, weight_decay=0.0),
                         steps=40, every=20)
stored_at = dict(zip(runs["none"]["step"], runs["none"]["val"]))
print("steps:     ", live.step)
print("live  val:", [round(v, 3) for v in live.val])
print("stored val:", [stored_at[s] for s in live.step])

# %%
# NBVAL_CHECK_OUTPUT
print("the live run reproduces the stored curve (within 0.02 nats):",
      max(abs(v - stored_at[s]) for s, v in zip(live.step, live.val)) < 0.02)

# %%
stop = early_stopping(runs["none"]["val"], patience=3)
base = runs["none"]
fig, axes = plt.subplots(2, 3, figsize=(10, 6), sharex=True, sharey=True)
axes = axes.flatten()
axes[0].plot(base["step"], base["val"], color="gray", label="validation")
axes[0].plot(base["step"], base["train"], color="gray", ls="--", label="training")
axes[0].axvline(base["step"][stop.best], color="tab:green", lw=1.2)
axes[0].axvspan(base["step"][stop.best], base["step"][stop.stop], color="tab:green", alpha=0.12)
axes[0].text(base["step"][stop.stop] + 4, 1.2, f"early stopping\nkeeps step {base['step'][stop.best]},\n"
             f"stops at {base['step'][stop.stop]}", fontsize=10, color="tab:green")
axes[0].set_title("none (early stopping marked)")
axes[0].legend(fontsize=10, loc="lower left")
for ax, name in zip(axes[1:], [n for n in runs if n != "none"]):
    c = runs[name]
    ax.plot(base["step"], base["val"], color="gray", lw=1, label="none")
    ax.plot(base["step"], base["train"], color="gray", ls="--", lw=1)
    ax.plot(c["step"], c["val"], color="tab:red", label=name)
    ax.plot(c["step"], c["train"], color="tab:red", ls="--")
    ax.set_title(name)
for i, ax in enumerate(axes):
    ax.grid(alpha=0.3)
    if i >= 3:
        ax.set_xlabel("step")
    if i % 3 == 0:
        ax.set_ylabel("cross-entropy (nats)")
fig.suptitle("Solid: validation · dashed: training · red: the regularized run, gray: none (same start, same batches)",
             fontsize=10)
fig.tight_layout()

# %% [markdown]
# Read the curves against the table printed above (the numbers are this setting's; a longer or larger
# run moves them):
#
# - Without regularization the validation loss bottoms out early and then climbs while the training
#   loss keeps falling: the model memorises its 60 lines.
# - Dropout slows the memorising (a higher training loss, a smaller final gap) and flattens the climb,
#   but in this run it neither lowers the *best* validation point nor delays it: it helps only a model trained
#   on past that point.
#   Attention dropout alone is a much milder dose.
# - The same λ = 0.1 acts very differently in the two weight-decay rules. Decoupled decay shrinks each
#   weight by (1 − lr·λ) per step, a factor printed with the table over the whole run: it changes little here
#   (chapter 22 sweeps stronger values). As an L2 term inside Adam it dominates: the model underfits,
#   with a training loss near its validation loss. Lab 4 takes that apart.
# - Label smoothing lowers both the best and the final validation loss in this run: a smoothed target
#   penalises the over-confident predictions that make a memorising model's mistakes on new text so
#   expensive ([chapter 30](30_choosing_loss_1.ipynb) measures the calibration).
# - **Early stopping** costs only the validation passes it needs anyway: replayed on the unregularized
#   curve with a patience of 3 evaluations, it keeps the weights of the best step:

# %%
# NBVAL_CHECK_OUTPUT
print(f"early stopping (patience 3): stop at step {base['step'][stop.stop]}, keep the weights of step "
      f"{base['step'][stop.best]}, validation loss {base['val'][stop.best]:.2f} instead of {base['val'][-1]:.2f} at step 150")

# %% [markdown]
# ## Lab 4 — L2 in the loss is not weight decay (for Adam)
#
# For plain SGD the two are one rule: the gradient of (λ/2)‖θ‖² is λθ, and θ ← θ − lr(g + λθ) is
# θ(1 − lr·λ) − lr·g. Adam, however, divides the whole gradient — the λθ part included — by √v̂. Two
# weights start at 1.0: one receives large, noisy loss gradients, the other none. Two hundred steps of
# each rule, with λ = 0.1, beside a twin run of the same optimizer without decay (same noise), so that
# what the decay removed from the busy weight can be read off:

# %%
def decay_race(make_optimizer, steps=200):
    w = torch.nn.Parameter(torch.ones(2))
    optimizer = make_optimizer([w])
    noise = torch.Generator().manual_seed(0)
    for _ in range(steps):
        w.grad = torch.stack([torch.randn((), generator=noise) * 10, torch.zeros(())])  # busy, idle
        optimizer.step()
    return w.detach()


rules = {   # name: (with decay λ = 0.1, the twin without decay), lr 0.01 throughout
    "SGD + L2": (lambda p: SGD(p, lr=0.01, weight_decay=0.1), lambda p: SGD(p, lr=0.01)),
    "Adam + L2": (lambda p: Adam(p, lr=0.01, weight_decay=0.1), lambda p: Adam(p, lr=0.01)),
    "AdamW, decoupled": (lambda p: AdamW(p, lr=0.01, weight_decay=0.1), lambda p: AdamW(p, lr=0.01, weight_decay=0.0)),
}
race = {name: decay_race(with_decay) for name, (with_decay, _) in rules.items()}
twin = {name: decay_race(without) for name, (_, without) in rules.items()}
print(f"{'':>16}  busy weight (no-decay twin)  decay removed from it  idle weight")
for name, w in race.items():
    print(f"{name:>16}  {w[0]:>+11.3f} ({twin[name][0]:+.3f})  {1 - w[0] / twin[name][0]:>20.1%}  {w[1]:>+11.3f}")
print(f"Adam + L2, idle weight after 50 steps: {decay_race(rules['Adam + L2'][0], steps=50)[1]:.3f} "
      f"(a step of lr each time would leave 1 − 50·lr = {1 - 50 * 0.01:.2f})")

# %%
# NBVAL_CHECK_OUTPUT
idle_decayed = {name: round(1 - w[1].item(), 3) for name, w in race.items()}
print("idle weight after 200 steps, shrunk by:", idle_decayed)
print("AdamW shrinks it by exactly 1 − (1 − lr·λ)^200 =", round(1 - (1 - 0.01 * 0.1) ** 200, 3))

# %% [markdown]
# AdamW shrinks the idle weight by the same factor per step that SGD + L2 does, as decay should, and takes
# a similar share off the busy weight. Adam + L2 lets the λθ term be normalised by the idle weight's own
# tiny √v̂, so it moves that weight by about lr per step (compare the idle weight after 50 steps with
# 1 − 50·lr), as if its whole gradient were the penalty — and it removes almost nothing from the busy
# weight, whose √v̂ is large. The strength of "L2 in Adam" therefore depends on each weight's gradient
# history. This is
# why LLMs train with AdamW, typically λ = 0.1 (GPT-3: Brown et al., 2020, appendix B; LLaMA: Touvron et
# al., 2023, §2.2). Training code commonly decays only the weight matrices and embeddings, not biases and
# normalization gains; `decay_groups` makes that split into two optimizer parameter groups:

# %%
# NBVAL_CHECK_OUTPUT
groups = decay_groups(setting.model(), weight_decay=0.1)
for group in groups:
    print(f"weight_decay {group['weight_decay']}: {len(group['params'])} tensors, "
          f"{sum(p.numel() for p in group['params']):,} numbers")
optimizer = AdamW(groups, lr=3e-3)                 # the groups go straight into the optimizer

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** The DropConnect linear layer of Lab 2, as a function that receives its keep-mask.

# %%
from course.selftest import exercise

exercise("05.drop_connect")

# %%
def drop_connect_linear(x, weight, bias, keep, p, training):
    # your code here
    raise NotImplementedError


exercise("05.drop_connect").check(drop_connect_linear)

# %% [markdown]
# **Exercise 2.** The early-stopping rule that Lab 3 called from the package, with a minimum improvement.

# %%
exercise("05.early_stopping")

# %%
def early_stop(losses, patience, min_delta=0.0):
    # your code here
    raise NotImplementedError


exercise("05.early_stopping").check(early_stop)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(5)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 常用的正则化有四类。① Dropout：训练时以概率 p 把激活置零，并把保留下来的激活除以 1−p（inverted
# dropout），评估时直接关闭；Transformer 在三处使用：注意力权重（softmax 之后）、每个子层的输出（残差相加之前）和词嵌入之和，GPT-1 和 BERT 论文里都取 0.1。并没有叫“Dropout Connection”的标准方法；DropConnect 丢弃的是权重而不是激活，所以 Transformer 不用它。② 权重衰减：大模型用 AdamW 的解耦衰减 θ←θ−lr·λ·θ，通常 λ=0.1，且一般只作用于权重矩阵和词嵌入；若把 L2 项加进损失再用 Adam，它的梯度会和损失梯度一起被 √v̂ 归一化，梯度大的权重几乎不衰减——两者只在 SGD 下等价。③ 标签平滑：把 ε 的概率均匀分给整个词表，目标不再是纯 one-hot。④ 早停：保留验证损失最低时的权重，除了本来就要做的验证评估外几乎没有额外成本。LayerNorm 是帮助优化的归一化，不是正则化。大规模预训练数据充足、每个 token 大约只见一次，常常完全不用
# dropout。
#
# **English:** Dropout zeroes activations with probability p in training and divides the survivors by
# 1 − p, so evaluation (dropout off) needs no rescaling; Transformers drop the attention weights after
# the softmax, each sub-layer's output before the residual add, and the embedding sum (0.1 in the GPT-1
# and BERT papers). "Dropout Connection" is not a method; DropConnect drops weights and is not used in
# Transformers. Weight decay in LLMs is decoupled (AdamW: θ ← θ − lr·λ·θ, typically λ = 0.1, often on
# matrices and embeddings only); an L2 term in the loss equals it only under SGD — inside Adam it is divided
# by √v̂ and barely touches weights with large gradients. Add label smoothing (ε spread over the vocabulary)
# and early stopping (keep the best validation checkpoint; it costs only the validation passes). LayerNorm
# aids optimization; it is not a regularizer. Big pretraining runs that see each token about once often
# use no dropout at all.

# %% [markdown]
# ## Further reading
#
# - Srivastava, Hinton, Krizhevsky, Sutskever, Salakhutdinov — *Dropout: A Simple Way to Prevent Neural Networks from Overfitting* (2014), JMLR.
# - Radford, Narasimhan, Salimans, Sutskever — *Improving Language Understanding by Generative Pre-Training* (2018), §4.1: residual, embedding and attention dropout 0.1.
# - Devlin, Chang, Lee, Toutanova — *BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding* (2019), appendix A.2: dropout 0.1 on all layers.
# - Wan, Zeiler, Zhang, LeCun, Fergus — *Regularization of Neural Networks using DropConnect* (2013), ICML.
# - Vaswani et al. — *Attention Is All You Need* (2017), §5.4 (residual dropout, label smoothing 0.1).
# - Loshchilov, Hutter — *Decoupled Weight Decay Regularization* (2019), ICLR.
# - Szegedy, Vanhoucke, Ioffe, Shlens, Wojna — *Rethinking the Inception Architecture for Computer Vision* (2016), §7: label smoothing.
# - Merity, Keskar, Socher — *Regularizing and Optimizing LSTM Language Models* (2018), ICLR: DropConnect on recurrent weights.
# - Chowdhery et al. — *PaLM: Scaling Language Modeling with Pathways* (2022), §5: trained without dropout.
