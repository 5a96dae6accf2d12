"""Labelled routing examples (dispatcher corrections, returns, imports) to retrain the router,
and the query that gathers everything the router can learn from."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, LabelledExample

# Where an example came from. A "dispatcher" example names the right unit; a "return" example
# names the unit that sent the case back, i.e. a unit the text does NOT belong to.
SOURCE_DISPATCHER = "dispatcher"
SOURCE_RETURN = "return"


def add_example(
    *,
    session: AsyncSession,
    text: str,
    unit: str | None,
    category: str | None,
    subcategory: str | None,
    source: str,
    case_id: int | None,
    now: datetime,
) -> LabelledExample:
    example = LabelledExample(
        text=text,
        unit_name=unit,
        category=category,
        subcategory=subcategory,
        source=source,
        case_id=case_id,
        created_at=now,
    )
    session.add(example)
    return example


@dataclass(frozen=True, slots=True)
class TrainingExample:
    """A message and the unit that turned out to be right for it, for retraining the router."""

    text: str
    unit: str
    at: datetime  # when the case (or the example) was made
    source: str  # SOURCE_CLOSED, SOURCE_DISPATCHER or SOURCE_RETURN
    case_id: int | None


# A case its unit carried to the end: the unit it went to was the right one.
SOURCE_CLOSED = "closed"
# Which evidence wins when one case has several: the unit that finished it, then the unit the
# dispatcher chose, then where a returned case went next.
_PRIORITY = {SOURCE_CLOSED: 0, SOURCE_DISPATCHER: 1, SOURCE_RETURN: 2}


async def training_examples(
    *, session: AsyncSession, closed_states: Collection[str], since: datetime | None = None
) -> list[TrainingExample]:
    """One labelled example per case (and each stored example without a case), oldest first:

    * cases closed by the unit they went to (state in `closed_states`, a unit set);
    * dispatcher corrections: the unit the dispatcher chose;
    * returned cases that have a unit again: their final unit, never the one that returned it.

    Storage knows no workflow, so the caller names the closed states.
    """
    found: dict[object, TrainingExample] = {}

    def keep(example: TrainingExample) -> None:
        key: object = example.case_id if example.case_id is not None else ("no case", len(found))
        old = found.get(key)
        if old is None or _PRIORITY[example.source] < _PRIORITY[old.source]:
            found[key] = example

    closed = select(Case.id, Case.description, Case.unit_name, Case.created_at).where(
        Case.state.in_(list(closed_states)), Case.unit_name.is_not(None)
    )
    if since is not None:
        closed = closed.where(Case.created_at >= since)
    for case_id, text, unit, at in await session.execute(closed):
        if unit:
            keep(TrainingExample(text, unit, at, SOURCE_CLOSED, case_id))
    # Dated by the case when there is one: the time a message came in orders the history.
    corrections = (
        select(
            LabelledExample.text,
            LabelledExample.unit_name,
            func.coalesce(Case.created_at, LabelledExample.created_at),
            LabelledExample.case_id,
        )
        .outerjoin(Case, Case.id == LabelledExample.case_id)
        .where(LabelledExample.source == SOURCE_DISPATCHER, LabelledExample.unit_name.is_not(None))
    )
    if since is not None:
        corrections = corrections.where(LabelledExample.created_at >= since)
    for text, chosen, made, of_case in await session.execute(corrections):
        if chosen:
            keep(TrainingExample(text, chosen, made, SOURCE_DISPATCHER, of_case))
    # A return names the unit the case is NOT for; the case's unit now (if another) is its answer.
    returned = (
        select(Case.id, Case.description, Case.unit_name, Case.created_at)
        .join(LabelledExample, LabelledExample.case_id == Case.id)
        .where(
            LabelledExample.source == SOURCE_RETURN,
            Case.unit_name.is_not(None),
            Case.unit_name != LabelledExample.unit_name,
        )
        .distinct()
    )
    if since is not None:
        returned = returned.where(Case.created_at >= since)
    for case_id, text, unit, at in await session.execute(returned):
        if unit:
            keep(TrainingExample(text, unit, at, SOURCE_RETURN, case_id))
    return sorted(found.values(), key=lambda e: (e.at, e.case_id or 0))
