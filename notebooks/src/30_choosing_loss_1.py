# %% [markdown]
# # Chapter 30 · How does the choice of loss function affect model performance? (1)
#
# **题目：** 语言模型中的损失函数选择对模型性能有哪些影响？ — 请解释语言模型中的损失函数选择对模型性能有哪些影响。
#
# **Question:** How does the choice of loss function in a language model affect its performance?
#
# **Time:** about 30 minutes · **Prerequisites:** [6 · the LM loss](06_lm_loss.ipynb),
# [25 · how the loss shapes training](25_loss_shapes_training.ipynb) · **Related:**
# [35 · choosing the loss (2)](35_choosing_loss_2.ipynb), [40 · choosing the loss (3)](40_choosing_loss_3.ipynb)
#
# **Objectives**
# - Write label smoothing out, match it to `F.cross_entropy(label_smoothing=…)`, and see why it keeps the
#   logits finite where plain cross-entropy drives them to infinity.
# - Measure calibration — does "80 % sure" mean right 80 % of the time? — with a reliability diagram and
#   the expected calibration error (ECE), before and after label smoothing and temperature scaling.
# - Measure what focal loss does under class imbalance, against plain and class-weighted cross-entropy.

# %% [markdown]
# ## Try first
#
# Two models have the same accuracy. What else about their predictions could make one of them better,
# and which loss would you change to get it?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “准确性：…交叉熵损失函数…可以有效提高分类准确性” | **incomplete** | The loss decides more than accuracy: what the predicted probabilities *mean*. Label smoothing cut ECE 0.190 → 0.033 but cost accuracy here (0.748 → 0.685); temperature scaling cut it to 0.017 at identical accuracy. | Lab 2 |
# | “凸损失函数（如交叉熵损失函数）有助于快速收敛” | **wrong** | Cross-entropy is convex in the *logits*, not in a network's weights: training a network on it is non-convex. What helps is that its gradient with respect to the logits, p − y, does not saturate (chapter 25 measures it). | Lab 2 (non-convexity); chapter 25 (the gradient) |
# | “交叉熵损失函数可以在训练数据和验证数据上表现出良好的泛化能力” | **wrong** | Plain cross-entropy is minimized only by infinite logits: it keeps pushing the training examples' confidence up, and a network that fits its training set becomes **over-confident** on new data. Label smoothing bounds the logits; temperature scaling repairs confidence after training. | Labs 1–2 |
# | “不稳定的损失函数可能导致…梯度消失或梯度爆炸” | vague | Exploding or vanishing gradients come from the network's Jacobians (chapter 20 measures them step by step through an RNN and layer by layer down a deep stack), not from the choice between standard losses. | chapter 20 |
# | “平坦的损失函数可能导致梯度消失” | **incomplete** | A loss that saturates — mean squared error on a softmax output, whose gradient is multiplied by the softmax's own derivative — does starve the logits of gradient when the model is confidently wrong (chapter 25 measures it); cross-entropy's p − y does not. Vanishing *through* a deep network or a long sequence is a different thing: a product of Jacobians (chapter 20). | chapters 20, 25 |
# | “可解释性：交叉熵…反映模型对每个词的预测概率” | **incomplete** | Only if the model is calibrated; that is measured with a reliability diagram and ECE. | Lab 2 |
# | (missing) | — | The losses an engineer actually chooses between: label smoothing (calibration, used in the original Transformer, ε = 0.1), focal loss (class imbalance), class weights; the sequence-level questions are chapter 35's, distillation chapter 40's. | Labs 1–3 |

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import course
import json

from course.pretrained import DATA_DIR, RECIPES, corpus_lines, held_out_lines, load_tiny_gpt
from course.runtime import seed_everything
from course.train import expected_calibration_error, focal_loss, reliability_bins, smoothed_cross_entropy

generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Label smoothing, written out
#
# Plain cross-entropy compares the prediction with a one-hot target. Label smoothing with ε moves a share
# ε of the target's mass onto all C classes evenly: `q = (1 − ε)·one_hot(y) + ε/C`, and the loss is
# `−Σ_c q_c log p_c` — which splits into `(1 − ε)·(usual term) + ε·(mean of −log p over the classes)`:

# %%
course.show(smoothed_cross_entropy)

# %%
# NBVAL_CHECK_OUTPUT
logits = torch.randn(64, 10, generator=generator) * 3
targets = torch.randint(0, 10, (64,), generator=generator)
for eps in (0.0, 0.1, 0.3):
    ours, theirs = smoothed_cross_entropy(logits, targets, eps), F.cross_entropy(logits, targets, label_smoothing=eps)
    print(f"ε = {eps}: equal to F.cross_entropy(label_smoothing=ε): {torch.allclose(ours, theirs, atol=1e-6)}")

# %% [markdown]
# What does the smoothed loss ask for? Its gradient with respect to the logits is `p − q`, zero only when
# `p = q`: the correct class at `1 − ε + ε/C`, every other class at `ε/C`. That is reached at a *finite*
# gap between the correct logit and the others, `log((1 − ε + ε/C) / (ε/C))`. With ε = 0 the gradient
# `p − one_hot(y)` is never zero, and the gap grows for as long as we train. One example, ten classes,
# gradient descent on the logits themselves (the gradient `p − q` is checked against autograd first):

# %%
# NBVAL_CHECK_OUTPUT
C = 10
z_check = torch.randn(1, C, generator=generator, requires_grad=True)
F.cross_entropy(z_check, torch.tensor([0]), label_smoothing=0.1).backward()
q_check = torch.full((C,), 0.1 / C)
q_check[0] += 0.9
print("autograd's gradient equals p − q:", torch.allclose(z_check.grad[0], z_check.softmax(-1)[0].detach() - q_check, atol=1e-6))

# %%
def logit_gap_during_training(eps, steps=3000, lr=1.0):
    """Gradient descent on one example's logits z (C,), correct class 0, using the gradient p − q."""
    q = torch.full((C,), eps / C)
    q[0] += 1 - eps                                            # the (smoothed) target distribution
    z, gaps = torch.zeros(C), []
    for _ in range(steps):
        z -= lr * (z.softmax(-1) - q)
        gaps.append(float(z[0] - z[1:].mean()))
    return gaps


gaps = {eps: logit_gap_during_training(eps) for eps in (0.0, 0.1, 0.2)}
for eps, g in gaps.items():
    target = "grows without bound" if eps == 0 else f"optimum log((1−ε+ε/C)/(ε/C)) = {torch.log(torch.tensor((1 - eps + eps / C) / (eps / C))):.3f}"
    print(f"ε = {eps}: gap after 300 steps {g[299]:.3f}, after 3000 steps {g[-1]:.3f}   ({target})")

fig, ax = plt.subplots(figsize=(5.5, 3.2))
for eps, g in gaps.items():
    ax.plot(range(1, len(g) + 1), g, label=f"ε = {eps}")
ax.set(xscale="log", xlabel="gradient step", ylabel="correct logit − mean other logit",
       title="Plain cross-entropy never stops pushing the logits")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# ## Lab 2 — Calibration: does "80 % sure" mean right 80 % of the time?
#
# A model is **calibrated** if, among all predictions it makes with confidence ≈ c, a fraction ≈ c is
# correct. A **reliability diagram** groups predictions into confidence bins and plots each bin's
# accuracy against its mean confidence; a calibrated model lies on the diagonal. The **expected
# calibration error** (ECE, Naeini et al., 2015; Guo et al., 2017) is the gap, weighted by how many
# predictions fall in each bin: `ECE = Σ_b (n_b / N)·|acc_b − conf_b|`. The package's bins are the
# same as scikit-learn's `calibration_curve`:

# %%
# NBVAL_CHECK_OUTPUT
from sklearn.calibration import calibration_curve

conf_demo = torch.rand(2000, generator=generator)
hit_demo = torch.rand(2000, generator=generator) < conf_demo ** 2          # an over-confident "model"
bins = reliability_bins(conf_demo, hit_demo, n_bins=10)
sk_acc, sk_conf = calibration_curve(hit_demo.numpy(), conf_demo.numpy(), n_bins=10)
used = bins.count > 0
print("per-bin accuracy and confidence equal to sklearn's calibration_curve:",
      torch.allclose(bins.accuracy[used], torch.tensor(sk_acc)) and torch.allclose(bins.confidence[used], torch.tensor(sk_conf)))

# %% [markdown]
# **A pretrained language model.** The shipped tiny GPT was trained with plain next-token cross-entropy.
# How much text did it see, did it over-fit, and how calibrated are its next-token probabilities on lines
# it never trained on (`held_out_lines`: lines of another seed, minus every line that occurs in the
# training text)?

# %%
gpt, tok = load_tiny_gpt()
recipe = RECIPES["gpt"]
log = json.loads((DATA_DIR / "tiny_gpt.log.json").read_text())
train_tokens = sum(len(tok.encode(line)) + 1 for line in corpus_lines(recipe.n_lines, recipe.seed))
seen = recipe.steps * recipe.batch * recipe.context
print(f"training: {recipe.steps} steps × {recipe.batch} windows × {recipe.context} tokens = {seen:,} tokens "
      f"over a {train_tokens:,}-token text ≈ {seen / train_tokens:.1f} passes")
print(f"recorded losses: last training loss {log['last_train_loss']:.3f}, validation loss {log['val_loss']:.3f}")

stream = torch.tensor([i for line in held_out_lines(400) for i in tok.encode(line) + [tok.eos_id]])
n = min(48, (len(stream) - 1) // 64)
x_lm, y_lm = stream[:n * 64].view(n, 64), stream[1:n * 64 + 1].view(n, 64)
with torch.inference_mode():
    logits_lm = gpt(x_lm).logits.flatten(0, 1)                          # (n·64, V)
p_lm = logits_lm.softmax(-1)
lm_ece = expected_calibration_error(p_lm, y_lm.flatten(), n_bins=10)
lm_acc = float((p_lm.argmax(-1) == y_lm.flatten()).float().mean())
print(f"tiny GPT, {len(y_lm.flatten())} held-out tokens: loss {float(F.cross_entropy(logits_lm, y_lm.flatten())):.3f}, "
      f"top-1 accuracy {lm_acc:.3f}, mean confidence {float(p_lm.max(-1).values.mean()):.3f}, ECE {lm_ece:.3f}")

# %% [markdown]
# The model made about ten passes over a 208k-token text (printed above), yet its last training loss is
# about its recorded validation loss (1.391 against 1.408; a third of those validation lines recur in the
# training text). On lines it certainly never saw the loss is a little higher (1.504), far from the gap of
# an over-fitted model below. It has not over-fitted its training text, and its probabilities on the
# held-out lines are calibrated: mean confidence 0.512 against accuracy 0.496, ECE 0.018. The
# GPT-4 report makes the same observation for its pretrained model, and shows post-training (RLHF)
# degrading it (OpenAI, 2023, figure 8). Over-confidence appears when a network **over-fits its training
# set** — training loss far below validation loss — as happens with many steps on few examples. A small, controlled
# case: a 10-class problem with overlapping classes, 600 training examples, an MLP trained for 200 full
# steps — with plain cross-entropy and with label smoothing ε = 0.1. A third variant repairs the plain
# model after training with **temperature scaling** (Guo et al., 2017): divide its logits by one number T
# fitted on held-out data.

# %%
N_CLASSES, DIM = 10, 20
centres = torch.randn(N_CLASSES, DIM, generator=torch.Generator().manual_seed(0))


def blobs(n, seed):
    """n examples of 10 overlapping Gaussian classes in 20 dimensions: x (n, 20), y (n,)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, N_CLASSES, (n,), generator=g)
    return centres[y] + 1.6 * torch.randn(n, DIM, generator=g), y


(x_train, y_train), (x_val, y_val), (x_test, y_test) = blobs(600, 1), blobs(1000, 2), blobs(4000, 3)


def train_classifier(loss_fn, x, y, steps=300, hidden=128, depth=2, out=N_CLASSES):
    """An MLP with `depth` hidden ReLU layers, trained full-batch with AdamW; returned in eval mode."""
    torch.manual_seed(0)
    sizes = [x.shape[1]] + [hidden] * depth
    layers = [m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
    model = nn.Sequential(*layers, nn.Linear(sizes[-1], out))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


plain = train_classifier(F.cross_entropy, x_train, y_train, steps=200)
smoothed = train_classifier(lambda z, y: smoothed_cross_entropy(z, y, 0.1), x_train, y_train, steps=200)
with torch.no_grad():
    z_train = plain(x_train)
print(f"plain classifier on its 600 training examples: accuracy {float((z_train.argmax(-1) == y_train).float().mean()):.3f}, "
      f"loss {float(F.cross_entropy(z_train, y_train)):.4f}")

with torch.no_grad():                                             # (not inference_mode: T is fitted on them)
    val_logits = plain(x_val)
log_t = torch.zeros((), requires_grad=True)                        # T = exp(log_t) > 0
fit_t = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)


def nll_at_temperature():
    fit_t.zero_grad()
    loss = F.cross_entropy(val_logits / log_t.exp(), y_val)
    loss.backward()
    return loss


fit_t.step(nll_at_temperature)
temperature = float(log_t.detach().exp())

with torch.inference_mode():
    variants = {"plain cross-entropy": plain(x_test), "label smoothing ε = 0.1": smoothed(x_test),
                f"plain, temperature T = {temperature:.2f}": plain(x_test) / temperature}
calibration = {}
print(f"{'':>30}  accuracy  mean confidence  test NLL    ECE")
for name, z in variants.items():
    p = z.softmax(-1)
    calibration[name] = (p, expected_calibration_error(p, y_test, n_bins=10))
    print(f"{name:>30}  {float((p.argmax(-1) == y_test).float().mean()):>8.3f}  "
          f"{float(p.max(-1).values.mean()):>15.3f}  {float(F.cross_entropy(z, y_test)):>8.3f}  "
          f"{calibration[name][1]:.3f}")
conf_plain, pred_plain = calibration["plain cross-entropy"][0].max(-1)
sure = conf_plain > 0.9
print(f"\nplain cross-entropy: {float(sure.float().mean()):.0%} of test predictions have confidence > 0.9; "
      f"their accuracy is {float((pred_plain[sure] == y_test[sure]).float().mean()):.2f}")

# %%
panels = {"tiny GPT, next token": (p_lm, y_lm.flatten(), lm_ece)} | {
    name: (p, y_test, ece) for name, (p, ece) in calibration.items()}
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), sharey=True)
for ax, (name, (p, y, ece)) in zip(axes, panels.items()):
    conf, pred = p.max(-1)
    b = reliability_bins(conf, pred == y, n_bins=10)
    centres_of_bins = (b.edges[:-1] + b.edges[1:]) / 2
    ax.bar(centres_of_bins, b.accuracy.nan_to_num(0), width=0.1, edgecolor="black", alpha=0.7,
           label="accuracy in the bin")
    for x_c, acc, count in zip(centres_of_bins, b.accuracy.nan_to_num(0), b.count):
        if count > 0:                                    # how many predictions each bar rests on
            ax.text(float(x_c), min(float(acc), 0.9) + 0.02, str(int(count)), ha="center", fontsize=6)
    ax.plot([0, 1], [0, 1], ls="--", color="gray", label="calibrated")
    ax.scatter(b.confidence, b.accuracy, color="crimson", s=12, zorder=3, label="bin's (mean confidence, accuracy)")
    ax.set(title=f"{name}\nECE = {ece:.3f}", xlabel="confidence of the top prediction", xlim=(0, 1), ylim=(0, 1))
    ax.title.set_fontsize(9)
axes[0].set_ylabel("accuracy in the bin")
axes[0].legend(fontsize=7, loc="upper left")
fig.suptitle("numbers above the bars: predictions in the bin", fontsize=8, y=0.02)
fig.tight_layout()

# %% [markdown]
# Read each panel against the diagonal: a red dot below it is a bin where the model is more confident than
# it is right; the number on a bar says how many predictions it rests on (a bar of a handful is noise).
# The plain classifier memorised its 600 examples (training accuracy and loss printed above), and on new
# data most of its predictions land in the top bin, with accuracy well below their confidence. In this run
# label smoothing and temperature scaling both bring ECE down (the numbers are printed above), by different
# routes: smoothing changes what training aims for and so also changes the model (its accuracy fell 6
# points in this run), while temperature scaling divides the logits by one number and cannot change any
# argmax, so its accuracy is exactly the plain model's:

# %%
# NBVAL_CHECK_OUTPUT
p_plain = calibration["plain cross-entropy"][0]
p_temp = calibration[f"plain, temperature T = {temperature:.2f}"][0]
print("temperature scaling keeps every prediction:", torch.equal(p_plain.argmax(-1), p_temp.argmax(-1)))
print("the plain model is over-confident (T > 1):", temperature > 1)

# %% [markdown]
# **Convex in the logits, not in the weights.** Permuting the hidden units of the plain MLP gives a second
# set of weights that computes exactly the same function, so the same training loss. If the loss were
# convex in the weights, the point halfway between the two could not be worse than they are:

# %%
twin = train_classifier(F.cross_entropy, x_train, y_train, steps=0)      # same architecture
perm = torch.randperm(128, generator=torch.Generator().manual_seed(0))    # reorder the first hidden layer
with torch.no_grad():
    for name, w in plain.state_dict().items():
        w = w.clone()
        if name in ("0.weight", "0.bias"):
            w = w[perm]
        elif name == "2.weight":
            w = w[:, perm]
        twin.state_dict()[name].copy_(w)
    midpoint = train_classifier(F.cross_entropy, x_train, y_train, steps=0)
    for name, w in midpoint.state_dict().items():
        w.copy_((plain.state_dict()[name] + twin.state_dict()[name]) / 2)
    train_loss = {k: float(F.cross_entropy(m(x_train), y_train)) for k, m in
                  (("plain", plain), ("permuted", twin), ("midpoint", midpoint))}
print(f"training loss: plain {train_loss['plain']:.4f}, permuted copy {train_loss['permuted']:.4f}, "
      f"halfway between them {train_loss['midpoint']:.3f}")

# %%
# NBVAL_CHECK_OUTPUT
with torch.no_grad():
    print("the permuted copy computes the same function:", torch.allclose(plain(x_train), twin(x_train), atol=1e-5))
print("the midpoint's training loss is higher than both ends (so the loss is not convex in the weights):",
      train_loss["midpoint"] > max(train_loss["plain"], train_loss["permuted"]))

# %% [markdown]
# One caution: label smoothing erases information about *how* wrong the other classes are — all of them
# are pushed to ε/C — which is why teachers trained with it make worse teachers for distillation
# (Müller, Kornblith, Hinton, 2019; distillation is chapter 40).

# %% [markdown]
# ## Lab 3 — Focal loss under class imbalance
#
# Focal loss (Lin et al., 2017) multiplies each example's cross-entropy by `(1 − p_t)^γ`, where `p_t` is the
# probability given to the true class: an example already classified with p_t = 0.9 keeps (0.1)^γ of its
# loss. It was designed for object detection, where 10⁴–10⁵ candidate boxes are mostly easy background and
# their many small losses swamp the few hard ones. The curves:

# %%
p_t = torch.linspace(0.01, 0.99, 99)
fig, ax = plt.subplots(figsize=(5.5, 3.2))
for gamma in (0, 1, 2, 5):
    ax.plot(p_t, -(1 - p_t) ** gamma * p_t.log(), label=f"γ = {gamma}" + (" (cross-entropy)" if gamma == 0 else ""))
ax.set(xlabel="p_t, probability of the true class", ylabel="loss of one example", ylim=(0, 4),
       title="Focal loss: easy examples fade out")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
z_demo, y_demo = torch.randn(32, 4, generator=generator) * 3, torch.randint(0, 4, (32,), generator=generator)
print("focal_loss with γ = 0 equals F.cross_entropy:",
      torch.allclose(focal_loss(z_demo, y_demo, gamma=0.0), F.cross_entropy(z_demo, y_demo), atol=1e-6))

# %% [markdown]
# A binary task with 2 % positives: 4,000 training examples in 10 dimensions, the positive class shifted
# by a distance 2.5 — some overlap, so no classifier is perfect. Three losses for the same one-hidden-layer
# MLP: plain
# cross-entropy, focal loss γ = 2 (the paper's choice), and cross-entropy with class weights inversely
# proportional to class frequency. We measure on 20,000 fresh examples, at the usual threshold (argmax):
# recall and precision of the rare class, F1; the threshold-free **average precision** (area under the
# precision–recall curve, from scikit-learn), which says how well the scores *rank* positives; and ECE.

# %%
from sklearn.metrics import average_precision_score

direction = torch.randn(10, generator=torch.Generator().manual_seed(5))
direction = 2.5 * direction / direction.norm()


def imbalanced(n, seed, positive_rate=0.02):
    g = torch.Generator().manual_seed(seed)
    y = (torch.rand(n, generator=g) < positive_rate).long()
    return torch.randn(n, 10, generator=g) + y[:, None] * direction, y


(x_imb, y_imb), (x_imb_test, y_imb_test) = imbalanced(4000, 11), imbalanced(20_000, 12)
weights = torch.tensor([1.0, float((y_imb == 0).sum() / (y_imb == 1).sum())])
losses = {"cross-entropy": F.cross_entropy,
          "focal, γ = 2": lambda z, y: focal_loss(z, y, gamma=2.0),
          "class-weighted CE": lambda z, y: F.cross_entropy(z, y, weight=weights)}
imbalance_models = {name: train_classifier(fn, x_imb, y_imb, hidden=64, depth=1, out=2) for name, fn in losses.items()}

print(f"{int(y_imb.sum())} positives among {len(y_imb)} training examples; class weight of positives "
      f"{weights[1]:.1f}\n")
print(f"{'':>18}  recall  precision     F1   avg precision    ECE")
for name, model in imbalance_models.items():
    with torch.inference_mode():
        p = model(x_imb_test).softmax(-1)
    pred = p.argmax(-1)
    tp = int(((pred == 1) & (y_imb_test == 1)).sum())
    recall, precision = tp / int(y_imb_test.sum()), tp / max(1, int((pred == 1).sum()))
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    ap = average_precision_score(y_imb_test.numpy(), p[:, 1].numpy())
    print(f"{name:>18}  {recall:>6.3f}  {precision:>9.3f}  {f1:>5.3f}  {ap:>14.3f}  "
          f"{expected_calibration_error(p, y_imb_test, n_bins=10):.3f}")

# %% [markdown]
# Where does each loss put its weight? On the training set, after plain cross-entropy training, the share
# of the total loss that comes from the **easy** examples (p_t > 0.9), under each weighting:

# %%
with torch.inference_mode():
    log_p_t = imbalance_models["cross-entropy"](x_imb).log_softmax(-1).gather(1, y_imb[:, None]).squeeze(1)
ce_each = -log_p_t
focal_each = (1 - log_p_t.exp()) ** 2 * ce_each
easy = log_p_t.exp() > 0.9
print(f"{int(easy.sum())} of {len(easy)} training examples are easy (p_t > 0.9)")
for name, each in (("cross-entropy", ce_each), ("focal, γ = 2", focal_each)):
    print(f"{name:>14}: easy examples carry {float(each[easy].sum() / each.sum()):.1%} of the loss")

# %% [markdown]
# What the measurements say, in this run (the numbers are above): focal loss moves the weight from the many
# easy negatives to the few hard examples, so at the default threshold it finds somewhat more positives
# than plain cross-entropy. Its average precision — how well it *ranks* — stays close to cross-entropy's,
# and its probabilities are the least calibrated of the three, because down-weighting confident examples
# is the same as rewarding less confident predictions. Class weights buy much more recall at a large cost
# in precision: at a fixed threshold every imbalance remedy trades one for the other, and if what you need
# is a good ranking or calibrated probabilities, plain cross-entropy with a tuned threshold is a strong
# baseline. For language-model pretraining, whose "classes" are a vocabulary of tokens, plain
# cross-entropy remains the standard.

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** The expected calibration error that Labs 2 and 3 called from the package.

# %%
from course.selftest import exercise

exercise("30.ece")

# %%
def ece(probs, targets, n_bins=10):
    # your code here
    raise NotImplementedError


exercise("30.ece").check(ece)

# %% [markdown]
# **Exercise 2.** Focal loss as RetinaNet uses it: one sigmoid per example and a class balance α.

# %%
exercise("30.binary_focal")

# %%
def binary_focal_loss(logits, targets, gamma=2.0, alpha=0.25):
    # your code here
    raise NotImplementedError


exercise("30.binary_focal").check(binary_focal_loss)

# %% [markdown]
# Stuck? `exercise("30.binary_focal").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(30)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 损失函数不只影响准确率，还决定预测概率的含义。普通交叉熵只有在 logit 趋于无穷时才取到最小值，会一直把训练样本的置信度往上推；模型一旦过拟合训练集（训练损失远低于验证损失），在新数据上就会过度自信（校准差）。衡量校准用可靠性图和 ECE（按置信度分箱，按样本数加权平均 |准确率 − 置信度|）。标签平滑把目标改成 (1−ε)·one-hot + ε/C，最优 logit 差是有限值，通常降低 ECE，但会丢失“其他类有多像”的信息，不利于蒸馏；温度缩放在训练后用一个 T 修正置信度，不改变预测。类别不平衡时，focal loss
# 用 (1−p_t)^γ 降低易分样本的权重，能提高少数类召回，但排序能力（AP）变化不大，概率的校准也更差；类别加权是另一种取舍。交叉熵对 logit 是凸的，对网络参数则是非凸的。
#
# **English:** The loss decides what the probabilities mean, not just accuracy. Plain cross-entropy is minimized
# only by infinite logits, so it keeps pushing training confidence up, and a network that over-fits its training
# set (training loss far below validation loss) becomes over-confident on new data. Calibration is measured with a reliability diagram and ECE (bin by
# confidence, count-weighted |accuracy − confidence|). Label smoothing, target (1−ε)·one-hot + ε/C, has a finite
# optimal logit gap and usually lowers ECE, but erases how similar the wrong classes are (worse teachers for
# distillation); temperature scaling fixes confidence after training without changing any prediction. Under class
# imbalance, focal loss down-weights easy examples by (1−p_t)^γ: more minority recall, similar ranking (AP), less
# calibrated probabilities; class weights trade precision for recall. Cross-entropy is convex in the logits, not
# in the weights.

# %% [markdown]
# ## Further reading
#
# - Szegedy, Vanhoucke, Ioffe, Shlens, Wojna — *Rethinking the Inception Architecture for Computer Vision*
#   (2016): label smoothing; Vaswani et al. — *Attention Is All You Need* (2017), §5.4: ε = 0.1.
# - Guo, Pleiss, Sun, Weinberger — *On Calibration of Modern Neural Networks* (2017): ECE, reliability
#   diagrams, temperature scaling.
# - Naeini, Cooper, Hauskrecht — *Obtaining Well Calibrated Probabilities Using Bayesian Binning* (2015).
# - Müller, Kornblith, Hinton — *When Does Label Smoothing Help?* (2019).
# - Lin, Goyal, Girshick, He, Dollár — *Focal Loss for Dense Object Detection* (2017).
# - OpenAI — *GPT-4 Technical Report* (2023), figure 8: calibration before and after post-training.
