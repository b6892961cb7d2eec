"""Write the answer-card sheet: every chapter's bilingual interview answer card on one page.

    python tools/make_cards.py            # writes notebooks/answer_cards.html and notebooks/answer_cards.md
    python tools/make_cards.py --check    # exit 1 if the stored sheets differ from the chapters' sources

The cards are read from the chapters' sources (``course.interview.answer_card``), never typed twice.
The HTML is one self-contained file: no scripts, no web fonts; Chinese is drawn by a CJK font installed
on the reader's machine (Noto Sans CJK, Source Han Sans, PingFang, Microsoft YaHei, …).
"""
from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.chapters import CHAPTERS  # noqa: E402
from course.interview import CLUSTERS, answer_cards, card_html  # noqa: E402
from course.navigation import CLUSTER_TITLES  # noqa: E402

OUT = ROOT / "notebooks"
TITLE = "LLM Interview Lab — answer cards (面试回答要点)"
CSS = """
body { font-family: "Noto Sans", "Helvetica Neue", Arial, "Noto Sans CJK SC", "Source Han Sans SC",
       "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
       max-width: 920px; margin: 2em auto; padding: 0 1em; line-height: 1.55; color: #1f2328; }
[lang="zh-CN"] { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB",
                 "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
nav a { margin-right: 1em; }
section.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 0.8em 1.1em; margin: 1em 0; }
section.card h3 { margin: 0.2em 0; font-size: 1.1em; }
.en-title { color: #57606a; margin: 0 0 0.6em 0; }
code { background: #f6f8fa; padding: 0 0.25em; border-radius: 4px; }
.missing { color: #8c959f; }
@media print { section.card { break-inside: avoid; } nav { display: none; } }
"""


def _cluster_title(name: str) -> str:
    return CLUSTER_TITLES.get(name, name.capitalize())


def sheet_html(cards) -> str:
    by_cluster = {c: [card for card in cards if card.cluster == c] for c in CLUSTERS}
    written = {card.number for card in cards}
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>{html.escape(TITLE)}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(TITLE)}</h1>",
             f"<p>{len(cards)} of {len(CHAPTERS)} chapters written. Each card links to its notebook; "
             f"generated from the chapters by <code>make cards</code>.</p>",
             "<nav>" + "".join(f'<a href="#{c}">{html.escape(_cluster_title(c))}</a>' for c in CLUSTERS) + "</nav>"]
    for cluster, members in by_cluster.items():
        parts.append(f'<h2 id="{cluster}">{html.escape(_cluster_title(cluster))}</h2>')
        parts += [card_html(card) for card in members]
        waiting = [c.number for c in CHAPTERS if c.cluster == cluster and c.number not in written]
        if waiting:
            parts.append(f'<p class="missing">Not written yet: chapters {", ".join(map(str, waiting))}.</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def sheet_markdown(cards) -> str:
    lines = [f"# {TITLE}", "", f"{len(cards)} of {len(CHAPTERS)} chapters written; generated from the "
             "chapters by `make cards`.", ""]
    for cluster in CLUSTERS:
        members = [card for card in cards if card.cluster == cluster]
        if not members:
            continue
        lines += [f"## {_cluster_title(cluster)}", ""]
        for card in members:
            lines += [f"### {card.number} · {card.question_zh}", "", f"*{card.title_en}* — "
                      f"[open the chapter]({card.notebook})", "", f"**中文：** {card.zh}", "",
                      f"**English:** {card.en}", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored sheets, write nothing")
    args = parser.parse_args(argv)
    cards = answer_cards()
    outputs = {OUT / "answer_cards.html": sheet_html(cards), OUT / "answer_cards.md": sheet_markdown(cards)}
    if args.check:
        stale = [p.name for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        if stale:
            print(f"stale: {', '.join(stale)} — run `make cards`")
            return 1
        print(f"{len(cards)} cards, up to date")
        return 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(cards)} cards to {', '.join(str(p.relative_to(ROOT)) for p in outputs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
