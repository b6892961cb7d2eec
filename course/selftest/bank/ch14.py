"""Self-test of chapter 14: one decoding step of attention with a KV cache, and what the cache saves."""
from __future__ import annotations

import math

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def cached_attention_step(q, k_cache, v_cache, k_new, v_new):
    """Append the new key and value to the cache, then let the one new query attend over all of it."""
    keys = torch.cat((k_cache, k_new), dim=-2)                         # (B, H, T + 1, D)
    values = torch.cat((v_cache, v_new), dim=-2)
    weights = torch.softmax(q @ keys.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)   # (B, H, 1, T + 1)
    return weights @ values, keys, values


def _step_cases(g):
    cases = []
    for b, h, t, d, scale in ((1, 1, 3, 4, 1.0), (2, 4, 7, 8, 1.0), (1, 2, 1, 16, 3.0), (3, 2, 12, 8, 0.5)):
        shape = (b, h, t, d)
        one = (b, h, 1, d)
        cases.append({"q": torch.randn(*one, generator=g) * scale, "k_cache": torch.randn(*shape, generator=g),
                      "v_cache": torch.randn(*shape, generator=g), "k_new": torch.randn(*one, generator=g) * scale,
                      "v_new": torch.randn(*one, generator=g)})
    return cases


def _past_only(q, k_cache, v_cache, k_new, v_new):
    w = torch.softmax(q @ k_cache.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)
    return w @ v_cache, torch.cat((k_cache, k_new), -2), torch.cat((v_cache, v_new), -2)


def _square_causal_mask(q, k_cache, v_cache, k_new, v_new):
    k, v = torch.cat((k_cache, k_new), -2), torch.cat((v_cache, v_new), -2)
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    mask = torch.ones(scores.shape[-2:], dtype=torch.bool).tril()         # (1, T+1): keeps key 0 only
    return scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v, k, v


def _unscaled(q, k_cache, v_cache, k_new, v_new):
    k, v = torch.cat((k_cache, k_new), -2), torch.cat((v_cache, v_new), -2)
    return (q @ k.transpose(-1, -2)).softmax(-1) @ v, k, v


def _softmax_over_queries(q, k_cache, v_cache, k_new, v_new):
    k, v = torch.cat((k_cache, k_new), -2), torch.cat((v_cache, v_new), -2)
    return (q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])).softmax(-2) @ v, k, v


def _new_in_front(q, k_cache, v_cache, k_new, v_new):
    k, v = torch.cat((k_new, k_cache), -2), torch.cat((v_new, v_cache), -2)
    return (q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])).softmax(-1) @ v, k, v


CACHED_STEP = Exercise(
    key="14.cached_attention_step", title="cached_attention_step",
    signature="cached_attention_step(q, k_cache, v_cache, k_new, v_new) -> (out, keys, values)",
    reference=cached_attention_step, make_cases=_step_cases,
    task="""One decoding step of one attention layer **with a KV cache**. The newest token's query, key and
value have just been computed; the keys and values of the T earlier tokens are in the cache.

1. append the new key and value at the **end** of the cache (along the token axis) → `keys`, `values`
   of shape `(B, H, T + 1, D)`;
2. let the single new query attend over all T + 1 keys: scaled dot-product attention, scores divided
   by √D, softmax over the keys.

- `q`, `k_new`, `v_new`: float32 `(B, H, 1, D)`; `k_cache`, `v_cache`: float32 `(B, H, T, D)`, T ≥ 1.
- Return a tuple `(out, keys, values)`: `out` float32 `(B, H, 1, D)`, then the grown cache.
- No mask is needed: the newest token may see every earlier token and itself. Do not modify the inputs.""",
    mistakes=[
        Mistake("past_only", "append the new key and value *before* attending: the newest token must see "
                "itself too, as it does in the full causal pass.", _past_only),
        Mistake("square_causal_mask", "a causal mask built as tril of a (1, T+1) matrix keeps only key 0. "
                "With one query, the last position, no mask is needed; a mask for a cached step would be "
                "`key ≤ T`, i.e. all True.", _square_causal_mask),
        Mistake("unscaled", "divide the scores by √D before the softmax.", _unscaled),
        Mistake("softmax_over_queries", "take the softmax over the keys (the last dimension); over the single "
                "query every weight becomes 1.", _softmax_over_queries),
        Mistake("new_in_front", "append at the end: the cache is in token order, and the next steps (and "
                "positions) expect the newest token last.", _new_in_front),
    ])


def generation_flops(n_params: int, prompt_len: int, new_tokens: int, use_cache: bool) -> int:
    """2·n_params FLOPs for every token position a forward pass processes."""
    passes = [prompt_len] + [1] * (new_tokens - 1) if use_cache else range(prompt_len, prompt_len + new_tokens)
    return 2 * n_params * sum(passes)


def _flop_cases(g):
    return [{"n_params": n, "prompt_len": p, "new_tokens": k, "use_cache": c}
            for n, p, k, c in ((1000, 4, 3, False), (1000, 4, 3, True), (124_000_000, 20, 50, True),
                               (124_000_000, 20, 50, False), (7, 1, 1, True), (7, 1, 1, False), (5_000, 12, 40, False))]


GEN_FLOPS = Exercise(
    key="14.generation_flops", title="generation_flops",
    signature="generation_flops(n_params, prompt_len, new_tokens, use_cache) -> int",
    reference=generation_flops, make_cases=_flop_cases,
    task="""Count the FLOPs the weight matrices cost while a model generates `new_tokens` tokens after a
prompt of `prompt_len` tokens, greedy, one token per forward pass.

- Every token position that goes through a forward pass costs `2 · n_params` FLOPs (a multiply and an add
  per weight); ignore attention scores, norms and everything else.
- Without the cache (`use_cache=False`), each step runs the model over the whole sequence so far.
- With the cache (`use_cache=True`), the first step runs over the prompt; each later step runs over the one
  token generated by the step before.
- The last generated token is never fed back: the loop stops once it exists.
- `n_params`, `prompt_len`, `new_tokens`: `int` ≥ 1; `use_cache`: `bool`. Return a Python `int`
  (compared exactly); assume the sequence fits the context window.""",
    mistakes=[
        Mistake("feeds_last_token", "the last generated token is never fed back: there are new_tokens forward "
                "passes, not new_tokens + 1.",
                lambda n_params, prompt_len, new_tokens, use_cache: generation_flops(n_params, prompt_len,
                                                                                     new_tokens + 1, use_cache)),
        Mistake("no_prefill", "with the cache, the first step still processes the whole prompt (the prefill); "
                "only the later steps process one token.",
                lambda n_params, prompt_len, new_tokens, use_cache:
                2 * n_params * new_tokens if use_cache else generation_flops(n_params, prompt_len, new_tokens, False)),
        Mistake("no_factor_two", "each weight costs a multiply and an add: 2 FLOPs per weight per token.",
                lambda n_params, prompt_len, new_tokens, use_cache:
                generation_flops(n_params, prompt_len, new_tokens, use_cache) // 2),
        Mistake("final_length_every_step", "without the cache, step i runs over prompt_len + i tokens: the "
                "sequence grows by one each step.",
                lambda n_params, prompt_len, new_tokens, use_cache:
                2 * n_params * (prompt_len + new_tokens) * new_tokens if not use_cache
                else generation_flops(n_params, prompt_len, new_tokens, True)),
    ])

EXERCISES = [CACHED_STEP, GEN_FLOPS]

QUIZ = Quiz([
    Question("14.q1", "The common answer ends the generation process with “后处理，如去噪、纠错”. What happens "
                      "after the last token is chosen?", (
        Option("A denoising pass removes improbable tokens the sampler let through", False,
               "That is the common answer's step; no such pass exists. The loop's output is the token ids; "
               "Lab 1 shows the printed text is their decoding and nothing more."),
        Option("The ids are decoded to text, cut at a stop string if one was hit", True,
               "Detokenization, and trimming at EOS or a stop string (Lab 4), is all. Quality comes from "
               "the model and the decoding rule, not from a repair step."),
        Option("A second model pass proofreads the text and fixes grammar errors", False,
               "GPT's generate() returns the ids of its loop; nothing reads them again (Lab 2 matches it token "
               "for token)."),
    ), misconception=True),
    Question("14.q2", "In a forward pass over a prompt of T tokens, which logits does greedy decoding use?", (
        Option("The average of the logits of all T positions", False,
               "Each position predicts its own next token; averaging mixes T different predictions."),
        Option("Only the last position's logits: it predicts the next token", True,
               "Position t predicts token t+1; only the last one predicts a token we do not have yet."),
        Option("The first position's, which sums up the text as BERT's [CLS] does", False,
               "GPT has no [CLS] summary: with a causal mask the first position has seen only itself; the "
               "last has seen everything."),
    )),
    Question("14.q3", "What does the KV cache store, and why is it exact?", (
        Option("Earlier logits, reused when the same prefix appears again", False,
               "It stores per-layer keys and values of the tokens already processed, for every step."),
        Option("Each layer's keys and values of past tokens; causality fixes them", True,
               "With a causal mask a past token's keys and values never depend on later tokens, so they need "
               "not be recomputed: Lab 2 gets identical tokens both ways."),
        Option("A compressed summary of the context, so the results differ slightly", False,
               "Nothing is compressed: the cached keys and values are exactly those of a full pass (Lab 2)."),
    )),
    Question("14.q4", "Lab 3 generates with and without the KV cache. Which statement does it measure?", (
        Option("Without the cache, the FLOPs of each step grow with the length", True,
               "Each step re-runs all tokens so far; with the cache each step runs one token, and only the "
               "attention over the cache still grows."),
        Option("The cache cuts the FLOPs of the first step (the prompt)", False,
               "The first step processes the whole prompt in both cases (the prefill)."),
        Option("With the cache every step, the prefill too, costs the same FLOPs", False,
               "The prefill runs the whole prompt and costs far more than a cached step; the later steps are "
               "flat only to within 10 %, since attention over the cache grows (Lab 3)."),
    )),
    Question("14.q5", "Generation should stop at the stop string “\\n\\nUser:”, which the tokenizer may split "
                      "over several tokens. How do you detect it?", (
        Option("Compare each new token id with the id of the stop string", False,
               "A string spread over several tokens has no single id."),
        Option("Wait for the EOS token, which the model emits after it", False,
               "The model may go on for hundreds of tokens; EOS is a separate condition."),
        Option("Search the decoded continuation for it after each token", True,
               "Then cut the text before it. generate_text in Lab 4 does exactly that."),
    )),
])
