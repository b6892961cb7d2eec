# %% [markdown]
# # Chapter 15 · What are the differences between GPT-2 and GPT-3?
#
# **题目：** GPT-2 和 GPT-3 有哪些区别？ — 请简要比较 GPT-2 和 GPT-3 两个模型的主要区别。
#
# **Question:** Briefly compare the main differences between GPT-2 and GPT-3.
#
# **Time:** about 30 minutes · **Prerequisites:** [3 · GPT-3's architecture](03_gpt3_architecture.ipynb),
# [14 · GPT's generation process](14_gpt_generation.ipynb) · **Related:** [2 · pretraining and fine-tuning](02_pretraining_and_finetuning.ipynb),
# [11 · the context window](11_context_window.ipynb)
#
# **Objectives**
# - Compute both families' size tables from their configurations — GPT-2 up to 1.5B (15 亿), GPT-3 up to
#   175B — and explain why GPT-2's released checkpoints count 124M … 1558M.
# - Compare the data (WebText vs GPT-3's weighted mix) and the context (1024 vs 2048 tokens).
# - Watch zero-, one- and few-shot in-context learning happen in a model small enough to train here.

# %% [markdown]
# ## Try first
#
# List three differences between GPT-2 and GPT-3 that you could defend with a number each.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “GPT-2 的参数量约为 1.5 亿” | **wrong** | GPT-2 is four sizes; the largest has **15 亿** (1.5B) parameters, ten times the answer's figure. The paper's 117M … 1542M were miscounted; the released checkpoints count 124M … 1558M. | Lab 1 |
# | “GPT-3 的参数量高达 1750 亿” | correct | The largest of eight sizes (125M … 175B); 174.6B counted from its configuration. | Lab 1 |
# | “GPT-2 使用的是 BookCorpus 和 WebCorpus” | **wrong** | BookCorpus trained GPT-1. GPT-2 trained on **WebText**: about 8 million documents (40 GB) from pages linked on Reddit. GPT-3 trained on 300B tokens drawn from a **weighted mix** of filtered Common Crawl, WebText2, two book corpora and Wikipedia. | Lab 2 |
# | “GPT-3 生成效果更好” | incomplete | True, and measured: people shown news articles written by 175B told them from real ones only ≈ 52 % of the time, near chance (Brown et al., 2020, §3.9.4). But the paper's point is **in-context learning**: with zero, one or a few examples in the prompt and **no gradient update**, it does tasks it was not fine-tuned for. | Labs 2, 3 |
# | “需要更多的计算资源/存储空间” | correct | About 3 × 10²³ training FLOPs for 175B ([chapter 3](03_gpt3_architecture.ipynb)); its weights alone take 349 GB in fp16, against 6.2 GB for GPT-2 XL's released fp32 checkpoint. | Lab 1 |
#
# Left out: the context doubled from 1024 to 2048 tokens, and the architecture barely changed — GPT-2's
# pre-LN layer, plus alternating dense and locally banded attention (chapter 3).

# %%
import matplotlib.pyplot as plt
import torch

from course.models import GPT, GPTConfig, count_parameters
from course.models.sizes import GPT2_SIZES, GPT3_DATA_MIX, GPT3_SIZES, attended_pairs
from course.runtime import get_device, seed_everything

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Two size tables, counted
#
# Radford et al. (2019), *Language Models are Unsupervised Multitask Learners*, Table 2: four sizes, all with
# a 50,257-token vocabulary and 1024 positions. We count each configuration twice: with the course's
# counter, and as transformers' `GPT2LMHeadModel` built from a `GPT2Config` on the *meta* device — random
# shapes, no memory, nothing downloaded.

# %%
# NBVAL_CHECK_OUTPUT
from transformers import GPT2Config, GPT2LMHeadModel

print(f"{'model':<13}{'layers':>7}{'d_model':>8}{'heads':>6}{'context':>8}{'paper':>8}{'counted':>15}"
      f"{'transformers':>15}")
for row in GPT2_SIZES:
    with torch.device("meta"):
        hf = GPT2LMHeadModel(GPT2Config(n_layer=row.n_layers, n_embd=row.d_model, n_head=row.n_heads,
                                        n_positions=row.context))
    print(f"{row.name:<13}{row.n_layers:>7}{row.d_model:>8}{row.n_heads:>6}{row.context:>8}"
          f"{row.n_params / 1e6:>7.0f}M{row.config().n_params():>15,}{count_parameters(hf):>15,}")

# %% [markdown]
# The largest GPT-2 has **1.56 billion** parameters — 15 亿, not 1.5 亿. But every count is above the
# paper's. OpenAI's GPT-2 repository later said the paper's counts "were wrong
# due to an error", and renamed the checkpoints 124M, 355M, 774M and 1558M. What error? The paper does
# not say — but one candidate fits all four rows: count with **GPT-1's** embedding tables (a 40,478-token
# vocabulary, 512 positions) instead of GPT-2's.

# %%
# NBVAL_CHECK_OUTPUT
for row in GPT2_SIZES:
    gpt1_tables = row.config(vocab_size=40478, context=512).n_params()
    print(f"{row.name:<13} paper {row.n_params / 1e6:>5.0f}M · with GPT-1's vocabulary and positions "
          f"{gpt1_tables / 1e6:>7.1f}M ({gpt1_tables / row.n_params - 1:+.2%})")

# %% [markdown]
# All four within half a percent: the smaller vocabulary table is consistent with the gap (OpenAI never said
# what the error was). And GPT-3? Its eight sizes, counted the same way ([chapter 3](03_gpt3_architecture.ipynb)
# checks each row, and finds the XL row as printed 17 % off: its 24 heads should be 16), next to GPT-2's,
# with each family's context — GPT-3 XL plotted with 16 heads:

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.6))
for family, rows, style, offset, align in (
        ("GPT-2 (context 1024)", GPT2_SIZES, dict(marker="s", s=70, facecolors="none", edgecolors="tab:blue"), (-6, 2), "right"),
        ("GPT-3 (context 2048)", GPT3_SIZES, dict(marker="o", s=30, color="tab:orange"), (6, -4), "left")):
    counts = [r.config(n_heads=16).n_params() if r.name == "GPT-3 XL" else r.config().n_params() for r in rows]
    ax.scatter([r.n_layers for r in rows], counts, label=family, **style)
    for r, n in zip(rows, counts):                         # GPT-2's names to the left, GPT-3's to the right
        ax.annotate(r.name.split()[-1], (r.n_layers, n), fontsize=7, xytext=offset, textcoords="offset points",
                    ha=align, color=style.get("edgecolors", style.get("color")))
ax.set(yscale="log", xlim=(0, 105), xlabel="layers", ylabel="parameters (counted)",
       title="GPT-2 and GPT-3 sizes (GPT-3 XL with 16 heads, as chapter 3 corrects it)")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
def as_printed(n):                                            # the paper's style, as in chapter 3: 125M, 1.3B
    return f"{n / 1e6:.0f}M" if n < 1e9 else f"{n / 1e9:.1f}B"


print(f"{'model':<13}{'layers':>7}{'d_model':>8}{'heads':>6}{'context':>8}{'paper':>8}{'counted':>17}")
for row in GPT3_SIZES:
    print(f"{row.name:<13}{row.n_layers:>7}{row.d_model:>8}{row.n_heads:>6}{row.context:>8}"
          f"{as_printed(row.n_params):>8}{row.config().n_params():>17,}")
g2, g3 = GPT2_SIZES[-1].config(), GPT3_SIZES[-1].config()
print(f"largest: GPT-2 XL {g2.n_params() / 1e9:.2f}B, GPT-3 175B {g3.n_params() / 1e9:.1f}B "
      f"({g3.n_params() / g2.n_params():.0f}× more)")
for name, cfg in (("GPT-2 XL", g2), ("GPT-3 175B", g3)):
    print(f"{name} weights: {cfg.n_params() * 4 / 1e9:,.1f} GB in fp32 (4 bytes each), "
          f"{cfg.n_params() * 2 / 1e9:,.1f} GB in fp16 (2 bytes each)")
print(f"context {g2.context} → {g3.context}: causal (query, key) pairs per layer "
      f"{attended_pairs(g2.context):,} → {attended_pairs(g3.context):,} "
      f"({attended_pairs(g3.context) / attended_pairs(g2.context):.1f}×)")

# %% [markdown]
# Note the overlap: GPT-3 Small *is* GPT-2 small's shape with twice the context, and GPT-3 XL (1.3B) is
# smaller than GPT-2 XL. What separates the families is the top of the range — and what they were
# trained on.
#
# ## Lab 2 — The data
#
# **GPT-2** trained on WebText, built for the paper: the text of the web pages that Reddit users had linked
# to with enough karma, Wikipedia removed. **GPT-3** trained on 300 billion tokens drawn from five sources
# with fixed sampling weights that are not proportional to their sizes. The figures the papers report, which
# no lab here can recompute, in one table with their sources:

# %%
# NBVAL_CHECK_OUTPUT
AS_REPORTED = [
    ("WebText (GPT-2's data)", "about 8 million documents, 40 GB of text", "Radford et al., 2019, §2.1"),
    ("WebText's filter", "outbound Reddit links with at least 3 karma", "Radford et al., 2019, §2.1"),
    ("GPT-3's training budget", "300 billion tokens, every size", "Brown et al., 2020, Table 2.2"),
    ("few-shot K", "typically 10 to 100 examples, as many as fit in 2048 tokens", "Brown et al., 2020, §2"),
    ("humans spotting 175B's news", "≈ 52 % accuracy (50 % is chance)", "Brown et al., 2020, §3.9.4"),
    ("175B training compute", "3.14e23 FLOPs", "Brown et al., 2020, Table D.1"),
]
for what, value, source in AS_REPORTED:
    print(f"{what:<29}{value:<62}{source}")

# %% [markdown]
# From Table 2.2's sizes and weights (Brown et al., 2020), how often was each source seen? The weights are
# printed as whole percents, so each stands for an interval (22 % means 21.5–22.5 %), and so does the
# epoch count it implies:

# %%
# NBVAL_CHECK_OUTPUT
budget = 300e9
total = sum(s.tokens for s in GPT3_DATA_MIX)
print(f"{'source':<24}{'tokens':>8}{'share of data':>15}{'weight':>8}{'epochs (weight·300B/tokens)':>29}"
      f"{'if rounded':>13}{'paper':>7}{'fits?':>7}")
for s in GPT3_DATA_MIX:
    low, high = ((s.weight + d) * budget / s.tokens for d in (-0.005, 0.005))   # weight ± half a percent
    print(f"{s.name:<24}{s.tokens / 1e9:>7.0f}B{s.tokens / total:>15.1%}{s.weight:>8.0%}"
          f"{s.weight * budget / s.tokens:>29.2f}{f'{low:.2f}–{high:.2f}':>13}{s.epochs:>7.2f}"
          f"{'yes' if low <= s.epochs <= high else 'no':>7}")
print(f"the printed weights sum to {sum(s.weight for s in GPT3_DATA_MIX):.0%}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.2))
names = [s.name for s in GPT3_DATA_MIX]
at = torch.arange(len(names)).float()
ax.barh(at - 0.2, [s.tokens / total for s in GPT3_DATA_MIX], height=0.4, color="lightgray", label="share of the tokens")
ax.barh(at + 0.2, [s.weight for s in GPT3_DATA_MIX], height=0.4, color="tab:orange", label="share of training (weight)")
ax.set_yticks(at.tolist(), names)
ax.invert_yaxis()
ax.set(xlabel="fraction", title="GPT-3's mix: curated sources are oversampled")
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# Common Crawl is 82 % of the tokens but 60 % of training and is seen less than once; the curated sets
# (WebText2, Books1, Wikipedia) are seen two to three times. The printed weights are rounded (they sum to
# 101 %), and rounding accounts for every row but one: Books1's 1.9 and Wikipedia's 3.4 epochs lie inside
# the intervals their weights allow. **WebText2 does not fit**: any weight that rounds to 22 % gives
# 3.39–3.55 epochs, never the paper's 2.9. The table is not self-consistent there, and the paper does not
# say which of its numbers is off.
#
# ## Lab 3 — Zero-, one- and few-shot learning, in a model you can train here
#
# GPT-3's paper defines three settings (Brown et al., 2020, §2): **zero-shot** (a task description only),
# **one-shot** (plus one demonstration) and **few-shot** (plus as many as fit in the context; K in the
# as-reported table above). The weights never change: the examples are just text in the prompt.
#
# A task a tiny model can learn *to learn in context*: each sequence draws a fresh random mapping f from
# 8 input symbols to 8 outputs, then shows example pairs, and the model must answer f(x) for the next x.
# Each pair is written as two tokens: the input `x`, then an answer token that spells out the whole pair
# `x→f(x)` (unlike "France: Paris", where "Paris" does not contain "France" — that needs two layers, an
# induction head; we make the answer token carry x so that one layer can do it). At every input position
# the next token is the answer; its `f(x)` can only come from earlier examples in the same sequence.

# %%
SYMBOLS, PAIRS = 8, 12                       # 8 inputs, 8 outputs; 12 example pairs per sequence


def mapping_batch(batch, gen):
    """inputs (B, 2·PAIRS − 1), targets: the answer token after each input x, −100 elsewhere."""
    f = torch.randint(SYMBOLS, (batch, SYMBOLS), generator=gen)          # a random function per row
    x = torch.randint(SYMBOLS, (batch, PAIRS), generator=gen)
    answer = SYMBOLS + SYMBOLS * x + f.gather(1, x)                      # token id of the pair x→f(x)
    seq = torch.stack([x, answer], dim=2).flatten(1)                     # x₁ a₁ x₂ a₂ …
    targets = seq[:, 1:].clone()
    targets[:, 1::2] = -100                                              # after an answer comes a new x: unpredictable
    return seq[:, :-1], targets, f


torch.manual_seed(0)
data_gen = torch.Generator().manual_seed(0)
icl = GPT(GPTConfig(vocab_size=SYMBOLS + SYMBOLS ** 2, context=2 * PAIRS, n_layers=1, n_heads=4,
                    d_model=64)).to(device)
from course.train import AdamW, fit, warmup_cosine_scheduler

opt = AdamW(icl.parameters(), lr=3e-3, weight_decay=0.0)
seen_functions = set()


def train_batch(step):
    inputs, targets, f = mapping_batch(32, data_gen)
    seen_functions.update(map(tuple, f.tolist()))
    return inputs.to(device), targets.to(device)


history = fit(icl, opt, train_batch, 200, scheduler=warmup_cosine_scheduler(opt, warmup=30, total=200))
print(f"trained on {len(seen_functions):,} mappings; final training loss {history.final_loss:.3f}")

# %% [markdown]
# Now test it, weights frozen, on 2000 sequences with fresh mappings. The accuracy at the k-th input is
# k-shot accuracy: k examples came before it. A perfect in-context learner answers right when x has
# appeared before in the sequence, and can only guess (1 in 8) when it has not — we measure that ceiling
# on the same sequences.

# %%
# NBVAL_CHECK_OUTPUT
inputs, targets, f_test = mapping_batch(2000, torch.Generator().manual_seed(123))
new = sum(tuple(row) not in seen_functions for row in f_test.tolist())
print(f"test mappings never seen in training: {new} of {len(f_test)}")
x_test = inputs[:, 0::2]                                                 # (2000, PAIRS): the inputs
seen_before = torch.stack([(x_test[:, :k] == x_test[:, k:k + 1]).any(1) for k in range(PAIRS)], 1)
ceiling = (seen_before.float() + (~seen_before).float() / SYMBOLS).mean(0)
print("share of queries whose x appeared earlier, k = 0 … 3:", [round(v, 3) for v in seen_before.float().mean(0)[:4].tolist()])

# %%
icl.eval()
with torch.inference_mode():
    predicted = icl(inputs.to(device)).logits.argmax(-1).cpu()
correct = (predicted == targets)[:, 0::2]                                 # (2000, PAIRS): at each input
accuracy = correct.float().mean(0)


def standard_error(p, n):                                                # of a rate p measured on n trials
    return (p * (1 - p) / n) ** 0.5


n = len(correct)
for k in (0, 1, 4, PAIRS - 1):
    se = standard_error(accuracy[k].item(), n)
    print(f"{k:>2}-shot: accuracy {accuracy[k]:.3f} ± {se:.3f} (perfect in-context learner {ceiling[k]:.3f}, "
          f"{(accuracy[k] - ceiling[k]) / se:+.1f} SE; chance {1 / SYMBOLS:.3f})")
unseen = correct[~seen_before].float()
se = standard_error(unseen.mean().item(), len(unseen))
print(f"x seen earlier in the prompt: {correct[seen_before].float().mean():.3f} correct · x not seen: "
      f"{unseen.mean():.3f} ± {se:.3f} on {len(unseen):,} queries ({(unseen.mean() - 1 / SYMBOLS) / se:+.1f} SE from 1/8)")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
shots = range(PAIRS)
ax.plot(shots, accuracy, "o-", label="tiny GPT, weights frozen")
ax.plot(shots, ceiling, "--", color="gray", label="perfect in-context learner")
ax.axhline(1 / SYMBOLS, color="tab:red", lw=1, ls=":", label="chance (1/8)")
for k, name in ((0, "zero-shot"), (1, "one-shot"), (8, "few-shot")):
    ax.annotate(name, (k, accuracy[k].item()), xytext=(4, 8), textcoords="offset points", fontsize=8)
ax.set(xlabel="examples in the prompt (k)", ylabel="accuracy on the query", ylim=(0, 1.05),
       title="In-context learning of a new mapping")
ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()

# %% [markdown]
# How does one layer do it? Record its attention and look at the last query, `x₁₂`: where does it look?

# %%
from course.nn import record_attention

with record_attention(icl) as records, torch.inference_mode():
    icl(inputs[:200].to(device))
weights = records["blocks.0.self_attn"][0].mean(1)[:, -1].cpu()         # (200, T): last query, heads averaged
answers_x = (inputs[:200, 1::2] - SYMBOLS) // SYMBOLS                     # the x spelled by each answer token
own_x = torch.zeros_like(weights, dtype=torch.bool)
own_x[:, 1::2] = answers_x == inputs[:200, -1:]                           # answer tokens of the queried x
has_match = own_x.any(1)
share = (weights * own_x).sum(1)[has_match].mean()
print(f"attention of the last query on answer tokens for its own x: {share:.2f} of its weight "
      f"(those tokens are {own_x[has_match].float().sum(1).mean() / weights.shape[1]:.2f} of the positions)")

row = int(has_match.nonzero()[0])
fig, ax = plt.subplots(figsize=(9, 2.6))
labels = [f"x{t}" if i % 2 == 0 else f"{(t - SYMBOLS) // SYMBOLS}→{(t - SYMBOLS) % SYMBOLS}"
          for i, t in enumerate(inputs[row].tolist())]
ax.bar(range(len(labels)), weights[row], color=["tab:orange" if m else "lightgray" for m in own_x[row]])
ax.set_xticks(range(len(labels)), labels, fontsize=8)
ax.set(ylabel="attention", xlabel="earlier tokens of one test sequence",
       title=f"Where the last query x{inputs[row, -1].item()} looks (heads averaged): orange = answers for the same input")
fig.tight_layout()

# %% [markdown]
# That is the mechanism: in this run the query puts nearly all of its attention (the share printed above)
# on the earlier answer token that carries its own x, and copies that token — a lookup learned in training
# and reused on new mappings.
#
# Zero-shot the model is at chance — nothing in the prompt says what f is; here zero-shot cannot beat
# chance, since f is random, while in GPT-3 a task description plus knowledge from pretraining does the
# work. Each example lifts the accuracy, and in this run the model follows the ceiling closely: where it
# sits above it, the gap is within about two standard errors (printed beside each row), and it can only be
# luck — for an x not in the prompt f(x) is independent of everything the model sees, so no model beats
# 1 in 8 in expectation, and the ceiling counts each such guess at exactly that. It answers from the
# prompt whenever the prompt holds the answer, on mappings it never saw in training (the test cell counts
# them), without a single weight update. This is retrieval, the simplest form of in-context learning;
# GPT-3's few-shot results (e.g. arithmetic, word unscrambling) need more than lookup, and the paper found
# that the gain from examples grows with model size (Brown et al., 2020, Figure 1.2).
#
# ## Self-test
#
# **Exercise 1.** Lab 3 measured the perfect learner's ceiling on sampled sequences. Derive it exactly.

# %%
from course.selftest import exercise

exercise("15.icl_ceiling")

# %%
def icl_ceiling(n_symbols, k):
    # your code here
    raise NotImplementedError


exercise("15.icl_ceiling").check(icl_ceiling)

# %% [markdown]
# **Exercise 2.** Lab 2 went from the printed weights to epochs. Go the other way: from the paper's epochs to
# the weights they imply — and see whether they add up.

# %%
exercise("15.effective_weights")

# %%
def effective_weights(tokens, epochs, budget):
    # your code here
    raise NotImplementedError


exercise("15.effective_weights").check(effective_weights)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(15)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 架构上两者几乎相同：都是仅含解码器的因果 Transformer（pre-LN，50257 词表），GPT-3 只是逐层交替使用稠密注意力和局部带状稀疏注意力。区别在规模、上下文、数据和使用方式：GPT-2 有四个规模，最大 15 亿参数（论文写
# 117M…1542M，官方后来更正为 124M…1558M），上下文 1024；GPT-3 有八个规模，最大 1750 亿参数，上下文 2048。GPT-2 用
# WebText（约 800 万网页、40GB，来自 Reddit 上获得至少 3 karma 的外链网页）；GPT-3 训练了 3000 亿个 token，按固定权重从过滤后的 Common Crawl、WebText2、两个图书语料和维基百科采样，高质量语料被重复 2–3 遍。GPT-3 论文的核心是上下文学习：零样本、单样本、少样本，只把示例放进提示、不更新权重。
#
# **English:** Architecturally they are nearly the same decoder-only, pre-LN Transformer with a 50,257-token
# vocabulary; GPT-3 only alternates dense and locally banded sparse attention from layer to layer. The differences are scale,
# context, data and use. GPT-2: four sizes up to 1.5B (the paper's 117M…1542M were corrected to
# 124M…1558M), context 1024, trained on WebText (about 8M pages linked from Reddit with at least 3 karma,
# 40 GB). GPT-3: eight sizes
# up to 175B, context 2048, 300B tokens sampled with fixed weights from filtered Common Crawl, WebText2,
# two book corpora and Wikipedia, the curated ones repeated two to three times. GPT-3's point is in-context learning —
# zero-, one- and few-shot from the prompt, with no gradient update.

# %% [markdown]
# ## Further reading
#
# - Radford, Wu, Child, Luan, Amodei, Sutskever — *Language Models are Unsupervised Multitask Learners* (GPT-2, 2019): Table 2, §2.1.
# - Brown et al. — *Language Models are Few-Shot Learners* (GPT-3, 2020): Tables 2.1 and 2.2, §2, Figure 1.2.
# - Radford, Narasimhan, Salimans, Sutskever — *Improving Language Understanding by Generative Pre-Training* (GPT-1, 2018).
# - Olsson et al. — *In-context Learning and Induction Heads* (2022).
# - openai/gpt-2 repository, README (2019): the note on the corrected parameter counts.
