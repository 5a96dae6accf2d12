"""Storage of knowledge-base questions and proposals, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import create_engine, create_sessionmaker
from storage.kb import (
    KbOutcomeError,
    entry_figures,
    kb_figures,
    record_kb_answer,
    record_kb_outcome,
    unmatched_questions,
)
from storage.kb_proposals import (
    KbProposalError,
    decide_kb_proposal,
    kb_proposals,
    propose_kb_entry,
)
from storage.models import Case, Resident, StaffMember, Unit

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
UNIT = "区人力资源和社会保障局"
CLOSED = ("resolved", "closed")


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def _seed(sessions: async_sessionmaker[AsyncSession], *, state: str = "closed") -> None:
    """A unit, a resident, a 咨询 case of the unit in `state`, staff 1 of the unit, staff 2 not."""
    async with sessions() as s, s.begin():
        s.add_all([Unit(name=UNIT, kind="department"), Unit(name="区民政局", kind="department")])
        s.add(Resident(id=1, channel="console", external_id="r1", created_at=T0))
        await s.flush()
        s.add(
            Case(
                id=1,
                number="AN20261125-0001",
                resident_id=1,
                channel="console",
                request_type="question",
                state=state,
                unit_name=UNIT,
                description="社保卡丢了怎么补办",
                created_at=T0,
                updated_at=T0,
            )
        )
        s.add(
            StaffMember(
                id=1, unit_name=UNIT, role="staff", channel="tg", external_id="1", created_at=T0
            )
        )
        s.add(
            StaffMember(
                id=2,
                unit_name="区民政局",
                role="staff",
                channel="tg",
                external_id="2",
                created_at=T0,
            )
        )


async def test_answers_outcomes_and_figures(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Shown answers, replies and unmatched questions add up to the stats figures."""
    await _seed(sessions)
    async with sessions() as s, s.begin():
        a = await record_kb_answer(
            session=s,
            channel="telegram",
            text="社保卡丢了",
            entry_id="kb-shebaoka-lost",
            score=7.5,
            now=T0,
            resident_id=1,
        )
        b = await record_kb_answer(
            session=s,
            channel="wechat",
            text="身份证丢了",
            entry_id="kb-shenfenzheng-lost",
            score=6.0,
            now=T0,
        )
        c = await record_kb_answer(
            session=s,
            channel="web",
            text="社保卡丢了",
            entry_id="kb-shebaoka-lost",
            score=7.5,
            now=T0,
        )
        await record_kb_answer(
            session=s, channel="web", text="暖气费在哪交", entry_id=None, score=None, now=T0
        )
        await record_kb_answer(
            session=s, channel="web", text="暖气费在哪交", entry_id=None, score=None, now=T0
        )
        await record_kb_answer(
            session=s, channel="web", text="水费怎么交", entry_id=None, score=None, now=T0
        )
        ids = (a.id, b.id, c.id)
    async with sessions() as s, s.begin():
        await record_kb_outcome(session=s, query_id=ids[0], outcome="solved", now=T0)
        row = await record_kb_outcome(
            session=s, query_id=ids[1], outcome="unsolved", now=T0, case_id=1
        )
        assert row is not None and row.case_id == 1
    async with sessions() as s:
        figures = await kb_figures(session=s)
        assert (figures.asked, figures.shown, figures.solved, figures.unsolved) == (6, 3, 1, 1)
        assert (figures.unanswered, figures.no_match, figures.handoff) == (1, 3, 0)
        assert figures.solved_rate == 0.5
        assert list(await unmatched_questions(session=s)) == [
            ("暖气费在哪交", 2),
            ("水费怎么交", 1),
        ]
        per = await entry_figures(session=s)
        assert (per[0].entry_id, per[0].shown, per[0].solved) == ("kb-shebaoka-lost", 2, 1)
        later = await kb_figures(session=s, since=T0 + timedelta(seconds=1))
        assert later.asked == 0


async def test_a_second_different_reply_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The same button twice changes nothing; another reply to the same answer is refused."""
    async with sessions() as s, s.begin():
        q = await record_kb_answer(
            session=s,
            channel="web",
            text="社保卡丢了",
            entry_id="kb-shebaoka-lost",
            score=7.5,
            now=T0,
        )
        await record_kb_outcome(session=s, query_id=q.id, outcome="solved", now=T0)
        again = await record_kb_outcome(session=s, query_id=q.id, outcome="solved", now=T0)
        assert again is not None and again.outcome == "solved"
        with pytest.raises(KbOutcomeError, match="already answered"):
            await record_kb_outcome(session=s, query_id=q.id, outcome="handoff", now=T0)
        with pytest.raises(KbOutcomeError, match="unknown reply"):
            await record_kb_outcome(session=s, query_id=q.id, outcome="shown", now=T0)
        assert await record_kb_outcome(session=s, query_id=999, outcome="solved", now=T0) is None


async def test_proposal_from_a_closed_question_case_is_approved_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A unit proposes from its closed 咨询 case; a supervisor approves it; no second decision."""
    await _seed(sessions)
    async with sessions() as s, s.begin():
        p = await propose_kb_entry(
            session=s,
            case_id=1,
            proposed_by=1,
            title="社保卡补办",
            answer="带身份证到网点。",
            now=T0,
            request_type="question",
            closed_states=CLOSED,
        )
        pid = p.id
    async with sessions() as s, s.begin():
        decided = await decide_kb_proposal(
            session=s, proposal_id=pid, approve=True, now=T0, entry_id="kb-case-1"
        )
        assert (decided.status, decided.entry_id) == ("approved", "kb-case-1")
    async with sessions() as s, s.begin():
        rows = await kb_proposals(session=s, status="approved")
        assert [(r.id, n) for r, n in rows] == [(pid, "AN20261125-0001")]
        with pytest.raises(KbProposalError, match="already approved"):
            await decide_kb_proposal(session=s, proposal_id=pid, approve=False, now=T0)


@pytest.mark.parametrize(
    ("state", "staff", "fragment"),
    [("accepted", 1, "not a closed question case"), ("closed", 2, "not of the unit")],
)
async def test_proposals_need_a_closed_case_of_the_proposing_unit(
    sessions: async_sessionmaker[AsyncSession], state: str, staff: int, fragment: str
) -> None:
    """An open case, or staff of another unit, cannot propose an entry."""
    await _seed(sessions, state=state)
    async with sessions() as s, s.begin():
        with pytest.raises(KbProposalError, match=fragment):
            await propose_kb_entry(
                session=s,
                case_id=1,
                proposed_by=staff,
                title="标题",
                answer="答复",
                now=T0,
                request_type="question",
                closed_states=CLOSED,
            )
