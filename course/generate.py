"""Decoding from a language model: greedy, temperature, top-k, top-p (nucleus), beam search, KV cache.

Every function takes a model with the course's GPT interface:
``model(idx (B, T), cache=None, use_cache=False) -> ModelOutput(logits (B, T, V), cache)``.
"""
from __future__ import annotations

import torch

from .runtime import eval_mode
from .validate import check_finite, check_int, check_module, check_positive, check_probability, check_tensor

__all__ = ["filter_logits", "sample_next", "generate", "beam_search"]


def filter_logits(logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
    """Set to −inf every logit outside the top-k and/or outside the smallest set of tokens whose
    probabilities add up to ``top_p``. logits: (B, V) -> (B, V)."""
    check_tensor("logits", logits, ndim=2, dtype="float")
    if top_k is not None:
        check_int("top_k", top_k, minimum=1)
        kth = logits.topk(min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        check_probability("top_p", top_p)
        if top_p == 0:
            raise ValueError("top_p must be > 0 (top_p=0 would keep no token)")
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        drop_sorted = cum - sorted_logits.softmax(-1) >= top_p    # keep tokens until mass reaches top_p
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def sample_next(logits: torch.Tensor, *, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, greedy: bool = False,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """One next token per row from logits (B, V) -> (B, 1)."""
    check_tensor("logits", logits, ndim=2, dtype="float", nonempty=True)
    if greedy:
        if logits.device.type == "cpu":   # argmax would pick a NaN; on a GPU, checking would stall it
            check_finite("logits", logits, allow_neg_inf=True)
        return logits.argmax(-1, keepdim=True)
    check_positive("temperature", temperature)
    probs = filter_logits(logits / temperature, top_k, top_p).softmax(-1).float().cpu()
    if not probs.isfinite().all():   # NaN or +inf logits, or a row with every token at -inf
        check_finite("logits", logits.cpu(), allow_neg_inf=True)
        raise ValueError("logits must keep at least one token per row above -inf")
    return torch.multinomial(probs, 1, generator=generator).to(logits.device)


@torch.no_grad()
def generate(model, idx: torch.Tensor, max_new_tokens: int, *, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None, greedy: bool = False,
             use_cache: bool = True, eos_id: int | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Extend idx (B, T) by up to ``max_new_tokens`` tokens, one at a time -> (B, T + new).

    With ``use_cache`` the model sees only the newest token at each step and reuses stored keys and
    values (the KV cache); without it the whole sequence is run again every step. Both give the same
    tokens. Stops early once every row has produced ``eos_id``.
    """
    check_module("model", model)
    check_tensor("idx", idx, ndim=2, dtype="int", nonempty=True)   # a prompt of at least one token
    check_int("max_new_tokens", max_new_tokens, minimum=0)
    context = getattr(getattr(model, "config", None), "context", None)
    if use_cache and context is not None and idx.shape[1] + max_new_tokens > context:
        use_cache = False   # a cache cannot slide: past the window, recompute over the last tokens
    finished = torch.zeros(idx.shape[0], dtype=torch.bool, device=idx.device)
    cache = None
    with eval_mode(model):
        for _ in range(max_new_tokens):
            if use_cache:
                out = model(idx if cache is None else idx[:, -1:], cache=cache, use_cache=True)
                cache = out.cache
            else:
                out = model(idx if context is None else idx[:, -context:])
            nxt = sample_next(out.logits[:, -1], temperature=temperature, top_k=top_k, top_p=top_p,
                              greedy=greedy, generator=generator)
            if eos_id is not None:
                nxt = nxt.masked_fill(finished[:, None], eos_id)
                finished |= nxt[:, 0] == eos_id
            idx = torch.cat([idx, nxt], dim=1)
            if eos_id is not None and finished.all():
                break
    return idx


@torch.no_grad()
def beam_search(model, idx: torch.Tensor, max_new_tokens: int, *, beam_size: int = 4,
                length_penalty: float = 1.0, eos_id: int | None = None) -> tuple[torch.Tensor, float]:
    """Keep the ``beam_size`` most probable continuations of one prompt idx (1, T).

    Scores are summed log-probabilities divided by length**length_penalty. Returns the best
    sequence (1, T + n) and its score.
    """
    check_module("model", model)
    check_tensor("idx", idx, ndim=2, dtype="int", nonempty=True)
    if idx.shape[0] != 1:
        raise ValueError(f"beam_search takes one prompt, idx must have shape (1, T), got {tuple(idx.shape)}")
    check_int("beam_size", beam_size, minimum=1)
    check_int("max_new_tokens", max_new_tokens, minimum=1)

    def normalized(candidate) -> float:
        seq, score, _ = candidate
        return score / ((seq.shape[1] - idx.shape[1]) ** length_penalty)

    beams = [(idx, 0.0, False)]
    with eval_mode(model):
        for _ in range(max_new_tokens):
            candidates = []
            for seq, score, done in beams:
                if done:
                    candidates.append((seq, score, True))
                    continue
                logp = model(seq).logits[0, -1].float().log_softmax(-1)
                if beam_size > logp.shape[-1]:
                    raise ValueError(f"beam_size ({beam_size}) must not exceed the vocabulary size "
                                     f"({logp.shape[-1]}): each beam extends by its top beam_size tokens")
                top = logp.topk(beam_size)
                for lp, tok in zip(top.values.tolist(), top.indices.tolist()):
                    new = torch.cat([seq, seq.new_tensor([[tok]])], dim=1)
                    candidates.append((new, score + lp, tok == eos_id))
            beams = sorted(candidates, key=normalized, reverse=True)[:beam_size]
            if all(done for _, _, done in beams):
                break
    return beams[0][0], normalized(beams[0])
