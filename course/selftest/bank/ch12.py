"""Self-test of chapter 12: the 80/10/10 replacement step of masked-LM, and whole-word selection."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def replace_selected(ids: torch.Tensor, selected: torch.Tensor, u: torch.Tensor, random_ids: torch.Tensor,
                     mask_id: int, mask_prob: float = 0.8, random_prob: float = 0.1):
    """(inputs, labels), both (B, T) int64: at selected positions u < mask_prob -> mask_id,
    mask_prob ≤ u < mask_prob + random_prob -> random_ids, otherwise unchanged; labels = ids where
    selected, −100 elsewhere."""
    to_mask = selected & (u < mask_prob)
    to_random = selected & (u >= mask_prob) & (u < mask_prob + random_prob)
    corrupted = torch.where(to_random, random_ids, ids)
    corrupted = torch.where(to_mask, torch.full_like(ids, mask_id), corrupted)
    targets = ids.masked_fill(~selected, -100)
    return corrupted, targets


def _replace_cases(g):
    cases = []
    for (b, t), mask_id, probs in (((2, 7), 1, {}), ((3, 12), 5, {"mask_prob": 0.5, "random_prob": 0.3}),
                                   ((1, 20), 0, {"mask_prob": 1.0, "random_prob": 0.0}),
                                   ((4, 9), 3, {"mask_prob": 0.6, "random_prob": 0.4})):
        ids = torch.randint(6, 50, (b, t), generator=g)
        cases.append({"ids": ids, "selected": torch.rand(b, t, generator=g) < 0.5,
                      "u": torch.rand(b, t, generator=g), "random_ids": torch.randint(0, 50, (b, t), generator=g),
                      "mask_id": mask_id, **probs})
    return cases


def _labels_only_on_mask(ids, selected, u, random_ids, mask_id, mask_prob=0.8, random_prob=0.1):
    inputs, labels = replace_selected(ids, selected, u, random_ids, mask_id, mask_prob, random_prob)
    return inputs, labels.masked_fill(inputs != mask_id, -100)


def _labels_everywhere(ids, selected, u, random_ids, mask_id, mask_prob=0.8, random_prob=0.1):
    inputs, _ = replace_selected(ids, selected, u, random_ids, mask_id, mask_prob, random_prob)
    return inputs, ids.clone()


def _thresholds_not_offset(ids, selected, u, random_ids, mask_id, mask_prob=0.8, random_prob=0.1):
    inputs, labels = replace_selected(ids, selected, u, random_ids, mask_id, mask_prob, 0.0)
    late = selected & (u < random_prob) & (inputs != mask_id)            # u < random_prob, not in [m, m + r)
    return torch.where(late, random_ids, inputs), labels


def _replaced_everywhere(ids, selected, u, random_ids, mask_id, mask_prob=0.8, random_prob=0.1):
    inputs, labels = replace_selected(ids, torch.ones_like(selected), u, random_ids, mask_id, mask_prob, random_prob)
    return inputs, ids.masked_fill(~selected, -100)


def _zero_labels(ids, selected, u, random_ids, mask_id, mask_prob=0.8, random_prob=0.1):
    inputs, _ = replace_selected(ids, selected, u, random_ids, mask_id, mask_prob, random_prob)
    return inputs, ids.masked_fill(~selected, 0)


REPLACE_SELECTED = Exercise(
    key="12.replace_selected", title="replace_selected",
    signature="replace_selected(ids (B,T), selected (B,T), u (B,T), random_ids (B,T), mask_id, mask_prob=0.8, "
              "random_prob=0.1) -> (inputs (B,T), labels (B,T))",
    reference=replace_selected, make_cases=_replace_cases,
    task=(
        "Given the positions already **selected** for masked-LM, build the model's input and the labels.\n\n"
        "- `ids`: `(B, T)` int64, the original tokens; `selected`: `(B, T)` bool; `u`: `(B, T)` float32 "
        "uniform draws in [0, 1), one per position; `random_ids`: `(B, T)` int64, a random token per position; "
        "`mask_id`: `int`; `mask_prob`, `random_prob`: `float`, with `mask_prob + random_prob ≤ 1`.\n"
        "- At a selected position: `u < mask_prob` → `mask_id`; `mask_prob ≤ u < mask_prob + random_prob` → "
        "`random_ids` at that position; otherwise the token stays as it is.\n"
        "- Positions that are not selected are never changed.\n"
        "- Return `(inputs, labels)`, both `(B, T)` int64: `labels` holds the **original** id at every selected "
        "position and `-100` (the index cross-entropy ignores) everywhere else.\n"
        "- Do not modify `ids` in place."),
    mistakes=[
        Mistake("labels_only_on_mask", "every selected position is predicted — also where the input shows a random "
                "or the unchanged token. Only non-selected positions get −100.", _labels_only_on_mask),
        Mistake("labels_everywhere", "positions that were not selected carry no label: set them to −100, or the "
                "loss rewards copying visible tokens.", _labels_everywhere),
        Mistake("thresholds_not_offset", "the random interval starts where the [MASK] one ends: "
                "mask_prob ≤ u < mask_prob + random_prob, not u < random_prob.", _thresholds_not_offset),
        Mistake("replaced_everywhere", "only selected positions may change; combine every condition with "
                "`selected`.", _replaced_everywhere),
        Mistake("zero_labels", "the 'ignore' label is −100 (cross_entropy's ignore_index), not 0 — 0 is a real "
                "token id.", _zero_labels),
    ])


def whole_word_selection(word_ids: torch.Tensor, u: torch.Tensor, p: float = 0.15) -> torch.Tensor:
    """(B, T) bool: token t of row b is selected when it belongs to a word (word_ids ≥ 0) whose draw
    u[b, word] < p."""
    is_word = word_ids >= 0
    draw = u.gather(1, word_ids.clamp(min=0))
    return is_word & (draw < p)


def _word_cases(g):
    # A fixed case first, on which each planted mistake gives its own mask, so that each is caught by its
    # own hint at every seed: the last word is selected (so reading −1 as the last word selects the
    # specials), and per-position draws select a different token than per-word draws.
    cases = [{"word_ids": torch.tensor([[-1, 0, 0, 1, 2, 3, 3, -1]]), "u": torch.tensor([[0.9, 0.2, 0.6, 0.05]]),
              "p": 0.15}]
    for b, t, w, p in ((2, 10, 6, 0.15), (3, 14, 9, 0.5), (1, 8, 4, 0.3), (4, 12, 7, 0.2)):
        rows = []
        for _ in range(b):
            pieces = torch.randint(1, 4, (w,), generator=g).tolist()       # 1–3 pieces per word
            row = [-1] + [i for i, k in enumerate(pieces) for _ in range(k)]
            row = (row + [-1] * t)[:t - 1] + [-1]                           # [CLS] … [SEP]/padding: −1
            rows.append(row)
        cases.append({"word_ids": torch.tensor(rows), "u": torch.rand(b, w, generator=g), "p": p})
    return cases


def _per_token(word_ids, u, p=0.15):
    draws = torch.cat([u, u], dim=1)[:, :word_ids.shape[1]]                # one draw per position
    return (word_ids >= 0) & (draws < p)


def _specials_selected(word_ids, u, p=0.15):
    return u.gather(1, word_ids % u.shape[1]) < p                          # −1 read as the last word


def _inverted(word_ids, u, p=0.15):
    return (word_ids >= 0) & (u.gather(1, word_ids.clamp(min=0)) >= p)


WHOLE_WORD = Exercise(
    key="12.whole_word_selection", title="whole_word_selection",
    signature="whole_word_selection(word_ids (B,T), u (B,W), p=0.15) -> (B,T) bool",
    reference=whole_word_selection, make_cases=_word_cases,
    task=(
        "Select tokens for masked-LM **a whole word at a time**.\n\n"
        "- `word_ids`: `(B, T)` int64; `word_ids[b, t]` is the index (0 … W−1) of the word that token t belongs "
        "to, or `-1` for special tokens and padding ([CLS], [SEP], [PAD]).\n"
        "- `u`: `(B, W)` float32, one uniform draw in [0, 1) per word of each row; `p`: `float`.\n"
        "- A word is selected when its draw `u[b, w] < p`; then **every** token of that word is selected.\n"
        "- Tokens with `word_ids = -1` are never selected (careful: `-1` is also a valid Python index).\n"
        "- Return a `(B, T)` `torch.bool` tensor, `True` = selected."),
    mistakes=[
        Mistake("per_token", "draw per word, not per position: look each token's draw up by its word index "
                "(gather), so all pieces of a word share one decision.", _per_token),
        Mistake("specials_selected", "−1 marks special tokens: an index of −1 reads the last word's draw; exclude "
                "those positions explicitly.", _specials_selected),
        Mistake("inverted", "select when the draw is below p (probability p), not above it.", _inverted),
    ])

EXERCISES = [REPLACE_SELECTED, WHOLE_WORD]

QUIZ = Quiz([
    Question("12.q1", "The common answer says MLM “随机选择一定比例的词进行遮蔽，可以完全遮蔽或部分遮蔽（部分字符）”. "
                      "What does BERT actually do to its input?", (
        Option("Selects 15 %: 80 % [MASK], 20 % random", False,
               "A fifth of the selected tokens is not all randomised: half of that fifth is left as is (Lab 1)."),
        Option("Hides some characters inside a word (partial masking)", False,
               "That is the common answer's claim; BERT never hides part of a token's characters."),
        Option("Selects 15 %: 80 % [MASK], 10 % random, 10 % as is", True,
               "Lab 1 counts it, for the course's mask_tokens and for transformers' collator alike."),
        Option("Masks a contiguous 15 % span at the end of the text", False,
               "Positions are drawn independently (span masking is SpanBERT's later variant, spans anywhere)."),
    ), misconception=True),
    Question("12.q2", "At which positions is the masked-LM loss computed?", (
        Option("Only where the input shows [MASK]", False,
               "The random and unchanged positions are predicted too; otherwise they would teach nothing."),
        Option("At every selected position, whatever it shows", True,
               "Labels hold the original id there and −100 everywhere else (Lab 1, Exercise 1)."),
        Option("At every position of the sentence", False,
               "Unselected positions show the answer; predicting them is copying, so they get −100."),
        Option("Only where the masking changed the input token", False,
               "The 10 % left unchanged are predicted as well — that is their purpose."),
    )),
    Question("12.q3", "Why does BERT leave 10 % of the selected tokens unchanged instead of using [MASK]?", (
        Option("Fine-tuning has no [MASK]; visible tokens need training too", True,
               "In Lab 2 the 100 %-[MASK] model matches the MLM accuracy but is much worse on clean input."),
        Option("So the model learns to detect which tokens were replaced", False,
               "That is ELECTRA's replaced-token detection; BERT predicts the original token at every selected position."),
        Option("It acts like dropout on the weights and prevents overfitting", False,
               "It changes the inputs the loss sees, not the weights; the reason is the [MASK] mismatch."),
    )),
    Question("12.q4", "A selected token is shown as a random draw from a vocabulary of V tokens 10 % of the time. "
                      "What is the probability that the input shows the original token?", (
        Option("Exactly 0.1", False, "The random draw can land on the original token too: add 0.1/V."),
        Option("0.1 + 0.1/V", True, "Lab 1's expected proportions include it (and 0.8 + 0.1/V for [MASK])."),
        Option("0.2, the random and unchanged cases together", False,
               "A random draw shows another token in all but 1/V of the cases."),
        Option("0.15 · (0.1 + 0.1/V)", False,
               "That is for any token of the sentence; the question is about a token already selected."),
    )),
])
