"""The shipped pretrained tiny models: they load without pickle, reproduce their recorded validation loss,
have learned the corpus' grammar, and the pretraining script still starts the way it did."""
import json
import math

import pytest
import torch

from course.pretrained import DATA_DIR, corpus_lines, load_tiny_bert, load_tiny_gpt, pretrain, validation_loss
from course.text import agreement_pairs

LOADERS = {"gpt": load_tiny_gpt, "bert": load_tiny_bert}


def _log(kind):
    return json.loads((DATA_DIR / f"tiny_{kind}.log.json").read_text())


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_checkpoint_is_small_and_reproduces_its_validation_loss(kind):
    assert (DATA_DIR / f"tiny_{kind}.safetensors").stat().st_size < 5 * 2**20
    model, tok = LOADERS[kind]()
    log = _log(kind)
    assert tok.itos == log["vocab"]
    loss = validation_loss(model, tok, kind)
    assert loss == pytest.approx(log["val_loss"], rel=1e-4)
    assert loss < 0.6 * math.log(tok.vocab_size), "far better than a uniform guess"


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_pretraining_script_starts_as_recorded(kind):
    _, _, log = pretrain(kind, stop_after=3, progress=False)
    assert log["first_losses"] == pytest.approx(_log(kind)["first_losses"][:3], rel=1e-3)


def _agreement_accuracy(score):
    pairs = agreement_pairs(200, seed=1)
    return sum(score(prefix, right.split()[0]) > score(prefix, wrong.split()[0]) for prefix, right, wrong in pairs) / len(pairs)


@torch.inference_mode()
def test_tiny_gpt_has_learned_long_range_agreement():
    gpt, tok = load_tiny_gpt()

    def score(prefix, verb):
        logits = gpt(torch.tensor([[tok.eos_id] + tok.encode(prefix)])).logits[0, -1]
        return logits[tok.stoi[verb]].item()

    assert _agreement_accuracy(score) > 0.9


@torch.inference_mode()
def test_tiny_bert_fills_in_the_agreeing_verb():
    bert, tok = load_tiny_bert()
    mask_id = tok.stoi["<mask>"]

    def score(prefix, verb):
        ids = [tok.bos_id] + tok.encode(prefix) + [mask_id] + tok.encode(".") + [tok.eos_id]
        logits = bert(torch.tensor([ids])).logits[0, ids.index(mask_id)]
        return logits[tok.stoi[verb]].item()

    assert _agreement_accuracy(score) > 0.85


def test_corpus_is_deterministic_and_mixed():
    lines = corpus_lines(800, seed=3)
    assert lines == corpus_lines(800, seed=3) and len(lines) == 800
    assert any(" was born in " in line for line in lines) and any(" near the " in line for line in lines)
    with pytest.raises(ValueError, match="n"):
        corpus_lines(0)


def test_missing_checkpoint_says_how_to_make_it(monkeypatch, tmp_path):
    monkeypatch.setattr("course.pretrained.DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="make data"):
        load_tiny_gpt()


def test_held_out_lines_are_not_training_lines_and_the_overlap_is_real():
    from course.pretrained import RECIPES, VAL_SEED, corpus_lines, held_out_lines

    training = set(corpus_lines(RECIPES["gpt"].n_lines, RECIPES["gpt"].seed))
    held = held_out_lines(300)
    assert len(held) == 300 and not set(held) & training
    assert len(set(corpus_lines(300, seed=VAL_SEED)) & training) > 30      # why held_out_lines exists
