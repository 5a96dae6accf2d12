"""The core's exceptions. A `UserError` carries the text key of the reply the person gets."""

from __future__ import annotations


class HotlineError(Exception):
    """Base of the core's own errors."""


class UserError(HotlineError):
    """Bad input or a refused action: answered with a clear message, nothing changed."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class Refused(UserError):
    """A press or command the sender may not make, or no longer: forged, replayed, not offered.

    Answered with a short text and logged as a warning by the desk; the transaction still
    commits (nothing changed, and the inbound message id stays recorded, so a replayed delivery
    is not handled twice). Case commands refuse with `handlers.cases.refusal.Refusal` instead.
    """

    def __init__(self, reason: str, key: str = "desk.refused") -> None:
        super().__init__(key)
        self.reason = reason
