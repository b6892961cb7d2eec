"""The course's pretrained tiny models: a GPT and a BERT trained on the course's own corpus.

Chapters that need a model that already knows the language (fine-tuning, probing, transfer learning, the
task chapters) load these with one call instead of spending their minute on pretraining:

    gpt, tok = load_tiny_gpt()          # next-token prediction
    bert, tok = load_tiny_bert()        # masked-language modelling (15 % chosen, 80/10/10)

`python tools/pretrain_tiny_models.py` (`make data`) remakes them from a seed; each `data/pretrained/*.log.json`
records how: seed, steps, batch, learning rate, time, first losses and the final validation loss.
"""
from __future__ import annotations

import functools
import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from . import DATA_DIR as COURSE_DATA
from .checkpoints import load_model, save_model
from .models import GPT, Bert, BertConfig, GPTConfig
from .text import (WordTokenizer, grammar_corpus, lm_batch, ner_examples, pad_batch, qa_examples,
                   sentiment_examples, topic_examples)
from .models.bert import mask_tokens
from .train.schedules import warmup_cosine_scheduler
from .validate import check_in, check_int

__all__ = ["corpus_lines", "held_out_lines", "load_tiny_gpt", "load_tiny_bert", "Recipe", "RECIPES", "pretrain", "validation_loss",
           "DATA_DIR"]

DATA_DIR = COURSE_DATA / "pretrained"
CLS, SEP, MASK = "<bos>", "<eos>", "<mask>"      # BERT's [CLS] and [SEP] reuse the tokenizer's <bos>/<eos>
# Validation text comes from another seed. The generators' grammar is small, so short lines recur: about a
# third of the validation lines also occur in the training text. held_out_lines() drops those; the recorded
# validation losses of the shipped models keep the original 1,000 lines (see their logs).
VAL_SEED = 10_000


def corpus_lines(n: int, seed: int = 0) -> list[str]:
    """``n`` lines of the course corpus, shuffled: half grammar sentences (long-range agreement), the other
    half sentiment, topic, NER and QA text in equal parts, so that the models know the task chapters' words."""
    check_int("n", n, minimum=8)
    check_int("seed", seed, minimum=0)
    k = n // 8
    lines = grammar_corpus(n - 4 * k, seed).splitlines()
    lines += [text for text, _ in sentiment_examples(k, seed)]
    lines += [text for text, _ in topic_examples(k, seed)]
    lines += [" ".join(tokens) for tokens, _ in ner_examples(k, seed)]
    lines += [f"{ex.context} {ex.question}" for ex in qa_examples(k, seed)]
    random.Random(seed).shuffle(lines)
    return lines


def held_out_lines(n: int, seed: int = VAL_SEED) -> list[str]:
    """``n`` lines of the course corpus that the shipped models never saw in training: lines of another
    seed, with every line that also occurs in the pretraining text removed (about a third of them)."""
    check_int("n", n, minimum=1)
    check_int("seed", seed, minimum=1)
    seen = _training_lines()
    out, draw = [], n
    while len(out) < n:
        out = [line for line in corpus_lines(max(8, 2 * draw), seed=seed) if line not in seen][:n]
        draw *= 2
    return out


@functools.lru_cache(maxsize=1)
def _training_lines() -> frozenset:
    recipe = RECIPES["gpt"]          # both models were pretrained on the same lines
    assert RECIPES["bert"].n_lines == recipe.n_lines and RECIPES["bert"].seed == recipe.seed
    return frozenset(corpus_lines(recipe.n_lines, recipe.seed))


def _tokenizer(vocab: list[str]) -> WordTokenizer:
    tok = WordTokenizer([" ".join(vocab[len(WordTokenizer.SPECIALS):])])
    if tok.itos != vocab:
        raise ValueError("the stored vocabulary does not rebuild the same tokenizer")
    return tok


def _build_vocab() -> list[str]:
    return WordTokenizer(corpus_lines(20_000, seed=0) + [MASK]).itos


@dataclass(frozen=True)
class Recipe:
    """How one tiny model is pretrained; stored in its log."""
    kind: str              # "gpt" or "bert"
    steps: int
    batch: int
    lr: float
    warmup: int
    seed: int = 0
    n_lines: int = 20_000   # training text (the validation text is another 1,000 lines, another seed)
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    context: int = 64


RECIPES = {"gpt": Recipe("gpt", steps=1000, batch=32, lr=3e-3, warmup=50),
           "bert": Recipe("bert", steps=1500, batch=128, lr=2e-3, warmup=100)}


def _model(recipe: Recipe, vocab_size: int) -> torch.nn.Module:
    torch.manual_seed(recipe.seed)
    if recipe.kind == "gpt":
        return GPT(GPTConfig(vocab_size=vocab_size, context=recipe.context, n_layers=recipe.n_layers,
                             n_heads=recipe.n_heads, d_model=recipe.d_model))
    return Bert(BertConfig(vocab_size=vocab_size, max_len=recipe.context, n_layers=recipe.n_layers,
                           n_heads=recipe.n_heads, d_model=recipe.d_model))


def _stream(tok: WordTokenizer, lines: list[str]) -> torch.Tensor:
    """One token stream for next-token prediction: lines separated by <eos>."""
    return torch.tensor([i for line in lines for i in tok.encode(line) + [tok.eos_id]], dtype=torch.long)


def _bert_batch(tok: WordTokenizer, lines: list[str], generator: torch.Generator):
    """[CLS] line [SEP], padded; 15 % of the real words chosen for MLM (80/10/10). Returns (ids, mask, labels)."""
    ids, real = pad_batch([[tok.bos_id] + tok.encode(line) + [tok.eos_id] for line in lines], tok.pad_id)
    special = ~real | (ids == tok.bos_id) | (ids == tok.eos_id)
    inputs, labels = mask_tokens(ids, tok.stoi[MASK], tok.vocab_size, special=special, generator=generator)
    return inputs, real, labels


def _loss(model, recipe: Recipe, batch) -> torch.Tensor:
    if recipe.kind == "gpt":
        return model(batch[0], targets=batch[1]).loss
    inputs, real, labels = batch
    return model(inputs, attention_mask=real, labels=labels).loss


def _batches(recipe: Recipe, tok: WordTokenizer, lines: list[str]):
    """get_batch(step) for training, seeded so that the same recipe sees the same batches."""
    gen = torch.Generator().manual_seed(recipe.seed)
    if recipe.kind == "gpt":
        data = _stream(tok, lines)
        return lambda step: lm_batch(data, recipe.batch, recipe.context, generator=gen)
    order = random.Random(recipe.seed)
    return lambda step: _bert_batch(tok, order.sample(lines, recipe.batch), gen)


@torch.inference_mode()
def validation_loss(model: torch.nn.Module, tok: WordTokenizer, kind: str) -> float:
    """Mean loss on the fixed validation text (1,000 lines of another seed): next-token loss over
    consecutive windows for the GPT, MLM loss with a fixed masking draw for BERT."""
    check_in("kind", kind, ("gpt", "bert"))
    lines = corpus_lines(1000, seed=VAL_SEED)
    was_training = model.training
    model.eval()
    if kind == "gpt":
        data, t = _stream(tok, lines), model.config.context
        n = (len(data) - 1) // t
        x, y = data[:n * t].view(n, t), data[1:n * t + 1].view(n, t)
        losses = [model(x[i:i + 64], targets=y[i:i + 64]).loss.item() * len(x[i:i + 64]) for i in range(0, n, 64)]
        loss = sum(losses) / n
    else:
        inputs, real, labels = _bert_batch(tok, lines, torch.Generator().manual_seed(VAL_SEED))
        loss = model(inputs, attention_mask=real, labels=labels).loss.item()
    model.train(was_training)
    return loss


def pretrain(kind: str, stop_after: int | None = None, *, progress: bool = True, recipe: Recipe | None = None):
    """Pretrain the tiny ``kind`` model ("gpt" or "bert") by its recipe (or ``recipe``); ``stop_after``
    ends the run early with the recipe's schedule unchanged, so the first steps repeat a full run's.

    Returns ``(model, tokenizer, log)``; the log holds the recipe, the losses of the first steps, the time
    and the final validation loss.
    """
    check_in("kind", kind, RECIPES)
    recipe = recipe or RECIPES[kind]
    steps = recipe.steps if stop_after is None else min(recipe.steps, check_int("stop_after", stop_after, minimum=1))
    tok = _tokenizer(_build_vocab())
    model = _model(recipe, tok.vocab_size)
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.01)
    sched = warmup_cosine_scheduler(opt, warmup=recipe.warmup, total=recipe.steps)
    get_batch = _batches(recipe, tok, corpus_lines(recipe.n_lines, recipe.seed))
    from tqdm.auto import tqdm

    losses, start = [], time.perf_counter()
    model.train()
    for step in tqdm(range(steps), disable=not progress, desc=f"pretraining tiny {kind}"):
        loss = _loss(model, recipe, get_batch(step))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    log = {"recipe": asdict(recipe), "steps": steps, "seconds": time.perf_counter() - start,
           "threads": torch.get_num_threads(), "torch": torch.__version__, "first_losses": losses[:5],
           "last_train_loss": sum(losses[-50:]) / len(losses[-50:]),
           "val_loss": validation_loss(model, tok, kind), "vocab": tok.itos}
    return model.eval(), tok, log


def save(kind: str, model, log: dict, folder: Path = DATA_DIR) -> Path:
    """Write ``tiny_<kind>.safetensors`` + ``.json`` (config) + ``.log.json`` (recipe, vocab, losses)."""
    path = save_model(model, folder / f"tiny_{kind}.safetensors")
    (folder / f"tiny_{kind}.log.json").write_text(json.dumps(log, indent=1, ensure_ascii=False))
    return path


def _load(kind: str, device=None):
    path = DATA_DIR / f"tiny_{kind}.safetensors"
    log_path = DATA_DIR / f"tiny_{kind}.log.json"
    if not path.exists() or not log_path.exists():
        raise FileNotFoundError(f"{path.name} is missing from {DATA_DIR}: run `make data` "
                                f"(python tools/pretrain_tiny_models.py) to make it")
    log = json.loads(log_path.read_text())
    return load_model(path, device).eval(), _tokenizer(log["vocab"])


def load_tiny_gpt(device=None) -> tuple[GPT, WordTokenizer]:
    """The course's pretrained tiny GPT (4 layers, d=128, context 64 words) and its word tokenizer."""
    return _load("gpt", device)


def load_tiny_bert(device=None) -> tuple[Bert, WordTokenizer]:
    """The course's pretrained tiny BERT (MLM; 4 layers, d=128, 64 positions) and its tokenizer.
    [CLS] is ``tok.bos_id``, [SEP] is ``tok.eos_id``, [MASK] is ``tok.stoi["<mask>"]``."""
    return _load("bert", device)
