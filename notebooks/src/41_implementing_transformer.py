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
# - Assemble an encoder–decoder Transformer from the course's parts and prove it equal to `torch.nn.Transformer`
#   by copying the weights across.
# - Train it to translate Chinese number words into digits (三百一十二 → 312) and look at its cross-attention.
# - Wire a decoder layer yourself, in the original post-LN order.

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
# | Encoder: embedding, positional encoding, stacked self-attention + FFN | incomplete | Each sub-layer is wrapped in a **residual connection and layer normalization** — not mentioned. | Lab 2 |
# | “在每个编码层之后，通过一个前馈网络” (an FFN *after* each encoder layer) | **wrong** | The FFN is a sub-layer *inside* every layer — the second of two in an encoder layer, the third of three in a decoder layer — applied to each position on its own. | Labs 2–3 |
# | “将输入的词向量转化为嵌入向量。词向量可以通过预训练的词嵌入模型（如 Word2Vec、GloVe）获得” | **misleading** | The input is **token ids**, not word vectors: the embedding table is what maps each id to a vector. The Transformer learns that table with the rest of the model (scaled by √d_model, often tied to the output layer). | Lab 2 (the shared, tied 37,000 × 512 table) |
# | Decoder: self-attention, cross-attention, FFN | incomplete | The decoder's self-attention is **causal** (masked), and it is trained with teacher forcing: the target shifted right. | Labs 2, 4 |
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
from course.nn import causal_mask
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
# `course.models.Seq2SeqTransformer`: embeddings × √d_model + sinusoidal positions → encoder layers
# (self-attention, FFN) → decoder layers (causal self-attention, cross-attention to the encoder output, FFN)
# → a linear layer to the target vocabulary. Every sub-layer sits in a residual branch with a LayerNorm; the
# FFN is a sub-layer *inside* each layer. One `TransformerBlock` serves both stacks:

# %%
course.show(course.nn.TransformerBlock.forward)

# %% [markdown]
# The paper's **base** model (Vaswani et al., 2017, table 3): N = 6 layers in each stack, d_model = 512,
# h = 8 heads, d_ff = 2048, dropout 0.1, a shared source–target vocabulary of about 37,000 BPE tokens. One
# layer of each kind, in the course and in PyTorch, post-LN as in the paper:

# %%
# NBVAL_CHECK_OUTPUT
from course.nn import TransformerBlock

warnings.filterwarnings("ignore", message="enable_nested_tensor")   # a PyTorch performance note, not ours
LAYER = dict(dropout=0.1, norm_first=False, activation="relu")
encoder_block = TransformerBlock(512, 8, 2048, **LAYER)
decoder_block = TransformerBlock(512, 8, 2048, causal=True, cross_attention=True, **LAYER)
torch_encoder_layer = nn.TransformerEncoderLayer(512, 8, 2048, 0.1, batch_first=True)
torch_decoder_layer = nn.TransformerDecoderLayer(512, 8, 2048, 0.1, batch_first=True)
print(f"one encoder layer: course {count_parameters(encoder_block):,} · torch {count_parameters(torch_encoder_layer):,}")
print(f"one decoder layer: course {count_parameters(decoder_block):,} · torch {count_parameters(torch_decoder_layer):,}")
base_stacks = 6 * (count_parameters(encoder_block) + count_parameters(decoder_block))
shared_table = 37000 * 512
print(f"6 + 6 layers: {base_stacks:,}; plus one shared 37,000 × 512 embedding table, tied to the output layer "
      f"({shared_table:,}) → about {(base_stacks + shared_table) / 1e6:.0f}M parameters (the paper reports 65M)")

# %% [markdown]
# ## Lab 3 — Equal to `torch.nn.Transformer`, weight for weight
#
# Equal parameter counts prove little. The real test: copy every weight of a course model into
# `torch.nn.Transformer` and compare outputs. Both keep W_q, W_k, W_v stacked in one (3d × d) matrix, and a
# decoder layer's three norms map in order (self-attention, cross-attention, FFN), so the copy is one line per
# part. The course model is pre-LN here, so torch's final LayerNorm of each stack receives ours:

# %%
def copy_into_torch(ours: Seq2SeqTransformer, ref: nn.Transformer) -> None:
    """Copy the encoder and decoder stacks of `ours` (pre-LN) into `ref` (norm_first=True)."""
    def attention(dst, src):                  # nn.MultiheadAttention ← course MultiHeadAttention
        dst.in_proj_weight.copy_(src.qkv_proj.weight)
        dst.in_proj_bias.copy_(src.qkv_proj.bias)
        dst.out_proj.load_state_dict(src.out_proj.state_dict())

    pairs = [(ref.encoder.norm, ours.enc_norm), (ref.decoder.norm, ours.dec_norm)]
    for dst, src in zip(ref.encoder.layers, ours.encoder):
        attention(dst.self_attn, src.self_attn)
        pairs += [(dst.norm1, src.norm1), (dst.norm2, src.norm2), (dst.linear1, src.ffn.up), (dst.linear2, src.ffn.down)]
    for dst, src in zip(ref.decoder.layers, ours.decoder):
        attention(dst.self_attn, src.self_attn)
        attention(dst.multihead_attn, src.cross_attn)
        pairs += [(dst.norm1, src.norm1), (dst.norm2, src.norm_cross), (dst.norm3, src.norm2),
                  (dst.linear1, src.ffn.up), (dst.linear2, src.ffn.down)]
    for dst, src in pairs:
        dst.load_state_dict(src.state_dict())


# %% [markdown]
# Then the same source (with padding) and the same shifted target go through both. `torch.nn.Transformer`
# takes already-embedded inputs, and its masks mean the opposite of the course's: `True` = *hidden*, hence the `~`.

# %%
# NBVAL_CHECK_OUTPUT
config = Seq2SeqConfig(src_vocab=20, tgt_vocab=16, d_model=64, n_heads=4, n_encoder_layers=2,
                       n_decoder_layers=2, d_ff=128)
ours = Seq2SeqTransformer(config).eval()
reference = nn.Transformer(d_model=64, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=128,
                           dropout=0.0, batch_first=True, norm_first=True).eval()
with torch.no_grad():
    copy_into_torch(ours, reference)
stacks = sum(p.numel() for name, p in ours.named_parameters() if not name.startswith(("src_emb", "tgt_emb", "head")))
print(f"parameters of the two stacks and their final norms: course {stacks:,} · "
      f"torch.nn.Transformer {count_parameters(reference):,}")

src, tgt_in = torch.randint(1, 20, (3, 7)), torch.randint(1, 16, (3, 5))
src[0, 4:] = 0                                                        # the first source is padded
with torch.inference_mode():
    logits = ours(src, tgt_in).logits                                 # (3, 5, 16)
    hidden = reference(ours._embed(ours.src_emb, src), ours._embed(ours.tgt_emb, tgt_in),
                       tgt_mask=~causal_mask(5), src_key_padding_mask=src == 0, memory_key_padding_mask=src == 0)
    reference_logits = ours.head(hidden)
print("logits:", tuple(logits.shape), "= (batch, target length, target vocabulary)")
print("equal to torch.nn.Transformer up to float rounding (|Δ| < 1e-5):",
      torch.allclose(logits, reference_logits, atol=1e-5, rtol=0))

# %%
print(f"largest difference: {(logits - reference_logits).abs().max().item():.1e}")

# %% [markdown]
# The difference is float32 rounding (a few 1e-7): the two implementations add the same numbers in a different
# order. The test suite checks the post-LN layout (the paper's) the same way, and gradients too.
#
# ## Lab 4 — Train it: Chinese number words → digits
#
# 三百一十二 → 312, 一千零五 → 1005. Source characters and target digits are tokenized separately; the
# decoder is trained with **teacher forcing**: its input is the target shifted right, starting with `<bos>`.

# %%
from course.text import number_words_pairs, pad_batch
from course.train import AdamW, fit, warmup_cosine_scheduler

pairs = number_words_pairs(4000, language="zh", max_value=9999, seed=0)      # drawn with replacement
train_pairs = pairs[:3500]
seen = {digits for _, digits in train_pairs}
test_pairs = [p for p in pairs[3500:] if p[1] not in seen]                       # numbers never trained on
print(f"{len(train_pairs)} training pairs ({len(seen)} distinct numbers); of the other {len(pairs) - 3500}, "
      f"{len(test_pairs)} are numbers not in the training set: the test set")
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


optimizer = AdamW(model.parameters(), lr=4e-3, weight_decay=0.01)
history = fit(model, optimizer, train_batch, 300, scheduler=warmup_cosine_scheduler(optimizer, warmup=25, total=300))


@torch.inference_mode()
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
print(f"exact match on the {len(test_pairs)} test numbers (none seen in training): {exact:.3f}")
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
# **Exercise 1.** The model above adds `course.nn.sinusoidal_table` to its embeddings without showing it. Write it.

# %%
from course.selftest import exercise

exercise("41.positional_encoding")

# %%
def positional_encoding(t, d):
    # your code here
    raise NotImplementedError


exercise("41.positional_encoding").check(positional_encoding)

# %% [markdown]
# **Exercise 2.** The course's model is pre-LN; the 2017 paper (and `torch.nn.Transformer`'s default) is
# post-LN. Wire one post-LN decoder layer from a block's parts; the checker compares it with the package's
# post-LN decoder layer.

# %%
exercise("41.decoder_layer")

# %%
def decoder_layer(x, memory, memory_mask, layer):
    # your code here
    raise NotImplementedError


exercise("41.decoder_layer").check(decoder_layer)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(41)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** Transformer 由编码器、解码器两组层堆叠而成（base 模型：各 6 层，d_model=512，8 头）。嵌入表把 token id 映射为向量（乘 √d_model），再加正弦位置编码。编码器每层两个子层：多头自注意力、前馈网络；解码器每层三个：因果自注意力、交叉注意力（K/V 来自编码器输出）、前馈网络。前馈网络位于每层内部；每个子层都带残差连接和 LayerNorm（原论文 post-LN，如今多用 pre-LN）。最后接线性层和 softmax。训练用
# teacher forcing：解码器输入是右移一位、以 <bos> 开头的目标，各位置并行；推理时逐 token 生成。GPT 只用解码器，BERT 只用编码器。
#
# **English:** Two stacks of layers (base model: 6 each, d_model 512, 8 heads, d_ff 2048). Token ids index a
# learned embedding table (× √d_model), plus sinusoidal positions. An encoder layer has two sub-layers —
# multi-head self-attention, then a position-wise FFN; a decoder layer has three — causal self-attention,
# cross-attention (queries from the decoder, keys/values from the encoder output), FFN. The FFN is inside every
# layer, not after it, and each sub-layer has a residual connection and LayerNorm (post-LN in the paper, pre-LN
# today). A linear layer and softmax give the next-token distribution. Training uses teacher forcing (the target
# shifted right, starting with <bos>, all positions in parallel); inference decodes token by token. GPT keeps
# only the decoder, BERT only the encoder.

# %% [markdown]
# ## Further reading
#
# - Vaswani et al. — *Attention Is All You Need* (2017).
# - Rush — *The Annotated Transformer* (2018).
# - Xiong et al. — *On Layer Normalization in the Transformer Architecture* (pre-LN vs post-LN, 2020).
# - Press, Wolf — *Using the Output Embedding to Improve Language Models* (weight tying, 2017).
