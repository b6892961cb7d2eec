"""Self-test of chapter 44: SFT targets for a multi-turn conversation, and learning rates under discriminative
fine-tuning combined with gradual unfreezing."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def multi_turn_targets(ids: torch.Tensor, turn_starts: torch.Tensor, turn_roles: torch.Tensor,
                       length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets), both (T−1,); targets = next tokens where that token lies in an assistant turn
    (role 1) before `length`, −100 elsewhere (user turns, role 0, and padding)."""
    role = torch.zeros(ids.shape[0], dtype=torch.long)
    for start, r in zip(turn_starts.tolist(), turn_roles.tolist()):
        role[start:] = r                                              # each turn runs to the next start
    nxt = torch.arange(1, ids.shape[0])
    scored = (role[1:] == 1) & (nxt < length)
    return ids[:-1], torch.where(scored, ids[1:], torch.full_like(ids[1:], -100))


def _turn_cases(g):
    cases = []
    for starts, roles, length, t in (([0, 3, 6], [0, 1, 0], 8, 9), ([0, 2, 5, 7], [0, 1, 0, 1], 10, 10),
                                     ([0, 4], [0, 1], 7, 9), ([0, 1, 3, 4, 6], [0, 1, 0, 1, 1], 8, 8)):
        ids = torch.randint(4, 60, (t,), generator=g)
        ids[length:] = 0
        cases.append({"ids": ids, "turn_starts": torch.tensor(starts), "turn_roles": torch.tensor(roles),
                      "length": length})
    return cases


def _last_assistant_only(ids, turn_starts, turn_roles, length):
    inputs, targets = multi_turn_targets(ids, turn_starts, turn_roles, length)
    last = int(turn_starts[turn_roles == 1][-1])
    targets[: max(0, last - 1)] = -100
    return inputs, targets


def _by_input_position(ids, turn_starts, turn_roles, length):
    role = torch.zeros(ids.shape[0], dtype=torch.long)
    for start, r in zip(turn_starts.tolist(), turn_roles.tolist()):
        role[start:] = r
    scored = (role[:-1] == 1) & (torch.arange(1, ids.shape[0]) < length)
    return ids[:-1], torch.where(scored, ids[1:], torch.full_like(ids[1:], -100))


def _users_kept(ids, turn_starts, turn_roles, length):
    return multi_turn_targets(ids, turn_starts, torch.ones_like(turn_roles), length)


SFT = Exercise(
    key="44.multi_turn_targets", title="multi_turn_targets",
    signature="multi_turn_targets(ids (T,), turn_starts (K,), turn_roles (K,), length) -> (inputs (T-1,), targets (T-1,))",
    reference=multi_turn_targets, make_cases=_turn_cases,
    task=(
        "A chat conversation alternates user and assistant turns; SFT learns **every assistant turn** and no "
        "user turn. Build the next-token pairs for one padded conversation.\n\n"
        "- `ids`: `(T,)` int64, the conversation's `length` real tokens, then padding.\n"
        "- `turn_starts`: `(K,)` int64, increasing, the first is 0: turn k covers positions `turn_starts[k]` up "
        "to the next turn's start (the last turn runs to `length`). `turn_roles`: `(K,)` int64, 0 = user, "
        "1 = assistant.\n"
        "- Return `(inputs, targets)`, both `(T−1,)` int64: `inputs = ids[:-1]`; `targets[t]` names the token at "
        "position t+1, `ids[t+1]`, and is **−100** unless position t+1 lies in an assistant turn and "
        "t+1 < `length`. So the first token of each assistant turn *is* a target (predicted from the user's "
        "last token).\n"
        "- Do not modify `ids`."),
    mistakes=[
        Mistake("last_assistant_only", "every assistant turn is learned, not only the last one.", _last_assistant_only),
        Mistake("by_input_position", "mask by the role of the *target* position t+1, not of the input position t: "
                "the first token of an assistant turn is a target, the first token of a user turn is not.",
                _by_input_position),
        Mistake("users_kept", "user turns are context, not something to imitate: set their targets to −100.",
                _users_kept),
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
        "gets `lr · decay^−(n_groups − 1 − i)`, i.e. `lr / decay**(n_groups - 1 - i)` in Python.\n"
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
        Option("It saves compute: the prompt is no longer processed", False,
               "The prompt still runs through every layer (the response attends to it); only its loss terms are dropped."),
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
        Option("The top group, to keep lower features intact", True,
               "Lower groups are unfrozen one at a time later, limiting catastrophic forgetting."),
        Option("The embeddings, as every later layer depends on them", False,
               "Changing the bottom first would shift every representation above it."),
        Option("A random group each epoch, to regularise", False,
               "The order is fixed: top to bottom."),
        Option("All at once, then freezes them one by one", False,
               "That is the reverse; groups are unfrozen, not frozen, over time."),
    )),
])
