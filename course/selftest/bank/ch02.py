"""Self-test of chapter 2: self-supervised next-token targets for a padded batch, and last-token pooling."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def lm_targets(ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets), both (B, T−1): targets are the inputs shifted left, −100 where the target is padding."""
    targets = ids[:, 1:].clone()
    targets[torch.arange(1, ids.shape[1])[None, :] >= lengths[:, None]] = -100
    return ids[:, :-1], targets


def _padded(g, lengths, t, vocab=50):
    ids = torch.randint(4, vocab, (len(lengths), t), generator=g)
    for row, n in enumerate(lengths):
        ids[row, n:] = 0
    return {"ids": ids, "lengths": torch.tensor(lengths)}


def _target_cases(g):
    return [_padded(g, ls, t) for ls, t in (([5, 3], 5), ([7, 2, 4], 7), ([6], 6), ([4, 4, 1, 3], 6))]


def _no_shift(ids, lengths):
    targets = ids[:, :-1].clone()
    targets[torch.arange(ids.shape[1] - 1)[None, :] >= lengths[:, None]] = -100
    return ids[:, :-1], targets


def _padding_kept(ids, lengths):
    return ids[:, :-1], ids[:, 1:]


def _mask_by_input(ids, lengths):
    targets = ids[:, 1:].clone()
    targets[torch.arange(ids.shape[1] - 1)[None, :] >= lengths[:, None]] = -100
    return ids[:, :-1], targets


def _shift_right(ids, lengths):
    inputs, targets = lm_targets(ids, lengths)
    return ids[:, 1:], torch.where(targets == -100, targets, ids[:, :-1])


LM_TARGETS = Exercise(
    key="02.lm_targets", title="lm_targets",
    signature="lm_targets(ids (B, T), lengths (B,)) -> (inputs (B, T-1), targets (B, T-1))",
    reference=lm_targets, make_cases=_target_cases,
    task=(
        "Cut **self-supervised** next-token training pairs from a right-padded batch of raw text.\n\n"
        "- `ids`: `(B, T)` int64 token ids; row b has `lengths[b]` real tokens followed by padding.\n"
        "- `lengths`: `(B,)` int64, 1 ≤ `lengths[b]` ≤ T.\n"
        "- Return a tuple `(inputs, targets)`, both `(B, T−1)` int64: `inputs` are the first T−1 columns of "
        "`ids`; `targets[b, t]` is the token that **follows** position t, i.e. `ids[b, t+1]`.\n"
        "- Where that following token is padding (t+1 ≥ `lengths[b]`) the target is **−100**, the value "
        "`cross_entropy` ignores.\n"
        "- Do not modify `ids`."),
    mistakes=[
        Mistake("no_shift", "the target at position t is the *next* token, ids[:, t+1], not the token itself: "
                "a model that can copy its input would learn nothing.", _no_shift),
        Mistake("padding_kept", "padding positions must not be targets: set them to −100 so the loss ignores them.",
                _padding_kept),
        Mistake("mask_by_input", "mask by the position of the *target* (t+1 ≥ lengths[b]), not of the input: "
                "the last real token is a target, the first padding position is not.", _mask_by_input),
        Mistake("shift_right", "shift the other way: inputs are ids[:, :-1] and targets ids[:, 1:].", _shift_right),
    ])


def last_token_pool(hidden: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, d): hidden[b, lengths[b] − 1] for each row b."""
    return torch.stack([hidden[b, n - 1] for b, n in enumerate(lengths.tolist())])


def _pool_cases(g):
    return [{"hidden": torch.randn(len(ls), t, d, generator=g), "lengths": torch.tensor(ls)}
            for ls, t, d in (([3, 5], 5, 4), ([1, 6, 2], 6, 8), ([4], 4, 3), ([2, 2, 7, 5], 7, 6))]


POOL = Exercise(
    key="02.last_token_pool", title="last_token_pool",
    signature="last_token_pool(hidden (B, T, d), lengths (B,)) -> (B, d)",
    reference=last_token_pool, make_cases=_pool_cases,
    task=(
        "A causal model's vector at position t has seen tokens 0 … t only, so a sentence classifier on a GPT "
        "reads the vector of each row's **last real token**.\n\n"
        "- `hidden`: `(B, T, d)` float32, the final hidden states of a right-padded batch.\n"
        "- `lengths`: `(B,)` int64, the number of real tokens in each row (1 ≤ `lengths[b]` ≤ T).\n"
        "- Return `(B, d)` float32: row b is `hidden[b, lengths[b] − 1]`."),
    mistakes=[
        Mistake("last_column", "hidden[:, -1] is a padding position in every row shorter than T; index each "
                "row at its own last real token.", lambda hidden, lengths: hidden[:, -1]),
        Mistake("off_by_one", "positions start at 0: the last real token of a row of length n is at n − 1.",
                lambda hidden, lengths: hidden[torch.arange(len(lengths)), lengths.clamp(max=hidden.shape[1] - 1)]),
        Mistake("first_token", "position 0 has seen only the first token in a causal model; [CLS]-style first-token "
                "pooling suits BERT, not GPT.", lambda hidden, lengths: hidden[:, 0]),
        Mistake("mean_over_padding", "a mean over all T positions mixes in padding; and the task asks for the last "
                "real token.", lambda hidden, lengths: hidden.mean(1)),
    ])

EXERCISES = [LM_TARGETS, POOL]

QUIZ = Quiz([
    Question("02.q1", "The common answer says pretraining uses “无监督学习方法（如自编码器）”. What is the "
                      "pretraining objective of GPT-style LLMs?", (
        Option("An autoencoder that reconstructs its input text", False,
               "That is the common answer's claim. A GPT never sees the token it must predict; it reconstructs nothing."),
        Option("Predicting each next token from the ones before it", True,
               "Self-supervised: the targets are the text shifted by one (Lab 1), so no annotator is needed."),
        Option("Clustering documents into topics without labels", False,
               "Unsupervised, but not what LLMs are trained on: their loss is per-token cross-entropy."),
        Option("Classifying texts with labels collected at scale", False,
               "Labels are what pretraining avoids; classification is a fine-tuning task (Lab 3)."),
    ), misconception=True),
    Question("02.q2", "The common answer lists 文本分类 among the pretraining tasks. Why is that wrong?", (
        Option("Classification needs human labels; it is a fine-tuning task", True,
               "Pretraining's targets come from the raw text; a labelled classification set is what fine-tuning uses."),
        Option("Classification is too easy to teach a model anything", False,
               "Lab 3's agreement task is not easy from scratch; the point is where the labels come from."),
        Option("Transformers cannot classify text", False,
               "They can, with a small head on a pooled vector (GPTClassifier, BertClassifier)."),
    )),
    Question("02.q3", "In Lab 3, fine-tuning the pretrained GPT beats the same network trained from scratch. "
                      "Where is the gap largest?", (
        Option("Where labels are many: pretraining adds capacity", False,
               "Both networks have the same parameters; pretraining changes the starting point, not the capacity."),
        Option("Nowhere: with equal steps both reach the same accuracy", False,
               "The stored sweep and the live run show a wide gap at every label count above the smallest."),
        Option("Where labels are scarce: it needs far fewer of them", True,
               "Label efficiency: the pretrained start already tracks agreement (Lab 2); a few hundred labels "
               "point it at the task."),
    )),
    Question("02.q4", "What does fine-tuning change compared with training on the task from scratch?", (
        Option("The architecture: layers are redesigned for the task", False,
               "The architecture stays (plus a small head); a redesign would discard the pretrained weights."),
        Option("The starting weights: training begins from pretraining", True,
               "Same loss, same optimizer; usually all weights update, with a small learning rate."),
        Option("The loss: fine-tuning has no labels either", False,
               "Fine-tuning is supervised: a labelled task set with its own loss (here cross-entropy over 2 classes)."),
        Option("Nothing, but it is run for more epochs", False,
               "It usually runs far fewer steps; what differs is where the weights start."),
    )),
])
