"""Chapter 47: beam search on an encoder–decoder through the decoder-only interface, BLEU against sacrebleu
on the chapter's kind of outputs, and the bank's beam step against brute force."""
import itertools

import pytest
import torch
from torch import nn

from course.generate import beam_search
from course.metrics import bleu
from course.models import ModelOutput, Seq2SeqConfig, Seq2SeqTransformer
from course.selftest.bank.ch47 import beam_step, clipped_matches


class FixedSource(nn.Module):                      # as in the chapter
    def __init__(self, model, src):
        super().__init__()
        self.model = model
        self.memory, self.src_mask = model.encode(src)

    def forward(self, ids):
        n = ids.shape[0]
        return ModelOutput(self.model.decode(ids, self.memory.expand(n, -1, -1), self.src_mask.expand(n, -1, -1, -1)))


def _model():
    torch.manual_seed(0)
    return Seq2SeqTransformer(Seq2SeqConfig(src_vocab=11, tgt_vocab=9, d_model=32, n_heads=4, n_encoder_layers=1,
                                            n_decoder_layers=1, d_ff=64)).eval()


@torch.no_grad()
def test_beam_width_one_is_greedy_decoding():
    model = _model()
    src = torch.randint(1, 11, (5, 4), generator=torch.Generator().manual_seed(1))
    memory, mask = model.encode(src)
    out = torch.ones(5, 1, dtype=torch.long)
    for _ in range(6):
        out = torch.cat([out, model.decode(out, memory, mask)[:, -1].argmax(-1, keepdim=True)], dim=1)
    for i in range(5):
        seq, _ = beam_search(FixedSource(model, src[i:i + 1]), torch.ones(1, 1, dtype=torch.long), 6, beam_size=1)
        assert seq[0].tolist() == out[i].tolist()


@torch.no_grad()
def test_a_wide_beam_finds_the_most_probable_output_of_a_short_search():
    """With width ≥ V^L every sequence of length L is kept: the beam's best equals exhaustive search."""
    model = _model()
    src = torch.randint(1, 11, (1, 4), generator=torch.Generator().manual_seed(2))
    fixed = FixedSource(model, src)
    best = max(itertools.product(range(9), repeat=2), key=lambda seq: float(
        fixed(torch.tensor([[1, *seq]])).logits[0, :-1].log_softmax(-1).gather(-1, torch.tensor([list(seq)]).T).sum()))
    seq, _ = beam_search(fixed, torch.ones(1, 1, dtype=torch.long), 2, beam_size=9, length_penalty=0.0)
    assert tuple(seq[0, 1:].tolist()) == best


def test_bleu_equals_sacrebleu_on_number_words():
    sacrebleu = pytest.importorskip("sacrebleu")
    hyps = ["four hundred seventeen", "nine hundred nine", "twenty one", "six hundred", "three hundred thirty"]
    refs = [["four hundred seventeen", "nine hundred ninety nine", "twenty one", "six hundred six",
             "three hundred thirteen"]]
    assert bleu(hyps, refs) == pytest.approx(
        sacrebleu.corpus_bleu(hyps, refs, tokenize="none", smooth_method="none").score)


def test_beam_step_reference_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    scores, logp = -torch.rand(3, generator=g), torch.randn(3, 5, generator=g).log_softmax(-1)
    values, parents, tokens = beam_step(scores, logp, 4)
    brute = sorted(((float(scores[k] + logp[k, v]), k, v) for k in range(3) for v in range(5)), reverse=True)[:4]
    assert parents.tolist() == [b[1] for b in brute] and tokens.tolist() == [b[2] for b in brute]
    assert values.tolist() == pytest.approx([b[0] for b in brute])


def test_clipped_matches_agrees_with_sacrebleu_counts():
    sacrebleu = pytest.importorskip("sacrebleu")
    hyp, refs = "the the cat the mat", ["the cat is on the mat", "a cat on the mat the"]
    stats = sacrebleu.corpus_bleu([hyp], [[r] for r in refs], tokenize="none").counts
    assert [clipped_matches(hyp.split(), [r.split() for r in refs], n) for n in (1, 2, 3, 4)] == stats
