"""Self-test of chapter 44: SFT targets with the prompt masked, and learning rates under discriminative
fine-tuning combined with gradual unfreezing."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def response_only_targets(ids: torch.Tensor, prompt_lengths: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets), both (B, T−1); targets = next tokens, −100 on prompt tokens and padding."""
    nxt = torch.arange(ids.shape[1])[None, 1:]                       # index of the token each target names
    scored = (nxt >= prompt_lengths[:, None]) & (nxt < lengths[:, None])
    return ids[:, :-1], torch.where(scored, ids[:, 1:], torch.full_like(ids[:, 1:], -100))


def _sft_cases(g):
    cases = []
    for prompts, lengths, t in (([2, 3], [5, 4], 6), ([1, 4, 2], [3, 7, 6], 7), ([5], [8], 8), ([3, 1, 2, 6], [6, 2, 5, 7], 9)):
        ids = torch.randint(4, 60, (len(lengths), t), generator=g)
        for row, n in enumerate(lengths):
            ids[row, n:] = 0
        cases.append({"ids": ids, "prompt_lengths": torch.tensor(prompts), "lengths": torch.tensor(lengths)})
    return cases


def _unmasked(ids, prompt_lengths, lengths):
    return response_only_targets(ids, torch.ones_like(prompt_lengths), lengths)


def _prompt_off_by_one(ids, prompt_lengths, lengths):
    return response_only_targets(ids, prompt_lengths + 1, lengths)


def _padding_scored(ids, prompt_lengths, lengths):
    return response_only_targets(ids, prompt_lengths, torch.full_like(lengths, ids.shape[1]))


def _not_shifted(ids, prompt_lengths, lengths):
    inputs, targets = response_only_targets(ids, prompt_lengths, lengths)
    return inputs, torch.where(targets == -100, targets, ids[:, :-1])


SFT = Exercise(
    key="44.response_only_targets", title="response_only_targets",
    signature="response_only_targets(ids (B, T), prompt_lengths (B,), lengths (B,)) -> (inputs (B, T-1), targets (B, T-1))",
    reference=response_only_targets, make_cases=_sft_cases,
    task=(
        "Build next-token training pairs for **instruction tuning**, where only the response is learned.\n\n"
        "- `ids`: `(B, T)` int64; row b is a prompt of `prompt_lengths[b]` tokens, then the response, up to "
        "`lengths[b]` tokens in all, then padding. 1 ≤ `prompt_lengths[b]` < `lengths[b]` ≤ T.\n"
        "- Return `(inputs, targets)`, both `(B, T−1)` int64: `inputs = ids[:, :-1]`; `targets[b, t]` names the "
        "token at position t+1, `ids[b, t+1]`.\n"
        "- Set `targets[b, t] = −100` (ignored by `cross_entropy`) when position t+1 is a **prompt** token "
        "(t+1 < `prompt_lengths[b]`) or **padding** (t+1 ≥ `lengths[b]`). So the first response token *is* a target "
        "(predicted from the last prompt token).\n"
        "- Do not modify `ids`."),
    mistakes=[
        Mistake("unmasked", "prompt tokens must not be targets: set them to −100 so that only the response is learned.",
                _unmasked),
        Mistake("prompt_off_by_one", "the first response token (position prompt_lengths[b]) is a target too: it is "
                "predicted from the last prompt token.", _prompt_off_by_one),
        Mistake("padding_scored", "padding after the response must be −100 as well.", _padding_scored),
        Mistake("not_shifted", "the target at position t is the *next* token ids[:, t+1].", _not_shifted),
    ])


def group_learning_rates(lr: float, n_groups: int, decay: float, step: int, every: int) -> torch.Tensor:
    """Learning rate of each layer group (bottom first) at ``step``: lr / decay^(distance from the top) for
    the top 1 + step // every groups, 0.0 for the groups still frozen."""
    trainable = min(n_groups, 1 + step // every)
    rates = [lr / decay ** (n_groups - 1 - i) if i >= n_groups - trainable else 0.0 for i in range(n_groups)]
    return torch.tensor(rates, dtype=torch.float64)


def _lr_cases(g):
    return [{"lr": lr, "n_groups": n, "decay": d, "step": s, "every": e}
            for lr, n, d, s, e in ((1e-3, 6, 2.6, 0, 10), (1e-3, 6, 2.6, 25, 10), (0.1, 4, 2.0, 100, 5),
                                   (3e-4, 5, 1.5, 9, 3), (0.01, 3, 1.0, 4, 2))]


def _bottom_up(lr, n_groups, decay, step, every):
    trainable = min(n_groups, 1 + step // every)
    return torch.tensor([lr / decay ** i if i < trainable else 0.0 for i in range(n_groups)], dtype=torch.float64)


def _no_first_group(lr, n_groups, decay, step, every):
    return torch.tensor([lr / decay ** (n_groups - 1 - i) if i >= n_groups - min(n_groups, step // every) else 0.0
                         for i in range(n_groups)], dtype=torch.float64)


def _frozen_keep_lr(lr, n_groups, decay, step, every):
    return torch.tensor([lr / decay ** (n_groups - 1 - k) for k in range(n_groups)], dtype=torch.float64)


def _decay_grows_up(lr, n_groups, decay, step, every):
    trainable = min(n_groups, 1 + step // every)
    return torch.tensor([lr * decay ** (n_groups - 1 - i) if i >= n_groups - trainable else 0.0
                         for i in range(n_groups)], dtype=torch.float64)


LRS = Exercise(
    key="44.group_learning_rates", title="group_learning_rates",
    signature="group_learning_rates(lr, n_groups, decay, step, every) -> (n_groups,) float64",
    reference=group_learning_rates, make_cases=_lr_cases,
    task=(
        "ULMFiT combines **discriminative learning rates** with **gradual unfreezing**. Return the learning rate "
        "each layer group gets at a given step, as a 1-D `torch.float64` tensor of `n_groups` rates ordered **bottom first** "
        "(embeddings first, the top group last), as `layer_groups` orders them.\n\n"
        "- `lr`: `float`, the top group's rate; each group below gets `decay` (`float` ≥ 1) times less: group i "
        "gets `lr / decay ** (n_groups − 1 − i)`.\n"
        "- `step`: `int` ≥ 0, `every`: `int` ≥ 1. At step 0 only the top group trains; one more group (the next "
        "lower one) unfreezes every `every` steps, so `min(n_groups, 1 + step // every)` groups train.\n"
        "- A frozen group's rate is `0.0`."),
    mistakes=[
        Mistake("bottom_up", "the top group (last in the list) gets the full lr and unfreezes first; lower groups "
                "get less and unfreeze later.", _bottom_up),
        Mistake("no_first_group", "at step 0 the top group already trains: 1 + step // every groups are trainable.",
                _no_first_group),
        Mistake("frozen_keep_lr", "a group that is still frozen does not learn: its rate is 0.0.", _frozen_keep_lr),
        Mistake("decay_grows_up", "divide by decay going down; lower layers change *less*.", _decay_grows_up),
    ])

EXERCISES = [SFT, LRS]

QUIZ = Quiz([
    Question("44.q1", "The common answer says: “微调过程中，预训练模型的底层层通常保持不变，仅调整较高层的参数”. "
                      "What does standard fine-tuning of BERT or GPT do?", (
        Option("Freeze the lower layers and train only the top ones", False,
               "That is the common answer's claim. It is one option (feature extraction, PEFT), not the default."),
        Option("Update every layer, with a small learning rate", True,
               "BERT, GPT and InstructGPT fine-tune all weights; freezing is a choice made for tiny data or memory."),
        Option("Train only a new output head, never the encoder", False,
               "That is a linear probe or feature extraction (chapters 18, 42), weaker than full fine-tuning."),
        Option("Re-initialise the top layers, then train them", False,
               "Only a *new* task head starts from random weights; the pretrained layers keep theirs."),
    ), misconception=True),
    Question("44.q2", "In SFT, prompt tokens get the label −100. What does that change?", (
        Option("The model no longer reads the prompt at all", False,
               "The prompt is still input: attention reads it. Only its tokens are not targets."),
        Option("Only response tokens are learned as targets", True,
               "The loss averages over the response; the prompt is context, not something to imitate."),
        Option("Padding becomes part of the response", False,
               "Padding is −100 too; it is neither prompt nor response."),
    )),
    Question("44.q3", "With discriminative learning rates (ULMFiT), which layers get the smallest rate?", (
        Option("The top layers, as they are closest to the task", False,
               "The top layers get the largest rate: they must change most for the new task."),
        Option("All get the same; only the schedule differs", False,
               "That is ordinary fine-tuning; discriminative rates differ by layer group."),
        Option("The embeddings and lowest layers", True,
               "Their general features are worth keeping: each group below the top gets a rate 2.6 times smaller."),
    )),
    Question("44.q4", "Gradual unfreezing (ULMFiT) trains which layers first, and why?", (
        Option("The top layer group, so early updates do not disturb general features", True,
               "Lower groups are unfrozen one at a time later, limiting catastrophic forgetting."),
        Option("The embeddings, as every later layer depends on them", False,
               "Changing the bottom first would shift every representation above it."),
        Option("A random group each epoch, to regularise", False,
               "The order is fixed: top to bottom."),
        Option("All at once, then freezes them one by one", False,
               "That is the reverse; groups are unfrozen, not frozen, over time."),
    )),
])
