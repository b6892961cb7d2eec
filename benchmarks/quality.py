"""Part 5 — quality at a budget: validation loss of the course GPT after a fixed wall-clock training
time on the course corpus (word level), against a bigram model counted from the same data."""
from __future__ import annotations

import math
import time

import torch

from course.models import GPT, GPTConfig
from course.runtime import get_device
from course.models import bigram_probs
from course.text import WordTokenizer, grammar_corpus, lm_batch, train_val_split
from course.train import AdamW, clip_by_global_norm, evaluate


def measure(seconds: float = 60.0, *, device=None) -> dict:
    device = device or get_device()
    torch.manual_seed(0)
    text = grammar_corpus(20000, seed=0)
    words = WordTokenizer([text])
    ids = torch.tensor([i for line in text.splitlines() for i in words.encode(line) + [words.eos_id]])
    train, val = train_val_split(ids)
    bigram = bigram_probs(train, words.vocab_size)
    bigram_nll = -bigram[val[:-1], val[1:]].log().mean().item()
    model = GPT(GPTConfig(vocab_size=words.vocab_size, context=64, n_layers=4, n_heads=4, d_model=128)).to(device)
    opt = AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    g = torch.Generator().manual_seed(0)
    probe = [lm_batch(val, 32, 64, torch.Generator().manual_seed(100))]   # a quick check every 25 steps
    steps, start, beat_bigram_s = 0, time.perf_counter(), None
    model.train()
    while time.perf_counter() - start < seconds:
        x, y = lm_batch(train, 32, 64, g, device)
        loss = model(x, y).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        clip_by_global_norm(model.parameters(), 1.0)
        opt.step()
        steps += 1
        if beat_bigram_s is None and steps % 25 == 0:
            paused = time.perf_counter()
            if evaluate(model, probe) < bigram_nll:
                beat_bigram_s = paused - start                 # training time only, not probing time
            start += time.perf_counter() - paused
            model.train()
    val_batches = [lm_batch(val, 64, 64, torch.Generator().manual_seed(i), device) for i in range(8)]
    gpt_nll = evaluate(model, val_batches)
    return {"device": device.type, "budget_s": seconds, "steps": steps, "beat_bigram_s": beat_bigram_s,
            "gpt_val_loss": gpt_nll,
            "gpt_val_ppl": math.exp(gpt_nll), "bigram_val_loss": bigram_nll, "bigram_val_ppl": math.exp(bigram_nll)}
