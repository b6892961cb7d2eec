# %% [markdown]
# # Chapter 3 · What are the architectural features of GPT-3?
#
# **题目：** GPT-3 模型的架构特点是什么？ — 请分析 GPT-3 模型的架构特点。
#
# **Question:** Analyse the architectural features of GPT-3.
#
# **Time:** about 30 minutes · **Prerequisites:** [1 · LLM basics](01_llm_basics.ipynb),
# [4 · how attention works](04_how_attention_works.ipynb) · **Related:** [15 · GPT-2 vs GPT-3](15_gpt2_vs_gpt3.ipynb),
# [29 · attention complexity](29_attention_complexity_1.ipynb)
#
# **Objectives**
# - Rebuild the GPT-3 paper's table of eight model sizes from their configurations, and check it.
# - Count what those models cost: parameters by part, and training FLOPs checked against PyTorch's counter.
# - See the one change GPT-3 made to GPT-2's layer — alternating dense and locally banded attention — and
#   count what it saves.
# - Run a GPT-3-shaped miniature.

# %% [markdown]
# ## Try first
#
# Without looking anything up: how many layers, how wide, how many heads does the 175-billion-parameter
# GPT-3 have, and where do its parameters live — embeddings, attention or feed-forward?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “具有 1750 亿参数” | correct | 175B is the largest of **eight** sizes (125M … 175B) trained the same way; the configuration counts to 174.6B. | Lab 1 |
# | “基于 Transformer 架构…捕捉长距离依赖” | incomplete | A **decoder-only**, causal Transformer — GPT-2's pre-LN layer unchanged — that sees at most **2048** tokens. Half of its layers use **locally banded** attention, which does not reach far at all. | Labs 1, 3 |
# | “包含 24 层 Transformer” | **wrong** | GPT-3 175B has **96** layers, width 12,288, 96 heads of 128. 24 layers is GPT-3 *Medium/Large/XL*. | Lab 1 |
# | “每一层…多个自注意力头” | incomplete | True of every Transformer. What GPT-3 adds is that dense and locally banded sparse attention **alternate** from layer to layer. | Lab 3 |
# | “支持并行计算…提高训练速度和模型性能” | incomplete | Training is parallel over positions; generation is still one token at a time. Parallelism makes training *feasible* — about 3 × 10²³ FLOPs for 175B — it does not make the model better. | Lab 2 |
#
# What the answer leaves out is what the GPT-3 paper is about: one recipe scaled over three orders of
# magnitude, and few-shot learning from the prompt ([chapter 15](15_gpt2_vs_gpt3.ipynb)).

# %%
import matplotlib.pyplot as plt
import torch
from torch.utils.flop_counter import FlopCounterMode

from course.models import GPT, GPTConfig, count_parameters
from course.models.sizes import GPT3_SIZES, attended_pairs, matmul_flops, param_breakdown, published_size
from course.nn import causal_mask, record_attention
from course.runtime import get_device, seed_everything

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — The eight sizes, counted from their configurations
#
# Brown et al. (2020), *Language Models are Few-Shot Learners*, Table 2.1, lists for each size the layers,
# width `d_model`, heads and head size `d_head`, the batch (in tokens) and the learning rate. Every model
# reads 2048 tokens with GPT-2's vocabulary of 50,257. Each row becomes a `GPTConfig` — with the head size
# as printed, because two rows have `n_heads × d_head ≠ d_model` — and the config counts its parameters:

# %%
# NBVAL_CHECK_OUTPUT
def as_printed(n):                                            # the paper's style: 125M, 1.3B, 175.0B
    return f"{n / 1e6:.0f}M" if n < 1e9 else f"{n / 1e9:.1f}B"


print(f"{'model':<13}{'layers':>7}{'d_model':>8}{'heads':>6}{'d_head':>7}{'heads·d_head':>13}"
      f"{'counted':>10}{'reported':>10}{'diff':>7}{'batch':>7}{'lr':>9}")
for row in GPT3_SIZES:
    counted = row.config().n_params()
    print(f"{row.name:<13}{row.n_layers:>7}{row.d_model:>8}{row.n_heads:>6}{row.d_head:>7}"
          f"{row.n_heads * row.d_head:>13}{counted / 1e9:>9.3f}B{as_printed(row.n_params):>10}"
          f"{counted / row.n_params - 1:>+7.1%}{row.batch_tokens / 1e6:>6.1f}M{row.lr:>9.1e}")

# %% [markdown]
# Seven rows agree with the reported sizes to within 2 %. **GPT-3 XL does not**: with 24 heads of 128 its
# heads span 3072 dimensions, W_q, W_k and W_v grow to 2048 → 3072 and W_o to 3072 → 2048, and the count
# lands far above 1.3B. If the heads span `d_model`, as in every other row, the count falls back in line —
# and so does the 13B row's, with the width its heads span. The paper's own appendix (Table D.1, the
# parameter column of its compute table) is the referee:

# %%
# NBVAL_CHECK_OUTPUT
table_d1 = {"GPT-3 XL": 1_320e6, "GPT-3 13B": 12_850e6, "GPT-3 175B": 174_600e6}   # Brown et al., Table D.1
xl, b13 = published_size("GPT-3 XL"), published_size("GPT-3 13B")
for heads, d_head in ((24, 128), (16, 128)):
    n = xl.config(n_heads=heads, head_dim=d_head).n_params()
    print(f"XL with {heads} heads of {d_head} (span {heads * d_head}): {n / 1e9:.3f}B, "
          f"{n / xl.n_params - 1:+.1%} from the reported 1.3B; Table D.1: {table_d1['GPT-3 XL'] / 1e6:,.0f}M")
print(f"24 heads spanning d_model = 2048 would each be 2048 / 24 = {2048 / 24:.2f} wide: not a head size")
for width in (5140, 5120):
    n = b13.config(d_model=width).n_params()
    print(f"13B with d_model {width} (40 heads of 128 span 5120): {n / 1e9:.3f}B; "
          f"Table D.1: {table_d1['GPT-3 13B'] / 1e6:,.0f}M")

# %% [markdown]
# So the printed XL row is a typo, and the typo must be in `n_heads`: 24 heads cannot span 2048 dimensions
# with a whole-number head size, while 16 heads of 128 can, and their count is the one the paper's appendix
# lists. The 13B row's width 5140 is another typo (40 heads × 128 = 5120): with 5120 the count meets the
# appendix too, and with 5140 it is off by less than a percent. Recomputing a published table is how you
# find such things.
#
# The counter is the same code that sizes the course's GPT. It must equal the parameters a built model
# really has — at small shapes, one with heads that do not span the width, and at 175B's own shape, built
# on PyTorch's *meta* device (shapes without memory):

# %%
# NBVAL_CHECK_OUTPUT
checks = {"heads span the width": GPTConfig(vocab_size=50, context=16, n_layers=2, n_heads=4, d_model=32),
          "3 heads of 12 in width 32": GPTConfig(vocab_size=50, context=16, n_layers=3, n_heads=3, d_model=32,
                                                 head_dim=12),
          "2 key/value heads, untied output": GPTConfig(vocab_size=50, context=16, n_layers=2, n_heads=4,
                                                        d_model=32, n_kv_heads=2, tie_weights=False)}
for name, cfg in checks.items():
    print(f"{name:<33} counter {cfg.n_params():>7,} = built {count_parameters(GPT(cfg)):>7,}")
big = published_size("GPT-3 175B").config()
with torch.device("meta"):
    gpt3 = GPT(big)
print(f"GPT-3 175B: {big.n_layers} layers, width {big.d_model}, {big.n_heads} heads of {big.head_size}, "
      f"FFN {big.ff_dim}, context {big.context}")
print(f"           counter {big.n_params():,} = built {count_parameters(gpt3):,}")

# %% [markdown]
# Table D.1 lists 175B as 174,600M parameters (printed two cells up) — the count above. Where do they
# live? Per size, the share of each part:

# %%
parts = ["token embeddings", "position embeddings", "attention", "feed-forward", "norms"]   # norms: < 0.1 %
shares = {p: [] for p in parts}
for row in GPT3_SIZES:
    split = param_breakdown(row.config())
    for p in parts:
        shares[p].append(split[p] / sum(split.values()))
fig, ax = plt.subplots(figsize=(8, 3.6))
left = [0.0] * len(GPT3_SIZES)
for p, color in zip(parts[:4], ["tab:blue", "lightsteelblue", "tab:orange", "tab:green"]):
    ax.barh([r.name for r in GPT3_SIZES], shares[p], left=left, color=color, label=p)
    left = [a + b for a, b in zip(left, shares[p])]
ax.invert_yaxis()
ax.set(xlabel="share of the parameters", xlim=(0, 1), title="Where GPT-3's parameters live")
ax.legend(ncol=4, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, -0.42))
fig.tight_layout()
print(f"token table: {shares['token embeddings'][0]:.1%} of GPT-3 Small; all embeddings (tokens and positions): "
      f"{shares['token embeddings'][0] + shares['position embeddings'][0]:.1%} of GPT-3 Small, "
      f"{shares['token embeddings'][-1] + shares['position embeddings'][-1]:.1%} of 175B; "
      f"feed-forward : attention = {shares['feed-forward'][-1] / shares['attention'][-1]:.2f} in 175B; "
      f"norms at most {max(shares['norms']):.2%}")

# %% [markdown]
# In the small model the token table alone is about 31 % of the parameters; in 175B almost everything is
# the 96 layers, two thirds of each layer the feed-forward network (8·d² against attention's 4·d²).
#
# ## Lab 2 — What they cost to train
#
# A matrix product of an (m × k) and a (k × n) matrix takes 2·m·k·n FLOPs. Per token, the forward pass
# multiplies through every weight matrix once (2 FLOPs per weight), attention adds 2 · 2 · T · d_attn per
# layer (QKᵀ and weights·V), and the backward pass costs twice the forward. `matmul_flops` adds this up
# for the course GPT; PyTorch's `FlopCounterMode` counts the products it actually runs. (Its fused attention
# kernel on CPU reports no FLOPs, so we run attention on the manual path, inside `record_attention`.)

# %%
# NBVAL_CHECK_OUTPUT
small = GPTConfig(vocab_size=50, context=16, n_layers=3, n_heads=3, d_model=32, head_dim=12)
model = GPT(small)
x = torch.randint(0, 50, (2, 16), generator=generator)
with record_attention(model), FlopCounterMode(display=False) as counter:
    model(x, targets=x).loss.backward()
print(f"FlopCounterMode: {counter.get_total_flops():,} FLOPs; matmul_flops: {matmul_flops(small, 2, 16):,}")

# %% [markdown]
# For a whole training run this is the familiar rule **C ≈ 6·N·D** (N parameters outside the embeddings,
# D training tokens) plus the attention term 12·L·T·d_attn per token (`GPTConfig.flops_per_token`), which
# counts the full T × T square of scores. Neither term has the **output layer**: the unembedding multiplies
# every position by the d × V embedding matrix (tied, so not in N), another 6·d·V FLOPs per training token —
# `matmul_flops` above counts it. Every GPT-3 size saw D = 300 billion tokens:

# %%
# NBVAL_CHECK_OUTPUT
tokens = 300e9
print(f"{'model':<13}{'N (no emb.)':>12}{'6·N·D':>11}{'+ attention':>13}{'+ output layer':>16}"
      f"{'attention share':>17}")
for row in GPT3_SIZES:
    cfg = row.config()
    n = cfg.n_params(include_embeddings=False)
    with_attention = cfg.flops_per_token() * tokens
    total = with_attention + 6 * cfg.d_model * cfg.vocab_size * tokens          # + the unembedding
    print(f"{row.name:<13}{n / 1e9:>11.2f}B{6 * n * tokens:>11.2e}{with_attention:>13.2e}{total:>16.2e}"
          f"{(with_attention - 6 * n * tokens) / total:>17.1%}")
petaflop_s_day = 1e15 * 24 * 3600
for label, n in (("without embeddings", big.n_params(include_embeddings=False)), ("all parameters", big.n_params())):
    print(f"175B, 6·N·D with N = {label:<18}: {6 * n * tokens:.3e} FLOPs = "
          f"{6 * n * tokens / petaflop_s_day:,.0f} petaflop/s-days")

# %% [markdown]
# The paper reports 3.14 × 10²³ FLOPs (3.64 × 10³ petaflop/s-days) for 175B (Table D.1): that is 6·N·D
# with N = **all** 174.6B parameters, embeddings included — the last line above. Kaplan et al.'s
# convention leaves the embeddings out (the line before, 3,624). Attending over 2048
# tokens adds a few percent for the largest model and far more for the small ones, whose layers are narrow
# compared with the context; in GPT-3 Small the output layer adds about as much again.
#
# ## Lab 3 — Alternating dense and locally banded attention
#
# The paper's one architectural change to GPT-2: “we use alternating dense and locally banded sparse
# attention patterns in the layers of the transformer, similar to the Sparse Transformer” (Brown et al.,
# 2020, §2.1; Child et al., 2019). In a dense layer token i sees tokens 0 … i; in a banded layer only the
# last `window` of them. The paper does not give the band's width; we draw one and count several.

# %%
t, w = 24, 6
fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.6))
for ax, mask, title in ((axes[0], causal_mask(t), "dense layer"),
                        (axes[1], causal_mask(t, window=w), f"locally banded layer, window {w}")):
    ax.imshow(mask.float().numpy(), cmap="Greys", vmin=0, vmax=1)
    ax.set(title=title, xlabel="key position", ylabel="query position")
    ax.set_title(title, fontsize=9)
fig.suptitle(f"Black = attended: {int(causal_mask(t).sum())} vs {int(causal_mask(t, window=w).sum())} pairs "
             f"over {t} tokens", fontsize=9)
fig.tight_layout()

# %% [markdown]
# Counting the pairs of the masks at GPT-3's context of 2048, for a few band widths, and what that saves
# of 175B's forward matrix products when every second layer is banded (the layers' weights — projections,
# FFN and output layer — cost the same either way; only the score and weighting products shrink). What a
# dense layer costs depends on its kernel: one that skips the upper triangle computes the causal pairs;
# a masked dense matmul computes the full T × T square, as Lab 2 counted. Both, side by side:

# %%
# NBVAL_CHECK_OUTPUT
T = big.context
dense = int(causal_mask(T).sum())
weights_per_token = 2 * (big.n_params(include_embeddings=False) + big.d_model * big.vocab_size)
attn_width = big.n_heads * big.head_size


def forward_flops(dense_pairs, banded_pairs=None):
    """175B's forward matmul FLOPs over T tokens; every second layer banded if banded_pairs is given."""
    pairs = big.n_layers * dense_pairs if banded_pairs is None else big.n_layers // 2 * (dense_pairs + banded_pairs)
    return T * weights_per_token + 4 * pairs * attn_width


print(f"dense causal over {T} tokens: {dense:,} pairs = attended_pairs: {attended_pairs(T):,}")
for rule, pairs in (("causal pairs", dense), ("full T × T square", T * T)):
    print(f"attention share of 175B's forward FLOPs ({rule}): {1 - forward_flops(0) / forward_flops(pairs):.1%}")
print(f"{'window':>6}{'pairs':>10}{'of dense':>10}{'attended_pairs':>16}{'saved (causal kernel)':>23}"
      f"{'saved (full square)':>21}")
for window in (128, 256, 512):
    banded = int(causal_mask(T, window=window).sum())
    saved = [1 - forward_flops(d, banded) / forward_flops(d) for d in (dense, T * T)]
    print(f"{window:>6}{banded:>10,}{banded / dense:>10.1%}{attended_pairs(T, window):>16,}{saved[0]:>23.1%}"
          f"{saved[1]:>21.1%}")

# %% [markdown]
# A banded layer computes a fraction of the pairs, yet 175B saves under 1 % of its forward compute against
# a causal kernel that already skips the upper triangle (attention is 1.4 % of the forward compute counted
# that way; 2.7 % in Lab 2, which counts the full square), and 1.1 to 1.3 % against dense layers that
# compute the full square: at width 12,288 the weights dominate. The saving
# grows with the context (pairs grow as T², weights as T), which is why sparse and local attention matter
# for long inputs ([chapter 34](34_attention_complexity_2.ipynb)).
# And it is only a saving with a kernel that skips the masked blocks; a masked dense matmul computes them
# all and throws them away.
#
# ## Lab 4 — A GPT-3-shaped miniature that runs
#
# Keep 175B's proportions where a tiny model can — as many heads as layers, heads that span the width,
# FFN 4 × width, a context eight times the band — and every second layer banded. Train it for a few
# seconds on characters of the course corpus, next to the same model with all layers dense:

# %%
from course.text import CharTokenizer, grammar_corpus, lm_batch, train_val_split
from course.train import AdamW, evaluate, fit, warmup_cosine_scheduler

text = grammar_corpus(3000, seed=0)
chars = CharTokenizer(text)
train_ids, val_ids = train_val_split(torch.tensor(chars.encode(text)))
mini = GPTConfig(vocab_size=chars.vocab_size, context=64, n_layers=4, n_heads=4, d_model=64, head_dim=16)
band = mini.context // (big.context // 256)                   # 2048 : 256 is 64 : 8
print(f"{'':<10}{'layers':>7}{'heads':>6}{'d_head':>7}{'d_model':>8}{'FFN/d':>6}{'context/band':>13}")
for name, c, b in (("175B", big, 256), ("miniature", mini, band)):
    print(f"{name:<10}{c.n_layers:>7}{c.n_heads:>6}{c.head_size:>7}{c.d_model:>8}{c.ff_dim // c.d_model:>6}"
          f"{c.context // b:>13}")

histories, val_loss, nets, steps = {}, {}, {}, 60
val_batches = [lm_batch(val_ids, 32, mini.context, torch.Generator().manual_seed(1), device) for _ in range(4)]
for name, banded in (("all dense", False), ("alternating (GPT-3)", True)):
    torch.manual_seed(0)
    data_gen = torch.Generator().manual_seed(0)
    net = GPT(mini).to(device)
    if banded:
        net.set_window(range(1, mini.n_layers, 2), band)      # layers 1, 3: locally banded
    nets[name] = net
    opt = AdamW(net.parameters(), lr=3e-3, weight_decay=0.0)
    histories[name] = fit(net, opt, lambda s: lm_batch(train_ids, 8, mini.context, data_gen, device), steps,
                          scheduler=warmup_cosine_scheduler(opt, warmup=10, total=steps))
    net.eval()
    with torch.inference_mode():
        val_loss[name] = evaluate(net, val_batches)
    print(f"{name:>20}: {count_parameters(net):,} parameters · validation loss {val_loss[name]:.3f} "
          f"(ln V = {torch.log(torch.tensor(float(chars.vocab_size))):.3f} at chance)")

dense_net = nets["all dense"].set_window(range(mini.n_layers), band)   # band every layer, at evaluation only
with torch.inference_mode():
    banded_eval = evaluate(dense_net, val_batches)
dense_net.set_window(range(mini.n_layers), None)
print(f"all-dense model evaluated with window {band} on every layer: validation loss {banded_eval:.3f} "
      f"({banded_eval - val_loss['all dense']:+.3f} against its own dense evaluation)")

# %%
from course.viz import smooth

fig, ax = plt.subplots(figsize=(6, 3.4))
for name, h in histories.items():
    ax.plot(h.step, smooth(h.loss, 8), label=f"{name} (val {val_loss[name]:.2f})")
ax.set(xlabel="step", ylabel="training loss (nats/char)", title=f"GPT-3-shaped miniature, {steps} steps")
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# Both learn. In this single run (one seed, 60 steps) the alternating model ends lower, 1.827 against
# 1.938 — one run this short cannot say whether banding helps or the difference is noise. The last line
# asks a sharper question of one model: does the all-dense model use anything more than 8 characters back?
# Cutting all its layers to a window of 8 at evaluation only, with the same weights, changes its validation
# loss by −0.037 in this run: it is no worse without the far context, so after 60 steps it has learned
# nothing from it, and a band of 8 takes nothing away. Whether a band hurts depends on how far the task's
# dependencies reach, and on how far a model has learned to look.
#
# ## Self-test
#
# **Exercise 1.** Lab 1 let `GPTConfig.n_params` do the counting. Write the count yourself, for a row of
# the table as printed.

# %%
from course.selftest import exercise

exercise("03.gpt3_params")

# %%
def gpt3_params(n_layers, d_model, n_heads, d_head, vocab_size, context):
    # your code here
    raise NotImplementedError


exercise("03.gpt3_params").check(gpt3_params)

# %% [markdown]
# **Exercise 2.** Lab 3 counted a banded mask's pairs by summing it — T² booleans for one number. Find
# the closed form.

# %%
exercise("03.banded_pairs")

# %%
def banded_pairs(t, window):
    # your code here
    raise NotImplementedError


exercise("03.banded_pairs").check(banded_pairs)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(3)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** GPT-3（Brown 等，2020）不是一个模型，而是同一训练方案的 8 种规模（1.25 亿 … 1750 亿参数），都是仅含解码器（decoder-only）的因果 Transformer，沿用 GPT-2 的 pre-LN 结构和 50257 词表，上下文 2048 个 token，每个规模都训练了
# 3000 亿个 token。最大的 175B：96 层、隐藏维度 12288、96 个头（每头 128）、FFN 4 倍宽，按配置计算为 1746 亿参数，绝大部分在各层里（FFN 约占每层的三分之二，嵌入不到 1%）。唯一的结构改动是密集注意力与局部带状稀疏注意力逐层交替（类似 Sparse Transformer）。训练计算量约 6·N·D ≈ 3.1×10²³ FLOPs。训练时各位置可以并行计算，生成仍是逐个 token。常见说法“24 层”是错的，那是 Medium/Large/XL 的层数。
#
# **English:** GPT-3 (Brown et al., 2020) is one recipe at eight sizes, 125M to 175B parameters: decoder-only
# causal Transformers with GPT-2's pre-LN layer and 50,257-token vocabulary, a 2048-token context, each
# trained on 300B tokens. The 175B model has 96 layers, width 12,288, 96 heads of 128 and a 4× FFN —
# 174.6B parameters counted from its config, nearly all in the layers (the FFN two thirds of each; the
# embeddings under 1 %). The one architectural change: dense and locally banded sparse attention alternate
# by layer, as in the Sparse Transformer. Training cost ≈ 6·N·D ≈ 3.1 × 10²³ FLOPs. Training is parallel
# over positions; generation is still token by token. "24 layers" is Medium/Large/XL, not 175B.

# %% [markdown]
# ## Further reading
#
# - Brown et al. — *Language Models are Few-Shot Learners* (2020): Table 2.1 (sizes), §2.1 (architecture), Table D.1 (compute).
# - Radford, Wu, Child, Luan, Amodei, Sutskever — *Language Models are Unsupervised Multitask Learners* (GPT-2, 2019).
# - Child, Gray, Radford, Sutskever — *Generating Long Sequences with Sparse Transformers* (2019).
# - Kaplan et al. — *Scaling Laws for Neural Language Models* (2020): the 6·N·D count, §2.1.
