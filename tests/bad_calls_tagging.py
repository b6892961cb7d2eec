"""Wrong calls of course.tagging (chapter 48), each answered by an error that names the argument."""
import random

import course.tagging
from course.tagging import align_labels, drop_words, inside_tag, replace_entities, word_pieces, word_tags
from course.text import WordTokenizer

_tok = WordTokenizer(["a b"])

BAD_CALLS = [
    (word_pieces, "words must be a list of non-empty strings", lambda: word_pieces("Sara Okafor", _tok)),
    (word_pieces, "tokenizer must have an encode(text) method", lambda: word_pieces(["a"], "bpe")),
    (align_labels, "strategy must be one of", lambda: align_labels([0, 0, 1], ["B-PER", "O"], "every")),
    (align_labels, "word_of must start at word 0", lambda: align_labels([0, 2], ["O", "O", "O"])),
    (align_labels, "word_of covers 2 words but tags has 3", lambda: align_labels([0, 1], ["O", "O", "O"])),
    (align_labels, "word_of must be a list of word indices", lambda: align_labels([0, -1], ["O", "O"])),
    (align_labels, "word_of covers 0 words but tags has 1", lambda: align_labels([], ["O"])),
    (align_labels, "tags must hold BIO tags", lambda: align_labels([0, 1], [1, 0])),
    (word_tags, "piece_tags (at first pieces) must hold BIO tags", lambda: word_tags([0, 1], ["O", "PER"])),
    (word_tags, "piece_tags must be a list with one tag per piece", lambda: word_tags([0, 0, 1], ["O", "O"])),
    (inside_tag, "tag must be a BIO tag", lambda: inside_tag("PER")),
    (drop_words, "drop must be a set of lower-case words", lambda: drop_words(["in", "Paris"], ["O", "B-LOC"], ["in"])),
    (drop_words, "tags must be a list with one tag per word", lambda: drop_words(["in", "Paris"], ["O"], {"in"})),
    (replace_entities, "rng must be a random.Random", lambda: replace_entities(["Bob"], ["B-PER"], {"PER": ["Ann"]}, 0)),
    (replace_entities, "names has no entry for entity type 'LOC'",
     lambda: replace_entities(["Paris"], ["B-LOC"], {"PER": ["Ann"]}, random.Random(0))),
]

PUBLIC_MODULES = [course.tagging]
