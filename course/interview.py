"""Rehearse across chapters: every chapter's answer card, and a mock interview that brings back what
you missed.

The cards are read from the chapters' sources (``notebooks/src/NN_slug.py``), so they are written once:
the sheet ``make cards`` writes and the mock interview show the same text as the notebooks.
The schedule is a Leitner system kept in the progress file (see :mod:`course.selftest.progress`):
a question you missed is due at the next interview and comes first; one you knew waits 2, 4, 8, 16, 32
interviews as it climbs the boxes.
"""
from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass

from .chapters import CHAPTERS, chapter
from .navigation import chapter_source as _source
from .selftest.progress import Progress
from .selftest.quiz import markdown_inline as _markdown_inline
from .selftest.quiz import widget_or_text
from .validate import check_in, check_int

__all__ = ["AnswerCard", "answer_card", "answer_cards", "CLUSTERS", "interview_order", "MockInterview",
           "card_html"]

CLUSTERS = tuple(dict.fromkeys(c.cluster for c in CHAPTERS))      # in the order of the registry
_CARD_HEADING = "## Interview answer card"
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_WIDE_PUNCT = r"[\u3000-\u303f\uff00-\uffef]"                  # ，。：；（）… carry their own spacing
_CJK_OR_MARK = r"[\u2018-\u201d\u2460-\u24ff\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"   # + “ ” ‘ ’ ① ②


@dataclass(frozen=True)
class AnswerCard:
    number: int
    question_zh: str       # the seed's question
    title_en: str
    cluster: str
    zh: str               # the card's Chinese answer (Markdown)
    en: str               # the card's English answer (Markdown)
    notebook: str          # file name, e.g. "07_gradient_clipping.ipynb"


def _join(lines: list[str]) -> str:
    """Markdown lines joined as a renderer would, without the space a line break leaves between two
    Chinese characters or next to full-width punctuation (，。： need no space after them)."""
    text = ""
    for line in lines:
        line = line.strip()
        if text and line:
            wide = re.match(_WIDE_PUNCT, text[-1]) or re.match(_WIDE_PUNCT, line[0])
            glue = "" if wide or (re.match(_CJK_OR_MARK, text[-1]) and re.match(_CJK_OR_MARK, line[0])) else " "
            text += glue + line
        else:
            text += line
    return text


def answer_card(number: int) -> AnswerCard:
    """Chapter ``number``'s interview answer card, read from its source."""
    number = check_int("number", number, minimum=1, maximum=len(CHAPTERS))
    info = chapter(number)
    path = _source(number)
    if path is None:
        raise ValueError(f"chapter {number} is not written yet (no notebooks/src/{number:02d}_*.py)")
    lines = [line[2:] if line.startswith("# ") else line.lstrip("#")
             for line in path.read_text(encoding="utf-8").splitlines()]
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith(_CARD_HEADING))
    except StopIteration:
        raise ValueError(f"{path.name} has no '{_CARD_HEADING}' section") from None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("## ", "%%"))), len(lines))
    body = lines[start + 1:end]
    parts: dict[str, list[str]] = {}
    current = None
    for line in body:
        for label, key in (("**中文：**", "zh"), ("**English:**", "en")):
            if line.startswith(label):
                current, line = key, line[len(label):]
        if current:
            parts.setdefault(current, []).append(line)
    if set(parts) != {"zh", "en"}:
        raise ValueError(f"{path.name}'s answer card needs a **中文：** and an **English:** paragraph")
    return AnswerCard(number, info.title_zh, info.title_en, info.cluster, _join(parts["zh"]),
                      _join(parts["en"]), info.notebook)


def answer_cards(numbers=None) -> list[AnswerCard]:
    """The cards of ``numbers`` (default: every chapter written so far), in chapter order."""
    if numbers is None:
        numbers = [c.number for c in CHAPTERS if _source(c.number) is not None]
    return [answer_card(n) for n in sorted(set(numbers))]




def card_html(card: AnswerCard, link_prefix: str = "", *, new_tab: bool = False) -> str:
    """One card as an HTML fragment: the question, both answers, a link to its notebook.

    ``new_tab``: open the link in a new browser tab. Inside a widget JupyterLab does not catch links, so a
    plain one would replace the whole page, and the interview with it."""
    target = ' target="_blank" rel="noopener"' if new_tab else ""
    return (f'<section class="card" id="ch{card.number:02d}"><h3>{card.number} · '
            f'<span lang="zh-CN">{html.escape(card.question_zh)}</span></h3>'
            f'<p class="en-title">{html.escape(card.title_en)}</p>'
            f'<p lang="zh-CN"><b>中文：</b>{_markdown_inline(card.zh)}</p>'
            f'<p><b>English:</b> {_markdown_inline(card.en)}</p>'
            f'<p class="link"><a href="{link_prefix}{card.notebook}"{target} '
            f'style="color:#0969da; text-decoration:underline">Open chapter {card.number}: '
            f'{html.escape(card.notebook)}</a>{" (new tab)" if new_tab else ""}</p></section>')


# --- the schedule -------------------------------------------------------------------------------------
def interview_order(numbers, reviews: dict[str, dict], session: int, seed: int = 0) -> list[int]:
    """``numbers`` in the order a mock interview asks them.

    First the reviewed questions that are due, lowest box (most recently missed) first; then questions
    never reviewed, shuffled by ``seed``; then the rest, soonest due first.
    """
    session = check_int("session", session, minimum=0)
    due, fresh, later = [], [], []
    for n in numbers:
        entry = reviews.get(f"{n:02d}")
        if entry is None:
            fresh.append(n)
        elif entry["due"] <= session:
            due.append((entry["box"], entry["due"], n))
        else:
            later.append((entry["due"], entry["box"], n))
    random.Random(seed).shuffle(fresh)
    return [n for *_, n in sorted(due)] + fresh + [n for *_, n in sorted(later)]


def _missed_chapters(progress: Progress) -> set[int]:
    """Chapters with a missed interview question or a quiz question answered wrong (and not since right)."""
    _, reviews = progress.reviews()
    missed = {int(k) for k, e in reviews.items() if e["box"] == 0 and e["reviews"] > 0}
    quizzes = progress.entries("quizzes")
    missed |= {int(k.split(".")[0]) for k, e in quizzes.items() if e["attempts"] and not e["passed"]}
    return missed


class MockInterview:
    """``n`` questions drawn across chapters; display it in JupyterLab, or use it as plain text.

    ``chapters`` is "all", a cluster name (see ``CLUSTERS``), "missed" (the ones you got wrong: missed in
    an interview or answered wrong in a quiz), or a list of chapter numbers. Only chapters written so far
    are asked. ``seed`` fixes the order of questions never reviewed, so a run can be repeated exactly.
    Creating an interview counts a new session (``start=False`` to only look at the order).
    """

    def __init__(self, n: int = 5, chapters="all", *, seed: int = 0, progress: Progress | None = None,
                 start: bool = True):
        self.progress = progress if progress is not None else Progress()
        written = [c.number for c in CHAPTERS if _source(c.number) is not None]
        if isinstance(chapters, str):
            check_in("chapters", chapters, ("all", "missed") + CLUSTERS)
            if chapters == "all":
                pool = written
            elif chapters == "missed":
                pool = sorted(_missed_chapters(self.progress) & set(written))
            else:
                pool = [x for x in written if chapter(x).cluster == chapters]
        else:
            try:
                pool = sorted({check_int("chapters", x, minimum=1, maximum=len(CHAPTERS)) for x in chapters})
            except TypeError:
                raise TypeError(f"chapters must be 'all', 'missed', a cluster {CLUSTERS} or a list of chapter "
                                f"numbers, got {chapters!r}") from None
            unwritten = [x for x in pool if x not in written]
            if unwritten:
                raise ValueError(f"chapters {unwritten} are not written yet; written so far: {written}")
        n = check_int("n", n, minimum=1)
        self.session = self.progress.start_interview() if start else self.progress.reviews()[0]
        session, reviews = self.progress.reviews()
        self.numbers = interview_order(pool, reviews, session, seed)[:n]
        self.marked: dict[int, bool] = {}
        self._widget = None

    def question(self, i: int) -> str:
        """The i-th question (0-based), in Chinese and English."""
        card = self._card(i)
        return f"Chapter {card.number} · {card.question_zh}\n{card.title_en}"

    def _card(self, i: int) -> AnswerCard:
        i = check_int("i", i, minimum=0, maximum=len(self.numbers) - 1)
        return answer_card(self.numbers[i])

    def reveal(self, i: int) -> str:
        """The i-th question's answer card (and where its quiz is), as text."""
        card = self._card(i)
        return (f"中文：{card.zh}\n\nEnglish: {card.en}\n\n"
                f"Quiz and lab: {card.notebook} (or quiz({card.number}) here)")

    def mark(self, i: int, remembered: bool) -> dict:
        """Your verdict on the i-th question; a missed one comes back first next time."""
        number = self.numbers[check_int("i", i, minimum=0, maximum=len(self.numbers) - 1)]
        entry = self.progress.record_review(number, remembered)
        self.marked[number] = remembered
        return entry

    def as_text(self) -> str:
        if not self.numbers:
            return "No questions to ask: nothing matches that choice of chapters yet."
        lines = [f"Mock interview, session {self.session}: {len(self.numbers)} questions."]
        lines += [f"{i + 1}. {self.question(i)}" for i in range(len(self.numbers))]
        lines.append("Answer each aloud or in writing, then interview.reveal(i) (0-based) to compare with "
                     "the card and interview.mark(i, remembered=True/False) to schedule it.")
        return "\n".join(lines)

    # --- JupyterLab ---------------------------------------------------------------------------------
    def widget(self):
        """One question at a time: write your answer, reveal the card and quiz, mark yourself."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        from .selftest import bank, quiz

        state = {"i": 0}
        header, prompt = w.HTML(), w.HTML()
        answer = w.Textarea(placeholder="Your answer (中文 or English) — write it before you reveal the card",
                            layout=w.Layout(width="100%", height="120px"))
        reveal, knew, missed = (w.Button(description="Reveal the card", button_style="primary"),
                                w.Button(description="I had it", button_style="success"),
                                w.Button(description="I missed it", button_style="warning"))
        card_box, status = w.VBox(), w.HTML()

        def show(i):
            state["i"] = i
            if i >= len(self.numbers):
                missed_now = [n for n, ok in self.marked.items() if not ok]
                header.value = "<b>Done.</b>"
                prompt.value = (f"Missed: {', '.join(map(str, missed_now)) or 'none'} — "
                                "they come first at your next mock interview.")
                for item in (answer, reveal, knew, missed):
                    item.layout.display = "none"
                card_box.children = ()
                return
            card = self._card(i)
            header.value = f"<b>Question {i + 1} of {len(self.numbers)}</b> · chapter {card.number}"
            prompt.value = (f'<div lang="zh-CN" style="font-size:1.15em">{html.escape(card.question_zh)}</div>'
                            f"<div>{html.escape(card.title_en)}</div>")
            answer.value = ""
            knew.disabled = missed.disabled = True
            card_box.children = ()

        def on_reveal(_):
            card = self._card(state["i"])
            children = [w.HTML(card_html(card, new_tab=True)), state["marks"]]
            if card.number in bank.CHAPTERS_WITH_SELFTEST:
                children += [w.HTML("<b>The chapter's quiz</b> (optional, then give your verdict above):"),
                             quiz(card.number).widget()]
            card_box.children = tuple(children)
            knew.disabled = missed.disabled = False

        def on_mark(remembered):
            def handler(_):
                try:
                    self.mark(state["i"], remembered)
                    status.value = ""
                except OSError as err:
                    status.value = f"<i>Not saved: {html.escape(str(err))}</i>"
                show(state["i"] + 1)
            return handler

        reveal.on_click(on_reveal)
        knew.on_click(on_mark(True))
        missed.on_click(on_mark(False))
        show(0)
        # the verdict buttons come right after the card, before the chapter's (long) quiz
        marks = w.HBox([w.HTML("<b>Your verdict:</b>&nbsp;"), knew, missed])
        self._widget = w.VBox([header, prompt, answer, reveal, card_box, status],
                              layout=w.Layout(max_width="900px"))
        state["marks"] = marks
        self._widget.add_class("course-mock-interview")
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        if not self.numbers:
            return {"text/plain": self.as_text()}
        return widget_or_text(self.widget, self.as_text())
