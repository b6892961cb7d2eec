"""Figures and interactive views: curves, attention heatmaps, the offline explorer, bertviz."""
from .bertviz_adapter import head_view, head_view_html
from .explorer import AttentionExplorer
from .fonts import cjk_font, display_labels, has_cjk
from .plots import attention_grid, plot_attention, plot_curves, smooth, stack_attention

__all__ = [name for name in dir() if not name.startswith("_")]

cjk_font()   # use an installed CJK font for Chinese labels, if there is one
