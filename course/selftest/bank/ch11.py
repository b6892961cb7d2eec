"""Self-test of chapter 11: sliding-window masks and the reach of stacked (and mixed) layers."""
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
    return [{"t": t, "window": w} for t, w in ((6, 2), (8, 3), (5, 5), (7, 1), (4, 9))]


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
    task=(
        "Return the causal sliding-window mask of a sequence of `t` tokens as a `(t, t)` tensor of dtype "
        "`torch.bool`: `mask[i, j]` is `True` where query i **may attend** to key j.\n\n"
        "- Causal: no key after the query (j ≤ i).\n"
        "- The window **includes the token itself**: with `window = w`, query i sees the w keys "
        "i−w+1 … i (fewer near the start).\n"
        "- `t` and `window` are Python `int`s ≥ 1; `window` may be larger than `t`."),
    mistakes=[
        Mistake("no_causal", "a language model must never see the future: keep only keys j ≤ i, "
                "then drop those more than window−1 positions back.", _no_causal),
        Mistake("off_by_one", "the window counts the token itself: with window=w, query i sees w keys, "
                "i−w+1 … i.", _off_by_one),
        Mistake("without_self", "the diagonal (a token attending to itself) belongs to the window.", _without_self),
    ])


def earliest_visible(t: int, windows: list) -> int:
    """The earliest position whose token can reach the last position t−1 through layers with these
    windows (one entry per layer; None = full causal attention)."""
    if any(w is None for w in windows):
        return 0
    hops = sum(w - 1 for w in windows)
    return max(0, t - 1 - hops)


def _earliest_cases(g):
    return [{"t": t, "windows": w} for t, w in ((20, [8]), (20, [8, 8]), (100, [4, 4, 16]), (10, [8, 8]),
                                                 (50, [4, None, 4]), (64, [1, 1]), (4096, [512] * 6))]


def _no_clamp(t, windows):
    if any(w is None for w in windows):
        return 0
    return t - 1 - sum(w - 1 for w in windows)


def _sum_of_windows(t, windows):
    if any(w is None for w in windows):
        return 0
    return max(0, t - 1 - sum(windows))


def _global_ignored(t, windows):
    return max(0, t - 1 - sum(w - 1 for w in windows if w is not None))


def _last_layer_only(t, windows):
    if windows[-1] is None:
        return 0
    return max(0, t - windows[-1])


def _from_t(t, windows):
    if any(w is None for w in windows):
        return 0
    return max(0, t - sum(w - 1 for w in windows))


EARLIEST_VISIBLE = Exercise(
    key="11.earliest_visible", title="earliest_visible",
    signature="earliest_visible(t, windows) -> int",
    reference=earliest_visible, make_cases=_earliest_cases,
    task=(
        "A causal model reads `t` tokens at positions 0 … t−1. Layer ℓ uses sliding-window attention with "
        "`windows[ℓ]` keys, **the query itself included** (window w reaches w−1 tokens back), or full causal "
        "attention where `windows[ℓ]` is `None`.\n\n"
        "Return, as a Python `int`, the **earliest position** whose token can influence the output at the "
        "last position t−1 after all the layers (information may hop through intermediate positions; "
        "never below 0).\n\n"
        "- `t`: `int ≥ 1`; `windows`: a `list` with one `int ≥ 1` or `None` per layer.\n"
        "- Example: `earliest_visible(20, [8])` is 12 (positions 12 … 19).\n"
        "- The checker compares integers exactly."),
    mistakes=[
        Mistake("no_clamp", "positions start at 0: when the windows reach further than the text, the answer is 0, "
                "not a negative index.", _no_clamp),
        Mistake("sum_of_windows", "a window of w reaches w−1 tokens back (the token itself is one of the w): "
                "add up w−1 per layer.", _sum_of_windows),
        Mistake("global_ignored", "a layer with full attention (None) lets the last position read every earlier "
                "position directly: then nothing is out of reach.", _global_ignored),
        Mistake("last_layer_only", "information hops: layer ℓ reads positions that earlier layers already filled, "
                "so the reaches of all layers add up.", _last_layer_only),
        Mistake("from_t", "the last position is t−1, not t: count back from t−1.", _from_t),
    ])

EXERCISES = [WINDOW_MASK, EARLIEST_VISIBLE]

QUIZ = Quiz([
    Question("11.q1", "The common answer describes the context window as “5 or 10 words”, larger when generating "
                      "sentences and smaller when generating words. What is the window of a GPT-style model?", (
        Option("A size chosen per request: wider when writing sentences, narrower for single words", False,
               "That is the common answer's claim. The window is fixed when the model is trained; shorter inputs "
               "are fine, but nothing adapts it per sentence or word."),
        Option("The most tokens one forward pass attends over, fixed by training (GPT-3: 2,048)", True,
               "It is set with the position encoding, the training sequence length and the O(n²) attention "
               "cost in mind — not by whether one generates sentences or words."),
        Option("The n of its n-gram statistics, typically the 5 to 10 words around a target", False,
               "That is the window of n-gram models and word2vec; a Transformer LM attends over thousands "
               "of tokens."),
        Option("The number of tokens it may generate in one reply, set in the decoding settings", False,
               "The reply length is a decoding limit; prompt and reply together must fit in the window."),
    ), misconception=True),
    Question("11.q2", "A one-layer model with a sliding window of 8 (itself included) must output the token 12 "
                      "positions back. After training, its accuracy is…", (
        Option("…near 1 if trained long enough: attention learns to reach past the mask", False,
               "The mask removes the key before the softmax; no weight can be learned for it."),
        Option("…at chance: that token is outside every query's window", True,
               "Lab 1: perfect up to 7 tokens back, chance from 8 on, however long one trains."),
        Option("…near 1 with more heads, as each head can cover a different span", False,
               "Here every head uses the same window mask; heads split the features, not the positions."),
        Option("…in between, since attention weights fade smoothly with distance", False,
               "Inside the window the model is perfect; outside it the key is masked. Lab 1's curve is a cliff."),
    )),
    Question("11.q3", "Two layers, each a sliding window of 8 tokens (itself included). How far back can the "
                      "last position get information from?", (
        Option("7 tokens: each layer sees the same 8 positions", False,
               "Layer 2 reads positions whose layer-1 outputs already hold tokens further back."),
        Option("14 tokens: each layer adds 7 new positions", True,
               "2·(8−1) = 14. Lab 1 measures perfect recall up to 14 tokens back and chance at 15."),
        Option("16 tokens: the two windows of 8 add up", False,
               "The token itself is one of the 8 in each window: each layer adds 8−1 = 7."),
        Option("64 tokens: the reach multiplies, 8 × 8", False,
               "Reaches add across layers, like the receptive field of stacked convolutions."),
    )),
    Question("11.q4", "A model with learned positions has a 32-token window. You must score every token of a "
                      "128-token document. What works best?", (
        Option("Feed all 128 tokens: attention itself works at any length", False,
               "The learned position table has no row for position 32 and beyond; the package raises an error."),
        Option("Windows of 32 moved by 16, scoring each window's last 16 tokens", True,
               "Every prediction keeps ≥ 16 tokens of context; Lab 3 measures it against chunking, at 224 "
               "tokens run instead of 128 (1.75×, nearing 2× on long documents)."),
        Option("Four separate chunks of 32, since each token keeps its neighbours", False,
               "The first tokens of each chunk lose their context: Lab 3 measures the drop."),
        Option("Keep the last 32 tokens; the model summarizes what came before", False,
               "Truncated tokens are gone: Lab 3's truncation predicts only 32 of the positions."),
    )),
    Question("11.q5", "Trained on 32 tokens and tested on 128, which position scheme held up best in Lab 2, "
                      "and why?", (
        Option("Sinusoidal: its formula gives a vector for every position", False,
               "Defined is not the same as learned: the model never saw those vectors (Lab 2: about 0.4)."),
        Option("Rotary: the q·k score depends on the offset i − j", True,
               "An offset of 3 means the same at position 100 as at 10, so the learned rule transfers."),
        Option("Learned: the last row of the table is reused beyond 32", False,
               "Nothing is reused: a learned table simply has no rows past its length."),
    )),
])
