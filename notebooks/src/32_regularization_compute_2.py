# %% [markdown]
# # Chapter 32 · How do regularization methods balance performance and compute? (2)
#
# **题目：** 语言模型中的正则化方法如何平衡模型性能和计算成本？ — 请解释语言模型中的正则化方法如何平衡模型性能和计算成本。
#
# **Question:** How do regularization methods in language models balance model performance against
# computational cost?
#
# **Time:** about 25 minutes · **Prerequisites:** [27 · what regularizers cost](27_regularization_compute_1.ipynb),
# [3 · GPT-3 architecture](03_gpt3_architecture.ipynb) · **Related:**
# [37 · early stopping and the data regime](37_regularization_compute_3.ipynb),
# [45 · sparsity and efficiency](45_sparsity_efficiency.ipynb)
#
# **Objectives**
# - Cut parameters without cutting layers: tied embeddings, ALBERT's cross-layer sharing, and its
#   factorized embedding — and measure what each does to validation loss.
# - Keep two budgets apart: parameters (memory) and FLOPs (compute). Sharing shrinks the first only.
# - Compress a trained embedding with a truncated SVD and read the loss against the rank.

# %% [markdown]
# ## Try first
#
# ALBERT stores a small fraction of the parameters of a BERT of the same width and depth. Is it that much
# cheaper to run? Write down which of its two tricks saves what.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “通过正则化，可以简化模型结构，减少参数数量，降低计算复杂度” | **wrong** | Fewer parameters and less compute are different things. Sharing one block across layers (ALBERT) cuts parameters but every layer still runs: the FLOPs of a step stay the same. Tying the output layer to the embedding saves V·d parameters and no FLOPs. | Labs 1–2 |
# | “减少参数数量” as a regularizer | incomplete | Parameter sharing and low-rank factorization are *constraints* on the weights, and constraints can regularize — or just remove capacity. Which one happens is measured, not assumed: in Lab 1 tying lowers the best validation loss, while sharing the blocks and factorizing the embedding raise it. | Lab 1 |
# | “正则化方法的超参数…可以在保持模型性能的同时，降低计算成本” | **wrong** | The knob that trades storage for quality here is a *rank* or a sharing pattern, and its price is read off a curve of loss against parameters. | Lab 3 |
# | (missing) | — | The methods that really reduce parameters in LMs are architectural: tied input/output embeddings (Press & Wolf, 2017), cross-layer sharing and factorized embeddings (ALBERT, Lan et al., 2020), low-rank factors (LoRA's idea, chapter 42). | Labs 1–3 |

# %%
import copy

import matplotlib.pyplot as plt
import torch
from torch.utils.flop_counter import FlopCounterMode

from course.models import count_parameters
from course.models.sharing import count_albert, factorize_embeddings, low_rank, share_layers
from course.pretrained import held_out_lines, load_tiny_gpt
from course.runtime import seed_everything
from course.train import AdamW
from course.train.overfitting import overfit_setting

seed_everything(0)
setting = overfit_setting(60)          # the shared setting of chapters 5, 22, 27, 32 and 37
batch = setting.batches()(0)
cfg = setting.config
print(f"the setting's GPT: {cfg.n_layers} layers, d = {cfg.d_model}, V = {cfg.vocab_size}, context {cfg.context}")

# %% [markdown]
# ## Lab 1 — Tying, sharing, factorizing: parameters, FLOPs and validation loss
#
# Four variants of the setting's GPT (its shape printed above): an **untied** output layer; the default
# **tied** one; tied with the two blocks **shared** (`share_layers`: one block applied twice); and tied with
# a **factorized** embedding of rank 16 (`factorize_embeddings`: V×16 and 16×d instead of V×d). Same
# initial seed, same batches and validation every 15 steps as in chapter 27, so the tied model here is
# chapter 27's plain one; we stop at 45 steps, where that model reached its best validation loss there.

# %%
STEPS = 45
VARIANTS = {
    "untied": lambda: setting.model(tie_weights=False),
    "tied": lambda: setting.model(),
    "tied + shared blocks": lambda: share_layers(setting.model()),
    "tied + factorized (r=16)": lambda: factorize_embeddings(setting.model(), 16),
}
results = {}
for name, build in VARIANTS.items():
    model = build()
    with FlopCounterMode(display=False) as counter:
        model(*batch).loss.backward()
    model.zero_grad()
    history = setting.train(model, AdamW(model.parameters(), lr=3e-3, weight_decay=0.0), steps=STEPS,
                            eval_every=15, progress=False)
    results[name] = {"params": count_parameters(model), "flops": counter.get_total_flops(), "history": history}

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'variant':<26} {'parameters':>10} {'vs tied':>8} {'FLOPs per step':>15}")
for name, r in results.items():
    print(f"{name:<26} {r['params']:>10,} {r['params'] / results['tied']['params']:>8.2f} {r['flops']:>15,}")
print("sharing leaves the FLOPs unchanged:", results["tied + shared blocks"]["flops"] == results["tied"]["flops"])
print("tying leaves the FLOPs unchanged:  ", results["untied"]["flops"] == results["tied"]["flops"])

# %%
print(f"{'variant':<26} {'best val loss':>13} {'at step':>8} {'val loss at ' + str(STEPS):>15}")
for name, r in results.items():
    h = r["history"]
    best = min(range(len(h.eval_loss)), key=h.eval_loss.__getitem__)
    r["best"] = h.eval_loss[best]
    print(f"{name:<26} {h.eval_loss[best]:>13.3f} {h.eval_step[best]:>8} {h.eval_loss[-1]:>15.3f}")

colors = ["#888888", "#1f77b4", "#2ca02c", "#ff7f0e"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for (name, r), color in zip(results.items(), colors):
    h = r["history"]
    axes[0].plot(h.eval_step, h.eval_loss, color=color, lw=2, marker="o", label=name)
    axes[1].scatter(r["params"] / 1e3, r["best"], color=color, s=60, zorder=3)
    axes[1].annotate(name, (r["params"] / 1e3, r["best"]), xytext=(6, 4), textcoords="offset points", fontsize=8)
axes[0].set(xlabel="step", ylabel="validation loss", title="Validation loss, 60 training lines")
axes[0].legend(fontsize=8)
axes[1].set(xlabel="parameters (thousands)", ylabel="best validation loss",
            title="Parameters saved vs loss", xlim=(50, 150))
axes[1].margins(y=0.15)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Read the two tables together. Tying is free in FLOPs and, in this run, even lowers the best validation
# loss — the untied model has V·d more weights to fit its few lines with. Sharing the blocks removes a whole
# block's weights at the same FLOPs, for the loss difference printed above. Factorizing the embedding
# saves the least here — V is tiny, so V·d was a small part of the model — and it even cuts FLOPs a
# little, because the tied output layer now runs through the rank-16 bottleneck too; in this run it is
# the variant that loses most. A constraint is not automatically a regularizer: whether it helps is a
# measurement.

# %% [markdown]
# ## Lab 2 — At ALBERT's scale
#
# The factorized embedding was designed for V = 30,000 and widths up to 4,096, where V·d is large.
# `count_albert` (in `course.models.sharing`) counts an ALBERT encoder from its shape — the parameters it
# stores, and the weights it *applies* per token, since every layer runs its (shared) block. Its stored
# counts equal those of Hugging Face's `AlbertModel` and `BertModel` built from the same configs (checked
# in `tests/test_ch32_sharing.py`, on PyTorch's `meta` device); here they stand next to the paper's table.

# %%
# NBVAL_CHECK_OUTPUT
ALBERT = {"base": (768, 12, 3072), "large": (1024, 24, 4096),
          "xlarge": (2048, 24, 8192), "xxlarge": (4096, 12, 16384)}   # hidden H, layers, FFN (E = 128)
PAPER = {"base": 12, "large": 18, "xlarge": 60, "xxlarge": 235, "BERT-large": 334}   # Lan et al., table 1 (M)
print(f"{'model':<14} {'stored':>10} {'paper':>7} {'applied per token, all layers':>31}")
for name, (h, layers, ffn) in ALBERT.items():
    stored, applied = count_albert(h, layers, ffn)
    print(f"ALBERT-{name:<7} {stored / 1e6:>8.1f} M {PAPER[name]:>5} M {applied / 1e6:>29.1f} M")
bert_stored, bert_applied = count_albert(1024, 24, 4096, embed=1024, shared=False)
print(f"{'BERT-large':<14} {bert_stored / 1e6:>8.1f} M {PAPER['BERT-large']:>5} M {bert_applied / 1e6:>29.1f} M")
albert_large, albert_xxlarge = count_albert(1024, 24, 4096), count_albert(4096, 12, 16384)
print(f"BERT-large stores {bert_stored / albert_large[0]:.1f} × ALBERT-large's parameters; "
      f"ALBERT-xxlarge applies {albert_xxlarge[1] / bert_applied:.1f} × BERT-large's weights per token")

# %% [markdown]
# ALBERT-large stores about a nineteenth of BERT-large's parameters (ratio printed), yet both run 24 blocks
# of the same shape on every token: the same weights applied, hence the same compute — the sharing that
# Lab 1 measured with `FlopCounterMode` on our own model. ALBERT-xxlarge stores fewer parameters than
# BERT-large and applies many times more per token (ratio printed): fewer parameters, more compute.
# Against the paper's table 1, the encoders counted here (with pooler, without the pre-training heads)
# agree to within 1 M for base, large and BERT-large and are smaller for xlarge and xxlarge.

# %% [markdown]
# ## Lab 3 — Low-rank factorization of a trained embedding
#
# Factorizing need not start from scratch. The shipped pretrained tiny GPT has a tied V × d embedding;
# `factorize_embeddings(model, r, from_trained=True)` replaces it by the best rank-r factors of the trained
# matrix (a truncated SVD, `low_rank`). No retraining: we read the loss on held-out text that the model
# never saw, at each rank.

# %%
gpt, tok = load_tiny_gpt()
stream = torch.tensor([i for line in held_out_lines(150) for i in tok.encode(line) + [tok.eos_id]])
T = gpt.config.context
n = (len(stream) - 1) // T
x, y = stream[:n * T].view(n, T), stream[1:n * T + 1].view(n, T)


def held_out_loss(model):
    with torch.inference_mode():
        return model.eval()(x, y).loss.item()


full_loss = held_out_loss(gpt)
embedding = gpt.tok_emb.weight.detach().clone()
ranks = [4, 8, 16, 32, 64, 128]
compressed = {}
for r in ranks:
    model = factorize_embeddings(copy.deepcopy(gpt), r, from_trained=True)
    compressed[r] = (count_parameters(model.tok_emb), held_out_loss(model))
print(f"full {tuple(embedding.shape)} embedding: {embedding.numel():,} parameters, "
      f"held-out loss {full_loss:.3f} on {x.numel():,} tokens")
for r, (size, loss) in compressed.items():
    print(f"rank {r:>3}: {size:>6,} parameters in the factors, held-out loss {loss:.3f} ({loss - full_loss:+.3f})")

s = torch.linalg.svdvals(embedding)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3))
axes[0].semilogy(s.numpy(), marker=".")
axes[0].set(xlabel="index", ylabel="singular value", title="Singular values of the trained embedding")
axes[1].plot([compressed[r][0] / 1e3 for r in ranks], [compressed[r][1] for r in ranks], marker="o")
for r in ranks:
    axes[1].annotate(f"r={r}", (compressed[r][0] / 1e3, compressed[r][1]), xytext=(4, 4),
                     textcoords="offset points", fontsize=8)
axes[1].axhline(full_loss, color="gray", ls=":", label=f"full {embedding.shape[0]}×{embedding.shape[1]} embedding")
axes[1].set(xlabel="embedding parameters (thousands)", ylabel="held-out loss", title="Loss vs rank, no retraining")
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
a, b = low_rank(embedding, 128)
print("rank 128 (full) reproduces the embedding:", torch.allclose(a @ b, embedding, atol=1e-5))
a, b = low_rank(embedding, 16)
print("squared error at rank 16 = sum of the dropped squared singular values:",
      torch.allclose(((a @ b - embedding) ** 2).sum(), (s[16:] ** 2).sum(), rtol=1e-3))

# %% [markdown]
# The error of the best rank-r approximation is exactly the energy of the dropped singular values
# (Eckart–Young), checked above. This spectrum falls slowly and steadily (left plot), so no small rank
# keeps most of the matrix, and the loss curve shows how much the model cares: it barely moves down to a
# rank of 64 and climbs steeply below 32. Note that at rank 128 the factors hold more numbers than the
# matrix itself (r·(V + d) > V·d): factorization only saves when r < V·d / (V + d), printed below.

# %%
# NBVAL_CHECK_OUTPUT
V, d = embedding.shape
print(f"factors save parameters only below rank {V * d / (V + d):.1f}")

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** The parameter count of Lab 1's variants, from the shape alone.

# %%
from course.selftest import exercise

exercise("32.count")

# %%
def gpt_params(vocab_size, context, d_model, n_layers, rank=None, shared=False):
    # your code here
    raise NotImplementedError


exercise("32.count").check(gpt_params)

# %% [markdown]
# **Exercise 2.** The core of `low_rank`, which Lab 3 called from the package.

# %%
exercise("32.low_rank")

# %%
def rank_r_approximation(weight, rank):
    # your code here
    raise NotImplementedError


exercise("32.low_rank").check(rank_r_approximation)

# %% [markdown]
# Stuck? `exercise("32.low_rank").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(32)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 减少参数量和减少计算量是两回事。真正减少参数的是结构上的约束：① 输入/输出词嵌入共享（tied embeddings），省掉 V·d 个参数，FLOPs 不变；② ALBERT 的跨层参数共享，一个 block 重复使用 L 次，参数约减为 1/L，但每层仍要计算，FLOPs 完全不变（ALBERT-large 参数约为 BERT-large 的 1/19，每个 token 的计算量相同）；③ 低秩分解，如 ALBERT 的词嵌入分解 V×E + E×H，或对训练好的矩阵做截断 SVD，只有 r < V·d/(V+d) 时才省参数。这些约束有时有正则化效果，有时只是损失容量，要用验证集损失实测。省计算要靠更少步数（早停）、更小/稀疏的模型、量化等。
#
# **English:** Fewer parameters and less compute are different budgets. Parameters are cut by structural
# constraints: tied input/output embeddings save V·d weights at the same FLOPs; ALBERT's cross-layer sharing
# applies one block L times, dividing the stack's parameters by L while every layer still runs — ALBERT-large
# stores about 1/19 of BERT-large's parameters and applies the same weights per token; low-rank factorization
# (ALBERT's V×E + E×H embedding, or a truncated SVD of a trained matrix) saves only when r < V·d/(V + d).
# Such constraints sometimes regularize and sometimes just remove capacity — measure the validation loss.
# Compute is saved by fewer steps (early stopping), smaller or sparse models, quantization.

# %% [markdown]
# ## Further reading
#
# - Press, Wolf — *Using the Output Embedding to Improve Language Models* (2017).
# - Lan, Chen, Goodman, Gimpel, Sharma, Soricut — *ALBERT: A Lite BERT for Self-supervised Learning of Language
#   Representations* (2020), tables 1–2.
# - Dehghani, Gouws, Vinyals, Uszkoreit, Kaiser — *Universal Transformers* (2019): one block applied repeatedly.
# - Eckart, Young — *The approximation of one matrix by another of lower rank* (1936).
