"""Chapter 32: shared layers and factorized embeddings count as the formula says, compute what they claim,
and the low-rank factors are the best ones (equal to scikit-learn's truncated SVD)."""
import pytest
import torch

from course.models import GPT, GPTConfig, count_parameters
from course.models.sharing import count_albert, factorize_embeddings, low_rank, share_layers
from course.selftest import bank

CH = bank.load(32)
CONFIG = GPTConfig(vocab_size=50, context=16, n_layers=3, n_heads=2, d_model=32)


@pytest.mark.parametrize("rank,shared", [(None, False), (None, True), (8, False), (4, True)])
def test_counts_equal_the_exercise_formula(rank, shared):
    torch.manual_seed(0)
    model = GPT(CONFIG)
    if shared:
        share_layers(model)
    if rank is not None:
        factorize_embeddings(model, rank)
    assert count_parameters(model) == CH.gpt_params(50, 16, 32, 3, rank=rank, shared=shared)


def test_shared_blocks_are_one_module_and_gradients_add_up():
    """The shared block's gradient is the sum of the gradients each layer would get as its own copy."""
    import copy
    torch.manual_seed(0)
    unshared = GPT(CONFIG)
    for block in unshared.blocks[1:]:                      # every layer starts as a copy of block 0
        block.load_state_dict(unshared.blocks[0].state_dict())
    shared = share_layers(copy.deepcopy(unshared))
    assert all(block is shared.blocks[0] for block in shared.blocks)
    assert count_parameters(shared) < count_parameters(unshared)
    x = torch.randint(0, 50, (2, 16))
    unshared(x, x).loss.backward()
    shared(x, x).loss.backward()
    for name, p in shared.blocks[0].named_parameters():
        total = sum(dict(b.named_parameters())[name].grad for b in unshared.blocks)
        assert torch.allclose(p.grad, total, atol=1e-6), name
    assert torch.allclose(shared(x, x).loss, unshared(x, x).loss)


def test_factorized_embedding_and_tied_head_use_the_same_two_matrices():
    torch.manual_seed(0)
    model = factorize_embeddings(GPT(CONFIG), 8)
    emb = model.tok_emb
    ids = torch.tensor([[1, 2, 3]])
    assert torch.allclose(emb(ids), emb.table.weight[ids] @ emb.proj)
    h = torch.randn(1, 3, 32)
    assert torch.allclose(model.head(h), torch.nn.functional.linear(h, emb.table.weight @ emb.proj), atol=1e-6)


def test_from_trained_at_full_rank_keeps_the_model_output():
    torch.manual_seed(0)
    model = GPT(CONFIG).eval()
    x = torch.randint(0, 50, (2, 16))
    before = model(x).logits
    factorize_embeddings(model, 32, from_trained=True)
    assert torch.allclose(model(x).logits, before, atol=1e-4)


def test_low_rank_equals_sklearn_truncated_svd():
    TruncatedSVD = pytest.importorskip("sklearn.decomposition").TruncatedSVD
    g = torch.Generator().manual_seed(0)
    w = torch.randn(40, 20, generator=g, dtype=torch.float64) * torch.linspace(3, 0.1, 20, dtype=torch.float64)
    a, b = low_rank(w, 5)
    svd = TruncatedSVD(5, algorithm="arpack").fit(w.numpy())
    theirs = svd.inverse_transform(svd.transform(w.numpy()))
    assert torch.allclose(a @ b, torch.from_numpy(theirs), atol=1e-8)
    s = torch.linalg.svdvals(w)
    assert torch.allclose(((a @ b - w) ** 2).sum(), (s[5:] ** 2).sum())


def test_rank_r_reference_equals_the_package_product():
    w = torch.randn(9, 6)
    a, b = low_rank(w, 3)
    assert torch.allclose(CH.rank_r_approximation(w, 3), a @ b, atol=1e-5)


ALBERT = {"base": (768, 12, 12, 3072), "large": (1024, 24, 16, 4096),
          "xlarge": (2048, 24, 16, 8192), "xxlarge": (4096, 12, 64, 16384)}   # H, layers, heads, FFN


def _hf_count(model_class, config):
    with torch.device("meta"):                      # shapes only: no memory, no download
        return sum(p.numel() for p in model_class(config).parameters())


@pytest.mark.parametrize("name", list(ALBERT))
def test_count_albert_equals_hugging_face_albert(name):
    transformers = pytest.importorskip("transformers")
    h, layers, heads, ffn = ALBERT[name]
    config = transformers.AlbertConfig(vocab_size=30000, embedding_size=128, hidden_size=h, num_hidden_layers=layers,
                                       num_attention_heads=heads, intermediate_size=ffn)
    assert count_albert(h, layers, ffn)[0] == _hf_count(transformers.AlbertModel, config)


def test_count_albert_unshared_equals_hugging_face_bert_large():
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(vocab_size=30000, hidden_size=1024, num_hidden_layers=24,
                                     num_attention_heads=16, intermediate_size=4096)
    stored, _ = count_albert(1024, 24, 4096, embed=1024, shared=False)
    assert stored == _hf_count(transformers.BertModel, config)
