"""Self-test of chapter 38: RMSNorm, and one residual sublayer in its pre-LN and post-LN arrangements."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """x / sqrt(mean(x²) over the last dim + eps) · weight."""
    inv_rms = torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + eps)
    return x * inv_rms * weight


def _rms_cases(g):
    cases = []
    for shape, shift, eps in (((3, 8), 2.0, None), ((2, 4, 6), 0.0, 1e-2), ((5, 3), -1.0, 0.5), ((1, 2, 16), 0.5, None)):
        x = torch.randn(*shape, generator=g) * 3 + shift
        case = {"x": x, "weight": torch.rand(shape[-1], generator=g) + 0.5}
        if eps is not None:
            case["eps"] = eps
        cases.append(case)
    return cases


def _centred(x, weight, eps=1e-6):
    return rms_norm(x - x.mean(-1, keepdim=True), weight, eps)


def _l2(x, weight, eps=1e-6):
    return x / torch.sqrt((x * x).sum(-1, keepdim=True) + eps) * weight


def _eps_outside(x, weight, eps=1e-6):
    return x / (torch.sqrt((x * x).mean(-1, keepdim=True)) + eps) * weight


def _no_weight(x, weight, eps=1e-6):
    return rms_norm(x, torch.ones_like(weight), eps)


def _first_dim(x, weight, eps=1e-6):
    return x * torch.rsqrt((x * x).mean(0, keepdim=True) + eps) * weight


RMS = Exercise(
    key="38.rms_norm", title="rms_norm",
    signature="rms_norm(x (..., C), weight (C,), eps=1e-6) -> (..., C)",
    reference=rms_norm, make_cases=_rms_cases,
    task="""RMSNorm (Zhang & Sennrich, 2019), the norm Lab 1 called from the package and matched to `nn.RMSNorm`:

`y = x / sqrt(mean(x²) + eps) · weight`, the mean taken over the last dimension of each vector.

- `x`: float32 of any shape `(..., C)`; `weight`: float32 `(C,)`, the learned gain γ; `eps`: positive
  float, added **inside** the square root (the checks use several values).
- No mean is subtracted and there is no bias β.
- Return float32 of the shape of `x`; do not modify the inputs.""",
    mistakes=[
        Mistake("centred", "RMSNorm does not subtract the mean — that is what makes it cheaper than LayerNorm.",
                _centred),
        Mistake("l2", "divide by the root of the *mean* of squares (the RMS), not by the Euclidean norm "
                "(the root of their sum): they differ by a factor sqrt(C).", _l2),
        Mistake("eps_outside", "eps goes inside the square root: sqrt(mean(x²) + eps).", _eps_outside),
        Mistake("no_weight", "multiply by the learned gain `weight`.", _no_weight),
        Mistake("first_dim", "normalize each vector over its own last dimension (dim=-1), not across the batch.",
                _first_dim),
    ])


def residual_sublayer(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, gamma: torch.Tensor,
                      beta: torch.Tensor, pre_ln: bool, eps: float = 1e-5) -> torch.Tensor:
    """f(h) = h @ weight.T + bias; pre-LN: x + f(LN(x)); post-LN: LN(x + f(x))."""
    def norm(h):
        return torch.nn.functional.layer_norm(h, h.shape[-1:], gamma, beta, eps)

    def f(h):
        return h @ weight.T + bias

    return x + f(norm(x)) if pre_ln else norm(x + f(x))


def _sub_cases(g):
    cases = []
    for (b, t, c), pre_ln, eps in (((2, 3, 4), True, None), ((2, 3, 4), False, None), ((1, 5, 6), True, 1e-2),
                                   ((3, 2, 5), False, 0.1)):
        cases.append({"x": torch.randn(b, t, c, generator=g) * 2 + 1, "weight": torch.randn(c, c, generator=g),
                      "bias": torch.randn(c, generator=g), "gamma": torch.rand(c, generator=g) + 0.5,
                      "beta": torch.randn(c, generator=g), "pre_ln": pre_ln})
        if eps is not None:
            cases[-1]["eps"] = eps
    return cases


def _swapped(x, weight, bias, gamma, beta, pre_ln, eps=1e-5):
    return residual_sublayer(x, weight, bias, gamma, beta, not pre_ln, eps)


def _normed_stream(x, weight, bias, gamma, beta, pre_ln, eps=1e-5):
    if not pre_ln:
        return residual_sublayer(x, weight, bias, gamma, beta, pre_ln, eps)
    h = torch.nn.functional.layer_norm(x, x.shape[-1:], gamma, beta, eps)
    return h + h @ weight.T + bias


def _no_residual(x, weight, bias, gamma, beta, pre_ln, eps=1e-5):
    h = torch.nn.functional.layer_norm(x, x.shape[-1:], gamma, beta, eps)
    return h @ weight.T + bias if pre_ln else torch.nn.functional.layer_norm(x @ weight.T + bias, x.shape[-1:],
                                                                               gamma, beta, eps)


def _weight_untransposed(x, weight, bias, gamma, beta, pre_ln, eps=1e-5):
    return residual_sublayer(x, weight.T, bias, gamma, beta, pre_ln, eps)


SUBLAYER = Exercise(
    key="38.residual_sublayer", title="residual_sublayer",
    signature="residual_sublayer(x (B, T, C), weight (C, C), bias (C,), gamma (C,), beta (C,), pre_ln, eps=1e-5) "
              "-> (B, T, C)",
    reference=residual_sublayer, make_cases=_sub_cases,
    task="""One residual sublayer of a Transformer, in both arrangements that Lab 2 compared. The sublayer is
a linear map `f(h) = h @ weight.T + bias` (as `nn.Linear` stores it), and `LN` is LayerNorm over the last
dimension with gain `gamma`, shift `beta` and `eps`:

- `pre_ln=True` (GPT-2 and later): `x + f(LN(x))` — the residual stream itself is never normalized;
- `pre_ln=False` (the 2017 Transformer, BERT): `LN(x + f(x))`.

`x`: float32 `(B, T, C)`; `weight`: `(C, C)`; `bias`, `gamma`, `beta`: `(C,)`; `pre_ln`: bool; `eps`: positive
float. Return float32 `(B, T, C)`; do not modify the inputs. `torch.nn.functional.layer_norm` may be used.""",
    mistakes=[
        Mistake("swapped", "pre-LN normalizes the *input of the sublayer* (x + f(LN(x))); post-LN normalizes "
                "*after the residual addition* (LN(x + f(x))).", _swapped),
        Mistake("normed_stream", "in pre-LN the residual path carries x itself, not LN(x): add f(LN(x)) to x.",
                _normed_stream),
        Mistake("no_residual", "keep the residual connection: the sublayer's output is *added* to x.", _no_residual),
        Mistake("weight_untransposed", "nn.Linear stores weight as (out, in): f(h) = h @ weight.T + bias.",
                _weight_untransposed),
    ])

EXERCISES = [RMS, SUBLAYER]

QUIZ = Quiz([
    Question("38.q1", "The common answer credits batch normalization with stable, fast training of language "
                      "models. In this chapter's 8-layer runs at lr 0.003 without warmup, what decided whether "
                      "the model learned?", (
        Option("Using BatchNorm, whose noise smooths gradients", False,
               "That is the common answer's claim; Transformer LMs do not use BatchNorm at all (chapters 28, 33)."),
        Option("Where the per-token norm sits: pre-LN or post-LN", True,
               "Lab 2 measures the gradient profile of both at initialization, Lab 3 their need for warmup."),
        Option("Whether the norm subtracts the mean (LayerNorm) or not", False,
               "RMSNorm drops the mean and matches LayerNorm's quality (Zhang & Sennrich, 2019); both Lab 3 "
               "arrangements use LayerNorm, and only the position differed."),
    ), misconception=True),
    Question("38.q2", "What does RMSNorm leave out, compared with LayerNorm?", (
        Option("The division by a statistic of the vector", False, "RMSNorm still divides, by the root mean square."),
        Option("The mean subtraction and the bias β", True,
               "y = x / RMS(x) · γ: for a zero-mean vector it equals LayerNorm (Lab 1)."),
        Option("The learned gain γ, which makes it parameter-free", False, "RMSNorm keeps γ: C parameters per norm."),
    )),
    Question("38.q3", "At initialization (Xavier, as in Xiong et al.), how did the gradient norms of the "
                      "feed-forward weights vary with depth in Lab 2?", (
        Option("Post-LN: larger near the output; pre-LN: larger near the input", True,
               "Post-LN's grow towards the last layer; pre-LN's shrink with depth (ratios printed in Lab 2), "
               "the mismatch that NormFormer (Shleifer et al., 2021) reports for pre-LN models."),
        Option("Both the same, since every layer is normalized", False,
               "The two arrangements differ in what the residual stream carries; their profiles differ."),
        Option("Post-LN vanishing towards the output, pre-LN flat across the layers", False,
               "The printed ratios show post-LN's gradients growing towards the output."),
    )),
    Question("38.q4", "Why is RMSNorm used in LLaMA-style models instead of LayerNorm?", (
        Option("It normalizes across the batch, which LayerNorm cannot do", False,
               "RMSNorm, like LayerNorm, uses each token's own channels."),
        Option("Less work per token (no mean, no β) at equal quality", True,
               "Zhang & Sennrich (2019) report 7–64 % speed-ups at equal quality. In Lab 1 the written-out "
               "RMSNorm was faster, but PyTorch's CPU F.rms_norm was slower than the fused F.layer_norm: the "
               "saving needs a kernel as good as LayerNorm's."),
        Option("It removes the need for a learning-rate warmup", False,
               "Warmup is about the norm's *position* (pre/post), not its formula."),
    )),
])
