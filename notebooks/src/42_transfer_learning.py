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
# You have a pretrained language model and 64 labelled sentences. List the ways you could adapt the model
# to classify them, and for each say which weights change and what happens to the model's original skill.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “预训练模型可以是词嵌入模型（Word2Vec、GloVe）或…BERT、GPT” | **incomplete** | Word vectors transfer one layer, the same vector for a word in every context; a pretrained Transformer transfers the whole network, with contextual features at every layer. | — (word vectors: chapter 23) |
# | “冻结底层层：…仅调整较高层的参数” | **incomplete** | That is one option among several. *Feature extraction* freezes the whole model and trains a new head; *full fine-tuning* updates every weight at a small learning rate; *parameter-efficient* methods (LoRA, adapters, prompt tuning) freeze every pretrained weight and train a few new ones. Freezing only the lower layers is not measured here (chapter 44). | Labs 1–3 |
# | “微调：…逐步增加训练数据的比例，从少量数据开始…” | **wrong** | Fine-tuning means continuing to train the pretrained weights on the target task's labelled data (with a new head if the output changes), usually for few steps at a small learning rate. Growing the data over time is a curriculum, not what defines fine-tuning. | Lab 3 |
# | “迁移学习可以帮助模型在短时间内获得良好性能” | **incomplete** | It depends on the method and the recipe. In this run, with 64 labelled sentences and tests on unseen ones, LoRA and a two-layer head on frozen features beat a GPT trained from scratch with the same recipe; full fine-tuning at the same steps and learning rate did not. Compare against a from-scratch baseline before crediting pretraining. | Labs 1, 3 |
# | (not mentioned) the cost of forgetting | **incomplete** | Full fine-tuning moves every weight: the held-out LM loss rises (Lab 3 prints by how much). Feature extraction cannot forget. LoRA can be switched off to give back the original model exactly; with its adapters on it changes the model too. | Lab 3 |
# | (not mentioned) how many weights are trained | **incomplete** | LoRA trains r·(d_in + d_out) numbers per adapted matrix instead of d_in·d_out — here 3 % of the model — and can be merged into the weights after training at no inference cost. | Labs 2–3 |

# %%
import copy
import inspect

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import Code
from torch import nn

from course.models import GPT, count_parameters
from course.nn import LoRALinear, add_lora, merge_lora
from course.pretrained import held_out_lines, load_tiny_gpt
from course.runtime import seed_everything
from course.text import pad_batch, sentiment_examples
from course.train import AdamW, clip_by_global_norm, fit, warmup_cosine_scheduler

seed_everything(0)
pretrained, tok = load_tiny_gpt()           # 4 layers, d = 128, next-token prediction on the course corpus
held_out = held_out_lines(300)              # corpus lines the GPT never trained on


@torch.inference_mode()
def lm_loss(gpt, lines=held_out):
    """Next-token loss (nats/token) of ``gpt`` on ``lines``, joined by <eos> and cut into context windows."""
    data, t = torch.tensor([i for line in lines for i in tok.encode(line) + [tok.eos_id]]), gpt.config.context
    n = (len(data) - 1) // t
    return gpt(data[:n * t].view(n, t), targets=data[1:n * t + 1].view(n, t)).loss.item()


lm_before = lm_loss(pretrained)
print(f"pretrained tiny GPT: {count_parameters(pretrained):,} parameters; held-out LM loss {lm_before:.3f} nats/token")

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


labelled = sentiment_examples(64, seed=1)                              # a small labelled set
seen = {text for text, _ in labelled}
unseen = list(dict.fromkeys(ex for ex in sentiment_examples(2000, seed=2) if ex[0] not in seen))[:300]
train, test = encode(labelled), encode(unseen)
print(f"{len(labelled)} labelled sentences ({len(seen)} distinct); {len(unseen)} test sentences, none of them in training")
for text, label in labelled[:4]:
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
    train_features = probe.features(train[0], train[1])                  # (64, 128), computed once
    test_features = probe.features(test[0], test[1])


def fit_linear(features, labels):
    """A linear probe fitted to convergence: full batch, L-BFGS. Returns the head and its final train loss."""
    torch.manual_seed(0)
    head = nn.Linear(features.shape[1], 2)
    opt = torch.optim.LBFGS(head.parameters(), max_iter=500, tolerance_grad=1e-7, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(head(features), labels)
        loss.backward()
        return loss
    opt.step(closure)
    return head, closure().item()


def fit_mlp(features, labels, steps=300, lr=3e-3):
    """A two-layer head, full-batch AdamW."""
    torch.manual_seed(0)
    head = nn.Sequential(nn.Linear(features.shape[1], 128), nn.GELU(), nn.Linear(128, 2))
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.0)
    for _ in range(steps):
        loss = F.cross_entropy(head(features), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return head


def acc(head, features, labels):
    with torch.no_grad():
        return (head(features).argmax(-1) == labels).float().mean().item()


def facts(examples):
    """The two facts behind each label: is the sentiment word positive, is it negated."""
    negated = torch.tensor([int(" not " in text or " never " in text) for text, _ in examples])
    return torch.tensor([label for _, label in examples]) ^ negated, negated


gpt_before = copy.deepcopy(pretrained.state_dict())
linear, final_loss = fit_linear(train_features, train[2])
mlp = fit_mlp(train_features, train[2])
print("GPT weights unchanged by training the heads:",
      all(torch.equal(a, b) for a, b in zip(gpt_before.values(), pretrained.state_dict().values())))
results = {}
for name, head in (("linear probe", linear), ("MLP head", mlp)):
    results[name] = {"trainable": count_parameters(head), "accuracy": acc(head, test_features, test[2]),
                     "lm_loss": lm_loss(pretrained)}                    # measured: the GPT is the pretrained one
    print(f"feature extraction, {name:<12}: {results[name]['trainable']:>6,} trainable parameters · "
          f"train accuracy {acc(head, train_features, train[2]):.3f} · test accuracy {results[name]['accuracy']:.3f}")
print(f"linear probe fitted to convergence (L-BFGS, full batch): final train loss {final_loss:.4f}")
for fact, train_y, test_y in zip(("word polarity", "negation"), facts(labelled), facts(unseen)):
    head, _ = fit_linear(train_features, train_y)
    print(f"linear probe for {fact:<13} alone: test accuracy {acc(head, test_features, test_y):.3f}")

# %% [markdown]
# The linear probe was fitted to convergence (its train loss is printed), fits the 64 sentences perfectly
# and still stays well below the two-layer head on unseen ones. The frozen features *do* hold both facts —
# a linear probe for the word's polarity alone and one for the negation alone both score high — but the
# label is their exclusive-or, which is only partly linear in these features. To do better, either give the
# head depth or let the network itself change — the next two labs.
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
torch.manual_seed(0)                        # A's random start comes from the global generator: fix it
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
# (LoRA's few weights take a larger one). A third run applies the same recipe to a GPT with random weights —
# what the labelled set alone teaches, without any transfer. Then we test accuracy on the unseen sentences,
# and measure forgetting as the GPT's LM loss on the held-out lines after the change.

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


torch.manual_seed(0)
scratch_model = finetune(GPT(pretrained.config), lr=3e-4)              # same shape, random weights
full_model = finetune(copy.deepcopy(pretrained), lr=3e-4)
lora_model = finetune(lora_gpt, lr=3e-3)
for name, model in (("from scratch", scratch_model), ("full fine-tuning", full_model), (f"LoRA r={RANK}", lora_model)):
    results[name] = {"trainable": count_parameters(model, trainable_only=True), "accuracy": accuracy(model),
                     "lm_loss": lm_loss(model.gpt)}
for name, r in results.items():
    print(f"{name:>16}: {r['trainable']:>7,} trainable · test accuracy {r['accuracy']:.3f} · "
          f"held-out LM loss {r['lm_loss']:.3f} ({r['lm_loss'] - lm_before:+.3f} vs pretrained)")

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
colors = {"from scratch": "tab:orange", "linear probe": "tab:gray", "MLP head": "tab:green", "full fine-tuning": "tab:red", f"LoRA r={RANK}": "tab:blue"}
for name, r in results.items():
    axes[0].scatter(r["trainable"], r["accuracy"], s=60, color=colors[name], label=name)
    axes[0].annotate(name, (r["trainable"], r["accuracy"]), textcoords="offset points", xytext=(6, -12), fontsize=8)
axes[0].axhline(0.5, color="black", lw=0.7, ls=":")
axes[0].text(1.2e5, 0.51, "chance (balanced classes)", fontsize=8)
axes[0].set(xscale="log", xlabel="trainable parameters (log scale)", ylabel="test accuracy", ylim=(0.4, 1.05),
            xlim=(100, 3e6), title="What is trained vs how well it works")
names = [n for n in results if n != "from scratch"]       # a random GPT has no LM skill to forget
axes[1].bar(range(len(names)), [results[n]["lm_loss"] for n in names], color=[colors[n] for n in names])
axes[1].axhline(lm_before, color="black", lw=0.8, ls="--", label="pretrained")
axes[1].set_xticks(range(len(names)), [n.replace(" ", "\n", 1) for n in names], fontsize=8)
axes[1].set(ylabel="held-out LM loss (nats/token)", title="Forgetting of the pretraining task")
axes[1].legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# What the numbers above say, in this run:
#
# - **From scratch**: the same recipe on a random-weight GPT is the baseline that tells what pretraining adds;
#   its LM loss is that of an untrained model, so it is left out of the forgetting panel.
# - **Feature extraction** cannot forget — the GPT's weights never change (checked bit for bit, and its LM
#   loss is measured, not assumed) — but it only works if the head can read the answer from features that
#   were learned for another task (the linear probe could not form the exclusive-or).
# - **Full fine-tuning** moves every one of the GPT's weights; its held-out LM loss rises above the
#   pretrained one. With this recipe (few steps, small learning rate, 64 examples) it did not beat the
#   from-scratch baseline in this run: transfer is not automatic, the recipe matters.
# - **LoRA** trains 3 % of the weights. With its adapters on, its held-out LM loss rose too — by the amount
#   printed above, for one random start of A (seed 0; other starts give other amounts). "Parameter-efficient"
#   does not mean "cannot forget". What LoRA does guarantee is the other half: with the adapters removed the
#   model is the pretrained one, bit for bit, so one base model serves many tasks, each with its own small A
#   and B. At scale, Biderman et al. (2024) found LoRA forgetting less than full fine-tuning ("LoRA learns
#   less and forgets less"); how much either forgets depends on the learning rate and the number of steps.
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
# **中文：** 迁移学习 = 先在大规模无标注文本上自监督预训练（下一个词 / MLM），再把模型用到目标任务。三种主要方式：① 特征抽取：冻结全部预训练参数，只训练新的任务头——不会遗忘（权重逐位不变），但头只能读出预训练恰好学到的特征（本实验中特征里有词的极性和否定，但两者的异或只有部分是线性的：收敛的线性探针明显不如两层 MLP 头，两层 MLP 头可以解决）；② 全量微调：以较小学习率更新所有参数——留出文本上的 LM 损失上升，且每个任务要存一整份模型；本实验用同样的配方（64 条标注、100 步）它并没有胜过从零训练的基线；③ 参数高效微调（LoRA、Adapter、Prompt Tuning）：冻结原权重，只训练少量新参数；以 LoRA 为例，学习 ΔW = (α/r)·BA，每个矩阵 r(d_in+d_out) 个参数（本实验 3%），B 初始化为 0；训练后可合并进权重、推理零开销，也可卸下适配器、逐位恢复原模型；但适配器生效时同样会遗忘（留出文本上的 LM 损失上升）。我们从零实现的 LoRA 与 peft 输出一致。要判断预训练带来了多少，须与同样配方从零训练的模型比较，并只在训练集中没有的句子上测试。“逐步增加训练数据比例”不是微调的定义。
#
# **English:** Transfer learning = self-supervised pretraining on raw text (next token / MLM), then reuse on a
# target task, three ways. (1) Feature extraction: freeze everything, train a new head — no forgetting (the
# weights stay bit for bit), but the head can only read what pretraining made readable (here the features
# hold polarity and negation, but their XOR is only partly linear: a converged linear probe stays well below a
# two-layer MLP head). (2) Full fine-tuning: update all weights at a small learning rate — the held-out LM
# loss rises and each task needs a full copy; with this recipe (64 examples, 100 steps) it did not beat a
# from-scratch baseline here. (3) Parameter-efficient tuning (LoRA, adapters, prompt tuning): freeze W and
# train a few new weights; LoRA, for instance, learns ΔW = (α/r)·BA, r(d_in+d_out) numbers per matrix (3 %
# here), B initialised to zero; merge after training for free inference, or detach to get the original back
# bit for bit — with adapters on it forgets too (its held-out LM loss rises). Our from-scratch LoRA matches
# peft. To credit pretraining, compare with the same recipe from scratch and test only on unseen sentences.

# %% [markdown]
# ## Further reading
#
# - Hu, Shen, Wallis, Allen-Zhu, Li, Wang, Wang, Chen — *LoRA: Low-Rank Adaptation of Large Language Models* (2021).
# - Howard, Ruder — *Universal Language Model Fine-tuning for Text Classification* (ULMFiT, 2018).
# - Houlsby et al. — *Parameter-Efficient Transfer Learning for NLP* (adapters, 2019).
# - Peters, Ruder, Smith — *To Tune or Not to Tune? Adapting Pretrained Representations to Diverse Tasks* (2019).
# - Biderman et al. — *LoRA Learns Less and Forgets Less* (2024).
