# %% [markdown]
# # Chapter 28 · What does batch normalization do in language models? (1)
#
# **题目：** 语言模型中的批归一化（Batch Normalization）方法的作用是什么？ — 请解释语言模型中的批归一化方法的作用。
#
# **Question:** What does batch normalization do in language models? Explain its role.
#
# **Time:** about 25 minutes · **Prerequisites:** [6 · the LM loss](06_lm_loss.ipynb),
# [13 · BERT's bidirectional encoder](13_bert_bidirectional_encoder.ipynb) · **Related:**
# [33 · batch normalization (2)](33_batch_norm_2.ipynb), [38 · batch normalization (3)](38_batch_norm_3.ipynb)
#
# **Objectives**
# - Write BatchNorm and LayerNorm in a few lines each and match them to `nn.BatchNorm1d` and `nn.LayerNorm`:
#   the same formula, normalized along different axes.
# - Measure how the padding of a variable-length batch pollutes BatchNorm's statistics, and how a
#   sentence's output then depends on its companions in the batch.
# - See why Transformer language models use LayerNorm or RMSNorm: train-mode BatchNorm lets every
#   position see the future of a causal model.

# %% [markdown]
# ## Try first
#
# Which axis does BatchNorm average over, and which does LayerNorm? Given that, what goes wrong when a
# language model with BatchNorm is fed a batch of padded sentences of different lengths?

# %% [markdown]
# ## What the common answer gets wrong
#
# The common answer describes BatchNorm as it was introduced for image networks and assumes it carries
# over to language models. It does not.
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “批归一化是语言模型中常用的技术” | **wrong** | Transformer LMs normalize each token on its own: LayerNorm (Transformer, BERT, GPT-2/3) or RMSNorm (T5, LLaMA). BatchNorm's statistics mix tokens of other sequences, of padding and of the future. | Labs 2–3 |
# | “加速训练：将每个神经元的输入缩放到较小的标准差和均值，减少了梯度消失和梯度爆炸” | **incomplete** | For image networks BatchNorm did speed training a lot (Ioffe & Szegedy, 2015, reached their baseline's accuracy in 14× fewer steps). It rescales each *channel* to mean 0 and variance 1 using batch statistics — not “a smaller” mean and std — and the reason it helps is still debated (Santurkar et al., 2018). | Lab 1 |
# | “减少了模型对批量大小变化的敏感性” | **wrong** | The reverse: a BatchNorm layer's output for one example depends on the other examples of its batch, and so on batch size and composition; LayerNorm's does not (difference exactly 0 in Lab 2). Chapter 33 measures the batch-size dependence. | Lab 2 |
# | “减少方差：通过引入噪声，减少了模型参数的方差” | **wrong** | The noise of batch statistics can act as a mild regularizer on the *activations*; nothing reduces the “variance of the parameters”. In a padded text batch that noise is mostly how much padding the batch happens to hold. | Lab 2 |
# | (missing) | — | In a causal LM, train-mode BatchNorm takes statistics over all time steps, so position t sees tokens after t: a leak of the very tokens the model is trained to predict. | Lab 3 |

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn

from course.nn import LayerNorm, SequenceBatchNorm, to_batch_norm
from course.pretrained import held_out_lines, load_tiny_gpt
from course.runtime import get_device, seed_everything
from course.text import pad_batch

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — One formula, two axes
#
# Both norms compute `(x − mean) / sqrt(var + eps)` and then scale by a learned γ and shift by a learned β
# per channel. They differ only in *which numbers* the mean and variance are taken over:
#
# - **BatchNorm** (Ioffe & Szegedy, 2015): for each channel, over all the examples of the batch
#   (and, for sequences, over all their positions);
# - **LayerNorm** (Ba, Kiros & Hinton, 2016): for each example (each token), over its own channels.
#
# Written out for a matrix `x` of N vectors with C channels, without γ and β:

# %%
def batch_norm(x, eps=1e-5):
    """x: (N, C). Column c is normalized with the mean and variance of column c (training mode)."""
    mu = x.mean(dim=0, keepdim=True)                       # (1, C): one statistic per channel
    sigma2 = ((x - mu) ** 2).mean(dim=0, keepdim=True)     # biased, as in training
    return (x - mu) / (sigma2 + eps).sqrt()


def layer_norm(x, eps=1e-5):
    """x: (..., C). Each row is normalized with the mean and variance of its own C numbers."""
    mu = x.mean(dim=-1, keepdim=True)                      # (..., 1): one statistic per token
    sigma2 = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
    return (x - mu) / (sigma2 + eps).sqrt()


x = torch.randn(32, 16, generator=generator) * 3 + 2
torch_bn = nn.BatchNorm1d(16, affine=False).train()
torch_ln = nn.LayerNorm(16, elementwise_affine=False)
print("max |ours − torch|, BatchNorm:", f"{(batch_norm(x) - torch_bn(x)).abs().max():.1e}",
      "· LayerNorm:", f"{(layer_norm(x) - torch_ln(x)).abs().max():.1e}")

# %% [markdown]
# A sequence batch `(B, T, C)` has B·T token vectors. BatchNorm treats all of them as the N rows
# (`nn.BatchNorm1d` wants the channels in the middle, `(B, C, T)`); LayerNorm still normalizes each token
# alone. The course's `SequenceBatchNorm` takes `(B, T, C)` directly, keeps running statistics like
# PyTorch's, and accepts a padding mask. Checked against PyTorch, training and evaluation mode
# (also in `tests/test_norms.py`):

# %%
# NBVAL_CHECK_OUTPUT
seq = torch.randn(4, 10, 16, generator=generator) * 2 + 1
ours_bn, torch_bn = SequenceBatchNorm(16), nn.BatchNorm1d(16)
ours_ln, torch_ln = LayerNorm(16), nn.LayerNorm(16)
same_train = torch.allclose(ours_bn(seq), torch_bn(seq.transpose(1, 2)).transpose(1, 2), atol=1e-5)
ours_bn.eval(), torch_bn.eval()
same_eval = torch.allclose(ours_bn(seq), torch_bn(seq.transpose(1, 2)).transpose(1, 2), atol=1e-5)
print("SequenceBatchNorm = nn.BatchNorm1d — train mode:", same_train)
print("SequenceBatchNorm = nn.BatchNorm1d — eval mode (running stats):", same_eval)
print("LayerNorm = nn.LayerNorm:", torch.allclose(ours_ln(seq), torch_ln(seq), atol=1e-5))
print("inline batch_norm on the B·T tokens = nn.BatchNorm1d:",
      torch.allclose(batch_norm(seq.reshape(-1, 16)).reshape(seq.shape),
                     nn.BatchNorm1d(16, affine=False)(seq.transpose(1, 2)).transpose(1, 2), atol=1e-5))

# %% [markdown]
# ## Lab 2 — Padding pollutes BatchNorm's statistics
#
# Sentences have different lengths, so a batch is padded to its longest sentence. We take the shipped
# pretrained tiny GPT, run 256 held-out sentences through its embeddings and first block (right padding
# does not disturb the real tokens of a causal model), and look at the vectors that the next norm layer
# would receive. The padding positions hold real-looking vectors too: the `<pad>` embedding, processed.

# %%
model, tok = load_tiny_gpt(device)
model.eval()
lines = held_out_lines(256)
lengths = torch.tensor([len(tok.encode(line)) for line in lines])
print(f"sentence lengths: {lengths.min()}–{lengths.max()} tokens, median {lengths.median()}")


def first_block_output(batch_lines, max_len=None):
    """The vectors entering the second block's norm: (B, T, 128), and the padding mask (B, T)."""
    ids, mask = pad_batch([tok.encode(line) for line in batch_lines], tok.pad_id, max_len)
    ids, mask = ids.to(device), mask.to(device)
    with torch.inference_mode():
        h = model.tok_emb(ids) + model.pos_emb(torch.arange(ids.shape[1], device=device))
        return model.blocks[0](h), mask


# %% [markdown]
# For 80 random batches of 8 sentences, the per-channel mean and standard deviation that BatchNorm
# computes over *all* positions (what `nn.BatchNorm1d` does with a padded tensor), compared with those
# of the real tokens only. The mean's error is in units of the real tokens' standard deviation.

# %%
pad_fraction, mean_error, std_ratio = [], [], []
for _ in range(80):
    pick = torch.randperm(len(lines), generator=generator)[:8]
    h, mask = first_block_output([lines[i] for i in pick])
    real, everything = h[mask], h.reshape(-1, h.shape[-1])          # (N_real, C), (B·T, C)
    pad_fraction.append(1 - mask.float().mean().item())
    mean_error.append(((everything.mean(0) - real.mean(0)).abs() / real.std(0)).mean().item())
    std_ratio.append((everything.std(0) / real.std(0)).mean().item())

fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4))
axes[0].scatter(pad_fraction, mean_error, s=14)
axes[0].set(xlabel="fraction of the batch that is padding", ylabel="|μ(all) − μ(real)| / σ(real)",
            title="Channel means, shifted by padding")
axes[1].scatter(pad_fraction, std_ratio, s=14, color="tab:orange")
axes[1].axhline(1, color="gray", ls=":", lw=1)
axes[1].set(xlabel="fraction of the batch that is padding", ylabel="σ(all) / σ(real)",
            title="Channel standard deviations")
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
print(f"padding: {min(pad_fraction):.0%}–{max(pad_fraction):.0%} of the positions")
print(f"mean error {min(mean_error):.2f}–{max(mean_error):.2f} σ; "
      f"σ(all)/σ(real) {min(std_ratio):.2f}–{max(std_ratio):.2f}")
print(f"correlation with the padding fraction — mean error: {torch.corrcoef(torch.tensor([pad_fraction, mean_error]))[0, 1]:+.2f}, "
      f"σ ratio: {torch.corrcoef(torch.tensor([pad_fraction, std_ratio]))[0, 1]:+.2f}")

# %% [markdown]
# The more padding, the further the statistics drift from those of the real tokens (the correlations
# printed above): in the most padded
# batches the channel means are off by several tenths of a standard deviation and the spread is
# underestimated by about a quarter (the ranges printed above). A mask fixes the
# statistics — but not the deeper problem. The *same* sentence, batched once with seven short sentences
# and once with seven long ones (padded to the same length, 26), comes out of each norm:

# %%
target = lines[2]
short = [line for line, n in zip(lines, lengths) if n <= 7][:7]
long = [line for line, n in zip(lines, lengths) if n >= 21][:7]
n_target = len(tok.encode(target))
outputs = {}
for name, companions in (("short companions", short), ("long companions", long)):
    h, mask = first_block_output([target] + companions, max_len=26)
    outputs[name] = {"BatchNorm, padding included": SequenceBatchNorm(128).to(device)(h)[0, :n_target],
                     "BatchNorm, padding masked": SequenceBatchNorm(128).to(device)(h, mask)[0, :n_target],
                     "LayerNorm": LayerNorm(128).to(device)(h)[0, :n_target]}
    print(f"{name}: {1 - mask.float().mean():.0%} of the batch is padding")
differences = {norm: (outputs["short companions"][norm] - outputs["long companions"][norm]).abs().max().item()
               for norm in outputs["long companions"]}
print("largest change in the sentence's normalized vectors between the two batches:")
for norm, d in differences.items():
    print(f"  {norm:<28} {d:.3f}")

# %%
# NBVAL_CHECK_OUTPUT
reference_bn = nn.BatchNorm1d(128).to(device).train()
with torch.inference_mode():
    same = torch.allclose(SequenceBatchNorm(128).to(device)(h, mask)[mask], reference_bn(h[mask]), atol=1e-4)
print("masked SequenceBatchNorm on this batch = nn.BatchNorm1d on its real tokens:", same)
print("LayerNorm: identical outputs in both batches:", differences["LayerNorm"] == 0.0)
print("BatchNorm with a mask still depends on the companions:", differences["BatchNorm, padding masked"] > 0.1)

# %% [markdown]
# With the mask the statistics are those of real tokens — but of *other sentences'* real tokens. A
# BatchNorm output is a function of the whole batch. For images of one size that was acceptable; for text
# of varying lengths it means the model's answer for a sentence changes with what it is batched with.
# [Chapter 33](33_batch_norm_2.ipynb) measures how this grows as batches shrink, and what it does to
# generation.

# %% [markdown]
# ## Lab 3 — In a causal LM, BatchNorm sees the future
#
# Padding is a nuisance that a mask can address. The decisive problem for a language model is time. A
# causal LM must compute position t from tokens 0…t only; the attention mask guarantees that. BatchNorm
# in training mode takes each channel's mean over **all** positions — including t+1, t+2, … So the
# statistics carry information about the future into every position.
#
# `to_batch_norm(model)` copies the pretrained GPT with each of its 9 LayerNorms replaced by a
# `SequenceBatchNorm` with the same γ and β. For 8 held-out windows of 16 tokens, we change one token at
# position s of the first sequence and record how much the logits at every position t of that sequence
# move:

# %%
bn_model = to_batch_norm(model)                       # train mode: batch statistics
print("norm layers replaced:", sum(isinstance(m, SequenceBatchNorm) for m in bn_model.modules()))

stream = torch.tensor([i for line in held_out_lines(64, seed=20_000) for i in tok.encode(line) + [tok.eos_id]])
windows = torch.stack([stream[16 * k: 16 * k + 16] for k in range(8)]).to(device)   # (8, 16), no padding


def influence(m):
    """(T, T): max |Δ logit| at position t (row) of sequence 0 when its token at position s (column) changes."""
    t_len = windows.shape[1]
    grid = torch.zeros(t_len, t_len)
    with torch.inference_mode():
        base = m(windows).logits[0]
        for s in range(t_len):
            changed = windows.clone()
            changed[0, s] = (changed[0, s] + 7) % tok.vocab_size
            grid[:, s] = (m(changed).logits[0] - base).abs().amax(dim=-1).cpu()
    return grid


grids = {"LayerNorm (the shipped model)": influence(model), "BatchNorm (same weights)": influence(bn_model)}
future = torch.ones(16, 16).triu(1).bool()              # s > t: a token after the position
for name, grid in grids.items():
    print(f"{name}:\n  largest effect of a *later* token on a logit = {grid[future].max():.3g}\n"
          f"  the last token moves the logits at {int((grid[:15, 15] > 1e-4).sum())} of the 15 earlier positions")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9.5, 4))
for ax, (name, grid) in zip(axes, grids.items()):
    image = ax.imshow(torch.log10(grid + 1e-6), cmap="magma", vmin=-6, vmax=1.5)
    ax.set(title=name, xlabel="position s of the changed token", ylabel="position t of the logits")
fig.suptitle("Which positions does a token influence? Upper triangle = the future leaking backwards")
fig.colorbar(image, ax=axes, label="log10 max |Δ logit|  (−6 = no effect)", shrink=0.85);

# %% [markdown]
# With LayerNorm the upper triangle is exactly empty: a token influences only itself and later positions.
# With BatchNorm every cell is lit — each position's output depends on tokens it must not see. Trained
# like this, the loss at position t is computed with knowledge of the tokens after t (the same leak as
# a bidirectional model trained on next-token prediction, [chapter 13](13_bert_bidirectional_encoder.ipynb)),
# and at generation time there is no future to read. It also depends on the *other sequences* of the batch:

# %%
# NBVAL_CHECK_OUTPUT
with torch.inference_mode():
    others = windows.clone()
    others[1:] = torch.stack([stream[16 * k: 16 * k + 16] for k in range(8, 15)]).to(device)  # new companions
    moved = {name: (m(others).logits[0] - m(windows).logits[0]).abs().max().item()
             for name, m in (("LayerNorm", model), ("BatchNorm", bn_model))}
print("LayerNorm: no later token moves an earlier logit:", bool(grids["LayerNorm (the shipped model)"][future].max() == 0))
print("BatchNorm: later tokens move earlier logits:", bool(grids["BatchNorm (same weights)"][future].max() > 1e-3))
print("other sequences in the batch leave sequence 0's logits unchanged —")
print("  LayerNorm:", moved["LayerNorm"] == 0, "· BatchNorm:", moved["BatchNorm"] == 0)

# %% [markdown]
# This is why every Transformer LM normalizes per token: LayerNorm, or RMSNorm, its cheaper variant
# without centring ([chapter 38](38_batch_norm_3.ipynb)). Per-token statistics need no batch, no mask, no
# running averages, and behave identically in training, evaluation, and one-token-at-a-time generation.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** The masked BatchNorm that Lab 2 called from the package, for a padded batch.

# %%
from course.selftest import exercise

exercise("28.masked_batch_norm")

# %%
def masked_batch_norm(x, mask, weight, bias, eps=1e-5):
    # your code here
    raise NotImplementedError


exercise("28.masked_batch_norm").check(masked_batch_norm)

# %% [markdown]
# **Exercise 2.** The running statistics that `SequenceBatchNorm` and `nn.BatchNorm1d` keep in training
# mode and use in evaluation mode (Lab 1 checked them only through the outputs).

# %%
exercise("28.running_stats")

# %%
def update_running_stats(running_mean, running_var, batch, momentum=0.1):
    # your code here
    raise NotImplementedError


exercise("28.running_stats").check(update_running_stats)

# %% [markdown]
# Stuck? `exercise("28.running_stats").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(28)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** BatchNorm 对每个通道用一个批次内所有样本（序列则是所有样本的所有位置）的均值和方差做归一化，再乘 γ 加 β；训练时用批统计量，推理时用滑动平均。它在 CNN 里能显著加速训练，但 Transformer 语言模型几乎不用它，而用对每个 token
# 自身通道做归一化的 LayerNorm（GPT、BERT）或 RMSNorm（T5、LLaMA）。原因：① 变长序列要补齐，padding 会污染批统计量，即使加掩码，一个句子的输出仍取决于同批的其他句子；② 因果语言模型里，训练态 BN 的统计量包含后面时间步，等于把未来信息泄露给当前位置；③ 训练和推理行为不一致，逐 token 生成时批统计量无从谈起。所以“BN 是语言模型常用技术”“降低对批大小的敏感性”的说法是错的：恰恰相反，BN 让输出依赖批次，LayerNorm 不依赖。
#
# **English:** BatchNorm normalizes each channel with the mean and variance over the batch (for sequences,
# over every position of every example), then applies γ and β; training uses batch statistics, inference
# running averages. It speeds up CNN training, but Transformer LMs use per-token norms instead: LayerNorm
# (GPT, BERT) or RMSNorm (T5, LLaMA). Why: padding of variable-length batches pollutes batch statistics, and
# even with a mask a sentence's output depends on its batch-mates; in a causal LM, train-mode BatchNorm
# averages over later time steps, leaking the future into every position; and its train/inference behaviour
# differs, which token-by-token generation cannot accommodate. So BN does not make models less sensitive to
# the batch — it makes them depend on it; LayerNorm does not.

# %% [markdown]
# ## Further reading
#
# - Ioffe, Szegedy — *Batch Normalization: Accelerating Deep Network Training by Reducing Internal
#   Covariate Shift* (2015).
# - Ba, Kiros, Hinton — *Layer Normalization* (2016).
# - Santurkar, Tsipras, Ilyas, Madry — *How Does Batch Normalization Help Optimization?* (2018).
# - Shen, Yao, Gholami, Mahoney, Keutzer — *PowerNorm: Rethinking Batch Normalization in Transformers*
#   (2020): why BN underperforms in NLP, measured batch-statistic fluctuations.
# - Zhang, Sennrich — *Root Mean Square Layer Normalization* (2019).
