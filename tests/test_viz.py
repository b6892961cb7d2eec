import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

from course.viz import AttentionExplorer, attention_grid, display_labels, head_view_html, plot_curves  # noqa: E402
from course.viz import fonts  # noqa: E402


def test_labels_never_become_empty_boxes(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)          # a machine without any CJK font
    assert fonts.display_labels(["三", "a"], gloss=lambda s: "3") == ["3", "a"]
    assert fonts.display_labels(["千"]) == ["U+5343"]
    monkeypatch.setattr(fonts, "cjk_font", lambda: "Noto Sans CJK SC")
    assert fonts.display_labels(["三"]) == ["三"]


def test_explorer_switches_heads_and_layers():
    attn = [torch.rand(2, 3, 4, 4).softmax(-1) for _ in range(2)]
    explorer = AttentionExplorer(attn, ["a", "b", "c", "d"])
    first = explorer.current().clone()
    explorer.head.value = 2
    explorer.layer.value = 1
    explorer.example.value = 1
    assert torch.equal(explorer.current(), attn[1][1, 2]) and not torch.equal(first, explorer.current())


def test_figures_and_bertviz_html():
    from course.train import History
    h = History(step=[0, 1, 2], loss=[3.0, 2.0, 1.0], grad_norm=[1.0, 0.5, 0.2], lr=[0.1] * 3)
    assert len(plot_curves({"run": h}, ("loss", "grad_norm")).axes) == 2
    attn = [torch.rand(1, 2, 3, 3).softmax(-1)]
    grid = attention_grid(attn, ["x", "y", "z"])
    *panels, bar = grid.axes                                   # two heads and the shared colour bar
    assert len(panels) == 2 and bar.get_ylabel() == "attention weight"
    assert min(t.get_fontsize() for t in panels[0].get_xticklabels() + panels[0].get_yticklabels()) >= 8
    html = head_view_html(attn, ["x", "y", "z"])
    assert html.startswith('<div class="course-bertviz"><iframe srcdoc=') and "could not load" in html
