"""The 台账 (case ledger): one row per case with fixed Chinese columns, and its summary from
the same code as `hotline report`, so the two never disagree.

是否按期 follows the report's 按期办结率: a resolved case is 是 when its first resolution came by
the first round's handle deadline (approved extensions included, a reopen's fresh deadline not),
否 otherwise; an open case past its handle deadline is 超期; anything else is —. So the count of
是 is the report's `on_time` and 是 + 否 its `on_time_base`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from handlers.policy.lifecycle import OPEN_STATES, CaseState
from handlers.report import Report, UnitFigures
from handlers.texts import Texts
from handlers.validation import mask_personal_data

COLUMNS = (
    "工单号",
    "受理时间",
    "渠道",
    "类型",
    "诉求内容",
    "地点",
    "类别",
    "承办单位",
    "签收时间",
    "办结时间",
    "时限",
    "是否按期",
    "延期次数",
    "退回次数",
    "重办次数",
    "解决情况",
    "满意度",
    "状态",
)
SUMMARY_COLUMNS = (
    "承办单位",
    "受理",
    "办结",
    "在办",
    "办结率",
    "按期办结率",
    "超期在办",
    "解决率",
    "满意率",
    "已评价",
    "未评价",
)
ON_TIME, LATE, OVERDUE, UNDECIDED = "是", "否", "超期", "—"
_CHANNELS = {"telegram": "Telegram", "wechat": "微信公众号", "console": "控制台", "web": "网页"}
_SATISFACTION = {
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意",
    "unrated": "未评价",
}
_OPEN = frozenset(s.value for s in OPEN_STATES)
_HANDLING = frozenset(
    {CaseState.DISPATCHED.value, CaseState.ACCEPTED.value, CaseState.REOPENED.value}
)

Cell = str | int | float | None


class LedgerCase(Protocol):
    """The case columns a row needs (a `Case`, or a plain row of them: the export reads rows,
    since building ORM objects would cost most of its time)."""

    number: str
    created_at: datetime
    channel: str
    request_type: str
    description: str
    share_identity: bool
    place_text: str | None
    place_unit: str | None
    category: str | None
    subcategory: str | None
    unit_name: str | None
    signed_at: datetime | None
    handle_deadline: datetime | None
    state: str
    reopen_count: int
    satisfaction: str | None


class LedgerEvent(Protocol):
    at: datetime
    action: str
    to_state: str | None
    data: dict[str, Any]


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _first_round_deadline(case: LedgerCase, events: Sequence[LedgerEvent]) -> datetime | None:
    for event in events:
        if event.action == "reopened":
            before = (event.data or {}).get("handle_deadline_before")
            return datetime.fromisoformat(before) if before else None
    return case.handle_deadline


def on_time(case: LedgerCase, events: Sequence[LedgerEvent], now: datetime) -> str:
    resolved = next((e.at for e in events if e.to_state == CaseState.RESOLVED.value), None)
    if resolved is not None:
        deadline = _first_round_deadline(case, events)
        if deadline is None:
            return UNDECIDED
        return ON_TIME if resolved <= deadline else LATE
    if case.state in _HANDLING and case.handle_deadline is not None and now > case.handle_deadline:
        return OVERDUE
    return UNDECIDED


def _solved(events: Sequence[LedgerEvent]) -> str:
    answer = "—"
    for event in events:
        if event.action in ("feedback", "auto_closed"):
            resolved = (event.data or {}).get("resolved")
            if resolved is not None:
                answer = "已解决" if resolved else "未解决"
            elif event.action == "auto_closed":
                answer = "未评价"
    return answer


def ledger_row(
    case: LedgerCase,
    events: Sequence[LedgerEvent],
    *,
    zone: ZoneInfo,
    texts: Texts,
    now: datetime,
) -> list[Cell]:
    """One case's row, in COLUMNS order. Phone and ID numbers in the text are masked unless the
    resident agreed to share them."""
    signed = next((e.at for e in events if e.action == "signed"), case.signed_at)
    resolved = next((e.at for e in events if e.to_state == CaseState.RESOLVED.value), None)
    text = case.description if case.share_identity else mask_personal_data(case.description)
    return [
        case.number,
        _local(case.created_at, zone),
        _CHANNELS.get(case.channel, case.channel),
        texts(f"type.{case.request_type}"),
        text,
        case.place_text or case.place_unit or "",
        "/".join(x for x in (case.category, case.subcategory) if x),
        case.unit_name or "",
        _local(signed, zone),
        _local(resolved, zone),
        _local(case.handle_deadline, zone),
        on_time(case, events, now),
        sum(1 for e in events if e.action == "extension_approved"),
        sum(1 for e in events if e.action == "returned"),
        case.reopen_count,
        _solved(events),
        _SATISFACTION.get(case.satisfaction or "", "—"),
        texts(f"state.{case.state}"),
    ]


def _rate(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def summary_rows(report: Report) -> list[list[Cell]]:
    """The summary sheet: one line per unit and a total, rates as fractions (Excel shows %)."""

    def line(name: str, f: UnitFigures) -> list[Cell]:
        return [
            name,
            f.received,
            f.closed,
            f.in_progress,
            _rate(f.closure_rate),
            _rate(f.on_time_rate),
            f.overdue_now,
            _rate(f.resolved_rate),
            _rate(f.satisfaction_rate),
            f.rated,
            f.unrated,
        ]

    rows = [line(f.unit or "（未派单）", f) for f in report.units]
    rows.append(line("合计", report.total))
    return rows


def summary_heading(report: Report, zone: ZoneInfo) -> list[list[Any]]:
    last = report.end.astimezone(zone)
    return [
        ["政务服务热线 工单台账 汇总"],
        ["受理时间", f"{_local(report.start, zone)[:10]} 至 {(last.date()).isoformat()}（不含）"],
        ["统计时点", _local(report.now, zone)],
        [],
    ]
