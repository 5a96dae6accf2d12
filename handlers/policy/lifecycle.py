"""Case states (工单状态) and the transitions between them (design.md §2)."""

from __future__ import annotations

from enum import StrEnum


class CaseState(StrEnum):
    SUBMITTED = "submitted"  # 已受理
    PENDING_DISPATCH = "pending_dispatch"  # 待派单
    DISPATCHED = "dispatched"  # 已派单
    ACCEPTED = "accepted"  # 已签收
    RESOLVED = "resolved"  # 已办结
    REOPENED = "reopened"  # 重办
    CLOSED = "closed"  # 已归档
    CANCELLED = "cancelled"  # 已撤销
    # 已并单 (issue 13): merged into its parent case (Case.parent_id); it is resolved with the
    # parent (then gets its own 回访), or unmerged back to a unit or the dispatchers.
    MERGED = "merged"


# Which state may follow which; anything else is refused by the workflow code.
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    CaseState.SUBMITTED: frozenset(
        {CaseState.DISPATCHED, CaseState.PENDING_DISPATCH, CaseState.MERGED}
    ),
    CaseState.PENDING_DISPATCH: frozenset(
        {CaseState.DISPATCHED, CaseState.CANCELLED, CaseState.MERGED}
    ),
    CaseState.DISPATCHED: frozenset(
        {CaseState.ACCEPTED, CaseState.PENDING_DISPATCH, CaseState.CANCELLED, CaseState.MERGED}
    ),
    CaseState.ACCEPTED: frozenset({CaseState.RESOLVED, CaseState.MERGED}),
    CaseState.RESOLVED: frozenset({CaseState.CLOSED, CaseState.REOPENED}),
    CaseState.REOPENED: frozenset({CaseState.ACCEPTED, CaseState.RESOLVED, CaseState.MERGED}),
    CaseState.CLOSED: frozenset(),
    CaseState.CANCELLED: frozenset(),
    CaseState.MERGED: frozenset(
        {CaseState.RESOLVED, CaseState.DISPATCHED, CaseState.PENDING_DISPATCH}
    ),
}

OPEN_STATES: frozenset[CaseState] = frozenset(
    {
        CaseState.SUBMITTED,
        CaseState.PENDING_DISPATCH,
        CaseState.DISPATCHED,
        CaseState.ACCEPTED,
        CaseState.REOPENED,
    }
)


def can_move(from_state: str, to_state: str) -> bool:
    return CaseState(to_state) in TRANSITIONS[CaseState(from_state)]
