"""Chapter 41: the course's encoder–decoder equals torch.nn.Transformer once the weights are copied across,
and the decoder-layer exercise's reference equals the package's post-LN decoder block."""
import warnings

import pytest
import torch
from torch import nn

from course.models import Seq2SeqConfig, Seq2SeqTransformer
from course.nn import TransformerBlock, causal_mask
from course.selftest.bank import ch41


def copy_into_torch(ours: Seq2SeqTransformer, ref: nn.Transformer) -> None:
    """Same layout on both sides: q, k, v stacked in one (3d, d) matrix; the decoder's three norms in order."""
    def attention(dst, src):
        dst.in_proj_weight.copy_(src.qkv_proj.weight)
        dst.in_proj_bias.copy_(src.qkv_proj.bias)
        dst.out_proj.load_state_dict(src.out_proj.state_dict())

    with torch.no_grad():
        for dst, src in zip(ref.encoder.layers, ours.encoder):
            attention(dst.self_attn, src.self_attn)
            for a, b in ((dst.norm1, src.norm1), (dst.norm2, src.norm2), (dst.linear1, src.ffn.up),
                         (dst.linear2, src.ffn.down)):
                a.load_state_dict(b.state_dict())
        for dst, src in zip(ref.decoder.layers, ours.decoder):
            attention(dst.self_attn, src.self_attn)
            attention(dst.multihead_attn, src.cross_attn)
            for a, b in ((dst.norm1, src.norm1), (dst.norm2, src.norm_cross), (dst.norm3, src.norm2),
                         (dst.linear1, src.ffn.up), (dst.linear2, src.ffn.down)):
                a.load_state_dict(b.state_dict())
        if ours.config.norm_first:
            ref.encoder.norm.load_state_dict(ours.enc_norm.state_dict())
            ref.decoder.norm.load_state_dict(ours.dec_norm.state_dict())
        else:   # post-LN: the last sub-layer already ends in a norm, the course adds no final one
            ref.encoder.norm = ref.decoder.norm = None


@pytest.mark.parametrize("norm_first", [True, False])
def test_seq2seq_equals_torch_transformer_with_copied_weights(norm_first):
    config = Seq2SeqConfig(src_vocab=20, tgt_vocab=16, d_model=32, n_heads=4, n_encoder_layers=2,
                           n_decoder_layers=3, d_ff=64, norm_first=norm_first)
    ours = Seq2SeqTransformer(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # the nested-tensor performance note of torch
        ref = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=3, dim_feedforward=64,
                             dropout=0.0, batch_first=True, norm_first=norm_first)
    copy_into_torch(ours, ref)
    assert sum(p.numel() for p in ref.parameters()) == sum(
        p.numel() for n, p in ours.named_parameters() if n.startswith(("encoder", "decoder", "enc_norm", "dec_norm")))
    src, tgt_in = torch.randint(1, 20, (3, 7)), torch.randint(1, 16, (3, 5))
    src[0, 4:] = 0                                            # padding in the first source
    pad = src == 0
    expected = ours.head(ref(ours._embed(ours.src_emb, src), ours._embed(ours.tgt_emb, tgt_in),
                             tgt_mask=~causal_mask(5), src_key_padding_mask=pad, memory_key_padding_mask=pad))
    got = ours(src, tgt_in).logits
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    # backward agrees too: the gradient reaching the (shared) source embedding table through either model
    g = torch.randn_like(got)
    grad_ours, = torch.autograd.grad(got, ours.src_emb.weight, g)
    grad_ref, = torch.autograd.grad(expected, ours.src_emb.weight, g)
    torch.testing.assert_close(grad_ours, grad_ref, atol=1e-5, rtol=1e-4)

def test_decoder_layer_exercise_reference_is_the_package_decoder_block():
    g = torch.Generator().manual_seed(0)
    for case in ch41.DECODER.make_cases(g):
        layer = case["layer"]
        package = TransformerBlock(layer.norm1.weight.shape[0], layer.self_attn.n_heads, layer.ffn.up.out_features,
                                   causal=True, cross_attention=True, norm_first=False, activation="relu")
        package.load_state_dict(layer.state_dict())
        expected = package.eval()(case["x"], memory=case["memory"], memory_mask=case["memory_mask"])
        torch.testing.assert_close(ch41.decoder_layer(**case), expected)


def test_positional_exercise_reference_is_the_package_table():
    from course.nn import sinusoidal_table
    for t, d in ((10, 8), (50, 16), (3, 32)):
        torch.testing.assert_close(ch41.positional_encoding(t, d), sinusoidal_table(t, d), atol=1e-5, rtol=1e-4)
