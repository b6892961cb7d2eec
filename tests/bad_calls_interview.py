"""Bad-input rows for course.interview (collected by tests/test_bad_input.py)."""
import course.interview
from course.interview import AnswerCard, MockInterview, answer_card, answer_cards, card_html, interview_order

PUBLIC_MODULES = [course.interview]

BAD_CALLS = [
    (answer_card, "number must be", lambda: answer_card(0)),
    (answer_cards, "number must be", lambda: answer_cards([99])),
    (interview_order, "session must be", lambda: interview_order([1], {}, -1)),
    (MockInterview, "chapters must be one of", lambda: MockInterview(2, "everything", start=False)),
    (MockInterview, "n must be", lambda: MockInterview(0, start=False)),
]

NOTHING_TO_VALIDATE = {
    AnswerCard: "a frozen record built by answer_card from a chapter's source, not by learners",
    card_html: "formats an AnswerCard that answer_card built and validated",
}
