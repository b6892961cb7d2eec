# %% [markdown]
# # Chapter 19 · How does GPT's generation algorithm keep the generated text coherent?
#
# **题目：** GPT 模型的生成算法如何保证生成的文本连贯性？ — 请解释 GPT 模型的生成算法如何保证生成的文本连贯性。
#
# **Question:** How does GPT's generation algorithm keep the generated text coherent? Explain.
#
# **Time:** about 30 minutes · **Prerequisites:** [14 · GPT's generation process](14_gpt_generation.ipynb) ·
# **Related:** [1 · basic principles](01_llm_basics.ipynb), [47 · sequence to sequence](47_seq2seq.ipynb)
#
# **Objectives**
# - Measure why "always pick the most probable word" degenerates: greedy and beam search fall into loops.
# - Apply temperature, top-k, top-p and a repetition penalty to real logits, and check them against
#   transformers (its logits processors, and its sampling `generate()` token for token).
# - Plot the trade-off that decoding controls: repetition (distinct-2) against likelihood, as the
#   temperature varies, with the model's own training text as the yardstick.

# %% [markdown]
# ## Try first
#
# Write your interview answer: what makes generated text coherent, and what can the decoding algorithm
# do about it? What goes wrong if it always takes the most probable next word?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “自回归模型：每次生成下一个词时，都依赖于之前生成的词…使得生成的文本能够保持连贯性” | incomplete | Conditioning on the past makes coherence *possible*; it guarantees nothing. Coherence comes from how well the trained model predicts, and the decoding rule can still wreck it: the same model loops under greedy decoding and drifts into nonsense at high temperature. | Labs 1, 3 |
# | “选择概率最高的词作为下一个词…有助于模型生成符合语言规律的文本” | **wrong** | Always taking the most probable word (greedy; beam search is its wider cousin) makes text *repetitive*: it falls into loops that the training text never contains, although each loop is highly probable under the model. Deployed systems sample, with truncation (top-k, top-p) and often a repetition penalty. | Labs 1, 4 |
# | “平滑处理：使用 softmax 函数，避免生成概率过低的词” | **wrong** | Softmax only turns logits into probabilities; it gives **every** token a positive probability, so by itself it avoids nothing. The low-probability tail is cut by **top-k / top-p** truncation; **temperature** sharpens or flattens the distribution before softmax. | Lab 2 |
# | (missing) | — | The knobs trade two failures against each other: too greedy → repetition; too random → incoherence. Distinct-n measures the first, the model's log-likelihood the second, and the model's own training text shows where good text lies. | Lab 3 |

# %%
import matplotlib.pyplot as plt
import torch

from course.generate import apply_repetition_penalty, beam_search, filter_logits, generate
from course.metrics import distinct_n
from course.pretrained import RECIPES, corpus_lines, load_tiny_gpt
from course.runtime import seed_everything

seed_everything(0)
gpt, tok = load_tiny_gpt()                       # the course's pretrained 4-layer GPT (chapter 14)

# %% [markdown]
# **Prompts and the yardstick.** Lines of the course corpus drawn with another seed than the training
# text; the corpus is a small grammar, so many of them occur verbatim in the training text too, and those
# are dropped. Of the rest, 24 different three-word openings, each with the 40 tokens that really follow it
# in that text. Continuations are 40 tokens long and do not stop at `<eos>`: the model writes on into the
# next line, as its training stream does.

# %%
N_NEW, N_PROMPTS = 40, 24
recipe = RECIPES["gpt"]
trained_on = set(corpus_lines(recipe.n_lines, recipe.seed))                         # the tiny GPT's training lines
drawn = corpus_lines(400, seed=123)
lines = [line for line in drawn if line not in trained_on]                          # unseen lines only
stream = [i for line in lines for i in tok.encode(line) + [tok.eos_id]]
starts, seen, offset = [], set(), 0
for line in lines:
    opening = tuple(tok.encode(line)[:3])
    if opening not in seen and len(starts) < N_PROMPTS:
        seen.add(opening)
        starts.append(offset)
    offset += len(tok.encode(line)) + 1
prompts = torch.tensor([[tok.eos_id] + stream[s:s + 3] for s in starts])            # (24, 4)
human = torch.tensor([stream[s:s + 3 + N_NEW] for s in starts])                    # the real text
human = torch.cat([prompts[:, :1], human], dim=1)                                   # (24, 44)
P = prompts.shape[1]


def new_text(seqs: torch.Tensor) -> list[str]:
    return [tok.decode(row[P:].tolist()) for row in seqs]


def token_logp(seqs: torch.Tensor) -> torch.Tensor:
    """Log-probability, under the model at temperature 1, of every token after the prompt: (B, T - P)."""
    with torch.inference_mode():
        logp = gpt(seqs[:, :-1]).logits.log_softmax(-1)
    return logp.gather(-1, seqs[:, 1:, None])[..., 0][:, P - 1:]


def loglik(seqs: torch.Tensor) -> float:
    """Mean log-probability per token of everything after the prompt."""
    return token_logp(seqs).mean().item()


def tail_share(seqs: torch.Tensor) -> float:
    """Share of the tokens after the prompt to which the model gives a probability below 0.01."""
    return (token_logp(seqs).exp() < 0.01).float().mean().item()


def distinct2(seqs: torch.Tensor) -> float:
    """Distinct-2 of each continuation on its own, averaged: 1 = no word pair repeats within a text."""
    return sum(distinct_n([t], 2) for t in new_text(seqs)) / len(seqs)


def repeats_itself(row: torch.Tensor, n: int = 7) -> bool:
    """True when the continuation writes some stretch of n tokens (a short sentence with its <eos>) twice."""
    new = row[P:].tolist()
    stretches = [tuple(new[i:i + n]) for i in range(len(new) - n + 1)]
    return len(set(stretches)) < len(stretches)


def looping(seqs: torch.Tensor) -> float:
    """Share of the continuations that repeat a 7-token stretch they already wrote."""
    return sum(repeats_itself(row) for row in seqs) / len(seqs)


print(f"{len(drawn) - len(lines)} of the {len(drawn)} drawn lines are also training lines: dropped")
print(f"{len(prompts)} prompts, e.g. {[tok.decode(p[1:].tolist()) for p in prompts[:4]]}")

# %% [markdown]
# ## Lab 1 — Always the most probable word: loops
#
# Greedy decoding takes the argmax at every step. Here are three of its continuations, and how many of the
# 24 loop — write again a stretch of 7 tokens they already wrote, as long as a short sentence of this
# corpus with its `<eos>` — next to the real text:

# %%
greedy = generate(gpt, prompts, N_NEW, greedy=True)
for text, prompt in list(zip(new_text(greedy), prompts))[:3]:
    print(f"{tok.decode(prompt[1:].tolist())!r:>22} → {text}")

# %%
print(f"loop (repeat 7 tokens): greedy {looping(greedy):.0%} · the real text {looping(human):.0%}")
print(f"distinct-2:    greedy {distinct2(greedy):.2f} · the real text {distinct2(human):.2f}")
print(f"log-likelihood per token: greedy {loglik(greedy):.2f} · the real text {loglik(human):.2f}")

# %%
# NBVAL_CHECK_OUTPUT
print("more than half of the greedy continuations loop:", looping(greedy) > 0.5)
print("none of the real continuations does:", looping(human) == 0)
print("greedy text repeats more word pairs than the real text:", distinct2(greedy) < distinct2(human))
print("the model finds greedy text more probable than the real text:", loglik(greedy) > loglik(human))

# %% [markdown]
# The loops are not a failure to find probable text: the model rates the greedy continuations as *more*
# probable per token than the real text. Once a line of the template “the meal/show was never really
# good” is written, another line of it is at every step the most probable choice. On large models each repetition
# even makes the next one more probable, a self-reinforcing loop (Holtzman et al., 2020; Xu et al., 2022).
# Maximizing likelihood step by step is not the same as producing text like the training text.

# %% [markdown]
# ## Lab 2 — The knobs, checked against transformers
#
# All of them act on the logits of the next token, before sampling:
#
# - **temperature** T divides the logits: T < 1 sharpens the distribution, T > 1 flattens it, T → 0 is greedy;
# - **top-k** keeps the k most probable tokens;
# - **top-p** (nucleus) keeps the smallest set of most probable tokens whose probabilities add up to p,
#   so the number kept adapts to the distribution's shape;
# - a **repetition penalty** (CTRL, Keskar et al., 2019) lowers the logit of every token already present.
#
# Transformers' `generate()` implements each as a logits processor. On the tiny GPT's logits after 24
# prompts, the course's filters and penalty give the same result:

# %%
from transformers.generation.logits_process import (RepetitionPenaltyLogitsProcessor, TopKLogitsWarper,
                                                    TopPLogitsWarper)

with torch.inference_mode():
    logits = gpt(prompts).logits[:, -1]                                     # (24, V)
kept = lambda x: x.isfinite()                                               # which tokens survive a filter
checks = {
    "top-k 10": torch.equal(kept(filter_logits(logits, top_k=10)), kept(TopKLogitsWarper(10)(prompts, logits.clone()))),
    "top-p 0.9": torch.equal(kept(filter_logits(logits, top_p=0.9)), kept(TopPLogitsWarper(0.9)(prompts, logits.clone()))),
    "repetition penalty 1.3": torch.allclose(apply_repetition_penalty(logits, prompts, 1.3),
                                             RepetitionPenaltyLogitsProcessor(1.3)(prompts, logits.clone())),
}

# %%
# NBVAL_CHECK_OUTPUT
for name, same in checks.items():
    print(f"{name:>22}: same as transformers: {same}")
top_p_sizes = kept(filter_logits(logits, top_p=0.9)).sum(-1)
print(f"top-p 0.9 keeps between {top_p_sizes.min().item()} and {top_p_sizes.max().item()} tokens, "
      f"depending on the prompt; top-k 10 keeps {kept(filter_logits(logits, top_k=10)).sum(-1).unique().tolist()}")
print(f"softmax alone leaves {int((logits.softmax(-1) > 0).sum(-1).min())} of {tok.vocab_size} tokens possible")

# %% [markdown]
# Temperature is a division, and the filters are only half of sampling: the other half is softmax and the
# draw. The whole path is checked end to end on chapter 14's random-weight GPT-2 and its copy in the course
# GPT: with the same seed, the course's `generate` samples the same tokens as transformers' `generate()`.

# %%
from transformers import GPT2Config, GPT2LMHeadModel

from course.models import gpt_from_hf_gpt2

torch.manual_seed(0)
hf_gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=97, n_positions=64, n_embd=64, n_layer=2, n_head=4,
                                     initializer_range=0.2, bos_token_id=None, eos_token_id=None)).eval()
ours = gpt_from_hf_gpt2(hf_gpt2)
ids = torch.randint(1, 97, (3, 6), generator=torch.Generator().manual_seed(1))      # 3 prompts of 6 ids

# %%
# NBVAL_CHECK_OUTPUT
for sampling in (dict(temperature=0.7), dict(top_k=10), dict(top_p=0.9)):
    torch.manual_seed(5)
    theirs = hf_gpt2.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=24, do_sample=True,
                              pad_token_id=0, **{"top_k": 0, **sampling})         # top_k=0: transformers' default 50 off
    torch.manual_seed(5)
    mine = generate(ours, ids, 24, **sampling)
    print(f"sampling with {sampling}: same 3 × 24 tokens as transformers: {torch.equal(mine, theirs)}")

# %% [markdown]
# What the filters do to one distribution, after the prompt “the movie was”:

# %%
context = torch.tensor([[tok.eos_id] + tok.encode("the movie was")])
with torch.inference_mode():
    movie = gpt(context).logits[:, -1]                                     # (1, V)
settings = {"T = 1": movie, "T = 0.5": movie / 0.5, "T = 1.5": movie / 1.5,
            "top-k 5": filter_logits(movie, top_k=5), "top-p 0.8": filter_logits(movie, top_p=0.8)}
order = movie[0].argsort(descending=True)[:12]
fig, axes = plt.subplots(1, len(settings), figsize=(12, 3), sharey=True)
for ax, (name, row) in zip(axes, settings.items()):
    probs = row.softmax(-1)[0, order]
    ax.bar(range(12), probs.tolist(), color="#1f77b4")
    ax.set_xticks(range(12), [tok.itos[i] for i in order.tolist()], rotation=70, fontsize=8)
    ax.set_title(name, fontsize=10)
axes[0].set_ylabel("probability of the next word")
fig.suptitle("Next word after “the movie was”: the 12 most probable, under each setting", fontsize=10)
fig.tight_layout()

# %% [markdown]
# **Explore.** Move the sliders (in JupyterLab) to see the distribution under any combination; top-k 0
# and top-p 1 mean "off".

# %%
import ipywidgets as widgets


def show_filters(temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0):
    row = filter_logits(movie / temperature, top_k=top_k or None, top_p=top_p if top_p < 1 else None)
    probs = row.softmax(-1)[0, order]
    fig, ax = plt.subplots(figsize=(6.5, 2.8))
    ax.bar(range(12), probs.tolist(), color="#1f77b4")
    ax.set_xticks(range(12), [tok.itos[i] for i in order.tolist()], rotation=60, fontsize=8)
    ax.set(ylim=(0, 1), ylabel="probability",
           title=f"T={temperature:.2f}, top-k={top_k or 'off'}, top-p={top_p:.2f}: "
                 f"{int(row.isfinite().sum())} tokens can be drawn")
    fig.tight_layout()
    plt.show()


widgets.interact(show_filters,
                 temperature=widgets.FloatSlider(min=0.1, max=2.0, step=0.1, value=1.0),
                 top_k=widgets.IntSlider(min=0, max=20, value=0),
                 top_p=widgets.FloatSlider(min=0.05, max=1.0, step=0.05, value=1.0));

# %% [markdown]
# ## Lab 3 — Repetition against likelihood, as the temperature varies
#
# Sampling at temperatures from 0.25 to 2 (the same 24 prompts, a fixed seed), with top-k 10 and top-p 0.9
# at T = 1 beside them. For each setting: distinct-2 (higher = less repetition) and the log-likelihood
# per token under the model at T = 1 (higher = the model finds the text more probable); the share of the
# loops defined in Lab 1; and the share of tokens from the tail, to which the model gives a probability
# below 0.01.

# %%
temperatures = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
runs = {f"T={t}": generate(gpt, prompts, N_NEW, temperature=t, generator=torch.Generator().manual_seed(0))
        for t in temperatures}
runs["top-k 10"] = generate(gpt, prompts, N_NEW, top_k=10, generator=torch.Generator().manual_seed(0))
runs["top-p 0.9"] = generate(gpt, prompts, N_NEW, top_p=0.9, generator=torch.Generator().manual_seed(0))
runs["greedy"], runs["real text"] = greedy, human
scores = {name: (distinct2(seqs), loglik(seqs), looping(seqs), tail_share(seqs)) for name, seqs in runs.items()}
print(f"{'':>10}  distinct-2  log-lik/token  loops  p < 0.01")
for name, (d2, ll, loops, tail) in scores.items():
    print(f"{name:>10}  {d2:>10.2f}  {ll:>13.2f}  {loops:>5.0%}  {tail:>8.1%}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.6))
for ax, column, label in ((axes[0], 0, "distinct-2 (per text)"), (axes[1], 1, "log-likelihood per token")):
    ax.plot(temperatures, [scores[f"T={t}"][column] for t in temperatures], marker="o", label="sampling at T")
    ax.axhline(scores["real text"][column], color="green", ls="--", label="real text")
    ax.axhline(scores["greedy"][column], color="red", ls=":", label="greedy")
    for name, marker in (("top-k 10", "s"), ("top-p 0.9", "^")):
        ax.scatter([1.0], [scores[name][column]], marker=marker, s=50, zorder=5, label=f"{name} (T = 1)")
    ax.set(xlabel="temperature T", ylabel=label)
    ax.grid(alpha=0.3)
axes[0].set_title("Repetition: higher is more varied")
axes[1].set_title("Likelihood: higher is more probable")
axes[1].legend(fontsize=8, loc="lower left")
fig.tight_layout()

# %% [markdown]
# Low temperatures approach greedy: likely but repetitive. High temperatures add variety by drawing from
# the tail (the last column grows with T), and the likelihood collapses far below the real text's. Top-k
# and top-p at T = 1 cut the tail: they draw fewer tokens below probability 0.01 than plain sampling at
# T = 1, and their text is more probable than the real text. The same prompt at three temperatures:

# %%
for name in ("T=0.25", "T=1.0", "T=2.0"):
    print(f"{name:>7}: {new_text(runs[name])[1]}")

# %% [markdown]
# In this run:

# %%
# NBVAL_CHECK_OUTPUT
d2_t = [scores[f"T={t}"][0] for t in temperatures]
ll_t = [scores[f"T={t}"][1] for t in temperatures]
print("distinct-2 rises with the temperature:", d2_t[0] < d2_t[3] < d2_t[-1])
print("likelihood falls with the temperature:", ll_t[0] > ll_t[3] > ll_t[-1])
print("greedy is more likely than the real text, and more repetitive:",
      scores["greedy"][1] > scores["real text"][1] and scores["greedy"][0] < scores["real text"][0])
print("T = 2 is far less likely than the real text:", ll_t[-1] < scores["real text"][1] - 1)
print("sampling at T = 0.25 loops less often than greedy:", scores["T=0.25"][2] < scores["greedy"][2])
print("top-k 10 and top-p 0.9 draw fewer tail tokens than T = 1:",
      max(scores["top-k 10"][3], scores["top-p 0.9"][3]) < scores["T=1.0"][3])

# %% [markdown]
# ## Lab 4 — Repetition penalty and beam search
#
# Two ways to stay deterministic. A repetition penalty on greedy decoding lowers every token already
# written; beam search keeps the 4 most probable partial continuations instead of one (here on the first
# 6 prompts only, to keep it fast; greedy on the same 6 beside it).

# %%
penalized = {p: generate(gpt, prompts, N_NEW, greedy=True, repetition_penalty=p) for p in (1.2, 1.5)}
beams = torch.cat([beam_search(gpt, prompts[i:i + 1], N_NEW, beam_size=4)[0] for i in range(6)])
print(f"{'':>20}  distinct-2  log-lik/token  loops")
for name, seqs in [("greedy", greedy), ("greedy, penalty 1.2", penalized[1.2]), ("greedy, penalty 1.5", penalized[1.5]),
                   ("greedy, 6 prompts", greedy[:6]), ("beam 4, 6 prompts", beams)]:
    print(f"{name:>20}  {distinct2(seqs):>10.2f}  {loglik(seqs):>13.3f}  {looping(seqs):>5.0%}")
print("\npenalty 1.5:", new_text(penalized[1.5])[0])
print("beam 4:     ", new_text(beams)[0])

# %% [markdown]
# In this run the penalty breaks the loops without sampling, at a cost in likelihood that grows with the
# penalty (1.2 vs 1.5 above); and it penalizes every repeated word — also “the” and “.”, which good text
# repeats. Beam search finds continuations a little more probable than greedy's and loops just
# as often: the search is better, the objective is the problem. Note also Lab 3: sampling,
# even at T = 0.25, looped far less often than greedy. This is why open-ended generation samples
# (with top-p, top-k and a mild temperature), while beam search is kept for tasks with one right output,
# such as translation (chapter 47).

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** The nucleus (top-p) filter that Lab 2 called from the package.

# %%
from course.selftest import exercise

exercise("19.top_p_filter")

# %%
def top_p_filter(logits, p):
    # your code here
    raise NotImplementedError


exercise("19.top_p_filter").check(top_p_filter)

# %% [markdown]
# **Exercise 2.** The repetition penalty of Lab 4.

# %%
exercise("19.repetition_penalty")

# %%
def repetition_penalty(logits, idx, penalty):
    # your code here
    raise NotImplementedError


exercise("19.repetition_penalty").check(repetition_penalty)

# %% [markdown]
# Stuck? `exercise("19.repetition_penalty").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(19)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 连贯性首先来自训练好的模型：自回归地以全部上文为条件预测下一个词。解码算法决定如何从这个分布里取词，它能保住也能毁掉连贯性。总是取概率最高的词（贪心，或 beam search）并不好：文本会陷入循环（本章实验里大部分贪心续写会重复自己已经写过的句子，而真实文本没有），而且这些重复文本在模型看来比真实文本更“可能”。softmax 不会“避免低概率词”，它给每个词都分配正概率；真正截掉长尾的是 top-k / top-p，温度则在 softmax 之前让分布变尖或变平。温度太低 → 重复，太高 → 胡言乱语（似然骤降）。实践中用采样 + top-p/top-k + 适中温度，必要时加重复惩罚（CTRL：已出现过的词，logit 为正则除以惩罚系数，为负则乘以惩罚系数）；beam search 用于翻译等有标准答案的任务。
#
# **English:** Coherence comes first from the trained model, which predicts each word from the whole
# preceding context; the decoding rule decides how words are drawn from that distribution and can keep or
# wreck it. Always taking the most probable word (greedy, or beam search) degenerates into loops — most
# greedy continuations in this chapter repeat a sentence they already wrote, the real text never does — and the model even rates
# those loops more probable than real text. Softmax does not "avoid low-probability words": every token
# keeps a positive probability; top-k / top-p truncation cuts the tail, and temperature sharpens or
# flattens before softmax. Too cold → repetition; too hot → incoherence (likelihood collapses). In practice:
# sampling with top-p/top-k and a moderate temperature, optionally a repetition penalty (CTRL); beam search
# for tasks with one right answer, like translation.

# %% [markdown]
# ## Further reading
#
# - Holtzman, Buys, Du, Forbes, Choi — *The Curious Case of Neural Text Degeneration* (2020): top-p, and
#   why likelihood-maximizing decoding repeats.
# - Fan, Lewis, Dauphin — *Hierarchical Neural Story Generation* (2018): top-k sampling.
# - Keskar, McCann, Varshney, Xiong, Socher — *CTRL: A Conditional Transformer Language Model for
#   Controllable Generation* (2019): the repetition penalty.
# - Li, Galley, Brockett, Gao, Dolan — *A Diversity-Promoting Objective Function for Neural Conversation
#   Models* (2016): distinct-n.
# - Xu, Liu, Yan, Cai, Li, Li — *Learning to Break the Loop: Analyzing and Mitigating Repetitions for
#   Neural Text Generation* (2022): repetitions reinforce themselves.
