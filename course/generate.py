"""Decoding from a language model: greedy, temperature, top-k, top-p (nucleus), repetition penalty, beam
search, KV cache, stop conditions (EOS, length, stop strings).

Every function takes a model with the course's GPT interface:
``model(idx (B, T), cache=None, use_cache=False) -> ModelOutput(logits (B, T, V), cache)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .runtime import eval_mode
from .validate import (check_finite, check_int, check_module, check_number, check_positive, check_probability,
                       check_tensor)

__all__ = ["filter_logits", "apply_repetition_penalty", "sample_next", "stream", "generate", "generate_text", "Generation",
           "find_stop", "beam_search"]


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


def apply_repetition_penalty(logits: torch.Tensor, idx: torch.Tensor, penalty: float) -> torch.Tensor:
    """CTRL's repetition penalty (Keskar et al., 2019): the logit of every token that occurs in ``idx`` is
    divided by ``penalty`` if positive and multiplied by it if negative, so that it always moves down for
    penalty > 1 — once per distinct token, however often it occurred. logits: (B, V), idx: (B, T) -> (B, V)."""
    check_tensor("logits", logits, ndim=2, dtype="float")
    check_tensor("idx", idx, ndim=2, dtype="int")
    if idx.shape[0] != logits.shape[0]:
        raise ValueError(f"idx must have one row per row of logits ({logits.shape[0]}), got {idx.shape[0]}")
    check_positive("penalty", check_number("penalty", penalty))
    seen = logits.gather(1, idx)                                       # (B, T): logits of the tokens seen
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return logits.scatter(1, idx, seen)


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


def stream(model, idx: torch.Tensor, max_new_tokens: int, *, temperature: float = 1.0,
           top_k: int | None = None, top_p: float | None = None, greedy: bool = False,
           repetition_penalty: float = 1.0, use_cache: bool = True,
           generator: torch.Generator | None = None):
    """Yield the next token of every row, (B, 1), up to ``max_new_tokens`` times: the autoregressive loop.

    With ``use_cache`` the model sees only the newest token at each step and reuses stored keys and
    values (the KV cache); without it the whole sequence is run again every step. Both give the same
    tokens. ``repetition_penalty`` > 1 lowers the logits of every token already in the row (prompt
    included) before sampling. A caller that has what it needs simply stops reading.
    """
    check_module("model", model)
    check_tensor("idx", idx, ndim=2, dtype="int", nonempty=True)   # a prompt of at least one token
    check_int("max_new_tokens", max_new_tokens, minimum=0)
    check_positive("repetition_penalty", check_number("repetition_penalty", repetition_penalty))
    if not greedy:
        check_positive("temperature", temperature)
    context = getattr(getattr(model, "config", None), "context", None)
    if use_cache and context is not None and idx.shape[1] + max_new_tokens > context:
        use_cache = False   # a cache cannot slide: past the window, recompute over the last tokens
    return _steps(model, idx, max_new_tokens, context, use_cache, repetition_penalty,
                  dict(temperature=temperature, top_k=top_k, top_p=top_p, greedy=greedy, generator=generator))


def _steps(model, idx, max_new_tokens, context, use_cache, repetition_penalty, sampling):
    cache = None
    with torch.no_grad(), eval_mode(model):
        for _ in range(max_new_tokens):
            if use_cache:    # first step: the whole prompt (prefill); then only the newest token
                out = model(idx if cache is None else idx[:, -1:], cache=cache, use_cache=True)
                cache = out.cache
            else:
                out = model(idx if context is None else idx[:, -context:])
            logits = out.logits[:, -1]
            if repetition_penalty != 1.0:
                logits = apply_repetition_penalty(logits, idx, repetition_penalty)
            nxt = sample_next(logits, **sampling)
            idx = torch.cat([idx, nxt], dim=1)
            yield nxt


@torch.no_grad()
def generate(model, idx: torch.Tensor, max_new_tokens: int, *, eos_id: int | None = None,
             **sampling) -> torch.Tensor:
    """Extend idx (B, T) by up to ``max_new_tokens`` tokens, one at a time -> (B, T + new).

    ``sampling``: the keyword arguments of :func:`stream` (``greedy``, ``temperature``, ``top_k``,
    ``top_p``, ``repetition_penalty``, ``use_cache``, ``generator``). Stops early once every row has
    produced ``eos_id``; rows that finished earlier are padded with ``eos_id``.
    """
    steps = stream(model, idx, max_new_tokens, **sampling)     # validates its arguments
    finished = torch.zeros(idx.shape[0], dtype=torch.bool, device=idx.device)
    for nxt in steps:
        if eos_id is not None:
            nxt = nxt.masked_fill(finished[:, None], eos_id)
            finished |= nxt[:, 0] == eos_id
        idx = torch.cat([idx, nxt], dim=1)
        if eos_id is not None and finished.all():
            break
    return idx


def find_stop(text: str, stops) -> tuple[int, str] | None:
    """(position, stop string) of the earliest stop string in ``text`` (on a tie, the longest), or None."""
    if isinstance(stops, str) or not all(isinstance(x, str) and x for x in stops):
        raise TypeError(f"stops must be a list of non-empty strings, got {stops!r}")
    hits = [(text.find(x), -len(x), x) for x in stops if x in text]
    return (min(hits)[0], min(hits)[2]) if hits else None


@dataclass(frozen=True)
class Generation:
    """What :func:`generate_text` returns: the new text, its token ids, and why generation stopped."""
    text: str
    ids: list[int]
    stop_reason: str      # "eos" | "stop string" | "max_new_tokens"


@torch.no_grad()
def generate_text(model, tokenizer, prompt: str, max_new_tokens: int, *, stop=(), eos_id: int | None = None,
                  **sampling) -> Generation:
    """Continue ``prompt`` one token at a time until one of three stop conditions holds:

    - the model emits ``eos_id`` (default ``tokenizer.eos_id``); the EOS token is not part of the text;
    - the decoded continuation contains a string of ``stop``; the text is cut just before it (a stop
      string may span several tokens, so the *text* is searched, not the last token), and ``ids`` keeps
      only the tokens whose decoding lies wholly before it;
    - ``max_new_tokens`` tokens have been generated.

    The prompt is encoded after an ``eos_id`` token: the course models read lines separated by EOS, so EOS
    also marks the start of a text (as GPT-2's ``<|endoftext|>`` does). ``sampling`` takes the keyword
    arguments of :func:`generate` (``greedy``, ``temperature``, ``top_k``, ``top_p``, ``repetition_penalty``,
    ``generator``, ``use_cache``).
    """
    check_module("model", model)
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, got {type(prompt).__name__}")
    check_int("max_new_tokens", max_new_tokens, minimum=1)
    stops = [stop] if isinstance(stop, str) else list(stop)
    find_stop("", stops)                                              # validates the stop strings
    eos_id = tokenizer.eos_id if eos_id is None else check_int("eos_id", eos_id, minimum=0)
    idx = torch.tensor([[eos_id] + tokenizer.encode(prompt)], device=next(model.parameters()).device)
    new: list[int] = []
    for nxt in stream(model, idx, max_new_tokens, **sampling):
        token = int(nxt)
        if token == eos_id:
            return Generation(tokenizer.decode(new), new, "eos")
        new.append(token)
        text = tokenizer.decode(new)
        hit = find_stop(text, stops)
        if hit is not None:
            while new and len(tokenizer.decode(new)) > hit[0]:   # drop the tokens the stop string spans
                new.pop()
            return Generation(text[:hit[0]].rstrip(), new, "stop string")
    return Generation(tokenizer.decode(new), new, "max_new_tokens")


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

    context = getattr(getattr(model, "config", None), "context", None)
    beams = [(idx, 0.0, False)]
    with eval_mode(model):
        for _ in range(max_new_tokens):
            candidates = [beam for beam in beams if beam[2]]                 # finished beams stay as they are
            live = [beam for beam in beams if not beam[2]]                   # all of the same length
            seqs = torch.cat([seq for seq, _, _ in live])                    # (n_live, T): one batched pass
            logp = model(seqs if context is None else seqs[:, -context:]).logits[:, -1].float().log_softmax(-1)
            if beam_size > logp.shape[-1]:
                raise ValueError(f"beam_size ({beam_size}) must not exceed the vocabulary size "
                                 f"({logp.shape[-1]}): each beam extends by its top beam_size tokens")
            top = logp.topk(beam_size)
            for (seq, score, _), values, tokens in zip(live, top.values.tolist(), top.indices.tolist()):
                for lp, tok in zip(values, tokens):
                    new = torch.cat([seq, seq.new_tensor([[tok]])], dim=1)
                    candidates.append((new, score + lp, tok == eos_id))
            beams = sorted(candidates, key=normalized, reverse=True)[:beam_size]
            if all(done for _, _, done in beams):
                break
    return beams[0][0], normalized(beams[0])
