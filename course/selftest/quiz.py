"""Multiple-choice quizzes with an explanation for every option.

In JupyterLab each question is a form; where widgets cannot render (a notebook executed headless, a
plain console) the same quiz shows as text, and ``quiz.answer(...)`` works anywhere. Both show the
options in the same shuffled order, so a letter always means the option the learner saw.
"""
from __future__ import annotations

import dataclasses
import hashlib
import html
import re
from dataclasses import dataclass

from .progress import Progress

__all__ = ["Option", "Question", "Quiz", "display_order", "widget_or_text"]

LETTERS = "abcdefgh"


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    why: str


def _digest(text: str) -> int:
    """A hash that is the same in every process and on every machine (unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def display_order(key: str, n_options: int, correct: int, slot: int) -> tuple[int, ...]:
    """The authored option indices in the order they are shown.

    Authors tend to list the right answer first or second; learners learn that pattern, not the topic.
    So the correct option goes to position ``slot`` (the quiz rotates it over its questions, which keeps
    every position about equally often right however the bank grows) and the distractors fill the
    other positions in an order permuted by a hash of the question key: stable, so a letter typed in
    the text fallback means what the form shows, and unrelated to how they were authored.
    """
    others = sorted((i for i in range(n_options) if i != correct), key=lambda i: _digest(f"{key}/{i}"))
    slot %= n_options
    return tuple(others[:slot] + [correct] + others[slot:])


@dataclass(frozen=True)
class Question:
    key: str                 # "04.q1"
    prompt: str
    options: tuple[Option, ...]   # as authored: the correct one may be anywhere
    misconception: bool = False   # True for the question built on the common answer's error
    # shown[i] = the authored index of the option displayed as letter i; None = authored order.
    # Set by Quiz, which knows the question's place in its chapter.
    shown: tuple[int, ...] | None = None

    def __post_init__(self):
        n_correct = sum(o.correct for o in self.options)
        if n_correct != 1:
            raise ValueError(f"question {self.key} must have exactly one correct option, has {n_correct}")
        if not 2 <= len(self.options) <= len(LETTERS):
            raise ValueError(f"question {self.key} must have 2..{len(LETTERS)} options")
        if self.shown is not None and sorted(self.shown) != list(range(len(self.options))):
            raise ValueError(f"question {self.key}: shown must be a permutation of the option indices")

    @property
    def displayed(self) -> tuple[Option, ...]:
        """The options in the order the learner sees them, letter (a) first."""
        order = self.shown if self.shown is not None else range(len(self.options))
        return tuple(self.options[i] for i in order)

    @property
    def letters(self) -> str:
        return LETTERS[:len(self.options)]

    @property
    def answer(self) -> str:
        """The letter of the correct option as displayed."""
        return LETTERS[[o.correct for o in self.displayed].index(True)]

    def letter(self, choice) -> str:
        """``choice`` as one valid letter; anything else ("", "ab", 2, None) is a clear ValueError."""
        letter = choice.strip().lower() if isinstance(choice, str) else None
        if letter is None or len(letter) != 1 or letter not in self.letters:
            raise ValueError(f"choice must be one of {', '.join(self.letters)}, got {choice!r}")
        return letter

    def feedback(self, choice: str) -> tuple[bool, str]:
        option = self.displayed[LETTERS.index(self.letter(choice))]
        mark = "✓ Correct." if option.correct else "✗ Not quite."
        return option.correct, f"{mark} {option.why}"

    def as_text(self, number: int) -> str:
        lines = [f"Q{number}. {self.prompt}"]
        lines += [f"   ({LETTERS[i]}) {o.text}" for i, o in enumerate(self.displayed)]
        return "\n".join(lines)


# Radio labels of ipywidgets have a fixed height and put the button after the text: a long option
# wraps onto the next option's line. These rules let a label grow with its text, keep its button
# on the left of the first line, and leave the whole label clickable (it is a <label>).
_QUIZ_CSS = """<style>
.course-quiz .widget-radio-box label, .course-quiz .jupyter-widget-radio-box label {
  height: auto; line-height: 1.4; display: flex; flex-direction: row-reverse;
  justify-content: flex-end; align-items: flex-start; white-space: normal; margin: 2px 0 6px 0;
  cursor: pointer; }
.course-quiz .widget-radio-box input, .course-quiz .jupyter-widget-radio-box input {
  float: none; flex: none; height: auto; margin: 0.2em 0.6em 0 1px; }
.course-quiz .widget-radio-box, .course-quiz .jupyter-widget-radio-box { min-width: 0; }
.course-quiz .widget-radio, .course-quiz .jupyter-widget-radio { width: auto; max-width: 100%; }
</style>"""


class Quiz:
    """A chapter's questions. Display it as a cell's last expression, or call :meth:`answer`."""

    def __init__(self, questions: list[Question]):
        if len(questions) < 1:
            raise ValueError("a quiz needs at least one question")
        chapter = questions[0].key.split(".")[0]
        offset = _digest(chapter)                  # per chapter: not every quiz starts at (a)
        # the slots offset, offset+1, … keep the positions balanced; dealt in an order hashed from the chapter,
        # so that knowing one answer's letter does not give the next (a, b, c, a, … would)
        order = sorted(range(len(questions)), key=lambda j: _digest(f"{chapter}/slot/{j}"))
        self.questions = [
            dataclasses.replace(q, shown=display_order(q.key, len(q.options),
                                                       [o.correct for o in q.options].index(True), offset + order[i]))
            for i, q in enumerate(questions)]
        self._widget = None

    def _question(self, number: int) -> Question:
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= len(self.questions):
            raise ValueError(f"number must be a question number 1..{len(self.questions)}, got {number!r}")
        return self.questions[number - 1]

    def answer(self, number: int, choice: str, *, record: bool = True) -> str:
        """Answer question ``number`` (1-based) with a letter as shown; returns (and records) the feedback."""
        question = self._question(number)
        correct, text = question.feedback(question.letter(choice))
        if record:
            try:
                Progress().record_quiz(question.key, correct)
            except OSError as err:
                text += f" (Progress not saved: {err})"
        return text

    def as_text(self) -> str:
        body = "\n\n".join(q.as_text(i + 1) for i, q in enumerate(self.questions))
        return body + "\n\nAnswer with quiz.answer(question_number, 'letter'), or use the form above in JupyterLab."

    def widget(self):
        """The interactive form (built once)."""
        if self._widget is None:
            import ipywidgets as w

            boxes = [w.HTML(_QUIZ_CSS)]
            for i, q in enumerate(self.questions):
                choices = w.RadioButtons(options=[(f"({LETTERS[j]}) {_plain(o.text)}", LETTERS[j])
                                                  for j, o in enumerate(q.displayed)],
                                         value=None, layout=w.Layout(width="auto", max_width="100%"))
                choices.add_class("course-quiz-options")
                button = w.Button(description="Check", button_style="primary",
                                  layout=w.Layout(flex="0 0 auto"))       # long feedback must not squeeze it
                feedback = w.HTML(layout=w.Layout(flex="1 1 auto", min_width="0"))

                def on_click(_, number=i + 1, choices=choices, feedback=feedback):
                    if choices.value is None:
                        feedback.value = "<i>Pick an option first.</i>"
                        return
                    ok = self._question(number).answer == choices.value
                    text = self.answer(number, choices.value)
                    color = "#1a7f37" if ok else "#b35900"
                    feedback.value = f"<div style='color:{color}'>{markdown_inline(text)}</div>"

                button.on_click(on_click)
                boxes.append(w.VBox([w.HTML(f"<b>Q{i + 1}.</b> {markdown_inline(q.prompt)}"), choices,
                                     w.HBox([button, feedback])],
                                    layout=w.Layout(margin="0 0 12px 0")))
            self._widget = w.VBox(boxes, layout=w.Layout(max_width="900px"))
            self._widget.add_class("course-quiz")
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        return widget_or_text(self.widget, self.as_text())


def markdown_inline(text: str) -> str:
    """The little Markdown that cards and quizzes use (**bold**, `code`, *italic*) as HTML, everything else escaped."""
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)
    return re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<i>\1</i>", out)


def _plain(text: str) -> str:
    """Option labels are plain text (radio buttons render no HTML): drop the emphasis marks, keep `code`."""
    return re.sub(r"(?<![\w*])\*{1,2}([^*\s][^*]*)\*{1,2}(?![\w*])", r"\1", text)


def widget_or_text(make_widget, text: str) -> dict:
    """The display bundle of an interactive form: the widget, with ``text`` as its plain-text form; only
    the text where widgets cannot render (ipywidgets missing, no kernel comm)."""
    try:
        bundle = make_widget()._repr_mimebundle_()
    except Exception:
        return {"text/plain": text}
    if isinstance(bundle, tuple):
        bundle = bundle[0]
    bundle = dict(bundle or {})
    bundle["text/plain"] = text
    return bundle
