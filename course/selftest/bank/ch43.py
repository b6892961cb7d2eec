"""Self-test of chapter 43: how far attention looks, and how spread out it is."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def mean_attention_distance(weights: torch.Tensor) -> torch.Tensor:
    """weights (H, T, T), rows summing to 1 -> (H,): for each head, Σ_ij w_ij·|i − j| averaged over queries i."""
    t = weights.shape[-1]
    dist = (torch.arange(t)[:, None] - torch.arange(t)[None, :]).abs().to(weights.dtype)
    return (weights * dist).sum(-1).mean(-1)


def _causal_weights(g, h, t):
    w = torch.rand(h, t, t, generator=g).tril()
    return w / w.sum(-1, keepdim=True)


def _dist_cases(g):
    cases = [{"weights": _causal_weights(g, h, t)} for h, t in ((2, 6), (4, 10), (1, 5))]
    first = torch.zeros(2, 7, 7)
    first[..., 0] = 1.0                                   # every query looks at token 0
    return cases + [{"weights": first}]


def _signed(weights):
    t = weights.shape[-1]
    dist = (torch.arange(t)[None, :] - torch.arange(t)[:, None]).to(weights.dtype)
    return (weights * dist).sum(-1).mean(-1)


def _unweighted(weights):
    t = weights.shape[-1]
    dist = (torch.arange(t)[:, None] - torch.arange(t)[None, :]).abs().to(weights.dtype)
    return (dist * (weights > 0)).sum(-1).div((weights > 0).sum(-1)).mean(-1)


def _max_distance(weights):
    t = weights.shape[-1]
    dist = (torch.arange(t)[:, None] - torch.arange(t)[None, :]).abs().to(weights.dtype)
    nearest_peak = weights == weights.amax(-1, keepdim=True)
    return (dist * nearest_peak).sum(-1).mean(-1)


MEAN_DISTANCE = Exercise(
    key="43.mean_attention_distance", title="mean_attention_distance",
    signature="mean_attention_distance(weights (H, T, T)) -> (H,)",
    reference=mean_attention_distance, make_cases=_dist_cases,
    task=("How far back does each head look, on average? For attention weights of one sequence:\n\n"
          "- `weights` (H, T, T) float32: head h, query i, key j; every row sums to 1 (a causal head puts 0 on "
          "keys j > i).\n"
          "- For each query i, the expected distance Σ_j w_ij·|i − j| (in tokens; a query attending to itself "
          "has distance 0); then the **mean over all T queries**.\n\n"
          "Return (H,) float32, one number per head. Compared up to 1e-4."),
    mistakes=[
        Mistake("signed", "use the absolute distance |i − j|; signed distances of a causal head are all "
                "negative (or cancel in a bidirectional one).", _signed),
        Mistake("unweighted", "weigh each distance by its attention weight; counting every visible key "
                "equally ignores where the head actually looks.", _unweighted),
        Mistake("argmax", "average over the whole distribution, not just the most-attended key.", _max_distance),
    ])


def attention_entropy(weights: torch.Tensor) -> torch.Tensor:
    """weights (H, T, T) -> (H,): mean over queries of −Σ_j w_ij log w_ij (nats), with 0·log 0 = 0."""
    return -(weights * weights.clamp_min(1e-30).log()).sum(-1).mean(-1)


def _naive_entropy(weights):
    return -(weights * weights.log()).sum(-1).mean(-1)


ENTROPY = Exercise(
    key="43.attention_entropy", title="attention_entropy", signature="attention_entropy(weights (H, T, T)) -> (H,)",
    reference=attention_entropy, make_cases=_dist_cases,
    task=("How spread out is each head's attention? For attention weights of one sequence:\n\n"
          "- `weights` (H, T, T) float32: head h, query i, key j; every row sums to 1, and a causal head has "
          "**exact zeros** on future keys.\n"
          "- For each query row, the entropy −Σ_j w_ij log w_ij in **nats** (natural log), taking 0·log 0 = 0; "
          "then the **mean over all T queries**.\n\n"
          "A head that looks at one key has entropy 0; one spread evenly over k keys has log k. Return (H,) "
          "float32. Compared up to 1e-4."),
    mistakes=[
        Mistake("zero_log_zero", "masked keys have weight 0 and log 0 = −inf, so 0·log 0 gives NaN: clamp "
                "the weights (or skip zeros) before the log.", _naive_entropy),
        Mistake("mean_over_keys", "the entropy of a distribution is a *sum* over its keys, −Σ_j w log w, "
                "not a mean.", lambda weights: -(weights * weights.clamp_min(1e-30).log()).mean(-1).mean(-1)),
        Mistake("bits", "report nats (natural log), as the rest of the course does.",
                lambda weights: -(weights * weights.clamp_min(1e-30).log2()).sum(-1).mean(-1)),
    ])

EXERCISES = [MEAN_DISTANCE, ENTROPY]

QUIZ = Quiz([
    Question("43.q1", "The common answer credits several mechanisms for long-range dependencies. Which one does the work?", (
        Option("Positional encodings, which tell each token how far away the others are", False,
               "They let a head address a position; the one-step path is what makes distance cheap."),
        Option("Autoregressive decoding, which carries information forward token by token", False,
               "Every autoregressive model decodes that way, RNNs included; it does not shorten any path."),
        Option("Attention: one step links any two positions, whatever their distance", True,
               "Vaswani et al. (2017), table 1: path length O(1), against O(n) for an RNN. Lab 2 measures it."),
        Option("Multiple heads, each covering its own stretch of the sequence", False,
               "A single head can already attend anywhere; heads give several patterns, not more reach (Lab 3)."),
    ), misconception=True),
    Question("43.q2", "Lab 2 measures, in untrained models, the gradient reaching a token D steps back. In the Transformer it…", (
        Option("stays constant with D, since any two tokens are one step apart", False,
               "Lab 2 prints a drop from D = 2 to 64: an untrained head spreads its weight over all D tokens."),
        Option("shrinks, but slowly — as an even spread over D tokens would", True,
               "Orders of magnitude less than the RNN's geometric decay; training can focus the weight."),
        Option("shrinks geometrically, like the RNN's, only from a higher start", False,
               "The RNN's decays as a product of D Jacobians; the Transformer's has no such product."),
    )),
    Question("43.q3", "Lab 1 matches the three models at about 26–28k parameters. On recalling the first token up to 64 back…", (
        Option("the RNN and LSTM fail beyond 16 tokens, where the Transformer succeeds", False,
               "At equal size both recurrent models reach high accuracy at every distance here."),
        Option("only the Transformer learns, since an RNN cannot keep a token for 64 steps", False,
               "They can keep one token; the question is how fast and how reliably they learn to."),
        Option("all three get there; they differ in how many steps they need to learn it", True,
               "Lab 1 prints the step at which each loss falls below 0.3: learnability, not capacity."),
    )),
    Question("43.q4", "A model accepts 100k tokens of context. Does it use information anywhere in it equally well?", (
        Option("Yes: attention reaches every position in one step, so distance no longer matters", False,
               "Reach is not use: Liu et al. (2023) find accuracy drops for facts placed mid-context."),
        Option("No: models tend to use the start and end better than the middle", True,
               "“Lost in the middle” (Liu et al., 2023)."),
        Option("No: attention weights decay exponentially with distance, like an RNN's gradient", False,
               "Nothing forces such decay; Lab 3's trained head puts its weight 64 tokens back."),
        Option("Yes, provided the positions use RoPE rather than a learned table", False,
               "RoPE helps a model run past its training length; it does not make mid-context facts easier to use."),
    )),
])
