"""Wrong calls a learner makes, each answered by an error that names the argument.

Each row is ``(what is called, part of the expected message, the call)``. Every public function and class
of the modules in ``PUBLIC_MODULES`` needs at least one row (or a reason in ``NOTHING_TO_VALIDATE``), so
the table grows with the API.
"""
import inspect
import random

import pytest
import torch

import course.generate
import course.metrics
import course.models
import course.nn
import course.text
import course.train
from course import metrics
from course.generate import beam_search, filter_logits, generate, sample_next
from course.models import (GPT, Bert, BertClassifier, BertConfig, BertSpanQA, BertTokenTagger, GPTConfig,
                           RNNLanguageModel, RNNSeq2Seq, Seq2SeqConfig,
                           Seq2SeqTransformer, bigram_probs, config_from_gpt2, count_parameters, gpt_from_hf_gpt2, lm_loss,
                           mask_tokens)
from course.nn import (AdditiveAttention, FeedForward, LayerNorm, LearnedPositions, MultiHeadAttention, RMSNorm,
                       RotaryEmbedding, SequenceBatchNorm, SinusoidalPositions, TransformerBlock,
                       attention_from_scores, causal_mask, linear_attention, make_norm, online_softmax_attention,
                       padding_mask, record_attention, scaled_dot_product_attention, sinusoidal_table,
                       sliding_window_mask, tiled_attention)
from course.runtime import get_device, seed_everything
from course.selftest import exercise, quiz
from course.text import (BPETokenizer, CharTokenizer, QAExample, WordTokenizer, agreement_pairs,
                         associative_recall, grammar_corpus, grammar_sentence, lm_batch, ner_examples,
                         number_to_words, number_words_pairs, pad_batch, qa_examples, sentiment_examples,
                         sequence_task, topic_examples, train_val_split, zh_numeral_gloss)
from course.train import (SGD, AdaGrad, Adam, AdamW, RMSProp, adaptive_clip, clip_by_global_norm, clip_by_value,
                          evaluate, fit, global_grad_norm, warmup_cosine, warmup_cosine_scheduler)
from course.viz import plot_attention

q = torch.randn(1, 2, 4, 8)
tiny = GPT(GPTConfig.preset("tiny"))
param = [torch.nn.Parameter(torch.zeros(2))]
with_grad = torch.nn.Parameter(torch.ones(3))
with_grad.grad = torch.ones(3)
ids = torch.zeros(1, 4, dtype=torch.long)
bert = Bert(BertConfig())


def _entered(manager):
    with manager:
        pass


BAD_CALLS = [
    # the attention core
    (scaled_dot_product_attention, "q must have 4 dimensions", lambda: scaled_dot_product_attention(torch.randn(4, 8), q, q)),
    (scaled_dot_product_attention, "k must have last dimension 8", lambda: scaled_dot_product_attention(q, torch.randn(1, 2, 4, 6), q)),
    (scaled_dot_product_attention, "k and v must have the same number of keys", lambda: scaled_dot_product_attention(q, q, torch.randn(1, 2, 5, 8))),
    (scaled_dot_product_attention, "mask must have a bool dtype", lambda: scaled_dot_product_attention(q, q, q, torch.ones(4, 4))),
    (scaled_dot_product_attention, "does not broadcast", lambda: scaled_dot_product_attention(q, q, q, torch.ones(3, 4, dtype=torch.bool))),
    (scaled_dot_product_attention, "q must have a float dtype", lambda: scaled_dot_product_attention(q.long(), q, q)),
    (scaled_dot_product_attention, "dropout_p must be in [0, 1)", lambda: scaled_dot_product_attention(q, q, q, dropout_p=1.5)),
    (scaled_dot_product_attention, "q's heads a multiple of it",
     lambda: scaled_dot_product_attention(q, torch.randn(1, 3, 4, 8), torch.randn(1, 3, 4, 8))),
    (scaled_dot_product_attention, "v must have the same batch size (dim 0) as q",
     lambda: scaled_dot_product_attention(q, q, torch.randn(2, 2, 4, 8))),
    (scaled_dot_product_attention, "k must have the same dtype as q", lambda: scaled_dot_product_attention(q, q.double(), q)),
    (scaled_dot_product_attention, "scale must be a number", lambda: scaled_dot_product_attention(q, q, q, scale="x")),
    # a (B, Tq, Tk) mask for B=2 would line up with the 2 heads and mask the wrong rows
    (scaled_dot_product_attention, "mask must have shape (Tq, Tk) or (B, H, Tq, Tk)",
     lambda: scaled_dot_product_attention(torch.randn(2, 2, 4, 8), torch.randn(2, 2, 4, 8), torch.randn(2, 2, 4, 8),
                                          torch.rand(2, 4, 4) > 0.5)),
    (attention_from_scores, "v must have one row per key", lambda: attention_from_scores(torch.randn(1, 1, 3, 4), torch.randn(1, 1, 5, 2))),
    (causal_mask, "t_query must be >= 1", lambda: causal_mask(0)),
    (padding_mask, "lengths must lie in [0, t_key=3]", lambda: padding_mask(torch.tensor([5]), 3)),
    (sliding_window_mask, "window must be >= 1", lambda: sliding_window_mask(4, 0)),
    (online_softmax_attention, "block_k must be >= 1", lambda: online_softmax_attention(q, q, q, block_k=-1)),
    (online_softmax_attention, "v must have the same number of keys (dim 2) as k",
     lambda: online_softmax_attention(q, q, torch.randn(1, 2, 5, 8))),
    (tiled_attention, "block_q must be >= 1", lambda: tiled_attention(q, q, q, block_q=0)),
    (linear_attention, "v must have the same number of keys (dim 2) as k", lambda: linear_attention(q, q, torch.randn(1, 2, 5, 8))),
    (linear_attention, "k must have the same length (dim 2) as q",
     lambda: linear_attention(q, torch.randn(1, 2, 6, 8), torch.randn(1, 2, 6, 8), causal=True)),
    # modules of course.nn
    (MultiHeadAttention, "d_model (10) must be divisible by n_heads (3)", lambda: MultiHeadAttention(10, 3)),
    (MultiHeadAttention, "x must have last dimension 16", lambda: MultiHeadAttention(16, 4)(torch.randn(1, 3, 8))),
    (MultiHeadAttention, "context must have the same batch size (dim 0) as x",
     lambda: MultiHeadAttention(8, 2)(torch.randn(2, 3, 8), torch.randn(3, 5, 8))),
    (AdditiveAttention, "hidden must be >= 1", lambda: AdditiveAttention(4, 4, 0)),
    (AdditiveAttention, "values must have the same number of keys (dim 1) as keys",
     lambda: AdditiveAttention(4, 4, 8)(torch.randn(1, 2, 4), torch.randn(1, 5, 4), torch.randn(1, 6, 4))),
    (record_attention, "model must be a torch.nn.Module", lambda: _entered(record_attention("model"))),
    (FeedForward, "d_ff must be >= 1", lambda: FeedForward(8, 0)),
    (TransformerBlock, "memory (the encoder output) is required",
     lambda: TransformerBlock(8, 2, 16, cross_attention=True)(torch.randn(1, 3, 8))),
    (LayerNorm, "dim must be >= 1", lambda: LayerNorm(0)),
    (RMSNorm, "dim must be >= 1", lambda: RMSNorm(0)),
    (SequenceBatchNorm, "eps must be > 0", lambda: SequenceBatchNorm(4, eps=-1)),
    (SequenceBatchNorm, "momentum must be in [0, 1]", lambda: SequenceBatchNorm(4, momentum=5)),
    (SequenceBatchNorm, "mask must keep at least one token",
     lambda: SequenceBatchNorm(4)(torch.randn(2, 3, 4), torch.zeros(2, 3, dtype=torch.bool))),
    (make_norm, "kind must be 'layer' or 'rms'", lambda: make_norm("batch", 4)),
    (LearnedPositions, "positions must hold values >= 0", lambda: LearnedPositions(10, 4)(torch.tensor([-1, 0]))),
    (SinusoidalPositions, "positions must hold values >= 0", lambda: SinusoidalPositions(4)(torch.tensor([-1, 0]))),
    (RotaryEmbedding, "positions must hold one position per token of x", lambda: RotaryEmbedding(8)(q, torch.arange(5))),
    (RotaryEmbedding, "x must have last dimension 8", lambda: RotaryEmbedding(8)(torch.randn(1, 2, 4, 6), torch.arange(4))),
    (sinusoidal_table, "dim must be even", lambda: sinusoidal_table(4, 3)),
    # models
    (GPT, "idx must have a int dtype", lambda: tiny(torch.randn(1, 4))),
    (GPT, "longer than the context window", lambda: tiny(torch.zeros(1, 65, dtype=torch.long))),
    (GPT, "outside [0, vocab_size=65)", lambda: tiny(torch.full((1, 3), 70))),
    (GPTConfig, "positions must be one of", lambda: GPTConfig(positions="alibi")),
    (GPTConfig, "n_heads must be >= 1", lambda: GPTConfig(n_heads=0)),
    (GPTConfig, "d_ff must be >= 1, got 0", lambda: GPTConfig(d_ff=0)),
    (GPTConfig, "d_ff must be >= 1, got -5", lambda: GPTConfig(d_ff=-5)),
    (GPTConfig, "activation must be one of", lambda: GPTConfig(activation="swish")),
    (BertConfig, "d_ff must be >= 1", lambda: BertConfig(d_ff=0)),
    (Bert, "config must be a BertConfig", lambda: Bert(GPTConfig())),
    (Bert, "segments holds values outside [0, type_vocab_size=2)", lambda: bert(ids, segments=torch.full((1, 4), 2))),
    (BertClassifier, "bert must be a Bert encoder", lambda: BertClassifier(tiny, 2)),
    (BertTokenTagger, "n_tags must be >= 1", lambda: BertTokenTagger(bert, 0)),
    (BertSpanQA, "bert must be a Bert encoder", lambda: BertSpanQA("bert")),
    (mask_tokens, "p must be in [0, 1]", lambda: mask_tokens(torch.zeros(1, 3, dtype=torch.long), 1, 5, p=2.0)),
    (mask_tokens, "vocab_size must be >= 1", lambda: mask_tokens(torch.zeros(1, 3, dtype=torch.long), 1, 0)),
    (RNNLanguageModel, "hidden must be >= 1", lambda: RNNLanguageModel(10, hidden=0)),
    (RNNSeq2Seq, "src and tgt_in must have the same batch size",
     lambda: RNNSeq2Seq(10, 10)(torch.ones(2, 3, dtype=torch.long), torch.ones(3, 3, dtype=torch.long))),
    (Seq2SeqConfig, "dropout must be in [0, 1)", lambda: Seq2SeqConfig(dropout=1.0)),
    (Seq2SeqTransformer, "src holds values outside [0, src_vocab=32)",
     lambda: Seq2SeqTransformer(Seq2SeqConfig())(torch.full((1, 3), 40), torch.ones(1, 3, dtype=torch.long))),
    (lm_loss, "targets must have a int dtype", lambda: lm_loss(torch.randn(1, 3, 5), torch.zeros(1, 3))),
    (lm_loss, "targets holds values outside [0, number of classes=5)",
     lambda: lm_loss(torch.randn(1, 3, 5), torch.tensor([[0, -100, 7]]))),
    (config_from_gpt2, "hf_config must be a transformers GPT2Config", lambda: config_from_gpt2(GPTConfig())),
    (gpt_from_hf_gpt2, "hf_model must be a transformers GPT2LMHeadModel", lambda: gpt_from_hf_gpt2(tiny)),
    (count_parameters, "model must be a torch.nn.Module", lambda: count_parameters("model")),
    (bigram_probs, "ids must lie in [0, vocab_size=3)", lambda: bigram_probs(torch.tensor([0, 1, 5]), 3)),
    (bigram_probs, "ids must have 1 dimension", lambda: bigram_probs(torch.zeros(2, 3, dtype=torch.long), 3)),
    # training
    (SGD, "lr must be > 0", lambda: SGD(param, lr=-0.1)),
    (SGD, "nesterov=True needs momentum > 0", lambda: SGD(param, lr=0.1, nesterov=True)),
    (SGD, "pass the parameters (whose .grad holds the gradient), not the gradients",
     lambda: SGD([with_grad.grad], lr=0.1)),
    (AdaGrad, "params must be an iterable of tensors such as model.parameters()", lambda: AdaGrad(tiny)),
    (RMSProp, "alpha must be in [0, 1)", lambda: RMSProp(param, alpha=1.0)),
    (Adam, "betas[1] must be in [0, 1)", lambda: Adam(param, betas=(0.9, 1.0))),
    (Adam, "betas must be a pair (beta1, beta2)", lambda: Adam(param, betas=(0.9,))),
    (AdamW, "eps must be > 0", lambda: AdamW(param, eps=0)),
    (clip_by_global_norm, "max_norm must be > 0", lambda: clip_by_global_norm(param, 0)),
    (clip_by_global_norm, "pass the parameters (whose .grad holds the gradient), not the gradients",
     lambda: clip_by_global_norm([with_grad.grad], 1.0)),
    (clip_by_value, "got the module GPT itself", lambda: clip_by_value(tiny, 1.0)),
    (adaptive_clip, "clipping must be > 0", lambda: adaptive_clip(param, clipping=0)),
    (global_grad_norm, "parameters must be an iterable of tensors", lambda: global_grad_norm("weights")),
    (warmup_cosine, "warmup (20) must not exceed total (10)", lambda: warmup_cosine(0, warmup=20, total=10)),
    (warmup_cosine, "step must be >= 0", lambda: warmup_cosine(-5, warmup=2, total=10)),
    (warmup_cosine, "min_ratio must be in [0, 1]", lambda: warmup_cosine(5, warmup=2, total=10, min_ratio=3)),
    (warmup_cosine_scheduler, "optimizer must be a torch.optim.Optimizer",
     lambda: warmup_cosine_scheduler(tiny, warmup=2, total=10)),
    (fit, "steps must be >= 1", lambda: fit(tiny, SGD(tiny.parameters(), lr=0.1), lambda s: None, 0)),
    (fit, "does the batch carry targets?",
     lambda: fit(tiny, SGD(tiny.parameters(), lr=0.1), lambda s: (ids,), 1, progress=False)),
    (fit, "a batch must be a tuple such as (inputs, targets)",
     lambda: fit(tiny, SGD(tiny.parameters(), lr=0.1), lambda s: ids, 1, progress=False)),
    (evaluate, "loss_fn must return a scalar tensor", lambda: evaluate(tiny, [(ids,)])),
    (evaluate, "batches must be an iterable of batches", lambda: evaluate(tiny, lambda: [(ids, ids)])),
    (fit, "clip must be a function, got float 1.0",
     lambda: fit(tiny, SGD(tiny.parameters(), lr=0.1), lambda s: (ids, ids), 1, clip=1.0, progress=False)),
    # decoding
    (filter_logits, "top_k must be >= 1", lambda: filter_logits(torch.randn(1, 5), top_k=0)),
    (sample_next, "temperature must be > 0", lambda: sample_next(torch.randn(1, 5), temperature=0)),
    (sample_next, "logits must be finite (or -inf)", lambda: sample_next(torch.full((1, 5), float("nan")))),
    (sample_next, "logits must be finite (or -inf)", lambda: sample_next(torch.full((1, 5), float("nan")), greedy=True)),
    (generate, "top_p must be > 0", lambda: generate(tiny, torch.zeros(1, 2, dtype=torch.long), 2, top_p=0.0)),
    (generate, "idx must not be empty", lambda: generate(tiny, torch.zeros(1, 0, dtype=torch.long), 2)),
    (generate, "idx must be a torch.Tensor, got NoneType", lambda: generate(tiny, None, 2)),
    (beam_search, "beam_size (100) must not exceed the vocabulary size (65)",
     lambda: beam_search(tiny, torch.zeros(1, 2, dtype=torch.long), 2, beam_size=100)),
    # text
    (CharTokenizer, "text has characters not in the vocabulary", lambda: CharTokenizer("abc").encode("abd")),
    (CharTokenizer, "ids not in the vocabulary (size 3): [-1]", lambda: CharTokenizer("abc").decode([0, -1])),
    (WordTokenizer, "ids not in the vocabulary (size 6): [9]", lambda: WordTokenizer(["a b"]).decode([4, 9])),
    (WordTokenizer, "texts must be a list of strings", lambda: WordTokenizer("the cat sat")),
    (BPETokenizer, "vocab_size must be >= 256", lambda: BPETokenizer.train("abc", 100)),
    (QAExample, "answer must appear in context at start", lambda: QAExample("Ann is 5", "Age?", "5", 0)),
    (sequence_task, "kind must be one of", lambda: sequence_task("shuffle", 2, 3)),
    (associative_recall, "n_pairs (9) cannot exceed n_keys (8)", lambda: associative_recall(2, n_pairs=9)),
    (number_to_words, "n must be at most 9999", lambda: number_to_words(10000)),
    (number_words_pairs, "max_value must be <= 9999", lambda: number_words_pairs(3, max_value=10000)),
    (zh_numeral_gloss, "text must be a str", lambda: zh_numeral_gloss(312)),
    (grammar_sentence, "rng must be a random.Random", lambda: grammar_sentence(0)),
    (grammar_corpus, "n_sentences must be >= 1", lambda: grammar_corpus(0)),
    (agreement_pairs, "n must be >= 1", lambda: agreement_pairs(0)),
    (sentiment_examples, "n must be >= 1", lambda: sentiment_examples(0)),
    (topic_examples, "length must be >= 2", lambda: topic_examples(3, length=1)),
    (ner_examples, "n must be an int", lambda: ner_examples(2.5)),
    (qa_examples, "n must be >= 1", lambda: qa_examples(-1)),
    (lm_batch, "it needs more than block=8", lambda: lm_batch(torch.arange(5), 2, 8)),
    (pad_batch, "more than max_len=2", lambda: pad_batch([[1, 2, 3]], max_len=2)),
    (train_val_split, "val_fraction must be in (0, 1)", lambda: train_val_split(torch.arange(10), 1.5)),
    # metrics
    (metrics.perplexity, "mean_nll must be a non-negative number", lambda: metrics.perplexity(-1.0)),
    (metrics.perplexity, "mean_nll must be a non-negative number", lambda: metrics.perplexity(float("nan"))),
    (metrics.bits_per_token, "mean_nll must be a non-negative number", lambda: metrics.bits_per_token("2.3")),
    (metrics.accuracy, "y_true and y_pred must have the same length", lambda: metrics.accuracy([1, 2], [1])),
    (metrics.accuracy, "y_pred must be 1-D, one label per example", lambda: metrics.accuracy(torch.tensor([0, 2]), torch.randn(2, 3))),
    (metrics.precision_recall_f1, "average must be one of", lambda: metrics.precision_recall_f1([1], [1], average="weighted")),
    (metrics.bleu, "hypotheses must be a list of strings", lambda: metrics.bleu("the cat", [["the cat"]])),
    (metrics.bleu, "references[0] must be a list of strings", lambda: metrics.bleu(["the cat"], ["the cat"])),
    (metrics.bio_entities, "is not a BIO tag", lambda: metrics.bio_entities(["B-PER", "X"])),
    (metrics.entity_f1, "is not a BIO tag", lambda: metrics.entity_f1([["B-PER", "X"]], [["O", "O"]])),
    (metrics.exact_match, "prediction must be a str", lambda: metrics.exact_match(None, "Paris")),
    (metrics.token_f1, "truth must be a str", lambda: metrics.token_f1("Paris", ["Paris"])),
    # outside the listed modules
    (seed_everything, "seed must be >= 0", lambda: seed_everything(-1)),
    (get_device, "COURSE_DEVICE must be one of", lambda: _with_env("COURSE_DEVICE", "tpu", get_device)),
    (plot_attention, "got 2 token labels for an axis of length 3", lambda: plot_attention(torch.rand(3, 3), ["a", "b"])),
    (exercise, "key must look like '04.attention'", lambda: exercise("attention")),
    (quiz, "number must be in 1..50, got 51", lambda: quiz(51)),
    (quiz, "choice must be one of a, b, c", lambda: quiz(4).answer(1, "z", record=False)),
]

# Public names with nothing a learner passes in that could be wrong, each with the reason.
NOTHING_TO_VALIDATE = {
    course.nn.KVCache: "a record that MultiHeadAttention builds from its own keys and values",
    course.train.History: "a record that fit() fills in; learners only read it",
    course.models.ModelOutput: "the record every model returns; learners only read it",
}

PUBLIC_MODULES = [course.nn, course.train, course.generate, course.models, course.metrics, course.text]


def _extra_rows():
    """Rows kept beside this file in ``bad_calls_*.py`` (one per package area, so parallel work does not
    collide): each defines ``BAD_CALLS`` and may define ``NOTHING_TO_VALIDATE`` and ``PUBLIC_MODULES``."""
    import importlib.util
    from pathlib import Path
    for path in sorted(Path(__file__).parent.glob("bad_calls_*.py")):
        spec = importlib.util.spec_from_file_location(f"tests_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        BAD_CALLS.extend(module.BAD_CALLS)
        NOTHING_TO_VALIDATE.update(getattr(module, "NOTHING_TO_VALIDATE", {}))
        PUBLIC_MODULES.extend(m for m in getattr(module, "PUBLIC_MODULES", []) if m not in PUBLIC_MODULES)


_extra_rows()


def public_callables():
    """Every function and class a public module exports (submodules and constants left out)."""
    return {getattr(m, name): f"{m.__name__}.{name}" for m in PUBLIC_MODULES for name in m.__all__
            if callable(getattr(m, name)) and not inspect.ismodule(getattr(m, name))}


def _with_env(name, value, fn):
    import os
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        return fn()
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


@pytest.mark.parametrize("target,message,call", BAD_CALLS,
                         ids=[f"{t.__name__}:{m[:40]}" for t, m, _ in BAD_CALLS])
def test_bad_input_gets_a_clear_message(target, message, call):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert message in str(info.value)


def test_every_public_function_has_a_bad_input_row():
    covered = {target for target, _, _ in BAD_CALLS} | set(NOTHING_TO_VALIDATE)
    missing = sorted(name for obj, name in public_callables().items() if obj not in covered)
    assert not missing, f"add a row to BAD_CALLS (or a reason to NOTHING_TO_VALIDATE) for: {missing}"


def test_the_allow_list_names_only_public_objects_with_a_reason():
    public = public_callables()
    for obj, reason in NOTHING_TO_VALIDATE.items():
        assert obj in public and len(reason) > 20, obj


@pytest.mark.parametrize("positions", ["learned", "rope"])
def test_a_training_step_reads_no_values_off_the_cpu(positions):
    """On a GPU, reading a value (int(x.max()), .item()) makes the host wait for the device. Meta tensors
    have shapes but no values, so a whole step on them proves the hot path's checks read only shapes."""
    model = GPT(GPTConfig.preset("tiny", positions=positions)).to("meta")
    optimizer = AdamW(model.parameters(), lr=1e-3)
    idx = torch.zeros(2, 8, dtype=torch.long, device="meta")
    loss = model(idx, targets=idx).loss
    loss.backward()
    clip_by_global_norm(model.parameters(), 1.0)
    optimizer.step()
    assert loss.shape == ()


def test_valid_inputs_the_checks_must_not_reject():
    frozen = torch.nn.Parameter(torch.ones(2), requires_grad=False)          # no grad, but a parameter
    manual = torch.zeros(3)
    manual.grad = torch.ones(3)                                                # a plain tensor given a grad
    assert float(clip_by_global_norm([frozen, manual], 10.0)) == pytest.approx(3 ** 0.5)
    Adam([{"params": [with_grad]}, {"params": param, "lr": 0.1}], betas=[0.9, 0.99])  # groups, list betas
    import numpy as np
    assert causal_mask(np.int64(3)).shape == (3, 3)                            # NumPy ints are ints
    b, h, t = 2, 2, 4
    qq = torch.randn(b, h, t, 8)
    for mask in (torch.ones(t, t, dtype=torch.bool), torch.ones(b, 1, 1, t, dtype=torch.bool)):
        scaled_dot_product_attention(qq, qq, qq, mask)
    assert warmup_cosine(0, warmup=0, total=5, min_ratio=1.0) == 1.0
    assert lm_loss(torch.randn(1, 3, 5), torch.tensor([[0, -100, 4]])).isfinite()


def test_tensor_labels_count_like_lists():
    """0-dim tensors hash by identity: a set of them made every example its own class (macro F1 wrong)."""
    y_true, y_pred = torch.tensor([0, 1, 2, 1, 0]), torch.tensor([0, 1, 1, 1, 2])
    for average in ("macro", "micro"):
        assert metrics.precision_recall_f1(y_true, y_pred, average=average) == \
            metrics.precision_recall_f1(y_true.tolist(), y_pred.tolist(), average=average)
    assert metrics.precision_recall_f1(y_true, y_pred, average="micro")[0] == metrics.accuracy(y_true, y_pred)
