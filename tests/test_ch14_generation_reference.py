"""Chapter 14: the course's autoregressive loop against transformers' GPT-2 `generate()`, with and without
the KV cache, and the three stop conditions."""
import pytest
import torch

transformers = pytest.importorskip("transformers")

from course.generate import find_stop, generate, generate_text, stream  # noqa: E402
from course.models import gpt_from_hf_gpt2  # noqa: E402
from course.pretrained import load_tiny_gpt  # noqa: E402


@pytest.fixture(scope="module")
def pair():
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=97, n_positions=64, n_embd=64, n_layer=2, n_head=4,
                                  initializer_range=0.2, bos_token_id=None, eos_token_id=None)
    hf = transformers.GPT2LMHeadModel(cfg).eval()
    return hf, gpt_from_hf_gpt2(hf)


def _hf_greedy(hf, prompt, n, use_cache, eos=None):
    return hf.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=n, do_sample=False,
                       use_cache=use_cache, pad_token_id=0 if eos is None else eos, eos_token_id=eos)


@pytest.mark.parametrize("use_cache", [True, False])
def test_greedy_generation_equals_transformers_token_for_token(pair, use_cache):
    hf, ours = pair
    prompt = torch.randint(1, 97, (3, 6), generator=torch.Generator().manual_seed(1))
    theirs = _hf_greedy(hf, prompt, 24, use_cache)
    mine = generate(ours, prompt, 24, greedy=True, use_cache=use_cache)
    assert torch.equal(mine, theirs)
    assert len(set(theirs[0, 6:].tolist())) > 3          # not a trivial constant continuation


def test_eos_stops_like_transformers(pair):
    hf, ours = pair
    prompt = torch.randint(1, 97, (3, 6), generator=torch.Generator().manual_seed(1))
    free = generate(ours, prompt, 24, greedy=True)
    eos = int(free[0, 9])                                  # a token row 0 produces early
    theirs = _hf_greedy(hf, prompt, 24, True, eos=eos)
    mine = generate(ours, prompt, 24, greedy=True, eos_id=eos)
    assert torch.equal(mine, theirs)


def test_the_cache_gives_the_same_logits_at_every_step(pair):
    _, ours = pair
    idx = torch.randint(0, 97, (2, 10), generator=torch.Generator().manual_seed(2))
    full = ours(idx).logits
    out = ours(idx[:, :4], use_cache=True)
    steps = [out.logits]
    for t in range(4, 10):
        out = ours(idx[:, t:t + 1], cache=out.cache, use_cache=True)
        steps.append(out.logits)
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)


def test_stream_is_the_loop_that_generate_runs(pair):
    _, ours = pair
    prompt = torch.tensor([[5, 6, 7]])
    tokens = torch.cat(list(stream(ours, prompt, 8, greedy=True)), 1)
    assert torch.equal(torch.cat([prompt, tokens], 1), generate(ours, prompt, 8, greedy=True))


def test_find_stop_takes_the_earliest_then_the_longest():
    assert find_stop("a b c d", ["c", "b"]) == (2, "b")
    assert find_stop("a b c d", ["b", "b c"]) == (2, "b c")
    assert find_stop("a b", ["z"]) is None


def test_generate_text_reports_each_stop_reason():
    gpt, tok = load_tiny_gpt()
    eos = generate_text(gpt, tok, "the movie was", 30, greedy=True)
    assert eos.stop_reason == "eos" and tok.eos_id not in eos.ids
    assert generate_text(gpt, tok, "the movie was", 2, greedy=True).stop_reason == "max_new_tokens"
    words = eos.text.split()
    cut = generate_text(gpt, tok, "the movie was", 30, greedy=True, stop=[" ".join(words[1:3])])
    assert cut.stop_reason == "stop string" and cut.text == words[0]
    assert tok.decode(cut.ids) == cut.text            # ids trimmed to match: the stop string's tokens dropped
