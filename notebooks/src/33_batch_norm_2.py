# %% [markdown]
# # Chapter 33 · What does batch normalization do in language models? (2)
#
# **题目：** 语言模型中的批归一化（Batch Normalization）方法的作用是什么？ — 请解释语言模型中的批归一化方法的作用。
#
# **Question:** What does batch normalization do in language models? Explain its role.
#
# **Time:** about 25 minutes · **Prerequisites:** [28 · batch normalization (1)](28_batch_norm_1.ipynb),
# [14 · GPT's generation process](14_gpt_generation.ipynb) · **Related:**
# [38 · batch normalization (3)](38_batch_norm_3.ipynb), [31 · how optimizers shape the run](31_optimizers_training_process.ipynb)
#
# **Objectives**
# - Measure how BatchNorm depends on the batch size: the noise of its statistics, and the accuracy of the
#   same classifier trained at batch 2 … 32, next to a LayerNorm twin.
# - See the train/eval discrepancy: batch statistics in training, running averages in evaluation.
# - Generate with a KV cache from a BatchNorm language model and watch the same prompt continue
#   differently depending on its batch — and why LayerNorm does not have this problem.

# %% [markdown]
# ## Try first
#
# A language model generates one token per step, with a KV cache. At each step, how many vectors reach a
# BatchNorm layer, and what statistics can it compute from them?

# %% [markdown]
# ## What the common answer gets wrong
#
# [Chapter 28](28_batch_norm_1.ipynb) showed why Transformer LMs normalize per token (padding, and a leak
# from the future). This chapter takes the answer's claims about stability and batch size at their word.
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “提高稳定性：批归一化使得模型在不同批量上的训练结果更稳定，减少了模型对批量大小变化的敏感性” | **wrong** | BatchNorm *introduces* a dependence on batch size: its statistics get noisier as the batch shrinks (as 1/√B), and a classifier trained at batch 2 stays near chance where its LayerNorm twin learns. | Lab 1 |
# | “减少方差：批归一化通过引入噪声…提高了模型的泛化能力” | **incomplete** | The noise is real, but here it never helped: at no batch size did the BatchNorm classifier beat its LayerNorm twin, and at small batches the noise drowns the signal (Lab 1). And the model is then *evaluated* with different statistics than it was trained with. | Labs 1–2 |
# | “加速训练…提高性能” | **incomplete** | True for image networks at large batches (Ioffe & Szegedy, 2015). Nothing in the answer distinguishes training mode (batch statistics) from evaluation mode (running averages), the source of BatchNorm's practical problems. | Lab 2 |
# | (missing) | — | Autoregressive generation feeds one new token per sequence per step. Train-mode BatchNorm then normalizes over B vectors — or one: every prompt of a batch of one gets the same continuation. Eval-mode BatchNorm is consistent but computes a function the model was not trained as. | Lab 3 |

# %%
import copy

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course.generate import generate
from course.nn import to_batch_norm
from course.pretrained import corpus_lines, held_out_lines, load_tiny_gpt
from course.runtime import get_device, seed_everything
from course.text import lm_batch, pad_batch, sentiment_examples
from course.train import AdamW

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Batch size is an input of BatchNorm
#
# A small task: the sentiment of a sentence with negations and intensifiers (“the film was not very
# good”). Features are the pretrained tiny GPT's final hidden state at each sentence's last token,
# standardized; a 3-layer MLP classifies them. Each channel then has mean 0 and variance 1 over the data,
# and a batch of B examples estimates that mean with a standard error of 1/√B:

# %%
model, tok = load_tiny_gpt(device)
model.eval()


def features(examples):
    """(N, 128) final hidden state at each sentence's last token, and the labels (N,)."""
    ids, mask = pad_batch([tok.encode(text) for text, _ in examples], tok.pad_id)
    ids, mask = ids.to(device), mask.to(device)
    with torch.inference_mode():
        h = model.tok_emb(ids) + model.pos_emb(torch.arange(ids.shape[1], device=device))
        for block in model.blocks:
            h = block(h)
        h = model.norm(h)[torch.arange(len(examples), device=device), mask.sum(1) - 1]
    return h.clone(), torch.tensor([label for _, label in examples], device=device)


x_train, y_train = features(sentiment_examples(1000, seed=1))
x_test, y_test = features(sentiment_examples(400, seed=2))
mu, sigma = x_train.mean(0), x_train.std(0)
x_train, x_test = (x_train - mu) / sigma, (x_test - mu) / sigma

batch_sizes = [2, 4, 8, 32]
print(f"{'batch size':>10}  spread of a batch mean (measured)  1/√B")
for b in batch_sizes:
    means = torch.stack([x_train[torch.randint(0, len(x_train), (b,), generator=generator)].mean(0)
                         for _ in range(300)])                      # (300, 128)
    print(f"{b:>10}  {means.std(0).mean():>32.3f}  {b ** -0.5:.3f}")

# %% [markdown]
# At batch 2 the "mean" that BatchNorm subtracts is off by 0.7 standard deviations on average, and the
# variance of two numbers is a poor estimate of anything. Now the same MLP, with BatchNorm or with
# LayerNorm after each hidden layer, trained for 150 Adam steps at each batch size and tested in eval mode
# (BatchNorm then uses its running statistics):

# %%
def classifier(norm: str) -> nn.Sequential:
    make = {"BatchNorm": lambda: nn.BatchNorm1d(64), "LayerNorm": lambda: nn.LayerNorm(64)}[norm]
    return nn.Sequential(nn.Linear(128, 64), make(), nn.ReLU(), nn.Linear(64, 64), make(), nn.ReLU(),
                         nn.Linear(64, 2)).to(device)


def accuracy(net, x, y, batch):
    """Accuracy over x, fed in consecutive batches of ``batch`` rows in the net's current mode."""
    with torch.inference_mode():
        n = len(x) - len(x) % batch
        return torch.cat([net(x[i:i + batch]).argmax(-1) == y[i:i + batch] for i in range(0, n, batch)]).float().mean().item()


results = {}
for norm in ("BatchNorm", "LayerNorm"):
    for b in batch_sizes:
        torch.manual_seed(0)
        net = classifier(norm)
        opt = torch.optim.Adam(net.parameters(), lr=3e-3)
        draw = torch.Generator().manual_seed(0)
        for step in range(150):
            i = torch.randint(0, len(x_train), (b,), generator=draw).to(device)
            loss = F.cross_entropy(net(x_train[i]), y_train[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        results[norm, b] = {"eval": accuracy(net.eval(), x_test, y_test, 100),   # train mode last: it moves
                            "train": accuracy(net.train(), x_test, y_test, b)}   # the running statistics
for norm in ("BatchNorm", "LayerNorm"):
    print(f"{norm:>9}: test accuracy (eval mode) at batch", ", ".join(f"{b}: {results[norm, b]['eval']:.2f}"
                                                                   for b in batch_sizes))
print("BatchNorm ahead of LayerNorm at any batch size:",
      any(results["BatchNorm", b]["eval"] > results["LayerNorm", b]["eval"] for b in batch_sizes))

fig, ax = plt.subplots(figsize=(5.5, 3.4))
for norm, marker in (("BatchNorm", "o"), ("LayerNorm", "s")):
    ax.plot(batch_sizes, [results[norm, b]["eval"] for b in batch_sizes], marker=marker, label=norm)
ax.axhline(0.5, color="gray", ls=":", lw=1)
ax.text(2, 0.52, "chance", fontsize=8, color="gray")
ax.set(xscale="log", xticks=batch_sizes, xticklabels=batch_sizes, ylim=(0.4, 1.03), xlabel="batch size",
       ylabel="test accuracy", title="Same classifier, 150 steps, different batch sizes")
ax.minorticks_off()
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("BatchNorm at batch 2 stays below 70 %:", results["BatchNorm", 2]["eval"] < 0.7)
print("LayerNorm at batch 2 reaches 85 %:", results["LayerNorm", 2]["eval"] > 0.85)
print("BatchNorm at batch 32 reaches 95 %:", results["BatchNorm", 32]["eval"] > 0.95)

# %% [markdown]
# All runs take the same number of steps, so small batches also see fewer examples — yet LayerNorm learns
# from them. BatchNorm does not learn at batch 2 and lags at batch 4: its layers are fed statistics that are
# mostly noise. That is the opposite of “less sensitive to the batch size”, and the noise bought no
# regularization either: BatchNorm was never ahead. (In image models GroupNorm, Wu & He 2018, was invented
# for exactly this small-batch problem. *Ghost batch norm*, which Exercise 2 writes, addresses the other
# end: it keeps small-batch statistics inside a *large* batch, Hoffer et al. 2017.)

# %% [markdown]
# ## Lab 2 — Training mode and evaluation mode compute different functions
#
# In training mode BatchNorm normalizes with the statistics of the batch at hand; in evaluation mode with
# running averages collected during training. The Lab 1 classifiers, scored both ways on the test set —
# in train mode fed in batches of the size they were trained with:

# %%
print(f"{'batch':>5}  BatchNorm: eval mode  train mode   LayerNorm: eval mode  train mode")
for b in batch_sizes:
    bn, ln = results["BatchNorm", b], results["LayerNorm", b]
    print(f"{b:>5}  {bn['eval']:>20.3f}  {bn['train']:>10.3f}  {ln['eval']:>20.3f}  {ln['train']:>10.3f}")

# %% [markdown]
# LayerNorm has no modes: its two columns agree exactly (there is no dropout here). BatchNorm's
# disagree at batches 2–8 and agree only at 32. And a batch of one is not even defined in training mode — the
# variance of a single number is 0. PyTorch refuses:

# %%
# NBVAL_CHECK_OUTPUT
try:
    nn.BatchNorm1d(4).train()(torch.randn(1, 4))
except ValueError as err:
    print("nn.BatchNorm1d, training mode, batch of one →", err)

# %% [markdown]
# Now a language model. `to_batch_norm` (chapter 28) turns each of the pretrained tiny GPT's LayerNorms into a
# BatchNorm with the same γ and β; 30 AdamW steps of fine-tuning let it adapt to them, and fill its
# running statistics. Its held-out loss in eval mode, and in train mode with batches of 1 … 32 sequences
# of 32 tokens:

# %%
def token_stream(lines):
    return torch.tensor([i for line in lines for i in tok.encode(line) + [tok.eos_id]])


train_ids, val_ids = token_stream(corpus_lines(1000, seed=3)), token_stream(held_out_lines(200))
bn_model = to_batch_norm(model)
print("LayerNorms replaced by BatchNorms:", sum(type(m).__name__ == "SequenceBatchNorm" for m in bn_model.modules()))
optimizer = AdamW(bn_model.parameters(), lr=1e-3, weight_decay=0.0)
draw = torch.Generator().manual_seed(0)
for step in range(30):
    x, y = lm_batch(train_ids, 16, 32, draw, device)
    loss = bn_model(x, y).loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def held_out_loss(m, train_mode: bool, batch: int) -> float:
    """Mean loss over the same 32 held-out windows of 32 tokens, fed ``batch`` windows at a time.
    Train mode runs on a copy: its forward passes would overwrite the running statistics of training."""
    m = copy.deepcopy(m) if train_mode else m
    m.train(train_mode)
    x, y = lm_batch(val_ids, 32, 32, torch.Generator().manual_seed(1), device)
    with torch.inference_mode():
        return sum(m(x[i:i + batch], y[i:i + batch]).loss.item() for i in range(0, 32, batch)) * batch / 32


lm_batches = [1, 2, 4, 8, 32]
losses = {"LayerNorm (shipped)": [held_out_loss(model, False, b) for b in lm_batches],
          "BatchNorm, eval mode": [held_out_loss(bn_model, False, b) for b in lm_batches],
          "BatchNorm, train mode": [held_out_loss(bn_model, True, b) for b in lm_batches]}
print(f"{'sequences per batch:':>24}", "".join(f"{b:>7}" for b in lm_batches))
for name, row in losses.items():
    print(f"{name:>24}", "".join(f"{v:>7.3f}" for v in row))
print("BatchNorm: eval mode worse than train mode at every batch size:",
      all(e > t for e, t in zip(losses["BatchNorm, eval mode"], losses["BatchNorm, train mode"])))

fig, ax = plt.subplots(figsize=(5.5, 3.4))
for (name, row), marker in zip(losses.items(), "s^o"):
    ax.plot(lm_batches, row, marker=marker, label=name)
ax.set(xscale="log", xticks=lm_batches, xticklabels=lm_batches, xlabel="sequences per batch (32 tokens each)",
       ylabel="held-out loss (nats/token)", title="The same windows, scored in different batches")
ax.minorticks_off()
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# The LayerNorm model and the eval-mode BatchNorm model give the same loss whatever the batch; the
# train-mode BatchNorm model — the function that was actually trained — changes with it, and at no batch
# size is it the eval-mode function: the running averages score worse than the batch statistics the
# model was trained with. Do not read train mode's lower loss as a better model: its statistics over each
# window include the window's later tokens, chapter 28's leak from the future. (The BatchNorm model had
# only 30 steps to adapt, so its gap to the fully pretrained LayerNorm model says little; the point is the
# spread of its own rows.)

# %%
# NBVAL_CHECK_OUTPUT
spread = {name: max(row) - min(row) for name, row in losses.items()}
print("loss independent of the batch — LayerNorm:", spread["LayerNorm (shipped)"] < 1e-4,
      "· BatchNorm eval:", spread["BatchNorm, eval mode"] < 1e-4,
      "· BatchNorm train:", spread["BatchNorm, train mode"] < 1e-4)

# %% [markdown]
# ## Lab 3 — Generating token by token
#
# With a KV cache (chapter 14) the first step runs the whole prompt; every later step runs only the
# newest token of each sequence and reuses stored keys and values. So at a decoding step a BatchNorm
# layer sees B vectors — one per sequence in the batch. `course.generate.generate` switches a model to
# eval mode; to see what train-mode statistics would do, the loop is written out:

# %%
def greedy_with_cache(m, prompts, n_new, train_mode):
    """prompts: (B, T0) ids -> (B, n_new) greedy continuation, with a KV cache, in the given mode
    (train mode on a copy, so that the running statistics of training stay intact)."""
    m = copy.deepcopy(m) if train_mode else m
    m.train(train_mode)
    ids, cache = prompts, None
    with torch.inference_mode():
        for _ in range(n_new):
            out = m(ids if cache is None else ids[:, -1:], cache=cache, use_cache=True)
            cache = out.cache
            ids = torch.cat([ids, out.logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    return ids[:, prompts.shape[1]:]


starts = [tok.encode(line)[:5] for line in held_out_lines(40, seed=30_000) if len(tok.encode(line)) >= 5]
prompts = torch.tensor(starts[:9], device=device)               # (9, 5): the same 5-token length, no padding
print("prompt 0:", tok.decode(prompts[0]))
same = torch.equal(greedy_with_cache(model, prompts, 8, False), generate(model, prompts, 8, greedy=True)[:, 5:])
print("this loop = course.generate.generate for the LayerNorm model:", same)
batches = {"alone": prompts[:1], "with prompts 1–4": prompts[:5], "with prompts 5–8": prompts[[0, 5, 6, 7, 8]]}
continuations = {}
for name, m, mode in (("LayerNorm", model, False), ("BatchNorm, train mode", bn_model, True),
                      ("BatchNorm, eval mode", bn_model, False)):
    print(f"\n{name}")
    for batch_name, batch in batches.items():
        continuations[name, batch_name] = tok.decode(greedy_with_cache(m, batch, 8, mode)[0])
        print(f"  prompt 0 {batch_name:>17} → {continuations[name, batch_name]}")

# %% [markdown]
# In train mode the same prompt continues differently in each batch. In a batch of one it is worse: after
# the prompt, each step normalizes a single vector, whose variance over the batch is 0, so every
# BatchNorm outputs just its β and the logits no longer depend on the text at all. (`nn.BatchNorm1d`
# refuses such a batch, as shown above; the course's `SequenceBatchNorm` computes it, so we can see the
# result.) Four different prompts, each generated alone:

# %%
alone = [tok.decode(greedy_with_cache(bn_model, prompts[i:i + 1], 6, True)[0, 1:]) for i in range(4)]
for i, text in enumerate(alone):
    print(f"{tok.decode(prompts[i]):>40} → … {text}")

# %%
# NBVAL_CHECK_OUTPUT
print("LayerNorm: prompt 0 continues the same in every batch:",
      len({continuations["LayerNorm", b] for b in batches}) == 1)
print("BatchNorm eval mode: the same in every batch:", len({continuations["BatchNorm, eval mode", b] for b in batches}) == 1)
print("BatchNorm train mode: the continuation changes with the batch:",
      len({continuations["BatchNorm, train mode", b] for b in batches}) > 1)
print("BatchNorm train mode, batch of one: after the first new token all four prompts continue identically:",
      len(set(alone)) == 1)

# %% [markdown]
# The first new token still comes from the prompt step (5 vectors to take statistics over); from then on
# every prompt gets the same continuation. Eval mode repairs generation, but only by running a different
# function from the one trained — the train/eval gap of Lab 2's table. LayerNorm and RMSNorm remove the question: a
# token's normalization is computed from that token alone, identically in training, evaluation, with or
# without a cache, in any batch.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Eval-mode BatchNorm is a fixed affine map, so at inference it can be folded into the
# linear layer before it — one reason CNNs keep BN at no inference cost. Fold it.

# %%
from course.selftest import exercise

exercise("33.fold_batch_norm")

# %%
def fold_batch_norm(weight, bias, running_mean, running_var, gamma, beta, eps=1e-5):
    # your code here
    raise NotImplementedError


exercise("33.fold_batch_norm").check(fold_batch_norm)

# %% [markdown]
# **Exercise 2.** Ghost batch normalization: statistics over fixed-size slices of a batch.

# %%
exercise("33.ghost_batch_norm")

# %%
def ghost_batch_norm(x, group, eps=1e-5):
    # your code here
    raise NotImplementedError


exercise("33.ghost_batch_norm").check(ghost_batch_norm)

# %% [markdown]
# Stuck? `exercise("33.ghost_batch_norm").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(33)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** BatchNorm 的输出依赖于整个批次：训练时用当前批的均值和方差，推理时用训练中累积的滑动平均，两种模式计算的是不同的函数。批越小，统计量越不准（均值的标准误约为 1/√B）：同一个分类器在批大小 2 时用 BN 几乎学不会，用 LayerNorm
# 则正常。所以“BN 降低了对批大小的敏感性”是错的，恰恰相反。对语言模型更致命的是生成：用 KV 缓存逐 token 解码时，每步每条序列只有一个新向量进入归一化层；训练态 BN 的统计量只来自这一步的 B 个向量，同一个提示放在不同批里会续写出不同内容，批大小为 1 时方差为 0，输出只剩 β，所有提示续写相同。推理态 BN 虽然一致，但与训练时的函数不同。LayerNorm/RMSNorm 只用单个 token 自身的统计量，训练、推理、有无缓存、任意批次都一致，所以语言模型用它们。
#
# **English:** BatchNorm's output depends on the batch: training normalizes with the batch's mean and
# variance, evaluation with running averages, so the two modes compute different functions. Small batches
# give noisy statistics (the batch mean's standard error is 1/√B): the same classifier trained at batch 2
# barely learns with BN and learns fine with LayerNorm — BN increases sensitivity to batch size, not the
# reverse. For LMs, generation is decisive: with a KV cache each decoding step feeds one new vector per
# sequence, so train-mode BN normalizes over those B vectors — the same prompt continues differently in
# different batches, and with batch size 1 the variance is 0, every norm outputs β and all prompts continue
# alike. Eval mode is consistent but is not the function that was trained. LayerNorm/RMSNorm use each
# token's own statistics and behave identically everywhere.

# %% [markdown]
# ## Further reading
#
# - Ioffe, Szegedy — *Batch Normalization: Accelerating Deep Network Training by Reducing Internal
#   Covariate Shift* (2015).
# - Hoffer, Hubara, Soudry — *Train longer, generalize better: closing the generalization gap in large batch
#   training of neural networks* (2017): ghost batch normalization.
# - Ioffe — *Batch Renormalization: Towards Reducing Minibatch Dependence in Batch-Normalized Models* (2017).
# - Wu, He — *Group Normalization* (2018): BN's error rising at small batch sizes, and a batch-free norm.
# - Shen, Yao, Gholami, Mahoney, Keutzer — *PowerNorm: Rethinking Batch Normalization in Transformers* (2020).
