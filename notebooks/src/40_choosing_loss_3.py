# %% [markdown]
# # Chapter 40 · How does the choice of loss function affect model performance? (3)
#
# **题目：** 语言模型中的损失函数选择对模型性能有哪些影响？ — 请解释语言模型中的损失函数选择对模型性能有哪些影响。
#
# **Question:** How does the choice of loss function affect a language model's performance?
#
# **Time:** about 30 minutes · **Prerequisites:** [6 · the LM loss](06_lm_loss.ipynb),
# [30 · choosing the loss (1)](30_choosing_loss_1.ipynb) · **Related:**
# [35 · choosing the loss (2)](35_choosing_loss_2.ipynb), [25 · how the loss shapes training](25_loss_shapes_training.ipynb)
#
# Third chapter on this question. Chapters 30 and 35 refine next-token cross-entropy (label smoothing,
# calibration, sequence-loss mistakes); this one changes **what the model is trained to match**: a
# teacher's whole distribution (knowledge distillation), or which of many candidates belongs with an
# anchor (contrastive InfoNCE).
#
# **Objectives**
# - Write the distillation loss — temperature, KL, the T² factor — and show it equal to `F.kl_div`.
# - Measure why T² is there, and distill the course's pretrained tiny GPT into a small student that beats
#   the same student trained on the labels alone.
# - Write InfoNCE, show it is cross-entropy over similarity logits, and train an encoder with it.

# %% [markdown]
# ## Try first
#
# Your interview answer: besides next-token cross-entropy, which losses train language models, what does
# each one match, and when does it beat plain cross-entropy?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “凸损失函数（如交叉熵损失函数）有助于快速收敛” | **wrong** | Cross-entropy is convex in the *logits* (chapter 25), not in the network's weights: the training loss of any multi-layer model is non-convex, so convexity promises nothing about convergence. | Lab 2 |
# | “交叉熵损失函数可以在训练数据和验证数据上表现出良好的泛化能力” | **wrong** | No loss guarantees generalization. Trained on 32 sequences with the labels alone, the student of Lab 2 overfits: its validation loss rises while its training loss falls. Matching a teacher's distribution instead generalizes better from the same data. | Lab 2 |
# | “交叉熵……衡量模型预测的概率分布与真实分布之间的差异” | **incomplete** | With one-hot labels the “true distribution” is a single word, and cross-entropy is −log p(that word). Distillation replaces it by a teacher's full distribution, softened by a temperature, and minimizes the KL divergence. | Labs 1–2 |
# | “不同的损失函数会影响模型的准确性……交叉熵损失函数通常用于分类任务” | **incomplete** | The choice of loss decides *what* is learned, not only how accurately. InfoNCE is also a cross-entropy, but its classes are the other examples of the batch: it trains embeddings (retrieval, CLIP), not next-token prediction. | Lab 3 |
# | “不稳定的损失函数可能导致……梯度消失或梯度爆炸” | **incomplete** | A loss's scale sets its gradients' scale: the KL between temperature-softened distributions has gradients that shrink as 1/T², which is why distillation multiplies it by T². | Lab 1 |
# | “平坦的损失函数可能导致梯度消失” | **incomplete** | A flat loss has small gradients by definition; the useful question is which losses flatten where they should not. Squared error on softmax outputs does so on confidently wrong predictions (chapter 25); the temperature-softened KL does so as 1/T², undone by T². | Lab 1, chapter 25 |
# | “交叉熵……可以反映模型对每个词的预测概率与真实概率之间的差异，从而提高模型的可解释性” | **wrong** | A loss value measures how well a model predicts; it does not explain how the model arrives at a prediction. Interpretability needs other tools (attention maps, probes, attributions). | — |

# %%
import copy
import math
import random

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course.models import GPT, GPTConfig, count_parameters
from course.pretrained import VAL_SEED, corpus_lines, load_tiny_gpt
from course.runtime import seed_everything
from course.text import lm_batch
from course.train import AdamW, distillation_loss, evaluate, fit, info_nce

seed_everything(0)

# %% [markdown]
# ## Lab 1 — The distillation loss, written out
#
# A teacher gives, at every position, logits zₜ over the vocabulary; the student gives zₛ. Divide both by
# a temperature T > 1 to soften them, p = softmax(zₜ/T), q = softmax(zₛ/T), and make the student match
# the teacher: KL(p ‖ q) = Σ p·(log p − log q), averaged over positions (Hinton, Vinyals, Dean, 2015).
# The softened p keeps the teacher's ranking of the *wrong* words — which words it finds plausible —
# that a one-hot label throws away.

# %%
teacher, tok = load_tiny_gpt()
teacher.eval()


def kd_loss(student_logits, teacher_logits, T):
    """T² · KL(softmax(teacher/T) ‖ softmax(student/T)), mean over positions. Logits: (B, T, V)."""
    log_p = F.log_softmax(teacher_logits / T, dim=-1)                # not torch.log(softmax): softmax can
    p = log_p.exp()                                                  # underflow to 0, and 0 · log 0 is NaN
    log_q = F.log_softmax(student_logits / T, dim=-1)
    kl_per_position = (p * (log_p - log_q)).sum(dim=-1)              # (B, T)
    return T ** 2 * kl_per_position.mean()


x = torch.randint(0, tok.vocab_size, (4, 16), generator=torch.Generator().manual_seed(0))
with torch.inference_mode():
    z_teacher = teacher(x).logits                                    # (4, 16, V)
z_student = torch.randn(4, 16, tok.vocab_size, generator=torch.Generator().manual_seed(1))
T = 2.0
ours = kd_loss(z_student, z_teacher, T)
log_q = F.log_softmax(z_student / T, dim=-1).flatten(0, 1)           # (B·T, V): one row per position
torch_kl = F.kl_div(log_q, F.softmax(z_teacher / T, dim=-1).flatten(0, 1), reduction="batchmean")
batchmean_3d = F.kl_div(F.log_softmax(z_student / T, dim=-1), F.softmax(z_teacher / T, dim=-1),
                        reduction="batchmean")
print(f"ours {ours:.5f} · T²·F.kl_div {T ** 2 * torch_kl:.5f} · course.train.distillation_loss "
      f"{distillation_loss(z_student, z_teacher, T):.5f}")
print(f"F.kl_div(…, 'batchmean') on the (B, T, V) tensors: {T ** 2 * batchmean_3d:.5f} — divided by B, not B·T")

# %%
# NBVAL_CHECK_OUTPUT
print("equal to T²·F.kl_div(log q, p, reduction='batchmean') over positions:",
      torch.allclose(ours, T ** 2 * torch_kl, atol=1e-6))
print("equal to course.train.distillation_loss:", torch.allclose(ours, distillation_loss(z_student, z_teacher, T)))
print("'batchmean' on 3-D tensors is 16× too large (the sequence length):",
      torch.allclose(batchmean_3d, 16 * torch_kl, rtol=1e-5))

# %% [markdown]
# `F.kl_div` takes the student's **log**-probabilities first and the teacher's probabilities second, and
# its `"batchmean"` divides by the size of dimension 0 only: flatten the positions first. Both
# log-probabilities come from `log_softmax`, never from `torch.log` of a softmax: a probability that
# underflows to 0 would give 0 · log 0 = NaN.
#
# **Why T².** Softening by T also shrinks the gradient that reaches the student's logits: for large T it
# is about (zₛ − zₜ)/(V·T²) per logit. Without the factor, raising T would quietly lower the distillation
# term's weight against the label term. Measured on the logits above:

# %%
temperatures = [1, 2, 4, 8, 16, 32, 64]
grad_norm = {"KL alone": [], "T² · KL": []}
for t in temperatures:
    for name, scaled in (("KL alone", False), ("T² · KL", True)):
        z = z_student.clone().requires_grad_()
        distillation_loss(z, z_teacher, t, scale_by_t2=scaled).backward()
        grad_norm[name].append(z.grad.norm().item())
print(f"the teacher's logits span {(z_teacher.amax(-1) - z_teacher.amin(-1)).mean():.0f} on average per position")
for name, norms in grad_norm.items():
    print(f"{name:>9}: gradient norm at T = {temperatures}: {[f'{g:.2e}' for g in norms]}")

fig, ax = plt.subplots(figsize=(5.5, 3.3))
for name, norms in grad_norm.items():
    ax.plot(temperatures, norms, marker="o", label=name)
ax.plot(temperatures, [grad_norm["KL alone"][-1] * (temperatures[-1] / t) ** 2 for t in temperatures],
        ls=":", color="gray", label="∝ 1/T²")
ax.set(xscale="log", yscale="log", xlabel="temperature T", ylabel="‖∂loss/∂student logits‖",
       title="Distillation gradients with and without T²")
ax.set_xticks(temperatures, [str(t) for t in temperatures])
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
kl, scaled = grad_norm["KL alone"], grad_norm["T² · KL"]
print(f"from T = 2 to 16 the gradient norm falls {kl[1] / kl[4]:.0f}× for KL alone, {scaled[1] / scaled[4]:.1f}× with T²")
print(f"KL alone, T 32 → 64: shrinks {kl[5] / kl[6]:.1f}× (1/T² predicts 4×)")
print("with T² it levels off: T 32 → 64 changes it by less than 10 %:", abs(scaled[6] / scaled[5] - 1) < 0.1)

# %% [markdown]
# The 1/T² law holds once T is large against the spread of the logits (printed above); at the
# temperatures used in practice (2–20) the T² factor keeps the distillation gradient within one order of
# magnitude, where without it the gradient would fall by two or three.

# %% [markdown]
# ## Lab 2 — A student that beats its label-only twin
#
# Teacher: the pretrained tiny GPT (4 layers, width 128). Student: a GPT of 2 layers and width 32. Data:
# only 32 sequences of 64 tokens from the course corpus — little enough that a small model can memorize
# it. The same student, from the same initialization and on the same batches, is trained twice for 100
# steps: on the labels alone, and on 0.9 · distillation (T = 2) + 0.1 · cross-entropy. The teacher's
# logits are computed once for all 32 sequences. Validation: next-token cross-entropy on 2 batches of
# 64 windows × 64 tokens drawn from 1,000 held-out lines, every 20 steps.

# %%
def stream(lines):
    return torch.tensor([i for line in lines for i in tok.encode(line) + [tok.eos_id]])


train_ids, val_ids = stream(corpus_lines(200, seed=1)), stream(corpus_lines(1000, seed=VAL_SEED))
n_seq = (len(train_ids) - 1) // 64
inputs, targets = train_ids[:n_seq * 64].view(n_seq, 64), train_ids[1:n_seq * 64 + 1].view(n_seq, 64)
with torch.inference_mode():
    teacher_logits = teacher(inputs).logits                          # (32, 64, V), computed once
val_batches = [lm_batch(val_ids, 64, 64, torch.Generator().manual_seed(i)) for i in range(2)]
with torch.inference_mode():
    teacher_val = evaluate(teacher, val_batches)
print(f"{n_seq} training sequences · vocabulary {tok.vocab_size} words · teacher "
      f"{count_parameters(teacher):,} parameters, validation loss {teacher_val:.3f}")

# %% [markdown]
# First, the claim of the audit that a network's loss is not convex in its weights, measured on the teacher.
# Permuting the hidden units of every feed-forward layer (rows of `up`, columns of `down`) gives other
# weights w′ that compute exactly the same function. A convex loss could not be higher at the midpoint
# (w + w′)/2 than at both ends:

# %%
def loss_with(state):
    net = copy.deepcopy(teacher)
    net.load_state_dict(state)
    with torch.inference_mode():
        return evaluate(net, val_batches[:1])


w = teacher.state_dict()
w_perm = dict(w)
for i in range(teacher.config.n_layers):
    perm = torch.randperm(w[f"blocks.{i}.ffn.up.bias"].numel(), generator=torch.Generator().manual_seed(i))
    for name in ("up.weight", "up.bias"):
        w_perm[f"blocks.{i}.ffn.{name}"] = w[f"blocks.{i}.ffn.{name}"][perm]
    w_perm[f"blocks.{i}.ffn.down.weight"] = w[f"blocks.{i}.ffn.down.weight"][:, perm]
midpoint = {k: (v + w_perm[k]) / 2 if v.is_floating_point() else v for k, v in w.items()}
ends, middle = (loss_with(w), loss_with(w_perm)), loss_with(midpoint)
print(f"validation loss at w {ends[0]:.3f}, at the permuted w′ {ends[1]:.3f}, at the midpoint {middle:.3f}")

# %% [markdown]
# The midpoint is worse than both ends, so the loss is not convex in the weights, whatever the loss function.
# Now the two students:

# %%


def train_student(alpha: float, T: float = 2.0, steps: int = 100):
    """alpha · T²·KL(teacher ‖ student) + (1 − alpha) · cross-entropy with the labels."""
    torch.manual_seed(0)
    student = GPT(GPTConfig(vocab_size=tok.vocab_size, context=64, n_layers=2, n_heads=2, d_model=32))
    picks = torch.Generator().manual_seed(1)

    def get_batch(step):
        idx = torch.randint(0, n_seq, (16,), generator=picks)
        return inputs[idx], targets[idx], teacher_logits[idx]

    def loss_fn(model, batch):
        x, y, *z_t = batch                       # validation batches carry no teacher logits: plain CE
        logits = model(x).logits
        ce = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        return ce if alpha == 0 or not z_t else alpha * distillation_loss(logits, z_t[0], T) + (1 - alpha) * ce

    history = fit(student, AdamW(student.parameters(), lr=6e-3, weight_decay=0.1), get_batch, steps,
                  loss_fn=loss_fn, eval_batches=lambda: val_batches, eval_every=20)
    return student, history


@torch.inference_mode()
def final_ce(student):
    return F.cross_entropy(student(inputs).logits.flatten(0, 1), targets.flatten()).item()


runs = {"labels alone": train_student(alpha=0.0), "distilled (α 0.9, T 2)": train_student(alpha=0.9)}
print(f"student: {count_parameters(runs['labels alone'][0]):,} parameters")
for name, (student, h) in runs.items():
    print(f"{name:>24}: validation loss best {min(h.eval_loss):.3f} (step {h.eval_step[h.eval_loss.index(min(h.eval_loss))]}), "
          f"final {h.eval_loss[-1]:.3f}; training cross-entropy at the end {final_ce(student):.3f}")
label_h, kd_h = runs["labels alone"][1], runs["distilled (α 0.9, T 2)"][1]
print(f"the distilled student is lower by {label_h.eval_loss[-1] - kd_h.eval_loss[-1]:.2f} nats at the end, "
      f"by {min(label_h.eval_loss) - min(kd_h.eval_loss):.2f} at the best points")

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for name, (student, h) in runs.items():
    ax.plot(h.eval_step, h.eval_loss, marker="o", label=f"student, {name}")
ax.axhline(teacher_val, color="gray", ls="--", label="teacher")
ax.set(xlabel="step", ylabel="validation cross-entropy (nats)", title="Same student, same 32 sequences")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("the distilled student ends with the lower validation loss, by more than 0.1 nats:",
      label_h.eval_loss[-1] - kd_h.eval_loss[-1] > 0.1)
print("the label-only student overfits (its validation loss rises after its best point):",
      label_h.eval_loss[-1] > min(label_h.eval_loss) + 0.05)

# %% [markdown]
# In this run, the label-only student learns the 32 sequences by heart: it ends with the lower training
# cross-entropy but the higher validation loss, which turned up after its best point. The distilled student sees, at every position, the teacher's whole
# distribution over the whole vocabulary instead of one observed word — much more signal per token, and a signal that
# reflects the language rather than this sample of it. This is how DistilBERT (Sanh et al., 2019) and
# many small LLMs are trained. For sequence models a token-level KL is the simple form; variants match
# the teacher's generated sequences or use the reverse KL (MiniLLM, Gu et al., 2024).

# %% [markdown]
# ## Lab 3 — InfoNCE: cross-entropy over a batch of candidates
#
# Contrastive learning trains embeddings: an anchor should be closer to its positive (another view of the
# same thing) than to the other B − 1 items of the batch. With cosine similarities s(i, j) and a
# temperature τ, InfoNCE (van den Oord, Li, Vinyals, 2018) is
# −log [exp(s(i, i)/τ) / Σⱼ exp(s(i, j)/τ)] averaged over anchors — cross-entropy of a B-way
# classification whose correct class for row i is i. Written out, then checked:

# %%
def info_nce_written_out(a, b, tau):
    """a, b: (B, D), row i of b is the positive of row i of a."""
    a, b = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    scores = (a @ b.T) / tau                                          # (B, B) similarity logits
    log_probs = scores - torch.logsumexp(scores, dim=-1, keepdim=True)
    return -log_probs.diagonal().mean()


a = torch.randn(8, 16, generator=torch.Generator().manual_seed(0))
b = a + 0.5 * torch.randn(8, 16, generator=torch.Generator().manual_seed(1))
sims = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T
print(f"written out {info_nce_written_out(a, b, 0.1):.5f} · F.cross_entropy over similarities "
      f"{F.cross_entropy(sims / 0.1, torch.arange(8)):.5f} · course.train.info_nce {info_nce(a, b, 0.1):.5f}")

# %%
# NBVAL_CHECK_OUTPUT
print("InfoNCE == cross-entropy with targets 0…B−1 over the similarity logits:",
      torch.allclose(info_nce_written_out(a, b, 0.1), F.cross_entropy(sims / 0.1, torch.arange(8)), atol=1e-6),
      torch.allclose(info_nce(a, b, 0.1), F.cross_entropy(sims / 0.1, torch.arange(8)), atol=1e-6))
print(f"at random (all similarities equal) it would be ln B = ln 8 = {math.log(8):.4f}")

# %% [markdown]
# **A tiny contrastive task.** Encoder: the mean of learned 32-dimensional word vectors (an
# `nn.EmbeddingBag`), from a random start. Views: two copies of a sentence of the course corpus, each
# keeping a random 60 % of its words. Task: among 256 held-out sentences, find each one's other view
# (top-1 retrieval by cosine). Training: 300 steps of InfoNCE on batches of 128 training sentences,
# τ = 0.1, fresh views at every step.

# %%
def view(lines, seed, keep=0.6):
    rng = random.Random(seed)
    kept = []
    for line in lines:
        ids = tok.encode(line)
        kept.append([i for i in ids if rng.random() < keep] or ids[:1])
    return kept


def embed(encoder, seqs):
    flat = torch.tensor([i for s in seqs for i in s])
    offsets = torch.tensor([0] + [len(s) for s in seqs[:-1]]).cumsum(0)
    return encoder(flat, offsets)                                     # (len(seqs), 32)


held_out = corpus_lines(256, seed=VAL_SEED)
train_lines = corpus_lines(2000, seed=3)


@torch.no_grad()
def retrieval(encoder):
    """Top-1 accuracy and the (256, 256) similarity matrix between the two views of the held-out lines."""
    sim = F.normalize(embed(encoder, view(held_out, 1)), dim=-1) @ F.normalize(embed(encoder, view(held_out, 2)),
                                                                               dim=-1).T
    return (sim.argmax(dim=1) == torch.arange(len(held_out))).float().mean().item(), sim


torch.manual_seed(0)
encoder = torch.nn.EmbeddingBag(tok.vocab_size, 32, mode="mean")
acc_before, sim_before = retrieval(encoder)
optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-2)
rng, nce_losses = random.Random(0), []
for step in range(300):
    batch = rng.sample(train_lines, 128)
    loss = info_nce(embed(encoder, view(batch, 2 * step + 10)), embed(encoder, view(batch, 2 * step + 11)), 0.1)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    nce_losses.append(loss.item())
acc_after, sim_after = retrieval(encoder)
print(f"InfoNCE loss {nce_losses[0]:.2f} → {sum(nce_losses[-20:]) / 20:.2f} "
      f"(ln 128 = {math.log(128):.2f} if all similarities were equal)")
print(f"top-1 retrieval among 256 held-out sentences: {acc_before:.1%} before training, {acc_after:.1%} after")
off_diagonal = ~torch.eye(len(held_out), dtype=torch.bool)
print(f"mean cosine between different sentences: {sim_before[off_diagonal].mean():.2f} before training, "
      f"{sim_after[off_diagonal].mean():.2f} after; between the two views of one sentence: "
      f"{sim_before.diagonal().mean():.2f}, {sim_after.diagonal().mean():.2f}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
axes[0].plot(nce_losses, lw=0.8)
axes[0].set(xlabel="step", ylabel="InfoNCE loss", title="Training (batch 128, τ 0.1)")
axes[0].grid(alpha=0.3)
for ax, sim, when, acc in ((axes[1], sim_before, "before", acc_before), (axes[2], sim_after, "after", acc_after)):
    image = ax.imshow(sim[:24, :24], cmap="viridis", vmin=-1, vmax=1)
    ax.set(title=f"{when} training: top-1 {acc:.0%}", xlabel="sentence j, view 2", ylabel="sentence i, view 1")
fig.colorbar(image, ax=axes[1:], shrink=0.8, label="cosine similarity (first 24 of 256)")

# %%
# NBVAL_CHECK_OUTPUT
print("contrastive training raises held-out retrieval by more than 5 points:", acc_after > acc_before + 0.05)

# %% [markdown]
# Before training, random word vectors already give some retrieval: the two views share words (mean cosine
# 0.63), while different sentences are only weakly alike (0.10). InfoNCE pushes each sentence away from the
# 127 others of its batch, so the encoder learns which words identify a sentence: the views move closer
# (0.71), different sentences apart (0.00), and the diagonal of the similarity matrix stands out. The same
# loss, with images and captions as the two views, trains CLIP (Radford et al., 2021); with a sentence and
# its paraphrase, sentence-embedding models.
#
# **What τ does.** The loss's gradient pushes each negative away in proportion to its softmax probability.
# On the trained encoder's held-out similarities: the share of each anchor's negative probability mass that
# falls on its single hardest negative (the most similar other sentence), averaged over anchors:

# %%
# NBVAL_CHECK_OUTPUT
negatives = sim_after.masked_fill(~off_diagonal, -math.inf)          # (256, 256), the diagonal removed
hardest = negatives.argmax(dim=1)
for tau in (0.05, 0.1, 1.0):
    probs = (sim_after / tau).softmax(dim=1)
    share = probs[torch.arange(len(held_out)), hardest] / (1 - probs.diagonal())
    print(f"τ = {tau:<4}: hardest negative's share of the negative mass {share.mean():.0%}")

# %% [markdown]
# A small τ concentrates the push on the few negatives that are hardest to tell apart; a large τ spreads it
# over all 255 others (at τ = 1 the hardest one gets 1 %).

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Lab 1's loss averaged over every position. Real batches are padded: average over the real
# tokens only.

# %%
from course.selftest import exercise

exercise("40.masked_kd")

# %%
def masked_kd(student_logits, teacher_logits, mask, temperature):
    # your code here
    raise NotImplementedError


exercise("40.masked_kd").check(masked_kd)

# %% [markdown]
# **Exercise 2.** CLIP's loss: InfoNCE in both directions.

# %%
exercise("40.symmetric_nce")

# %%
def symmetric_nce(a, b, temperature):
    # your code here
    raise NotImplementedError


exercise("40.symmetric_nce").check(symmetric_nce)

# %% [markdown]
# Stuck? `exercise("40.symmetric_nce").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(40)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 损失函数决定模型“学什么”。预训练用下一个词的交叉熵，即对一个观测词的 −log p；它只对 logits 凸，对网络权重并不凸，也不保证泛化。知识蒸馏让学生匹配教师用温度 T 软化后的整个分布：T²·KL(softmax(z_t/T) ‖ softmax(z_s/T))，T² 抵消梯度随 1/T² 的缩小；软标签带有“错误词的相对可能性”，本实验数据少（32 条序列）时，蒸馏学生的最终验证损失比只用标签的同一模型低 0.36 nats（最佳点低
# 0.17），仅用标签的学生过拟合。注意 F.kl_div 的输入是学生的 log 概率，batchmean 只除以第 0 维的大小。对比学习的 InfoNCE 是以 batch 内其他样本为负类的交叉熵，用于训练向量表示（检索、CLIP）；温度 τ 越小，梯度越集中在最难的负例上。
#
# **English:** The loss decides what the model learns. Pretraining uses next-token cross-entropy, −log p of
# one observed word; it is convex in the logits only, not in the weights, and guarantees no
# generalization. Knowledge distillation makes a student match the teacher's whole distribution softened
# by T: T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)), where T² undoes the 1/T² shrinkage of the gradient. Soft
# targets carry the teacher's ranking of wrong words: with little data (32 sequences in this run) the
# distilled student ends 0.36 nats below the same model trained on labels alone (0.17 at the best points),
# which overfits. With F.kl_div, pass the student's log-probabilities, and note batchmean divides by the
# size of dim 0 only. InfoNCE is cross-entropy whose classes are the batch's other examples; it trains
# embeddings (retrieval, CLIP), and a smaller τ concentrates the gradient on the hardest negatives.

# %% [markdown]
# ## Further reading
#
# - Hinton, Vinyals, Dean — *Distilling the Knowledge in a Neural Network* (2015): temperature and the T² factor.
# - Sanh, Debut, Chaumond, Wolf — *DistilBERT, a distilled version of BERT* (2019).
# - Gu, Dong, Wei, Huang — *MiniLLM: Knowledge Distillation of Large Language Models* (2024): reverse KL.
# - van den Oord, Li, Vinyals — *Representation Learning with Contrastive Predictive Coding* (2018): InfoNCE.
# - Chen, Kornblith, Norouzi, Hinton — *A Simple Framework for Contrastive Learning of Visual Representations* (2020).
# - Radford et al. — *Learning Transferable Visual Models From Natural Language Supervision* (2021): CLIP.
