"""The case's event log in words for the timeline, and labels for codes (Chinese only: the
workbench is for the district's own staff). Notes are masked: they may quote the resident."""

from __future__ import annotations

from handlers.validation import mask_personal_data
from storage.models import CaseEvent

ACTOR_NAMES = {
    "resident": "群众",
    "staff": "承办人",
    "head": "单位负责人",
    "dispatcher": "派单员",
    "supervisor": "督查员",
    "system": "系统",
    "api": "接口",
}
CHANNEL_NAMES = {
    "telegram": "Telegram",
    "wechat": "微信公众号",
    "console": "控制台",
    "web": "网页",
    "open311": "Open311",
}
SATISFACTION_NAMES = {
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意",
    "unrated": "未评价",
}
RETURN_NAMES = {
    "unit": "非本单位职责",
    "area": "地址不在辖区",
    "info": "信息不全",
    "dup": "重复工单",
}


def _with_note(text: str, note: str | None) -> str:
    return f"{text}：{mask_personal_data(note)}" if note else text


def describe(event: CaseEvent) -> str:
    """One line of the timeline, e.g. "培黎街道 签收" or "督查员 批准延期 3 个工作日"."""
    data = event.data or {}
    unit = str(data.get("unit") or "")
    who = ACTOR_NAMES.get(event.actor_kind, event.actor_kind)
    action = event.action
    if action == "submitted":
        return "群众提交诉求，已受理"
    if action == "dispatched":
        return f"系统按派单目录派至 {unit}"
    if action == "assigned":
        return f"派单员派至 {unit}"
    if action == "pending_dispatch":
        return "系统无法确定承办单位，转入待派单"
    if action == "signed":
        return f"{unit} 签收"
    if action == "replied":
        return _with_note(f"{unit} 回复群众", event.note)
    if action == "info_added":
        return _with_note("群众补充", event.note)
    if action == "extension_requested":
        return _with_note(f"{unit} 申请延期 {data.get('days')} 个工作日", event.note)
    if action == "extension_approved":
        return f"督查员批准延期 {data.get('days')} 个工作日"
    if action == "extension_denied":
        return "督查员不同意延期"
    if action == "returned":
        return _with_note(f"{unit} 退单", event.note)
    if action == "resolved":
        return _with_note(f"{unit} 办结", event.note)
    if action == "withdrawn":
        return "群众撤销诉求"
    if action == "callback_sent":
        return "系统发出回访"
    if action == "feedback":
        resolved = data.get("resolved")
        solved = "已解决" if resolved else "未解决" if resolved is not None else "未答是否解决"
        rating = SATISFACTION_NAMES.get(str(data.get("satisfaction")), "未评价")
        return f"群众回访评价：{solved}，{rating}"
    if action == "feedback_resolved":
        return "群众回答是否解决"
    if action == "feedback_comment":
        return _with_note("群众评价留言", event.note)
    if action == "auto_closed":
        return "回访无应答，自动归档（未评价）"
    if action == "closed":
        return "归档"
    if action == "reopened":
        return "群众不满意，重办"
    if action == "review":
        return _with_note("转督查员复核", event.note)
    return _with_note(f"{who} {action}", event.note)
