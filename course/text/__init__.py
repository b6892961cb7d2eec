"""Text: tokenizers, deterministic synthetic corpora and tasks, and batching."""
from .batching import lm_batch, pad_batch, train_val_split
from .corpus import agreement_pairs, grammar_corpus, grammar_sentence
from .labelled import QAExample, ner_examples, qa_examples, sentiment_examples, topic_examples
from .tasks import associative_recall, number_to_words, number_words_pairs, sequence_task, zh_numeral_gloss
from .tokenizers import BPETokenizer, CharTokenizer, WordTokenizer

__all__ = [name for name in dir() if not name.startswith("_")]
