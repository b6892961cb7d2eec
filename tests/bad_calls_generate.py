"""Wrong calls to the decoding functions added for chapters 14 and 19 (collected by tests/test_bad_input.py)."""
import torch

from course.generate import Generation, apply_repetition_penalty, find_stop, generate_text, stream
from course.metrics import distinct_n
from course.models import GPT, GPTConfig
from course.text import WordTokenizer

_tiny = GPT(GPTConfig.preset("tiny", vocab_size=12))
_tok = WordTokenizer(["a b c d e f g"])

BAD_CALLS = [
    (apply_repetition_penalty, "penalty must be > 0",
     lambda: apply_repetition_penalty(torch.randn(1, 5), torch.zeros(1, 2, dtype=torch.long), 0.0)),
    (apply_repetition_penalty, "idx must have one row per row of logits",
     lambda: apply_repetition_penalty(torch.randn(2, 5), torch.zeros(1, 2, dtype=torch.long), 1.2)),
    (apply_repetition_penalty, "idx must have a int dtype",
     lambda: apply_repetition_penalty(torch.randn(1, 5), torch.zeros(1, 2), 1.2)),
    (stream, "repetition_penalty must be > 0",
     lambda: stream(_tiny, torch.zeros(1, 2, dtype=torch.long), 3, repetition_penalty=-1.0)),
    (apply_repetition_penalty, "penalty must be finite",
     lambda: apply_repetition_penalty(torch.randn(1, 5), torch.zeros(1, 2, dtype=torch.long), float("inf"))),
    (stream, "repetition_penalty must be finite",
     lambda: stream(_tiny, torch.zeros(1, 2, dtype=torch.long), 3, repetition_penalty=float("inf"))),
    (stream, "temperature must be > 0",
     lambda: stream(_tiny, torch.zeros(1, 2, dtype=torch.long), 3, temperature=0.0)),
    (stream, "temperature must be a number",
     lambda: stream(_tiny, torch.zeros(1, 2, dtype=torch.long), 3, temperature=None)),
    (find_stop, "stops must be a list of non-empty strings", lambda: find_stop("a b", "b")),
    (find_stop, "stops must be a list of non-empty strings", lambda: find_stop("a b", [""])),
    (generate_text, "prompt must be a str", lambda: generate_text(_tiny, _tok, ["a"], 3)),
    (generate_text, "max_new_tokens must be >= 1", lambda: generate_text(_tiny, _tok, "a", 0)),
    (generate_text, "stops must be a list of non-empty strings", lambda: generate_text(_tiny, _tok, "a", 3, stop=[1])),
    (distinct_n, "texts must be a list of strings", lambda: distinct_n("a b c", 2)),
    (distinct_n, "n must be >= 1", lambda: distinct_n(["a b c"], 0)),
]

NOTHING_TO_VALIDATE = {Generation: "a frozen record that generate_text fills in"}
