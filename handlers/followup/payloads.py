"""Button payloads of the callback (回访): `fb:r:<case_id>:<y|n>` (resolved?) and
`fb:s:<case_id>:<sat|basic|dis>` (satisfied?). Short and ASCII (Telegram allows 64 bytes).

They come from the client: the handler checks that the presser filed the case and that the case
is waiting for exactly this answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.conversation import payloads as p

PREFIX = p.FEEDBACK
RESOLVED_ANSWERS = {"y": True, "n": False}
# Stored values of `Case.satisfaction`; "unrated" (未评价) is never a button.
SATISFACTION = {"sat": "satisfied", "basic": "basic", "dis": "dissatisfied"}


@dataclass(frozen=True, slots=True)
class FeedbackAnswer:
    question: str  # "r" (resolved?) | "s" (satisfied?)
    case_id: int
    answer: str


def resolved_button(case_id: int, answer: str) -> str:
    return p.build(PREFIX, "r", case_id, answer)


def satisfaction_button(case_id: int, answer: str) -> str:
    return p.build(PREFIX, "s", case_id, answer)


def is_feedback(payload: str | None) -> bool:
    parsed = p.parse(payload or "")
    return parsed is not None and parsed.prefix == PREFIX


def parse_feedback(payload: str) -> FeedbackAnswer | None:
    parsed = p.parse(payload)
    if parsed is None or parsed.prefix != PREFIX or len(parsed.fields) != 2:
        return None
    question, case_id, answer = parsed.action, parsed.int_field(0), parsed.fields[1]
    if case_id is None:
        return None
    if (question == "r" and answer in RESOLVED_ANSWERS) or (
        question == "s" and answer in SATISFACTION
    ):
        return FeedbackAnswer(question, case_id, answer)
    return None
