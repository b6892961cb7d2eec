import pytest
import torch
from torch import nn

from course.models import (GPT, Bert, BertClassifier, BertConfig, BertSpanQA, BertTokenTagger, GPTConfig,
                           RNNLanguageModel, RNNSeq2Seq, Seq2SeqConfig, Seq2SeqTransformer, count_parameters,
                           gpt_from_hf_gpt2, mask_tokens)


def test_course_gpt_reproduces_transformers_gpt2_logits():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.GPT2Config(vocab_size=97, n_positions=32, n_embd=48, n_layer=3, n_head=4,
                                  resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(0)
    hf = transformers.GPT2LMHeadModel(cfg).eval()
    ours = gpt_from_hf_gpt2(hf)
    assert count_parameters(ours) == sum(p.numel() for p in hf.parameters())
    idx = torch.randint(0, 97, (2, 20))
    with torch.no_grad():
        torch.testing.assert_close(ours(idx).logits, hf(idx).logits, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("overrides", [{}, {"positions": "rope", "norm": "rms"}, {"positions": "sinusoidal"},
                                       {"tie_weights": False, "bias": False}])
def test_config_parameter_count_equals_the_model(overrides):
    cfg = GPTConfig.preset("tiny", **overrides)
    assert cfg.n_params() == count_parameters(GPT(cfg))


def test_gpt2_small_shape_has_124m_parameters():
    # GPT-2 small (Radford et al., 2019): 124,439,808 parameters with tied embeddings.
    assert GPTConfig.preset("gpt2").n_params() == 124_439_808


@pytest.mark.parametrize("positions", ["learned", "rope", "sinusoidal"])
def test_gpt_cache_matches_full_forward(positions):
    model = GPT(GPTConfig.preset("tiny", positions=positions)).eval()
    idx = torch.randint(0, 65, (2, 9))
    full = model(idx).logits
    out = model(idx[:, :5], use_cache=True)
    step = model(idx[:, 5:], cache=out.cache, use_cache=True)
    torch.testing.assert_close(torch.cat([out.logits, step.logits], 1), full, rtol=1e-4, atol=1e-5)


def test_gpt_is_causal():
    model = GPT(GPTConfig.preset("tiny")).eval()
    a = torch.randint(0, 65, (1, 12))
    b = a.clone()
    b[0, 8:] = (b[0, 8:] + 1) % 65                      # change only the future
    torch.testing.assert_close(model(a).logits[:, :8], model(b).logits[:, :8])


def test_bert_masking_follows_80_10_10():
    ids = torch.randint(5, 100, (200, 100))
    g = torch.Generator().manual_seed(0)
    inputs, labels = mask_tokens(ids, mask_id=1, vocab_size=100, generator=g)
    chosen = labels != -100
    assert chosen.float().mean().item() == pytest.approx(0.15, abs=0.01)
    masked = (inputs[chosen] == 1).float().mean().item()
    kept = (inputs[chosen] == ids[chosen]).float().mean().item()
    assert masked == pytest.approx(0.8, abs=0.02)
    assert kept == pytest.approx(0.1 + 0.1 / 100, abs=0.02)   # 10 % kept, plus random draws of itself
    assert (inputs[~chosen] == ids[~chosen]).all()


def test_bert_is_bidirectional_and_heads_have_the_right_shapes():
    cfg = BertConfig()
    bert = Bert(cfg).eval()
    ids = torch.randint(0, 64, (2, 10))
    a = bert.encode(ids)
    changed = ids.clone()
    changed[:, -1] = (changed[:, -1] + 1) % 64
    assert not torch.allclose(bert.encode(changed)[:, 0], a[:, 0])     # position 0 sees the last token
    mask = torch.ones(2, 10, dtype=torch.bool)
    assert BertClassifier(bert, 3)(ids, mask).logits.shape == (2, 3)
    assert BertTokenTagger(bert, 5)(ids, mask).logits.shape == (2, 10, 5)
    assert BertSpanQA(bert)(ids, mask).logits.shape == (2, 10, 2)


def test_bert_base_has_about_110m_parameters():
    # BERT-base is reported as 110M parameters (Devlin et al., 2019). Built on the meta device: no memory.
    with torch.device("meta"):
        model = Bert(BertConfig.preset("base"))
    assert count_parameters(model) == pytest.approx(110e6, rel=0.01)


def test_seq2seq_transformer_matches_torch_transformer_parameter_count():
    cfg = Seq2SeqConfig(d_model=32, n_heads=4, n_encoder_layers=2, n_decoder_layers=2, d_ff=64)
    ours = Seq2SeqTransformer(cfg)
    ref = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                         dim_feedforward=64, batch_first=True, norm_first=True)
    core = sum(p.numel() for n, p in ours.named_parameters() if n.startswith(("encoder", "decoder", "enc_norm", "dec_norm")))
    assert core == sum(p.numel() for p in ref.parameters())
    src, tgt = torch.randint(1, 32, (2, 7)), torch.randint(1, 32, (2, 5))
    assert ours(src, tgt).logits.shape == (2, 5, 32)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_rnn_models_shapes(cell):
    lm = RNNLanguageModel(20, cell=cell)
    x = torch.randint(0, 20, (3, 8))
    assert lm(x, x).logits.shape == (3, 8, 20)
    for attention in (False, True):
        model = RNNSeq2Seq(20, 21, hidden=16, attention=attention)
        assert model(x, x[:, :5]).logits.shape == (3, 5, 21)


def test_bigram_probs_equals_counting_by_hand():
    from course.models import bigram_probs

    ids = torch.tensor([0, 1, 1, 2, 0, 1, 2, 2, 0])
    expected = torch.full((3, 3), 0.5)
    for a, b in zip(ids[:-1].tolist(), ids[1:].tolist()):
        expected[a, b] += 1
    expected /= expected.sum(dim=1, keepdim=True)
    assert torch.allclose(bigram_probs(ids, 3, alpha=0.5), expected)
    with pytest.raises(ValueError, match="vocab_size"):
        bigram_probs(ids, 2)
    with pytest.raises(ValueError, match="alpha"):
        bigram_probs(ids, 3, alpha=0)


def test_a_block_drops_each_residual_branch_once_at_rate_p():
    """With only the FFN branch active and its output all ones, train-mode dropout leaves 0 or 1/(1-p)."""
    from course.nn import TransformerBlock

    torch.manual_seed(0)
    p = 0.5
    block = TransformerBlock(16, 2, 32, dropout=p).train()
    with torch.no_grad():
        for param in block.self_attn.parameters():
            param.zero_()                                   # the attention branch adds exactly 0
        block.ffn.down.weight.zero_()
        block.ffn.down.bias.fill_(1.0)                      # the FFN branch outputs ones before dropout
        x = torch.randn(8, 64, 16)
        delta = block(x) - x
    assert torch.allclose(delta[delta != 0], torch.full_like(delta[delta != 0], 1 / (1 - p)))
    assert abs(float((delta == 0).float().mean()) - p) < 0.02      # twice would zero 1 - (1 - p)² = 0.75
