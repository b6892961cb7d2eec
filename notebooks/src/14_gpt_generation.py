# %% [markdown]
# # Chapter 14 · What does GPT's generation process look like?
#
# **题目：** GPT 模型的生成过程是怎样的？ — 请简要介绍 GPT 模型的生成过程。
#
# **Question:** What does GPT's generation process look like? Briefly describe it.
#
# **Time:** about 25 minutes · **Prerequisites:** [1 · basic principles](01_llm_basics.ipynb),
# [4 · how attention works](04_how_attention_works.ipynb) · **Related:**
# [19 · coherent generation](19_coherent_generation.ipynb), [39 · attention complexity (3)](39_attention_complexity_3.ipynb)
#
# **Objectives**
# - Run the autoregressive loop by hand: one forward pass, the last position's logits, one token, append, repeat.
# - Show that the course GPT, given GPT-2's weights, generates exactly what transformers' `generate()`
#   generates, token for token, with and without the KV cache.
# - Measure what the KV cache saves (FLOPs per step) and what it costs (memory: the floats it holds).
# - Stop generation correctly: EOS, a length limit, stop strings that span several tokens.

# %% [markdown]
# ## Try first
#
# Write your interview answer: what happens, step by step, between a prompt and the finished text? Where
# could the work of one step be reused by the next?

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “输入编码：分词、编码” | correct | The prompt is tokenized into ids; the model embeds them. The whole prompt goes through the model in **one** parallel pass (the *prefill*). | Lab 1 |
# | “预测生成：…生成下一个词的概率分布…选择下一个词…作为输入序列的一部分” | incomplete | A pass yields logits at **every** position; only the **last** position's logits predict the new token. *How* the token is chosen (greedy, sampling, top-k/top-p, beam) is a separate decision (chapter 19). | Lab 1 |
# | “循环迭代：…直到…所需长度或停止条件” | incomplete | The stop conditions are concrete: an end-of-sequence token, a maximum number of new tokens (prompt + output must fit the context window; `course.generate` instead slides the window and recomputes without the cache), and stop strings, which may span several tokens, so the decoded text is searched. | Lab 4 |
# | “文本处理：对生成的文本进行后处理，如去噪、纠错” | **wrong** | No such step exists. The loop outputs token ids; the text is their decoding, cut at a stop string if one was hit. A GPT has no denoiser or corrector, and `generate()` of transformers returns the ids of the loop, which we reproduce token for token. | Labs 1, 2 |
# | (missing) | — | Done naively, every step recomputes the whole sequence. Real systems keep each layer's keys and values of past tokens (the **KV cache**), so a step processes only the newest token — same tokens, far fewer FLOPs, more memory. | Labs 2, 3 |

# %%
import time

import matplotlib.pyplot as plt
import torch
from torch.utils.flop_counter import FlopCounterMode

import course
from course.generate import generate, generate_text
from course.nn import record_attention
from course.pretrained import load_tiny_gpt
from course.runtime import seed_everything

seed_everything(0)
gpt, tok = load_tiny_gpt()                  # the course's pretrained 4-layer GPT, word tokens
print(f"tiny GPT: {gpt.config.n_layers} layers, d_model {gpt.config.d_model}, vocabulary {tok.vocab_size} words, "
      f"context {gpt.config.context}")

# %% [markdown]
# ## Lab 1 — The loop, one step at a time
#
# The tiny GPT was trained on lines separated by `<eos>`, so `<eos>` also marks the start of a text (GPT-2
# uses its `<|endoftext|>` the same way). The prompt becomes a row of ids; then the loop below runs. Each
# pass returns logits for every position, `(1, T, V)`; position *t* predicts token *t* + 1, so only the
# last position predicts a token we do not have yet.

# %%
prompt = "the dogs near the house"
ids = torch.tensor([[tok.eos_id] + tok.encode(prompt)])     # (1, T)
print("prompt ids:", ids[0].tolist())

trace = []                                                  # what the model saw and chose at each step
with torch.inference_mode():
    for step in range(8):
        logits = gpt(ids).logits                            # (1, T, V): one prediction per position
        probs = logits[0, -1].softmax(-1)                   # (V,): the next token's distribution
        choice = probs.argmax()                             # greedy: the most probable token
        trace.append((ids.shape[1], probs.topk(5)))
        ids = torch.cat([ids, choice.view(1, 1)], dim=1)    # append, and go again

for step, (length, top) in enumerate(trace):
    options = ", ".join(f"{tok.itos[i]} {p:.2f}" for p, i in zip(top.values.tolist(), top.indices.tolist()))
    print(f"step {step}: reads {length:>2} tokens → {options}")

# %% [markdown]
# At step 3 the model emits `<eos>`: the sentence is over, and a stop condition (Lab 4) would end the
# loop here. This bare loop knows none, so it runs on into a new line. The five most probable next words
# at each step, and the one greedy decoding took:

# %%
fig, axes = plt.subplots(2, 4, figsize=(11, 4.2), sharex=True)
for step, (ax, (length, top)) in enumerate(zip(axes.flat, trace)):
    words = [tok.itos[i] for i in top.indices.tolist()][::-1]
    ax.barh(words, top.values.tolist()[::-1], color=["#bbbbbb"] * 4 + ["#1f77b4"])
    ax.set_title(f"step {step} (reads {length} tokens)", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_xlim(0, 1)
for ax in axes[1]:
    ax.set_xlabel("probability")
fig.suptitle(f"Greedy continuation of “{prompt}”: the chosen word in blue", fontsize=10)
fig.tight_layout()

# %% [markdown]
# The package's `generate` runs the same loop (with the cache, below, or without). The finished text is
# nothing but the decoding of the new ids — there is no later clean-up pass:

# %%
# NBVAL_CHECK_OUTPUT
start = torch.tensor([[tok.eos_id] + tok.encode(prompt)])
for use_cache in (False, True):
    same = torch.equal(generate(gpt, start, 8, greedy=True, use_cache=use_cache), ids)
    print(f"package generate (use_cache={use_cache}) = the loop above: {same}")
print("text:", prompt, "→", tok.decode(ids[0, start.shape[1]:].tolist()))

# %% [markdown]
# ## Lab 2 — Token for token with transformers' `generate()`
#
# A real reference: a GPT-2 built by the transformers library from a small configuration (random weights,
# seeded, nothing downloaded), its weights copied into the course GPT with `gpt_from_hf_gpt2`. The
# weights are drawn with a larger spread (0.2) than GPT-2's 0.02, so that the untrained model's greedy
# output is not one token repeated (the first cell below prints both). Both libraries then decode
# greedily, each with and without its KV cache.

# %%
from transformers import GPT2Config, GPT2LMHeadModel

from course.models import gpt_from_hf_gpt2

torch.manual_seed(0)
hf_config = GPT2Config(vocab_size=97, n_positions=64, n_embd=64, n_layer=2, n_head=4,
                       initializer_range=0.2, bos_token_id=None, eos_token_id=None)
hf_gpt2 = GPT2LMHeadModel(hf_config).eval()
ours = gpt_from_hf_gpt2(hf_gpt2)
prompts = torch.randint(1, 97, (3, 6), generator=torch.Generator().manual_seed(1))   # 3 prompts of 6 ids

outputs = {}
for use_cache in (True, False):
    outputs["transformers", use_cache] = hf_gpt2.generate(
        prompts, attention_mask=torch.ones_like(prompts), max_new_tokens=24, do_sample=False,
        use_cache=use_cache, pad_token_id=0)
    outputs["course", use_cache] = generate(ours, prompts, 24, greedy=True, use_cache=use_cache)
row0 = outputs["transformers", True][0, 6:].tolist()
print(f"transformers, row 0: {row0} ({len(set(row0))} different tokens)")

torch.manual_seed(0)                        # the same model drawn with GPT-2's own spread, 0.02
narrow = GPT2LMHeadModel(GPT2Config(**{**hf_config.to_dict(), "initializer_range": 0.02})).eval()
row0_narrow = narrow.generate(prompts[:1], attention_mask=torch.ones_like(prompts[:1]), max_new_tokens=24,
                              do_sample=False, pad_token_id=0)[0, 6:].tolist()
print(f"with initializer_range=0.02, row 0 has {len(set(row0_narrow))} different token(s) in 24")

# %%
# NBVAL_CHECK_OUTPUT
reference = outputs["transformers", True]
for library, use_cache in (("transformers", False), ("course", True), ("course", False)):
    out = outputs[library, use_cache]
    print(f"{library:>12}, use_cache={use_cache!s:>5}: same {tuple(out.shape)} tokens as transformers with "
          f"its cache: {torch.equal(out, reference)}")
with torch.inference_mode():
    gap = (ours(prompts).logits - hf_gpt2(prompts).logits).abs().max().item()
print("logits agree within 1e-4:", gap < 1e-4)

# %% [markdown]
# The cache changes how much is computed, never what: with a causal mask a past token's keys and values
# cannot depend on later tokens, so they can be stored once and reused.

# %% [markdown]
# ## Lab 3 — What the KV cache saves, and what it costs
#
# We count the FLOPs of every step with `FlopCounterMode`, with attention on its manual path
# (`record_attention`) so that the score and weighted-sum matmuls are counted too. Without the cache a
# step runs the whole sequence again; with it, the first step runs the prompt (the prefill) and every
# later step runs one token against the stored keys and values.

# %%
def flops_per_step(use_cache: bool, n_new: int = 48):
    """FLOPs of each forward pass while greedily generating n_new tokens from the Lab 1 prompt."""
    seq, cache, flops = start, None, []
    with torch.inference_mode(), record_attention(gpt):
        for _ in range(n_new):
            with FlopCounterMode(display=False) as counter:
                if use_cache:
                    out = gpt(seq if cache is None else seq[:, -1:], cache=cache, use_cache=True)
                    cache = out.cache
                else:
                    out = gpt(seq)
            flops.append(counter.get_total_flops())
            seq = torch.cat([seq, out.logits[:, -1:].argmax(-1)], dim=1)
    return flops, seq


cached, seq_cached = flops_per_step(True)
full, seq_full = flops_per_step(False)
print(f"first step (prefill of {start.shape[1]} tokens): {full[0]:,} FLOPs both ways")
print(f"last step: {full[-1]:,} FLOPs without the cache, {cached[-1]:,} with it")
print(f"all {len(full)} steps: {sum(full):,} vs {sum(cached):,} — the cache saves a factor {sum(full) / sum(cached):.1f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(full, label="no cache: the whole sequence every step")
ax.plot(cached, label="KV cache: one new token per step")
ax.set(xlabel="generation step", ylabel="FLOPs of the step (millions)", yscale="log",
       title="FLOPs per generated token, tiny GPT")
ax.set_yticks([1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8])
ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v / 1e6:g}"))
ax.yaxis.set_minor_formatter(plt.NullFormatter())
ax.legend(fontsize=8)
ax.grid(alpha=0.3, which="both")
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
print("same tokens with and without the cache:", torch.equal(seq_cached, seq_full))
print("without the cache, each step costs more than the one before:", all(b > a for a, b in zip(full, full[1:])))
print("with it, steps after the prefill stay within 10 % of each other:", max(cached[1:]) < 1.1 * min(cached[1:]))

# %% [markdown]
# With the cache the step cost is almost flat: the weight matmuls cost the same for each token, and only
# the attention over the growing cache adds a little. The price is memory: each layer stores a key and a
# value vector per token. For this model and the sequence above, counted from the formula and from the
# cache a real cached pass returns:

# %%
# NBVAL_CHECK_OUTPUT
c = gpt.config
n_cached = seq_cached.shape[1] - 1                                    # the last token is never fed back
cache_floats = 2 * c.n_layers * n_cached * c.d_model                  # K and V, every layer, every token
print(f"{n_cached} tokens × {c.n_layers} layers × 2 (K, V) × {c.d_model} = {cache_floats:,} floats "
      f"= {cache_floats * 4 / 1024:.0f} KiB in float32")
with torch.inference_mode():
    held = gpt(seq_cached[:, :-1], use_cache=True).cache               # one KVCache (k, v) per layer
print(f"floats in the cache of a cached pass over {n_cached} tokens: "
      f"{sum(layer.k.numel() + layer.v.numel() for layer in held):,}")
gpt3_bytes = 2 * 96 * 12288 * 2                                        # GPT-3 175B: 96 layers, width 12,288, 2 bytes
print(f"GPT-3 175B in 16-bit: {gpt3_bytes / 1e6:.1f} MB per token, "
      f"{gpt3_bytes * 2048 / 1e9:.1f} GB for one full 2,048-token context")

# %% [markdown]
# Chapter 39 measures this cost and the tricks that shrink it (multi-query and grouped-query attention).
# Wall-clock time on this machine (noisy; compare the printed speed-up with the FLOP factor above). On a
# model this small the time saved is far below the FLOP ratio: each step also pays costs which FLOPs do
# not count (Python, launching many small operations).

# %%
seconds = {}
for use_cache in (False, True):
    t0 = time.perf_counter()
    generate(gpt, start, 48, greedy=True, use_cache=use_cache)
    seconds[use_cache] = time.perf_counter() - t0
    print(f"use_cache={use_cache!s:>5}: {seconds[use_cache]:.3f} s for 48 tokens")
print(f"time saved: a factor {seconds[False] / seconds[True]:.1f}; FLOPs saved: a factor {sum(full) / sum(cached):.1f}")

# %% [markdown]
# ## Lab 4 — Stopping
#
# A loop needs a reason to end. `generate_text` implements the three usual ones and reports which one
# fired: the model emits `<eos>`; the decoded continuation contains a **stop string** (searched in the
# text, since a string may span several tokens; the text is cut before it); or `max_new_tokens` is
# reached. Its source is short:

# %%
course.show(generate_text)

# %%
# NBVAL_CHECK_OUTPUT
runs = [("the movie was", dict()),
        ("the movie was", dict(stop=["really good"])),      # two tokens: no single id to watch for
        ("the dogs near the house", dict()),
        ("maria garcia works for", dict()),
        ("maria garcia works for", dict(stop=["in"]))]
for text, kwargs in runs:
    result = generate_text(gpt, tok, text, 6, greedy=True, **kwargs)
    print(f"{text!r:>26} {kwargs.get('stop', '')!s:>15} → {result.text!r:<34} stop: {result.stop_reason}")

# %% [markdown]
# In a batch, rows finish at different steps. `generate(..., eos_id=…)` keeps a `finished` flag per row,
# fills finished rows with `<eos>` (padding) and ends when every row has finished:

# %%
# NBVAL_CHECK_OUTPUT
batch_prompts = ["the movie was", "the dogs near", "maria garcia works"]   # equal lengths: no padding needed
batch = torch.tensor([[tok.eos_id] + tok.encode(p) for p in batch_prompts])   # (3, 4)
out = generate(gpt, batch, 12, greedy=True, eos_id=tok.eos_id)
for row in out:
    print(" ".join(tok.itos[i] for i in row[1:].tolist()))
print("generated", out.shape[1] - 4, "steps, fewer than the limit of 12:", out.shape[1] - 4 < 12)

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** One decoding step of one attention layer with a KV cache — what each layer does inside
# the cached pass of Lab 3.

# %%
from course.selftest import exercise

exercise("14.cached_attention_step")

# %%
def cached_attention_step(q, k_cache, v_cache, k_new, v_new):
    # your code here
    raise NotImplementedError


exercise("14.cached_attention_step").check(cached_attention_step)

# %% [markdown]
# **Exercise 2.** Lab 3 measured the saving; now predict it. Count the weight FLOPs of greedy generation
# with and without the cache.

# %%
exercise("14.generation_flops")

# %%
def generation_flops(n_params, prompt_len, new_tokens, use_cache):
    # your code here
    raise NotImplementedError


exercise("14.generation_flops").check(generation_flops)

# %% [markdown]
# Stuck? `exercise("14.generation_flops").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(14)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** GPT 的生成是一个自回归循环：① 分词，把提示变成 token id；② 整个提示并行地过一遍模型（prefill），每个位置都输出 logits，但只用最后一个位置的 logits 作为下一个 token 的分布；③ 按解码策略（贪心、采样、top-k/top-p、beam，见第 19 章）选出一个 token，拼到序列末尾；④ 重复，直到生成 EOS、达到最大新 token 数（提示加输出受上下文窗口限制），或解码出的文本中出现停止字符串（可能跨多个 token，所以要在文本里查找）。最后把 id 解码成文本即可，**不存在“去噪、纠错”之类的后处理**。实际系统使用 KV cache：每层缓存过去 token 的 K 和 V，之后每步只算新 token，生成的 token 完全相同（logits 只差浮点误差，与 transformers 的 `generate()` 逐 token 一致），计算量大幅下降，代价是显存随长度线性增长。
#
# **English:** GPT generates autoregressively. Tokenize the prompt; run it through the model in one parallel
# pass (prefill); of the logits at every position, only the last position's give the next token's
# distribution; a decoding rule (greedy, sampling, top-k/top-p, beam — chapter 19) picks a token, which is
# appended; repeat until an end-of-sequence token, a maximum number of new tokens (prompt + output must fit
# the context window), or a stop string in the decoded text (it may span several tokens). Then decode the ids — there is no denoising or
# correction step. In practice each layer caches the keys and values of past tokens (the KV cache), so a
# step processes only the new token: identical tokens (logits equal up to rounding; matching transformers'
# `generate()` token for token), far fewer FLOPs, memory growing with the length.

# %% [markdown]
# ## Further reading
#
# - Radford, Wu, Child, Luan, Amodei, Sutskever — *Language Models are Unsupervised Multitask Learners* (GPT-2, 2019).
# - Vaswani et al. — *Attention Is All You Need* (2017): the decoder's causal self-attention.
# - Pope et al. — *Efficiently Scaling Transformer Inference* (2022): prefill vs decode, the KV cache's memory.
# - Wolf et al. — *Transformers: State-of-the-Art Natural Language Processing* (2020): the library whose
#   `generate()` Lab 2 matches.
