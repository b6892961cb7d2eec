import pytest
import torch

from course.generate import beam_search, filter_logits, generate
from course.models import GPT, GPTConfig


def test_top_k_and_top_p_keep_the_right_tokens():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert torch.isfinite(filter_logits(logits, top_k=2)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(filter_logits(logits, top_p=0.7)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(filter_logits(logits, top_p=0.5)).tolist() == [[True, False, False, False]]
    assert torch.isfinite(filter_logits(logits, top_p=1.0)).all()


def test_cached_and_uncached_generation_agree():
    model = GPT(GPTConfig.preset("tiny"))
    idx = torch.randint(0, 65, (3, 5))
    a = generate(model, idx, 20, use_cache=True, generator=torch.Generator().manual_seed(1))
    b = generate(model, idx, 20, use_cache=False, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == (3, 25)


def test_generation_beyond_the_context_window_slides():
    model = GPT(GPTConfig.preset("tiny", context=8))
    out = generate(model, torch.zeros(1, 4, dtype=torch.long), 10, greedy=True)
    assert out.shape == (1, 14)


def test_beam_of_one_is_greedy_and_wider_beams_score_at_least_as_well():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=12))
    prompt = torch.tensor([[1, 2]])
    greedy = generate(model, prompt, 6, greedy=True)
    beam1, _ = beam_search(model, prompt, 6, beam_size=1, length_penalty=0.0)
    assert torch.equal(greedy, beam1)
    _, s1 = beam_search(model, prompt, 6, beam_size=1, length_penalty=0.0)
    _, s4 = beam_search(model, prompt, 6, beam_size=4, length_penalty=0.0)
    assert s4 >= s1 - 1e-6


def test_eos_stops_generation():
    model = GPT(GPTConfig.preset("tiny", vocab_size=5))
    out = generate(model, torch.zeros(2, 1, dtype=torch.long), 50, temperature=1.0, eos_id=0,
                   generator=torch.Generator().manual_seed(0))
    assert out.shape[1] < 51 or (out[:, 1:] == 0).any()
