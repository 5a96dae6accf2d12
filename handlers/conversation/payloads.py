"""Button payloads of the work desk (Telegram callback_data: at most 64 bytes, ASCII only).

Grammar (fields separated by ":"; ids and versions are decimal):

    s:<act>:<case_id>:<version>        a unit's case card: act = sign | reply | ext | ret | done
    s:rr:<code>                         return reason, inside a return being written
    s:ed:<days>                         extension length, inside an extension being written
    s:fin | s:skip | s:x                finish photos / skip the note / drop the input in progress
    d:m:<case_id>:<version>:<page>      dispatcher's unit menu: page = s (subdistricts) | d<n>
    d:as:<case_id>:<version>:<unit>     assign to a unit; unit = `unit_key(name)` (6 hex digits)
    v:ok:<event_id> | v:no:<event_id>   supervisor approves / denies an extension request
    r:add:<case_id> | r:wd:<case_id>:<version>   resident adds information / withdraws
    r:ta:<case_id> | r:tn                resident's "add to this case" / "new case"
    i:<act>[:<field>]                   the intake's own buttons (skip, done, anon, phone,
                                        share:y|n, submit, edit, cancel, back, kb:y|n|h)
    t:<type>                            request type; e:<target> edit target; cat:<n>|cat:none
    fb:r:<case_id>:<y|n> | fb:s:<case_id>:<sat|basic|dis>   callback answers (回访)
    m:mg:<case_id>:<parent_id>:<version>   并单: merge the case into the parent (issue 13)
    m:nd:<case_id>:<other_id>           不是重复: the suggested pair is not a duplicate
    m:um:<case_id>:<version>            拆单: undo a merge

One grammar, one parser: every surface builds payloads with `build` and reads them with `parse`.

Versioned: this grammar is version 1 and is written bare, so the buttons already sent in chats
stay valid. A later grammar writes `<version>!` before the prefix (`2!s:sign:…`); `parse` reads
the version first and gives None for one it does not know, so an old or newer button is answered
as "no longer available" and is never misread by the current grammar.

Everything here comes from the client and is only a request: the handlers check the stored
role, unit, state and version before acting.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

MAX_BYTES = 64
VERSION = 1  # the grammar `build` writes; see the module docstring
_VERSION_MARK = "!"

STAFF = "s"
DISPATCHER = "d"
SUPERVISOR = "v"
RESIDENT = "r"
INTAKE = "i"
TYPE = "t"
EDIT = "e"
CATEGORY = "cat"
FEEDBACK = "fb"
MERGE = "m"


class Payload(NamedTuple):
    """A parsed payload: its desk prefix, action and the remaining fields (still untrusted)."""

    prefix: str
    action: str
    fields: tuple[str, ...]
    version: int = VERSION

    def int_field(self, index: int) -> int | None:
        if index >= len(self.fields) or not self.fields[index].isdigit():
            return None
        return int(self.fields[index])


def parse(payload: str) -> Payload | None:
    """The payload in the current grammar; None if it is malformed, too long or of a version
    this code does not speak."""
    if len(payload.encode()) > MAX_BYTES:
        return None
    version = 1
    mark, bang, rest = payload.partition(_VERSION_MARK)
    if bang:
        if not mark.isdigit():
            return None
        version, payload = int(mark), rest
    parts = payload.split(":")
    if version != VERSION or len(parts) < 2:
        return None
    return Payload(prefix=parts[0], action=parts[1], fields=tuple(parts[2:]), version=version)


def build(*parts: object) -> str:
    payload = ":".join(str(p) for p in parts)
    if VERSION != 1:
        payload = f"{VERSION}{_VERSION_MARK}{payload}"
    if len(payload.encode()) > MAX_BYTES:
        # Telegram would reject the whole message when it is sent: fail where it is built.
        raise ValueError(f"button payload over {MAX_BYTES} bytes: {payload}")
    return payload


def card_action(act: str, case_id: int, version: int) -> str:
    return build(STAFF, act, case_id, version)


def unit_key(name: str) -> str:
    """A short stable id for a unit name (Chinese names would not fit in 64 bytes with the rest).

    A hash rather than a list index, so a directory change between showing the menu and pressing
    a button cannot assign the case to a different unit.
    """
    return hashlib.sha256(name.encode()).hexdigest()[:6]


def merge_action(case_id: int, parent_id: int, version: int) -> str:
    return build(MERGE, "mg", case_id, parent_id, version)


def dismiss_action(case_id: int, other_id: int) -> str:
    return build(MERGE, "nd", case_id, other_id)


def unmerge_action(case_id: int, version: int) -> str:
    return build(MERGE, "um", case_id, version)
