"""Labelled routing examples (dispatcher corrections, returns, imports) to retrain the router."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LabelledExample

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
