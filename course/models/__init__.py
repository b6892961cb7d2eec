"""Models of the course: GPT, BERT, the encoder–decoder Transformer and recurrent baselines."""
from .bert import Bert, BertClassifier, BertConfig, BertSpanQA, BertTokenTagger, mask_tokens
from .gpt import GPT, GPTConfig
from .hf_import import config_from_gpt2, gpt_from_hf_gpt2
from .ngram import bigram_probs
from .output import ModelOutput, lm_loss
from .rnn import RNNLanguageModel, RNNSeq2Seq
from .seq2seq import Seq2SeqConfig, Seq2SeqTransformer

__all__ = [name for name in dir() if not name.startswith("_")]

from ..validate import check_module  # noqa: E402  (after __all__: not part of the public API)


def count_parameters(model, trainable_only: bool = False) -> int:
    """Number of distinct parameters (tied weights counted once)."""
    check_module("model", model)
    seen = {id(p): p for p in model.parameters() if p.requires_grad or not trainable_only}
    return sum(p.numel() for p in seen.values())


__all__.append("count_parameters")
