# %% [markdown]
# # Chapter 41 · How is the Transformer architecture implemented?
#
# **题目：** 如何实现语言模型中的 Transformer 架构？ — 请详细描述如何实现语言模型中的 Transformer 架构。
#
# **Question:** Describe in detail how to implement the Transformer architecture of a language model.
#
# **Time:** about 35 minutes · **Prerequisites:** [16 · self-attention](16_self_attention.ipynb), [17 · multi-head attention](17_multi_head_attention.ipynb)
# · **Related:** [47 · sequence to sequence](47_seq2seq.ipynb), [1 · basic principles](01_llm_basics.ipynb)
#
# **Objectives**
# - Read the common answer's code sample critically: it is not a Transformer and would not run.
# - Assemble an encoder–decoder Transformer from the course's parts and check it against `torch.nn.Transformer`.
# - Train it to translate Chinese number words into digits (三百一十二 → 312) and look at its cross-attention.

# %% [markdown]
# ## Try first
#
# List the sub-layers of one encoder layer and one decoder layer, in order, with their residual connections
# and normalizations. What does the decoder's input look like during training?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | Encoder: embedding, positional encoding, stacked self-attention + FFN | correct | Each sub-layer is wrapped in a **residual connection and layer normalization** — not mentioned. | Lab 2 |
# | “词向量可以通过预训练的词嵌入模型（如 Word2Vec、GloVe）获得” | **misleading** | The Transformer learns its embedding table with the rest of the model (scaled by √d_model, often tied to the output layer). | Lab 2 |
# | Decoder: self-attention, cross-attention, FFN | incomplete | The decoder's self-attention is **causal** (masked), and it is trained with teacher forcing: the target shifted right. | Labs 2–3 |
# | The code sample | **wrong** | It builds an **LSTM** encoder–decoder in Keras — no attention, no positional encoding — and it cannot run: several names are undefined and layers are passed where tensors are expected. | Lab 1 |

# %%
import ast
import builtins
import warnings

import matplotlib.pyplot as plt
import torch
from torch import nn

import course
from course.models import Seq2SeqConfig, Seq2SeqTransformer, count_parameters
from course.runtime import get_device, seed_everything

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — The common answer's code, read by a parser
#
# The code sample (abridged to its statements) uses `LSTM` and `Dense` layers only. We let Python's own
# parser find which names it uses without ever defining or importing them:

# %%
# NBVAL_CHECK_OUTPUT
seed_sample = '''
import tensorflow as tf
from tensorflow.keras.layers import Embedding, LSTM, Dense
vocab_size = 10000
max_seq_len = 50
encoder_inputs = Embedding(vocab_size, embedding_dim)
encoder_outputs, state_h, state_c = LSTM(units, return_sequences=True, return_state=True)
decoder_inputs = Embedding(vocab_size, embedding_dim)
decoder_outputs, state_h, state_c = LSTM(units, return_sequences=True, return_state=True)
outputs = Dense(vocab_size, activation='softmax')
encoder_model = Model(encoder_inputs, encoder_outputs)
decoder_model = Model(decoder_inputs, decoder_outputs)
model = Model([encoder_inputs, decoder_inputs], outputs)
model.compile(optimizer='adam', loss='categorical_crossentropy')
model.fit([encoder_inputs, decoder_inputs], outputs, batch_size=batch_size, epochs=epochs)
'''
tree = ast.parse(seed_sample)
defined = {a.asname or a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
           for a in node.names}
defined |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
layers = sorted({n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)})
print("layers called:", layers)
print("names used but never defined:", sorted(used - defined - set(dir(builtins))))
print("any attention layer?", any("ttention" in name for name in layers))

# %% [markdown]
# Beyond the undefined names, `LSTM(...)` is called without an input, so it returns a layer object that
# cannot be unpacked into three tensors, and `model.fit` receives layers instead of data. It is a (broken)
# recurrent sequence-to-sequence model — the architecture the Transformer replaced.
#
# ## Lab 2 — A Transformer from the course's parts
#
# `course.models.Seq2SeqTransformer`: embeddings × √d_model + sinusoidal positions → encoder blocks
# (self-attention, FFN) → decoder blocks (causal self-attention, cross-attention to the encoder output, FFN),
# each sub-layer in a residual branch with LayerNorm (pre-LN here) → a linear layer to the target vocabulary.

# %%
course.show(course.nn.TransformerBlock.forward)

# %% [markdown]
# With the same sizes, its encoder and decoder have exactly as many parameters as `torch.nn.Transformer`,
# and the shapes line up:

# %%
# NBVAL_CHECK_OUTPUT
config = Seq2SeqConfig(src_vocab=20, tgt_vocab=16, d_model=64, n_heads=4, n_encoder_layers=2,
                       n_decoder_layers=2, d_ff=128)
ours = Seq2SeqTransformer(config)
warnings.filterwarnings("ignore", message="enable_nested_tensor")   # a PyTorch performance note, not ours
reference = nn.Transformer(d_model=64, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=128,
                           batch_first=True, norm_first=True)
core = sum(p.numel() for n, p in ours.named_parameters() if n.startswith(("encoder", "decoder", "enc_norm", "dec_norm")))
print(f"encoder + decoder parameters: course {core:,} · torch.nn.Transformer {count_parameters(reference):,}")
print(f"plus embeddings and output layer: {count_parameters(ours) - core:,} → total {count_parameters(ours):,}")
src, tgt_in = torch.randint(1, 20, (3, 7)), torch.randint(1, 16, (3, 5))
print("logits:", tuple(ours(src, tgt_in).logits.shape), "= (batch, target length, target vocabulary)")

# %% [markdown]
# ## Lab 3 — Train it: Chinese number words → digits
#
# 三百一十二 → 312, 一千零五 → 1005. Source characters and target digits are tokenized separately; the
# decoder is trained with **teacher forcing**: its input is the target shifted right, starting with `<bos>`.

# %%
from course.text import number_words_pairs, pad_batch
from course.train import AdamW, fit, warmup_cosine_scheduler

pairs = number_words_pairs(4000, language="zh", max_value=9999, seed=0)
train_pairs, test_pairs = pairs[:3500], pairs[3500:]
src_vocab = ["<pad>"] + sorted({c for words, _ in pairs for c in words})
tgt_vocab = ["<pad>", "<bos>", "<eos>"] + list("0123456789")
src_id = {c: i for i, c in enumerate(src_vocab)}
tgt_id = {c: i for i, c in enumerate(tgt_vocab)}
PAD, BOS, EOS = 0, 1, 2


def encode(batch):
    src, _ = pad_batch([[src_id[c] for c in words] for words, _ in batch], PAD)
    tgt, _ = pad_batch([[tgt_id[c] for c in digits] + [EOS] for _, digits in batch], PAD)
    tgt_in = torch.cat([torch.full((len(batch), 1), BOS), tgt[:, :-1]], dim=1)     # shift right
    return src.to(device), tgt_in.to(device), tgt.masked_fill(tgt == PAD, -100).to(device)


print("example:", train_pairs[0], "→ decoder input", encode(train_pairs[:1])[1].tolist(),
      "→ target", encode(train_pairs[:1])[2].tolist())

# %%
torch.manual_seed(0)
model = Seq2SeqTransformer(Seq2SeqConfig(src_vocab=len(src_vocab), tgt_vocab=len(tgt_vocab), d_model=64,
                                         n_heads=4, n_encoder_layers=2, n_decoder_layers=2, d_ff=128)).to(device)
batch_gen = torch.Generator().manual_seed(0)


def train_batch(step):
    idx = torch.randint(len(train_pairs), (64,), generator=batch_gen)
    return encode([train_pairs[i] for i in idx])


optimizer = AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
history = fit(model, optimizer, train_batch, 400, scheduler=warmup_cosine_scheduler(optimizer, warmup=30, total=400))


@torch.no_grad()
def translate(batch, max_len=6):
    """Greedy decoding: encode once, then feed the decoder its own predictions."""
    model.eval()
    src, _, _ = encode(batch)
    memory, src_mask = model.encode(src)
    out = torch.full((len(batch), 1), BOS, device=device)
    for _ in range(max_len):
        out = torch.cat([out, model.decode(out, memory, src_mask)[:, -1].argmax(-1, keepdim=True)], dim=1)
    return ["".join(tgt_vocab[i] for i in row[1:].tolist()).split("<eos>")[0] for row in out]


predictions = translate(test_pairs)
exact = sum(p == digits for p, (_, digits) in zip(predictions, test_pairs)) / len(test_pairs)
print(f"exact match on {len(test_pairs)} unseen numbers: {exact:.3f}")
for (words, digits), p in list(zip(test_pairs, predictions))[:5]:
    print(f"  {words:<10} → {p:<6} (expected {digits})")

# %%
from course.viz import smooth

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(history.step, smooth(history.loss, 10))
ax.set(xlabel="step", ylabel="training loss", yscale="log", title="Number words → digits")
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# **Cross-attention** shows which source characters each output digit reads. For 三千零七十五 (3075): the
# row of decoder input `<bos>` produces the digit 3 and should read 三千, the row of `0` produces 7 and should
# read 七十, and so on (each row predicts the *next* digit):

# %%
from course.nn import record_attention
from course.text import zh_numeral_gloss
from course.viz import attention_grid, display_labels

example = [("三千零七十五", "3075")]
src, tgt_in, _ = encode(example)
with torch.no_grad(), record_attention(model) as rec:
    model(src, tgt_in)
cross = [calls[0] for name, calls in rec.items() if "cross_attn" in name]
source_labels = display_labels(list(example[0][0]), gloss=zh_numeral_gloss)   # glosses if no CJK font
fig = attention_grid(cross, tokens=source_labels, q_tokens=["<bos>"] + list(example[0][1]))
title = fig.suptitle("Decoder cross-attention, layer × head (rows: decoder inputs, columns: source)", fontsize=9, y=1.02)

# %% [markdown]
# (Chinese labels need a CJK font; without one, `display_labels` writes 三 as 3 and 千 as ×1000 instead of
# drawing empty boxes.)
#
# ## Self-test
#
# **Exercise 1.** Sinusoidal positional encoding.

# %%
from course.selftest import exercise


def positional_encoding(t, d):
    # your code here
    raise NotImplementedError


exercise("41.positional_encoding").check(positional_encoding)

# %% [markdown]
# **Exercise 2.** The decoder's input for teacher forcing.

# %%
def shift_right(targets, bos_id):
    # your code here
    raise NotImplementedError


exercise("41.shift_right").check(shift_right)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(41)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** Transformer 由编码器和解码器堆叠而成。输入 token 经可学习的嵌入（乘 √d_model）加上位置编码。编码器每层：
# 多头自注意力 → 前馈网络，每个子层都有残差连接和 LayerNorm（原论文为 post-LN，现在多用 pre-LN）。解码器每层：带因果掩码的
# 自注意力 → 交叉注意力（Q 来自解码器，K、V 来自编码器输出）→ 前馈网络。最后线性层 + softmax 输出词表分布。训练时用
# teacher forcing：解码器输入是右移一位、以 <bos> 开头的目标序列；推理时逐步自回归解码。GPT 只保留解码器（去掉交叉注意力），
# BERT 只保留编码器。常见的“示例代码”用的是 LSTM，并不是 Transformer。
#
# **English:** A Transformer stacks encoder and decoder layers. Tokens go through a learned embedding (× √d_model)
# plus positional encoding. Each encoder layer: multi-head self-attention, then a feed-forward network, each
# sub-layer with a residual connection and LayerNorm (post-LN in the paper, pre-LN in most models today).
# Each decoder layer: causal self-attention, cross-attention (queries from the decoder, keys/values from the
# encoder output), feed-forward. A linear layer and softmax give the output distribution. Training uses teacher
# forcing (target shifted right, starting with BOS); inference decodes autoregressively. GPT keeps only the
# decoder (no cross-attention), BERT only the encoder.

# %% [markdown]
# ## Further reading
#
# - Vaswani et al. — *Attention Is All You Need* (2017).
# - Rush — *The Annotated Transformer* (2018).
# - Xiong et al. — *On Layer Normalization in the Transformer Architecture* (pre-LN vs post-LN, 2020).
# - Press, Wolf — *Using the Output Embedding to Improve Language Models* (weight tying, 2017).
