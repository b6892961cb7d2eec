"""Chapter 48: NER taggers trained several times, for the comparisons too long to train live.

1. The pretrained tiny BERT fine-tuned as a word tagger, on the training sentences as they are and with stop
   words removed, seeds 0–2: entity F1 on held-out sentences with names never seen in training.
2. A small BERT trained from scratch on byte-level BPE pieces, labels on the first piece of each word or on
   every piece, seeds 0–2: entity F1 (word level) on the same held-out sentences.

The notebook trains seed 0 of each part's first variant live and checks that it reproduces the stored point.
The recipes here (data, names, stop words, tokenizer, models, steps, optimizer, schedule, seeds) must stay
the notebook's.

    python tools/sweeps/ch48_ner.py            # writes data/ch48_ner.json
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import torch

from course.metrics import entity_f1
from course.models import Bert, BertConfig, BertTokenTagger
from course.pretrained import corpus_lines, load_tiny_bert
from course.tagging import align_labels, drop_words, replace_entities, word_pieces, word_tags
from course.text import BPETokenizer, ner_examples, pad_batch
from course.train import AdamW, fit, warmup_cosine_scheduler

OUT = Path(__file__).resolve().parents[2] / "data" / "ch48_ner.json"
TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
TAG_ID = {t: i for i, t in enumerate(TAGS)}
STOP_WORDS = frozenset("a an the in on at for of to and".split())      # the usual first entries of a stop list
NEW_NAMES = {"PER": ["Sara Okafor", "Kenji", "Ivan Petrov", "Amara"],
             "ORG": ["Initech", "the World Bank", "Umbrella Corp"],
             "LOC": ["Lima", "Oslo", "the Andes", "Cairo"]}
SEEDS = (0, 1, 2)
WORD_STEPS, WORD_LR = 30, 1e-3
PIECE_STEPS, PIECE_LR = 100, 4e-3


def invented_names(n: int, seed: int) -> dict[str, list[str]]:
    """n made-up names per type, from random syllables: training names the tokenizer must split."""
    rng = random.Random(seed)
    syllables = "ka lo mi ren sa to vi da nu pe ri zo an el mar tin".split()

    def word():
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()

    return {"PER": [word() + (" " + word() if rng.random() < 0.5 else "") for _ in range(n)],
            "ORG": [word() + rng.choice(["", " Corp", " Group"]) for _ in range(n)],
            "LOC": [word() for _ in range(n)]}


def datasets():
    train = ner_examples(2000, seed=0)
    rng = random.Random(1)
    test = [replace_entities(words, tags, NEW_NAMES, rng) for words, tags in ner_examples(200, seed=1)]
    return train, test


def strip(data):
    return [drop_words(words, tags, STOP_WORDS) for words, tags in data]


def train_tagger(model, encode, data, steps, lr, seed):
    batches = torch.Generator().manual_seed(seed)

    def get_batch(step):
        idx = torch.randint(len(data), (32,), generator=batches)
        return encode([data[i] for i in idx])

    optimizer = AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    fit(model, optimizer, get_batch, steps, scheduler=warmup_cosine_scheduler(optimizer, warmup=5, total=steps),
        progress=False)
    return model.eval()


# ---- part 1: the pretrained word-level BERT ------------------------------------------------------------
def word_encoder(tok):
    def encode(batch):
        ids, _ = pad_batch([[tok.bos_id] + [tok.stoi.get(w.lower(), tok.unk_id) for w in words] + [tok.eos_id]
                            for words, _ in batch], tok.pad_id)
        labels, _ = pad_batch([[-100] + [TAG_ID[t] for t in tags] + [-100] for _, tags in batch], -100)
        return ids, ids != tok.pad_id, labels
    return encode


@torch.inference_mode()
def word_f1(model, encode, data) -> float:
    ids, mask, labels = encode(data)
    pred = model(ids, mask).logits.argmax(-1)
    tags = [[TAGS[p] for p, y in zip(row, gold) if y != -100] for row, gold in zip(pred.tolist(), labels.tolist())]
    return entity_f1([t for _, t in data], tags)[2]


def word_tagger(seed, data):
    bert, tok = load_tiny_bert()
    torch.manual_seed(seed)
    encode = word_encoder(tok)
    return train_tagger(BertTokenTagger(bert, len(TAGS)), encode, data, WORD_STEPS, WORD_LR, seed), encode


# ---- part 2: a small BERT on BPE pieces -------------------------------------------------------------------
def bpe_tokenizer():
    return BPETokenizer.train("\n".join(corpus_lines(2000, seed=0)), 512)


def piece_encoder(bpe, strategy):
    cls, sep = bpe.vocab_size, bpe.vocab_size + 1                     # two extra ids: [CLS], [SEP]; pad = 0

    def encode(batch):
        rows, labels = [], []
        for words, tags in batch:
            ids, word_of = word_pieces(words, bpe)
            piece_tags = align_labels(word_of, tags, strategy)
            rows.append([cls] + ids + [sep])
            labels.append([-100] + [-100 if t is None else TAG_ID[t] for t in piece_tags] + [-100])
        ids, mask = pad_batch(rows, 0)
        return ids, mask, pad_batch(labels, -100)[0]
    return encode


@torch.inference_mode()
def piece_f1(model, bpe, data) -> float:
    ids, mask, _ = piece_encoder(bpe, "first")(data)
    pred = model(ids, mask).logits.argmax(-1)
    tags = []
    for (words, _), row in zip(data, pred.tolist()):
        _, word_of = word_pieces(words, bpe)
        tags.append(word_tags(word_of, [TAGS[p] for p in row[1:1 + len(word_of)]]))
    return entity_f1([t for _, t in data], tags)[2]


def piece_tagger(seed, bpe, strategy, data):
    torch.manual_seed(seed)
    bert = Bert(BertConfig(vocab_size=bpe.vocab_size + 2, max_len=64, n_layers=2, n_heads=4, d_model=64))
    return train_tagger(BertTokenTagger(bert, len(TAGS)), piece_encoder(bpe, strategy), data, PIECE_STEPS,
                        PIECE_LR, seed)


def main(parts=("words", "pieces")) -> None:
    torch.set_num_threads(1)
    train, test = datasets()
    result = {}
    if "words" in parts:
        rows = []
        for seed in SEEDS:
            model, encode = word_tagger(seed, train)
            stripped_model, _ = word_tagger(seed, strip(train))
            rows.append({"seed": seed, "full_text": round(word_f1(model, encode, test), 4),
                         "stripped_input": round(word_f1(model, encode, strip(test)), 4),
                         "trained_and_tested_stripped": round(word_f1(stripped_model, encode, strip(test)), 4)})
            print(rows[-1], flush=True)
        result["stop_words"] = rows
    if "pieces" in parts:
        bpe, rows = bpe_tokenizer(), []
        names, rng = invented_names(40, seed=2), random.Random(2)
        train = [replace_entities(words, tags, names, rng) for words, tags in train]
        for seed in SEEDS:
            row = {"seed": seed}
            for strategy in ("first", "all"):
                row[strategy] = round(piece_f1(piece_tagger(seed, bpe, strategy, train), bpe, test), 4)
            rows.append(row)
            print(rows[-1], flush=True)
        result["subwords"] = rows
    result = {**(json.loads(OUT.read_text()) if OUT.exists() else {}), **result}    # parts may run apart
    result["script"] = "tools/sweeps/ch48_ner.py"
    result["recipe"] = (f"train ner_examples(2000, seed=0); test ner_examples(200, seed=1) with every name replaced "
                        f"by an unseen one (random.Random(1)); stop words {sorted(STOP_WORDS)}; words: tiny BERT "
                        f"+ linear head, {WORD_STEPS} steps lr {WORD_LR}; pieces: BPE 512 on corpus_lines(2000), training names replaced by invented_names(40, seed=2) "
                        f"(random.Random(2)), "
                        f"BERT 2x64 from scratch, {PIECE_STEPS} steps lr {PIECE_LR}; AdamW wd 0.01, batch 32, "
                        f"warmup 5 + cosine; torch.manual_seed(seed), batch generator seed = seed")
    OUT.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main(tuple(sys.argv[1:]) or ("words", "pieces"))
