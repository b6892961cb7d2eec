"""Chapter 1, Lab 5: the chapter's tiny GPT trained with one recipe at three widths.

The notebook trains the middle point itself and plots the stored sweep; training all three there would
exceed the chapter's time budget. The recipe here must stay the notebook's (corpus, tokenizer, split,
initial seed, batch order, optimizer, schedule, evaluation) so that its live run reproduces a point.

    python tools/sweeps/ch01_model_size.py          # writes data/ch01_model_size.json (a few minutes on CPU)
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from course.models import GPT, GPTConfig, count_parameters
from course.text import WordTokenizer, agreement_pairs, grammar_corpus, lm_batch, train_val_split
from course.train import AdamW, evaluate, fit, warmup_cosine_scheduler

OUT = Path(__file__).resolve().parents[2] / "data" / "ch01_model_size.json"
WIDTHS = (32, 64, 128)
STEPS = 200


def agreement(model: GPT, words: WordTokenizer, pairs) -> float:
    """Fraction of prefixes for which the model gives the right verb form the higher log-probability."""
    def logprob(prefix: str, continuation: str) -> float:
        ids = torch.tensor([words.encode(prefix) + words.encode(continuation)])
        n = len(words.encode(continuation))
        logp = model(ids[:, :-1]).logits.log_softmax(-1)[0, -n:]
        return logp.gather(-1, ids[0, -n:, None]).sum().item()

    with torch.inference_mode():
        return sum(logprob(p, right) > logprob(p, wrong) for p, right, wrong in pairs) / len(pairs)


def main() -> None:
    text = grammar_corpus(4000, seed=0)
    words = WordTokenizer([text])
    corpus_ids = torch.tensor([i for line in text.splitlines() for i in words.encode(line) + [words.eos_id]])
    train_ids, val_ids = train_val_split(corpus_ids)
    val_batches = [lm_batch(val_ids, 64, 32, torch.Generator().manual_seed(i)) for i in range(4)]
    pairs = agreement_pairs(300, seed=123)
    points = []
    for width in WIDTHS:
        config = GPTConfig(vocab_size=words.vocab_size, context=32, n_layers=2, n_heads=4, d_model=width)
        torch.manual_seed(0)
        model = GPT(config)
        optimizer = AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
        batches = torch.Generator().manual_seed(1)
        fit(model, optimizer, lambda step: lm_batch(train_ids, 32, config.context, batches), STEPS,
            scheduler=warmup_cosine_scheduler(optimizer, warmup=30, total=STEPS), progress=False)
        with torch.inference_mode():
            val_loss = evaluate(model, val_batches)
        points.append({"d_model": width, "parameters": count_parameters(model), "val_loss": round(val_loss, 4),
                       "agreement": round(agreement(model, words, pairs), 4)})
        print(points[-1], flush=True)
    OUT.write_text(json.dumps({
        "script": "tools/sweeps/ch01_model_size.py",
        "recipe": f"grammar_corpus(4000, seed=0), word tokens, GPT n_layers=2 n_heads=4 context=32, "
                  f"AdamW lr 3e-3 wd 0.01, warmup 30 + cosine, {STEPS} steps of batch 32, "
                  f"torch.manual_seed(0) before init, batch generator seed 1",
        "torch": torch.__version__,
        "points": points}, indent=1) + "\n")


if __name__ == "__main__":
    main()
