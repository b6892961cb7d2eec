"""Chapter 19: the course's decoding filters equal transformers' logits processors on the same logits."""
import pytest
import torch

transformers = pytest.importorskip("transformers")
from transformers.generation.logits_process import (RepetitionPenaltyLogitsProcessor,  # noqa: E402
                                                    TemperatureLogitsWarper, TopKLogitsWarper,
                                                    TopPLogitsWarper)

from course.generate import apply_repetition_penalty, beam_search, filter_logits, generate  # noqa: E402
from course.metrics import distinct_n  # noqa: E402
from course.models import GPT, GPTConfig  # noqa: E402

LOGITS = torch.randn(4, 50, generator=torch.Generator().manual_seed(0)) * 3
IDS = torch.randint(0, 50, (4, 9), generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("k", [1, 5, 49, 50])
def test_top_k_equals_transformers(k):
    assert torch.equal(filter_logits(LOGITS, top_k=k), TopKLogitsWarper(k)(IDS, LOGITS.clone()))


@pytest.mark.parametrize("p", [0.05, 0.3, 0.9, 0.999])
def test_top_p_equals_transformers(p):
    assert torch.equal(filter_logits(LOGITS, top_p=p).isinf(), TopPLogitsWarper(p)(IDS, LOGITS.clone()).isinf())


def test_top_k_then_top_p_equals_the_two_warpers_in_a_row():
    theirs = TopPLogitsWarper(0.8)(IDS, TopKLogitsWarper(7)(IDS, LOGITS.clone()))
    assert torch.equal(filter_logits(LOGITS, top_k=7, top_p=0.8).isinf(), theirs.isinf())


@pytest.mark.parametrize("t", [0.3, 1.0, 1.7])
def test_temperature_equals_transformers(t):
    assert torch.allclose(LOGITS / t, TemperatureLogitsWarper(t)(IDS, LOGITS.clone()))


@pytest.mark.parametrize("penalty", [0.8, 1.3, 2.0])
def test_repetition_penalty_equals_transformers(penalty):
    theirs = RepetitionPenaltyLogitsProcessor(penalty)(IDS, LOGITS.clone())
    assert torch.allclose(apply_repetition_penalty(LOGITS, IDS, penalty), theirs)


def test_repetition_penalty_lowers_every_seen_token_once():
    logits = torch.tensor([[2.0, -2.0, 1.0]])
    out = apply_repetition_penalty(logits, torch.tensor([[0, 1, 1]]), 2.0)
    assert out.tolist() == [[1.0, -4.0, 1.0]]


def test_greedy_with_a_penalty_avoids_the_token_it_would_repeat():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=12))
    prompt = torch.tensor([[1, 2]])
    plain = generate(model, prompt, 12, greedy=True)
    assert not torch.equal(plain, generate(model, prompt, 12, greedy=True, repetition_penalty=5.0))


def test_batched_beams_match_a_brute_force_search():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=5)).eval()
    prompt = torch.tensor([[1]])
    best, score = beam_search(model, prompt, 2, beam_size=5, length_penalty=0.0)   # 5 beams see all 25
    with torch.no_grad():                                         # every 2-token continuation, scored
        seqs = torch.cartesian_prod(*[torch.arange(5)] * 2)
        full = torch.cat([prompt.expand(len(seqs), 1), seqs], 1)
        logp = model(full[:, :-1]).logits.log_softmax(-1).gather(-1, full[:, 1:, None])[..., 0].sum(1)
    assert torch.equal(best[0, 1:], seqs[logp.argmax()]) and abs(score - logp.max().item()) < 1e-4


def test_distinct_n_counts_unique_ngrams():
    assert distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    assert distinct_n(["a b", "c d"], 1) == 1.0
    assert distinct_n(["a"], 2) == 0.0
