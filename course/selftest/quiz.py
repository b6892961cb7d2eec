"""Multiple-choice quizzes with an explanation for every option.

In JupyterLab each question is an ipywidgets form; where widgets cannot render (a notebook executed
headless, a plain console) the same quiz shows as text, and ``quiz.answer(...)`` works anywhere.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from .progress import Progress

__all__ = ["Option", "Question", "Quiz"]

LETTERS = "abcdefgh"


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    key: str                 # "04.q1"
    prompt: str
    options: tuple[Option, ...]
    misconception: bool = False   # True for the question built on the seed answer's error

    def __post_init__(self):
        n_correct = sum(o.correct for o in self.options)
        if n_correct != 1:
            raise ValueError(f"question {self.key} must have exactly one correct option, has {n_correct}")
        if not 2 <= len(self.options) <= len(LETTERS):
            raise ValueError(f"question {self.key} must have 2..{len(LETTERS)} options")

    @property
    def answer(self) -> str:
        return LETTERS[[o.correct for o in self.options].index(True)]

    def feedback(self, choice: str) -> tuple[bool, str]:
        option = self.options[LETTERS.index(choice)]
        mark = "✓ Correct." if option.correct else "✗ Not quite."
        return option.correct, f"{mark} {option.why}"

    def as_text(self, number: int) -> str:
        lines = [f"Q{number}. {self.prompt}"]
        lines += [f"   ({LETTERS[i]}) {o.text}" for i, o in enumerate(self.options)]
        return "\n".join(lines)


class Quiz:
    """A chapter's questions. Display it as a cell's last expression, or call :meth:`answer`."""

    def __init__(self, questions: list[Question]):
        if len(questions) < 1:
            raise ValueError("a quiz needs at least one question")
        self.questions = list(questions)
        self._widget = None

    def _question(self, number: int) -> Question:
        if not isinstance(number, int) or not 1 <= number <= len(self.questions):
            raise ValueError(f"number must be a question number 1..{len(self.questions)}, got {number!r}")
        return self.questions[number - 1]

    def answer(self, number: int, choice: str, *, record: bool = True) -> str:
        """Answer question ``number`` (1-based) with a letter; returns (and records) the feedback."""
        question = self._question(number)
        letters = LETTERS[:len(question.options)]
        if not isinstance(choice, str) or choice.lower() not in letters:
            raise ValueError(f"choice must be one of {', '.join(letters)}, got {choice!r}")
        correct, text = question.feedback(choice.lower())
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

            boxes = []
            for i, q in enumerate(self.questions):
                choices = w.RadioButtons(options=[(f"({LETTERS[j]}) {o.text}", LETTERS[j])
                                                  for j, o in enumerate(q.options)],
                                         value=None, layout=w.Layout(width="auto"))
                button = w.Button(description="Check", button_style="primary")
                feedback = w.HTML()

                def on_click(_, number=i + 1, choices=choices, feedback=feedback):
                    if choices.value is None:
                        feedback.value = "<i>Pick an option first.</i>"
                        return
                    ok = self._question(number).options[LETTERS.index(choices.value)].correct
                    text = self.answer(number, choices.value)
                    color = "#1a7f37" if ok else "#b35900"
                    feedback.value = f"<div style='color:{color}'>{html.escape(text)}</div>"

                button.on_click(on_click)
                boxes.append(w.VBox([w.HTML(f"<b>Q{i + 1}.</b> {html.escape(q.prompt)}"), choices,
                                     w.HBox([button, feedback])],
                                    layout=w.Layout(margin="0 0 12px 0")))
            self._widget = w.VBox(boxes, layout=w.Layout(max_width="900px"))
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self.as_text()}
        try:
            widget_bundle = self.widget()._repr_mimebundle_()
        except Exception:   # ipywidgets missing or no kernel comm: the text is the quiz
            return bundle
        if isinstance(widget_bundle, tuple):
            widget_bundle = widget_bundle[0]
        widget_bundle = dict(widget_bundle or {})
        widget_bundle["text/plain"] = bundle["text/plain"]
        return widget_bundle
