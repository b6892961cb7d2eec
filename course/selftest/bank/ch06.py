"""Self-test of chapter 6: the next-token (SFT) loss of a padded prompt-and-response batch, and cross-entropy against soft targets."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


# ---- exercise 1: the SFT loss from prompt and total lengths ---------------------------------------
def next_token_loss(logits: torch.Tensor, ids: torch.Tensor, prompt_lengths: torch.Tensor,
                    lengths: torch.Tensor) -> torch.Tensor:
    """Mean −log p(next token) over the response tokens of a right-padded batch (prompt and padding unscored)."""
    predictions, following = logits[:, :-1], ids[:, 1:]
    position = torch.arange(1, ids.shape[1])[None, :]                   # the index t+1 of each target
    scored = (position >= prompt_lengths[:, None]) & (position < lengths[:, None])
    log_p = predictions.log_softmax(dim=-1).gather(-1, following.unsqueeze(-1)).squeeze(-1)
    return -(log_p * scored).sum() / scored.sum()


def _loss_cases(g):
    cases = []
    for b, t, v, scale, prompts, lengths in ((3, 6, 7, 2.0, [3, 1, 2], [6, 3, 2]),
                                             (4, 5, 9, 1.0, [1, 3, 2, 3], [2, 5, 4, 3]),
                                             (2, 7, 5, 3.0, [4, 1], [7, 1]),
                                             (3, 6, 11, 120.0, [3, 2, 4], [6, 4, 5])):
        ids = torch.randint(1, v, (b, t), generator=g)
        lens = torch.tensor(lengths)
        ids[torch.arange(t)[None, :] >= lens[:, None]] = 0                     # padding id 0
        cases.append({"logits": torch.randn(b, t, v, generator=g) * scale, "ids": ids,
                      "prompt_lengths": torch.tensor(prompts), "lengths": lens})
    return cases


def _scored_mean(log_p, real):
    return -(log_p * real).sum() / real.sum()


def _gathered(logits, targets):
    return logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def _response(prompt_lengths, lengths, first, last):
    position = torch.arange(first, last)[None, :]
    return (position >= prompt_lengths[:, None]) & (position < lengths[:, None])


def _no_shift(logits, ids, prompt_lengths, lengths):
    return _scored_mean(_gathered(logits, ids), _response(prompt_lengths, lengths, 0, ids.shape[1]))


def _backwards(logits, ids, prompt_lengths, lengths):
    return _scored_mean(_gathered(logits[:, 1:], ids[:, :-1]), _response(prompt_lengths, lengths, 0, ids.shape[1] - 1))


def _prompt_scored(logits, ids, prompt_lengths, lengths):
    real = torch.arange(1, ids.shape[1])[None, :] < lengths[:, None]
    return _scored_mean(_gathered(logits[:, :-1], ids[:, 1:]), real)


def _prompt_off_by_one(logits, ids, prompt_lengths, lengths):
    # also scores the prediction of the prompt's last token
    return _scored_mean(_gathered(logits[:, :-1], ids[:, 1:]),
                        _response(prompt_lengths - 1, lengths, 1, ids.shape[1]))


def _padding_counted(logits, ids, prompt_lengths, lengths):
    position = torch.arange(1, ids.shape[1])[None, :]
    return _scored_mean(_gathered(logits[:, :-1], ids[:, 1:]), position >= prompt_lengths[:, None])


def _summed(logits, ids, prompt_lengths, lengths):
    real = _response(prompt_lengths, lengths, 1, ids.shape[1])
    return -(_gathered(logits[:, :-1], ids[:, 1:]) * real).sum()


def _per_sequence(logits, ids, prompt_lengths, lengths):
    real = _response(prompt_lengths, lengths, 1, ids.shape[1])
    per_row = -(_gathered(logits[:, :-1], ids[:, 1:]) * real).sum(1) / real.sum(1).clamp(min=1)
    return per_row[real.any(1)].mean()


def _naive_softmax(logits, ids, prompt_lengths, lengths):
    real = _response(prompt_lengths, lengths, 1, ids.shape[1])
    probs = logits[:, :-1].exp() / logits[:, :-1].exp().sum(-1, keepdim=True)
    return -probs.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1).log()[real].mean()


NEXT_TOKEN_LOSS = Exercise(
    key="06.next_token_loss", title="next_token_loss of a padded fine-tuning batch",
    signature="next_token_loss(logits (B, T, V), ids (B, T), prompt_lengths (B,), lengths (B,)) -> 0-dim tensor",
    reference=next_token_loss, make_cases=_loss_cases,
    task="""The loss of supervised fine-tuning (SFT): each row is a prompt followed by its response, and only
the response is learned. `logits` is a causal LM's output **for the whole of `ids`**: `logits[b, t]` has
read tokens `ids[b, 0..t]` and predicts the token that follows. Row `b` holds `prompt_lengths[b]` prompt
tokens, then response tokens up to `lengths[b]` real tokens in all, then padding (id 0). Return:

- score `logits[b, t]` against `ids[b, t + 1]` (the shift by one is yours to do: nothing is pre-shifted);
- a prediction counts only if the token it predicts belongs to the response:
  `prompt_lengths[b] <= t + 1 < lengths[b]` — neither a prompt token nor padding is scored;
- each scored term is `−log softmax(logits[b, t])[ids[b, t + 1]]` — compute it stably (`log_softmax`,
  or your own log-sum-exp): one test case has logits of size ~100;
- return the **mean over all scored terms of the batch** (not per sentence, not a sum).

`logits`: float32 `(B, T, V)`; `ids`: int64 `(B, T)`; `prompt_lengths`, `lengths`: int64 `(B,)` with
`1 <= prompt_lengths[b] <= lengths[b] <= T` (a row whose response is empty has nothing to score; every
batch has something). Return a 0-dim float32 tensor.""",
    mistakes=[
        Mistake("no_shift", "`logits[b, t]` predicts the NEXT token: compare it with `ids[b, t + 1]`, not "
                "`ids[b, t]` (drop the last position of logits and the first of ids).", _no_shift),
        Mistake("backwards", "the shift goes the other way: `logits[:, :-1]` against `ids[:, 1:]`.", _backwards),
        Mistake("prompt_scored", "in SFT the prompt is given, not learned: leave out the predictions whose "
                "target is a prompt token (`t + 1 < prompt_lengths[b]`).", _prompt_scored),
        Mistake("prompt_off_by_one", "off by one at the prompt's end: the target of position t is token t+1, "
                "so position t counts when `t + 1 >= prompt_lengths[b]`; you also scored the prediction of "
                "the prompt's last token.", _prompt_off_by_one),
        Mistake("padding_counted", "leave out the predictions whose target is padding (`t + 1 >= lengths[b]`), "
                "and divide by the number of scored targets only.", _padding_counted),
        Mistake("summed", "take the mean over the scored targets, not their sum (Lab 4).", _summed),
        Mistake("per_sequence", "average over all scored tokens of the batch at once; a mean per sentence "
                "first gives each token of a short response more weight.", _per_sequence),
        Mistake("naive_softmax", "`log(exp(z) / sum(exp(z)))` overflows for large logits: use `log_softmax` "
                "or subtract the maximum before `exp` (Lab 2).", _naive_softmax),
    ])


# ---- exercise 2: cross-entropy against a distribution ------------------------------------------------
def soft_cross_entropy(logits: torch.Tensor, target_probs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the positions where mask is True of −Σ_v q_v log p_v."""
    log_p = logits.log_softmax(dim=-1)
    per_position = -(target_probs * log_p).sum(dim=-1)        # the sum over the vocabulary
    return per_position[mask].mean()


def _soft_cases(g):
    cases = []
    for b, t, v, scale, kind in ((2, 5, 6, 2.0, "soft"), (3, 4, 8, 1.0, "onehot"), (2, 6, 5, 3.0, "smoothed"),
                                 (2, 4, 7, 150.0, "soft")):
        logits = torch.randn(b, t, v, generator=g) * scale
        if kind == "soft":
            q = torch.softmax(torch.randn(b, t, v, generator=g) * 2, dim=-1)
        else:
            q = torch.nn.functional.one_hot(torch.randint(v, (b, t), generator=g), v).float()
            if kind == "smoothed":
                q = 0.8 * q + 0.2 / v
        mask = torch.rand(b, t, generator=g) > 0.3
        mask[0, 0] = True
        mask[-1, -1] = False
        cases.append({"logits": logits, "target_probs": q, "mask": mask})
    return cases


def _per_position(logits, q):
    return -(q * logits.log_softmax(-1)).sum(-1)


def _summed_positions(logits, target_probs, mask):
    return _per_position(logits, target_probs)[mask].sum()


def _mean_over_vocab(logits, target_probs, mask):
    return -(target_probs * logits.log_softmax(-1)).mean(-1)[mask].mean()


def _unmasked(logits, target_probs, mask):
    return _per_position(logits, target_probs).mean()


def _argmax_target(logits, target_probs, mask):
    hard = torch.nn.functional.one_hot(target_probs.argmax(-1), logits.shape[-1]).to(logits.dtype)
    return _per_position(logits, hard)[mask].mean()


def _naive(logits, target_probs, mask):
    p = logits.exp() / logits.exp().sum(-1, keepdim=True)
    return -(target_probs * p.log()).sum(-1)[mask].mean()


SOFT_CE = Exercise(
    key="06.soft_cross_entropy", title="soft_cross_entropy",
    signature="soft_cross_entropy(logits (B, T, V), target_probs (B, T, V), mask (B, T)) -> 0-dim tensor",
    reference=soft_cross_entropy, make_cases=_soft_cases,
    task="""Cross-entropy in its general form: at each position the target is a whole distribution `q` over
the V tokens (one-hot for ordinary next-token training; softened for label smoothing or distillation).

- at each position: `H(q, p) = −Σ_v q_v · log p_v` with `p = softmax(logits)` — a **sum over the vocabulary**;
- compute `log p` stably (one test case has logits of size ~150);
- return the **mean of H over the positions where `mask` is True** (True = a real, scored position).

`logits`, `target_probs`: float32 `(B, T, V)`; each row of `target_probs` sums to 1. `mask`: bool `(B, T)`.
Return a 0-dim float32 tensor. (For one-hot targets this is Lab 1's loss.)""",
    mistakes=[
        Mistake("summed_positions", "sum over the vocabulary at each position, then take the MEAN over the "
                "masked positions, not their sum.", _summed_positions),
        Mistake("mean_over_vocab", "H(q, p) SUMS over the vocabulary: −Σ_v q_v log p_v. A mean divides it by V.",
                _mean_over_vocab),
        Mistake("unmasked", "average only over the positions where `mask` is True.", _unmasked),
        Mistake("argmax_target", "use the whole target distribution q, not only its most likely token.",
                _argmax_target),
        Mistake("naive_softmax", "`log(softmax(z))` computed from `exp(z)` overflows for large logits: use "
                "`log_softmax` (log-sum-exp with the maximum subtracted).", _naive),
    ])

EXERCISES = [NEXT_TOKEN_LOSS, SOFT_CE]

QUIZ = Quiz([
    Question("06.q1", "The common answer writes Loss = −Σ_{i=1..N} y_i log p_i over the N words and sums it. "
                      "What does the standard LM loss compute on a padded batch?", (
        Option("Σ over the words of y_i·log p_i, one term per word", False,
               "That fuses two sums: cross-entropy sums over the vocabulary at a position; positions are then "
               "averaged, and each prediction is scored on the next token (Lab 1)."),
        Option("The mean over real target tokens of −log p(next token)", True,
               "Lab 1: by hand, F.cross_entropy(ignore_index=-100) and the model's loss agree on this."),
        Option("−Σ over all positions, padding too, of log p(next token)", False,
               "Padding is not text: its positions are ignored, and the sum is replaced by a mean (Labs 1, 4)."),
        Option("The mean over the vocabulary of −y_v log p_v per position", False,
               "Cross-entropy sums over the vocabulary; a mean over V would divide the loss by V."),
    ), misconception=True),
    Question("06.q2", "A new GPT with a 232-word vocabulary reports a loss over ten times ln V at step 0. "
                      "The likeliest explanation?", (
        Option("Normal: any language model starts with a large loss", False,
               "A well-initialized model starts near ln V ≈ 5.45 here (Lab 3), within a few hundredths."),
        Option("Its initial logits are too large: confidently wrong", True,
               "Lab 3: an embedding drawn with std 1 (nn.Embedding's default) tied to the output layer gives "
               "a loss far above ln V."),
        Option("The shift by one is missing from all of its targets", False,
               "Without the shift a fresh model still predicts almost uniformly: its loss is ≈ ln V."),
    )),
    Question("06.q3", "Why does a stable cross-entropy subtract the largest logit before exponentiating?", (
        Option("It sharpens the softmax so training is faster", False,
               "softmax(z − m) = softmax(z): the result is unchanged; only its computation is safe."),
        Option("Without it the probabilities would not sum to 1", False,
               "Dividing by Σ exp already normalizes; the shift only prevents overflow and log 0."),
        Option("exp cannot overflow, and the loss is unchanged", True,
               "Lab 2: the naive formula gives inf/nan at ×100 logits; the log-sum-exp form matches torch."),
    )),
    Question("06.q4", "In a causal LM, logits[:, t] are scored against…", (
        Option("ids[:, t + 1], the token that follows t", True, "Position t has read tokens 0…t and predicts the next one (Lab 1)."),
        Option("ids[:, t], the token it just read", False, "The model has already read token t; scoring it would teach copying."),
        Option("targets[:, t] where targets = ids[:, :-1]", False,
               "ids[:, :-1] is the inputs: targets[:, t] would be ids[:, t], the token position t just read. "
               "The targets are ids[:, 1:] (Lab 1)."),
    )),
    Question("06.q5", "You double the batch size and keep the learning rate. Which reduction keeps the "
                      "gradient at the same scale?", (
        Option("The sum over all target tokens", False,
               "Lab 4: the summed loss and its gradient norm grow with the number of tokens."),
        Option("The mean over real target tokens", True,
               "Lab 4: an average per-token gradient; it does not grow from 2 to 8 to 32 sentences."),
        Option("The mean per sentence, then the mean over sentences", False,
               "It keeps the scale too, but it is a different objective: tokens of short sentences weigh more "
               "(chapter 35). The standard choice is the per-token mean (Lab 4)."),
    )),
])
