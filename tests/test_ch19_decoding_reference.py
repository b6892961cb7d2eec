"""Chapter 19: the course's decoding filters equal transformers' logits processors on the same logits, and
sampled generation equals transformers' `generate(do_sample=True)` token for token."""
import pytest
import torch

transformers = pytest.importorskip("transformers")
from transformers.generation.logits_process import (RepetitionPenaltyLogitsProcessor,  # noqa: E402
                                                    TemperatureLogitsWarper, TopKLogitsWarper,
                                                    TopPLogitsWarper)

from course.generate import apply_repetition_penalty, beam_search, filter_logits, generate  # noqa: E402
from course.metrics import distinct_n  # noqa: E402
from course.models import GPT, GPTConfig, gpt_from_hf_gpt2  # noqa: E402

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


@pytest.fixture(scope="module")
def pair():
    """Chapter 14's random-weight GPT-2 (transformers) and its copy in the course GPT."""
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=97, n_positions=64, n_embd=64, n_layer=2, n_head=4,
                                  initializer_range=0.2, bos_token_id=None, eos_token_id=None)
    hf = transformers.GPT2LMHeadModel(cfg).eval()
    return hf, gpt_from_hf_gpt2(hf)


@pytest.mark.parametrize("sampling", [dict(temperature=0.7), dict(top_k=10), dict(top_p=0.9),
                                      dict(temperature=1.3, top_k=20, top_p=0.8)])
def test_sampled_generation_equals_transformers_token_for_token(pair, sampling):
    """The whole sampling path (temperature, filters, softmax, multinomial) against transformers' generate()."""
    hf, ours = pair
    prompt = torch.randint(1, 97, (3, 6), generator=torch.Generator().manual_seed(1))
    torch.manual_seed(5)
    theirs = hf.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=24, do_sample=True,
                         pad_token_id=0, **{"top_k": 0, **sampling})
    torch.manual_seed(5)
    assert torch.equal(generate(ours, prompt, 24, **sampling), theirs)


@pytest.mark.parametrize("penalty", [0.8, 1.3, 2.0])
def test_repetition_penalty_equals_transformers(penalty):
    theirs = RepetitionPenaltyLogitsProcessor(penalty)(IDS, LOGITS.clone())
    assert torch.allclose(apply_repetition_penalty(LOGITS, IDS, penalty), theirs)


def test_repetition_penalty_lowers_every_seen_token_once():
    logits = torch.tensor([[2.0, -2.0, 1.0]])
    out = apply_repetition_penalty(logits, torch.tensor([[0, 1, 1]]), 2.0)
    assert out.tolist() == [[1.0, -4.0, 1.0]]


def test_greedy_with_a_penalty_is_the_penalized_loop_step_by_step():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=12)).eval()
    prompt = torch.tensor([[1, 2]])
    seq = prompt
    with torch.no_grad():
        for _ in range(12):                       # the loop by hand: penalize every token of the prefix
            logits = model(seq).logits[:, -1]
            seq = torch.cat([seq, apply_repetition_penalty(logits, seq, 5.0).argmax(-1, keepdim=True)], 1)
    assert torch.equal(generate(model, prompt, 12, greedy=True, repetition_penalty=5.0), seq)
    assert not torch.equal(generate(model, prompt, 12, greedy=True), seq)      # and the penalty mattered


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
