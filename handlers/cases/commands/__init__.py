"""Case commands: the only writer of a case (design.md §5).

Every surface (chat desks, the web workbench, the resident web page, Open311, the follow-up
sweep) changes a case by calling one of these with a `CommandContext` (the caller's
transaction), an `Actor` built from stored records, the case and the version the actor saw.
Each command checks permission, state and version; writes state, version, deadlines, events and
outbox notifications; and returns the result or raises `Refusal` with a reason code. A test
(tests/test_case_writers.py) holds that no other module writes a case.
"""

from handlers.cases.actor import SYSTEM, Actor, ActorKind
from handlers.cases.commands.context import CommandContext
from handlers.cases.commands.dispatch import assign
from handlers.cases.commands.filing import NewCase, file_case
from handlers.cases.commands.merge import dismiss_duplicate, merge, unmerge
from handlers.cases.commands.resident import add_info, answer_resolved, comment, rate, withdraw
from handlers.cases.commands.supervisor import decide_extension
from handlers.cases.commands.system import (
    auto_close,
    callback_sent,
    close,
    record_timer,
    reopen,
    to_review,
)
from handlers.cases.commands.unit import (
    may,
    may_extend,
    reply,
    request_extension,
    resolve,
    return_case,
    sign,
)
from handlers.cases.refusal import Refusal, RefusalCode

__all__ = [
    "SYSTEM",
    "Actor",
    "ActorKind",
    "CommandContext",
    "NewCase",
    "Refusal",
    "RefusalCode",
    "add_info",
    "answer_resolved",
    "assign",
    "auto_close",
    "callback_sent",
    "close",
    "comment",
    "decide_extension",
    "dismiss_duplicate",
    "file_case",
    "may",
    "may_extend",
    "merge",
    "rate",
    "record_timer",
    "reopen",
    "reply",
    "request_extension",
    "resolve",
    "return_case",
    "sign",
    "to_review",
    "unmerge",
    "withdraw",
]
