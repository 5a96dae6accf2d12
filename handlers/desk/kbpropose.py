"""A unit proposes a knowledge entry (知识条目) from a 咨询 case it closed, in chat:
``/propose NUMBER``. The proposal is pre-filled from the question and the unit's answer; a
supervisor approves it (it becomes an entry file) or rejects it, on the workbench's 知识库 page or
with ``hotline kb proposals``. Proposing is not a case write: the case is only read, and the
proposal is stored on its own (storage checks unit, type and state again).
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.context import CoreDeps
from handlers.conversation.turn import Turn
from handlers.errors import UserError
from handlers.policy.casetypes import RequestType
from handlers.policy.lifecycle import CaseState
from handlers.validation import mask_personal_data
from storage.caselist import case_by_number, events_of_cases
from storage.kb_proposals import KbProposalError, propose_kb_entry
from storage.models import CaseEvent, StaffMember

QUESTION = RequestType.QUESTION.value
CLOSED_STATES = (CaseState.RESOLVED.value, CaseState.CLOSED.value)
_TITLE_CHARS = 200


def unit_answer(events: Sequence[CaseEvent]) -> str:
    """The unit's last words to the resident: the 办结 result, else its last reply."""
    for action in ("resolved", "replied"):
        notes = [e.note for e in events if e.action == action and e.note]
        if notes:
            return notes[-1]
    return ""


def proposal_title(description: str) -> str:
    """The resident's question, personal data masked, as the entry's title."""
    return mask_personal_data(description).strip()[:_TITLE_CHARS]


class KbProposals:
    def __init__(self, deps: CoreDeps) -> None:
        self.t = deps.texts

    async def propose(self, turn: Turn, member: StaffMember, argument: str) -> None:
        number = argument.strip().upper()
        if not number:
            raise UserError("desk.kb_propose_usage")
        case = await case_by_number(session=turn.session, number=number)
        if case is None or case.unit_name != member.unit_name:
            raise UserError("desk.kb_propose_refused", number=number[:32])
        events = (await events_of_cases(session=turn.session, case_ids=[case.id]))[case.id]
        try:
            proposal = await propose_kb_entry(
                session=turn.session,
                case_id=case.id,
                proposed_by=member.id,
                title=proposal_title(case.description),
                answer=mask_personal_data(unit_answer(events)),
                now=turn.now,
                request_type=QUESTION,
                closed_states=CLOSED_STATES,
            )
        except KbProposalError as exc:
            raise UserError("desk.kb_propose_refused", number=case.number) from exc
        turn.say(self.t("desk.kb_proposed", number=case.number, id=proposal.id))
