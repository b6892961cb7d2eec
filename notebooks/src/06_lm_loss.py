# %% [markdown]
# # Chapter 6 · How is the loss function of a language model computed?
#
# **题目：** 如何计算语言模型的损失函数？ — 请解释语言模型中常用的损失函数，并说明如何计算。
#
# **Question:** Explain the loss function commonly used for language models, and how it is computed.
#
# **Time:** about 25 minutes · **Prerequisites:** [1 · basic principles](01_llm_basics.ipynb) · **Related:**
# [25 · how the loss shapes training](25_loss_shapes_training.ipynb),
# [35 · sequence-loss mistakes and z-loss](35_choosing_loss_2.ipynb)
#
# **Objectives**
# - Compute a language model's loss by hand from its logits — shift by one, log-sum-exp, padding left out,
#   mean over the real target tokens — and get exactly what `F.cross_entropy(ignore_index=…)` gives.
# - See why the log-sum-exp form is needed: the naive `log(softmax)` fails on confident logits.
# - Use the loss at initialization, ≈ ln V, as a first check of any new model.
# - Say what the common answer's formula sums over, and why a sum over all words is the wrong reduction.

# %% [markdown]
# ## Try first
#
# Write your interview answer: what exactly is the loss of a GPT-style model on a batch of padded sentences?
# Which logits are compared with which tokens, what is summed, and what is it divided by?

# %% [markdown]
# ## What the common answer gets wrong
#
# The common answer gives one formula, `Loss = −Σ_{i=1}^{N} y_i log(p_i)`, with y_i “the label of the i-th
# word” and p_i “its predicted probability”, then sums over all words.
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “常用的损失函数包括交叉熵损失函数和交叉熵损失函数的变种” | **incomplete** | The loss is the negative log-likelihood of each **next** token given the tokens before it, −log p(x_{t+1} \| x_≤t), averaged over the scored tokens. With a one-hot target that is exactly cross-entropy; no variant is named or needed here. | Lab 1 |
# | “真实分布是单词的实际分布” | **incomplete** | Nobody knows the true next-word distribution. The target at each position is one-hot on the token that actually came next, so the cross-entropy collapses to one term: −log of the probability the model gave that token. | Lab 1 |
# | `Loss = −Σ_{i=1}^{N} y_i log(p_i)`, i over the words | **wrong** | Two sums are fused into one. Cross-entropy sums over the **vocabulary** (v = 1…V) at one position: −Σ_v y_v log p_v; a sequence's loss then goes over **positions**, each prediction conditioned on the tokens before it and scored against the token one place to the right. As written, i is both a word of the text and a class, and the shift by one and the context are missing. | Lab 1 |
# | “对所有词的交叉熵求和，得到总损失” | **wrong** | Frameworks take the **mean over the real target tokens**; padding is excluded (`ignore_index`). A sum grows with batch size and sentence length, and so does its gradient: the learning rate would have to change whenever the batch does. | Labs 1, 4 |
# | (missing) | — | Computed naively, `log(softmax(z))` overflows or takes log 0 for confident logits; the log-sum-exp form log p_y = z_y − (m + log Σ_v e^{z_v − m}) never does. | Lab 2 |
# | (missing) | — | A correctly initialized model predicts nearly uniformly, so its first loss is ≈ ln V (perplexity ≈ V). A first loss far from ln V points at a bug. | Lab 3 |
# | “通过梯度下降等优化方法更新模型参数” | correct, but not part of the loss | Backpropagation and an optimizer use the loss; they are chapter 8's subject. | — |

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import course
from course.models import GPT, GPTConfig
from course.pretrained import corpus_lines, load_tiny_gpt
from course.runtime import get_device, seed_everything
from course.text import pad_batch
from course.train import logsumexp, next_token_targets, token_cross_entropy

device = get_device()
seed_everything(0)
gpt, tok = load_tiny_gpt(device)          # the course's pretrained 4-layer GPT (word-level, V = 232)
gpt.eval()
V = tok.vocab_size

# %% [markdown]
# ## Lab 1 — The loss by hand: shift, mask, log-sum-exp, mean
#
# The model was pretrained on lines separated by `<eos>`, so each sentence here starts and ends with
# `<eos>`. Six held-out sentences of different lengths are right-padded into one batch:

# %%
# NBVAL_CHECK_OUTPUT
lines = corpus_lines(16, seed=10_000)[:6]              # seed 10,000: text the model never trained on
ids, mask = pad_batch([[tok.eos_id] + tok.encode(line) + [tok.eos_id] for line in lines], tok.pad_id)
ids, mask = ids.to(device), mask.to(device)
print("ids:", tuple(ids.shape), "· real tokens per sentence:", mask.sum(1).tolist())
print(ids[4].tolist(), "←", repr(lines[4]))

# %% [markdown]
# **The shift by one.** A causal model's output at position t has seen tokens 0…t and is scored on token
# t+1. So the inputs are `ids[:, :-1]` and the targets `ids[:, 1:]`; a target that is padding gets
# `-100`, the value `F.cross_entropy` skips. The last real token of a row is never an input whose target
# is real — nothing follows it.

# %%
inputs, targets = ids[:, :-1], ids[:, 1:].masked_fill(~mask[:, 1:], -100)
for t in range(6):
    target = "(ignored)" if targets[4, t] == -100 else tok.itos[targets[4, t]]
    print(f"position {t}: reads {tok.itos[inputs[4, t]]:>7}  → scored on {target}")

# %% [markdown]
# **The loss.** For one position with logits z (V numbers) and target y, the loss is
# −log softmax(z)_y = log Σ_v e^{z_v} − z_y. The log Σ exp is computed with the row's maximum m taken out
# first (Lab 2 shows why). Then the ignored positions are dropped and the rest averaged:

# %%
with torch.inference_mode():
    logits = gpt(inputs).logits                                       # (B, T−1, V)

m = logits.amax(dim=-1, keepdim=True)
log_z = m.squeeze(-1) + (logits - m).exp().sum(dim=-1).log()          # log Σ_v e^{z_v}, (B, T−1)
z_target = logits.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)   # z_y; −100 → any index
scored = targets != -100
surprisal = torch.where(scored, log_z - z_target, 0.0)                # −log p(next token), 0 where ignored
loss_by_hand = surprisal.sum() / scored.sum()                         # the mean over REAL targets
print(f"loss by hand: {loss_by_hand:.4f} over {int(scored.sum())} scored tokens")

# %% [markdown]
# The same number four ways: by hand, PyTorch's `F.cross_entropy` with `ignore_index`, the course's
# `token_cross_entropy` (the same steps in the package, tested against torch in `tests/test_ch06_losses.py`),
# and the model's own `loss` when it is given the targets. `next_token_targets` is the shift of the cell
# above, packaged.

# %%
# NBVAL_CHECK_OUTPUT
with torch.inference_mode():
    from_model = gpt(inputs, targets).loss
torch_loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-100)
package = token_cross_entropy(logits, targets)
print("by hand == F.cross_entropy:", torch.allclose(loss_by_hand, torch_loss, atol=1e-5))
print("token_cross_entropy == F.cross_entropy:", torch.allclose(package, torch_loss, atol=1e-5))
print("model(inputs, targets).loss == F.cross_entropy:", torch.allclose(from_model, torch_loss, atol=1e-5))
print("next_token_targets gives the same shift:", all(torch.equal(a, b) for a, b in
                                                      zip(next_token_targets(ids, mask), (inputs, targets))))
print(f"positions: {scored.numel()}, scored: {int(scored.sum())}, padding ignored: {int((~scored).sum())}")

# %% [markdown]
# Each position's term, −log p(next token), is the model's *surprisal* at that token, in nats. The loss is
# their average, so it can be read token by token — here for the longest sentence:

# %%
row = int(mask.sum(1).argmax())
n = int(scored[row].sum())
words = [tok.itos[i] for i in targets[row, :n].tolist()]
fig, ax = plt.subplots(figsize=(9, 3.2))
ax.bar(range(n), surprisal[row, :n].tolist(), color="tab:blue")
ax.axhline(math.log(V), color="tab:red", ls="--", lw=1, label=f"ln V = {math.log(V):.2f} (uniform guess)")
ax.axhline(loss_by_hand.item(), color="black", ls=":", lw=1, label=f"batch loss {loss_by_hand:.2f}")
ax.set_xticks(range(n), words, rotation=45, ha="right", fontsize=8)
ax.set(ylabel="−log p(token) [nats]", title="Surprisal of each next token (held-out sentence)")
ax.legend(fontsize=8)
fig.tight_layout()

costly = surprisal[row, :n].topk(3)
print("the three costliest tokens:", ", ".join(f"{words[i]!r} {v:.2f}" for v, i in
                                              zip(costly.values.tolist(), costly.indices.tolist())))

# %% [markdown]
# Words the context already holds cost almost nothing (the second `chen`, `born` in the question); the
# costliest, printed above, are the year `1963` (4.24 nats), the first `chen` (3.31) — a name and a date
# nothing in the context fixes — and, well behind, the city `beijing` (1.71), about as dear as some ordinary
# words of the sentence.

# %% [markdown]
# ## Lab 2 — Why log-sum-exp: the naive formula breaks on confident logits
#
# Computed as written, `−log(exp(z_y) / Σ exp(z))` needs e^{z}. Float32 has limits on both sides:

# %%
# NBVAL_CHECK_OUTPUT
print("float32 e^88, e^89:", torch.tensor([88.0, 89.0]).exp().tolist())
print("smallest normal float32:", torch.finfo(torch.float32).tiny)
print("1e-45 and 1e-46 stored in float32:", torch.tensor([1e-45, 1e-46]).tolist())

# %% [markdown]
# e^{89} is already infinite. Below the smallest normal number float32 still has subnormals, but a
# probability below about 10⁻⁴⁵ rounds to 0, whose log is −∞. Taking out the maximum
# first keeps every exponent ≤ 0 and every sum ≥ 1. We multiply the model's logits by a growing factor —
# the logits of an ever more confident model — and compute the loss both ways:

# %%
def naive_loss(logits, targets):
    probs = logits.exp() / logits.exp().sum(dim=-1, keepdim=True)
    picked = probs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return -picked.log()[targets != -100].mean()


factors = [1, 10, 30, 100]
results = {}
for k in factors:
    reference = F.cross_entropy(k * logits.reshape(-1, V), targets.reshape(-1))
    results[k] = (naive_loss(k * logits, targets), token_cross_entropy(k * logits, targets), reference)
    print(f"logits ×{k:>3}: naive {results[k][0].item():>9.3f} · log-sum-exp {results[k][1].item():>9.3f} · "
          f"F.cross_entropy {results[k][2].item():>9.3f}")

# %%
# NBVAL_CHECK_OUTPUT
print("naive == torch at ×1:", torch.allclose(results[1][0], results[1][2], atol=1e-4))
print("naive is finite at every factor:", all(torch.isfinite(r[0]).item() for r in results.values()))
print("log-sum-exp == torch at every factor:",
      all(torch.allclose(r[1], r[2], rtol=1e-4) for r in results.values()))

# %% [markdown]
# The same trick sits inside `torch.logsumexp`, `F.log_softmax` and `F.cross_entropy`, which is why
# training code passes **logits** to the loss, never probabilities. The package's `logsumexp`:

# %%
course.show(logsumexp)

# %% [markdown]
# ## Lab 3 — The loss at initialization is ≈ ln V
#
# A freshly initialized GPT (weights drawn with standard deviation 0.02, as in GPT, Radford et al., 2018;
# residual projections 0.02/√(2L), as in GPT-2) has logits close to 0 for every token, so its prediction
# is close to uniform: p = 1/V for every token, loss = −log(1/V) = ln V.
# Measured for five vocabulary sizes, on random tokens:

# %%
def initial_loss(vocab_size: int, embedding_std: float | None = None, seed: int = 0) -> float:
    torch.manual_seed(seed)
    model = GPT(GPTConfig.preset("tiny", vocab_size=vocab_size)).to(device)
    if embedding_std is not None:                 # the output layer shares this matrix (tied weights)
        torch.nn.init.normal_(model.tok_emb.weight, 0.0, embedding_std)
    x = torch.randint(vocab_size, (8, 33), generator=torch.Generator().manual_seed(seed)).to(device)
    with torch.inference_mode():
        return model(x[:, :-1], x[:, 1:]).loss.item()


sizes = [16, 64, V, 1024, 4096]
measured = [initial_loss(v) for v in sizes]
for v, loss in zip(sizes, measured):
    print(f"V = {v:>5}: loss at init {loss:.3f}, ln V = {math.log(v):.3f}")

fig, ax = plt.subplots(figsize=(5.5, 3.4))
ax.plot(sizes, [math.log(v) for v in sizes], color="gray", lw=1, label="ln V")
ax.scatter(sizes, measured, color="tab:blue", zorder=3, label="measured loss at step 0")
ax.set(xscale="log", xlabel="vocabulary size V", ylabel="loss [nats]", title="A fresh model starts at ln V")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("every initial loss within 0.05 of ln V:", all(abs(l - math.log(v)) < 0.05 for v, l in zip(sizes, measured)))

# %% [markdown]
# This makes a free sanity check. A real bug of this kind: `nn.Embedding` initializes its weights with
# standard deviation **1**, not 0.02. Forget the GPT initialization, and with the output layer tied to the
# embedding the logits start huge — the model is confidently wrong before it has seen any data:

# %%
bad = initial_loss(V, embedding_std=1.0)
print(f"embedding std 1.0: loss at init {bad:.1f}, versus ln V = {math.log(V):.2f}")

# %% [markdown]
# Perplexity is exp(loss): at initialization about V, a uniform guess among all words. The pretrained model
# on the held-out batch of Lab 1:

# %%
fresh = measured[sizes.index(V)]
print(f"pretrained model: loss {loss_by_hand:.3f}, perplexity {loss_by_hand.exp():.2f} · "
      f"a fresh model (Lab 3): loss {fresh:.3f}, perplexity {math.exp(fresh):.1f} (V = {V})")

# %% [markdown]
# ## Lab 4 — Mean, not sum
#
# The common answer sums the loss over all words. Batches of 2, 8 and 32 held-out sentences, with the loss
# reduced both ways, and the gradient norm each gives the model:

# %%
def loss_and_grad(n_sentences: int, reduction: str):
    batch = corpus_lines(max(n_sentences, 8), seed=10_001)[:n_sentences]
    b_ids, b_mask = pad_batch([[tok.eos_id] + tok.encode(s) + [tok.eos_id] for s in batch], tok.pad_id)
    x, y = next_token_targets(b_ids.to(device), b_mask.to(device))
    gpt.zero_grad()
    loss = token_cross_entropy(gpt(x).logits, y, reduction=reduction)
    loss.backward()
    grad = torch.sqrt(sum((p.grad ** 2).sum() for p in gpt.parameters())).item()
    return loss.item(), grad, int((y != -100).sum())


rows = []
for n_sent in (2, 8, 32):
    (s, g_sum, tokens), (mean, g_mean, _) = loss_and_grad(n_sent, "sum"), loss_and_grad(n_sent, "mean")
    rows.append((n_sent, tokens, s, mean, g_sum, g_mean))
    print(f"{n_sent:>2} sentences, {tokens:>3} target tokens: sum {s:7.1f} (‖grad‖ {g_sum:6.2f}) · "
          f"mean {mean:.3f} (‖grad‖ {g_mean:.2f})")
gpt.zero_grad()

# %%
# NBVAL_CHECK_OUTPUT
print("sum = mean × number of target tokens, in every batch:",
      all(math.isclose(s, mean * tokens, rel_tol=1e-4) for _, tokens, s, mean, _, _ in rows))
print("and so is its gradient (‖grad of sum‖ = tokens × ‖grad of mean‖):",
      all(math.isclose(g_sum, g_mean * tokens, rel_tol=1e-3) for _, tokens, _, _, g_sum, g_mean in rows))
print("the summed loss's gradient grows with the batch:", rows[0][4] < rows[1][4] < rows[2][4])

# %% [markdown]
# The mean is an average per-token loss and its gradient an average per-token gradient: neither grows with
# the batch (the gradient's norm does not grow: here it falls from 1.56 to 0.60 as more tokens' gradients
# partly cancel). The sum
# is the mean multiplied by the number of target tokens, and so is its gradient: with the same learning
# rate, the step of the 32-sentence batch would be hundreds of times the mean's step, and the learning rate
# would have to be retuned whenever the batch size or sentence length changes. That is why
# `F.cross_entropy` reduces by the mean over the non-ignored targets. (Chapter 35 shows the subtler
# averaging mistakes: per sequence instead of per token, and across gradient-accumulation steps.)

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** The loss of supervised fine-tuning: a right-padded batch of prompt + response rows,
# given by their lengths, where only the response is scored — the shift and both masks are yours to do.

# %%
from course.selftest import exercise

exercise("06.next_token_loss")

# %%
def next_token_loss(logits, ids, prompt_lengths, lengths):
    # your code here
    raise NotImplementedError


exercise("06.next_token_loss").check(next_token_loss)

# %% [markdown]
# **Exercise 2.** Cross-entropy in its general form, against a full target *distribution* at each
# position: the sum over the vocabulary that the common answer's formula left implicit.

# %%
exercise("06.soft_cross_entropy")

# %%
def soft_cross_entropy(logits, target_probs, mask):
    # your code here
    raise NotImplementedError


exercise("06.soft_cross_entropy").check(soft_cross_entropy)

# %% [markdown]
# Stuck? `exercise("06.soft_cross_entropy").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(6)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 语言模型的损失是逐 token 的交叉熵，即下一个 token 的负对数似然。因果模型在位置 t 的输出只看到 0…t，要和第 t+1 个 token 比较，所以输入取 `ids[:, :-1]`、目标取 `ids[:, 1:]`（输入与目标错开一位）。每个位置的交叉熵是对**词表**
# 求和：−Σ_v y_v log p_v；目标是 one-hot，于是只剩 −log p(真实下一个词) = logsumexp(z) − z_y。为了数值稳定，先减去最大 logit 再求 log-sum-exp，因此要把 logits（而不是概率）交给损失函数。填充位置的目标设为 `ignore_index`，不计入；最后对真实目标 token **取平均**，而不是对所有词求和——求和会让损失和梯度随批大小和长度变化。检查方法：初始化时损失应约等于 ln V（本章词表 232，ln V ≈ 5.45），困惑度 = exp(损失)。
#
# **English:** The LM loss is token-level cross-entropy: the negative log-likelihood of each next token. A causal
# model's output at position t has seen tokens 0…t and is scored on token t+1, so inputs are `ids[:, :-1]`
# and targets `ids[:, 1:]`. Cross-entropy sums over the **vocabulary**, −Σ_v y_v log p_v; with a one-hot
# target that is −log p(actual next token) = logsumexp(z) − z_y, computed with the maximum logit subtracted
# so nothing overflows — which is why the loss takes logits, not probabilities. Padding targets are set to
# `ignore_index` and the loss is the **mean over the real targets**, not a sum, which would scale the
# gradient with batch size and length. Sanity check: the loss at initialization is ≈ ln V (5.45 for this
# chapter's 232 words); perplexity = exp(loss).

# %% [markdown]
# ## Further reading
#
# - Bengio, Ducharme, Vincent, Jauvin — *A Neural Probabilistic Language Model* (2003): next-word
#   prediction trained by maximizing the log-likelihood.
# - Shannon — *Prediction and Entropy of Printed English* (1951): the entropy of text, what cross-entropy
#   and perplexity estimate.
# - Radford, Narasimhan, Salimans, Sutskever — *Improving Language Understanding by Generative
#   Pre-Training* (2018): the GPT objective, and its N(0, 0.02) initialization.
# - Goodfellow, Bengio, Courville — *Deep Learning* (2016), section 4.1: overflow, underflow and the stable
#   softmax.
