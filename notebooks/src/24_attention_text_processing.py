# %% [markdown]
# # Chapter 24 · How does attention improve text processing?
#
# **题目：** 语言模型中的注意力机制如何提高文本处理能力？ — 请解释语言模型中的注意力机制如何提高文本处理能力。
#
# **Question:** How does the attention mechanism improve a language model's ability to process text?
#
# **Time:** about 25 minutes · **Prerequisites:** [4 · how attention works](04_how_attention_works.ipynb) · **Related:**
# [16 · self-attention](16_self_attention.ipynb), [47 · sequence to sequence](47_seq2seq.ipynb),
# [43 · long-range dependencies](43_long_range_dependencies.ipynb)
#
# **Objectives**
# - See the problem attention was invented for: the fixed-size bottleneck of an RNN encoder–decoder.
# - Train the same seq2seq model with and without attention and measure accuracy against input length,
#   with teacher forcing and decoding on its own.
# - Draw the learned alignment between output and input positions.
# - Count what attention costs against an RNN, and connect it to the causal self-attention of LLMs.

# %% [markdown]
# ## Try first
#
# Before Transformers, translation models were RNN encoder–decoders. What information does the decoder
# have about a 50-word source sentence, and what did attention change? Is attention cheaper than an RNN
# on long sequences?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “动态关注…根据上下文动态关注序列中的其他词” | correct | Each output step computes fresh weights over all input positions. | Lab 2 |
# | “上下文融合…将重要的词赋予更高的权重” | incomplete | The weights are computed *per query*; there is no fixed importance of a word. | Lab 2 |
# | “跨序列依赖：同时关注文本的前后文” | **misattributed** | Seeing both sides is bidirectionality (an encoder property, chapter 13), not what attention adds. Attention's contribution is *direct access* to every source position instead of one summary vector. | Lab 1 |
# | “高效计算：通过并行计算提高处理速度，避免 RNN 逐词处理” | **half right** | True of *self*-attention in the Transformer (2017): with recurrence dropped, training and reading the prompt run all positions in one matmul. Not true of attention as such — it was introduced *inside* an RNN (Bahdanau et al., 2015) that still ran word by word — nor of generation, which stays one token at a time. | Lab 3 (text); [chapter 29](29_attention_complexity_1.ipynb) |
# | “使得模型在处理长序列时更高效” | **wrong** | Self-attention does *more* arithmetic than an RNN on long sequences: O(n²·d) per layer against O(n·d²), more as soon as n > d. Its gains are parallelism across positions in training and one-step access to any position. | Lab 3 |

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from course.models import RNNSeq2Seq, count_parameters
from course.nn import MultiHeadAttention, record_attention
from course.runtime import get_device, seed_everything
from course.text import sequence_task
from course.train import AdamW, fit, warmup_cosine_scheduler
from course.viz import plot_attention

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — The bottleneck, measured
#
# Task: reverse a sequence of digits (2…11). Two GRU encoder–decoders with (almost) the same number of
# parameters: one whose decoder sees the source only through the encoder's final state (hidden size 76), one
# with additive attention over every encoder state (hidden size 64). Both train on lengths 4–12 for the same
# number of steps; we test on lengths 4–16.
#
# Training uses **teacher forcing**: at step t the decoder is fed the *true* previous digit, whatever it
# predicted. Accuracy is first measured the same way, then **free-running** — each step is fed the model's
# own previous output, as when it is actually used.

# %%
V, BOS = 12, 1


def reversal_batch(n: int, seed: int, lengths=range(4, 13)):
    g = torch.Generator().manual_seed(seed)
    length = list(lengths)[int(torch.randint(len(lengths), (1,), generator=g))]
    src, _ = sequence_task("reverse", n, length, vocab=V - 1, seed=seed)   # digits 1…10, uniform
    src = src + 1                                              # → 2…11: 0 = padding, 1 = <bos>
    tgt = src.flip(1)
    tgt_in = torch.cat([torch.full((n, 1), BOS), tgt[:, :-1]], dim=1)   # teacher forcing: the true previous digit
    return src.to(device), tgt_in.to(device), tgt.to(device)


# %%
# NBVAL_CHECK_OUTPUT
HIDDEN = {False: 76, True: 64}          # sizes chosen so that both models have about 73k parameters
for attention in (False, True):
    model = RNNSeq2Seq(V, V, hidden=HIDDEN[attention], attention=attention)
    print(f"attention={attention}: hidden {HIDDEN[attention]}, {count_parameters(model):,} parameters")

# %%
STEPS = 240
models = {}
for attention in (False, True):
    torch.manual_seed(0)
    model = RNNSeq2Seq(V, V, hidden=HIDDEN[attention], attention=attention).to(device)
    opt = AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    fit(model, opt, lambda s: reversal_batch(64, s), STEPS, scheduler=warmup_cosine_scheduler(opt, warmup=20, total=STEPS))
    models["with attention" if attention else "without attention"] = model.eval()

# %%
def free_running(model, src, length):
    """Greedy decoding: every step is fed the model's own previous output. -> (B, length)."""
    out = torch.full((src.shape[0], 1), BOS, device=src.device)
    for _ in range(length):
        next_digit = model(src, out).logits[:, -1].argmax(-1, keepdim=True)
        out = torch.cat([out, next_digit], dim=1)
    return out[:, 1:]


test_lengths = [4, 8, 12, 16]
accuracy = {}
with torch.inference_mode():
    for name, model in models.items():
        forced, free = [], []
        for length in test_lengths:
            src, tgt_in, tgt = reversal_batch(100, seed=123, lengths=[length])
            forced.append((model(src, tgt_in).logits.argmax(-1) == tgt).float().mean().item())
            free.append((free_running(model, src, length) == tgt).float().mean().item())
        accuracy[name] = {"teacher forcing": forced, "free-running": free}
        for mode, accs in accuracy[name].items():
            print(f"{name:>17}, {mode:>15}: token accuracy by length "
                  f"{dict(zip(test_lengths, [round(a, 2) for a in accs]))}")

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.6))
for (name, modes), color in zip(accuracy.items(), ("tab:blue", "tab:orange")):
    for mode, style in (("teacher forcing", "-"), ("free-running", "--")):
        ax.plot(test_lengths, modes[mode], style, marker="o", color=color, label=f"{name}, {mode}")
ax.axvspan(12, 16, color="gray", alpha=0.12, label="longer than in training")
ax.set(xlabel="input length", ylabel="token accuracy", ylim=(0, 1.05), xticks=test_lengths,
       title="Reversal: one summary vector vs attention")
ax.legend(fontsize=7, loc="lower left")
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Without attention, everything the decoder knows about the input must pass through one 76-number vector,
# and accuracy falls as inputs grow. With attention, each output step reads the encoder state it needs,
# and within the training lengths accuracy holds up better at the same parameter count. Beyond them
# (length 16) both models fall: attention gives access to the input, not a skill at lengths never trained on.
# Free-running accuracy is lower for both on longer inputs: one wrong digit is fed back and derails the next
# steps, so errors compound with length — the price of training only on true prefixes (*exposure bias*). Both
# models are recurrent and equally sequential: the gain is access, not speed.
#
# ## Lab 2 — The learned alignment
#
# The attention model's weights, one row per output step, on an input of length 8: for reversal the
# decoder should read the source backwards — an anti-diagonal.

# %%
model = models["with attention"]
S = 8
src, tgt_in, tgt = reversal_batch(1, seed=7, lengths=[S])
with torch.inference_mode(), record_attention(model) as rec:
    model(src, tgt_in)
alignment = torch.cat([step[0, 0] for step in rec["attention"]], dim=0)      # (output steps, source positions)
fig, ax = plt.subplots(figsize=(4.6, 4.0))
plot_attention(alignment, [str(t) for t in tgt[0].tolist()], [str(t) for t in src[0].tolist()], ax=ax,
               title="alignment: output digit (row) reads source digit (column)")
ax.set(xlabel="source digit (encoder position)", ylabel="output digit (decoder step)")
fig.tight_layout()

# %%
src, tgt_in, tgt = reversal_batch(200, seed=8, lengths=[S])
with torch.inference_mode(), record_attention(model) as rec:
    model(src, tgt_in)
weights = torch.cat(rec["attention"], dim=2)[:, 0]             # one (B, 1, 1, S) per step -> (B, steps, S)
looked_at = weights.argmax(-1)                                 # (B, steps)
step = torch.arange(S)
for name, position in (("S−1−i (the digit it writes)", S - 1 - step), ("S−i (the digit it was just fed)", S - step),
                       ("i (copying order)", step)):
    print(f"steps whose largest weight is on position {name:<32}: {(looked_at == position).float().mean():.0%}")

# %% [markdown]
# The anti-diagonal is the alignment a person would draw: most steps i read source position S−1−i, the digit
# they are about to write. Nothing forced that: the model was never told where to look, only trained to output the
# right digits — attention learns *an* alignment that solves the task, which is why we measure it rather
# than assume it.
#
# ## Lab 3 — What attention costs, and where it went next
#
# The common answer calls attention “more efficient on long sequences”. Count it: one GRU layer against one
# self-attention layer (Q, K, V and output projections, scores and weighted sum) of the same width d = 64,
# forward FLOPs measured with `FlopCounterMode`:

# %%
# NBVAL_CHECK_OUTPUT
d = 64
gru, self_attention = nn.GRU(d, d, batch_first=True), MultiHeadAttention(d, 4, causal=True)
self_attention.record = True                                   # manual path: its matmuls are visible to the counter
print(f"{'n':>5} {'GRU FLOPs':>12} {'self-attention FLOPs':>21} {'ratio':>6}")
for n in (16, 64, 256, 1024):
    x = torch.randn(1, n, d)
    flops = []
    for layer in (gru, self_attention):
        with torch.inference_mode(), FlopCounterMode(display=False) as counter:
            layer(x)
        flops.append(counter.get_total_flops())
    print(f"{n:>5} {flops[0]:>12,} {flops[1]:>21,} {flops[1] / flops[0]:>6.2f}")

# %% [markdown]
# The GRU costs 12·n·d² (three gates, each an input and a recurrent matmul); self-attention costs
# 8·n·d² + 4·n²·d. They are equal at n = d, and beyond it attention does more arithmetic — six times more at
# n = 16·d = 1,024. What attention buys is not fewer operations but a different *shape* of computation: no step waits
# for the previous one in training (all positions in one matmul — the Transformer, Vaswani et al., 2017), and
# any two positions are one step apart instead of n (chapter 43).
#
# **In a large language model** the same idea appears as causal **self-attention**: there is no separate
# encoder. Each position's hidden state makes a query, every earlier position of the *same* sequence offers a
# key and a value, a causal mask hides the future, and each position reads a weighted sum of the past — the
# decoder state of Lab 1 becomes "the current token", the encoder states become "all tokens so far"
# ([chapter 4](04_how_attention_works.ipynb), [chapter 16](16_self_attention.ipynb)). Generation still runs one
# token at a time; training and reading the prompt run all positions at once.
#
# ## Self-test
#
# **Exercise 1** — the scores of Lab 1's attention model, written out for one decoder step.

# %%
from course.selftest import exercise

exercise("24.additive_scores")

# %%
def additive_scores(query, keys, w_q, w_k, v):
    # your code here
    raise NotImplementedError


exercise("24.additive_scores").check(additive_scores)

# %% [markdown]
# **Exercise 2** — the next step: turn the scores into the context vector, over a padded source.

# %%
exercise("24.context_vector")

# %%
def context_vector(scores, values, mask):
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
# **中文：** 注意力最初是为了解决 RNN 编码器–解码器的信息瓶颈：没有注意力时，解码器只能通过编码器最后一个固定长度的隐状态了解整个输入，输入越长信息丢失越多。注意力让解码器每一步都对所有编码器状态打分、softmax 成权重、取加权和，相当于“按需查阅”原文：参数量相同时，在训练见过的长度内，较长输入的准确率明显更高（超出训练长度后两者都下降），并学到可解释的对齐（翻转任务是反对角线）。它并不更省计算：自注意力每层 O(n²·d)，RNN 是 O(n·d²)，n > d 时注意力算得更多；它带来的是训练时各位置可并行、任意两位置一步可达。在大语言模型里这就是因果自注意力：每个位置用 query 查询同一序列中之前所有位置的 key/value。生成仍是逐 token 的。
#
# **English:** Attention was invented to remove the bottleneck of RNN encoder–decoders: without it the decoder
# sees the input only through the encoder's final fixed-size state, and information is lost as inputs grow.
# With attention every decoder step scores all encoder states, turns the scores into softmax weights and reads
# their weighted sum: at equal parameters it is clearly more accurate on longer inputs within the trained
# lengths (beyond them both fall), and the weights form an interpretable alignment. It is not cheaper:
# self-attention costs O(n²·d) per layer against an RNN's O(n·d²), more once n > d. It buys parallel
# training and one-step access to any position. In LLMs it is causal self-attention over the same sequence;
# generation is still one token at a time.

# %% [markdown]
# ## Further reading
#
# - Sutskever, Vinyals, Le — *Sequence to Sequence Learning with Neural Networks* (2014).
# - Cho et al. — *On the Properties of Neural Machine Translation: Encoder–Decoder Approaches* (2014).
# - Bahdanau, Cho, Bengio — *Neural Machine Translation by Jointly Learning to Align and Translate* (2015).
# - Luong, Pham, Manning — *Effective Approaches to Attention-based Neural Machine Translation* (2015).
# - Bengio, Vinyals, Jaitly, Shazeer — *Scheduled Sampling for Sequence Prediction with Recurrent Neural Networks* (2015) — exposure bias.
# - Vaswani et al. — *Attention Is All You Need* (2017), table 1 (cost per layer of self-attention vs recurrence).
