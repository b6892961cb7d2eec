# %% [markdown]
# # Chapter 9 · How is a language model evaluated?
#
# **题目：** 如何评估语言模型的效果？ — 请说明评估语言模型效果的方法。
#
# **Question:** How is a language model evaluated? Describe the methods.
#
# **Time:** about 30 minutes · **Prerequisites:** [6 · computing the LM loss](06_lm_loss.ipynb) · **Related:**
# [10 · improving LMs](10_improving_lms.ipynb), [47 · sequence to sequence](47_seq2seq.ipynb)
#
# **Objectives**
# - Turn a loss into perplexity and bits per byte, and see why per-token perplexities of models with
#   different tokenizers cannot be compared while bits per byte can.
# - Use accuracy and precision/recall/F1 where they belong: on a task with labels, and with imbalance.
# - Build BLEU step by step (clipped n-gram precisions, brevity penalty, geometric mean) and match sacrebleu.
# - Score a multiple-choice benchmark the way evaluation harnesses do: the log-likelihood of each option,
#   summed or length-normalized.

# %% [markdown]
# ## Try first
#
# Write your interview answer: how do you evaluate a language model itself, and how do you evaluate it on a
# task? Which numbers can be compared between two models, and which cannot?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “损失函数…损失函数值越低，模型性能越好” | **incomplete** | Only on the **same held-out text with the same tokenizer**. The loss is an average *per token*: a character model predicts many easy tokens, a word model few hard ones. Compare models with different vocabularies by the total log-likelihood per byte (bits per byte); and never on text the model trained on. | Lab 1 |
# | (missing) | — | Perplexity, exp(loss), the standard intrinsic metric of an LM, is not named, nor bits per character/byte. | Lab 1 |
# | “准确率…精确率、召回率和 F1…更适用于分类任务” | correct, **incomplete** | These are *task* metrics: they need labelled examples and a decision rule, and they do not measure the language model as such. With imbalanced classes accuracy misleads (a model that never flags anything scores high); P/R/F1 of the rare class do not. | Lab 2 |
# | “BLEU…计算机器翻译文本与参考翻译文本之间的相似度” | vague | BLEU (Papineni et al., 2002) is a corpus-level geometric mean of **clipped n-gram precisions** (n = 1…4) times a **brevity penalty**; it rewards n-gram overlap, not meaning, and its value depends on tokenization, which is why sacrebleu (Post, 2018) standardizes it. | Lab 3 |
# | “人类评估…更全面” | correct, **incomplete** | Human judgement is the reference for open-ended generation, but it is slow, costly and noisy: it needs guidelines, several raters and a measure of their agreement. No lab here. | — |
# | (missing) | — | How LLMs are compared in practice: **benchmarks** of multiple-choice questions, scored by the model's log-likelihood of each option (summed, or normalized by length), then reported as accuracy. | Lab 4 |

# %%
import math
from collections import Counter

import matplotlib.pyplot as plt
import sacrebleu
import sklearn.metrics
import torch

from course.evaluation import bits_per_byte, continuation_logprobs, text_nll, tiny_benchmark
from course.metrics import bleu, perplexity, precision_recall_f1
from course.models.ngram import bigram_probs
from course.pretrained import corpus_lines, held_out_lines, load_tiny_gpt
from course.runtime import seed_everything
from course.text import BPETokenizer, CharTokenizer

seed_everything(0)
gpt, words = load_tiny_gpt()          # the course's pretrained 4-layer GPT, word tokens
gpt = gpt.eval()

# %% [markdown]
# ## Lab 1 — Perplexity and bits per byte, across tokenizers
#
# Perplexity is exp(mean negative log-likelihood per token): a model with perplexity 8 is, on average, as
# unsure as a uniform choice among 8 tokens. "Per token" is the catch. We evaluate four models on the
# **same** 400 held-out lines (never seen in pretraining, lower-cased, all words in the GPT's vocabulary):
# three bigram models counted from the same 4,000 training lines but cut into characters, byte-level BPE
# pieces (512 tokens) or words, and the pretrained tiny GPT (words). Every model must predict every line
# and its end (a newline or `<eos>`), so every model pays for exactly the same characters.

# %%
train_lines = [line.lower() for line in corpus_lines(4000, seed=0)]
eval_lines = [line.lower() for line in held_out_lines(400)]
eval_lines = [s for s in eval_lines if words.unk_id not in words.encode(s) and words.decode(words.encode(s)) == s]
n_chars = sum(len(s) + 1 for s in eval_lines)            # + 1: the end of each line is predicted too
chars = CharTokenizer("\n".join(train_lines + eval_lines))
bpe = BPETokenizer.train("\n".join(train_lines[:2000]), vocab_size=512)


def stream(tokenizer, lines, sep):
    """One id stream: sep line sep line … sep (the first sep is context, never predicted)."""
    ids = list(sep)
    for line in lines:
        ids += tokenizer.encode(line) + list(sep)
    return torch.tensor(ids)


results = {}   # name -> (tokens predicted, total NLL in nats)
for name, tok, sep in (("char bigram", chars, chars.encode("\n")), ("BPE bigram", bpe, bpe.encode("\n")),
                       ("word bigram", words, [words.eos_id])):
    probs = bigram_probs(stream(tok, train_lines, sep), tok.vocab_size, alpha=0.1)      # (V, V)
    ids = stream(tok, eval_lines, sep)
    results[name] = (len(ids) - 1, -probs[ids[:-1], ids[1:]].log().sum().item())
total, count = text_nll(gpt, [words.encode(s) for s in eval_lines], words.eos_id)
results["word GPT"] = (count, total)

print(f"bigrams counted on {len(train_lines):,} training lines; BPE vocabulary: {bpe.vocab_size} tokens")
print(f"evaluated on {len(eval_lines)} held-out lines, {n_chars:,} characters (= bytes: the text is ASCII)\n")
print(f"{'model':<12} {'tokens':>7} {'tokens/char':>11} {'loss/token':>10} {'perplexity':>10} {'bits/char':>9}")
for name, (n, nll) in results.items():
    print(f"{name:<12} {n:>7,} {n / n_chars:>11.3f} {nll / n:>10.3f} {perplexity(nll / n):>10.2f} "
          f"{bits_per_byte(nll, n_chars):>9.3f}")

# %%
names = list(results)
ppl = [perplexity(nll / n) for n, nll in results.values()]
bpc = [bits_per_byte(nll, n_chars) for n, nll in results.values()]
colors = ["tab:gray", "tab:olive", "tab:cyan", "tab:blue"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, values, title in ((axes[0], ppl, "per-token perplexity (not comparable)"),
                          (axes[1], bpc, "bits per character (comparable)")):
    bars = ax.bar(names, values, color=colors)
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set(title=title, ylim=(0, max(values) * 1.18))
    ax.tick_params(axis="x", labelsize=8)
axes[0].set_ylabel("exp(loss per token)")
axes[1].set_ylabel("total NLL / (characters · ln 2)")
fig.suptitle("The same 400 held-out lines, four models: lower is better", fontsize=10)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("char bigram has the lowest per-token perplexity of the three bigrams:", min(ppl[:3]) == ppl[0])
print("char bigram has the highest bits per character:", max(bpc) == bpc[0])
print("the GPT has the lowest bits per character:", min(bpc) == bpc[3])

line = words.encode(eval_lines[0])          # text_nll is the plain cross-entropy, summed: checked on one line
x, y = torch.tensor([words.eos_id] + line), torch.tensor(line + [words.eos_id])
with torch.inference_mode():
    torch_sum = torch.nn.functional.cross_entropy(gpt(x[None]).logits[0], y, reduction="sum").item()
print("text_nll equals torch's cross_entropy:", math.isclose(text_nll(gpt, [line], words.eos_id)[0], torch_sum,
                                                             rel_tol=1e-5))

# %% [markdown]
# By perplexity the character bigram looks like the best of the three bigrams: predicting the next *character* is easy. But it predicts
# one token per character, more than four times as many as the word models, and pays for each; per character it is
# the worst model by far. Bits per byte (here per character, the text being ASCII) divide the **total**
# log-likelihood by the size of the text, which no tokenizer changes. Between the two word models the
# perplexities *are* comparable (same tokens), and the GPT wins on both scales — though it was also pretrained
# on more text than the bigrams were counted from: the metric compares the two models, not their architectures
# alone.
#
# "Held-out" matters as much. About a third of the corpus's validation lines also occur in the pretraining
# text; the same GPT on lines it has seen and on lines it has not:

# %%
val_lines = [s.lower() for s in corpus_lines(1000, seed=10_000)]
pretraining = corpus_lines(20_000, seed=0)                         # the GPT's pretraining lines
seen = set(s.lower() for s in pretraining)
for label, subset in (("seen in training", [s for s in val_lines if s in seen]),
                      ("never seen", [s for s in val_lines if s not in seen])):
    subset = [s for s in subset if words.unk_id not in words.encode(s)]
    nll, n = text_nll(gpt, [words.encode(s) for s in subset], words.eos_id)
    print(f"{label:>17}: {len(subset):>3} lines, perplexity {perplexity(nll / n):.2f}, "
          f"bits/char {bits_per_byte(nll, sum(len(s) + 1 for s in subset)):.3f}")

# %% [markdown]
# In this run the lines it has seen look easier. Evaluating on text that leaked into training (benchmark
# *contamination*) flatters a model.
#
# ## Lab 2 — Task metrics: accuracy, precision, recall, F1
#
# Task metrics need a task. We make one from the GPT: flag a sentence as *scrambled* when its mean
# negative log-likelihood per token is above a threshold, set on clean sentences only (their 95th
# percentile). The test set has 180 clean held-out sentences and 20 with their words shuffled: the positive
# class is rare, as in most detection tasks.

# %%
pool = [s.lower() for s in held_out_lines(600, seed=20_000) if s.endswith(" .") and len(s.split()) >= 6]
calibration, clean, to_scramble = pool[:100], pool[100:280], pool[280:300]
gen = torch.Generator().manual_seed(0)
scrambled = [" ".join(s.split()[i] for i in torch.randperm(len(s.split()), generator=gen)) for s in to_scramble]


def mean_nll(lines):
    """Mean negative log-likelihood per token of each line, read after <eos>."""
    logps = continuation_logprobs(gpt, [words.eos_id], [words.encode(s) for s in lines])
    return torch.stack([-lp.mean() for lp in logps])


threshold = mean_nll(calibration).quantile(0.95).item()
texts = clean + scrambled
y_true = [0] * len(clean) + [1] * len(scrambled)
scores = mean_nll(texts)
y_pred = (scores > threshold).long().tolist()

always_clean = [0] * len(texts)
for name, pred in (("GPT detector", y_pred), ("always 'clean'", always_clean)):
    acc = sum(p == t for p, t in zip(pred, y_true)) / len(y_true)
    p, r, f1 = precision_recall_f1(y_true, pred, positive=1)
    print(f"{name:>15}: accuracy {acc:.3f} · precision {p:.3f} · recall {r:.3f} · F1 {f1:.3f}")

# %%
# NBVAL_CHECK_OUTPUT
ours = precision_recall_f1(y_true, y_pred, positive=1)
theirs = sklearn.metrics.precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)[:3]
print("course.metrics equals scikit-learn:", all(abs(a - b) < 1e-12 for a, b in zip(ours, theirs)))
print("the do-nothing baseline scores accuracy", f"{sum(t == 0 for t in y_true) / len(y_true):.2f}", "and F1",
      precision_recall_f1(y_true, always_clean)[2])
false_alarms = sum(p == 1 and t == 0 for p, t in zip(y_pred, y_true))
print(f"clean sentences flagged: {false_alarms} of {len(clean)} ({false_alarms / len(clean):.3f})")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
clean_scores = scores[:len(clean)]
for ax, lo, hi, title in ((axes[0], scores.min().item(), scores.max().item(), "All 200 test sentences"),
                          (axes[1], clean_scores.min().item(), clean_scores.max().item(),
                           "Zoom on the clean sentences: the false alarms")):
    bins = torch.linspace(lo, hi, 40).numpy()                                     # shared bins: same widths
    ax.hist(clean_scores.numpy(), bins=bins, alpha=0.7, label=f"clean ({len(clean)})")
    ax.hist(scores[len(clean):].numpy(), bins=bins, alpha=0.7, label=f"scrambled ({len(scrambled)})")
    ax.axvline(threshold, color="black", ls="--", lw=1, label="threshold (95th pct. of calibration)")
    ax.set(xlabel="mean NLL per token (nats)", ylabel="sentences", title=title, xlim=(lo, hi))
axes[1].axvspan(threshold, clean_scores.max().item(), color="tab:red", alpha=0.12,
                label=f"clean but flagged ({false_alarms})")
for ax in axes:
    ax.legend(fontsize=8)
fig.suptitle("The GPT as a detector of scrambled text", fontsize=10)
fig.tight_layout()

# %% [markdown]
# The do-nothing baseline reaches 90 % accuracy with zero recall: accuracy hides the rare class, F1 does not.
# The detector's own weak point is precision: a threshold at the 95th percentile of the calibration sentences
# flags some clean test sentences too (printed above: a little more than the 5 % the calibration set implies),
# and with a rare positive class those false alarms weigh heavily — the shaded part of the right panel.
# Note also what this number measures: a detector built *on* the LM, with a threshold we chose. Task
# metrics evaluate a system on a task; the intrinsic quality of the LM is Lab 1's bits per byte.
#
# ## Lab 3 — BLEU, step by step
#
# BLEU compares a system's output with one or more references, by n-gram overlap. For one sentence and
# one reference:
#
# 1. for n = 1…4, count the hypothesis n-grams, **clip** each count at its count in the reference (so
#    repeating "the the the" earns nothing), and divide by the number of hypothesis n-grams;
# 2. take the **geometric mean** of the four precisions;
# 3. multiply by the **brevity penalty** exp(1 − r/c) when the hypothesis (length c) is shorter than the
#    reference (length r): precision alone would reward saying very little.

# %%
reference = "the clever robots that many dogs see sing today ."
hypothesis = "the clever robots that the dogs see sing ."
hyp, ref = hypothesis.split(), reference.split()


def ngram_counts(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


precisions = []
for n in range(1, 5):
    hyp_counts, ref_counts = ngram_counts(hyp, n), ngram_counts(ref, n)
    clipped = sum(min(c, ref_counts[g]) for g, c in hyp_counts.items())
    precisions.append(clipped / sum(hyp_counts.values()))
    print(f"{n}-grams: {clipped} of {sum(hyp_counts.values())} match → precision {precisions[-1]:.3f}")
geo_mean = math.exp(sum(math.log(p) for p in precisions) / 4)
brevity = min(1.0, math.exp(1 - len(ref) / len(hyp)))
print(f"geometric mean {geo_mean:.4f} × brevity penalty {brevity:.4f} (c = {len(hyp)}, r = {len(ref)}) "
      f"→ BLEU {100 * geo_mean * brevity:.2f}")

# %% [markdown]
# For a corpus, BLEU pools the clipped matches and the n-gram totals of all sentences *before* dividing,
# and the brevity penalty uses the total lengths — it is not an average of sentence scores.
# `course.metrics.bleu` does that (with any number of references); sacrebleu, the standard
# implementation, gives the same numbers on our whitespace tokens:

# %%
# NBVAL_CHECK_OUTPUT
hyps = [hypothesis, "many quiet teachers laugh .", "some birds are happy again ."]
refs = [[reference, "many quiet teachers laugh slowly .", "some birds are happy again ."]]
sacre = sacrebleu.corpus_bleu(hyps, refs, tokenize="none", smooth_method="none")
print(f"one sentence: ours {100 * geo_mean * brevity:.4f} · course.metrics {bleu([hypothesis], [[reference]]):.4f} · "
      f"sacrebleu {sacrebleu.corpus_bleu([hypothesis], [[reference]], tokenize='none', smooth_method='none').score:.4f}")
print(f"corpus of 3:  course.metrics {bleu(hyps, refs):.4f} · sacrebleu {sacre.score:.4f}")
print(f"mean of the three sentence scores: {sum(bleu([h], [[r]]) for h, r in zip(hyps, refs[0])) / 3:.4f} (not BLEU)")
para, ref_para = "the robots sing", "the robots are singing"
shared = ngram_counts(para.split(), 2) & ngram_counts(ref_para.split(), 2)
print(f"paraphrase “{para}” against “{ref_para}”: {sum(shared.values())} shared bigram, "
      f"BLEU {bleu([para], [[ref_para]]):.1f}")

# %% [markdown]
# BLEU counts surface overlap: the paraphrase in the last line shares a single bigram with its reference and
# no trigram, so its BLEU is zero, though the two mean the same. It is a corpus-level metric for systems with references (translation, chapter
# [47](47_seq2seq.ipynb)); it says nothing about a language model's likelihood.
#
# ## Lab 4 — A multiple-choice benchmark, scored by likelihood
#
# Benchmarks such as HellaSwag or MMLU are run by evaluation harnesses (EleutherAI's lm-evaluation-harness)
# without generating anything: each option is appended to the question, the model's log-likelihood of the
# option's tokens is computed, and the highest-scoring option is the model's answer. Summed log-likelihood
# favours short options (fewer negative terms), so harnesses also report a **length-normalized** score.
# Our made-up benchmark has four tasks in the corpus's language:

# %%
bench = tiny_benchmark(n_per_task=25, seed=0)
shown = {}
for item in bench:
    shown.setdefault(item.task, item)
for task, item in shown.items():
    print(f"{task:>12}: “{item.context}” → {item.options}  (right: {item.options[item.answer]!r})")

# %%
picks = {"sum": [], "mean per token": []}
sum_wrong_shortest = []    # completion items the sum gets wrong: was its pick the shortest option?
for item in bench:
    logps = continuation_logprobs(gpt, [words.eos_id] + words.encode(item.context),
                                  [words.encode(o) for o in item.options])
    for rule, score in (("sum", [lp.sum() for lp in logps]), ("mean per token", [lp.mean() for lp in logps])):
        picks[rule].append(int(torch.stack(score).argmax()) == item.answer)
    if item.task == "completion" and not picks["sum"][-1]:
        chosen = int(torch.stack([lp.sum() for lp in logps]).argmax())
        sum_wrong_shortest.append(len(logps[chosen]) == min(len(lp) for lp in logps))

tasks = list(shown)
accuracy_by = {rule: [sum(ok for ok, it in zip(p, bench) if it.task == t) / 25 for t in tasks] for rule, p in picks.items()}
chance = [1 / len(shown[t].options) for t in tasks]
print(f"{'task':>12} {'chance':>7} {'sum':>6} {'mean/token':>10}")
for i, t in enumerate(tasks):
    print(f"{t:>12} {chance[i]:>7.2f} {accuracy_by['sum'][i]:>6.2f} {accuracy_by['mean per token'][i]:>10.2f}")
print(f"{'all':>12} {sum(chance) / len(chance):>7.2f} " + " ".join(
    f"{sum(p) / len(p):>{w}.2f}" for p, w in zip(picks.values(), (6, 10))))
print(f"completion items the sum gets wrong: {len(sum_wrong_shortest)}, of which it picked the shortest "
      f"option {sum(sum_wrong_shortest)}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.4))
xs = torch.arange(len(tasks)).float()
for k, (rule, accs) in enumerate(accuracy_by.items()):
    bars = ax.bar(xs + (k - 0.5) * 0.38, accs, width=0.38, label=f"log-likelihood: {rule}")
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
for x, c in zip(xs, chance):
    ax.hlines(c, x - 0.4, x + 0.4, color="black", ls=":", lw=1.2)
ax.plot([], [], color="black", ls=":", label="chance")
ax.set(xticks=xs.tolist(), xticklabels=tasks, ylabel="accuracy", ylim=(0, 1.15),
       title="The pretrained tiny GPT on a made-up benchmark (25 items per task)")
ax.legend(fontsize=8, loc="upper right", ncol=3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("items:", len(bench), "· tasks:", tasks)
print("per-token normalization beats the sum on completion:",
      accuracy_by["mean per token"][tasks.index("completion")] > accuracy_by["sum"][tasks.index("completion")])

# %% [markdown]
# The model solves agreement and needs normalization on completion (the summed score prefers the two-word
# scrambles). Recall stays close to chance: the model would have to copy a year or a city stated earlier in
# the context, and its pretraining text never asked for that — its question-answering lines end with the
# question, never the answer:

# %%
# NBVAL_CHECK_OUTPUT
qa_lines = [s for s in pretraining if " was born in " in s]
print(f"pretraining lines that state a birth year: {len(qa_lines):,}, of which end with a question: "
      f"{sum(s.endswith('?') for s in qa_lines):,}")

# %% [markdown]
# So the benchmark is partly solved, and its per-task breakdown says where. A benchmark's number depends on
# the scoring rule: reports should say which (lm-evaluation-harness prints `acc` and `acc_norm`, the latter
# normalized by the option's length in characters).
#
# ## Self-test
#
# **Exercise 1.** BLEU's clipped n-gram matches, with several references (Lab 3 used one).

# %%
from course.selftest import exercise

exercise("09.clipped_matches")

# %%
def clipped_matches(hypothesis, references, n):
    # your code here
    raise NotImplementedError


exercise("09.clipped_matches").check(clipped_matches)

# %% [markdown]
# **Exercise 2.** Pick a multiple-choice answer from per-token log-probabilities, with the character-length
# normalization that harnesses call `acc_norm`.

# %%
exercise("09.choose_option")

# %%
def choose_option(token_logprobs, options, normalize="none"):
    # your code here
    raise NotImplementedError


exercise("09.choose_option").check(choose_option)

# %% [markdown]
# Stuck? `exercise("09.choose_option").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(9)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 先分清两类评估。① 内在评估：在**未参与训练**的文本上算交叉熵，困惑度 = exp(每 token 平均损失)。但每 token 的损失依赖分词器：字符模型预测的 token 多而容易，困惑度低却不代表更好（本实验中字符 bigram 的困惑度在三个 bigram 中最低，每字符比特数却最高）。不同词表之间要比较每字节（或每字符）比特数，即 bits per byte = 总负对数似然 /（字节数 × ln2）。② 任务评估：分类用准确率，类别不平衡时看精确率、召回率、F1；翻译用 BLEU（裁剪后 1–4 元精确率的几何平均乘以长度惩罚，语料级计算，应使用 sacrebleu 保证可复现）；大模型基准（如 MMLU、HellaSwag）按每个选项的对数似然打分，求和或按长度归一化后取最高者，再报准确率。还要防止测试集泄漏进训练数据；开放式生成再辅以人工评估。
#
# **English:** Two kinds of evaluation. Intrinsic: cross-entropy on held-out text (never seen in training);
# perplexity = exp(mean loss per token). Per-token numbers depend on the tokenizer — in this lab the character
# bigram has the lowest perplexity of three bigrams and the worst bits per character — so across vocabularies compare bits per
# byte: total NLL / (bytes · ln 2). Extrinsic: accuracy for classification, precision/recall/F1 when classes
# are imbalanced; BLEU for translation (geometric mean of clipped 1–4-gram precisions times a brevity
# penalty, corpus-level; report sacrebleu's); LLM benchmarks score each option by its log-likelihood, summed
# or length-normalized, and report accuracy. Guard against test data leaking into training, and use human
# evaluation for open-ended generation.

# %% [markdown]
# ## Further reading
#
# - Papineni, Roukos, Ward, Zhu — *BLEU: a Method for Automatic Evaluation of Machine Translation* (2002).
# - Post — *A Call for Clarity in Reporting BLEU Scores* (sacrebleu, 2018).
# - Jelinek, Mercer, Bahl, Baker — *Perplexity — a measure of the difficulty of speech recognition tasks* (1977).
# - Gao et al. — *The Pile: An 800GB Dataset of Diverse Text for Language Modeling* (2020): bits per byte across tokenizers.
# - Zellers et al. — *HellaSwag: Can a Machine Really Finish Your Sentence?* (2019).
# - Biderman et al. — *Lessons from the Trenches on Reproducible Evaluation of Language Models* (lm-evaluation-harness, 2024).
