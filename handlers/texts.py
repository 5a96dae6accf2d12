"""Every text a person sees, in one place: Chinese by default, English by configuration.

Keys are stable identifiers; `Texts(lang)(key, **values)` formats one. A key missing in English
falls back to Chinese rather than failing in front of a resident.
"""

from __future__ import annotations

from typing import Final

_ZH: Final[dict[str, str]] = {
    # Request types (诉求类型).
    "type.complaint": "投诉",
    "type.help": "求助",
    "type.suggestion": "建议",
    "type.question": "咨询",
    "type.praise": "表扬",
    # Case states.
    "state.submitted": "已受理",
    "state.pending_dispatch": "待派单",
    "state.dispatched": "已派单",
    "state.accepted": "已签收",
    "state.resolved": "已办结",
    "state.reopened": "重办中",
    "state.closed": "已归档",
    "state.cancelled": "已撤销",
    # Start and help.
    "welcome": (
        "您好，这里是安宁区政务服务热线。您可以在这里投诉、求助、提建议、咨询或表扬，"
        "我们会给您工单号，并告诉您办理的每一步。"
    ),
    "help": (
        "可用命令：\n"
        "/new 新建诉求\n"
        "/cancel 取消正在填写的诉求\n"
        "/mycases 我的工单\n"
        "/status 工单号 查询进度（例如 /status AN20261125-0007）\n"
        "/help 帮助\n"
        "紧急情况请直接拨打 110（报警）、119（火警）、120（急救）、122（交通事故）。"
    ),
    "choose_type": "请选择诉求类型：",
    "ask_description": "请描述您的{type}内容（{min}–{max}字），说清楚是什么事、发生在哪里：",
    "ask_place": (
        "请告诉我们事情发生的具体地点（街道、社区、小区或道路名称），也可以发送位置。"
        "不清楚可以点“跳过”。"
    ),
    "place_unknown": "没能识别这个地点属于哪个街道，已记下原文，将由话务员核实。",
    "place_outside": "您发送的位置不在本区范围内，已记下，将由话务员核实。",
    "ask_category": "为了派给正确的单位，请选择最接近的问题类别：",
    "category_unsure": "都不是 / 不确定",
    "ask_photos": "如有照片可以现在发送（最多{max}张）。发完请点“完成”，没有照片点“跳过”。",
    "photo_received": "已收到第{n}张照片。可继续发送，发完请点“完成”。",
    "photo_limit": "最多只能附{max}张照片，多余的未保存。请点“完成”继续。",
    "ask_contact": "是否留下联系电话？匿名提交也会正常办理，结果会通过本对话告诉您。",
    "ask_phone": "请输入您的手机号或固定电话（例如 13912345678 或 0931-1234567）：",
    "summary": (
        "请核对您的诉求：\n"
        "类型：{type}\n"
        "内容：{description}\n"
        "地点：{place}\n"
        "类别：{category}\n"
        "承办单位：{unit}\n"
        "照片：{photos}张\n"
        "联系方式：{contact}"
    ),
    "summary.no_place": "未提供",
    "summary.no_category": "待确定",
    "summary.dispatcher": "由热线话务员人工派单",
    "summary.anonymous": "匿名",
    "choose_edit": "请选择要修改的内容：",
    "submitted": (
        "您的{type}已受理，工单号：{number}\n"
        "已派往：{unit}。处理进展会在这里通知您，可随时发送 /status {number} 查询。"
    ),
    "submitted_pending": (
        "您的{type}已受理，工单号：{number}\n"
        "话务员将尽快为您派单，进展会在这里通知您，可随时发送 /status {number} 查询。"
    ),
    "cancelled_draft": "已取消本次填写。需要时发送 /new 重新开始。",
    "nothing_to_cancel": "当前没有正在填写的诉求。",
    "emergency": "⚠️ 如情况紧急，请立即拨打 {service}！我们会同时记录您的诉求。",
    # Lists and status.
    "mycases.empty": "您还没有提交过工单。发送 /new 开始。",
    "mycases.header": "您最近的工单：",
    "mycases.line": "{number}  {type}  {state}  {date}",
    "status.usage": "请在命令后加上工单号，例如：/status AN20261125-0007",
    "status.bad_number": "工单号格式不正确，应类似 AN20261125-0007。",
    "status.not_found": "未找到该工单，或该工单不是您提交的。",
    "status.card": (
        "工单号：{number}\n类型：{type}\n状态：{state}\n类别：{category}\n"
        "承办单位：{unit}\n提交时间：{created}"
    ),
    "status.history": "办理记录：",
    "status.event": "{time} {action}",
    # Event labels shown to residents.
    "event.submitted": "已受理",
    "event.dispatched": "已派单至 {unit}",
    "event.pending_dispatch": "等待话务员派单",
    # Bad input.
    "err.empty": "没有收到文字内容，请重新输入。",
    "err.too_short": "内容太短了，请至少写{min}个字，说清楚是什么问题。",
    "err.too_long": "内容太长了（{n}字），请控制在{max}字以内，分条发送补充内容也可以。",
    "err.control_chars": "内容里有无法识别的控制字符，请重新输入普通文字。",
    "err.not_offered": "这个选项现在不可用，请从下面的选项中选择。",
    "err.unknown_command": "不认识这个命令：{command}。",
    "err.bad_phone": "电话号码格式不正确。请输入11位手机号或带区号的固定电话，或点“匿名”。",
    "err.unsupported": "暂不支持此类消息，请发送文字、图片或位置。",
    "err.expected_text": "请用文字回复，或点击下面的选项。",
    "err.internal": "抱歉，系统暂时出了点问题，您填写的内容已保存，请稍后再发一次。",
    "err.rate_limited": "您发送得太快了，请稍等几秒再试。",
    # Buttons.
    "btn.skip": "跳过",
    "btn.done": "完成",
    "btn.anonymous": "匿名",
    "btn.leave_phone": "留下电话",
    "btn.submit": "提交",
    "btn.edit": "修改",
    "btn.cancel": "取消",
    "btn.back": "返回",
    "btn.edit.description": "内容",
    "btn.edit.place": "地点",
    "btn.edit.photos": "照片",
    "btn.edit.contact": "联系方式",
    "btn.edit.category": "类别",
    # -- staff, dispatcher, supervisor (issue 3): add keys below this line --
    # -- follow-ups, feedback, reminders, reports (issue 4): add keys below this line --
    # -- wechat (issue 5): add keys below this line --
}

_EN: Final[dict[str, str]] = {
    "type.complaint": "Complaint",
    "type.help": "Request for help",
    "type.suggestion": "Suggestion",
    "type.question": "Question",
    "type.praise": "Praise",
    "state.submitted": "received",
    "state.pending_dispatch": "awaiting dispatch",
    "state.dispatched": "dispatched",
    "state.accepted": "signed for",
    "state.resolved": "resolved",
    "state.reopened": "reopened",
    "state.closed": "closed",
    "state.cancelled": "cancelled",
    "welcome": (
        "Hello, this is the Anning district hotline. You can file a complaint, ask for help, "
        "make a suggestion, ask a question or praise someone. You get a case number and we tell "
        "you of every step."
    ),
    "help": (
        "Commands:\n/new start a new case\n/cancel drop the case you are writing\n"
        "/mycases your cases\n/status NUMBER progress of a case\n/help this help\n"
        "Emergencies: call 110 (police), 119 (fire), 120 (ambulance), 122 (traffic accident)."
    ),
    "choose_type": "Please choose a type:",
    "ask_description": "Please describe your {type} ({min}–{max} characters): what and where?",
    "ask_place": (
        "Where did it happen (subdistrict, community, estate or road)? You may also share a "
        "location, or press Skip."
    ),
    "place_unknown": "We could not tell which subdistrict that is; a dispatcher will check it.",
    "place_outside": "That location is outside the district; a dispatcher will check it.",
    "ask_category": "To send it to the right office, please pick the closest category:",
    "category_unsure": "None of these / not sure",
    "ask_photos": "Send photos now if you have any (up to {max}). Press Done when finished.",
    "photo_received": "Photo {n} received. Send more or press Done.",
    "photo_limit": "At most {max} photos; extra ones were not kept. Press Done to go on.",
    "ask_contact": "Leave a phone number? Anonymous cases are handled just the same.",
    "ask_phone": "Please type your mobile or landline number:",
    "summary": (
        "Please check your case:\nType: {type}\nText: {description}\nPlace: {place}\n"
        "Category: {category}\nOffice: {unit}\nPhotos: {photos}\nContact: {contact}"
    ),
    "summary.no_place": "not given",
    "summary.no_category": "to be decided",
    "summary.dispatcher": "a hotline dispatcher will assign it",
    "summary.anonymous": "anonymous",
    "choose_edit": "What would you like to change?",
    "submitted": (
        "Your {type} is registered as case {number}.\nSent to: {unit}. We will tell you of "
        "every step here; /status {number} shows progress."
    ),
    "submitted_pending": (
        "Your {type} is registered as case {number}.\nA dispatcher will assign it shortly; "
        "/status {number} shows progress."
    ),
    "cancelled_draft": "Cancelled. Send /new to start again.",
    "nothing_to_cancel": "You are not writing a case right now.",
    "emergency": "⚠️ If this is an emergency, call {service} now! We are recording it as well.",
    "mycases.empty": "You have no cases yet. Send /new to start.",
    "mycases.header": "Your recent cases:",
    "status.usage": "Add the case number, e.g. /status AN20261125-0007",
    "status.bad_number": "That is not a case number; it looks like AN20261125-0007.",
    "status.not_found": "No such case among yours.",
    "status.history": "History:",
    "err.empty": "No text received; please type your message.",
    "err.too_short": "That is too short; please write at least {min} characters.",
    "err.too_long": "That is too long ({n} characters); please keep it within {max}.",
    "err.control_chars": "The text contains control characters; please type plain text.",
    "err.not_offered": "That choice is not available now; please pick one below.",
    "err.unknown_command": "Unknown command: {command}.",
    "err.bad_phone": "Not a valid phone number. Type a mobile or landline, or press Anonymous.",
    "err.unsupported": "This kind of message is not supported; send text, a photo or a location.",
    "err.expected_text": "Please answer in text or press one of the buttons.",
    "err.internal": "Sorry, something went wrong on our side. What you wrote is kept; please "
    "send it again in a moment.",
    "err.rate_limited": "You are sending too fast; please wait a few seconds.",
    "btn.skip": "Skip",
    "btn.done": "Done",
    "btn.anonymous": "Anonymous",
    "btn.leave_phone": "Leave a phone number",
    "btn.submit": "Submit",
    "btn.edit": "Edit",
    "btn.cancel": "Cancel",
    "btn.back": "Back",
    "btn.edit.description": "Text",
    "btn.edit.place": "Place",
    "btn.edit.photos": "Photos",
    "btn.edit.contact": "Contact",
    "btn.edit.category": "Category",
    # -- staff, dispatcher, supervisor (issue 3): add keys below this line --
    # -- follow-ups, feedback, reminders, reports (issue 4): add keys below this line --
    # -- wechat (issue 5): add keys below this line --
}

CATALOGUES: Final[dict[str, dict[str, str]]] = {"zh": _ZH, "en": _EN}


class Texts:
    """Formats user-facing texts in one language."""

    def __init__(self, language: str = "zh") -> None:
        if language not in CATALOGUES:
            raise ValueError(f"no texts for language {language!r}")
        self.language = language
        self._catalogue = CATALOGUES[language]

    def __call__(self, key: str, **values: object) -> str:
        template = self._catalogue.get(key) or _ZH[key]
        return template.format(**values) if values else template
