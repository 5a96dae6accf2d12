"""Knowledge entries proposed by units from closed 咨询 cases, and a supervisor's decision.

Storage knows no workflow: the caller passes the request type and states that allow a proposal
(as `storage.casequeries` takes states). Session passed in; the caller commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, KbProposal, StaffMember

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)


class KbProposalError(ValueError):
    """A proposal that may not be made or decided; the message says why."""


async def propose_kb_entry(
    *,
    session: AsyncSession,
    case_id: int,
    proposed_by: int,
    title: str,
    answer: str,
    now: datetime,
    request_type: str,
    closed_states: Collection[str],
) -> KbProposal:
    """A unit's proposal from one of its own cases of `request_type` in one of `closed_states`."""
    if not title.strip() or not answer.strip():
        raise KbProposalError("a proposal needs a title and an answer")
    case = await session.get(Case, case_id)
    if case is None:
        raise KbProposalError(f"no case {case_id}")
    if case.request_type != request_type or case.state not in closed_states:
        raise KbProposalError(f"case {case.number} is not a closed {request_type} case")
    staff = await session.get(StaffMember, proposed_by)
    if staff is None or staff.unit_name != case.unit_name:
        raise KbProposalError(f"staff {proposed_by} is not of the unit that handled {case.number}")
    proposal = KbProposal(
        case_id=case_id,
        proposed_by=proposed_by,
        unit_name=staff.unit_name,
        title=title.strip()[:200],
        answer=answer.strip(),
        status=PENDING,
        created_at=now,
    )
    session.add(proposal)
    await session.flush()
    return proposal


async def kb_proposals(
    *, session: AsyncSession, status: str | None = None
) -> Sequence[tuple[KbProposal, str]]:
    """Proposals (oldest first) with the number of the case each came from."""
    statement = (
        select(KbProposal, Case.number)
        .join(Case, Case.id == KbProposal.case_id)
        .order_by(KbProposal.id)
    )
    if status is not None:
        statement = statement.where(KbProposal.status == status)
    return [(p, number) for p, number in (await session.execute(statement)).all()]


async def decide_kb_proposal(
    *,
    session: AsyncSession,
    proposal_id: int,
    approve: bool,
    now: datetime,
    decided_by: int | None = None,
    entry_id: str | None = None,
    note: str | None = None,
) -> KbProposal:
    """Approve (naming the entry written) or reject a pending proposal. `decided_by` is the
    supervisor's staff id; None when decided from the command line by an administrator."""
    proposal = await session.get(KbProposal, proposal_id, with_for_update=True)
    if proposal is None:
        raise KbProposalError(f"no proposal {proposal_id}")
    if proposal.status != PENDING:
        raise KbProposalError(f"proposal {proposal_id} is already {proposal.status}")
    if approve and not entry_id:
        raise KbProposalError("an approval names the entry it wrote")
    proposal.status = APPROVED if approve else REJECTED
    proposal.decided_by = decided_by
    proposal.decided_at = now
    proposal.entry_id = entry_id if approve else None
    proposal.note = note
    return proposal
