"""Why a case command did nothing: a reason code every surface words for its own user.

A chat desk answers `refusal.<code>` from the text catalogue, the workbench shows the same words,
Open311 maps codes to HTTP statuses. `detail` is for the log only: it may name units and ids.
"""

from __future__ import annotations

from enum import StrEnum


class RefusalCode(StrEnum):
    NOT_FOUND = "not_found"  # no such case, or (for a resident) not their own: same answer
    NOT_YOUR_UNIT = "not_your_unit"  # 不属于本单位
    STALE = "stale"  # 已过期: the actor saw an older version of the case
    WRONG_STATE = "wrong_state"  # 状态已变: the case's state does not allow this now
    FORBIDDEN = "forbidden"  # the actor's role may not do this at all
    RETURN_WINDOW_CLOSED = "return_window_closed"
    EXTENSION_TOO_LATE = "extension_too_late"
    EXTENSION_PENDING = "extension_pending"
    EXTENSION_CAP = "extension_cap"
    BAD_DAYS = "bad_days"
    ALREADY_DECIDED = "already_decided"
    ALREADY_RATED = "already_rated"
    UNKNOWN_UNIT = "unknown_unit"
    BAD_INPUT = "bad_input"
    NOT_MERGEABLE = "not_mergeable"  # 不能并单: the same case, a merged or finished one


class Refusal(Exception):
    """A command refused: nothing was written. `values` fill the words (deadline, left, cap)."""

    def __init__(self, code: RefusalCode, detail: str, **values: object) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail
        self.values = values
