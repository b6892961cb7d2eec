"""bertviz's head view for course models, drawn reliably on the first run in JupyterLab.

bertviz emits ``<script src=require.js>`` and, right after, a script that calls ``require``; in
JupyterLab the first loads asynchronously, so a first run often shows "require is not defined". We
put bertviz's page into an ``<iframe srcdoc>``, where scripts run in document order. bertviz fetches
require.js, d3 and jQuery from a CDN: offline the frame says so, and ``AttentionExplorer`` still works.
"""
from __future__ import annotations

import html
from typing import Sequence

from .plots import stack_attention

__all__ = ["head_view_html", "head_view"]

_OFFLINE_NOTE = """<script>
window.addEventListener('load', function () {
  setTimeout(function () {
    if (typeof window.d3 === 'undefined' && typeof window.require === 'undefined') {
      document.body.insertAdjacentHTML('afterbegin', '<p style="font:13px sans-serif;color:#a33">' +
        'bertviz could not load its JavaScript from the internet; use course.viz.AttentionExplorer.</p>');
    }
  }, 4000);
});
</script>"""


def head_view_html(attentions, tokens: Sequence[str], *, example: int = 0, height: int = 420) -> str:
    """HTML of an iframe holding bertviz's head view of one example.

    attentions: list of per-layer (B, H, T, T) tensors or a ``record_attention`` dict.
    """
    from bertviz import head_view as bertviz_head_view

    stacked = stack_attention(attentions)[:, example:example + 1]      # (L, 1, H, T, T)
    if stacked.shape[-1] != len(tokens):
        raise ValueError(f"tokens has {len(tokens)} entries but the attention covers {stacked.shape[-1]} positions")
    page = bertviz_head_view(list(stacked.unbind(0)), list(tokens), html_action="return").data
    doc = f"<!doctype html><html><head><meta charset='utf-8'></head><body>{page}{_OFFLINE_NOTE}</body></html>"
    return (f'<div class="course-bertviz"><iframe srcdoc="{html.escape(doc, quote=True)}" '
            f'style="width:100%;height:{height}px;border:0"></iframe></div>')


def head_view(attentions, tokens: Sequence[str], *, example: int = 0, height: int = 420):
    """Display bertviz's head view (an IPython HTML object; the last expression of a cell shows it)."""
    from IPython.display import HTML

    return HTML(head_view_html(attentions, tokens, example=example, height=height))
