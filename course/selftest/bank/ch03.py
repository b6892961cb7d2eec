"""Self-test of chapter 3: counting a GPT-3 row's parameters, and the pairs a banded attention mask keeps."""
from __future__ import annotations

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def gpt3_params(n_layers: int, d_model: int, n_heads: int, d_head: int, vocab_size: int, context: int) -> int:
    """GPT-2/3 layout: token + learned position embeddings, pre-LN layers with biases, FFN 4·d_model,
    final LayerNorm, output tied to the token embeddings. The heads span n_heads·d_head dimensions."""
    span = n_heads * d_head
    attention = 4 * d_model * span + 3 * span + d_model          # W_q, W_k, W_v (d→span), W_o (span→d)
    feed_forward = 8 * d_model * d_model + 5 * d_model           # d→4d→d with biases
    layer = attention + feed_forward + 4 * d_model               # two LayerNorms, γ and β each
    return n_layers * layer + 2 * d_model + (vocab_size + context) * d_model


def _param_cases(g):
    rows = ((24, 2048, 24, 128, 50257, 2048),      # GPT-3 XL as printed: heads span 3072
            (40, 5140, 40, 128, 50257, 2048),      # GPT-3 13B as printed: 5120 ≠ 5140
            (12, 768, 12, 64, 50257, 1024),        # GPT-2 small: heads span d_model
            (3, 40, 3, 16, 97, 32),
            (2, 24, 6, 8, 13, 7))
    return [dict(zip(("n_layers", "d_model", "n_heads", "d_head", "vocab_size", "context"), r)) for r in rows]


def _span_is_width(n_layers, d_model, n_heads, d_head, vocab_size, context):
    return gpt3_params(n_layers, d_model, d_model, 1, vocab_size, context)


def _no_positions(n_layers, d_model, n_heads, d_head, vocab_size, context):
    return gpt3_params(n_layers, d_model, n_heads, d_head, vocab_size, context) - context * d_model


def _untied(n_layers, d_model, n_heads, d_head, vocab_size, context):
    return gpt3_params(n_layers, d_model, n_heads, d_head, vocab_size, context) + vocab_size * d_model


def _no_biases(n_layers, d_model, n_heads, d_head, vocab_size, context):
    span = n_heads * d_head
    return gpt3_params(n_layers, d_model, n_heads, d_head, vocab_size, context) - n_layers * (3 * span + 6 * d_model)


def _no_final_norm(n_layers, d_model, n_heads, d_head, vocab_size, context):
    return gpt3_params(n_layers, d_model, n_heads, d_head, vocab_size, context) - 2 * d_model


GPT3_PARAMS = Exercise(
    key="03.gpt3_params", title="gpt3_params",
    signature="gpt3_params(n_layers, d_model, n_heads, d_head, vocab_size, context) -> int",
    reference=gpt3_params, make_cases=_param_cases,
    task=(
        "Return, as a Python `int`, the number of parameters of a GPT-3-style model given one row of the "
        "paper's table (all arguments are `int`):\n\n"
        "- token embeddings `vocab_size × d_model` and **learned** position embeddings `context × d_model`;\n"
        "- `n_layers` pre-LN layers, each with: attention whose `n_heads` heads of size `d_head` span "
        "`n_heads · d_head` dimensions (which need **not** equal `d_model`): W_q, W_k, W_v map `d_model` to "
        "that span, W_o maps it back, all four **with biases**; a feed-forward network `d_model → 4·d_model → "
        "d_model` with biases; two LayerNorms with γ and β;\n"
        "- a final LayerNorm (γ and β); the output projection is **tied** to the token embeddings (no extra "
        "parameters).\n\n"
        "The checker compares integers exactly; it includes GPT-3 XL and 13B as printed."),
    mistakes=[
        Mistake("span_is_width", "the heads span n_heads · d_head dimensions; in GPT-3 XL that is 3072, not "
                "d_model = 2048, so W_q, W_k, W_v and W_o are d_model × 3072.", _span_is_width),
        Mistake("untied", "the output projection shares the token-embedding matrix: do not count "
                "vocab_size × d_model twice.", _untied),
        Mistake("no_positions", "GPT-3 learns its positions: add context × d_model.", _no_positions),
        Mistake("no_biases", "every linear layer has a bias: 3 · span for q, k, v, d_model for the output, "
                "4·d_model + d_model in the FFN.", _no_biases),
        Mistake("no_final_norm", "pre-LN models end with one more LayerNorm before the output: 2 · d_model.",
                _no_final_norm),
    ])


def banded_pairs(t: int, window: int) -> int:
    """Pairs (i, j) with i - window < j <= i over positions 0 … t−1."""
    full = min(window, t)
    return full * (full + 1) // 2 + (t - full) * full


def _band_cases(g):
    return [{"t": t, "window": w} for t, w in ((2048, 256), (10, 3), (5, 8), (7, 7), (1, 4), (100, 1))]


BANDED_PAIRS = Exercise(
    key="03.banded_pairs", title="banded_pairs",
    signature="banded_pairs(t, window) -> int",
    reference=banded_pairs, make_cases=_band_cases,
    task=(
        "Return, as a Python `int`, the number of (query, key) pairs that a **causal, locally banded** "
        "attention mask lets through over `t` tokens (both arguments `int` ≥ 1): query i may attend to key j "
        "when `i − window < j ≤ i`, i.e. to itself and the `window − 1` tokens before it — "
        "`course.nn.causal_mask(t, window=window).sum()`.\n\n"
        "Use a closed form (no loops over positions, no masks); `window` may be larger than `t`, and then "
        "the band is the whole causal triangle. The checker compares integers exactly."),
    mistakes=[
        Mistake("dense", "that is the dense causal count t(t+1)/2: the band limits each query to `window` keys.",
                lambda t, window: t * (t + 1) // 2),
        Mistake("no_ramp", "the first window − 1 queries have fewer than `window` keys before them: "
                "t · window overcounts them.", lambda t, window: t * window),
        Mistake("excludes_self", "a token sees itself and the window − 1 before it: `window` keys, not "
                "window − 1.", lambda t, window: banded_pairs(t, window - 1) if window > 1 else 0),
        Mistake("window_beyond_t", "when window > t the band is the whole causal triangle, t(t+1)/2.",
                lambda t, window: window * (window + 1) // 2 + (t - window) * window),
    ])

EXERCISES = [GPT3_PARAMS, BANDED_PAIRS]

QUIZ = Quiz([
    Question("03.q1", "The common answer says GPT-3 “包含 24 层 Transformer”. What is the shape of the "
                      "175B model?", (
        Option("24 layers, width 12,288, 96 heads of 128", False,
               "24 is the depth of GPT-3 Medium, Large and XL, not of 175B: the common answer took a small "
               "size's layer count for the flagship."),
        Option("48 layers, width 1600, 25 heads of 64", False, "That is GPT-2 XL, 1.5B parameters (chapter 15)."),
        Option("96 layers, width 12,288, 96 heads of 128", True,
               "Table 2.1; Lab 1 builds it on the meta device and counts 174.6B parameters."),
        Option("12 layers, width 768, 12 heads of 64", False, "That is GPT-3 Small (and GPT-2 small)."),
    ), misconception=True),
    Question("03.q2", "What did GPT-3 change in GPT-2's architecture, according to its paper?", (
        Option("Dense and locally banded attention alternate by layer", True,
               "§2.1, “similar to the Sparse Transformer”; everything else is GPT-2's layer, scaled."),
        Option("It added an encoder, to read the prompt in both directions", False,
               "GPT-3 is decoder-only and causal, like GPT-2."),
        Option("It replaced the feed-forward layers by mixture-of-experts", False,
               "GPT-3 is dense: every parameter is used for every token."),
        Option("Nothing at all: only the size and the data changed", False,
               "Almost: the alternating sparse attention is the one change the paper names."),
    )),
    Question("03.q3", "In GPT-3 175B, where are most of the parameters?", (
        Option("In the token embeddings, since the vocabulary is 50,257", False,
               "50,257 × 12,288 is 0.6B — under 1 % of 175B (Lab 1). In GPT-3 Small the token table is about "
               "31 %."),
        Option("In the attention layers: Q, K, V and O are four d×d matrices per layer against the FFN's two",
               False, "The FFN's two matrices are d × 4d each: 8·d² weights against attention's 4·d²."),
        Option("In the feed-forward layers, about two thirds of each", True,
               "d → 4d → d is 8·d² weights against attention's 4·d² (Lab 1's figure)."),
    )),
    Question("03.q4", "Half of 175B's layers are banded. How much of its training compute does that save "
                      "at its 2048-token context?", (
        Option("About half, since 48 of the 96 layers compute only a band", False,
               "Only the score products shrink; the projections and the FFN cost the same in every layer."),
        Option("About 1 % or less: the weights dominate here", True,
               "Lab 3 counts it for several band widths: 1.4 % of the forward compute is attention to begin "
               "with (2.7 % if dense layers compute the full square), so the saving is under 1 % against a "
               "causal kernel and 1.1–1.3 % against a full square. It grows with the context, as T² against T."),
        Option("Nothing: masks never save compute", False,
               "A kernel that skips masked blocks does save; a masked dense matmul does not."),
    )),
    Question("03.q5", "About how many FLOPs did training GPT-3 175B on 300B tokens take?", (
        Option("About 5 × 10¹³, i.e. 175B × 300", False, "Each token costs about 6 FLOPs per parameter."),
        Option("About 1 × 10²³, i.e. 2·N·D", False, "2·N·D is the forward pass alone; backward costs twice as much."),
        Option("About 3 × 10²³, i.e. 6·N·D", True,
               "The paper reports 3.14 × 10²³ (Table D.1); Lab 2 checks the count against FlopCounterMode."),
        Option("About 6 × 10²⁶, i.e. 6·N·D·T with T = 2048", False,
               "The context enters only through the attention term, a few percent here."),
    )),
])
