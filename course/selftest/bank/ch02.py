"""Self-test of chapter 2: next-token targets for a packed stream of documents, and last-token pooling."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def packed_lm_targets(stream: torch.Tensor, eos_id: int, T: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets), both (N, T), N = (len(stream) − 1) // T consecutive windows; targets are the stream
    shifted by one, −100 where the input token is <eos> (the next token starts another document)."""
    n = (len(stream) - 1) // T
    inputs = stream[:n * T].view(n, T)
    targets = stream[1:n * T + 1].view(n, T).clone()
    targets[inputs == eos_id] = -100
    return inputs, targets


def _stream_cases(g):
    cases = []
    for lengths, t in (([4, 6, 3], 4), ([2, 9, 5, 1], 5), ([7, 7], 3), ([3, 3, 3, 3, 3], 6)):
        docs = [torch.cat([torch.randint(4, 50, (n,), generator=g), torch.tensor([2])]) for n in lengths]
        cases.append({"stream": torch.cat(docs), "eos_id": 2, "T": t})
    return cases


def _across_documents(stream, eos_id, T):
    n = (len(stream) - 1) // T
    return stream[:n * T].view(n, T), stream[1:n * T + 1].view(n, T)


def _eos_never_target(stream, eos_id, T):
    inputs, targets = packed_lm_targets(stream, eos_id, T)
    return inputs, targets.masked_fill(targets == eos_id, -100)


def _no_shift(stream, eos_id, T):
    n = (len(stream) - 1) // T
    inputs = stream[:n * T].view(n, T)
    return inputs, inputs.masked_fill(inputs == eos_id, -100)


LM_TARGETS = Exercise(
    key="02.packed_lm_targets", title="packed_lm_targets",
    signature="packed_lm_targets(stream (L,), eos_id, T) -> (inputs (N, T), targets (N, T))",
    reference=packed_lm_targets, make_cases=_stream_cases,
    task=(
        "Pretraining text is not padded: documents are joined into one long stream, each ending with `<eos>`, "
        "and cut into windows of T tokens. Build the next-token training pairs.\n\n"
        "- `stream`: `(L,)` int64, the concatenated documents, each followed by `eos_id`; `T`: `int` ≥ 1.\n"
        "- N = (L − 1) // T windows, cut one after another from the start; leftover tokens are dropped.\n"
        "- `inputs[k]` = `stream[k·T : (k+1)·T]`; `targets[k, t]` is the token that **follows** "
        "`inputs[k, t]` in the stream.\n"
        "- **No loss across a document boundary:** where the input token is `eos_id`, the following token "
        "begins an unrelated document, so that target is **−100**. Predicting `<eos>` itself stays a target.\n"
        "- Return a tuple of two `(N, T)` int64 tensors; do not modify `stream`."),
    mistakes=[
        Mistake("across_documents", "after an <eos> input the next token belongs to another document: set that "
                "target to −100.", _across_documents),
        Mistake("eos_never_target", "mask the target *after* <eos>, not <eos> itself: the model must learn where a "
                "document ends.", _eos_never_target),
        Mistake("no_shift", "the target at position t is the *next* token of the stream, not the input token "
                "itself.", _no_shift),
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
        Option("Next-token prediction from the tokens before", True,
               "Self-supervised: the targets are the text shifted by one (Lab 1), so no annotator is needed."),
        Option("Clustering documents into topics without labels", False,
               "Unsupervised, but not what LLMs are trained on: their loss is per-token cross-entropy."),
        Option("Classifying texts with labels collected at scale", False,
               "Labels are what pretraining avoids; classification is a fine-tuning task (Lab 3)."),
    ), misconception=True),
    Question("02.q2", "The common answer lists 文本分类 among the pretraining tasks. What is right about that?", (
        Option("It isn't wrong: web text comes labelled by topic, so classification is pretraining", False,
               "Raw web text has no topic or sentiment labels; collecting them is annotation, the fine-tuning side."),
        Option("Fine-tuning, unless the labels come from the text (NSP)", True,
               "Classification with human labels (topic, sentiment) is a fine-tuning task; pretraining classifies "
               "only when the labels are made from the text itself (BERT's next-sentence prediction, ELECTRA's "
               "replaced-token detection)."),
        Option("Classification is too easy to teach a model anything", False,
               "Lab 3's agreement task is not easy from scratch; the point is where the labels come from."),
    )),
    Question("02.q3", "In Lab 3, what did the pretrained start buy, at 100 fine-tuning steps?", (
        Option("Nothing above a few hundred labels: scratch catches up", False,
               "At 100 steps scratch stays near chance up to 1,024 labels; the median gap stays near 0.5."),
        Option("More capacity: pretraining adds parameters", False,
               "Both networks have the same parameters; pretraining changes the starting point, not the capacity."),
        Option("≥ 90 % median from 128 labels within 100 steps", True,
               "Label and step efficiency: the pretrained start already tracks agreement (Lab 2); 128 labels and "
               "100 steps point it at the task. From scratch the same budget is not enough."),
    )),
    Question("02.q4", "What does fine-tuning change compared with training on the task from scratch?", (
        Option("The architecture: layers are redesigned for the task", False,
               "The architecture stays (plus a small head); a redesign would discard the pretrained weights."),
        Option("Its starting weights", True,
               "Same loss, same optimizer; usually all weights update, with a small learning rate."),
        Option("The loss: fine-tuning has no labels either", False,
               "Fine-tuning is supervised: a labelled task set with its own loss (here cross-entropy over 2 classes)."),
        Option("Nothing, but it is run for more epochs", False,
               "It usually runs far fewer steps; what differs is where the weights start."),
    )),
])
