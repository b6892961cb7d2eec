# %% [markdown]
# # Chapter 42 · How is transfer learning used with language models?
#
# **题目：** 如何在语言模型中使用迁移学习？ — 请详细解释如何在语言模型中应用迁移学习。
#
# **Question:** How is transfer learning applied to language models? Explain in detail.
#
# **Time:** about 35 minutes · **Prerequisites:** [2 · pretraining and fine-tuning](02_pretraining_and_finetuning.ipynb),
# [41 · implementing the Transformer](41_implementing_transformer.ipynb) · **Related:**
# [44 · combining pretraining and fine-tuning](44_combining_pretraining_finetuning.ipynb),
# [12 · BERT's MLM task](12_bert_mlm.ipynb)
#
# **Objectives**
# - Tell apart the three ways to reuse a pretrained LM — feature extraction, full fine-tuning and
#   parameter-efficient fine-tuning (LoRA) — by what each trains.
# - Write LoRA from scratch and show that it computes exactly what the `peft` library computes.
# - Measure, on one task, trainable parameters against accuracy, and how much of the pretraining task each
#   method forgets.

# %% [markdown]
# ## Try first
#
# You have a pretrained language model and 2,000 labelled sentences. List the ways you could adapt the model
# to classify them, and for each say which weights change and what happens to the model's original skill.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “预训练模型可以是词嵌入模型（Word2Vec、GloVe）或…BERT、GPT” | **incomplete** | Word vectors transfer one layer, the same vector for a word in every context; a pretrained Transformer transfers the whole network, with contextual features at every layer. | Lab 1 |
# | “冻结底层层：…仅调整较高层的参数” | **incomplete** | That is one option among several. *Feature extraction* freezes the whole model and trains a new head; *full fine-tuning* updates every weight at a small learning rate; *parameter-efficient* methods (LoRA, adapters, prompt tuning) freeze every pretrained weight and train a few new ones. | Labs 1–3 |
# | “微调：…逐步增加训练数据的比例，从少量数据开始…” | **wrong** | Fine-tuning means continuing to train the pretrained weights on the target task's labelled data (with a new head if the output changes), usually for few steps at a small learning rate. Growing the data over time is a curriculum, not what defines fine-tuning. | Lab 3 |
# | “迁移学习可以帮助模型在短时间内获得良好性能” | correct | A pretrained model reaches high accuracy in a hundred steps here. | Lab 3 |
# | (not mentioned) the cost of forgetting | **incomplete** | Full fine-tuning moves every weight: the pretraining skill degrades (*catastrophic forgetting*). Feature extraction cannot forget. LoRA can be switched off to give back the original model exactly; with its adapters on it changes the model too. | Lab 3 |
# | (not mentioned) how many weights are trained | **incomplete** | LoRA trains r·(d_in + d_out) numbers per adapted matrix instead of d_in·d_out — here 3 % of the model — and can be merged into the weights after training at no inference cost. | Labs 2–3 |

# %%
import copy
import inspect

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import Code
from torch import nn

from course.models import count_parameters
from course.nn import LoRALinear, add_lora, merge_lora
from course.pretrained import load_tiny_gpt, validation_loss
from course.runtime import seed_everything
from course.text import pad_batch, sentiment_examples
from course.train import AdamW, clip_by_global_norm, fit, warmup_cosine_scheduler

seed_everything(0)
pretrained, tok = load_tiny_gpt()           # 4 layers, d = 128, next-token prediction on the course corpus
lm_before = validation_loss(pretrained, tok, "gpt")
print(f"pretrained tiny GPT: {count_parameters(pretrained):,} parameters; validation LM loss {lm_before:.3f} nats/token")

# %% [markdown]
# ## Lab 1 — The task, and feature extraction
#
# The target task is sentiment with negation: *the film was not good* is negative, *the soup was never bad*
# positive. The label is the word's polarity flipped by a negation — an exclusive-or of two facts, so
# neither the word nor the negation alone predicts it. The GPT is causal, so the hidden state at a sentence's
# **last** token has read the whole sentence; that vector is our feature.

# %%
def encode(examples):
    """ids (N, T) right-padded, last (N,) index of each sentence's last token, labels (N,)."""
    ids, real = pad_batch([tok.encode(text) for text, _ in examples], tok.pad_id)
    return ids, real.sum(1) - 1, torch.tensor([label for _, label in examples])


train, test = encode(sentiment_examples(2000, seed=1)), encode(sentiment_examples(500, seed=2))
for text, label in sentiment_examples(4, seed=1):
    print(f"{'positive' if label else 'negative':>8}: {text}")


class LastTokenClassifier(nn.Module):
    """A GPT's final hidden state at each sentence's last token -> class logits. ids (B, T), last (B,) -> (B, C)."""

    def __init__(self, gpt, head):
        super().__init__()
        self.gpt, self.head = gpt, head

    def features(self, ids, last):
        g = self.gpt
        x = g.tok_emb(ids) + g.pos_emb(torch.arange(ids.shape[1]))
        for block in g.blocks:
            x = block(x)
        return g.norm(x)[torch.arange(len(ids)), last]                  # (B, d)

    def forward(self, ids, last):
        return self.head(self.features(ids, last))


# %% [markdown]
# `features` runs the GPT's own layers; applied at every position and followed by the GPT's output layer it
# must give back the GPT's logits — a check that we read the model correctly:

# %%
# NBVAL_CHECK_OUTPUT
with torch.no_grad():
    probe = LastTokenClassifier(pretrained, nn.Identity())
    ids = test[0][:8]
    x = pretrained.tok_emb(ids) + pretrained.pos_emb(torch.arange(ids.shape[1]))
    for block in pretrained.blocks:
        x = block(x)
    print("features path gives the GPT's own logits:", torch.allclose(pretrained.head(pretrained.norm(x)), pretrained(ids).logits, atol=1e-5))
    print("and the classifier reads the last real token:",
          torch.allclose(probe(ids, test[1][:8]), pretrained.norm(x)[torch.arange(8), test[1][:8]], atol=1e-6))

# %% [markdown]
# **Feature extraction**: the GPT stays frozen, so its features can be computed once; only a new head is
# trained. We try a linear head (a *linear probe*) and a small two-layer head.

# %%
with torch.no_grad():
    train_features = probe.features(train[0], train[1])                  # (2000, 128), computed once
    test_features = probe.features(test[0], test[1])


def train_head(head, steps=300, lr=3e-3):
    """AdamW on the cached features, batches of 256; returns the test accuracy."""
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.0)
    draws = torch.Generator().manual_seed(0)
    for step in range(steps):
        rows = torch.randint(len(train_features), (256,), generator=draws)
        loss = F.cross_entropy(head(train_features[rows]), train[2][rows])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return (head(test_features).argmax(-1) == test[2]).float().mean().item()


torch.manual_seed(0)
heads = {"linear probe": nn.Linear(128, 2),
         "MLP head": nn.Sequential(nn.Linear(128, 128), nn.GELU(), nn.Linear(128, 2))}
results = {}
for name, head in heads.items():
    results[name] = {"trainable": count_parameters(head), "accuracy": train_head(head), "lm_loss": lm_before}
    print(f"feature extraction, {name:<12}: {results[name]['trainable']:>6,} trainable parameters · "
          f"test accuracy {results[name]['accuracy']:.3f}")

# %% [markdown]
# In this run the linear probe stays close to chance while the two-layer head solves the task (printed
# above): the frozen features *contain* polarity and negation, but not their exclusive-or as one
# direction. A linear head can only read what the pretraining happened to make linear; to do better, either
# give the head depth or let the network itself change — the next two labs.
#
# ## Lab 2 — LoRA from scratch
#
# Full fine-tuning updates every matrix W (d_out × d_in). LoRA (Hu et al., 2021) keeps W frozen and learns
# the update as a product of two thin matrices, ΔW = (α / r) · B A with A (r × d_in) and B (d_out × r):
#
# $$y = x W^\top + b + \tfrac{\alpha}{r}\, x A^\top B^\top .$$
#
# B starts at zero, so training starts from the pretrained model exactly; A starts random, so B's first
# gradient is not zero. Here is the course's implementation, `course.nn.LoRALinear`:

# %%
Code(inspect.getsource(LoRALinear), language="python")

# %% [markdown]
# `add_lora` freezes the model and wraps the matrices we name — here the attention's fused q/k/v projection
# (d → 3d) and its output projection (d → d) in all four blocks:

# %%
# NBVAL_CHECK_OUTPUT
RANK, ALPHA = 8, 16
lora_gpt = copy.deepcopy(pretrained)
wrapped = add_lora(lora_gpt, targets=("qkv_proj", "out_proj"), r=RANK, alpha=ALPHA)
print(len(wrapped), "matrices adapted, e.g.", wrapped[:2])
for name in wrapped[:2]:
    layer = lora_gpt.get_submodule(name)
    d_in, d_out = layer.base.in_features, layer.base.out_features
    print(f"{name}: W is {d_out}×{d_in} = {d_in * d_out:,} weights; A and B hold r·(d_in + d_out) = "
          f"{RANK}·({d_in} + {d_out}) = {RANK * (d_in + d_out):,}")
print(f"trainable: {count_parameters(lora_gpt, trainable_only=True):,} of {count_parameters(lora_gpt):,} "
      f"({count_parameters(lora_gpt, trainable_only=True) / count_parameters(pretrained):.1%} of the GPT)")
with torch.no_grad():
    print("at initialisation (B = 0) the adapted GPT equals the pretrained one:",
          torch.equal(lora_gpt(test[0][:8]).logits, pretrained(test[0][:8]).logits))

# %% [markdown]
# ## Lab 3 — Three ways to transfer, measured
#
# Full fine-tuning and LoRA are trained with the same recipe — same linear head initialisation, same
# batches, 100 AdamW steps with warmup, cosine decay and clipping — each at a learning rate suited to it
# (LoRA's few weights take a larger one). Then we test accuracy, and measure forgetting as the GPT's
# validation LM loss after the change.

# %%
def finetune(gpt, lr, steps=100, batch=32):
    """Train a linear head and the GPT's trainable parameters on the sentiment task; return the classifier."""
    torch.manual_seed(0)                                                 # the same head for every method
    model = LastTokenClassifier(gpt, nn.Linear(gpt.config.d_model, 2))
    draws = torch.Generator().manual_seed(0)                             # the same batches too
    params = [p for p in model.parameters() if p.requires_grad]
    opt = AdamW(params, lr=lr, weight_decay=0.0)

    def get_batch(step):
        rows = torch.randint(len(train[0]), (batch,), generator=draws)
        return tuple(t[rows] for t in train)                             # ids, last, labels

    fit(model, opt, get_batch, steps,
        loss_fn=lambda m, b: F.cross_entropy(m(b[0], b[1]), b[2]), clip=lambda p: clip_by_global_norm(p, 1.0),
        scheduler=warmup_cosine_scheduler(opt, warmup=10, total=steps))
    return model.eval()


@torch.inference_mode()
def accuracy(model):
    return (model(test[0], test[1]).argmax(-1) == test[2]).float().mean().item()


full_model = finetune(copy.deepcopy(pretrained), lr=3e-4)
lora_model = finetune(lora_gpt, lr=3e-3)
for name, model in (("full fine-tuning", full_model), (f"LoRA r={RANK}", lora_model)):
    results[name] = {"trainable": count_parameters(model, trainable_only=True), "accuracy": accuracy(model),
                     "lm_loss": validation_loss(model.gpt, tok, "gpt")}
for name, r in results.items():
    print(f"{name:>16}: {r['trainable']:>7,} trainable · test accuracy {r['accuracy']:.3f} · "
          f"validation LM loss {r['lm_loss']:.3f} (pretrained {lm_before:.3f})")

# %% [markdown]
# **LoRA against `peft`.** Hugging Face's `peft` injects its own LoRA layers into the same pretrained GPT
# (`inject_adapter_in_model` works on any PyTorch model). Copy our trained A and B into its
# `lora_A` / `lora_B` and the two models must agree — before and after merging:

# %%
# NBVAL_CHECK_OUTPUT
from peft import LoraConfig, inject_adapter_in_model

twin = inject_adapter_in_model(LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.0,
                                          target_modules=["qkv_proj", "out_proj"]), copy.deepcopy(pretrained))
with torch.no_grad():
    for name in wrapped:
        ours, theirs = lora_gpt.get_submodule(name), twin.get_submodule(name)
        theirs.lora_A["default"].weight.copy_(ours.lora_A)
        theirs.lora_B["default"].weight.copy_(ours.lora_B)
    peft_count = sum(p.numel() for n, p in twin.named_parameters() if "lora_" in n)
    print("same number of LoRA parameters as peft:", peft_count == count_parameters(lora_gpt, trainable_only=True))
    print("trained B is no longer zero:", all(lora_gpt.get_submodule(n).lora_B.abs().sum() > 0 for n in wrapped))
    ids = test[0][:64]
    print("same logits as peft (max |difference| < 1e-5):", (lora_gpt(ids).logits - twin(ids).logits).abs().max().item() < 1e-5)
    merged = copy.deepcopy(lora_gpt)
    print("layers merged:", merge_lora(merged), "· merged model computes the same (< 1e-5):",
          (merged(ids).logits - lora_gpt(ids).logits).abs().max().item() < 1e-5)
    adapters_off = copy.deepcopy(lora_gpt)
    for name in wrapped:                                                 # remove the adapters: base layers back
        parent, _, child = name.rpartition(".")
        setattr(adapters_off.get_submodule(parent), child, adapters_off.get_submodule(name).base)
    print("adapters removed: exactly the pretrained GPT again:",
          all(torch.equal(a, b) for a, b in zip(adapters_off.state_dict().values(), pretrained.state_dict().values())))

# %%
fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.6))
colors = {"linear probe": "tab:gray", "MLP head": "tab:green", "full fine-tuning": "tab:red", f"LoRA r={RANK}": "tab:blue"}
for name, r in results.items():
    axes[0].scatter(r["trainable"], r["accuracy"], s=60, color=colors[name], label=name)
    axes[0].annotate(name, (r["trainable"], r["accuracy"]), textcoords="offset points", xytext=(6, -12), fontsize=8)
axes[0].axhline(0.5, color="black", lw=0.7, ls=":")
axes[0].text(1.2e5, 0.51, "chance (balanced classes)", fontsize=8)
axes[0].set(xscale="log", xlabel="trainable parameters (log scale)", ylabel="test accuracy", ylim=(0.4, 1.05),
            xlim=(100, 3e6), title="What is trained vs how well it works")
names = list(results)
axes[1].bar(range(len(names)), [results[n]["lm_loss"] for n in names], color=[colors[n] for n in names])
axes[1].axhline(lm_before, color="black", lw=0.8, ls="--", label="pretrained")
axes[1].set_xticks(range(len(names)), [n.replace(" ", "\n", 1) for n in names], fontsize=8)
axes[1].set(ylabel="validation LM loss (nats/token)", title="Forgetting of the pretraining task")
axes[1].legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# What the numbers above say, in this run:
#
# - **Feature extraction** cannot forget — the GPT's weights never change, so its LM loss is the pretrained
#   one by construction — but it only works if the head can read the answer from features that were learned
#   for another task (the linear probe could not).
# - **Full fine-tuning** solves the task and moves every one of the GPT's weights; its validation LM loss
#   rises above the pretrained one: the model has started to forget the pretraining task.
# - **LoRA** trains 3 % of the weights and solves the task too. With its adapters on, its LM loss in this
#   run rose *more* than full fine-tuning's: LoRA needs a ten times larger learning rate, and its few
#   directions moved the attention far. "Parameter-efficient" does not mean "cannot forget". What LoRA does
#   guarantee is the other half: with the adapters removed the model is the pretrained one, bit for bit, so
#   one base model serves many tasks, each with its own small A and B. At scale, Biderman et al. (2024)
#   found LoRA forgetting less than full fine-tuning ("LoRA learns less and forgets less"); how much either
#   forgets depends on the learning rate and the number of steps.
#
# ## Self-test
#
# **Exercise 1.** Lab 2 counted LoRA's parameters for the GPT's fused q/k/v layer. Count them for a model
# that keeps q, k, v separate and may also adapt its feed-forward layers.

# %%
from course.selftest import exercise

exercise("42.lora_param_count")

# %%
def lora_param_count(d_model, n_layers, r, targets, d_ff=None):
    # your code here
    raise NotImplementedError


exercise("42.lora_param_count").check(lora_param_count)

# %% [markdown]
# **Exercise 2.** LoRA bets that the update a task needs is close to low rank. Given any update ΔW — for
# instance the difference between a fully fine-tuned and the pretrained weight — the best rank-r
# approximation tells how much of it a rank-r adapter could express.

# %%
exercise("42.low_rank_approx")

# %%
def low_rank_approx(delta, r):
    # your code here
    raise NotImplementedError


exercise("42.low_rank_approx").check(low_rank_approx)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(42)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 迁移学习 = 先在大规模无标注文本上自监督预训练（下一个词 / MLM），再把模型用到目标任务。三种主要方式：
# ① 特征抽取：冻结全部预训练参数，只训练新的任务头——不会遗忘，但头只能读出预训练恰好学到的特征（本实验线性探针接近随机，两层头可解）；
# ② 全量微调：以较小学习率更新所有参数——效果好，但预训练能力下降（灾难性遗忘，本实验验证集 LM 损失上升），且每个任务要存一整份模型；
# ③ 参数高效微调（LoRA、Adapter、Prompt Tuning）：冻结原权重，只学 ΔW = (α/r)·BA，每个矩阵 r(d_in+d_out) 个参数（本实验 3%），
# B 初始化为 0；训练后可合并进权重、推理零开销，也可卸下适配器、逐位恢复原模型；但适配器生效时同样会遗忘（本实验学习率较大，LM 损失升得比全量微调还多）。我们从零实现的 LoRA 与 peft 输出一致。
# “逐步增加训练数据比例”不是微调的定义。
#
# **English:** Transfer learning = self-supervised pretraining on raw text (next token / MLM), then reuse on a
# target task, three ways. (1) Feature extraction: freeze everything, train a new head — no forgetting, but
# the head can only read what pretraining made readable (here a linear probe stays near chance, a two-layer
# head solves it). (2) Full fine-tuning: update all weights at a small learning rate — strong, but the
# pretraining skill degrades (catastrophic forgetting: the LM loss rises) and each task needs a full copy.
# (3) Parameter-efficient tuning (LoRA, adapters, prompt tuning): freeze W, learn ΔW = (α/r)·BA, r(d_in+d_out)
# numbers per matrix (3 % here), B initialised to zero; merge after training for free inference, or detach to
# get the original back bit for bit — with adapters on it forgets too (here more than full fine-tuning, at its
# larger learning rate). Our from-scratch LoRA matches peft.

# %% [markdown]
# ## Further reading
#
# - Hu, Shen, Wallis, Allen-Zhu, Li, Wang, Wang, Chen — *LoRA: Low-Rank Adaptation of Large Language Models* (2021).
# - Howard, Ruder — *Universal Language Model Fine-tuning for Text Classification* (ULMFiT, 2018).
# - Houlsby et al. — *Parameter-Efficient Transfer Learning for NLP* (adapters, 2019).
# - Peters, Ruder, Smith — *To Tune or Not to Tune? Adapting Pretrained Representations to Diverse Tasks* (2019).
# - Biderman et al. — *LoRA Learns Less and Forgets Less* (2024).
