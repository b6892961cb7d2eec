"""Chapter 15: GPT-2's sizes against transformers and the released counts; the data mix; the ICL ceiling."""
import pytest
import torch

from course.models import count_parameters
from course.models.sizes import GPT2_SIZES, GPT3_DATA_MIX, published_size
from course.selftest.bank.ch15 import effective_weights, icl_ceiling

RELEASED = {"GPT-2 small": 124_439_808, "GPT-2 medium": 354_823_168, "GPT-2 large": 774_030_080,
            "GPT-2 XL": 1_557_611_200}


def test_gpt2_sizes_equal_transformers_gpt2_and_the_released_counts():
    transformers = pytest.importorskip("transformers")
    for row in GPT2_SIZES:
        config = transformers.GPT2Config(n_embd=row.d_model, n_layer=row.n_layers, n_head=row.n_heads,
                                         n_positions=row.context)
        with torch.device("meta"):
            hf = transformers.GPT2LMHeadModel(config)
        assert count_parameters(hf) == row.config().n_params() == RELEASED[row.name]


def test_the_papers_gpt2_counts_match_gpt1_sized_embedding_tables():
    for row in GPT2_SIZES:
        assert abs(row.config(vocab_size=40478, context=512).n_params() / row.n_params - 1) < 0.005


def test_gpt3_mix_rounding_explains_every_epoch_count_but_webtext2s():
    for source in GPT3_DATA_MIX:                 # weights printed as whole percents: ± 0.5 % each
        low, high = ((source.weight + d) * 300e9 / source.tokens for d in (-0.005, 0.005))
        assert (low <= source.epochs <= high) == (source.name != "WebText2"), source.name
    tokens = torch.tensor([s.tokens for s in GPT3_DATA_MIX], dtype=torch.float64)
    epochs = torch.tensor([s.epochs for s in GPT3_DATA_MIX], dtype=torch.float64)
    weights, total = effective_weights(tokens, epochs, 300e9)
    torch.testing.assert_close((weights * 300e9 / tokens), epochs)          # back to the paper's epochs
    assert 0.96 < total.item() < 0.98                                      # the epochs cover 97 % of 300B


@pytest.mark.parametrize("n,k", [(8, 0), (8, 3), (4, 6)])
def test_icl_ceiling_equals_a_simulated_perfect_learner(n, k):
    g = torch.Generator().manual_seed(0)
    trials = 200_000
    x = torch.randint(n, (trials, k + 1), generator=g)
    seen = (x[:, :k] == x[:, k:]).any(1) if k else torch.zeros(trials, dtype=torch.bool)
    lucky = torch.randint(n, (trials,), generator=g) == 0          # an unseen query guessed right
    simulated = (seen | lucky).float().mean().item()
    assert abs(simulated - icl_ceiling(n, k)) < 0.005


def test_gpt2_xl_is_fifteen_yi_parameters():
    n = published_size("GPT-2 XL").config().n_params()
    assert 1.5e9 < n < 1.6e9                                        # 15 亿, not 1.5 亿
