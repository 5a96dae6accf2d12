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
        "/add 工单号 补充内容 为在办工单补充信息\n"
        "/withdraw 工单号 撤销尚未签收的工单\n"
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
    "ask_share": (
        "是否允许承办单位看到您的电话，以便直接联系您？"
        "选“不允许”时，电话只有热线中心可见，单位通过本对话答复您。"
    ),
    "summary.phone_shared": "承办单位可见",
    "summary.phone_private": "仅热线中心可见",
    "btn.share_yes": "允许",
    "btn.share_no": "不允许",
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
    "intake.description_kept": "已收到您的描述，已为您保存。",
    "intake.already_filed": (
        "您的诉求已经提交，工单号：{number}。可发送 /status {number} 查询进度。"
    ),
    "refusal.not_found": "未找到该工单。",
    "refusal.not_your_unit": "该工单不属于本单位，无法操作。",
    "refusal.stale": "这张卡片已过期，工单已有新进展，请以最新消息为准。",
    "refusal.wrong_state": "工单状态已变（现为：{state}），该操作不再适用。",
    "refusal.forbidden": "无法执行该操作。",
    "refusal.return_window_closed": "已超过退单时限（{deadline}），本单位需办理该工单。",
    "refusal.extension_too_late": "办理时限已过，不能再申请延期。",
    "refusal.extension_pending": "该工单已有待审批的延期申请。",
    "refusal.extension_cap": "该工单已达到延期上限（{cap}个工作日），不能再申请。",
    "refusal.bad_days": "请输入 1 到 {left} 之间的整数。",
    "refusal.already_decided": "该延期申请已经处理过了。",
    "refusal.already_rated": "该工单已经评价过了，谢谢！",
    "refusal.unknown_unit": "没有这个单位，请从列表中选择。",
    "refusal.bad_input": "内容为空或太长，请重新输入。",
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
    "role.staff": "承办人",
    "role.head": "单位负责人",
    "role.dispatcher": "派单员",
    "role.supervisor": "督查员",
    "desk.help.staff": (
        "您是{unit}的{role}。新工单会以卡片推送给您，可在卡片上签收、回复、申请延期、退回、办结。\n"
        "/cases 本单位在办工单\n/case 工单号 查看工单\n/cancel 放弃正在填写的内容"
    ),
    "desk.help.dispatcher": (
        "您是派单员。待派单和被退回的工单会推送给您。\n"
        "/queue 待派单工单\n/case 工单号 查看工单\n/cancel 放弃正在填写的内容"
    ),
    "desk.help.supervisor": (
        "您是督查员。延期申请会推送给您审批。\n/overdue 超期工单\n"
        "/stats [today|week|month] 统计\n/case 工单号 查看工单"
    ),
    "desk.refused": "无法执行该操作。",
    "desk.stale": "这张卡片已过期，工单已有新进展，请以最新消息为准。",
    "desk.unknown_command": "不认识这个命令：{command}。发送 /help 查看可用命令。",
    "desk.input_dropped": "已放弃填写。",
    "desk.nothing_pending": "当前没有正在填写的内容。",
    "desk.expected_text": "请输入文字，或点“取消”。",
    "desk.case_usage": "请在命令后加上工单号，例如：/case AN20261125-0007",
    "desk.case_not_found": "未找到该工单。",
    "join.usage": "请在命令后加上邀请码，例如：/join ABCDE-FGHJK",
    "join.invalid": "邀请码无效、已过期或已被使用，请向管理员索取新的邀请码。",
    "join.private_only": "请在与本机器人的私聊中发送 /join 邀请码。",
    "join.done": "绑定成功：{unit}，{role}。",
    "bindgroup.usage": "请在命令后加上邀请码，例如：/bindgroup ABCDE-FGHJK",
    "bindgroup.group_only": "请在要接收工单的群里发送 /bindgroup 邀请码。",
    "bindgroup.done": "本群已绑定到{unit}，该单位的新工单会推送到这里。",
    "card.new": "【新工单】",
    "card.current": "【工单】",
    "card.body": (
        "工单号：{number}\n类型：{type}{urgent}\n类别：{category}\n地点：{place}\n内容：{text}\n"
        "联系方式：{contact}\n状态：{state}\n签收时限：{sign}\n办理时限：{handle}"
    ),
    "card.urgent": "（紧急）",
    "card.none": "无",
    "card.hidden": "匿名/已隐藏",
    "card.photos": "附照片{n}张",
    "btn.sign": "签收",
    "btn.reply": "回复",
    "btn.extend": "申请延期",
    "btn.return": "退回",
    "btn.resolve": "办结",
    "btn.add_info": "补充",
    "btn.withdraw": "撤销",
    "btn.approve": "批准",
    "btn.deny": "驳回",
    "btn.by_subdistrict": "按街道",
    "btn.by_department": "按部门",
    "btn.prev": "上一页",
    "btn.next": "下一页",
    "return.unit": "非本单位职责",
    "return.area": "地址不在辖区",
    "return.info": "信息不全",
    "return.dup": "重复工单",
    "staff.signed": "已签收工单 {number}，办理时限：{handle}。",
    "staff.ask_reply": "请输入给群众的回复（由热线转达，不显示您的身份）：",
    "staff.replied": "回复已转达给群众。",
    "staff.ask_ext_reason": "请输入申请延期的原因：",
    "staff.ask_ext_days": "请选择或输入延期的工作日数（最多还可延期{left}个工作日）：",
    "staff.ext_bad_days": "请输入 1 到 {left} 之间的整数。",
    "staff.ext_cap_reached": "该工单已达到延期上限（{cap}个工作日），不能再申请。",
    "staff.ext_pending": "该工单已有待审批的延期申请。",
    "staff.ext_too_late": "办理时限已过，不能再申请延期。",
    "staff.ext_requested": "延期申请已提交（{days}个工作日），等待督查员审批。",
    "staff.ask_ret_reason": "请选择退回原因：",
    "staff.ask_ret_note": "请补充说明（例如应由哪个单位办理），或点“跳过”：",
    "staff.return_closed": "已超过退单时限（{deadline}），本单位需办理该工单。",
    "staff.returned": "工单 {number} 已退回，等待话务员重新派单。",
    "staff.ask_result": "请输入办理结果（将告知群众）：",
    "staff.ask_result_photos": (
        "如有办理结果照片可以现在发送（最多{max}张），发完点“完成”；没有照片直接点“完成”。"
    ),
    "staff.result_photo": "已收到第{n}张照片，继续发送或点“完成”。",
    "staff.resolved": "工单 {number} 已办结，结果已告知群众。",
    "staff.info_added": "【群众补充】工单 {number}：\n{text}",
    "staff.withdrawn": "工单 {number} 已被群众撤销，无需继续办理。",
    "staff.ext_approved": "工单 {number} 延期已批准，新的办理时限：{deadline}。",
    "staff.ext_denied": "工单 {number} 的延期申请未获批准，请在原时限 {deadline} 前办结。",
    "staff.cases_empty": "本单位目前没有在办工单。",
    "staff.cases_header": "本单位在办工单：",
    "staff.cases_line": "{number}  {state}  办理时限 {deadline}",
    "dispatch.card": (
        "【待派单】{number}\n类型：{type}{urgent}\n类别：{category}\n地点：{place}\n内容：{text}\n"
        "路由建议：{suggestion}"
    ),
    "dispatch.returned_by": "{unit}退回：{reason}",
    "dispatch.pick": "工单 {number}：请选择承办单位",
    "dispatch.assigned": "工单 {number} 已派往{unit}。",
    "dispatch.queue_empty": "目前没有待派单的工单。",
    "super.ext_request": (
        "【延期申请】工单 {number}（{unit}）\n申请延期{days}个工作日\n原因：{reason}\n"
        "当前办理时限：{deadline}\n已延期{already}个工作日（上限{cap}）"
    ),
    "super.ext_approved": "已批准：工单 {number} 新的办理时限 {deadline}。",
    "super.ext_denied": "已驳回工单 {number} 的延期申请。",
    "super.overdue_none": "目前没有超期工单。",
    "super.overdue_header": "超期工单（共{n}件）：",
    "super.overdue_unit": "【{unit}】",
    "super.overdue_line": "{number} {kind}超期，时限 {deadline}",
    "super.overdue.sign": "签收",
    "super.overdue.handle": "办理",
    "super.stats_usage": "用法：/stats [today|week|month]",
    "actor.resident": "群众",
    "actor.system": "系统",
    "actor.staff": "承办人",
    "actor.dispatcher": "派单员",
    "actor.supervisor": "督查员",
    "super.history": "办理记录：",
    "super.event": "{time} {actor} {action} {note}",
    "resident.dispatched": "您的工单 {number} 已派往：{unit}，请耐心等待办理。",
    "resident.signed": "您的工单 {number} 已由{unit}签收，正在办理。",
    "resident.reply": "{unit}就工单 {number} 回复您：\n{text}",
    "resident.extended": "您的工单 {number} 办理期限延长至 {deadline}。\n原因：{reason}",
    "resident.resolved": "您的工单 {number} 已办结。\n办理结果：{result}",
    "resident.requeued": "您的工单 {number} 正在重新派单，进展会在这里通知您。",
    "resident.add_usage": "用法：/add 工单号 补充内容，例如：/add AN20261125-0007 垃圾还没清走",
    "resident.add_prompt": "请发送：/add {number} 补充内容",
    "resident.add_ask": "请发送要补充给工单 {number} 的内容（发送 /cancel 放弃）：",
    "resident.triage": "您有在办的工单：\n{cases}\n这条消息是对工单的补充，还是新的诉求？",
    "resident.triage_line": "{number}  {state}  {unit}",
    "resident.triage_choose": "请点下面的按钮选择：补充到工单，或作为新的诉求。",
    "btn.add_to": "补充到 {number}",
    "btn.new_case": "新的诉求",
    "resident.info_added": "补充信息已记录并转给承办单位。",
    "resident.not_open": "该工单已结束，不能再补充或撤销。",
    "resident.withdraw_usage": "用法：/withdraw 工单号",
    "resident.withdrawn": "工单 {number} 已撤销。",
    "resident.cannot_withdraw": "该工单已签收办理，不能撤销。如有问题可以用 /add 补充说明。",
    "event.assigned": "已派单至 {unit}",
    "event.returned": "重新派单中",
    "event.signed": "{unit} 已签收",
    "event.replied": "承办单位回复：{note}",
    "event.extension_approved": "办理期限已延长",
    "event.resolved": "已办结：{note}",
    "event.info_added": "补充了信息",
    "event.withdrawn": "已撤销",
    # -- follow-ups, feedback, reminders, reports (issue 4): add keys below this line --
    "fu.sign_remind": (
        "【签收提醒】工单 {number}（{type}，{category}）已派至{unit}，请于 {deadline} 前签收。"
    ),
    "fu.sign_overdue": (
        "【超时未签收】工单 {number} 派至{unit}，签收时限 {deadline} 已过，仍未签收。"
    ),
    "fu.warn": "【黄灯预警】工单 {number}（{type}，{category}）将于 {deadline} 到期，请抓紧办理。",
    "fu.overdue_head": "【催办】工单 {number}（{unit}）已超过办理时限 {deadline}，请督促尽快办结。",
    "fu.overdue_supervisor": "【超期提醒】工单 {number}（{unit}）已超过办理时限 {deadline}。",
    "fu.escalate": (
        "【列入通报】工单 {number}（{unit}）超期已满{days}个工作日（时限 {deadline}），"
        "将列入本周通报。"
    ),
    "fu.callback": (
        "【回访】您的工单 {number} 已由{unit}办结。\n办理结果：{result}\n请问您反映的问题解决了吗？"
    ),
    "fu.no_result": "（未填写）",
    "fu.btn.resolved.y": "是",
    "fu.btn.resolved.n": "否",
    "fu.ask_satisfaction": "请问您对工单 {number} 的办理结果满意吗？",
    "fu.btn.satisfied": "满意",
    "fu.btn.basic": "基本满意",
    "fu.btn.dissatisfied": "不满意",
    "fu.thanks": "感谢您的评价！工单 {number} 已归档。如有补充意见，可在10分钟内直接回复文字。",
    "fu.reopened_resident": (
        "很抱歉没有让您满意。工单 {number} 已重新交由{unit}办理（重办），办理时限为 {deadline}。"
        "如有补充意见，可在10分钟内直接回复文字。"
    ),
    "fu.reopened_unit": (
        "【重办】工单 {number} 回访不满意，已重新交办，请于 {sign_deadline} 前签收，"
        "{deadline} 前办结。"
    ),
    "fu.review_resident": "很抱歉没有让您满意。工单 {number} 已转交督查人员复核，结果会通知您。",
    "fu.review_supervisor": (
        "【不满意复核】工单 {number}（{unit}）已重办{reopens}次，群众仍不满意，请复核。"
    ),
    "fu.comment_saved": "您的意见已记录，谢谢！",
    "fu.comment_relay": "【群众意见】工单 {number}：{comment}",
    "fu.already_rated": "该工单已经评价过了，谢谢！",
    "fu.digest": (
        "【每日汇总】{date}\n近24小时受理 {received} 件，办结 {resolved} 件\n"
        "待派单 {pending}，待签收 {unsigned}（超时 {sign_late}），办理中 {in_hand}\n"
        "办理超期 {overdue} 件\n发送失败的消息 {dead} 条"
    ),
    "fu.digest.dead_line": "  #{id} {channel}/{recipient}：{error}",
    "fu.bulletin": "【超期通报】{week}\n以下单位有超期工单（超期满{days}个工作日的列入通报）：",
    "fu.bulletin.line": "{unit}：超期 {overdue} 件，列入通报 {escalated} 件（{numbers}）",
    "fu.bulletin.none": "【超期通报】{week}\n本周无超期工单。",
    "report.title": "工单统计 {start} 至 {end}（截至 {now}）",
    "report.total": "合计",
    "report.no_unit": "待派单",
    "report.na": "—",
    "report.hours": "{hours}工作小时",
    "report.row": (
        "{unit}：受理 {received}，办结 {closed}，在办 {in_progress}，办结率 {closure_rate}，"
        "按期办结率 {on_time_rate}，当前超期 {overdue_now}，解决率 {resolved_rate}，"
        "满意率 {satisfaction_rate}（评价 {rated}，未评价 {unrated}），"
        "平均签收 {avg_sign}，平均办结 {avg_close}"
    ),
    # -- wechat (issue 5): add keys below this line --
    "wechat.choose_number": "回复数字选择：",
    "wechat.ask_case_number": "请发送要查询的工单号，例如 AN20261125-0007：",
    "wechat.held_notice": "您不在线期间有{n}条工单通知，马上发给您。",
    "wechat.template_summary": "您的工单有新进展，回复任意消息查看详情。",
    "wechat.photos_attached": "（附{n}张图片）",
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
        "/mycases your cases\n/status NUMBER progress of a case\n"
        "/add NUMBER text add information\n/withdraw NUMBER withdraw a case not yet signed\n"
        "/help this help\n"
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
    "ask_share": (
        "May the office handling your case see this number to call you? If not, only the "
        "hotline centre sees it and the office answers you here."
    ),
    "summary.phone_shared": "visible to the office",
    "summary.phone_private": "hotline centre only",
    "btn.share_yes": "Allow",
    "btn.share_no": "Don't allow",
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
    "intake.description_kept": "Got your description; it is saved.",
    "intake.already_filed": (
        "Your request was already filed as case {number}. Send /status {number} to follow it."
    ),
    "refusal.not_found": "No such case.",
    "refusal.not_your_unit": "This case does not belong to your unit.",
    "refusal.stale": "This card is out of date: the case has moved on. Use the newest message.",
    "refusal.wrong_state": "The case has moved on (now: {state}); this action no longer applies.",
    "refusal.forbidden": "That action is not allowed.",
    "refusal.return_window_closed": (
        "The return window closed at {deadline}; your unit must handle this case."
    ),
    "refusal.extension_too_late": "The handling deadline has passed; no extension now.",
    "refusal.extension_pending": "An extension request for this case is awaiting a decision.",
    "refusal.extension_cap": "This case has reached the extension cap ({cap} working days).",
    "refusal.bad_days": "Please type a whole number from 1 to {left}.",
    "refusal.already_decided": "That extension request was already decided.",
    "refusal.already_rated": "This case was already rated, thank you!",
    "refusal.unknown_unit": "No such unit; please choose one from the list.",
    "refusal.bad_input": "The text is empty or too long; please type it again.",
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
    "role.staff": "case officer",
    "role.head": "head of unit",
    "role.dispatcher": "dispatcher",
    "role.supervisor": "supervisor",
    "desk.help.staff": (
        "You are {role} at {unit}. New cases arrive as cards: sign, reply, ask for more time, "
        "return or close them there.\n/cases open cases of your unit\n/case NUMBER one case\n"
        "/cancel drop what you are typing"
    ),
    "desk.help.dispatcher": (
        "You are a dispatcher. Cases awaiting dispatch and returned cases come to you.\n"
        "/queue cases awaiting dispatch\n/case NUMBER one case\n/cancel drop what you are typing"
    ),
    "desk.help.supervisor": (
        "You are a supervisor. Extension requests come to you.\n/overdue overdue cases\n"
        "/stats [today|week|month] figures\n/case NUMBER one case"
    ),
    "desk.refused": "That action is not allowed.",
    "desk.stale": "This card is out of date: the case has moved on. Use the newest message.",
    "desk.unknown_command": "Unknown command: {command}. Send /help for the commands.",
    "desk.input_dropped": "Dropped.",
    "desk.nothing_pending": "You are not typing anything for a case right now.",
    "desk.expected_text": "Please type text, or press Cancel.",
    "desk.case_usage": "Add the case number, e.g. /case AN20261125-0007",
    "desk.case_not_found": "No such case.",
    "join.usage": "Add the invite code, e.g. /join ABCDE-FGHJK",
    "join.invalid": "That invite code is not valid, has expired or was used. Ask for a new one.",
    "join.private_only": "Send /join CODE in a private chat with the bot.",
    "join.done": "Done: you are {role} at {unit}.",
    "bindgroup.usage": "Add the invite code, e.g. /bindgroup ABCDE-FGHJK",
    "bindgroup.group_only": "Send /bindgroup CODE in the group that should receive cases.",
    "bindgroup.done": "This group now receives the new cases of {unit}.",
    "card.new": "[New case]",
    "card.current": "[Case]",
    "card.body": (
        "Number: {number}\nType: {type}{urgent}\nCategory: {category}\nPlace: {place}\n"
        "Text: {text}\nContact: {contact}\nState: {state}\nSign by: {sign}\nHandle by: {handle}"
    ),
    "card.urgent": " (urgent)",
    "card.none": "none",
    "card.hidden": "anonymous/hidden",
    "card.photos": "{n} photo(s) attached",
    "btn.sign": "Sign",
    "btn.reply": "Reply",
    "btn.extend": "More time",
    "btn.return": "Return",
    "btn.resolve": "Close",
    "btn.add_info": "Add information",
    "btn.withdraw": "Withdraw",
    "btn.approve": "Approve",
    "btn.deny": "Deny",
    "btn.by_subdistrict": "Subdistricts",
    "btn.by_department": "Departments",
    "btn.prev": "Previous",
    "btn.next": "Next",
    "return.unit": "not our responsibility",
    "return.area": "address outside our area",
    "return.info": "information incomplete",
    "return.dup": "duplicate case",
    "staff.signed": "Case {number} signed; handle it by {handle}.",
    "staff.ask_reply": "Type your reply to the resident (relayed by the hotline, your identity "
    "is not shown):",
    "staff.replied": "Reply passed on to the resident.",
    "staff.ask_ext_reason": "Why do you need more time?",
    "staff.ask_ext_days": "How many working days (at most {left} more)?",
    "staff.ext_bad_days": "Please type a whole number from 1 to {left}.",
    "staff.ext_cap_reached": "This case has reached the extension cap ({cap} working days).",
    "staff.ext_pending": "An extension request for this case is awaiting a decision.",
    "staff.ext_too_late": "The handling deadline has passed; no extension can be asked now.",
    "staff.ext_requested": "Extension of {days} working days requested; a supervisor decides.",
    "staff.ask_ret_reason": "Why are you returning it?",
    "staff.ask_ret_note": "Add a note (e.g. which unit should handle it), or press Skip:",
    "staff.return_closed": "The return window closed at {deadline}; your unit must handle it.",
    "staff.returned": "Case {number} returned; a dispatcher will reassign it.",
    "staff.ask_result": "Type the result (the resident is told):",
    "staff.ask_result_photos": "Send photos of the result now if any (up to {max}), then press "
    "Done.",
    "staff.result_photo": "Photo {n} received. Send more or press Done.",
    "staff.resolved": "Case {number} closed; the resident is told the result.",
    "staff.info_added": "[Resident added information] case {number}:\n{text}",
    "staff.withdrawn": "Case {number} was withdrawn by the resident; no further work is needed.",
    "staff.ext_approved": "Extension for case {number} approved; new deadline {deadline}.",
    "staff.ext_denied": "Extension for case {number} denied; the deadline stays {deadline}.",
    "staff.cases_empty": "Your unit has no open cases.",
    "staff.cases_header": "Open cases of your unit:",
    "staff.cases_line": "{number}  {state}  due {deadline}",
    "dispatch.card": (
        "[Awaiting dispatch] {number}\nType: {type}{urgent}\nCategory: {category}\n"
        "Place: {place}\nText: {text}\nSuggested: {suggestion}"
    ),
    "dispatch.returned_by": "Returned by {unit}: {reason}",
    "dispatch.pick": "Case {number}: pick the unit",
    "dispatch.assigned": "Case {number} sent to {unit}.",
    "dispatch.queue_empty": "No cases are awaiting dispatch.",
    "super.ext_request": (
        "[Extension request] case {number} ({unit})\n{days} working days\nReason: {reason}\n"
        "Current deadline: {deadline}\nAlready extended: {already} (cap {cap})"
    ),
    "super.ext_approved": "Approved: case {number} is now due {deadline}.",
    "super.ext_denied": "Denied the extension of case {number}.",
    "super.overdue_none": "No overdue cases.",
    "super.overdue_header": "Overdue cases ({n}):",
    "super.overdue_unit": "[{unit}]",
    "super.overdue_line": "{number} {kind} overdue, due {deadline}",
    "super.overdue.sign": "signing",
    "super.overdue.handle": "handling",
    "super.stats_usage": "Usage: /stats [today|week|month]",
    "actor.resident": "resident",
    "actor.system": "system",
    "actor.staff": "case officer",
    "actor.dispatcher": "dispatcher",
    "actor.supervisor": "supervisor",
    "super.event": "{time} {actor} {action} {note}",
    "super.history": "History:",
    "resident.dispatched": "Your case {number} was sent to {unit}.",
    "resident.signed": "Your case {number} was signed for by {unit} and is being handled.",
    "resident.reply": "{unit} replies about case {number}:\n{text}",
    "resident.extended": "Your case {number} is now due {deadline}.\nReason: {reason}",
    "resident.resolved": "Your case {number} is resolved.\nResult: {result}",
    "resident.requeued": "Your case {number} is being reassigned; we will tell you here.",
    "resident.add_usage": "Usage: /add NUMBER text, e.g. /add AN20261125-0007 still not cleared",
    "resident.add_ask": "Send what you want to add to case {number} (/cancel to drop it):",
    "resident.triage": "You have open cases:\n{cases}\nDoes this add to a case, or is it new?",
    "resident.triage_line": "{number}  {state}  {unit}",
    "resident.triage_choose": "Please press a button: add it to a case, or start a new one.",
    "btn.add_to": "Add to {number}",
    "btn.new_case": "A new case",
    "resident.add_prompt": "Send: /add {number} your additional information",
    "resident.info_added": "Your information was added and passed on to the unit.",
    "resident.not_open": "That case is finished; it cannot be changed or withdrawn.",
    "resident.withdraw_usage": "Usage: /withdraw NUMBER",
    "resident.withdrawn": "Case {number} withdrawn.",
    "resident.cannot_withdraw": "The unit has signed for it, so it cannot be withdrawn; use /add "
    "to tell them more.",
    "event.assigned": "sent to {unit}",
    "event.returned": "being reassigned",
    "event.signed": "signed for by {unit}",
    "event.replied": "the unit replied: {note}",
    "event.extension_approved": "deadline extended",
    "event.resolved": "resolved: {note}",
    "event.info_added": "you added information",
    "event.withdrawn": "withdrawn",
    # -- follow-ups, feedback, reminders, reports (issue 4): add keys below this line --
    "fu.sign_remind": (
        "[Sign reminder] Case {number} ({type}, {category}) was sent to {unit}; please sign "
        "for it by {deadline}."
    ),
    "fu.sign_overdue": "[Not signed] Case {number} at {unit} was due to be signed by {deadline}.",
    "fu.warn": "[Yellow light] Case {number} ({type}, {category}) is due by {deadline}.",
    "fu.overdue_head": "[Overdue] Case {number} ({unit}) passed its deadline {deadline}; please "
    "see that it is finished.",
    "fu.overdue_supervisor": "[Overdue] Case {number} ({unit}) passed its deadline {deadline}.",
    "fu.escalate": (
        "[Bulletin] Case {number} ({unit}) is {days} working days overdue (due {deadline}) and "
        "goes into this week's bulletin."
    ),
    "fu.callback": (
        "[Follow-up] Your case {number} was closed by {unit}.\nResult: {result}\n"
        "Was your problem solved?"
    ),
    "fu.no_result": "(none given)",
    "fu.btn.resolved.y": "Yes",
    "fu.btn.resolved.n": "No",
    "fu.ask_satisfaction": "Are you satisfied with how case {number} was handled?",
    "fu.btn.satisfied": "Satisfied",
    "fu.btn.basic": "Mostly satisfied",
    "fu.btn.dissatisfied": "Not satisfied",
    "fu.thanks": "Thank you! Case {number} is archived. To add a comment, reply within 10 minutes.",
    "fu.reopened_resident": (
        "We are sorry. Case {number} is reopened with {unit}, due by {deadline}. To add a "
        "comment, reply within 10 minutes."
    ),
    "fu.reopened_unit": (
        "[Reopened] Case {number}: the resident was not satisfied. Sign by {sign_deadline}, "
        "finish by {deadline}."
    ),
    "fu.review_resident": "We are sorry. Case {number} goes to a supervisor for review.",
    "fu.review_supervisor": (
        "[Review] Case {number} ({unit}) was reopened {reopens} times and the resident is still "
        "not satisfied."
    ),
    "fu.comment_saved": "Your comment is recorded, thank you!",
    "fu.comment_relay": "[Resident's comment] Case {number}: {comment}",
    "fu.already_rated": "This case has already been rated, thank you!",
    "fu.digest": (
        "[Daily digest] {date}\nLast 24 h: {received} received, {resolved} resolved\n"
        "Awaiting dispatch {pending}, awaiting signature {unsigned} (late {sign_late}), "
        "in hand {in_hand}\nOverdue {overdue}\nUndeliverable messages {dead}"
    ),
    "fu.digest.dead_line": "  #{id} {channel}/{recipient}: {error}",
    "fu.bulletin": (
        "[Overdue bulletin] {week}\nUnits with overdue cases ({days}+ working days overdue are "
        "listed):"
    ),
    "fu.bulletin.line": "{unit}: {overdue} overdue, {escalated} listed ({numbers})",
    "fu.bulletin.none": "[Overdue bulletin] {week}\nNo overdue cases this week.",
    "report.title": "Cases {start} to {end} (as of {now})",
    "report.total": "Total",
    "report.no_unit": "awaiting dispatch",
    "report.na": "-",
    "report.hours": "{hours} office hours",
    "report.row": (
        "{unit}: received {received}, closed {closed}, in progress {in_progress}, closure rate "
        "{closure_rate}, on time {on_time_rate}, overdue now {overdue_now}, resolved rate "
        "{resolved_rate}, satisfaction {satisfaction_rate} (rated {rated}, unrated {unrated}), "
        "avg. to sign {avg_sign}, avg. to close {avg_close}"
    ),
    # -- wechat (issue 5): add keys below this line --
    "wechat.choose_number": "Reply with a number:",
    "wechat.ask_case_number": "Please send the case number, e.g. AN20261125-0007:",
    "wechat.held_notice": "{n} case notice(s) came while you were away; sending them now.",
    "wechat.template_summary": "Your case has news; reply with any message to read it.",
    "wechat.photos_attached": "({n} photo(s) attached)",
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
