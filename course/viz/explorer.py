"""An attention explorer made of ipywidgets and matplotlib: works offline, in JupyterLab and VS Code."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt

from .plots import plot_attention, stack_attention

__all__ = ["AttentionExplorer"]


class AttentionExplorer:
    """Pick a layer, a head and an example; see that head's attention as a heatmap.

    ``AttentionExplorer(attentions, tokens)`` where attentions is a list of per-layer
    (B, H, Tq, Tk) tensors (or the dict of :func:`course.nn.record_attention`). Display it as the last
    expression of a cell. ``explorer.layer.value = 1`` changes the view from code too.
    """

    def __init__(self, attentions, tokens: Sequence[str] | Sequence[Sequence[str]],
                 q_tokens: Sequence[str] | None = None, title: str = "attention"):
        import ipywidgets as w

        self.weights = stack_attention(attentions)               # (L, B, H, Tq, Tk)
        n_layers, batch, n_heads = self.weights.shape[:3]
        per_example = tokens and not isinstance(tokens[0], str)
        self.tokens = list(tokens) if per_example else [list(tokens)] * batch
        self.q_tokens = q_tokens
        self.title = title
        self.layer = w.Dropdown(options=list(range(n_layers)), value=0, description="layer")
        self.head = w.Dropdown(options=list(range(n_heads)), value=0, description="head")
        self.example = w.IntSlider(min=0, max=batch - 1, value=0, description="example",
                                   disabled=batch == 1)
        self.output = w.Output()
        for control in (self.layer, self.head, self.example):
            control.observe(lambda _: self.render(), names="value")
        self.widget = w.VBox([w.HBox([self.layer, self.head, self.example]), self.output])
        self.render()

    def current(self):
        """The (Tq, Tk) matrix on display."""
        return self.weights[self.layer.value, self.example.value, self.head.value]

    def render(self) -> None:
        from IPython.display import display

        tokens = self.tokens[self.example.value]
        with self.output:
            self.output.clear_output(wait=True)
            ax = plot_attention(self.current(), self.q_tokens or tokens, tokens,
                                title=f"{self.title} · layer {self.layer.value} · head {self.head.value}")
            display(ax.figure)
            plt.close(ax.figure)     # shown once, inside the widget, not again below the cell

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
