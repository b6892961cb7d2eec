# %% [markdown]
# # Chapter 24 · How does attention improve text processing?
#
# **题目：** 语言模型中的注意力机制如何提高文本处理能力？ — 请解释语言模型中的注意力机制如何提高文本处理能力。
#
# **Question:** How does the attention mechanism improve a language model's ability to process text?
#
# **Time:** about 25 minutes · **Prerequisites:** [4 · how attention works](04_how_attention_works.ipynb) · **Related:**
# [47 · sequence to sequence](47_seq2seq.ipynb), [43 · long-range dependencies](43_long_range_dependencies.ipynb)
#
# **Objectives**
# - See the problem attention was invented for: the fixed-size bottleneck of an RNN encoder–decoder.
# - Train the same seq2seq model with and without attention and measure accuracy against input length.
# - Draw the learned alignment between output and input positions.

# %% [markdown]
# ## Try first
#
# Before Transformers, translation models were RNN encoder–decoders. What information does the decoder
# have about a 50-word source sentence, and what did attention change?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “动态关注…根据上下文动态关注序列中的其他词” | correct | Each output step computes fresh weights over all input positions. | Lab 2 |
# | “上下文融合…将重要的词赋予更高的权重” | incomplete | The weights are computed *per query*; there is no fixed importance of a word. | Lab 2 |
# | “跨序列依赖：同时关注文本的前后文” | **misattributed** | Seeing both sides is bidirectionality (an encoder property, chapter 13), not what attention adds. Attention's contribution is *direct access* to every source position instead of one summary vector. | Lab 1 |
# | “高效计算：通过并行计算提高处理速度，避免 RNN 逐词处理” | **wrong attribution** | Attention was introduced *inside* an RNN (Bahdanau et al., 2015) that still ran word by word. Parallel training comes from dropping recurrence altogether (the Transformer, 2017). | Lab 1 |

# %%
import matplotlib.pyplot as plt
import torch

from course.models import RNNSeq2Seq
from course.runtime import get_device, seed_everything
from course.text import sequence_task
from course.train import AdamW, fit, warmup_cosine_scheduler

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — The bottleneck, measured
#
# Task: reverse a sequence of digits (2…11). Two GRU encoder–decoders with (almost) the same number of
# parameters: one whose decoder sees the source only through the encoder's final state (hidden size 76), one
# with additive attention over every encoder state (hidden size 64). Both train on lengths 4–16 for the same
# number of steps; we test on lengths 4–20.

# %%
V, BOS = 12, 1


def reversal_batch(n: int, seed: int, lengths=range(4, 17)):
    g = torch.Generator().manual_seed(seed)
    length = list(lengths)[int(torch.randint(len(lengths), (1,), generator=g))]
    src, _ = sequence_task("reverse", n, length, vocab=V, seed=seed)
    src = src.clamp_min(2)                                     # 0 = padding, 1 = <bos>
    tgt = src.flip(1)
    tgt_in = torch.cat([torch.full((n, 1), BOS), tgt[:, :-1]], dim=1)   # teacher forcing
    return src.to(device), tgt_in.to(device), tgt.to(device)


# %%
# NBVAL_CHECK_OUTPUT
from course.models import count_parameters

HIDDEN = {False: 76, True: 64}          # sizes chosen so that both models have about 73k parameters
for attention in (False, True):
    model = RNNSeq2Seq(V, V, hidden=HIDDEN[attention], attention=attention)
    print(f"attention={attention}: hidden {HIDDEN[attention]}, {count_parameters(model):,} parameters")

# %%
models, histories = {}, {}
for attention in (False, True):
    name = "with attention" if attention else "without attention"
    torch.manual_seed(0)
    model = RNNSeq2Seq(V, V, hidden=HIDDEN[attention], attention=attention).to(device)
    opt = AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    histories[name] = fit(model, opt, lambda s: reversal_batch(32, s), 700,
                          scheduler=warmup_cosine_scheduler(opt, warmup=20, total=700))
    models[name] = model

test_lengths = [4, 8, 12, 16, 20]
accuracy = {name: [] for name in models}
for name, model in models.items():
    model.eval()
    for length in test_lengths:
        src, tgt_in, tgt = reversal_batch(300, seed=123, lengths=[length])
        with torch.no_grad():
            pred = model(src, tgt_in).logits.argmax(-1)
        accuracy[name].append((pred == tgt).float().mean().item())
    print(f"{name:>18}: token accuracy by length {dict(zip(test_lengths, [round(a, 2) for a in accuracy[name]]))}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name, accs in accuracy.items():
    ax.plot(test_lengths, accs, marker="o", label=name)
ax.axvspan(16, 20, color="gray", alpha=0.12, label="longer than in training")
ax.set(xlabel="input length", ylabel="token accuracy", ylim=(0, 1.05),
       title="Reversal: one summary vector vs attention")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Without attention, everything the decoder knows about the input must pass through one 76-number vector,
# and accuracy falls as inputs grow. With attention, each output step reads the encoder state it needs,
# and long inputs stay accurate. (Both models are recurrent and equally sequential: the gain is access,
# not speed.)
#
# ## Lab 2 — The learned alignment
#
# The attention model's weights, one row per output step: for reversal the decoder should read the source
# backwards — an anti-diagonal.

# %%
from course.nn import record_attention
from course.viz import plot_attention

model = models["with attention"]
src, tgt_in, tgt = reversal_batch(1, seed=7, lengths=[12])
with torch.no_grad(), record_attention(model) as rec:
    model(src, tgt_in)
alignment = torch.cat([step[0, 0] for step in rec["attention"]], dim=0)      # (output steps, source positions)
fig, ax = plt.subplots(figsize=(4.8, 4.2))
plot_attention(alignment, [str(t) for t in tgt[0].tolist()], [str(t) for t in src[0].tolist()], ax=ax,
               title="alignment: output digit (row) reads source digit (column)")
fig.tight_layout()

# %%
looked_at = alignment.argmax(-1).tolist()
print("source position with the largest weight, step by step:", looked_at)
steps = range(1, 12)
just_written = sum(looked_at[t] == 12 - t for t in steps) / len(steps)
print(f"steps 1–11 that look at the source position of the digit written one step earlier: {just_written:.0%}")

# %% [markdown]
# The anti-diagonal is there, shifted by one: in this model the context computed at step t also feeds the
# next step, and it learned to look up the digit it has just been given and move one position left.
# Attention learns *an* alignment that solves the task — not necessarily the one a person would draw.
#
# ## Self-test
#
# **Exercise 1.** Bahdanau's additive scores for one decoder query.

# %%
from course.selftest import exercise


def additive_scores(query, keys, w_q, w_k, v):
    # your code here
    raise NotImplementedError


exercise("24.additive_scores").check(additive_scores)

# %% [markdown]
# **Exercise 2.** Turn scores into the context vector the decoder reads.

# %%
def context_vector(scores, values):
    # your code here
    raise NotImplementedError


exercise("24.context_vector").check(context_vector)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(24)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 注意力最初是为了解决 RNN 编码器–解码器的信息瓶颈：没有注意力时，解码器只能通过编码器最后一个固定长度的
# 隐状态了解整个输入，输入越长信息丢失越多。注意力让解码器每一步都按当前状态对所有编码器状态打分（加性或点积）、
# softmax 成权重、取加权和作为上下文向量，相当于“按需查阅”原文，实验中长输入的准确率明显更高，并且学到可解释的
# 对齐（翻转任务是反对角线）。并行计算不是注意力本身带来的——Bahdanau 注意力仍在逐词运行的 RNN 里；并行来自
# Transformer 去掉了循环结构。
#
# **English:** Attention was invented to remove the bottleneck of RNN encoder–decoders: without it the decoder
# sees the input only through the encoder's final fixed-size state, and information is lost as inputs grow.
# With attention, every decoder step scores all encoder states against its current state (additive or dot
# product), turns the scores into softmax weights and reads their weighted sum — it looks things up as needed.
# Accuracy on long inputs rises, and the weights form an interpretable alignment (anti-diagonal for reversal).
# Parallelism is not what attention brought: Bahdanau attention ran inside a word-by-word RNN; parallel
# training came from the Transformer dropping recurrence.

# %% [markdown]
# ## Further reading
#
# - Sutskever, Vinyals, Le — *Sequence to Sequence Learning with Neural Networks* (2014).
# - Cho et al. — *On the Properties of Neural Machine Translation: Encoder–Decoder Approaches* (2014).
# - Bahdanau, Cho, Bengio — *Neural Machine Translation by Jointly Learning to Align and Translate* (2015).
# - Luong, Pham, Manning — *Effective Approaches to Attention-based Neural Machine Translation* (2015).
