# %% [markdown]
# # Chapter 45 · How are sparsity and efficiency achieved in language models?
#
# **题目：** 语言模型中的稀疏性和高效性如何实现？ — 请解释语言模型中的稀疏性和高效性如何实现。
#
# **Question:** How are sparsity and efficiency achieved in language models? Explain.
#
# **Time:** about 30 minutes · **Prerequisites:** [22 · regularization vs overfitting](22_regularization_overfitting.ipynb)
# (L1 and exact zeros), [3 · GPT-3 architecture](03_gpt3_architecture.ipynb) (FLOPs per token) · **Related:**
# [23 · word embeddings](23_word_embeddings.ipynb), [34 · efficient attention](34_attention_complexity_2.ipynb),
# [39 · inference cost](39_attention_complexity_3.ipynb)
#
# **Objectives**
# - Prune a pretrained GPT by magnitude (equal to `torch.nn.utils.prune`) and measure what 50–95 % zeros cost
#   in validation loss — and what they save in bytes and time (nothing while the tensor stays dense; a
#   sparse format pays only at high sparsity; structured zeros save the most).
# - Quantize its weights to int8 by hand and with PyTorch's dynamic quantization: size, CPU speed, loss.
# - Build a mixture-of-experts layer and measure that its parameters grow with the experts while the FLOPs
#   per token do not; keep its experts busy with Switch Transformer's load-balancing loss.

# %% [markdown]
# ## Try first
#
# Name three ways to make a trained language model cheaper to store or to run. For each, say what it
# saves (bytes, FLOPs, time) and what it costs.

# %% [markdown]
# ## What the common answer gets wrong
#
# | claim | verdict | what is true | shown in |
# |---|---|---|---|
# | “Transformer 架构，通常使用稀疏权重矩阵…只有少数非零元素” | **wrong** | Transformer weight matrices are dense: the trained tiny GPT has no exact zeros at all. Sparsity has to be imposed — by pruning, by N:M patterns, or by routing each token to a few experts. | Lab 1 |
# | “稀疏性可以通过优化算法（如 Adam）和正则化方法（如 L1 正则化）实现” | **wrong** (Adam) · incomplete (L1) | Adam rescales each weight's step; nothing in it sets a weight to zero (the AdamW-trained GPT has none). L1 pushes weights towards zero, and gives exact zeros only with a proximal (soft-threshold) step (chapter 22). In practice zeros come from pruning. | Lab 1 |
# | “词嵌入（Word2Vec、GloVe）本身就具有稀疏性…只有少数元素不为零” | **wrong** | Word2Vec and GloVe vectors are *dense* (a few hundred non-zero numbers); the sparse representations are one-hot, bag-of-words and TF-IDF vectors (chapter 23). The GPT's embedding matrix has no zeros either. What *is* sparse, and efficient, is the input: a token is a one-hot vector, so “multiplying” it by the embedding matrix is a row lookup. | Lab 1 |
# | “压缩技术（如模型剪枝、参数共享）可以减少模型的大小” | incomplete | Unstructured pruning writes zeros into tensors of the same shape: same bytes, and a dense kernel takes about the same time. A sparse format saves bytes only beyond about two thirds zeros (each value carries an index), and speed needs structure: smaller dense matrices, or N:M patterns on hardware that skips them. Parameter sharing (tied embeddings, shared layers) does shrink the file, not the compute (chapter 32). | Labs 1–2 |
# | “量化技术…减少计算量和存储需求…保持性能” | incomplete | Quantization does the *same number* of multiply-adds, each in int8 instead of float32; the quantized weights take a quarter of the bytes (plus a scale per row), the whole file shrinks less, as embeddings, norms and biases stay float32; speed depends on the kernels (measured here on the CPU). Accuracy holds at 8 bits; at very low bits per-channel scales matter. | Lab 3 |
# | “并行计算…GPU 或 TPU” | correct, but not sparsity | Parallel hardware makes dense work fast, which is exactly why scattered zeros rarely pay off. | Lab 2 |
# | (missing) | — | The sparsity that large LMs actually use: **mixture of experts**. Each token runs through k of E expert FFNs, so parameters grow with E while FLOPs per token do not (Switch Transformer, Fedus et al., 2021; Mixtral 8x7B has about 47B parameters, 13B active per token, Jiang et al., 2024 — Lab 4 recomputes both from its configuration). Also sparse attention patterns (GPT-3 alternates dense and banded sparse layers; chapter 34). | Lab 4 |

# %%
import copy
import json
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.utils.prune as prune
from torch.utils.flop_counter import FlopCounterMode

import course
from course.efficiency import (apply_masks, csr_bytes, dense_bytes, int8_dynamic, linear_weights,
                               magnitude_masks, median_seconds, quantize_symmetric, state_dict_bytes,
                               zero_fraction)
from course.pretrained import load_tiny_gpt, validation_loss

# PyTorch labels its sparse CSR tensors "beta" and its int8 tensor types as moving to torchao; both work here
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
warnings.filterwarnings("ignore", message="torch.quantize_per_tensor, torch.quantize_per_channel")

gpt, tok = load_tiny_gpt()           # 4 layers, d = 128; everything in this chapter runs on the CPU
torch.manual_seed(0)                 # the experts and routers of Lab 4 are initialized from it
sweep = json.loads((course.DATA_DIR / "ch45_compression.json").read_text())   # Labs 1 and 3: stored sweeps

# %% [markdown]
# ## Lab 1 — Magnitude pruning: zeros where the weights are smallest
#
# The model to compress is the course's pretrained tiny GPT; its score is the validation loss
# (`course.pretrained.validation_loss`, mean next-token loss in nats on validation lines of another seed —
# some of them recur in the pretraining text (see `course.pretrained`), so read it as a yardstick for
# *differences* between variants). We prune the 16 `nn.Linear` weights of its blocks; the output head shares its matrix with the
# token embedding and stays dense. First: how sparse is the trained model already?

# %%
# NBVAL_CHECK_OUTPUT
weights = linear_weights(gpt)
n_weights = sum(w.numel() for w in weights.values())
n_zeros = sum(int((w == 0).sum()) for w in weights.values())
print(f"{len(weights)} Linear weights, {n_weights:,} numbers; exact zeros: {n_zeros} "
      f"(fraction {zero_fraction(weights):.0%}); smallest |w|: {min(w.abs().min() for w in weights.values()):.1e}")
emb = gpt.tok_emb.weight
print(f"token embedding {tuple(emb.shape)}: {emb.numel():,} numbers, exact zeros: {int((emb == 0).sum())}")

# %% [markdown]
# Not one: AdamW never produced a zero, not even a tiny weight rounded to 0. Magnitude pruning (Han et al., 2015) removes a fraction of the
# weights with the smallest |w|, either the same fraction in every layer or one threshold for all layers
# ("global"). `course.efficiency.magnitude_masks` does both (its helper `_keep_mask(scores, k)` is False at
# the k smallest scores, found with `torch.topk`):

# %%
course.show(magnitude_masks)

# %% [markdown]
# Its masks are exactly those of PyTorch's `torch.nn.utils.prune`:

# %%
# NBVAL_CHECK_OUTPUT
masks = magnitude_masks(weights, amount=0.7, scope="global")

reference = copy.deepcopy(gpt)
modules = dict(reference.named_modules())
prune.global_unstructured([(modules[name], "weight") for name in weights], prune.L1Unstructured, amount=0.7)
print("global masks equal torch.nn.utils.prune's:",
      all(torch.equal(masks[name], modules[name].weight_mask.bool()) for name in weights))
kept = {name: f"{m.float().mean():.0%}" for name, m in masks.items() if name.startswith("blocks.0")}
print("kept per layer in block 0 (global threshold):", kept)

# %% [markdown]
# One threshold keeps different fractions per layer. The pruned model, live, and its loss:

# %%
pruned = copy.deepcopy(gpt)
apply_masks(linear_weights(pruned), masks)
dense_loss, pruned_loss = validation_loss(gpt, tok, "gpt"), validation_loss(pruned, tok, "gpt")
stored = next(p["val_loss"] for p in sweep["pruning"] if p["scope"] == "global" and p["sparsity"] == 0.7)
print(f"validation loss: dense {dense_loss:.4f}, 70 % pruned (global) {pruned_loss:.4f} "
      f"(stored sweep: {stored:.4f})")

# %% [markdown]
# `tools/sweeps/ch45_compression.py` ran every sparsity from 0 to 95 % both ways (checking each mask
# against `torch.nn.utils.prune`) and stored the losses in `data/ch45_compression.json`; the live point above
# reproduces its 70 % point:

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for scope, marker in (("layer", "o"), ("global", "s")):
    points = [p for p in sweep["pruning"] if p["scope"] == scope]
    ax.plot([100 * p["sparsity"] for p in points], [p["val_loss"] for p in points], marker=marker, ms=4,
            label=f"{'same fraction per layer' if scope == 'layer' else 'one global threshold'} (stored sweep)")
ax.scatter([70], [pruned_loss], s=120, facecolors="none", edgecolors="black", zorder=5, label="live run, global 70 %")
ax.axhline(dense_loss, color="gray", ls=":", lw=1, label="dense")
ax.set(xlabel="weights pruned (%)", ylabel="validation loss (nats)", title="Magnitude pruning of the tiny GPT")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
by = {(p["scope"], p["sparsity"]): p["val_loss"] for p in sweep["pruning"]}
print("live run reproduces the stored 70 % point:", abs(pruned_loss - stored) < 2e-3)
for s in (0.5, 0.7, 0.9):
    print(f"{s:.0%} pruned: loss +{by['layer', s] - by['layer', 0.0]:.3f} per layer, "
          f"+{by['global', s] - by['global', 0.0]:.3f} global")

# %% [markdown]
# Half the weights go almost for free; beyond about 60 % the loss climbs, and at 90 % the model has
# forgotten much of what it knew (no fine-tuning after pruning here — real pipelines prune gradually and
# retrain). In this sweep the per-layer fraction does a little better than the global threshold, which
# strips some layers much harder than others.
#
# **Did the model get smaller?** A pruned tensor is still a dense tensor: every zero is stored. PyTorch's
# compressed-sparse-row (CSR) format stores only the non-zeros — but each with an int64 column index:

# %%
# NBVAL_CHECK_OUTPUT
w = weights["blocks.0.ffn.up"]
print(f"{'pruned':>7} {'dense bytes':>12} {'CSR bytes':>10} {'CSR / dense':>12}")
for s in (0.0, 0.5, 0.7, 0.9):
    zeroed = w * magnitude_masks({"w": w}, s, "layer")["w"]
    print(f"{s:>7.0%} {dense_bytes(zeroed):>12,} {csr_bytes(zeroed):>10,} {csr_bytes(zeroed) / dense_bytes(zeroed):>12.2f}")
csr = w.to_sparse_csr()
print(f"bytes per kept value in CSR: {csr.values().element_size()} (float32 value) + "
      f"{csr.col_indices().element_size()} (int64 column index); per dense entry: {w.element_size()}")
print("the 70 %-pruned model's state_dict has as many bytes as the dense one's:",
      state_dict_bytes(pruned) == state_dict_bytes(gpt))

# %% [markdown]
# 12 bytes per kept value against 4 per dense entry: CSR only wins once more than two thirds of the weights
# are zero — and saved as usual, the pruned model is exactly as large as the original.

# %% [markdown]
# ## Lab 2 — Why scattered zeros rarely make a matmul faster
#
# One weight matrix 1024 × 1024 applied to 128 tokens, 90 % of its weights pruned, four ways: the dense
# original; the same dense matrix holding 90 % zeros; a dense matrix with only 10 % of the rows (what
# *structured* pruning of whole neurons gives); and the pruned matrix in CSR form with a sparse kernel.

# %%
g = torch.Generator().manual_seed(0)
W = torch.randn(1024, 1024, generator=g)
x = torch.randn(1024, 128, generator=g)                     # 128 tokens as columns
W_zeros = W * magnitude_masks({"W": W}, 0.9, "layer")["W"]
variants = {"dense": W, "dense, 90 % zeros": W_zeros, "dense, 10 % of the rows": W[:102].clone(),
            "CSR, 90 % zeros": W_zeros.to_sparse_csr()}

flops, samples = {}, {name: [] for name in variants}
for name, M in variants.items():
    if not M.is_sparse_csr:
        with FlopCounterMode(display=False) as counter:
            M @ x
        flops[name] = counter.get_total_flops()
for _ in range(5):                       # interleaved, so that a busy moment of the machine hits all four
    for name, M in variants.items():
        samples[name].append(median_seconds(lambda: M @ x, repeat=3))
times = {name: sorted(t)[2] for name, t in samples.items()}       # the median of the 5 rounds


def ratio(a, b):
    """Time of a over time of b, round by round (measured moments apart), and their median."""
    each = [ta / tb for ta, tb in zip(samples[a], samples[b])]
    return sorted(each)[2], each


for name in variants:                    # the ratio to dense is taken within each round: a busy moment cancels
    counted = f"{flops[name] / 1e6:7.1f} MFLOP" if name in flops else "sparse kernel"
    print(f"{name:>24}: {counted}   {1e3 * times[name]:6.2f} ms   {ratio(name, 'dense')[0]:5.2f} × dense")

# %%
# NBVAL_CHECK_OUTPUT
print("FlopCounterMode counts 2·m·n·k from the shapes:", flops["dense"] == 2 * 1024 * 1024 * 128,
      "— so zeros cannot change its count:", flops["dense, 90 % zeros"] == flops["dense"])
print("10 % of the rows = 10 % of the FLOPs:", round(flops["dense, 10 % of the rows"] / flops["dense"], 2))

# %%
zeros, rounds = ratio("dense, 90 % zeros", "dense")
print(f"in this run, time ratios (median of the 5 rounds): zeros/dense {zeros:.2f} "
      f"(round by round: {', '.join(f'{r:.2f}' for r in rounds)})")
print(f"CSR/dense {ratio('CSR, 90 % zeros', 'dense')[0]:.2f}; "
      f"10 % rows/dense {ratio('dense, 10 % of the rows', 'dense')[0]:.3f}; "
      f"CSR / 10 % rows {ratio('CSR, 90 % zeros', 'dense, 10 % of the rows')[0]:.1f}")

# %% [markdown]
# The FLOP counter cannot tell us whether the zeros are skipped — it reads only the shapes. The clock can:
# a dense kernel multiplies a zero like any other number, so the matrix full of zeros takes about as long as
# the dense one (on a busy machine single timings wander, so each ratio is taken within a round, where the
# two were timed moments apart, and the median of the 5 rounds is printed with the rounds themselves).
# The sparse CSR kernel does skip the zeros, and at 90 % sparsity it beats the dense kernel on this CPU —
# but it pays for indirect, irregular memory access, so it stays several times slower than a dense matrix
# doing the same useful work (the last ratio printed, CSR against the 10 %-rows matrix). Speed from sparsity needs *structure*: remove whole rows, heads or
# layers (structured pruning), or use patterns the hardware skips, such as 2:4 sparsity on NVIDIA sparse tensor cores (Mishra et al., 2021;
# exercise 1). Mixture of experts (Lab 4) is structured sparsity by design: whole experts are skipped.

# %% [markdown]
# ## Lab 3 — int8 quantization: 4 bytes per weight become 1
#
# Symmetric per-channel quantization gives each output row c one scale, s_c = max|W_c| / 127, and stores
# q = round(W / s_c) as int8 in [−127, 127]; the layer computes with q · s_c.
# `course.efficiency.quantize_symmetric` does this:

# %%
course.show(quantize_symmetric)

# %% [markdown]
# Checked against PyTorch's own per-channel observer and quantizer, on one layer of the GPT:

# %%
# NBVAL_CHECK_OUTPUT
from torch.ao.quantization.observer import PerChannelMinMaxObserver

w = weights["blocks.0.ffn.up"]
q, scale = quantize_symmetric(w, bits=8, per_channel=True)
observer = PerChannelMinMaxObserver(dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                    quant_min=-127, quant_max=127)
observer(w)
torch_scale, torch_zero = observer.calculate_qparams()
torch_q = torch.quantize_per_channel(w, torch_scale, torch_zero, axis=0, dtype=torch.qint8).int_repr()
print("scales equal PyTorch's observer:", torch.allclose(scale.squeeze(1), torch_scale))
print("int8 values equal torch.quantize_per_channel:", torch.equal(q, torch_q))
print(f"largest weight error: {(q.float() * scale - w).abs().max() / scale.max():.2f} of the largest step")
print(f"bytes of this layer: float32 {dense_bytes(w):,} → int8 values + scales {dense_bytes(q) + dense_bytes(scale):,}")

# %% [markdown]
# PyTorch's *dynamic* quantization (`torch.ao.quantization.quantize_dynamic`) swaps the 16 `nn.Linear` of the
# blocks for ones that store int8 weights and quantizes its input to 8 bits on the fly at every call, so the matmul
# runs in integers. `course.efficiency.int8_dynamic` calls it with the per-channel range above, so its
# weights are exactly ours; the output head, which shares its matrix with the token embedding, stays float32
# as in Lab 1 (quantizing it would break the tie and store that matrix twice). Size on disk, CPU time of a
# forward pass, and validation loss:

# %%
quantized = int8_dynamic(gpt, per_channel=True)
layer = dict(quantized.named_modules())["blocks.0.ffn.up"]
same_weights = torch.equal(layer.weight().int_repr(), q)

batch = torch.randint(0, tok.vocab_size, (32, 64), generator=g)
with torch.inference_mode():
    t_fp32 = median_seconds(lambda: gpt(batch), repeat=5)
    t_int8 = median_seconds(lambda: quantized(batch), repeat=5)
int8_loss = validation_loss(quantized, tok, "gpt")
size_fp32, size_int8 = state_dict_bytes(gpt), state_dict_bytes(quantized)
print(f"{'':>8} {'file (bytes)':>13} {'forward (ms)':>13} {'val loss':>9}")
print(f"{'float32':>8} {size_fp32:>13,} {1e3 * t_fp32:>13.1f} {dense_loss:>9.4f}")
print(f"{'int8':>8} {size_int8:>13,} {1e3 * t_int8:>13.1f} {int8_loss:>9.4f}")
print(f"in this run: {size_fp32 / size_int8:.2f}× smaller, {t_fp32 / t_int8:.2f}× faster, "
      f"loss {int8_loss - dense_loss:+.4f}")
packed = [dict(quantized.named_modules())[name].weight() for name in weights]   # the 16 int8 weights
int8_values = sum(t.numel() for t in packed)
row_params = sum(t.q_per_channel_scales().nbytes + t.q_per_channel_zero_points().nbytes for t in packed)
scale_dtype, zero_dtype = packed[0].q_per_channel_scales().dtype, packed[0].q_per_channel_zero_points().dtype
print(f"the int8 file: {int8_values:,} B of int8 weights, {row_params:,} B of per-row scales ({scale_dtype}) and "
      f"zero points ({zero_dtype}), {size_int8 - int8_values - row_params:,} B of float32 tensors (embeddings, "
      f"norms, biases) and file framing")

# %%
# NBVAL_CHECK_OUTPUT
print("the dynamic model's weights equal our int8 values:", same_weights)
print("file at least 2.5× smaller:", size_fp32 / size_int8 > 2.5)
print("validation loss within 0.01 of float32:", abs(int8_loss - dense_loss) < 0.01)

# %% [markdown]
# The file shrinks by less than 4× because only the Linear weights become int8: the embeddings, norms and
# biases stay float32, and PyTorch stores a float64 scale and an int64 zero point per output row. The number of
# multiply-adds is unchanged — each is an int8 one instead of float32, which the CPU kernels
# (`fbgemm`/`x86`) ran faster in this run, plus a little work to quantize inputs. How far can the bits go? The
# stored sweep quantizes the same weights (simulated: quantize, then dequantize) from 8 down to 2 bits,
# with one scale per row or one for the whole tensor:

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
top = 2.0                                                    # a point above it is named in the legend instead
for per_channel, marker in ((True, "o"), (False, "s")):
    points = [p for p in sweep["quantization"] if p["per_channel"] is per_channel]
    label = "one scale per output row" if per_channel else "one scale per tensor"
    off = [f"{p['bits']} bits: {p['val_loss']:.2f}" for p in points if p["val_loss"] > top]
    ax.plot([p["bits"] for p in points], [p["val_loss"] for p in points], marker=marker,
            label=label + (f" ({', '.join(off)}, off the scale)" if off else ""))
ax.axhline(dense_loss, color="gray", ls=":", lw=1, label="float32")
ax.set(xlabel="bits per weight", ylabel="validation loss (nats)", ylim=(1.35, top),
       title="Weight quantization of the tiny GPT (stored sweep)")
ax.invert_xaxis()
ax.legend(fontsize=8, loc="upper left")
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
bits = {(p["per_channel"], p["bits"]): p["val_loss"] for p in sweep["quantization"]}
for b in (8, 4, 3, 2):
    print(f"{b} bits: loss +{bits[True, b] - sweep['dense_val_loss']:.3f} per channel, "
          f"+{bits[False, b] - sweep['dense_val_loss']:.3f} per tensor")
for per_channel in (True, False):
    zeros = sum(int((quantize_symmetric(w, 2, per_channel)[0] == 0).sum()) for w in weights.values()) / n_weights
    print(f"2 bits, {'per channel' if per_channel else 'per tensor '}: {zeros:.0%} of the weights round to 0")

# %% [markdown]
# Down to 4 bits this small model hardly notices. At 2 bits the only levels are −s, 0 and +s: a single
# scale per tensor, set by the largest weight in the whole matrix, rounds 99 % of the weights to zero and
# the loss rises by 3.496 nats; per-row scales zero 88 % and lose 0.449 — worse than 3 bits, far better
# than one scale per tensor. That
# is why LLM quantizers use per-channel or per-group scales (LLM.int8(), Dettmers et al., 2022; GPTQ,
# Frantar et al., 2023).

# %% [markdown]
# ## Lab 4 — Mixture of experts: more parameters, the same FLOPs per token
#
# `course.nn.MoEFeedForward` replaces one FFN by E expert FFNs and a router, a d × E linear map with a
# softmax. Each token goes to its top-k experts, and only those are computed; their outputs are summed,
# weighted by the router's probabilities. We count parameters and measure FLOPs with
# `FlopCounterMode` on 256 tokens (it counts the matrix products; the softmax, top-k and scatter are small
# next to them), for E = 1 … 16 and k = 1, 2, against the dense FFN of the same width.
# The forward pass — note that each expert runs only on the rows of the tokens sent to it:

# %%
from course.models import count_parameters
from course.nn import FeedForward, MoEFeedForward, load_balancing_loss

course.show(MoEFeedForward.forward)

# %%

tokens = torch.randn(1, 256, 128, generator=g)


def flops_per_token(layer) -> float:
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        layer(tokens)
    return counter.get_total_flops() / tokens.shape[1]


dense_ffn = FeedForward(128, 512)
dense_params, dense_flops = count_parameters(dense_ffn), flops_per_token(dense_ffn)
experts = (1, 2, 4, 8, 16)
moe = {(e, k): MoEFeedForward(128, 512, n_experts=e, top_k=k) for e in experts for k in (1, 2) if k <= e}
params = {key: count_parameters(layer) for key, layer in moe.items()}
flops = {key: flops_per_token(layer) for key, layer in moe.items()}

# %%
# NBVAL_CHECK_OUTPUT
print(f"dense FFN: {dense_params:,} parameters, {dense_flops:,.0f} FLOPs per token")
print(f"{'experts':>7} {'parameters':>11} {'FLOPs/token, top-1':>19} {'FLOPs/token, top-2':>19}")
for e in experts:
    top2 = f"{flops[e, 2]:>19,.0f}" if (e, 2) in flops else f"{'—':>19}"
    print(f"{e:>7} {params[e, 1]:>11,} {flops[e, 1]:>19,.0f} {top2}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
axes[0].plot(experts, [params[e, 1] / dense_params for e in experts], marker="o")
axes[0].set(xlabel="experts E", ylabel="parameters / dense FFN", title="Parameters grow with E")
for k, marker in ((1, "o"), (2, "s")):
    es = [e for e in experts if (e, k) in flops]
    axes[1].plot(es, [flops[e, k] / dense_flops for e in es], marker=marker, label=f"top-{k}")
axes[1].set(xlabel="experts E", ylabel="FLOPs per token / dense FFN", title="FLOPs per token grow with k, not E",
            ylim=(0, 2.5))
axes[1].legend(fontsize=8)
for ax in axes:
    ax.set_xticks(experts, [str(e) for e in experts])
    ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# NBVAL_CHECK_OUTPUT
router = {e: flops[e, 1] - dense_flops for e in experts}
print("top-1 FLOPs per token minus the dense FFN's = the router's 2·d·E:",
      all(router[e] == 2 * 128 * e for e in experts))
print("parameters = E × dense FFN + router d·E:",
      all(params[e, 1] == e * dense_params + 128 * e for e in experts))

# %% [markdown]
# Exactly: with 16 experts the layer holds 16× the parameters, and a token still pays for one FFN plus a
# router of 2·128·16 FLOPs. This is how Switch Transformer and Mixtral grow capacity without growing the
# compute per token (the memory to hold all experts, and the communication to reach them, do grow). The same
# count for Mixtral 8x7B, from the configuration in its paper's Table 1 (its experts are SwiGLU FFNs with
# three matrices; attention uses 8 key/value heads for 32 query heads):

# %%
# NBVAL_CHECK_OUTPUT
d, layers, ffn, n_exp, top, vocab, kv = 4096, 32, 14336, 8, 2, 32000, 8 * 128     # Jiang et al. (2024), Table 1
attention = 2 * d * d + 2 * d * kv                      # W_q and W_o (d × d), W_k and W_v (d × 8 heads · 128)
expert = 3 * d * ffn                                    # SwiGLU: gate, up and down matrices
per_layer = attention + d * n_exp + 2 * d               # + router + two RMSNorm gains
rest = 2 * vocab * d + d                                # embedding and output head (not tied), final norm
total = layers * (per_layer + n_exp * expert) + rest
active = layers * (per_layer + top * expert) + rest
print(f"Mixtral 8x7B: {total / 1e9:.1f}B parameters, {active / 1e9:.1f}B used per token "
      f"({active / total:.0%})")

# %% [markdown]
# The paper's “47B parameters, 13B active” is this count: attention, embeddings and norms are shared, and
# only 2 of the 8 expert FFNs of each layer run for a token.
#
# **Keeping every expert busy.** Nothing forces a learned router to spread the tokens: if it sends most
# of them to one expert, the others are parameters that do no work. Switch Transformer adds an auxiliary
# loss E · Σᵢ fᵢ Pᵢ, where fᵢ is the fraction of tokens routed to expert i and Pᵢ the router's mean
# probability for it; it equals k when routing is uniform and grows towards E as the tokens pile onto
# the experts the router favours. Its gradient reaches the router through
# Pᵢ (fᵢ comes from a top-k choice and has none). Below, the tokens share a common direction (as hidden
# states do), a router leaning towards it sends every token to expert 0 (plus one other, as k = 2), and we
# train the router on the balancing loss alone — in a real model it is added to the LM loss with a small
# weight (0.01 in Switch Transformer):

# %%
layer = MoEFeedForward(128, 512, n_experts=8, top_k=2)
shared = torch.randn(128, generator=g)
shared /= shared.norm()
states = torch.randn(512, 128, generator=g) + 3 * shared       # 512 hidden states with a common direction
with torch.no_grad():
    layer.router.weight.mul_(0.1)
    layer.router.weight[0] += shared                            # a router that favours expert 0
    before = layer(states[None]).expert_share

optimizer = torch.optim.Adam(layer.router.parameters(), lr=0.01)
history = []
for step in range(100):
    loss = load_balancing_loss(layer.router(states), top_k=2)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    history.append(loss.item())
with torch.no_grad():
    after = layer(states[None]).expert_share
print(f"balancing loss: {history[0]:.2f} at the start → {history[-1]:.3f} after 100 steps (balanced: 2 = top_k)")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.1))
axes[0].plot(history)
axes[0].axhline(2, color="gray", ls=":", lw=1)
axes[0].set(xlabel="step", ylabel="E · Σ f_i P_i", title="Load-balancing loss (router only)")
positions = torch.arange(8)
axes[1].bar(positions - 0.2, before, width=0.4, label="before")
axes[1].bar(positions + 0.2, after, width=0.4, label="after 100 steps")
axes[1].axhline(2 / 8, color="gray", ls=":", lw=1, label="balanced: k/E = 0.25")
axes[1].set(xlabel="expert", ylabel="share of tokens routed to it", title="Where the tokens go (top-2 of 8)")
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# `tests/test_ch45_efficiency.py` checks `load_balancing_loss` against the one in Hugging Face
# `transformers` (Mixtral's `load_balancing_loss_func`), and `MoEFeedForward` against a dense computation of
# every expert; importing `transformers` here would cost more time than this whole lab.

# %%
# NBVAL_CHECK_OUTPUT
print("expert 0 gets (almost) every token at the start:", before[0].item() > 0.95)
print("balanced after training: loss < 2.05 and every expert gets 15–35 % of the tokens:",
      history[-1] < 2.05 and bool(((after > 0.15) & (after < 0.35)).all()))

# %% [markdown]
# ## Self-test
#
# **Exercise 1.** Lab 2 ended on structured sparsity that hardware can skip. Build the N:M mask.

# %%
from course.selftest import exercise

exercise("45.nm_mask")

# %%
def n_m_mask(w, n, m):
    # your code here
    raise NotImplementedError


exercise("45.nm_mask").check(n_m_mask)

# %% [markdown]
# Stuck? `exercise("45.nm_mask").show_solution()`.
#
# **Exercise 2.** The balancing loss that Lab 4 trained the router with.

# %%
exercise("45.balance_loss")

# %%
def balance_loss(router_logits, top_k=1):
    # your code here
    raise NotImplementedError


exercise("45.balance_loss").check(balance_loss)

# %% [markdown]
# Stuck? `exercise("45.balance_loss").show_solution()`.
#
# **Quiz.**

# %%
from course.selftest import quiz

quiz(45)

# %% [markdown]
# ## Interview answer card (面试回答要点)
#
# **中文：** 训练好的 Transformer 权重是稠密的（本实验的 GPT 一个精确的零都没有，Adam 不会产生零），Word2Vec、GloVe
# 词向量也是稠密的；稀疏性要靠人为引入。① 剪枝：把绝对值最小的权重置零（与 `torch.nn.utils.prune` 一致）。本实验剪掉一半几乎不影响损失，剪到 90% 损失明显上升。但分散的零照样占存储，稠密矩阵乘法也照样要算：CSR 格式要超过约三分之二为零才省空间；稀疏内核在 90% 稀疏时虽快于稠密计算，仍比完成同样有效计算的小稠密矩阵慢好几倍。真正提速要靠结构，如整行剪枝或 2:4 模式。② 量化：int8 每个权重只占 1 字节，乘加次数不变，只是改用整数运算；PyTorch 动态量化让文件缩小到约三分之一，损失几乎不变；比特数很低时要按通道设缩放因子。③ 混合专家（MoE）：每个 token 只经过 top-k 个专家，参数随专家数增长，每个 token 的
# FLOPs 却不变；负载均衡损失（Switch Transformer）让每个专家都分到 token。
#
# **English:** Trained Transformer weights are dense (the tiny GPT has no exact zero; Adam creates none) and so
# are word vectors; sparsity must be imposed. (1) Magnitude pruning (equal to `torch.nn.utils.prune`): half
# the weights go almost free, 90 % hurts; but scattered zeros keep their bytes and their dense-kernel time.
# CSR saves space only beyond about two-thirds zeros, and a sparse kernel, though faster than dense at 90 %,
# stays several times slower than a smaller dense matrix doing the same work: speed comes from structure
# (whole rows, 2:4). (2) int8 quantization: one byte per weight, the same multiply-adds in integers; PyTorch's
# dynamic quantization made the file about 3× smaller at almost the same loss; low bits need per-channel
# scales. (3) Mixture of experts: each token uses top-k experts, so parameters grow with experts while FLOPs
# per token do not; a load-balancing loss keeps every expert busy (Switch Transformer).

# %% [markdown]
# ## Further reading
#
# - Han, Pool, Tran, Dally — *Learning both Weights and Connections for Efficient Neural Networks* (2015): magnitude pruning with retraining.
# - Frankle, Carbin — *The Lottery Ticket Hypothesis* (2019).
# - Mishra et al. — *Accelerating Sparse Deep Neural Networks* (2021): 2:4 structured sparsity on Ampere GPUs.
# - Jacob et al. — *Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference* (2018).
# - Dettmers, Lewis, Belkada, Zettlemoyer — *LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale* (2022).
# - Frantar, Ashkboos, Hoefler, Alistarh — *GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers* (2023).
# - Shazeer et al. — *Outrageously Large Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer* (2017).
# - Fedus, Zoph, Shazeer — *Switch Transformers: Scaling to Trillion Parameter Models with Simple and Efficient Sparsity* (2021; JMLR 2022).
# - Jiang et al. — *Mixtral of Experts* (2024).
