# %% [markdown]
# # Chapter 47 · How are sequence-to-sequence tasks implemented?
#
# **题目：** 语言模型中的序列到序列（Seq2Seq）任务如何实现？ — 请解释语言模型中的序列到序列（Seq2Seq）任务是如何实现的。
#
# **Question:** Explain how sequence-to-sequence (Seq2Seq) tasks are implemented with language models.
#
# **Time:** about 25 minutes · **Prerequisites:** [41 · implementing the Transformer](41_implementing_transformer.ipynb),
# [24 · attention in text processing](24_attention_text_processing.ipynb) · **Related:**
# [14 · GPT generation](14_gpt_generation.ipynb), [9 · evaluating language models](09_evaluating_lms.ipynb)
#
# **Objectives**
# - Say what the decoder reads: every encoder state, through cross-attention — not one fixed-length vector —
#   and show it by hiding one encoder state at a time.
# - Contrast teacher forcing (training: one pass over the whole target) with free running (inference: one
#   pass per output token), in FLOPs and in accuracy.
# - Decode with greedy search and beam search (widths 1…8) and score both with exact match and BLEU,
#   checked against sacrebleu.

# %% [markdown]
# ## Try first
#
# A model translates digits into English words (417 → "four hundred seventeen"). What exactly does its
# decoder receive from the encoder, what is the decoder's input during training, and how is the output
# produced at inference time?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “将输入序列编码为一个固定长度的嵌入向量” | **wrong** | That was the RNN encoder–decoder *without* attention (Sutskever et al., 2014; Cho et al., 2014). With attention the encoder hands over **one vector per source token**, S × d numbers that grow with the input, and the decoder reads all of them at every step through cross-attention. | Lab 2 |
# | “这通常通过预训练的语言模型（如 BERT、GPT）实现” | **wrong** | GPT is a decoder, not an encoder. Seq2seq models are encoder–decoders trained on the task (the 2017 Transformer) or pretrained as encoder–decoders (T5, BART); a decoder-only LLM does seq2seq by reading the source as a prompt. | Lab 2 (the model here is trained from scratch) |
# | “解码器在生成每个词时，需要利用…之前生成的词的信息” | **incomplete** | True at inference (*free running*). In training the decoder is fed the **true** previous words (*teacher forcing*), all target positions in one pass under a causal mask; the gap between the two regimes is *exposure bias*. | Lab 1 |
# | “自注意力…关注之前生成的词；交叉注意力…关注编码器的输出” | correct | The decoder's self-attention is causal; its queries attend to the encoder's keys and values in cross-attention. | Lab 2 (alignment maps) |
# | “使用交叉熵损失函数” | correct | Cross-entropy per target token, next-token style, with padding positions ignored. | Lab 1 |
# | “使用准确率、BLEU 分数等评估指标” | **incomplete** | Token accuracy under teacher forcing flatters the model; score what it *generates*: exact match, and corpus BLEU (clipped n-gram precision × brevity penalty). | Labs 1, 3 |
# | (missing) | — | How the output is produced: a **decoding** search, greedy or beam, which stops at `<eos>`. Wider beams find more probable outputs, which need not score better. | Lab 3 |

# %%
import json

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import course
from course.checkpoints import load_model
from course.generate import beam_search
from course.metrics import bleu
from course.models import ModelOutput
from course.nn import record_attention
from course.runtime import seed_everything
from course.text import number_to_words, pad_batch

generator = seed_everything(0)

# %% [markdown]
# **The task.** Numbers 0…999, written as three digits, into English words: `417` → `four hundred seventeen`.
# A fixed random 800 numbers are for training, the other 200 are held out. Source tokens are digits,
# target tokens are words, with `<bos>` and `<eos>` around them.

# %%
order = torch.randperm(1000, generator=torch.Generator().manual_seed(0)).tolist()
pairs = [(f"{n:03d}", number_to_words(n, "en").replace("-", " ")) for n in order]
train_pairs, test_pairs = pairs[:800], pairs[800:]
src_vocab = ["<pad>"] + list("0123456789")
tgt_vocab = ["<pad>", "<bos>", "<eos>"] + sorted({w for _, t in pairs for w in t.split()})
src_id, tgt_id = {c: i for i, c in enumerate(src_vocab)}, {w: i for i, w in enumerate(tgt_vocab)}
PAD, BOS, EOS, MAX_LEN = 0, 1, 2, 7


def encode(batch):
    """(src (B, 3), decoder input (B, T), targets (B, T), −100 at padding): the teacher-forcing triple."""
    src = torch.tensor([[src_id[c] for c in digits] for digits, _ in batch])
    tgt, _ = pad_batch([[tgt_id[w] for w in words.split()] + [EOS] for _, words in batch], PAD)
    decoder_in = torch.cat([torch.full((len(batch), 1), BOS), tgt[:, :-1]], dim=1)   # shifted right
    return src, decoder_in, tgt.masked_fill(tgt == PAD, -100)


def words_of(ids) -> str:
    """Token ids → the words before the first <eos>."""
    ids = list(ids)
    return " ".join(tgt_vocab[i] for i in ids[:ids.index(EOS) if EOS in ids else len(ids)])


src, decoder_in, targets = encode([("417", "four hundred seventeen")])
print("decoder input:", [tgt_vocab[i] for i in decoder_in[0]])
print("targets      :", [tgt_vocab[i] for i in targets[0]])

# %% [markdown]
# **The model** is the course's `Seq2SeqTransformer` (chapter 41 builds it and proves it equal to
# `torch.nn.Transformer`): 2 encoder and 2 decoder layers, d = 64. Training it to generalize takes 1,200 steps,
# more than this chapter's time budget, so `tools/sweeps/ch47_seq2seq.py` trained it with teacher forcing
# (cross-entropy on the targets above, AdamW, warmup + cosine, seeded) and stored it in `data/`.

# %%
model = load_model(course.DATA_DIR / "ch47_seq2seq.safetensors").eval()
sweep = json.loads((course.DATA_DIR / "ch47_beam.json").read_text())
print(f"{sum(p.numel() for p in model.parameters()):,} parameters · final training loss "
      f"{sweep['final_train_loss']:.3f} · recipe: {sweep['recipe']}")

# %% [markdown]
# ## Lab 1 — Teacher forcing in training, free running at inference
#
# In training the decoder input is the true target shifted right, so **one** forward pass scores every
# target position at once: the causal mask stops position t from seeing the word it must predict. At
# inference there is no target: the decoder runs once per output token, each time fed its own previous
# outputs (*free running*). Both, on the 200 held-out numbers:

# %%
@torch.inference_mode()
def greedy(model, src, max_len=MAX_LEN):
    """Free running: encode once, then append the most probable next token max_len times. -> (B, max_len)."""
    memory, src_mask = model.encode(src)
    out = torch.full((src.shape[0], 1), BOS)
    for _ in range(max_len):
        next_token = model.decode(out, memory, src_mask)[:, -1].argmax(-1, keepdim=True)
        out = torch.cat([out, next_token], dim=1)
    return out[:, 1:]


src, decoder_in, targets = encode(test_pairs)
with torch.inference_mode(), FlopCounterMode(display=False) as forced_flops:
    forced = model(src, decoder_in).logits.argmax(-1)                 # (200, T): one pass
with FlopCounterMode(display=False) as free_flops:
    free = greedy(model, src)[:, :targets.shape[1]]                   # (200, T): MAX_LEN = 7 decoder passes
real = targets != -100
forced_right = (forced == targets) & real
free_right = (free == targets) & real
greedy_words = [words_of(row) for row in greedy(model, src).tolist()]
exact = sum(h == t for h, (_, t) in zip(greedy_words, test_pairs)) / len(test_pairs)
print(f"token accuracy, teacher forcing: {forced_right.sum() / real.sum():.3f} · free running: "
      f"{free_right.sum() / real.sum():.3f} · exact match of the free-running outputs: {exact:.3f}")
print(f"FLOPs for the 200 numbers: teacher-forced pass {forced_flops.get_total_flops():,} · "
      f"free running {free_flops.get_total_flops():,} "
      f"({free_flops.get_total_flops() / forced_flops.get_total_flops():.1f}×)")

# %% [markdown]
# The trained model rarely errs, so here the two regimes agree. The difference is what happens *after* an
# error: teacher forcing never shows the decoder a wrong history, free running does. Feed it one: replace
# the first word of every decoder input by a wrong word, keep the rest of the true prefix, and score the
# words that follow.

# %%
corrupted = decoder_in.clone()
n_words = len(tgt_vocab) - 3                                        # word ids are 3 … V−1
shift = torch.randint(1, n_words, (len(test_pairs),), generator=torch.Generator().manual_seed(0))
corrupted[:, 1] = 3 + (decoder_in[:, 1] - 3 + shift) % n_words     # a different word at position 1
with torch.inference_mode():
    after_error = model(src, corrupted).logits.argmax(-1)
later = real.clone()
later[:, 0] = False                                                 # score only what follows the wrong word
after_right = (after_error == targets) & later
print(f"accuracy on the words after the first: true history {(forced_right & later).sum() / later.sum():.3f} · "
      f"first word wrong {after_right.sum() / later.sum():.3f}")

positions = range(targets.shape[1])
fig, ax = plt.subplots(figsize=(8.4, 3.3))
for right, mask, label, style in ((forced_right, real, "true previous words (teacher forcing)", "-o"),
                                  (free_right, real, "its own previous words (free running)", "--s"),
                                  (after_right, later, "true words, but the first one wrong", ":^")):
    acc = [(right[:, t].sum() / mask[:, t].sum()).item() if mask[:, t].any() else float("nan") for t in positions]
    ax.plot([t + 1 for t in positions], acc, style, label=label)
ax.set(xlabel="output position (words, then <eos>)", ylabel="token accuracy, held-out numbers",
       ylim=(0, 1.05), title="What the decoder is fed decides what it gets right")
ax.set_xticks([t + 1 for t in positions])
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# Trained only on true prefixes, the decoder has never seen a history with a mistake in it, and after one
# wrong word its accuracy on the words that follow drops sharply: in free running one early error can
# cost the rest of the output. This is *exposure bias* (Bengio et al., 2015; Ranzato et al., 2016), and it is why teacher-forced
# accuracy, the number a training log shows, tends to flatter the model in use (here the two are equal,
# because the model rarely makes the first error). One caveat on the test: after a wrong first word the
# right continuation is partly undefined ("twenty hundred …" is no number), so the drop mixes the decoder's
# inexperience with histories that no continuation could repair. The cost differs too: free running repeats
# the decoder for every output step — here 7 steps, the maximum length, each over the whole prefix, without a
# KV cache — while training scores the whole target in one pass (the printed FLOPs): the reason a
# Transformer trains in parallel and still generates one token at a time.

# %%
# NBVAL_CHECK_OUTPUT
print("teacher-forced accuracy ≥ free-running accuracy:", bool(forced_right.sum() >= free_right.sum()))
print("one wrong word lowers the accuracy of the words after it:", bool(after_right.sum() < (forced_right & later).sum()))
print("free running costs more FLOPs than one teacher-forced pass:",
      free_flops.get_total_flops() > forced_flops.get_total_flops())

# %% [markdown]
# ## Lab 2 — The decoder reads every encoder state
#
# The encoder's output, the decoder's *memory*, is one d-dimensional vector per source token:

# %%
# NBVAL_CHECK_OUTPUT
with torch.inference_mode():
    memory, src_mask = model.encode(src)
print("source ids:", tuple(src.shape), "→ memory (B, S, d):", tuple(memory.shape))
print("for a source of 30 tokens:", tuple(model.encode(torch.ones(1, 30, dtype=torch.long))[0].shape))

# %% [markdown]
# Nothing squeezes it into one vector: each decoder layer's cross-attention takes its keys and values from
# all S states. To see that they are all *used*, hide one encoder state at a time from the decoder (mask
# that key in cross-attention, as padding is masked) and decode again:

# %%
@torch.inference_mode()
def greedy_hiding(model, src, hidden: int, max_len=MAX_LEN):
    """Greedy decoding while cross-attention may not read encoder position ``hidden``."""
    memory, src_mask = model.encode(src)
    src_mask = src_mask.clone()
    src_mask[..., hidden] = False
    out = torch.full((src.shape[0], 1), BOS)
    for _ in range(max_len):
        out = torch.cat([out, model.decode(out, memory, src_mask)[:, -1].argmax(-1, keepdim=True)], dim=1)
    return [words_of(row) for row in out[:, 1:].tolist()]


changed = {}
for position, name in enumerate(("hundreds", "tens", "units")):
    hidden_words = greedy_hiding(model, src, position)
    changed[name] = sum(a != b for a, b in zip(hidden_words, greedy_words)) / len(greedy_words)
    print(f"hide the {name:>8} digit's encoder state: the output changes for {changed[name]:.0%} of the numbers")

# %% [markdown]
# **Alignment maps.** Cross-attention weights show which source digits each output word reads. Next to
# them, a measured alignment: the drop in the log-probability of the right word (teacher-forced) when one
# encoder state is hidden.

# %%
example = [("417", "four hundred seventeen")]
ex_src, ex_in, ex_tgt = encode(example)
with torch.inference_mode(), record_attention(model) as rec:
    logp = model(ex_src, ex_in).logits.log_softmax(-1)
cross = [calls[0] for name, calls in rec.items() if "cross_attn" in name]      # per layer (1, H, T, S)
right = ex_tgt[0].clamp(min=0)
base = logp[0].gather(-1, right[:, None])[:, 0]                                # (T,)
drop = []
with torch.inference_mode():
    memory, mask = model.encode(ex_src)
    for position in range(3):
        hidden = mask.clone()
        hidden[..., position] = False
        lp = model.decode(ex_in, memory, hidden).log_softmax(-1)[0].gather(-1, right[:, None])[:, 0]
        drop.append((base - lp).clamp(min=0))
drop = torch.stack(drop, dim=1)                                                # (T, S)
for matrix, title in ((cross[0][0].mean(0), "cross-attention, layer 1"), (cross[1][0].mean(0), "cross-attention, layer 2"),
                      (drop, "log-prob drop when hidden")):
    print(f"{title:<25} {'4':>6} {'1':>6} {'7':>6}")
    for word, row in zip(example[0][1].split() + ["<eos>"], matrix.tolist()):
        print(f"  {word:<23} " + " ".join(f"{v:6.2f}" for v in row))

rows = [w for w in example[0][1].split()] + ["<eos>"]
fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.2))
panels = [(cross[0][0].mean(0), "cross-attention, layer 1\n(mean of 4 heads)"),
          (cross[1][0].mean(0), "cross-attention, layer 2\n(mean of 4 heads)"),
          (drop, "log-prob drop of the right word\nwhen that state is hidden")]
for ax, (matrix, title) in zip(axes, panels):
    im = ax.imshow(matrix.numpy(), cmap="viridis", aspect="auto")
    ax.set_xticks(range(3), list(example[0][0]))
    ax.set_yticks(range(len(rows)), rows)
    ax.set(title=title, xlabel="source digit")
    fig.colorbar(im, ax=ax, shrink=0.8)
axes[0].set_ylabel("output word")
fig.tight_layout()

# %% [markdown]
# Reading the rows of the measured effect: "four" depends on the hundreds digit, "seventeen" on the tens
# digit and, less, the units digit — one word from two source tokens, which no one-to-one alignment could
# express — and "hundred" and `<eos>` survive the loss of any single state. Attention agrees with the effect
# fully for "four" only. For "seventeen", layer 2 splits its attention evenly between the 1 and the 7 while
# the effect is mostly the 1's, and layer 1 puts most of it on the 4; layer 2 puts most of "hundred"'s
# attention on the 4 and most of `<eos>`'s on the 7, yet hiding those states costs those words nothing. Attention weights are only a hint of what is used (Jain & Wallace, 2019); hiding a state and
# measuring the effect is the direct test.

# %% [markdown]
# ## Lab 3 — Greedy search vs beam search
#
# Greedy decoding keeps one partial output; **beam search** keeps the `width` most probable ones, extends
# each by every token, and keeps the best `width` of the results by summed log-probability (divided by
# length, a length penalty of 1); a beam that ends in `<eos>` stays as it is, and the search stops when all
# kept beams have ended or the maximum length is reached. The package's `beam_search` works on
# any model with a decoder-only interface, ids → logits; a small wrapper holds one source's encoder states
# fixed:

# %%
class FixedSource(nn.Module):
    """The decoder, reading one source's encoder states: ids (N, T) -> logits (N, T, V)."""

    def __init__(self, model, src):
        super().__init__()
        self.model = model
        self.memory, self.src_mask = model.encode(src)              # (1, S, d), (1, 1, 1, S)

    def forward(self, ids):
        n = ids.shape[0]                                            # the beams share one source
        return ModelOutput(self.model.decode(ids, self.memory.expand(n, -1, -1),
                                             self.src_mask.expand(n, -1, -1, -1)))


@torch.inference_mode()
def beam_decode(model, batch, width):
    outputs = []
    for digits, _ in batch:
        source = encode([(digits, "zero")])[0]
        best, _ = beam_search(FixedSource(model, source), torch.tensor([[BOS]]), MAX_LEN, beam_size=width,
                              eos_id=EOS)
        outputs.append(words_of(best[0, 1:].tolist()))
    return outputs


# %% [markdown]
# Decoding the 200 numbers at six widths, with the model early in training (300 of 1,200 steps) and with the final model,
# is the sweep's job (`data/ch47_beam.json`); here we re-run two of its points: greedy on all 200 numbers,
# and width 4 on the first 40.

# %%
final = sweep["results"]["final"]
live_beam = beam_decode(model, test_pairs[:40], 4)
references = [[words for _, words in test_pairs]]
print(f"live greedy:  exact match {exact:.3f}, BLEU {bleu(greedy_words, references):.2f} · stored width 1: "
      f"exact match {final['1']['exact_match']:.3f}, BLEU {final['1']['bleu']:.2f}")
for stage in ("half", "final"):
    row = " · ".join(f"w{w}: {sweep['results'][stage][str(w)]['exact_match']:.3f} / "
                     f"{sweep['results'][stage][str(w)]['bleu']:.1f}" for w in sweep["widths"])
    print(f"{dict(half='early', final='final')[stage]:>5} model, exact match / BLEU by width — {row}")

# %%
# NBVAL_CHECK_OUTPUT
print("live greedy outputs = the stored width-1 outputs:", greedy_words == final["1"]["hypotheses"])
print("live width-4 outputs = the stored ones (first 40):", live_beam == final["4"]["hypotheses"][:40])

# %%
fig, axes = plt.subplots(1, 2, figsize=(9.4, 3.3))
for stage, style in (("half", "--o"), ("final", "-s")):
    label = {"half": "early: after 300 of 1,200 steps", "final": "after 1,200 steps"}[stage]
    for ax, metric in zip(axes, ("exact_match", "bleu")):
        ax.plot(sweep["widths"], [sweep["results"][stage][str(w)][metric] for w in sweep["widths"]], style,
                label=label)
axes[0].set(xlabel="beam width (1 = greedy)", ylabel="exact match", title="Exact match, 200 held-out numbers")
axes[1].set(xlabel="beam width (1 = greedy)", ylabel="corpus BLEU", title="BLEU, same outputs")
for ax in axes:
    ax.set_xticks(sweep["widths"])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
for stage in ("half", "final"):
    ems = {sweep["results"][stage][str(w)]["exact_match"] for w in sweep["widths"]}
    bleus = [sweep["results"][stage][str(w)]["bleu"] for w in sweep["widths"]]
    print(f"{dict(half='early', final='final')[stage]} model: the same exact match at every width: {len(ems) == 1}; "
          f"BLEU within one point: {max(bleus) - min(bleus) < 1}")
disagree = [(pair, g, b) for pair, g, b in zip(test_pairs[:40], greedy_words[:40], live_beam) if g != b]
print(f"first 40 numbers where greedy and width 4 disagree: {len(disagree)}")

# %% [markdown]
# A wider beam searches more of the output space for **more probable** outputs, and on this model that
# changes nothing that matters: exact match is the same at every width, early in training and at the end,
# and BLEU moves by less than a point. Are the remaining errors search errors or model errors? Score each
# wrong output and its truth with the model (teacher-forced, mean log-probability per token, `<eos>`
# included — the beam's own score):

# %%
@torch.inference_mode()
def mean_logp(digits, words):
    s, d_in, tgt = encode([(digits, words)])
    return model(s, d_in).logits.log_softmax(-1)[0].gather(-1, tgt[0, :, None]).mean().item()


errors = [(digits, words, g) for (digits, words), g in zip(test_pairs, greedy_words) if g != words]
for digits, words, g in errors:
    print(f"{digits}: output {g!r:<26} {mean_logp(digits, g):7.3f} · truth {words!r:<26} {mean_logp(digits, words):7.3f}")
print(f"the model scores its wrong output above the truth in {sum(mean_logp(d, g) > mean_logp(d, w) for d, w, g in errors)} "
      f"of {len(errors)} errors")

# %% [markdown]
# So the errors that remain are the model's, not the search's: any search that finds higher-scoring outputs
# moves further from the truth, and only a better model can fix them. Beam search helps where the greedy
# first choice loses to a path that is better overall; in machine translation, widths beyond a handful have
# been measured to *lower* BLEU (Koehn & Knowles, 2017), partly because wider beams favour shorter outputs —
# which is why scores are divided by a power of the length.

# %% [markdown]
# **BLEU, equal to sacrebleu.** `course.metrics.bleu` is corpus BLEU written out: clipped n-gram
# precisions for n = 1…4 pooled over the corpus, their geometric mean, times a brevity penalty. On the
# greedy outputs it agrees with sacrebleu (tokenization off, no smoothing; `tests/test_metrics.py` checks
# more cases):

# %%
# NBVAL_CHECK_OUTPUT
import sacrebleu

ours = bleu(greedy_words, references)
theirs = sacrebleu.corpus_bleu(greedy_words, references, tokenize="none", smooth_method="none").score
print(f"course BLEU = sacrebleu BLEU: {abs(ours - theirs) < 1e-9}")

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Lab 3 called the package's `beam_search`. Write the step at its heart, for a batch of beams.

# %%
from course.selftest import exercise

exercise("47.beam_step")

# %%
def beam_step(scores, logp, width):
    # your code here
    raise NotImplementedError


exercise("47.beam_step").check(beam_step)

# %% [markdown]
# **Exercise 2.** The numerator of BLEU's n-gram precision, which Lab 3 took from the package.

# %%
exercise("47.clipped_matches")

# %%
def clipped_matches(hypothesis, references, n):
    # your code here
    raise NotImplementedError


exercise("47.clipped_matches").check(clipped_matches)

# %% [markdown]
# Stuck? `exercise("47.beam_step").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(47)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** Seq2Seq 用编码器–解码器实现。编码器（双向自注意力）把源序列编码成**每个 token 一个向量**（S × d 的
# memory），而不是一个固定长度的向量——那是不带注意力的 RNN 结构；解码器由因果自注意力、交叉注意力和 FFN 组成，每一层、每一步都通过交叉注意力读取全部编码器状态（本实验中遮住任一位置，90% 以上的输出都会改变）。训练用 teacher forcing：解码器输入是右移一位的真实目标，一次前向即可对所有位置计算交叉熵（忽略 padding）；推理时自回归（free running），每步喂入自己上一步的输出直到 `<eos>`。两者的差距叫 exposure bias，teacher forcing 下的准确率往往高估模型。解码用贪心或 beam
# search（保留累计对数概率最高的 k 个前缀，按长度归一化）；beam 找到的是概率更高的输出，不一定更好——本实验剩下的错误，模型给它们的分数都高于正确答案，换更宽的 beam 也无济于事。评估看生成结果：exact match 和 corpus BLEU（截断 n-gram 精度的几何平均 × 简短惩罚，与 sacrebleu 一致）。GPT 这类仅解码器模型把源文本当作 prompt 来做 seq2seq。
#
# **English:** An encoder–decoder. The encoder (bidirectional self-attention) turns the source into **one
# vector per token** (an S × d memory), not one fixed-length vector — that was the RNN model without attention.
# Each decoder layer has causal self-attention, cross-attention and an FFN; cross-attention reads every encoder
# state at every step (hiding any one changed 90–98 % of the outputs here). Training uses teacher forcing: the decoder input is the
# target shifted right, so one pass gives the cross-entropy at every position (padding ignored). Inference runs
# free: each step is fed the model's own previous output until `<eos>`; the gap is exposure bias, and
# teacher-forced accuracy tends to overstate the model. Decoding is greedy or beam search (keep the k prefixes of highest
# summed log-probability, length-normalized): more probable outputs, not necessarily better ones — here
# the model scored every remaining error above its truth, so no wider beam could fix it. Score what is
# generated: exact match and corpus BLEU (clipped n-gram precisions, geometric mean, brevity penalty; equal to
# sacrebleu). Decoder-only LLMs do seq2seq by reading the source as a prompt.

# %% [markdown]
# ## Further reading
#
# - Sutskever, Vinyals, Le — *Sequence to Sequence Learning with Neural Networks* (2014): the fixed-vector encoder–decoder, and beam search.
# - Bahdanau, Cho, Bengio — *Neural Machine Translation by Jointly Learning to Align and Translate* (2015): attention over every encoder state.
# - Vaswani et al. — *Attention Is All You Need* (2017): the Transformer encoder–decoder with cross-attention.
# - Papineni, Roukos, Ward, Zhu — *BLEU: a Method for Automatic Evaluation of Machine Translation* (2002).
# - Bengio, Vinyals, Jaitly, Shazeer — *Scheduled Sampling for Sequence Prediction with Recurrent Neural Networks* (2015): exposure bias.
# - Ranzato, Chopra, Auli, Zaremba — *Sequence Level Training with Recurrent Neural Networks* (2016): the name "exposure bias".
# - Koehn, Knowles — *Six Challenges for Neural Machine Translation* (2017), §3.5: wider beams can score worse.
# - Post — *A Call for Clarity in Reporting BLEU Scores* (sacrebleu, 2018).
