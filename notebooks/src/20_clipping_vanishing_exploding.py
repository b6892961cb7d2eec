# %% [markdown]
# # Chapter 20 · How does gradient clipping prevent vanishing and exploding gradients?
#
# **题目：** 语言模型中的梯度裁剪如何防止梯度消失和梯度爆炸？ — 请解释语言模型中的梯度裁剪如何防止梯度消失和梯度爆炸。
#
# **Question:** How does gradient clipping in language models prevent vanishing and exploding gradients?
#
# **Time:** about 25 minutes · **Prerequisites:** [7 · gradient clipping methods](07_gradient_clipping.ipynb) ·
# **Related:** [43 · long-range dependencies](43_long_range_dependencies.ipynb),
# [38 · batch normalization (3)](38_batch_norm_3.ipynb)
#
# **Objectives**
# - Measure vanishing and exploding gradients where they happen: the gradient's size at each time step
#   back through an RNN, an LSTM and a GRU, and at each layer down a deep stack.
# - Show that clipping multiplies every gradient by one factor ≤ 1: it bounds an exploding step but leaves
#   the *shape* of the gradient — and so a vanishing gradient — exactly as it was.
# - Show, with the same measurement, what does keep gradients alive: initialization, gates, residual
#   connections and normalization.

# %% [markdown]
# ## Try first
#
# The question assumes clipping prevents both problems. Before reading on, write what clipping does to a
# gradient of norm 0.001 with threshold 1.0, and what you would do instead if gradients vanish.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “梯度裁剪是一种防止梯度消失和梯度爆炸的技术” | **wrong** (for vanishing) | Clipping multiplies all gradients by min(1, c/‖g‖) ≤ 1. It bounds the update when the gradient explodes; it cannot make any gradient larger. | Lab 2 |
# | “梯度消失是指梯度值变得非常小，导致模型难以更新参数” | **incomplete** | What vanishes is the signal from *far away*: the gradient reaching step t (or layer l) shrinks geometrically with the distance, while the recent steps still get ordinary gradients. The total norm can look healthy while the model cannot learn long-range dependencies. | Lab 1 |
# | “梯度裁剪通过将梯度的值限制在一个阈值范围内，避免梯度值过小” | **wrong** | There is no lower threshold: a gradient below the threshold passes unchanged (factor 1), so the ratio between the earliest and the latest step is exactly what it was. | Lab 2 |
# | “（梯度爆炸）梯度裁剪…使得模型参数更新保持稳定” | **incomplete** | Clipping caps the *size of the step*, so one spike cannot throw the weights away; the cause (a recurrence whose Jacobians have norm > 1) remains, and the clipped gradient is still dominated by the distant steps. | Lab 2 |
# | “动态阈值裁剪…防止梯度消失和梯度爆炸” | **wrong** | A dynamic threshold still only scales down. (Clipping also runs at one moment, after `backward()` and before `step()` — not “before” or “after” the training step: chapter 7.) | Lab 2 |
# | (missing) | — | What cures vanishing gradients: an initialization whose recurrent Jacobian has norm ≈ 1 (orthogonal with the right gain — ≈ 1.5 for Lab 3's tanh RNN — or identity with ReLU), gates with an open forget gate (LSTM, GRU), residual connections, and normalization. | Lab 3 |

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn

from course.runtime import seed_everything
from course.train import clip_by_global_norm, grad_norm_per_layer, grad_norm_per_step

generator = seed_everything(0)
T, B, D, H = 100, 16, 32, 64           # steps, sequences, input width, hidden width
x = torch.randn(B, T, D, generator=generator)

# %% [markdown]
# ## Lab 1 — The gradient, step by step back through time
#
# A recurrent network's last output `y_T` depends on an early input `x_t` through a chain of `T − t`
# steps, and backpropagation multiplies one Jacobian per step: `∂h_T/∂h_t = J_T · J_{T−1} ⋯ J_{t+1}`, with
# `J_s = diag(tanh′(a_s)) · W_hh` for a tanh RNN. If these factors have norm below 1 the product shrinks
# geometrically; above 1 it grows.
#
# `grad_norm_per_step(module, x)` measures this: it backpropagates one random unit direction `v` from the
# last output and returns, for each input step, the norm of the gradient `∂⟨v, y_T⟩/∂x_t` that arrives there
# (averaged over the batch). First, that it is exactly the vector–Jacobian product, computed here from
# the full Jacobian by `torch.autograd.functional.jacobian` on a short sequence:

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
small_rnn = nn.RNN(D, H, batch_first=True)
short = x[:3, :8]                                                   # (3, 8, D)
v = torch.randn(3, H, generator=torch.Generator().manual_seed(1))
full = [torch.autograd.functional.jacobian(lambda xb: small_rnn(xb[None])[0][0, -1], xb) for xb in short]
by_jacobian = torch.stack([torch.einsum("h,htd->td", vb, J).norm(dim=-1) for vb, J in zip(v, full)]).mean(0)
print("grad_norm_per_step equals vᵀ·(full Jacobian):",
      torch.allclose(grad_norm_per_step(small_rnn, short, probe=v), by_jacobian, atol=1e-6))

# %% [markdown]
# Now the three recurrent cells PyTorch ships, at PyTorch's default initialization, over 100 steps:

# %%
cells = {"RNN (tanh)": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
profiles = {}
for name, cell in cells.items():
    torch.manual_seed(0)
    profiles[name] = grad_norm_per_step(cell(D, H, batch_first=True), x)


def per_step_factor(profile, near=1, far=41):
    """Average factor by which the gradient shrinks per step, between `near` and `far` steps back."""
    return float((profile[T - 1 - far] / profile[T - 1 - near]) ** (1 / (far - near)))


print(f"{'':>11}  ‖grad‖ 1 step back   10 back    50 back    99 back   shrink per step")
for name, p in profiles.items():
    print(f"{name:>11}  {p[T - 2]:>16.2e} {p[T - 11]:>10.2e} {p[T - 51]:>10.2e} {p[0]:>10.2e}"
          f"   × {per_step_factor(p):.2f}")

def on_log_axis(p):
    """Values that underflowed to exactly 0 are left out of a log plot instead of drawn as a cliff."""
    return p.where(p > 0, torch.tensor(float("nan")))


fig, ax = plt.subplots(figsize=(6, 3.4))
back = torch.arange(T - 1, -1, -1)                                   # steps before the last output
for name, p in profiles.items():
    ax.plot(back, on_log_axis(p), label=name)
ax.set(yscale="log", xlabel="steps back from the last output (T − t)", ylabel="‖∂⟨v, y_T⟩ / ∂x_t‖",
       title="Gradient reaching each input step, default init")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# The gradient one step back is of ordinary size in all three; ten steps back it has lost orders of
# magnitude, and a hundred steps back it has underflowed to 0 or close to it (the curves stop where
# float32 gives exactly 0). This is what “vanishing”
# means: not that the gradient is small, but that the **distant** part of it is — so a model trained on it
# cannot learn that the last output should depend on the first input. At PyTorch's default
# initialization even the LSTM and GRU vanish: their gate biases start near 0, so the gates start about half
# open. The LSTM's forget gate, measured on our inputs:

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
lstm = nn.LSTM(D, H, batch_first=True)
with torch.no_grad():
    hs = lstm(x)[0]                                                  # h_0 … h_{T−1}
    h_prev = torch.cat([torch.zeros(B, 1, H), hs[:, :-1]], dim=1)   # h_{t−1}, with h_{−1} = 0
    # PyTorch's gate order is input, forget, cell, output: rows H:2H are the forget gate
    f = torch.sigmoid(x @ lstm.weight_ih_l0[H:2 * H].T + lstm.bias_ih_l0[H:2 * H]
                      + h_prev @ lstm.weight_hh_l0[H:2 * H].T + lstm.bias_hh_l0[H:2 * H])
print(f"default LSTM: mean forget gate f_t over all steps and units = {f.mean():.3f}")

# %% [markdown]
# Along the cell-state path the Jacobian is `diag(f_t)` (Lab 3), so at this init the gradient is roughly
# halved at every step back. Lab 3 opens the LSTM's forget gate.

# %% [markdown]
# ## Lab 2 — Clipping changes the size, never the shape
#
# In a language model the inputs `x_t` are embedding rows, i.e. parameters; clipping treats their
# gradients like any other. So we make `x` a parameter, take one backward pass, and clip the global
# norm of *all* gradients (RNN weights and inputs) to 1.0, as LLM training does. Two RNNs: the default
# one of Lab 1 (vanishing) and one whose recurrent matrix is orthogonal with gain 3 (exploding).

# %%
def clipped_profiles(rnn, max_norm=1.0):
    """Per-step gradient norms of the inputs before and after global-norm clipping, and the factor."""
    inputs = nn.Parameter(x.clone())
    last = rnn(inputs)[0][:, -1]
    v = torch.nn.functional.normalize(torch.randn(last.shape, generator=torch.Generator().manual_seed(0)), dim=-1)
    (last * v).sum(-1).mean().backward()                             # a loss averaged over the batch
    params = [inputs, *rnn.parameters()]
    before = inputs.grad.norm(dim=-1).mean(0).clone()
    total = clip_by_global_norm(params, max_norm)                    # returns the norm before clipping
    after = inputs.grad.norm(dim=-1).mean(0)
    factor = min(1.0, max_norm / (float(total) + 1e-6))
    return before, after, factor, float(total)


rnns = {}
torch.manual_seed(0)
rnns["vanishing (default init)"] = nn.RNN(D, H, batch_first=True)
torch.manual_seed(0)
rnns["exploding (orthogonal, gain 3)"] = rnn = nn.RNN(D, H, batch_first=True)
nn.init.orthogonal_(rnn.weight_hh_l0, gain=3.0)

clip_results = {}
for name, rnn in rnns.items():
    before, after, factor, total = clip_results[name] = clipped_profiles(rnn)
    print(f"{name:>31}: ‖g‖ = {total:.3g}, clip factor {factor:.3g}; gradient 50 steps back / last step: "
          f"before {before[T - 51] / before[-1]:.3g}, after {after[T - 51] / after[-1]:.3g}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, (name, (before, after, factor, _)) in zip(axes, clip_results.items()):
    ax.plot(back, on_log_axis(before), lw=3, alpha=0.5, label="before clipping")
    ax.plot(back, on_log_axis(after), ls="--", label=f"after clipping (× {factor:.2g})")
    ax.set(yscale="log", xlabel="steps back from the last output", ylabel="‖gradient at input step‖",
           title=name)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Whatever the factor (printed above for each run), clipping divides the gradient of *every* step by the
# same number: the curve slides down without changing its slope. For the vanishing RNN the distant steps
# stay 10¹⁵ times weaker than the last one (or more) — clipping can only make them smaller in absolute
# terms, never larger. For the exploding RNN the *step* becomes safe, which is what clipping is for, but
# the update is still dominated by the most distant inputs: the cause, a recurrence whose Jacobians have
# norm above 1, is untouched. Measured, not assumed:

# %%
# NBVAL_CHECK_OUTPUT
for name, (before, after, factor, _) in clip_results.items():
    same_shape = torch.allclose(after / after[-1], before / before[-1], rtol=1e-4)
    print(f"{name:>31}: factor ≤ 1: {factor <= 1}; profile scaled by exactly that factor: "
          f"{torch.allclose(after, before * factor, rtol=1e-4)}; each step relative to the last unchanged: {same_shape}")

# %% [markdown]
# ## Lab 3 — What does keep the gradient alive
#
# The same measurement, for the four remedies.
#
# **Initialization.** If `W_hh` is orthogonal, all its singular values equal its gain, so the gain sets the
# norm of each Jacobian factor: small gains make the gradient vanish, large ones make it explode. tanh′ ≤ 1
# pulls the balance point up: here it is about 1.5 (gain 1.0 still loses × 0.79 per step, printed below). A ReLU RNN with `W_hh = I` (the “IRNN” of Le et al., 2015) passes
# gradients on unchanged while its units are active.
#
# **Gates.** An LSTM's cell state is updated additively, `c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t`: along that
# path the Jacobian is just `diag(f_t)`, so the gradient survives as long as the forget gate `f_t` is near
# 1. Adding a bias to the forget gate opens it from the start (Gers et al., 2000; Jozefowicz et al., 2015).

# %%
def rnn_with(gain=None, identity=False):
    torch.manual_seed(0)
    rnn = nn.RNN(D, H, batch_first=True, nonlinearity="relu" if identity else "tanh")
    with torch.no_grad():
        if identity:
            rnn.weight_hh_l0.copy_(torch.eye(H))
        else:
            nn.init.orthogonal_(rnn.weight_hh_l0, gain=gain)
    return rnn


def lstm_with_forget_bias(bias):
    torch.manual_seed(0)
    lstm = nn.LSTM(D, H, batch_first=True)
    with torch.no_grad():
        lstm.bias_ih_l0[H:2 * H] += bias                 # PyTorch's gate order is input, forget, cell, output
    return lstm


remedies = {f"tanh RNN, orthogonal gain {g}": rnn_with(gain=g) for g in (0.5, 1.0, 1.5)}
remedies["ReLU RNN, W_hh = I (IRNN)"] = rnn_with(identity=True)
remedies |= {f"LSTM, forget bias +{b}": lstm_with_forget_bias(b) for b in (0, 1, 3)}
remedy_profiles = {name: grad_norm_per_step(m, x) for name, m in remedies.items()}
for name, p in remedy_profiles.items():
    print(f"{name:>30}: ‖grad‖ 99 steps back {p[0]:.2e}, 1 step back {p[-2]:.2e}; shrink per step × "
          f"{per_step_factor(p):.2f}")

# %% [markdown]
# **Residual connections and normalization** work across layers, and a deep stack is the same problem
# with depth in place of time: the gradient reaching layer l is a product of one Jacobian per layer
# above it. `grad_norm_per_layer(layers, x)` measures it at every layer's input. Five stacks of 48
# tanh layers of width 64: plain with PyTorch's default `Linear` initialization; plain with orthogonal
# weights; plain with a LayerNorm before each layer; residual `h + f(h)`; and residual with pre-LayerNorm
# `h + f(LN(h))`, the layout of GPT-2 and later LLMs.

# %%
class Layer(nn.Module):
    """h -> tanh(W·LN(h) + b), optionally added to h (residual); LN only if ``norm``."""

    def __init__(self, width: int, residual: bool, norm: bool, orthogonal: bool = False):
        super().__init__()
        self.linear, self.residual = nn.Linear(width, width), residual
        self.norm = nn.LayerNorm(width) if norm else nn.Identity()
        if orthogonal:
            nn.init.orthogonal_(self.linear.weight)
            nn.init.zeros_(self.linear.bias)

    def forward(self, h):                                     # h: (B, width)
        out = torch.tanh(self.linear(self.norm(h)))
        return h + out if self.residual else out


DEPTH, WIDTH = 48, 64
stacks = {"plain, default init": dict(residual=False, norm=False),
          "plain, orthogonal init": dict(residual=False, norm=False, orthogonal=True),
          "plain + LayerNorm": dict(residual=False, norm=True),
          "residual": dict(residual=True, norm=False),
          "residual + pre-LayerNorm": dict(residual=True, norm=True)}
h0 = torch.randn(64, WIDTH, generator=generator)
depth_profiles = {}
for name, kind in stacks.items():
    torch.manual_seed(0)
    depth_profiles[name] = grad_norm_per_layer([Layer(WIDTH, **kind) for _ in range(DEPTH)], h0)
    p = depth_profiles[name]
    print(f"{name:>25}: ‖grad‖ at layer 0 {p[0]:.2e}, at layer 24 {p[24]:.2e} (1 at the output)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for name, p in remedy_profiles.items():
    axes[0].plot(back, on_log_axis(p), label=name, ls="-" if "LSTM" in name else "--")
axes[0].set(yscale="log", xlabel="steps back from the last output",
            ylabel="‖∂⟨v, y_T⟩ / ∂x_t‖", title="Through time: initialization and gates")
axes[0].legend(fontsize=7, loc="lower left")
for name, p in depth_profiles.items():
    axes[1].plot(range(DEPTH + 1), p, label=name, marker="." if "residual" in name else None)
axes[1].set(yscale="log", xlabel="layer l (0 = input, 48 = output)", ylabel="‖∂⟨v, h_L⟩ / ∂h_l‖",
            title="Through depth: residuals, normalization, init")
axes[1].legend(fontsize=7)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
three = [Layer(WIDTH, residual=True, norm=True) for _ in range(3)]
stack = nn.Sequential(*three)                          # the per-layer measurement against the full Jacobian
v_out = torch.randn(2, WIDTH, generator=generator)
by_jacobian = [torch.einsum("o,oi->i", vb, torch.autograd.functional.jacobian(lambda hb: stack(hb[None])[0], hb))
               for vb, hb in zip(v_out, h0[:2])]
print("grad_norm_per_layer at layer 0 equals vᵀ·(full Jacobian of the stack):",
      torch.allclose(grad_norm_per_layer(three, h0[:2], probe=v_out)[0],
                     torch.stack(by_jacobian).norm(dim=-1).mean(), atol=1e-5))
vanish = profiles["RNN (tanh)"][T - 51]                # 50 steps back, where both are non-zero
print("an open forget gate (+3) carries ≥ 10¹⁰× more gradient 50 steps back than the default tanh RNN:",
      bool(vanish > 0) and bool(remedy_profiles["LSTM, forget bias +3"][T - 51] > 1e10 * vanish))
print("IRNN keeps ≥ 10 % of its last-step gradient 99 steps back:",
      bool(remedy_profiles["ReLU RNN, W_hh = I (IRNN)"][0] > 0.1 * remedy_profiles["ReLU RNN, W_hh = I (IRNN)"][-1]))
plain = depth_profiles["plain, default init"][0]
print("plain stack, default init, loses > 99.9 % of the gradient by layer 0:", bool(plain < 1e-3))
print("residual, LayerNorm, orthogonal init each keep > 10 % at layer 0:",
      all(bool(depth_profiles[k][0] > 0.1) for k in ("residual", "residual + pre-LayerNorm",
                                                     "plain + LayerNorm", "plain, orthogonal init")))

# %% [markdown]
# Read the two panels together. Every remedy changes the Jacobians themselves — their norm per step or per
# layer — which is the only thing that can change the slope; clipping (Lab 2) changes neither. Residual
# connections add an identity to every layer's Jacobian, `I + ∂f/∂h`, so there is always a path with
# factor 1; LayerNorm rescales each layer's input to unit size, so the tanh layers stay out of their
# flat region and their Jacobians do not shrink; an orthogonal initialization gives every factor the same
# norm, set by its gain — but the gain must be right: 1.5 for the tanh RNN above, where gain 1.0 still lost
# × 0.79 per step. Residual stacks can also grow the gradient towards the input (here layer 0 receives several times
# what the output gets: the sum of many paths, printed above), which pre-LayerNorm tempers. Gates and a good init help RNNs,
# but only up to a point: Transformers replaced the recurrence with attention, whose path from any
# input to any output has length one (chapter 43).

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Lab 1 let autograd do backpropagation through time. Write it by hand for a tanh RNN.

# %%
from course.selftest import exercise

exercise("20.bptt_tanh")

# %%
def bptt_tanh(w_hh, h, g_last):
    # your code here
    raise NotImplementedError


exercise("20.bptt_tanh").check(bptt_tanh)

# %% [markdown]
# **Exercise 2.** The LSTM's cell-state path of Lab 3, written as a gradient.

# %%
exercise("20.cell_path")

# %%
def cell_path_grads(forget, g_last):
    # your code here
    raise NotImplementedError


exercise("20.cell_path").check(cell_path_grads)

# %% [markdown]
# Stuck? `exercise("20.cell_path").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(20)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 梯度裁剪只能缓解梯度爆炸，不能解决梯度消失。按全局范数裁剪把所有梯度乘以同一个因子 min(1, c/‖g‖) ≤ 1：梯度过大时限制更新步长，避免一次尖峰把参数打飞；梯度小于阈值时原样通过，绝不会放大。梯度消失的本质是反向传播连乘每一步（或每一层）的雅可比矩阵，范数小于 1 时远处的梯度指数衰减：默认初始化的 tanh RNN 在 100 步外的梯度几乎为零，而最近一步的梯度正常。裁剪只改变大小、不改变这种“形状”。真正有效的是改变雅可比矩阵本身：增益合适的正交初始化（本例 tanh
# RNN 约 1.5）或 ReLU + 单位矩阵初始化（IRNN）、门控（LSTM 遗忘门打开时细胞状态路径近似恒等）、残差连接（I + ∂f/∂h）、LayerNorm 等归一化；Transformer
# 用注意力让任意两个位置之间的路径长度为 1。
#
# **English:** Clipping tames exploding gradients only. Global-norm clipping multiplies every gradient by one
# factor min(1, c/‖g‖) ≤ 1: it caps the step when a spike arrives and leaves small gradients untouched — it
# never enlarges anything. Vanishing comes from backpropagation multiplying one Jacobian per time step or
# layer; with norms below 1 the distant part of the gradient decays geometrically (a default tanh RNN gets
# essentially nothing from 100 steps back, while the last step is normal). Clipping rescales that profile
# without changing its shape. What works changes the Jacobians: orthogonal init with the right gain (≈ 1.5
# for this tanh RNN) or identity init with ReLU (IRNN),
# gates (an open LSTM forget gate makes the cell path near-identity), residual connections (I + ∂f/∂h),
# and normalization; attention gives every pair of positions a path of length one.

# %% [markdown]
# ## Further reading
#
# - Hochreiter — *Untersuchungen zu dynamischen neuronalen Netzen* (diploma thesis, 1991), and Bengio, Simard,
#   Frasconi — *Learning Long-Term Dependencies with Gradient Descent is Difficult* (1994).
# - Pascanu, Mikolov, Bengio — *On the difficulty of training recurrent neural networks* (2013): the
#   Jacobian-product analysis and norm clipping.
# - Hochreiter, Schmidhuber — *Long Short-Term Memory* (1997); Gers, Schmidhuber, Cummins — *Learning to
#   Forget: Continual Prediction with LSTM* (2000).
# - Jozefowicz, Zaremba, Sutskever — *An Empirical Exploration of Recurrent Network Architectures* (2015):
#   forget-gate bias 1.
# - Le, Jaitly, Hinton — *A Simple Way to Initialize Recurrent Networks of Rectified Linear Units* (2015).
# - Saxe, McClelland, Ganguli — *Exact solutions to the nonlinear dynamics of learning in deep linear
#   neural networks* (2014): orthogonal initialization.
# - He, Zhang, Ren, Sun — *Deep Residual Learning for Image Recognition* (2016); Ba, Kiros, Hinton —
#   *Layer Normalization* (2016); Xiong et al. — *On Layer Normalization in the Transformer Architecture* (2020).
