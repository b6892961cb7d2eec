# %% [markdown]
# # Chapter 13 · How is BERT's bidirectional encoder implemented?
#
# **题目：** 如何实现 BERT 模型的双向编码器？ — 请简要介绍 BERT 模型的双向编码器的实现原理。
#
# **Question:** How is BERT's bidirectional encoder implemented? Briefly explain the principle.
#
# **Time:** about 25 minutes · **Prerequisites:** [4 · how attention works](04_how_attention_works.ipynb) · **Related:**
# [12 · BERT's MLM task](12_bert_mlm.ipynb), [18 · how MLM strengthens understanding](18_mlm_and_understanding.ipynb)
#
# **Objectives**
# - See that "bidirectional" is a property of the attention mask, not of the Transformer as such.
# - Demonstrate why a bidirectional model cannot be trained with next-token prediction (label leakage).
# - Compute BERT-base's size (about 110M parameters) from its configuration.

# %% [markdown]
# ## Try first
#
# GPT and BERT are both Transformers. Write down, in one sentence each, what makes BERT bidirectional and
# why GPT cannot be.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “同时考虑文本的前后文信息” | correct | Every token's representation depends on tokens on both sides. | Lab 1 |
# | “Transformer 具有双向自注意力机制” | **misleading** | A Transformer *decoder* is causal. BERT is bidirectional because its encoder applies **no causal mask** (only padding is hidden) — and that is only possible because BERT is trained with masked-LM, not next-token prediction. The answer never mentions the objective. | Labs 1–2 |
# | “位置编码” | incomplete | BERT adds **learned** position embeddings (512 of them) and **segment** embeddings to the token embeddings, then applies LayerNorm. Inputs are framed as `[CLS] A [SEP]` or, for pairs, `[CLS] A [SEP] B [SEP]`: the segment embedding says A or B, and the output at `[CLS]` feeds sentence-level classifiers. | Lab 3 |
# | “多个自注意力头…编码器堆叠” | correct | BERT-base: 12 layers, 768 wide, 12 heads, FFN 3072 — about 110M parameters. | Lab 3 |

# %%
import matplotlib.pyplot as plt
import torch

from course.models import GPT, Bert, BertConfig, GPTConfig, count_parameters
from course.runtime import get_device, seed_everything
from course.text import WordTokenizer, grammar_corpus, lm_batch, train_val_split
from course.train import AdamW, fit, warmup_cosine_scheduler

device = get_device()
generator = seed_everything(0)

# %% [markdown]
# ## Lab 1 — Bidirectional is a mask
#
# The same attention layer becomes a decoder or an encoder by its mask. For a batch padded to 6 tokens
# (the second sentence has 4 real tokens):

# %%
from course.nn import causal_mask, padding_mask

lengths = torch.tensor([6, 4])
decoder = causal_mask(6) & padding_mask(lengths, 6)[:, 0]           # GPT: no future, no padding
encoder = padding_mask(lengths, 6)[:, 0].expand(2, 6, 6)            # BERT: everything but padding

fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
for ax, mask, title in ((axes[0], decoder[1], "decoder (GPT): causal"), (axes[1], encoder[1], "encoder (BERT): bidirectional")):
    ax.imshow(mask.float().numpy(), cmap="Greys", vmin=0, vmax=1)
    ax.set(title=title, xlabel="key", ylabel="query")
    ax.set_xticks(range(6), ["t0", "t1", "t2", "t3", "pad", "pad"], fontsize=8)
    ax.set_yticks(range(6), ["t0", "t1", "t2", "t3", "pad", "pad"], fontsize=8)
fig.suptitle("Black = may attend", fontsize=9)
fig.tight_layout()

# %% [markdown]
# In an encoder the first token's output changes when the *last* token changes; in a decoder it cannot:

# %%
# NBVAL_CHECK_OUTPUT
bert = Bert(BertConfig(vocab_size=50)).eval()
gpt = GPT(GPTConfig(vocab_size=50, context=16, n_layers=2, n_heads=4, d_model=64)).eval()
a = torch.randint(0, 50, (1, 8), generator=generator)
b = a.clone()
b[0, -1] = (b[0, -1] + 1) % 50                                      # change only the last token
with torch.no_grad():
    print("BERT, first position changed:", not torch.allclose(bert.encode(a)[0, 0], bert.encode(b)[0, 0]))
    print("GPT,  first position changed:", not torch.allclose(gpt(a).logits[0, 0], gpt(b).logits[0, 0]))

# %% [markdown]
# ## Lab 2 — Why not train a bidirectional model to predict the next token?
#
# Take the same small Transformer twice and train both with next-token loss on our corpus: once causal
# (GPT), once with the causal mask switched off. The bidirectional one sees position t+1 while predicting
# it, so it learns to copy — its training loss dives toward zero. But when we generate, the next token does
# not exist yet. We measure the **honest** next-token accuracy: predict token t+1 from tokens 0…t only.
# (One layer is enough to show it, and keeps the lab fast.)

# %%
text = grammar_corpus(3000, seed=0)
words = WordTokenizer([text])
ids = torch.tensor([i for line in text.splitlines() for i in words.encode(line) + [words.eos_id]])
train_ids, val_ids = train_val_split(ids)
histories, honest, teacher_forced = {}, {}, {}
x_val, y_val = lm_batch(val_ids, 100, 32, torch.Generator().manual_seed(5), device)
for name, causal in (("causal (GPT)", True), ("bidirectional", False)):
    torch.manual_seed(0)
    data_gen = torch.Generator().manual_seed(0)
    model = GPT(GPTConfig(vocab_size=words.vocab_size, context=32, n_layers=1, n_heads=4, d_model=64)).to(device)
    for block in model.blocks:
        block.self_attn.causal = causal                           # the only difference between the two
    opt = AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    histories[name] = fit(model, opt, lambda s: lm_batch(train_ids, 32, 32, data_gen, device), 250,
                          scheduler=warmup_cosine_scheduler(opt, warmup=20, total=250))
    model.eval()
    with torch.inference_mode():
        teacher_forced[name] = (model(x_val).logits.argmax(-1) == y_val).float().mean().item()
        hits = [(model(x_val[:, :t + 1]).logits[:, -1].argmax(-1) == y_val[:, t]).float().mean().item()
                for t in range(8, 32, 4)]
    honest[name] = sum(hits) / len(hits)
    print(f"{name:>14}: final training loss {histories[name].final_loss:.3f} · accuracy with the whole "
          f"sequence in {teacher_forced[name]:.3f} · honest next-token accuracy {honest[name]:.3f}")

# %%
from course.viz import smooth

fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for name, h in histories.items():
    axes[0].plot(h.step, smooth(h.loss, 10), label=name)
axes[0].set(xlabel="step", ylabel="training loss", title="Next-token training loss")
axes[0].legend(fontsize=8)
names = list(honest)
axes[1].bar([n + "\n(whole sequence in)" for n in names], [teacher_forced[n] for n in names], color="lightgray")
axes[1].bar([n + "\n(honest)" for n in names], [honest[n] for n in names], color=["tab:green", "tab:red"])
axes[1].set(ylabel="next-token accuracy", ylim=(0, 1.05), title="Looks perfect, generates worse")
axes[1].tick_params(axis="x", labelsize=7)
fig.tight_layout()

# %% [markdown]
# The bidirectional model "solves" training by reading the answer and is *worse* than the causal one at the
# real task (compare the two honest accuracies printed above). This is
# why BERT changed the objective, to masked-LM ([chapter 12](12_bert_mlm.ipynb)): **select** 15 % of the positions; of those,
# replace 80 % by `[MASK]`, 10 % by a random token and leave 10 % unchanged; predict the original token at
# every selected position. With the target hidden (or not trustworthy) in the input, attending in both
# directions is no longer cheating.
#
# ## Lab 3 — BERT-base's size, from its configuration
#
# BERT-base (Devlin et al., 2019): vocabulary 30,522, 512 positions, 2 segments, 12 layers, width 768,
# 12 heads, FFN 3072. We build it on PyTorch's *meta* device — shapes only, no memory — and count:

# %%
# NBVAL_CHECK_OUTPUT
config = BertConfig.preset("base")
print(f"BERT-base: vocabulary {config.vocab_size:,}, {config.max_len} positions, {config.type_vocab_size} segments, "
      f"{config.n_layers} layers, width {config.d_model}, {config.n_heads} heads, FFN {config.d_ff}")
with torch.device("meta"):
    base = Bert(config)
parts = {
    "embeddings (token + position + segment + LayerNorm)": sum(p.numel() for n, p in base.named_parameters()
                                                               if n.startswith(("tok_emb", "pos_emb", "seg_emb", "emb_norm"))),
    "12 encoder layers": sum(p.numel() for n, p in base.named_parameters() if n.startswith("blocks")),
    "masked-LM head (transform + bias; output tied to embeddings)": sum(
        p.numel() for n, p in base.named_parameters() if n.startswith("mlm")),
}
for name, count in parts.items():
    print(f"{name:<62} {count:>12,}")
print(f"{'total':<62} {count_parameters(base):>12,}  ≈ {count_parameters(base) / 1e6:.0f}M")
pooler = config.d_model * config.d_model + config.d_model                 # [CLS] pooler for NSP: d×d + bias
print(f"{'(not counted: the NSP pooler, d_model² + d_model)':<62} {pooler:>12,}")
with torch.device("meta"):
    large = Bert(BertConfig.preset("base", n_layers=24, d_model=1024, n_heads=16, d_ff=4096))
print(f"BERT-large (24 layers, 1024 wide): {count_parameters(large) / 1e6:.0f}M parameters "
      f"(the paper rounds it to 340M)")

# %% [markdown]
# Our count includes the masked-LM head's transform (0.6M) and not the pooler used for next-sentence
# prediction (another 0.6M); either way BERT-base is the "110M" of the paper. For BERT-large the paper
# rounds to 340M; the exact count is 335M.
#
# The two segment rows exist because BERT reads *pairs*: `[CLS] the dog runs [SEP] it is happy [SEP]`, with
# segment id 0 up to the first `[SEP]` and 1 after it. `[CLS]`'s final vector is what a classifier reads
# (next-sentence prediction in pretraining, sentiment or entailment after fine-tuning).
#
# ## Self-test
#
# **Exercise 1.** Lab 1 drew the two extremes, causal and bidirectional. A *prefix LM* (UniLM, T5's
# prefix-LM variant) mixes them: bidirectional over a prompt, causal after it. Build its mask.

# %%
from course.selftest import exercise

exercise("13.prefix_lm_mask")

# %%
def prefix_lm_mask(lengths, prefix, t):
    # your code here
    raise NotImplementedError


exercise("13.prefix_lm_mask").check(prefix_lm_mask)

# %% [markdown]
# **Exercise 2.** Lab 3 counted all 12 layers together with the package; write the formula for one.

# %%
exercise("13.encoder_layer_params")

# %%
def encoder_layer_params(d_model, d_ff):
    # your code here
    raise NotImplementedError


exercise("13.encoder_layer_params").check(encoder_layer_params)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(13)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** BERT 的“双向”来自编码器的注意力掩码：只屏蔽填充位置，不加因果掩码，所以每个 token 同时看到左右两侧。Transformer 本身并不天然双向——GPT 的解码器就是因果的。能这样做的前提是训练目标换成了掩码语言模型（MLM）：随机选出 15% 的位置（其中 80% 换成 [MASK]、10% 换成随机词、10% 不变）再预测原词；如果用“预测下一个词”训练双向模型，每个位置都能直接看到答案，训练损失接近 0，但真正生成时效果反而更差（标签泄漏）。单句输入写作 [CLS] 句子A [SEP]，句对写作 [CLS] 句子A [SEP] 句子B [SEP]。每个位置的输入向量是 token 嵌入、可学习的位置嵌入（512 个）与段（segment）嵌入之和，再经 LayerNorm；[CLS] 的输出用于句子级分类。BERT-base 为 12 层、768 维、12 头、FFN 3072，约 1.1 亿参数。
#
# **English:** BERT is bidirectional because its encoder applies no causal mask — only padding is hidden —
# so every token attends to both sides. A Transformer is not bidirectional by itself: GPT's decoder is
# causal. What makes it possible is the objective: masked-LM selects 15 % of positions (80 % → [MASK],
# 10 % random, 10 % unchanged) and predicts the originals.
# Trained with next-token loss, a bidirectional model would see each answer in its input — near-zero
# training loss, worse real predictions (label leakage). Input: [CLS] A [SEP] (pairs: [CLS] A [SEP] B [SEP]);
# each position's vector is the sum of token, learned position (512) and segment embeddings, layer-normalized; [CLS]'s output feeds classifiers. BERT-base: 12 layers, 768 wide, 12 heads, FFN 3072,
# about 110M parameters.

# %% [markdown]
# ## Further reading
#
# - Devlin, Chang, Lee, Toutanova — *BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding* (2019).
# - Vaswani et al. — *Attention Is All You Need* (2017).
# - Peters et al. — *Deep contextualized word representations* (ELMo, 2018).
# - Dong et al. — *Unified Language Model Pre-training for Natural Language Understanding and Generation* (UniLM, prefix-LM masks, 2019).
# - Raffel et al. — *Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer* (T5, 2020).
