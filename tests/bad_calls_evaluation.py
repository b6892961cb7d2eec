"""Wrong calls to the likelihood-based evaluation helpers (chapter 9), each answered by a clear message."""
import torch

import course.evaluation
from course.evaluation import bits_per_byte, continuation_logprobs, text_nll, tiny_benchmark
from course.models import GPT, GPTConfig

_tiny = GPT(GPTConfig.preset("tiny", vocab_size=20))

BAD_CALLS = [
    (bits_per_byte, "total_nll must be >= 0", lambda: bits_per_byte(-1.0, 10)),
    (bits_per_byte, "n_bytes must be an int", lambda: bits_per_byte(3.0, 10.5)),
    (continuation_logprobs, "model must be a torch.nn.Module", lambda: continuation_logprobs("gpt", [1], [[2]])),
    (continuation_logprobs, "continuations[1] is empty", lambda: continuation_logprobs(_tiny, [1], [[2], []])),
    (continuation_logprobs, "continuations must be a non-empty list", lambda: continuation_logprobs(
        _tiny, [1], torch.tensor([[2]]))),
    (continuation_logprobs, "longer than the model's context window", lambda: continuation_logprobs(
        _tiny, [1] * 200, [[2]])),
    (text_nll, "lines[0] must be a list of int token ids", lambda: text_nll(_tiny, ["a b"], 0)),
    (text_nll, "sep_id must be >= 0", lambda: text_nll(_tiny, [[1]], -1)),
    (tiny_benchmark, "n_per_task must be >= 1", lambda: tiny_benchmark(0)),
]

NOTHING_TO_VALIDATE = {
    course.evaluation.ChoiceItem: "a frozen record that tiny_benchmark returns; learners read it",
}

PUBLIC_MODULES = [course.evaluation]

from course.evaluation import fit_power_law  # noqa: E402

BAD_CALLS += [
    (fit_power_law, "x must be all > 0", lambda: fit_power_law([0, 10], [3.0, 2.0])),
    (fit_power_law, "y must lie above irreducible", lambda: fit_power_law([1, 10], [3.0, 2.0], irreducible=2.5)),
    (fit_power_law, "x and y must have the same length", lambda: fit_power_law([1, 10, 100], [3.0, 2.0])),
    (fit_power_law, "x must be a list of at least 2 numbers", lambda: fit_power_law(torch.ones(3), [1.0] * 3)),
]
