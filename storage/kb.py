"""Knowledge-base questions (知识库问答): what was asked, what was shown, and whether it helped.

The chat records each question it answers or fails to answer (`record_kb_answer`) and the
resident's reply to "解决了吗?" (`record_kb_outcome`); the figures (`kb_figures`) and the list of
questions no entry matched (`unmatched_questions`) come from these rows. Session passed in; the
caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import KbQuery

SHOWN = "shown"
SOLVED = "solved"
UNSOLVED = "unsolved"
HANDOFF = "handoff"
NO_MATCH = "no_match"
# What a resident's reply to a shown answer can be.
REPLIES = (SOLVED, UNSOLVED, HANDOFF)
OUTCOMES = (SHOWN, *REPLIES, NO_MATCH)


class KbOutcomeError(ValueError):
    """An outcome that does not exist, or a second, different reply to one answer."""


async def record_kb_answer(
    *,
    session: AsyncSession,
    channel: str,
    text: str,
    entry_id: str | None,
    score: float | None,
    now: datetime,
    resident_id: int | None = None,
) -> KbQuery:
    """One question: `entry_id` is the answer shown (outcome "shown"), None when none matched
    (outcome "no_match")."""
    row = KbQuery(
        asked_at=now,
        channel=channel,
        resident_id=resident_id,
        text=text,
        entry_id=entry_id,
        score=score,
        outcome=SHOWN if entry_id is not None else NO_MATCH,
    )
    session.add(row)
    await session.flush()
    return row


async def record_kb_outcome(
    *,
    session: AsyncSession,
    query_id: int,
    outcome: str,
    now: datetime,
    case_id: int | None = None,
) -> KbQuery | None:
    """The resident's reply to a shown answer (solved, unsolved or handoff), and the case filed
    after it. None if there is no such question. Pressing the same button twice changes nothing;
    a different reply after the first is refused (a stale card)."""
    if outcome not in REPLIES:
        raise KbOutcomeError(f"unknown reply {outcome!r}; use one of {', '.join(REPLIES)}")
    row = await session.get(KbQuery, query_id, with_for_update=True)
    if row is None:
        return None
    if row.outcome == NO_MATCH:
        if case_id is not None:
            row.case_id = case_id  # the case filed because nothing matched
        return row
    if row.outcome == SHOWN:
        row.outcome = outcome
        row.outcome_at = now
    elif row.outcome != outcome:
        raise KbOutcomeError(f"question {query_id} was already answered {row.outcome!r}")
    if case_id is not None:
        row.case_id = case_id
    return row


@dataclass(frozen=True, slots=True)
class KbFigures:
    """Counts over a period; `solved` questions were answered without a case."""

    asked: int
    shown: int  # an answer was shown (whatever the reply)
    solved: int
    unsolved: int
    handoff: int
    unanswered: int  # shown, no reply yet
    no_match: int

    @property
    def solved_rate(self) -> float | None:
        """已解决 among the replies (unanswered ones are left out); None without replies."""
        replied = self.solved + self.unsolved + self.handoff
        return self.solved / replied if replied else None

    @property
    def match_rate(self) -> float | None:
        return self.shown / self.asked if self.asked else None


def _period(since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if since is not None:
        clauses.append(KbQuery.asked_at >= since)
    if until is not None:
        clauses.append(KbQuery.asked_at < until)
    return clauses


async def kb_figures(
    *, session: AsyncSession, since: datetime | None = None, until: datetime | None = None
) -> KbFigures:
    statement = (
        select(KbQuery.outcome, func.count())
        .where(*_period(since, until))
        .group_by(KbQuery.outcome)
    )
    counts = {outcome: n for outcome, n in (await session.execute(statement)).all()}
    shown = sum(counts.get(o, 0) for o in (SHOWN, *REPLIES))
    return KbFigures(
        asked=shown + counts.get(NO_MATCH, 0),
        shown=shown,
        solved=counts.get(SOLVED, 0),
        unsolved=counts.get(UNSOLVED, 0),
        handoff=counts.get(HANDOFF, 0),
        unanswered=counts.get(SHOWN, 0),
        no_match=counts.get(NO_MATCH, 0),
    )


@dataclass(frozen=True, slots=True)
class EntryFigures:
    """How one entry fared: shown, and the replies to it."""

    entry_id: str
    shown: int
    solved: int
    unsolved: int
    handoff: int


async def entry_figures(
    *, session: AsyncSession, since: datetime | None = None, until: datetime | None = None
) -> list[EntryFigures]:
    """Per entry, most shown first."""
    statement = (
        select(KbQuery.entry_id, KbQuery.outcome, func.count())
        .where(KbQuery.entry_id.is_not(None), *_period(since, until))
        .group_by(KbQuery.entry_id, KbQuery.outcome)
    )
    per: dict[str, dict[str, int]] = {}
    for entry_id, outcome, n in (await session.execute(statement)).all():
        if entry_id is not None:
            per.setdefault(entry_id, {})[outcome] = n
    rows = [
        EntryFigures(
            entry_id=entry_id,
            shown=sum(c.values()),
            solved=c.get(SOLVED, 0),
            unsolved=c.get(UNSOLVED, 0),
            handoff=c.get(HANDOFF, 0),
        )
        for entry_id, c in per.items()
    ]
    return sorted(rows, key=lambda r: (-r.shown, r.entry_id))


async def unmatched_questions(
    *,
    session: AsyncSession,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20,
) -> Sequence[tuple[str, int]]:
    """Questions no entry matched, commonest first: the entries a centre should write next."""
    statement = (
        select(KbQuery.text, func.count().label("n"))
        .where(KbQuery.outcome == NO_MATCH, *_period(since, until))
        .group_by(KbQuery.text)
        .order_by(func.count().desc(), KbQuery.text)
        .limit(limit)
    )
    return [(text, n) for text, n in (await session.execute(statement)).all()]
