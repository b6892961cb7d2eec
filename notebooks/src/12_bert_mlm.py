# %% [markdown]
# # Chapter 12 · What is BERT's masked language model task?
#
# **题目：** BERT 模型的 Masked Language Model 任务是什么？ — 请简要介绍 BERT 模型的 Masked Language Model 任务。
#
# **Question:** What is BERT's masked language model (MLM) task? Explain it briefly.
#
# **Time:** about 30 minutes · **Prerequisites:** [4 · how attention works](04_how_attention_works.ipynb),
# [2 · pretraining and fine-tuning](02_pretraining_and_finetuning.ipynb) · **Related:**
# [13 · BERT's bidirectional encoder](13_bert_bidirectional_encoder.ipynb),
# [18 · how MLM strengthens understanding](18_mlm_and_understanding.ipynb)
#
# **Objectives**
# - State the masking rule exactly — *select* 15 % of the tokens, then 80 % `[MASK]`, 10 % random, 10 %
#   unchanged — and verify it by counting, against transformers' own data collator.
# - Know which positions the loss reads (every selected one, not only the `[MASK]`s).
# - Measure why the 10 % random / 10 % unchanged exist: a model trained with 100 % `[MASK]` on inputs that
#   hold no `[MASK]`.
# - Query a pretrained BERT with fill-in-the-blank sentences.

# %% [markdown]
# ## Try first
#
# Write the MLM recipe as you would at a whiteboard: which tokens are chosen, what the model sees at a
# chosen position, and which positions the loss is computed on.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “对输入的文本进行遮蔽，然后通过训练模型恢复被遮蔽的部分” | correct | MLM is a denoising objective: corrupt some positions, predict their original tokens from both sides. | Labs 1, 3 |
# | “随机选择句子中的一定比例的词进行遮蔽” | **incomplete** | The proportion is 15 % of the (WordPiece) **tokens**, special tokens excluded. *Selected* is not *masked*: of the selected tokens 80 % become `[MASK]`, 10 % a random token, 10 % stay unchanged — so only 12 % of the tokens show `[MASK]`. | Lab 1 |
# | “完全遮蔽（用 [MASK] 替换）或部分遮蔽（部分遮蔽部分字符）” | **wrong** | BERT never hides part of a word's characters. The alternatives to `[MASK]` are a *random token* and the *unchanged token*. (Later *whole-word masking* selects all pieces of a word together — the opposite of hiding part of one.) | Lab 1, Exercise 2 |
# | “让模型预测这些被遮蔽的词” | **incomplete** | The loss is computed at **every selected position** — also where the input shows a random or the original token — and nowhere else (label −100). | Lab 1, Exercise 1 |
# | (not mentioned) why not always `[MASK]` | **incomplete** | `[MASK]` never appears when BERT is fine-tuned or used for features. A model trained only on `[MASK]` learns nothing about the output at a visible token; the 10 % unchanged ties it to the token, the 10 % random forces it to keep checking the token against its context. | Lab 2 |
# | (not mentioned) the other task | **incomplete** | BERT was pretrained with MLM *plus* next-sentence prediction (NSP); RoBERTa (2019) later showed NSP can be dropped. | — |

# %%
import matplotlib.pyplot as plt
import torch

from course.models import Bert, BertConfig, mask_tokens
from course.pretrained import corpus_lines, load_tiny_bert
from course.runtime import seed_everything
from course.text import pad_batch
from course.train import AdamW, fit, warmup_cosine_scheduler

seed_everything(0)
bert, tok = load_tiny_bert()                           # pretrained with MLM on the course corpus
MASK, V = tok.stoi["<mask>"], tok.vocab_size


def encode(lines):
    """[CLS] line [SEP] per line, padded -> ids (B, T), real (B, T) bool, special (B, T) bool."""
    ids, real = pad_batch([[tok.bos_id] + tok.encode(line) + [tok.eos_id] for line in lines], tok.pad_id)
    special = ~real | (ids == tok.bos_id) | (ids == tok.eos_id)      # never selected
    return ids, real, special


print(f"vocabulary: {V} words; [CLS] = {tok.itos[tok.bos_id]}, [SEP] = {tok.itos[tok.eos_id]}, [MASK] = {tok.itos[MASK]}")

# %% [markdown]
# ## Lab 1 — Select 15 %, then 80 / 10 / 10: counted
#
# `course.models.mask_tokens` implements BERT's rule (Devlin et al., 2019, §3.1). Here it is on one sentence
# (`·` marks a position that is not selected, so it carries no label):

# %%
ids, real, special = encode(corpus_lines(3000, seed=1))
inputs, labels = mask_tokens(ids, MASK, V, special=special, generator=torch.Generator().manual_seed(0))
sel = labels != -100
kinds = [(sel & (inputs == MASK)).any(1), (sel & (inputs == ids)).any(1), (sel & (inputs != MASK) & (inputs != ids)).any(1)]
row = int((kinds[0] & kinds[1] & kinds[2]).nonzero()[0])             # a sentence that shows all three cases
n = int(real[row].sum())
width = max(len(tok.itos[i]) for i in ids[row, :n]) + 1
for name, seq in (("original", ids[row]), ("model sees", inputs[row]), ("label", labels[row])):
    print(f"{name:>10}: " + "".join(f"{(tok.itos[i] if i >= 0 else '·'):<{width}}" for i in seq[:n].tolist()))

# %% [markdown]
# One sentence shows the three cases; thousands of sentences test the probabilities. Given that a token is
# selected, the input shows `[MASK]` with probability 0.8 + 0.1/V (a random draw can land on `[MASK]`), the
# original token with 0.1 + 0.1/V (a random draw can land on the original), and another token with
# 0.1·(V−2)/V. A count k out of n is consistent with probability p when its z-score
# (k − np)/√(np(1−p)) is small; we accept |z| < 4, which a correct implementation fails about once in
# 16,000 checks.

# %%
def tally(ids, special, inputs, labels):
    """Counts of what the masking did. All arguments (B, T)."""
    selected = labels != -100
    shown, original = inputs[selected], ids[selected]
    return {"eligible": int((~special).sum()), "selected": int(selected.sum()),
            "[MASK]": int((shown == MASK).sum()), "unchanged": int((shown == original).sum()),
            "other token": int(((shown != MASK) & (shown != original)).sum()),
            "changed outside the selection": int((inputs != ids)[~selected].sum()),
            "special tokens selected": int((selected & special).sum())}


def z_score(k, n, p):
    return (k - n * p) / (n * p * (1 - p)) ** 0.5


EXPECTED = {"selected": 0.15, "[MASK]": 0.8 + 0.1 / V, "unchanged": 0.1 + 0.1 / V, "other token": 0.1 * (V - 2) / V}


def z_scores(counts):
    """z of each proportion: 'selected' out of the eligible tokens, the rest out of the selected."""
    return {key: z_score(counts[key], counts["eligible" if key == "selected" else "selected"], p)
            for key, p in EXPECTED.items()}


ours = tally(ids, special, inputs, labels)
for key, p in EXPECTED.items():
    base = ours["eligible" if key == "selected" else "selected"]
    print(f"{key:>12}: {ours[key]:>5} of {base:>5} = {ours[key] / base:.4f}  (expected {p:.4f}, z = {z_scores(ours)[key]:+.2f})")
print(f"share of all eligible tokens that show [MASK]: {ours['[MASK]'] / ours['eligible']:.3f}  (≈ 0.15 · 0.8)")

# %% [markdown]
# **The same input through transformers.** `DataCollatorForLanguageModeling` is what Hugging Face training
# scripts use for MLM. It needs a tokenizer; we build one offline from the course vocabulary (a `WordLevel`
# model inside a `PreTrainedTokenizerFast`), check that it encodes like ours, and hand the collator the very
# same token ids and special-token mask.

# %%
# NBVAL_CHECK_OUTPUT
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers
from transformers import DataCollatorForLanguageModeling, PreTrainedTokenizerFast

word_level = Tokenizer(models.WordLevel({w: i for i, w in enumerate(tok.itos)}, unk_token="<unk>"))
word_level.normalizer = normalizers.Lowercase()                     # split as WordTokenizer does:
word_level.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),   # lower case,
    pre_tokenizers.Split(Regex(r"<\w+>|\w+|[^\w\s]"), behavior="isolated")])              # one mark each
hf_tok = PreTrainedTokenizerFast(tokenizer_object=word_level, unk_token="<unk>", pad_token="<pad>",
                                 mask_token="<mask>", cls_token="<bos>", sep_token="<eos>")
sample = corpus_lines(200, seed=2)
print("same ids as the course tokenizer on 200 lines:",
      all(hf_tok(line, add_special_tokens=False)["input_ids"] == tok.encode(line) for line in sample))
print("same [MASK] id:", hf_tok.mask_token_id == MASK, "· same vocabulary size:", len(hf_tok) == V)

collator = DataCollatorForLanguageModeling(hf_tok, mlm_probability=0.15, mask_replace_prob=0.8,
                                           random_replace_prob=0.1, seed=0, return_tensors="pt")
batch = collator([{"input_ids": i, "special_tokens_mask": s} for i, s in zip(ids.tolist(), special.int().tolist())])
theirs = tally(ids, special, batch["input_ids"], batch["labels"])
print("labels: original id at selected positions, -100 elsewhere:",
      bool(((batch["labels"] == ids) | (batch["labels"] == -100)).all()))
for name, counts in (("course.mask_tokens", ours), ("transformers collator", theirs)):
    print(f"{name:>21}: all proportions within 4 sigma: {all(abs(z) < 4 for z in z_scores(counts).values())}; "
          f"changed outside the selection: {counts['changed outside the selection']}; "
          f"special tokens selected: {counts['special tokens selected']}")
both = {k: ours[k] + theirs[k] for k in ours}
pooled = {k: both[k] / both["eligible" if k == "selected" else "selected"] for k in EXPECTED}
diff = {k: (ours[k] / ours["eligible" if k == "selected" else "selected"]
            - theirs[k] / theirs["eligible" if k == "selected" else "selected"])
        / (pooled[k] * (1 - pooled[k]) * (1 / ours["eligible" if k == "selected" else "selected"]
                                           + 1 / theirs["eligible" if k == "selected" else "selected"])) ** 0.5
        for k in EXPECTED}
print("ours vs theirs, two-sample z of every proportion within 4:", all(abs(z) < 4 for z in diff.values()))

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
keys = list(EXPECTED)
xs = torch.arange(len(keys)).float()
for shift, (name, counts) in zip((-0.18, 0.18), (("course.mask_tokens", ours), ("transformers collator", theirs))):
    bases = [counts["eligible" if k == "selected" else "selected"] for k in keys]
    fractions = [counts[k] / b for k, b in zip(keys, bases)]
    errors = [2 * (EXPECTED[k] * (1 - EXPECTED[k]) / b) ** 0.5 for k, b in zip(keys, bases)]
    axes[0].bar(xs + shift, fractions, width=0.36, yerr=errors, capsize=3, label=name)
    axes[1].bar(xs + shift, list(z_scores(counts).values()), width=0.36, label=name)
axes[0].scatter(xs, list(EXPECTED.values()), marker="_", s=600, color="black", zorder=3, label="expected")
labels_x = ["selected\n(of eligible)", "[MASK]\n(of selected)", "unchanged\n(of selected)", "other token\n(of selected)"]
axes[0].set_xticks(xs, labels_x, fontsize=8)
axes[0].set(ylabel="fraction", ylim=(0, 1), title="Observed vs expected (error bars: ±2σ)")
axes[0].legend(fontsize=8)
axes[1].axhspan(-4, 4, color="tab:green", alpha=0.12, label="|z| < 4: accepted")
axes[1].axhline(0, color="black", lw=0.8)
axes[1].set_xticks(xs, labels_x, fontsize=8)
axes[1].set(ylabel="z-score", ylim=(-5, 5), title="Deviation from the rule, in standard errors")
axes[1].legend(fontsize=8, loc="lower right")
fig.tight_layout()

# %% [markdown]
# Both implementations follow the same rule (transformers draws the 80 % and then splits the rest 50/50,
# which gives the same 10 %/10 %). Note the two facts the counts make exact: nothing outside the selection
# is changed, and special tokens are never selected.
#
# ## Lab 2 — Why not replace every selected token by `[MASK]`?
#
# After pretraining, BERT is fine-tuned or read as a feature extractor on sentences that contain **no**
# `[MASK]`. If pretraining always showed `[MASK]` at the positions it trains, the output at a *visible* token
# is never trained at all. We train the same small BERT twice from the same initial weights on the same
# batches and the same selections; only the replacement differs: 100 % `[MASK]`, or 80/10/10. Then we
# measure, on validation sentences:
#
# - **masked accuracy** — the usual MLM test: selected tokens replaced by `[MASK]`, predict them;
# - **clean accuracy** — the input has no `[MASK]`; predict every token at its own position. This is what
#   the representation of an ordinary, unmasked sentence says about its tokens.

# %%
train_ids, train_real, train_special = encode(corpus_lines(4000, seed=3))
val_ids, val_real, val_special = encode(corpus_lines(400, seed=10_001))
RECIPES = {"100 % [MASK]": (1.0, 0.0), "80/10/10": (0.8, 0.1)}
TOTAL = 400          # the schedule of the stored 400-step sweep below; here we run its first 50 steps


def train_mlm(mask_replace_prob, random_replace_prob, steps=50, batch=64):
    torch.manual_seed(0)                                        # same initial weights for both
    draws = torch.Generator().manual_seed(0)                    # same batches and selections for both

    def get_batch(step):
        rows = torch.randint(len(train_ids), (batch,), generator=draws)
        t = int(train_real[rows].sum(1).max())                  # trim the batch's padding
        ids, real, special = train_ids[rows, :t], train_real[rows, :t], train_special[rows, :t]
        inputs, labels = mask_tokens(ids, MASK, V, special=special, generator=draws,
                                     mask_replace_prob=mask_replace_prob, random_replace_prob=random_replace_prob)
        return inputs, real, labels

    model = Bert(BertConfig(vocab_size=V, max_len=64, n_layers=1, n_heads=4, d_model=64))
    opt = AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    history = fit(model, opt, get_batch, steps, scheduler=warmup_cosine_scheduler(opt, warmup=10, total=TOTAL),
                  loss_fn=lambda m, b: m(b[0], attention_mask=b[1], labels=b[2]).loss)
    return model.eval(), history


@torch.inference_mode()
def accuracies(model):
    """(masked accuracy, clean accuracy) on the validation sentences."""
    inputs, labels = mask_tokens(val_ids, MASK, V, special=val_special, generator=torch.Generator().manual_seed(1),
                                 mask_replace_prob=1.0, random_replace_prob=0.0)
    chosen = labels != -100
    masked = (model(inputs, attention_mask=val_real).logits.argmax(-1) == val_ids)[chosen].float().mean().item()
    clean = (model(val_ids, attention_mask=val_real).logits.argmax(-1) == val_ids)[~val_special].float().mean().item()
    return masked, clean


histories, results = {}, {}
for name, (mask_p, random_p) in RECIPES.items():
    model, histories[name] = train_mlm(mask_p, random_p)
    results[name] = accuracies(model)
results["pretrained tiny BERT (80/10/10, 4 layers)"] = accuracies(bert)
for name, (masked, clean) in results.items():
    print(f"{name:>42}: masked accuracy {masked:.3f} · clean accuracy {clean:.3f}")

# %% [markdown]
# The pretrained row is not a fair comparison with the others: it was trained far longer, and about a third
# of these validation lines also occur in its pretraining text (the two small models never saw them). Fifty
# steps is a start. `tools/sweeps/ch12_mask_mix.py` ran the same recipe for 400 steps — with the two
# other mixes of the BERT paper's ablation, 80/0/20 (no random tokens) and 80/20/0 (no unchanged ones), in [MASK]/random/unchanged order (the paper
# lists MASK/SAME/RND: our 80/0/20 is its 80 % / 20 % SAME / 0 % RND) —
# and stored the accuracies in `data/ch12_mask_mix.json`. Your two runs above are its first 50 steps:

# %%
import json

import course

sweep = json.loads((course.DATA_DIR / "ch12_mask_mix.json").read_text())
for name in RECIPES:
    stored = next(p for p in sweep["curves"][name] if p["step"] == 50)
    print(f"{name:>12} at step 50 — this run: clean {results[name][1]:.3f}, masked {results[name][0]:.3f}; "
          f"stored: clean {stored['clean_accuracy']:.3f}, masked {stored['masked_accuracy']:.3f}")
print("the live runs reproduce the stored points (within 0.01):", all(
    abs(results[n][i] - next(p for p in sweep["curves"][n] if p["step"] == 50)[key]) < 0.01
    for n in RECIPES for i, key in ((0, "masked_accuracy"), (1, "clean_accuracy"))))
for name, points in sweep["curves"].items():
    print(f"{name:>12} after {points[-1]['step']} steps: masked accuracy {points[-1]['masked_accuracy']:.3f}, "
          f"clean accuracy {points[-1]['clean_accuracy']:.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
styles = {"100 % [MASK]": "tab:red", "80/10/10": "tab:blue", "80/0/20": "tab:orange", "80/20/0": "tab:green"}
for ax, key, title in ((axes[0], "masked_accuracy", "Masked input: the MLM test"),
                       (axes[1], "clean_accuracy", "Clean input: no [MASK] anywhere")):
    for name, points in sweep["curves"].items():
        ax.plot([p["step"] for p in points], [p[key] for p in points], marker="o", ms=3, color=styles[name],
                label=name)
    for name in RECIPES:
        ax.scatter([50], [results[name][0 if key == "masked_accuracy" else 1]], s=90, facecolors="none",
                   edgecolors=styles[name], linewidths=1.5)
    ax.set(xscale="log", xlabel="training step (log scale)", title=title)
    ax.set_xticks(sweep["checkpoints"], [str(c) for c in sweep["checkpoints"]], minor=False)
    ax.minorticks_off()
axes[0].set(ylabel="token accuracy", ylim=(0, 1))
axes[1].legend(fontsize=8, title="[MASK] / random / unchanged\n(lines: stored sweep;\ncircles: your runs)", title_fontsize=8)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
final = {name: points[-1] for name, points in sweep["curves"].items()}
for key in ("masked_accuracy", "clean_accuracy"):
    order = sorted(final, key=lambda n: final[n][key])
    print(f"stored, after {final[order[0]]['step']} steps, {key.replace('_', ' ')} from low to high: " + " < ".join(order))

# %% [markdown]
# Read the two panels together (the numbers are printed above):
#
# - **Masked input.** Every mix learns the MLM test about equally well; using `[MASK]` less often costs
#   little.
# - **Clean input.** Here the mixes split by their share of *unchanged* tokens. With none (100 % `[MASK]`,
#   80/20/0) the output at a visible token is rarely that token: nothing ever trained it. With 20 % unchanged
#   and no random tokens (80/0/20) the model learns that a visible token is always right, and copies it:
#   it wins this test, and in this run the masked one too. 80/10/10 sits between 100 % `[MASK]` and 80/0/20.
#   So what these two tests show is why the *unchanged* 10 % exists: without it the output at a visible
#   token is never trained. What the *random* 10 % buys they cannot show: a model that simply copies a
#   visible token scores best on them. The BERT paper's reason is that a random token makes every visible
#   token possibly wrong, so the model must check it against its context; measuring that needs inputs with
#   wrong visible tokens, which this lab does not build.
#
# The BERT paper's ablation (Devlin et al., 2019, Appendix C.2, Table 8) points the same way at scale: 100 %
# `[MASK]` was the worst mix when BERT's features were used without fine-tuning (feature-based NER, dev F1
# 94.0 vs 94.9 for 80/10/10), and the gaps shrank after fine-tuning.
#
# ## Lab 3 — Fill in the blank
#
# The pretrained tiny BERT reads a sentence with `<mask>` in it and gives a distribution over the
# vocabulary at each blank.

# %%
@torch.inference_mode()
def fill_mask(sentence, k=5):
    """Top-k (word, probability) at each <mask> of ``sentence``, from the pretrained tiny BERT."""
    ids = torch.tensor([[tok.bos_id] + tok.encode(sentence) + [tok.eos_id]])
    probs = bert(ids).logits.softmax(-1)[0]                        # (T, V)
    blanks = (ids[0] == MASK).nonzero().flatten().tolist()
    return [[(tok.itos[i], p) for p, i in zip(*probs[b].topk(k))] for b in blanks]


EXAMPLES = ["many cats near the houses <mask> .", "the cat near the houses <mask> .",
            "a quiet robot near the rivers <mask> here .", "the <mask> near the river runs .",
            "Chen lives in <mask> . Where does Chen live ?"]
for sentence in EXAMPLES:
    words = ", ".join(f"{w} {p:.2f}" for w, p in fill_mask(sentence)[0][:3])
    print(f"{sentence:<46} → {words}")

# %% [markdown]
# The model has learned the corpus's agreement across a prepositional phrase — plural verb forms after
# *many cats near the houses*, *-s* forms after *the cat near the houses*, *was* after *a quiet robot near
# the rivers* — and puts a singular noun before *runs* and city names as its top three after *lives in*. Some
# of these sentences occur word for word in its pretraining text, so treat them as recall, not proof. Try your own
# sentences — words outside the vocabulary become `<unk>`; put `<mask>` where the blank goes (two blanks are predicted
# independently, each without knowing the other):

# %%
import ipywidgets as widgets


def show_blanks(sentence):
    if "<mask>" not in sentence:
        print("put <mask> somewhere in the sentence")
        return
    blanks = fill_mask(sentence)
    fig, axes = plt.subplots(1, len(blanks), figsize=(4 * len(blanks), 2.6), squeeze=False)
    for j, (ax, top) in enumerate(zip(axes[0], blanks)):
        ax.barh([w for w, _ in top][::-1], [float(p) for _, p in top][::-1], color="tab:blue")
        ax.set(xlim=(0, 1), xlabel="probability", title=f"blank {j + 1}")
    fig.tight_layout()
    plt.show()


widgets.interact(show_blanks, sentence=widgets.Combobox(value=EXAMPLES[0], options=EXAMPLES,
                                                        continuous_update=False, layout={"width": "600px"}));

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Lab 1 called `mask_tokens` from the package. Write its second half — what happens to the
# tokens once they are selected — from given random draws, so that the result is exactly checkable.

# %%
from course.selftest import exercise

exercise("12.replace_selected")

# %%
def replace_selected(ids, selected, u, random_ids, mask_id, mask_prob=0.8, random_prob=0.1):
    # your code here
    raise NotImplementedError


exercise("12.replace_selected").check(replace_selected)

# %% [markdown]
# **Exercise 2.** With WordPiece, *playing* may become `play ##ing`. Masking `##ing` alone lets the model
# guess it from `play` — too easy. *Whole-word masking* (Google's 2019 BERT release; Cui et al. for Chinese)
# selects whole words. Write the selection step.

# %%
exercise("12.whole_word_selection")

# %%
def whole_word_selection(word_ids, u, p=0.15):
    # your code here
    raise NotImplementedError


exercise("12.whole_word_selection").check(whole_word_selection)

# %% [markdown]
# **Quiz.**

# %%
from course.selftest import quiz

quiz(12)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** MLM 是 BERT 的自监督预训练目标：随机**选出** 15% 的 token（不含 [CLS]/[SEP]/padding），其中 80% 换成 [MASK]、10% 换成随机 token、10% 保持不变；模型用左右两侧的上下文，在**所有被选中的位置**预测原 token，其余位置不计损失（标签 −100）。输入中实际变成 [MASK] 的 token 只占约 12%。BERT 不存在“遮蔽部分字符”的做法。为什么不全用 [MASK]：微调和抽特征时输入里没有 [MASK]；只在 [MASK] 位置上学习预测的模型，其在可见 token 上的输出从未被训练——
# 实验中两种模型的 MLM 准确率相近，但全用 [MASK] 的模型在无 [MASK] 的句子上明显更差：这说明了 10% 不变的作用。10% 随机的作用按 BERT 论文的解释是让可见 token 也可能是错的、迫使模型结合上下文检查（本章未测量；不含随机替换的 80/0/20
# 在本章两项测试上反而最好，因为它只需复制）。BERT 原文还同时训练 NSP；RoBERTa 去掉了 NSP 并采用动态遮蔽。
#
# **English:** MLM is BERT's self-supervised objective: **select** 15 % of the tokens (never [CLS], [SEP] or
# padding); of those, 80 % become [MASK], 10 % a random token, 10 % stay unchanged; the model predicts the
# original token at **every selected position** from both sides, and no other position enters the loss
# (label −100). So only about 12 % of the input shows [MASK]. Why not 100 % [MASK]: fine-tuning and feature
# extraction see no [MASK]; a model trained to predict only at [MASK] positions never trains its output at visible tokens — in the
# lab both variants reach a similar MLM accuracy, but the 100 % model is much worse at clean input: that is
# what the unchanged 10 % is for. The random 10 %, by the BERT paper's reasoning, makes any visible token
# possibly wrong so the model must check it against its context (not measured here: 80/0/20, which only
# copies, scores best on both of this lab's tests). BERT also trained NSP; RoBERTa dropped it and masks
# dynamically.

# %% [markdown]
# ## Further reading
#
# - Devlin, Chang, Lee, Toutanova — *BERT: Pre-training of Deep Bidirectional Transformers for Language
#   Understanding* (2019): §3.1 for the masking rule, Appendix C.2 (Table 8) for the masking ablation.
# - Liu et al. — *RoBERTa: A Robustly Optimized BERT Pretraining Approach* (2019): dynamic masking, no NSP.
# - Cui, Che, Liu, Qin, Yang — *Pre-Training With Whole Word Masking for Chinese BERT* (2021).
# - Joshi et al. — *SpanBERT: Improving Pre-training by Representing and Predicting Spans* (2020).
# - Clark, Luong, Le, Manning — *ELECTRA: Pre-training Text Encoders as Discriminators Rather Than Generators*
#   (2020): replaces MLM's 15 % of predictions by a detection task at every token.
