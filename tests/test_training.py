"""A tiny GPT learns the course corpus on CPU and beats a bigram model (loosely asserted; the
benchmark measures it precisely)."""
import math

import torch

from course.models import GPT, GPTConfig
from course.runtime import seed_everything
from course.models import bigram_probs
from course.text import CharTokenizer, grammar_corpus, lm_batch, train_val_split
from course.train import AdamW, clip_by_global_norm, evaluate, fit, warmup_cosine_scheduler


def test_tiny_gpt_beats_bigram_quickly():
    g = seed_everything(0)
    text = grammar_corpus(3000, seed=0)
    tok = CharTokenizer(text)
    data = torch.tensor(tok.encode(text))
    train, val = train_val_split(data)
    probs = bigram_probs(train, tok.vocab_size)
    bigram_nll = float(-probs[val[:-1], val[1:]].log().mean())

    model = GPT(GPTConfig.preset("tiny", vocab_size=tok.vocab_size))
    opt = AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    history = fit(model, opt, lambda s: lm_batch(train, 16, 64, g), 250,
                  clip=lambda p: clip_by_global_norm(p, 1.0),
                  scheduler=warmup_cosine_scheduler(opt, warmup=20, total=250), progress=False)
    vg = torch.Generator().manual_seed(1)
    val_loss = evaluate(model, [lm_batch(val, 32, 64, vg) for _ in range(4)])
    assert history.loss[0] > history.final_loss
    assert abs(history.loss[0] - math.log(tok.vocab_size)) < 0.5     # starts near ln V
    assert val_loss < bigram_nll - 0.2, (val_loss, bigram_nll)
