"""Self-test of chapter 49: attention rollout, and the negation scope that bag-of-words systems mark."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def attention_rollout(attentions: list[torch.Tensor], residual: float = 0.5) -> torch.Tensor:
    """R = Â_L ⋯ Â_1 with Â = residual·I + (1 − residual)·mean over heads, rows renormalised."""
    size = attentions[0].shape[-1]
    result = torch.eye(size, dtype=attentions[0].dtype).expand(attentions[0].shape[0], size, size)
    for layer in attentions:
        step = (1 - residual) * layer.mean(dim=1) + residual * torch.eye(size, dtype=layer.dtype)
        result = (step / step.sum(dim=-1, keepdim=True)) @ result
    return result


def _softmaxed(g, b, h, t):
    return torch.softmax(torch.randn(b, h, t, t, generator=g) * 2, dim=-1)


def _rollout_cases(g):
    return [{"attentions": [_softmaxed(g, b, h, t) for _ in range(layers)], "residual": r}
            for b, h, t, layers, r in ((2, 4, 5, 3, 0.5), (1, 2, 6, 2, 0.3), (3, 1, 4, 4, 0.0), (2, 3, 3, 1, 0.8))]


def _order_reversed(attentions, residual=0.5):
    return attention_rollout(attentions[::-1], residual)


def _no_residual(attentions, residual=0.5):
    return attention_rollout(attentions, 0.0)


def _max_heads(attentions, residual=0.5):
    return attention_rollout([a.max(dim=1, keepdim=True).values for a in attentions], residual)


def _last_layer_only(attentions, residual=0.5):
    return attention_rollout(attentions[-1:], residual)


def _residual_swapped(attentions, residual=0.5):
    return attention_rollout(attentions, 1 - residual)


ROLLOUT = Exercise(
    key="49.attention_rollout", title="attention_rollout",
    signature="attention_rollout(attentions: list[(B, H, T, T)], residual=0.5) -> (B, T, T)",
    reference=attention_rollout, make_cases=_rollout_cases,
    task=(
        "Attention rollout (Abnar & Zuidema, 2020): follow the attention weights down through the layers.\n\n"
        "- `attentions`: a list of float32 tensors, one per layer, **bottom layer first**, each `(B, H, T, T)` "
        "with rows = queries (each row sums to 1).\n"
        "- For each layer: average the H heads → `A` `(B, T, T)`; count the residual connection as attention "
        "to oneself: `Â = residual · I + (1 − residual) · A`; divide each row of `Â` by its sum.\n"
        "- Multiply the layers so that the top layer is on the **left**: `R = Â_L ⋯ Â_2 Â_1`.\n"
        "- `residual`: a float in [0, 1]. Return `R`, float32 `(B, T, T)`; `R[b, i, j]` is how much output "
        "position i draws on input token j."),
    mistakes=[
        Mistake("order_reversed", "the top layer multiplies from the left: R = Â_L ⋯ Â_1, so each new layer "
                "is applied as `layer @ R`, not `R @ layer`.", _order_reversed),
        Mistake("no_residual", "add the residual path: Â = residual · I + (1 − residual) · A.", _no_residual),
        Mistake("residual_swapped", "`residual` weighs the identity: residual · I + (1 − residual) · A.",
                _residual_swapped),
        Mistake("max_heads", "average the heads (mean over dim 1), do not take their maximum.", _max_heads),
        Mistake("last_layer_only", "multiply all the layers, not only the top one.", _last_layer_only),
    ])


def negation_scope(tokens: list[str], negators: tuple = ("not", "never", "no")) -> torch.Tensor:
    """True for each token inside a negation's scope: after a negator, up to punctuation."""
    inside, marks = False, []
    for word in tokens:
        if word in negators:
            inside = not inside
            marks.append(False)
        elif word in {".", ",", "!", "?", ";", ":"}:
            inside = False
            marks.append(False)
        else:
            marks.append(inside)
    return torch.tensor(marks, dtype=torch.bool)


def _scope_cases(g):
    texts = ["the movie was not very good .", "not bad , really good", "it was never not a dull show !",
             "no one said the song was dull ; it was lovely", "the show was great", "never boring"]
    return [{"tokens": texts[0].split()},
            {"tokens": texts[1].split(), "negators": ("not",)},
            {"tokens": texts[2].split()},
            {"tokens": texts[3].split(), "negators": ("no", "never")},
            {"tokens": texts[4].split()},
            {"tokens": texts[5].split(), "negators": ("not",)}]


def _negator_marked(tokens, negators=("not", "never", "no")):
    marks = negation_scope(tokens, negators)
    return marks | torch.tensor([w in negators for w in tokens])


def _next_word_only(tokens, negators=("not", "never", "no")):
    return torch.tensor([i > 0 and tokens[i - 1] in negators and tokens[i] not in negators
                         for i in range(len(tokens))], dtype=torch.bool)


def _no_punctuation_stop(tokens, negators=("not", "never", "no")):
    inside, marks = False, []
    for word in tokens:
        if word in negators:
            inside = not inside
        marks.append(inside and word not in negators and word not in {".", ",", "!", "?", ";", ":"})
    return torch.tensor(marks, dtype=torch.bool)


def _no_toggle(tokens, negators=("not", "never", "no")):
    inside, marks = False, []
    for word in tokens:
        if word in negators:
            inside = True
            marks.append(False)
        elif word in {".", ",", "!", "?", ";", ":"}:
            inside = False
            marks.append(False)
        else:
            marks.append(inside)
    return torch.tensor(marks, dtype=torch.bool)


def _default_negators(tokens, negators=("not", "never", "no")):
    return negation_scope(tokens)


SCOPE = Exercise(
    key="49.negation_scope", title="negation_scope",
    signature="negation_scope(tokens: list[str], negators=('not', 'never', 'no')) -> (T,) bool",
    reference=negation_scope, make_cases=_scope_cases,
    task=(
        "Before Transformers, sentiment systems patched bag-of-words models by **marking the scope of a "
        "negation** (Das & Chen, 2001; Pang, Lee & Vaithyanathan, 2002): every word after a negator gets a "
        "`NOT_` prefix up to the next punctuation mark, so that `good` and `NOT_good` become different "
        "features. Compute which tokens would be marked, with one rule of this exercise's own for double "
        "negation.\n\n"
        "- `tokens`: a list of T strings (already split; punctuation marks are separate tokens); "
        "`negators`: a tuple of strings.\n"
        "- Walk left to right. A negator **toggles** the scope (this exercise's rule: a second negator inside a scope closes it: "
        "`never not fun` is not negated); the negator itself is not marked.\n"
        "- A punctuation token — one of `. , ! ? ; :` — closes the scope and is not marked.\n"
        "- Return a `torch.bool` tensor of shape `(T,)`, True for each marked token."),
    mistakes=[
        Mistake("negator_marked", "the negator itself is not in its own scope: mark only the words after it.",
                _negator_marked),
        Mistake("next_word_only", "the scope runs to the next punctuation mark, not just one word: in "
                "`not very good`, `good` is negated too.", _next_word_only),
        Mistake("no_punctuation_stop", "punctuation closes the scope: in `not bad , really good` the words "
                "after the comma are not negated.", _no_punctuation_stop),
        Mistake("no_toggle", "a second negator inside a scope closes it (double negation): toggle, do not "
                "just switch on.", _no_toggle),
        Mistake("default_negators", "use the `negators` you are given, not a fixed list.", _default_negators),
    ])

EXERCISES = [ROLLOUT, SCOPE]

QUIZ = Quiz([
    Question("49.q1", "The common answer trains on data that “标注每个词的情感标签”. What does a sentiment "
                      "dataset label?", (
        Option("Each word; the sentence's sentiment is the sum of its words'", False,
               "That is the common answer's picture, and Lab 1 shows why it fails: `good` in `not good` is "
               "negative. Word lexicons exist, but models learn from sentence labels."),
        Option("Each sentence or document: one label for the whole text", True,
               "SST-2, IMDb and Yelp give one label per text (SST also labels phrases in its tree). The "
               "model decides how words combine."),
        Option("Nothing: a pretrained model knows sentiment without labels", False,
               "Our BERT read sentences like these, without labels, in pretraining and still needed "
               "labelled fine-tuning to output a sentiment."),
        Option("Each word and each sentence, both needed to fine-tune", False,
               "Lab 1 fine-tunes on sentence labels alone and gets every negated case right."),
    ), misconception=True),
    Question("49.q2", "Why can logistic regression on word counts not get both `the book was good` and "
                      "`the book was not good` right?", (
        Option("It gives `good` one weight, whether negated or not", True,
               "The label is an interaction (polarity XOR negation); a sum of per-word weights cannot flip "
               "`good`. Lab 1's per-case table shows it getting one group right and the other wrong."),
        Option("It saw too few negated sentences to learn `not`", False,
               "Its training set has more negated sentences than plain ones; the limit is the model's form."),
        Option("Word counts drop `not`, which is too frequent to count", False,
               "CountVectorizer keeps every token unless told to drop stop words; Lab 2 shows what dropping them does."),
    )),
    Question("49.q3", "The common answer's preprocessing removes stop words (停用词). What does that do to sentiment?", (
        Option("Nothing: stop words carry no sentiment", False,
               "scikit-learn's English list contains `not`, `never` and `very`: Lab 2 counts the "
               "sentences that collapse onto one text."),
        Option("It helps: the classifier sees only the informative words", False,
               "The negator is the most informative word of a negated sentence."),
        Option("It deletes `not`, so negated and plain texts coincide", True,
               "`the movie was not good` and `the movie was good` both become `movie good`; every stripped "
               "text in Lab 2 stands for both labels, and no model can recover them."),
    )),
    Question("49.q4", "With bigrams added, the model gets `not good` right but fails on `the game was very weak`. "
                      "Why?", (
        Option("The bigram `very weak` is a negative feature in every sentence", False,
               "It also occurs in `not very weak`, which is positive — in more training sentences, so its "
               "printed weight is positive (Lab 1)."),
        Option("No bigram joins the negator to the polar word across `very`", True,
               "`very weak` serves both `was very weak` and `not very weak`; the model sides with the larger "
               "group (Lab 1's table). Trigrams patch only the triples seen in training; the fine-tuned BERT "
               "gets the whole group right."),
        Option("Intensifiers like `very` change the sentence's label", False,
               "In this data `very` and `really` never change a label; the generator keeps it."),
    )),
    Question("49.q5", "What does a token's gradient × input score measure?", (
        Option("The attention that [CLS] pays to the token in the top layer", False,
               "That is one attention map; rollout combines all layers, and neither uses the gradient."),
        Option("The first-order change of the logit if its embedding were removed", True,
               "Σ_d e·∂logit/∂e is the Taylor estimate of scaling the embedding to zero; the lab "
               "checks it against finite differences."),
        Option("The probability that the sentence is positive because of this token", False,
               "Scores are in logit units, may be negative, and need not sum to anything."),
    )),
])
