"""Self-test of chapter 20: backpropagation through time by hand, and the LSTM cell-state path."""
from __future__ import annotations

import torch

from ..exercises import Exercise, Mistake
from ..quiz import Option, Question, Quiz


def bptt_tanh(w_hh: torch.Tensor, h: torch.Tensor, g_last: torch.Tensor) -> torch.Tensor:
    """Rows t of the result: ∂L/∂h_t for a loss that reads only the last hidden state."""
    steps = h.shape[0]
    grads = [g_last]
    for t in range(steps - 1, 0, -1):
        through_tanh = grads[-1] * (1 - h[t] ** 2)          # back through h_t = tanh(a_t)
        grads.append(through_tanh @ w_hh)                   # a_t = … + h_{t-1} W_hhᵀ
    return torch.stack(grads[::-1])


def _rnn_states(g, steps, hidden, scale):
    w_hh = torch.randn(hidden, hidden, generator=g) * scale / hidden ** 0.5
    w_xh = torch.randn(hidden, 3, generator=g)
    h, states = torch.zeros(hidden), []
    for _ in range(steps):
        h = torch.tanh(torch.randn(3, generator=g) @ w_xh.T + h @ w_hh.T)
        states.append(h)
    return w_hh, torch.stack(states)


def _bptt_cases(g):
    cases = []
    for steps, hidden, scale in ((6, 4, 1.0), (12, 5, 0.7), (3, 3, 2.0), (1, 4, 1.0)):
        w_hh, h = _rnn_states(g, steps, hidden, scale)
        cases.append({"w_hh": w_hh, "h": h, "g_last": torch.randn(hidden, generator=g)})
    return cases


def _transposed(w_hh, h, g_last):
    return bptt_tanh(w_hh.T, h, g_last)


def _no_tanh_derivative(w_hh, h, g_last):
    grads = [g_last]
    for _ in range(h.shape[0] - 1):
        grads.append(grads[-1] @ w_hh)
    return torch.stack(grads[::-1])


def _previous_state_derivative(w_hh, h, g_last):
    grads = [g_last]
    for t in range(h.shape[0] - 1, 0, -1):
        grads.append((grads[-1] * (1 - h[t - 1] ** 2)) @ w_hh)
    return torch.stack(grads[::-1])


def _tanh_twice(w_hh, h, g_last):
    grads = [g_last]
    for t in range(h.shape[0] - 1, 0, -1):
        grads.append((grads[-1] * (1 - torch.tanh(h[t]) ** 2)) @ w_hh)
    return torch.stack(grads[::-1])


def _forward_order(w_hh, h, g_last):
    return bptt_tanh(w_hh, h, g_last).flip(0)


BPTT = Exercise(
    key="20.bptt_tanh", title="bptt_tanh",
    signature="bptt_tanh(w_hh (H, H), h (T, H), g_last (H,)) -> (T, H)",
    reference=bptt_tanh, make_cases=_bptt_cases,
    task="""Backpropagation through time for one sequence of a tanh RNN in PyTorch's convention,

`h_t = tanh(a_t)`,  `a_t = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh`  (row vectors).

A loss `L` reads only the **last** hidden state, and `g_last = ∂L/∂h_{T−1}` is given. Return the gradient
`∂L/∂h_t` for every step `t = 0 … T−1`, following the recurrence backwards (only the path through
`h_{t−1} → h_t`; the inputs do not matter here).

- `w_hh`: float32 `(H, H)`, the recurrent matrix `W_hh` as `nn.RNN` stores it (`weight_hh_l0`);
- `h`: float32 `(T, H)`, the hidden states `h_0 … h_{T−1}` the forward pass produced (already tanh'ed);
- `g_last`: float32 `(H,)`.
- Return float32 `(T, H)` in time order: row `T−1` is `g_last`, row 0 the gradient at the first step.
  `T = 1` is possible.""",
    mistakes=[
        Mistake("transposed", "with row vectors, a_t = … + h_{t−1} W_hhᵀ, so ∂L/∂h_{t−1} = (∂L/∂a_t) @ W_hh "
                "(not W_hhᵀ).", _transposed),
        Mistake("no_tanh_derivative", "go back through the tanh first: multiply by tanh′(a_t) = 1 − h_t² "
                "before the matrix.", _no_tanh_derivative),
        Mistake("previous_state_derivative", "the tanh that produced h_t has derivative 1 − h_t², the state "
                "of the same step, not 1 − h_{t−1}².", _previous_state_derivative),
        Mistake("tanh_twice", "h is already tanh(a_t): its derivative is 1 − h_t², not 1 − tanh(h_t)².",
                _tanh_twice),
        Mistake("forward_order", "return the rows in time order: row T−1 is g_last, row 0 the first step.",
                _forward_order),
    ])


def cell_path_grads(forget: torch.Tensor, g_last: torch.Tensor) -> torch.Tensor:
    """∂L/∂c_t along c_{t-1} -> c_t only: g_last times the product of the forget gates after step t."""
    later = torch.cat([forget[1:], torch.ones_like(forget[:1])])       # f_{t+1}, …, with 1 after the end
    return g_last * later.flip(0).cumprod(0).flip(0)


def _cell_cases(g):
    cases = []
    for steps, hidden, low in ((5, 3, 0.0), (10, 4, 0.8), (1, 2, 0.0), (7, 6, 0.95)):
        forget = low + (1 - low) * torch.rand(steps, hidden, generator=g)
        cases.append({"forget": forget, "g_last": torch.randn(hidden, generator=g)})
    return cases


def _including_own_gate(forget, g_last):
    return g_last * forget.flip(0).cumprod(0).flip(0)


def _forward_cumprod(forget, g_last):
    later = torch.cat([torch.ones_like(forget[:1]), forget[:-1]])
    return g_last * later.cumprod(0)


def _sum_of_gates(forget, g_last):
    later = torch.cat([forget[1:], torch.zeros_like(forget[:1])])
    return g_last * (1 + later.flip(0).cumsum(0).flip(0) - later)


def _times_one_gate(forget, g_last):
    later = torch.cat([forget[1:], torch.ones_like(forget[:1])])
    return g_last * later


CELL_PATH = Exercise(
    key="20.cell_path", title="cell_path_grads",
    signature="cell_path_grads(forget (T, H), g_last (H,)) -> (T, H)",
    reference=cell_path_grads, make_cases=_cell_cases,
    task="""An LSTM updates its cell state additively: `c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t`. Along the direct
path `c_{t−1} → c_t` (gates held fixed) the Jacobian is `diag(f_t)`. A loss reads only the last cell state,
and `g_last = ∂L/∂c_{T−1}` is given. Return, for every step `t = 0 … T−1`, the gradient that reaches `c_t`
along that path only.

- `forget`: float32 `(T, H)`, the forget-gate values `f_0 … f_{T−1}` in (0, 1);
- `g_last`: float32 `(H,)`.
- Return float32 `(T, H)` in time order: row `T−1` equals `g_last`. `T = 1` is possible.""",
    mistakes=[
        Mistake("including_own_gate", "f_t multiplies c_{t−1}, not c_t: the gradient at c_t collects the "
                "gates of the later steps f_{t+1} … f_{T−1} only (row T−1 is g_last itself).", _including_own_gate),
        Mistake("forward_cumprod", "the product runs over the steps *after* t, so accumulate from the end "
                "backwards (flip, cumprod, flip).", _forward_cumprod),
        Mistake("sum_of_gates", "the Jacobians of successive steps multiply, they do not add.", _sum_of_gates),
        Mistake("times_one_gate", "the gradient passes through every later step, so multiply all the gates "
                "f_{t+1} … f_{T−1}, not just the next one.", _times_one_gate),
    ])

EXERCISES = [BPTT, CELL_PATH]

QUIZ = Quiz([
    Question("20.q1", "The common answer says clipping “avoids gradients that are too small”. With global-norm "
                      "clipping at 1.0, what happens to a gradient of norm 0.001?", (
        Option("It is scaled up until its norm reaches the threshold", False,
               "There is no lower threshold: clipping never enlarges a gradient."),
        Option("It passes through unchanged: the factor is 1", True,
               "The factor is min(1, 1.0/0.001) = 1. Lab 2 measures a factor ≤ 1 in every run, and the "
               "distant steps exactly as weak relative to the last one after clipping as before."),
        Option("It is clamped element-wise into [−1, 1]", False,
               "That is clipping by value, and it too only cuts large elements; small ones pass unchanged."),
    ), misconception=True),
    Question("20.q2", "An RNN's gradient 1 step back is ordinary; 50 steps back it is below 10⁻¹¹ (Lab 1). "
                      "What is the consequence?", (
        Option("The weights stop changing, as every gradient is tiny", False,
               "The recent steps still give ordinary gradients, so the weights keep moving; Lab 1 shows "
               "a normal gradient one step back."),
        Option("Training diverges within the first 50 steps", False, "Divergence is the exploding case; here the distant part is tiny."),
        Option("It cannot learn to link the output to inputs 50 steps back", True,
               "What vanishes is the signal linking the last output to distant inputs, so long-range "
               "dependencies get no learning signal."),
    )),
    Question("20.q3", "Which change alters the slope of the per-step gradient profile?", (
        Option("A lower clipping threshold for the whole gradient", False,
               "Clipping divides every step's gradient by one number: the curve slides, its slope stays (Lab 2)."),
        Option("A larger learning rate for the recurrent weights", False,
               "The learning rate scales the update, not the gradient's distribution over steps."),
        Option("The gain of an orthogonal recurrent matrix", True,
               "It sets the norm of every Jacobian factor; Lab 3 shows gains 0.5, 1 and 1.5 giving three "
               "different slopes (and only 1.5 keeping the distant steps for this tanh RNN)."),
    )),
    Question("20.q4", "Why does a residual connection help gradients reach early layers?", (
        Option("It normalizes every layer's output to unit variance", False, "That is LayerNorm; a residual adds the input back."),
        Option("Its Jacobian I + ∂f/∂h keeps a factor-1 path", True,
               "Whatever f does, the identity term carries the gradient through every layer unchanged; "
               "Lab 3 measures > 10 % arriving at layer 0 of 48."),
        Option("It clips the gradient inside each block", False,
               "Nothing is clipped; the sum of paths can even make the gradient grow towards the input."),
    )),
])
