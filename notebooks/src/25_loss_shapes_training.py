# %% [markdown]
# # Chapter 25 · How does the loss function affect training?
#
# **题目：** 语言模型中的损失函数如何影响模型训练？ — 请解释语言模型中的损失函数如何影响模型训练。
#
# **Question:** Explain how the loss function of a language model affects its training.
#
# **Time:** about 25 minutes · **Prerequisites:** [6 · the LM loss](06_lm_loss.ipynb),
# [8 · optimizers](08_optimizers.ipynb) · **Related:** [30 · choosing the loss (1)](30_choosing_loss_1.ipynb),
# [35 · choosing the loss (2)](35_choosing_loss_2.ipynb)
#
# **Objectives**
# - Derive and measure the gradient each loss sends to the logits: cross-entropy gives p − y, squared error
#   on the softmax output multiplies it by the softmax Jacobian.
# - Measure what happens at a confidently wrong prediction: cross-entropy pulls hardest, squared error
#   hardly at all.
# - Train the same language model with both losses, with SGD and with Adam, from a neutral and from a
#   confidently wrong start, and explain which differences the optimizer hides and which it cannot.
# - Test the common answer's “smaller loss → steeper gradient” against measured gradients.

# %% [markdown]
# ## Try first
#
# Write your interview answer: why do language models train with cross-entropy rather than, say, squared
# error on the predicted probabilities? What does the loss change about the gradient?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “损失函数作为优化目标，指导模型参数的更新” | correct | The optimizer follows the gradient of the loss; so the loss decides *which* mistakes produce large gradients. | Lab 1 |
# | “损失函数的值越小，梯度越陡峭，更新速度越快” | **wrong** | The reverse holds for cross-entropy: its gradient with respect to the logits is p − y, whose norm **grows** with the loss and shrinks as the prediction improves; measured on a real model, the gradient each token sends to the weights also grows with its loss. For squared error on softmax outputs the gradient vanishes on a confidently wrong prediction. | Labs 1, 2 |
# | “平坦的损失函数（如线性损失函数）可能导致模型收敛缓慢，而凸损失函数（如交叉熵损失函数）有助于快速收敛” | **wrong** | A linear function is convex too, and a network's loss is not convex in its weights whatever the loss. What makes cross-entropy train fast is that its log undoes the softmax's exp: the gradient on the logits is p − y, which does not saturate. Squared error on softmax outputs is not even convex in the logits (measured), and it stalls on confidently wrong predictions. | Labs 1, 3 |
# | “选择合适的损失函数，如交叉熵损失函数，可以…防止过拟合” | **wrong** | Cross-entropy is the likelihood of the training data; minimizing it alone can overfit like any training objective. Overfitting is fought with data and regularization (chapters 5 and 22); label smoothing modifies the target (chapter 30). | — |
# | “通过添加正则化项（如 L2 正则化）…提高训练过程的稳定性” | **incomplete** | A penalty added to the loss is regularization, not a property of the loss; for adaptive optimizers the decay is applied decoupled from the loss (AdamW, chapter 8). Terms that do target stability exist, e.g. z-loss on the softmax normalizer (chapter 35). | — |
# | (missing) | — | The effect of a loss's gradient scale depends on the optimizer: Adam divides it out, so squared error's small gradients cost it little from a neutral start — but no optimizer recovers a gradient that has vanished on a saturated prediction. | Lab 3 |

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course.pretrained import corpus_lines, load_tiny_gpt
from course.runtime import get_device, seed_everything
from course.text import pad_batch
from course.train import mse_on_probs, next_token_targets

device = get_device()
seed_everything(0)
gpt, tok = load_tiny_gpt(device)            # pretrained tiny GPT, word vocabulary of V = 232
gpt.eval()
V = tok.vocab_size

# %% [markdown]
# ## Lab 1 — The gradient at a confidently wrong prediction
#
# One prediction over the V = 232 words. The target's logit is 0; one **wrong** word gets logit c, the others
# 0. As c grows the model becomes ever more sure of the wrong word. For each c we measure both losses and the
# norm of their gradient with respect to the logits, by autograd:
#
# - cross-entropy: L = −log p_y;
# - squared error on the softmax output (`mse_on_probs`): L = Σ_v (p_v − y_v)², y one-hot.

# %%
target, wrong = 0, 1


def loss_and_grad(c: float, loss_name: str):
    z = torch.zeros(1, V)
    z[0, wrong] = c
    z.requires_grad_(True)
    y = torch.tensor([target])
    loss = F.cross_entropy(z, y) if loss_name == "ce" else mse_on_probs(z, y)
    loss.backward()
    return loss.item(), z.grad.norm().item(), z


confidences = torch.linspace(0, 20, 81).tolist()
curves = {name: [loss_and_grad(c, name)[:2] for c in confidences] for name in ("ce", "mse")}
for c in (0, 5, 10, 20):
    i = confidences.index(c)
    print(f"c = {c:>2}: p(target) = {torch.softmax(torch.tensor([0.0, c] + [0.0] * (V - 2)), 0)[0]:.2e} · "
          f"CE loss {curves['ce'][i][0]:6.2f}, ‖∂L/∂z‖ {curves['ce'][i][1]:.3f} · "
          f"MSE loss {curves['mse'][i][0]:.3f}, ‖∂L/∂z‖ {curves['mse'][i][1]:.2e}")

# %% [markdown]
# Cross-entropy's gradient on the logits is simply p − y: autograd agrees. Its norm tends to √2 — a pull of
# −1 on the target's logit, +1 on the wrong word's — exactly where the model is most wrong. Squared error's
# gradient is p − y pushed through the softmax Jacobian diag(p) − ppᵀ, whose entries all go to 0 when one
# probability approaches 1:

# %%
# NBVAL_CHECK_OUTPUT
_, _, z = loss_and_grad(3.0, "ce")
analytic = torch.softmax(z.detach(), -1) - F.one_hot(torch.tensor([target]), V)
print("CE gradient on the logits == softmax − one-hot:", torch.allclose(z.grad, analytic, atol=1e-7))
zs, ys = torch.randn(5, V) * 3, torch.randint(V, (5,))
print("mse_on_probs == F.mse_loss(softmax, one-hot, 'sum') / N:",
      torch.allclose(mse_on_probs(zs, ys), F.mse_loss(zs.softmax(-1), F.one_hot(ys, V).float(), reduction="sum") / 5))
print(f"at c = 20: CE ‖∂L/∂z‖ = {curves['ce'][-1][1]:.3f} (√2 = {math.sqrt(2):.3f}) · "
      f"MSE ‖∂L/∂z‖ < 1e-6: {curves['mse'][-1][1] < 1e-6}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for name, label, color in (("ce", "cross-entropy", "tab:blue"), ("mse", "squared error on softmax", "tab:orange")):
    axes[0].plot(confidences, [g for _, g in curves[name]], label=label, color=color)
    axes[1].plot([l for l, _ in curves[name]], [g for _, g in curves[name]], label=label, color=color, marker=".",
                 markersize=3, lw=0.8)
axes[0].set(xlabel="logit c of the wrong word (confidence)", ylabel="‖∂L/∂logits‖", yscale="log", ylim=(1e-7, 5),
            title="Gradient at a confidently wrong prediction")
axes[1].set(xlabel="loss", ylabel="‖∂L/∂logits‖", xscale="log", yscale="log", ylim=(1e-7, 5),
            title="Larger loss, larger gradient? (same points)")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# Read the right panel against the common answer. For cross-entropy a *larger* loss comes with a *larger*
# gradient (up to √2), not a smaller one. For squared error the curve turns over: its loss approaches its
# maximum, 2, just as its gradient dies. Squared error on softmax outputs is not even convex in the logits —
# the midpoint test on this same line of logits fails:

# %%
# NBVAL_CHECK_OUTPUT
def midpoint_convex(name, a=4.0, b=20.0):
    """A convex f satisfies f((a+b)/2) ≤ (f(a)+f(b))/2 on every segment."""
    f = {c: loss_and_grad(c, name)[0] for c in (a, (a + b) / 2, b)}
    return f[(a + b) / 2] <= (f[a] + f[b]) / 2


print("cross-entropy passes the midpoint test on c ∈ [4, 20]:", midpoint_convex("ce"))
print("squared error on softmax passes it:", midpoint_convex("mse"))

# %% [markdown]
# ## Lab 2 — Smaller loss, steeper gradient? Measured on a real model
#
# The pretrained GPT's predictions on held-out sentences: for each predicted token, its cross-entropy and the
# norm of the gradient that token sends to its logits, ‖p − y‖. If “smaller loss → steeper gradient” were
# true, the tokens with the smallest losses would have the largest gradients: a negative correlation.

# %%
lines = corpus_lines(64, seed=10_000)[:48]
ids, mask = pad_batch([[tok.eos_id] + tok.encode(s) + [tok.eos_id] for s in lines], tok.pad_id)
inputs, targets = next_token_targets(ids.to(device), mask.to(device))
with torch.inference_mode():
    logits = gpt(inputs).logits
real = targets != -100
z, y = logits[real].float(), targets[real]                       # (N, V), (N,) — every real prediction
p = z.softmax(-1)
token_loss = -p.gather(1, y[:, None]).squeeze(1).log()
token_grad = (p - F.one_hot(y, V)).norm(dim=1)


def rank_correlation(a, b):
    ra, rb = a.argsort().argsort().float(), b.argsort().argsort().float()
    return torch.corrcoef(torch.stack([ra, rb]))[0, 1].item()


rho = rank_correlation(token_loss, token_grad)
print(f"{len(y)} predicted tokens · Spearman rank correlation(loss, ‖∂L/∂z‖) = {rho:.3f}")
low, high = token_loss < token_loss.median(), token_loss >= token_loss.median()
print(f"mean ‖∂L/∂z‖ of the easier half of tokens {token_grad[low].mean():.3f}, "
      f"of the harder half {token_grad[high].mean():.3f}")

# %%
# NBVAL_CHECK_OUTPUT
print("loss and gradient rise together (rank correlation > 0.9):", rho > 0.9)
bound = 1 - token_loss.neg().exp()                                     # 1 − p_y
print("1 − p_y ≤ ‖p − y‖ ≤ √2 · (1 − p_y) for every token:",
      bool(((bound <= token_grad + 1e-5) & (token_grad <= math.sqrt(2) * bound + 1e-5)).all()))

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
ax.scatter(token_loss.cpu(), token_grad.cpu(), s=6, alpha=0.5)
ax.set(xscale="log", xlabel="cross-entropy of the token [nats]", ylabel="‖∂L/∂logits‖ = ‖p − y‖",
       title="Pretrained GPT, held-out tokens")
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# This correlation holds for *any* model, by algebra: ‖p − y‖² = (1 − p_y)² + Σ_{v≠y} p_v², and the second
# sum is at most (1 − p_y)², so 1 − p_y ≤ ‖p − y‖ ≤ √2 · (1 − p_y) — the check above — and the loss
# −log p_y is a decreasing function of p_y too. On the logits, the larger loss always comes with the
# larger gradient.
#
# The common answer, though, speaks of *updates*: the gradient a token sends to the weights θ is the logit
# gradient carried back through the network, ∂ℓ/∂θ = (∂z/∂θ)ᵀ (p − y), and the network's Jacobian ∂z/∂θ
# differs from token to token, so nothing forces the same order there. We measure it: 40 of the predicted
# tokens, drawn at random, each token's loss backpropagated on its own through the pretrained GPT:

# %%
weights = [w for w in gpt.parameters() if w.requires_grad]
pick = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))[:40]
where = real.nonzero()[pick.to(real.device)].tolist()                 # (row, position) of each picked token
with torch.enable_grad():
    full_logits = gpt(inputs).logits
    pick_loss, pick_grad = [], []
    for b, t in where:
        loss_t = F.cross_entropy(full_logits[b, t][None].float(), targets[b, t][None])
        grads = torch.autograd.grad(loss_t, weights, retain_graph=True)
        pick_loss.append(loss_t.item())
        pick_grad.append(torch.sqrt(sum((g ** 2).sum() for g in grads)).item())
del full_logits
pick_loss, pick_grad = torch.tensor(pick_loss), torch.tensor(pick_grad)
rho_weights = rank_correlation(pick_loss, pick_grad)
print(f"{len(where)} tokens · Spearman rank correlation(loss, ‖∂ℓ/∂θ‖) = {rho_weights:.3f}")
print(f"‖∂ℓ/∂θ‖ of the 10 easiest of them: mean {pick_grad[pick_loss.argsort()[:10]].mean():.2f} · "
      f"of the 10 hardest: {pick_grad[pick_loss.argsort()[-10:]].mean():.2f}")

# %% [markdown]
# The order holds on the weights too, in this run: rank correlation 0.947 over the 40 tokens, and the 10
# hardest send a mean gradient norm of 17.27 against 0.01 for the 10 easiest. Well-predicted tokens send
# almost no gradient; the tokens the model gets wrong send the most. Cross-entropy concentrates learning
# where the model is wrong — the opposite of the common answer.

# %% [markdown]
# ## Lab 3 — Learning speed: the same model trained with each loss
#
# The smallest neural language model: a table of V × V logits, one row per previous word (a bigram model),
# trained on the course corpus and measured by **validation cross-entropy** whatever loss it trains on. Eight
# runs of 100 steps: cross-entropy or squared error, SGD or Adam, starting from all-zero logits (neutral:
# uniform predictions) or from logits drawn with standard deviation 5 (confidently wrong almost everywhere).

# %%
def stream(text_lines):
    return torch.tensor([i for line in text_lines for i in tok.encode(line) + [tok.eos_id]], device=device)


train_ids, val_ids = stream(corpus_lines(4000, seed=1)), stream(corpus_lines(1000, seed=10_000))


def train_bigram(loss_name: str, optimizer: str, start_std: float, steps: int = 100, seed: int = 0):
    torch.manual_seed(seed)
    table = torch.nn.Parameter(torch.randn(V, V, device=device) * start_std)
    opt = torch.optim.SGD([table], lr=20.0) if optimizer == "SGD" else torch.optim.Adam([table], lr=0.1)
    data = torch.Generator().manual_seed(seed)
    curve = []
    for step in range(steps + 1):
        if step % 10 == 0:
            with torch.inference_mode():
                curve.append(F.cross_entropy(table[val_ids[:-1]], val_ids[1:]).item())
        if step == steps:
            break
        i = torch.randint(len(train_ids) - 1, (512,), generator=data).to(device)
        z, y = table[train_ids[i]], train_ids[i + 1]
        loss = F.cross_entropy(z, y) if loss_name == "CE" else mse_on_probs(z, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return curve


runs = {(start, opt, loss): train_bigram(loss, opt, std)
        for start, std in (("neutral", 0.0), ("confidently wrong", 5.0))
        for opt in ("SGD", "Adam") for loss in ("CE", "MSE")}
for (start, opt, loss), curve in runs.items():
    print(f"{start:>17} start, {opt:>4}, {loss:>3}: validation CE {curve[0]:6.2f} → {curve[-1]:.2f} "
          f"(gain {curve[0] - curve[-1]:.2f} nats)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
colors = {"SGD": "tab:green", "Adam": "tab:purple"}
for ax, start in zip(axes, ("neutral", "confidently wrong")):
    for opt in ("SGD", "Adam"):
        for loss, style in (("CE", "-"), ("MSE", "--")):
            curve = runs[(start, opt, loss)]
            ax.plot(range(0, 10 * len(curve), 10), curve, style, color=colors[opt],
                    label=f"{opt}, {'cross-entropy' if loss == 'CE' else 'squared error'}")
    ax.axhline(math.log(V), color="gray", lw=0.8, ls=":")
    ax.set(xlabel="step", title=f"{start} start", ylim=(0, 16))
    ax.grid(alpha=0.3)
axes[0].set_ylabel("validation cross-entropy [nats]")
axes[0].text(70, math.log(V) + 0.4, "ln V", fontsize=8, color="gray")
axes[0].legend(fontsize=8, loc="upper right")
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
final = {key: curve[-1] for key, curve in runs.items()}
print("neutral start, SGD: cross-entropy ends lower than squared error:",
      final[("neutral", "SGD", "CE")] < final[("neutral", "SGD", "MSE")] - 1)
print("neutral start, Adam: the two end within 0.2 nats:",
      abs(final[("neutral", "Adam", "CE")] - final[("neutral", "Adam", "MSE")]) < 0.2)
print("confidently wrong start: squared error ends above ln V with both optimizers:",
      all(final[("confidently wrong", opt, "MSE")] > math.log(V) for opt in ("SGD", "Adam")))
gain = {key: curve[0] - curve[-1] for key, curve in runs.items()}
print("confidently wrong start: cross-entropy gains over twice as much as squared error, with both optimizers:",
      all(gain[("confidently wrong", opt, "CE")] > 2 * gain[("confidently wrong", opt, "MSE")] for opt in ("SGD", "Adam")))

# %% [markdown]
# Three things to read off.
#
# - **Neutral start, SGD.** At uniform predictions the softmax Jacobian is (I − 11ᵀ/V)/V, so squared error's
#   gradient is exactly cross-entropy's divided by V/2 = 116: SGD, taking steps proportional to the
#   gradient, makes first steps 116 times smaller. Over 100 steps squared error gains 0.27 nats against
#   cross-entropy's 2.40 (the gap is not 116-fold all the way: as the predictions leave uniform, the
#   factor between the two gradients changes).
# - **Neutral start, Adam.** Adam divides each parameter's step by the size of its recent gradients, so a
#   constant factor disappears: both losses learn at almost the same speed (2.15 and 2.22 at the end).
#   A difference in gradient *scale* is something an adaptive optimizer can hide.
# - **Confidently wrong start.** Here squared error's gradient has not shrunk by a constant; it has
#   vanished on every saturated prediction, and Adam cannot rescale a signal that is not there. Squared
#   error stays far above even the uniform guess (ln V) with both optimizers (14.55 with SGD, 12.14 with
#   Adam); cross-entropy falls much further with each (a gain of 7.92 against 0.85 nats with SGD, 11.10
#   against 3.25 with Adam). With Adam it reaches 4.30, below ln V but not yet its 2.15 from the neutral
#   start; with SGD it is still at 7.48, above ln V, after 100 steps. A language model is
#   confidently wrong on some tokens all through training; only a loss whose gradient does not saturate
#   keeps learning from them.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Lab 1 measured squared error's gradient with autograd. Write it by hand.

# %%
from course.selftest import exercise

exercise("25.mse_softmax_grad")

# %%
def mse_softmax_grad(logits, targets):
    # your code here
    raise NotImplementedError


exercise("25.mse_softmax_grad").check(mse_softmax_grad)

# %% [markdown]
# **Exercise 2.** Lab 1 showed cross-entropy's gradient for one prediction. Now the gradient of the loss
# a language model really uses: the mean over a batch, with ignored positions.

# %%
exercise("25.ce_grad")

# %%
def ce_grad(logits, targets, ignore_index=-100):
    # your code here
    raise NotImplementedError


exercise("25.ce_grad").check(ce_grad)

# %% [markdown]
# Stuck? `exercise("25.ce_grad").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(25)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 损失函数决定了梯度，从而决定模型从哪些错误中学得最多。交叉熵对 logits 的梯度就是 p − y：预测越错，梯度越大（自信地预测错误时趋近 √2），预测越准，梯度越小——所以“损失越小梯度越陡”是错的。本章在真实模型上测得损失与 logits 梯度的秩相关为 0.980（这一点由代数保证），与参数梯度的秩相关也有 0.947。若对 softmax 输出用均方误差，梯度要再乘 softmax 的雅可比矩阵，在自信的错误预测上梯度消失，而且它对 logits 不是凸函数。训练对比：从均匀初始化出发，SGD 下 MSE 慢很多（梯度只有交叉熵的 2/V，约 1/116），Adam 能抵消这种尺度差异；但从“自信地错”的初始化出发，MSE 的梯度已经消失，两种优化器都无法使其恢复（验证损失从 15.40 只降到 SGD 的
# 14.55、Adam 的 12.14）；交叉熵用 Adam 降到 4.30，低于 ln V，用 SGD 也降到 7.48。交叉熵本身不防止过拟合，那是正则化的任务。
#
# **English:** The loss decides the gradient, and so which mistakes the model learns from. Cross-entropy's
# gradient on the logits is p − y: it is largest when the prediction is confidently wrong (→ √2) and shrinks as
# the prediction improves — the opposite of “smaller loss, steeper gradient”; on a real model loss and gradient
# norm rise together (rank correlation 0.980 with the logit gradient, which algebra guarantees, and 0.947
# with the gradient on the weights). Squared error on softmax outputs multiplies p − y by the
# softmax Jacobian, so its gradient vanishes on confidently wrong predictions, and it is not convex in the
# logits. Trained from uniform predictions, SGD with squared error is far slower (gradient smaller by V/2),
# a scale Adam divides out; from a confidently wrong start squared error stalls under both optimizers. With
# Adam, cross-entropy recovers to 4.30 (below ln V); with SGD it falls from 15.40 to 7.48, while squared
# error only reaches 14.55. Cross-entropy does not prevent overfitting; regularization does.

# %% [markdown]
# ## Further reading
#
# - Golik, Doetsch, Ney — *Cross-Entropy vs. Squared Error Training: a Theoretical and Experimental
#   Comparison* (2013), Interspeech.
# - Glorot, Bengio — *Understanding the difficulty of training deep feedforward neural networks* (2010):
#   softmax with the log-likelihood cost trains much better than the quadratic cost, which has plateaus.
# - Kingma, Ba — *Adam: A Method for Stochastic Optimization* (2015): the update's invariance to rescaling
#   the gradient.
