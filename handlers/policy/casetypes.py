"""The kinds of case the hotline takes: request type (诉求类型) and urgency (紧急程度).

Kept apart from the SLA logic so that any module (intake, routing, storage mappers) can name a
case's type without importing clock arithmetic. The values are the stored, language-neutral codes;
`label_zh` is what residents and staff see.
"""

from __future__ import annotations

from enum import StrEnum


class RequestType(StrEnum):
    """What the resident wants: 投诉 / 求助 / 建议 / 咨询 / 表扬."""

    COMPLAINT = "complaint"
    HELP = "help"
    SUGGESTION = "suggestion"
    QUESTION = "question"
    PRAISE = "praise"

    @property
    def label_zh(self) -> str:
        """The Chinese name shown to people, e.g. 投诉."""
        return _REQUEST_TYPE_ZH[self]


_REQUEST_TYPE_ZH: dict[RequestType, str] = {
    RequestType.COMPLAINT: "投诉",
    RequestType.HELP: "求助",
    RequestType.SUGGESTION: "建议",
    RequestType.QUESTION: "咨询",
    RequestType.PRAISE: "表扬",
}


class Urgency(StrEnum):
    """How fast the case must move: 一般 (normal) or 紧急 (urgent)."""

    NORMAL = "normal"
    URGENT = "urgent"

    @property
    def label_zh(self) -> str:
        """The Chinese name shown to people, e.g. 紧急."""
        return _URGENCY_ZH[self]


_URGENCY_ZH: dict[Urgency, str] = {
    Urgency.NORMAL: "一般",
    Urgency.URGENT: "紧急",
}
