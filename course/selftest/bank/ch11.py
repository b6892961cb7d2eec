"""Self-test of chapter 11: sliding-window masks and the effective context of stacked layers."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def window_mask(t: int, window: int) -> torch.Tensor:
    """(T, T) bool: query i may attend to keys i-window+1 .. i (itself included)."""
    i = torch.arange(t)[:, None]
    j = torch.arange(t)[None, :]
    return (j <= i) & (j > i - window)


def _mask_cases(g):
    return [{"t": t, "window": w} for t, w in ((6, 2), (8, 3), (5, 5), (7, 1))]


def _no_causal(t, window):
    i, j = torch.arange(t)[:, None], torch.arange(t)[None, :]
    return (j - i).abs() < window


def _off_by_one(t, window):
    return window_mask(t, window + 1)


def _without_self(t, window):
    i, j = torch.arange(t)[:, None], torch.arange(t)[None, :]
    return (j < i) & (j >= i - window)


WINDOW_MASK = Exercise(
    key="11.window_mask", title="window_mask", signature="window_mask(t, window) -> (T, T) bool tensor",
    reference=window_mask, make_cases=_mask_cases,
    mistakes=[
        Mistake("no_causal", "a language model must never see the future: keep only keys j ≤ i, "
                "then drop those more than window−1 positions back.", _no_causal),
        Mistake("off_by_one", "the window counts the token itself: with window=w, query i sees w keys, "
                "i−w+1 … i.", _off_by_one),
        Mistake("without_self", "the diagonal (a token attending to itself) belongs to the window.", _without_self),
    ])


def effective_context(n_layers: int, window: int) -> int:
    """How far back information can travel through n_layers of window-w attention: n·(w−1) + 1 tokens."""
    return n_layers * (window - 1) + 1


def _ctx_cases(g):
    return [{"n_layers": n, "window": w} for n, w in ((1, 8), (2, 16), (4, 4), (3, 1))]


EFFECTIVE_CONTEXT = Exercise(
    key="11.effective_context", title="effective_context",
    signature="effective_context(n_layers, window) -> int",
    reference=effective_context, make_cases=_ctx_cases,
    mistakes=[
        Mistake("one_layer", "stacking helps: layer 2 reads tokens that already read w−1 tokens further back.",
                lambda n_layers, window: window),
        Mistake("n_times_w", "each layer adds window−1 *new* positions (the token itself is shared): "
                "n·(w−1) + 1, not n·w.", lambda n_layers, window: n_layers * window),
        Mistake("forgot_self", "count the token itself: n·(w−1) + 1.", lambda n_layers, window: n_layers * (window - 1)),
    ])

EXERCISES = [WINDOW_MASK, EFFECTIVE_CONTEXT]

QUIZ = Quiz([
    Question("11.q1", "The common answer suggests a “variable window: larger when generating sentences, smaller when "
                      "generating words”. What is true of a Transformer LM's context window?", (
        Option("It is adjusted per task at inference time to any size", False,
               "Shorter inputs are fine, but a model cannot use more positions than it was trained for "
               "without extrapolation techniques; learned position tables simply end."),
        Option("It is the maximum number of tokens the model attends over, fixed when the model is trained "
               "(e.g. 1024 for GPT-2, 2048 for GPT-3)", True,
               "It is set by the position encoding, the training sequence length and the O(n²) attention "
               "cost, not by whether one generates 'sentences' or 'words'."),
        Option("It is the n of an n-gram, typically 5 or 10 words", False,
               "That is the n-gram/word2vec notion of a window; a Transformer LM sees thousands of tokens."),
    ), misconception=True),
    Question("11.q2", "A 1-layer model must predict the token 23 positions back. With a sliding window of 16…", (
        Option("…it can do it, attention reaches everywhere", False, "The mask hides keys beyond the window."),
        Option("…it cannot: that token is outside every query's window", True,
               "Lab 1 measures chance-level accuracy."),
        Option("…it can, if it has more heads", False, "Every head uses the same mask."),
    )),
    Question("11.q3", "Why can't a model with learned absolute positions read a 2× longer input than it was "
                      "trained on?", (
        Option("Its position table has no rows beyond the training length", True,
               "There is no embedding for position 1025 in GPT-2; RoPE or ALiBi-style relative schemes can be "
               "evaluated at any position (how well they extrapolate is another matter, Lab 2)."),
        Option("Attention cannot handle longer sequences", False, "The attention formula works at any length."),
        Option("The vocabulary would be too small", False, "Positions and vocabulary are unrelated."),
    )),
    Question("11.q4", "Two layers of sliding-window attention with window 16 can carry information over…", (
        Option("16 tokens", False, "Layer 2 reads positions that already summarized 15 earlier ones."),
        Option("31 tokens", True, "2·(16−1) + 1 = 31, like the receptive field of stacked convolutions."),
        Option("256 tokens", False, "Windows add up, they do not multiply."),
    )),
])
