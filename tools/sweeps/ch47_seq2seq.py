"""Chapter 47: the chapter's encoder–decoder, trained once, and greedy vs beam search at widths 1…8.

Training takes longer than the chapter's time budget, so this script trains the model, stores it in
`data/ch47_seq2seq.safetensors` (+ `.json`), and decodes the 200 held-out numbers with every beam width,
once with the model halfway through training and once with the final model; results go to
`data/ch47_beam.json`. The notebook loads the model, re-runs greedy decoding and one beam width live and
checks that they reproduce the stored points. The recipe here (data, split, vocabularies, seeds, steps,
optimizer, schedule, decoding) must stay the notebook's.

    python tools/sweeps/ch47_seq2seq.py        # a few minutes on a laptop CPU
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import torch
from torch import nn

from course.checkpoints import save_model
from course.generate import beam_search
from course.metrics import bleu
from course.models import ModelOutput, Seq2SeqConfig, Seq2SeqTransformer
from course.text import number_to_words, pad_batch
from course.train import AdamW, fit, warmup_cosine_scheduler

DATA = Path(__file__).resolve().parents[2] / "data"
STEPS, HALF, LR, BATCH = 1200, 300, 3e-3, 64
WIDTHS = (1, 2, 3, 4, 6, 8)
PAD, BOS, EOS = 0, 1, 2
MAX_LEN = 7                                   # the longest target, "nine hundred ninety nine", is 4 words


def task():
    """Numbers 0…999 as three digits → English words; a fixed random 800 for training, 200 held out."""
    order = torch.randperm(1000, generator=torch.Generator().manual_seed(0)).tolist()
    pairs = [(f"{n:03d}", number_to_words(n, "en").replace("-", " ")) for n in order]
    src_vocab = ["<pad>"] + list("0123456789")
    tgt_vocab = ["<pad>", "<bos>", "<eos>"] + sorted({w for _, t in pairs for w in t.split()})
    return pairs[:800], pairs[800:], src_vocab, tgt_vocab


TRAIN, TEST, SRC_VOCAB, TGT_VOCAB = task()
SRC_ID = {c: i for i, c in enumerate(SRC_VOCAB)}
TGT_ID = {w: i for i, w in enumerate(TGT_VOCAB)}


def encode(batch):
    """(src (B, 3), decoder input (B, T), targets (B, T) with −100 at padding) for teacher forcing."""
    src = torch.tensor([[SRC_ID[c] for c in digits] for digits, _ in batch])
    tgt, _ = pad_batch([[TGT_ID[w] for w in words.split()] + [EOS] for _, words in batch], PAD)
    tgt_in = torch.cat([torch.full((len(batch), 1), BOS), tgt[:, :-1]], dim=1)
    return src, tgt_in, tgt.masked_fill(tgt == PAD, -100)


def words_of(ids) -> str:
    out = []
    for i in ids:
        if i == EOS:
            break
        out.append(TGT_VOCAB[i])
    return " ".join(out)


class FixedSource(nn.Module):
    """The decoder with one source sentence's encoder states held fixed, in the interface of a decoder-only
    LM (ids (N, T) -> logits (N, T, V)), so that course.generate.beam_search can extend it."""

    def __init__(self, model: Seq2SeqTransformer, src: torch.Tensor):
        super().__init__()
        self.model = model
        self.memory, self.src_mask = model.encode(src)                # (1, S, d), (1, 1, 1, S)

    def forward(self, ids: torch.Tensor) -> ModelOutput:
        n = ids.shape[0]
        return ModelOutput(self.model.decode(ids, self.memory.expand(n, -1, -1), self.src_mask.expand(n, -1, -1, -1)))


@torch.inference_mode()
def beam_decode(model, pairs, width: int) -> list[str]:
    model.eval()
    out = []
    for digits, _ in pairs:
        src = encode([(digits, "zero")])[0]
        seq, _ = beam_search(FixedSource(model, src), torch.tensor([[BOS]]), MAX_LEN, beam_size=width, eos_id=EOS)
        out.append(words_of(seq[0, 1:].tolist()))
    return out


def scores(pairs, hypotheses) -> dict:
    truth = [words for _, words in pairs]
    return {"exact_match": round(sum(h == t for h, t in zip(hypotheses, truth)) / len(truth), 4),
            "bleu": round(bleu(hypotheses, [truth]), 2)}


def train(steps: int = STEPS, keep_at: int | None = HALF):
    torch.manual_seed(0)
    model = Seq2SeqTransformer(Seq2SeqConfig(src_vocab=len(SRC_VOCAB), tgt_vocab=len(TGT_VOCAB), d_model=64,
                                             n_heads=4, n_encoder_layers=2, n_decoder_layers=2, d_ff=128))
    batches = torch.Generator().manual_seed(1)
    snapshots = {}

    def get_batch(step):
        if step == keep_at:
            snapshots["half"] = copy.deepcopy(model)
        idx = torch.randint(len(TRAIN), (BATCH,), generator=batches)
        return encode([TRAIN[i] for i in idx])

    optimizer = AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    history = fit(model, optimizer, get_batch, steps, scheduler=warmup_cosine_scheduler(optimizer, warmup=50, total=steps),
                  progress=False)
    return model.eval(), snapshots.get("half"), history


def main() -> None:
    torch.set_num_threads(1)
    model, half, history = train()
    save_model(model, DATA / "ch47_seq2seq.safetensors")
    results = {}
    for name, m in (("half", half), ("final", model)):
        results[name] = {}
        for width in WIDTHS:
            hypotheses = beam_decode(m, TEST, width)
            results[name][str(width)] = {**scores(TEST, hypotheses), "hypotheses": hypotheses}
            print(name, width, scores(TEST, hypotheses), flush=True)
    (DATA / "ch47_beam.json").write_text(json.dumps({
        "script": "tools/sweeps/ch47_seq2seq.py",
        "recipe": f"numbers 0-999 (3 digits) -> English words, 800 train / 200 held out (randperm seed 0); "
                  f"Seq2SeqTransformer d=64 4 heads 2+2 layers d_ff=128, seed 0; AdamW lr {LR} wd 0.01, "
                  f"warmup 50 + cosine, {STEPS} steps of {BATCH} (batch seed 1); 'half' = the model after {HALF} steps; "
                  f"course.generate.beam_search, length_penalty 1, max {MAX_LEN} tokens",
        "final_train_loss": round(history.final_loss, 4),
        "widths": list(WIDTHS), "results": results}) + "\n")


if __name__ == "__main__":
    main()
