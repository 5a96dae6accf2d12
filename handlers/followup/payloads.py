"""Button payloads of the callback (回访): `fb:r:<case_id>:<y|n>` (resolved?) and
`fb:s:<case_id>:<sat|basic|dis>` (satisfied?). Short and ASCII (Telegram allows 64 bytes).

They come from the client: the handler checks that the presser filed the case and that the case
is waiting for exactly this answer.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "fb"
RESOLVED_ANSWERS = {"y": True, "n": False}
# Stored values of `Case.satisfaction`; "unrated" (未评价) is never a button.
SATISFACTION = {"sat": "satisfied", "basic": "basic", "dis": "dissatisfied"}
UNRATED = "unrated"
SATISFIED_VALUES = frozenset({"satisfied", "basic"})


@dataclass(frozen=True, slots=True)
class FeedbackAnswer:
    question: str  # "r" (resolved?) | "s" (satisfied?)
    case_id: int
    answer: str


def resolved_button(case_id: int, answer: str) -> str:
    return f"{PREFIX}:r:{case_id}:{answer}"


def satisfaction_button(case_id: int, answer: str) -> str:
    return f"{PREFIX}:s:{case_id}:{answer}"


def is_feedback(payload: str | None) -> bool:
    return payload is not None and payload.startswith(f"{PREFIX}:")


def parse_feedback(payload: str) -> FeedbackAnswer | None:
    parts = payload.split(":")
    if len(parts) != 4 or parts[0] != PREFIX or not parts[2].isdigit():
        return None
    question, answer = parts[1], parts[3]
    if (question == "r" and answer in RESOLVED_ANSWERS) or (
        question == "s" and answer in SATISFACTION
    ):
        return FeedbackAnswer(question, int(parts[2]), answer)
    return None
