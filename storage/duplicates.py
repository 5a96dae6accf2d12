"""The duplicate index (issue 13): write a filed case's keys, look candidates up by key, prune,
and the merged children of a case for reports and the 台账 export.

Candidates are read through `ix_duplicate_keys_lookup` (sub-category, place key): the rows of
one cell, never the open cases at large. States are passed in, since storage knows no workflow.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, DuplicateKey


@dataclass(frozen=True, slots=True)
class IndexedCase:
    """A candidate: the case's id, number, state, unit, resident and the fingerprint it was
    filed with (`cases.dupe_fingerprint`, in the detector's compact form; {} if none)."""

    case_id: int
    number: str
    state: str
    unit_name: str | None
    resident_id: int
    fingerprint: dict[str, Any]


_KEY_COLUMNS = ["case_id", "place_key", "subcategory", "created_at"]
# PostgreSQL: all of a case's index rows in one INSERT … SELECT unnest(keys), a statement of one
# shape whatever the number of keys, so SQLAlchemy compiles it once (a multi-row VALUES list is
# never cached and was compiled on every filing).
_INSERT_KEYS = insert(DuplicateKey).from_select(
    _KEY_COLUMNS,
    select(
        bindparam("new_case_id", type_=Integer),
        func.unnest(bindparam("new_keys", type_=ARRAY(String))),
        bindparam("new_subcategory", type_=String),
        bindparam("new_created_at", type_=DuplicateKey.created_at.type),
    ),
)


async def index_case(
    *,
    session: AsyncSession,
    case_id: int,
    subcategory: str,
    keys: Collection[str],
    created_at: datetime,
) -> None:
    """The case under each of its keys, in one call: one INSERT … SELECT unnest on PostgreSQL,
    one executemany elsewhere (the case is flushed; its fingerprint travels with its own row)."""
    unique = sorted(set(keys))
    if not unique:
        return
    # On the connection: the ORM session would treat the rows as an ORM bulk INSERT.
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            _INSERT_KEYS, _key_params(case_id, subcategory, unique, created_at)
        )
        return
    rows = [
        {"case_id": case_id, "place_key": key, "subcategory": subcategory, "created_at": created_at}
        for key in unique
    ]
    await connection.execute(insert(DuplicateKey), rows)


def _key_params(case_id: int, subcategory: str, keys: list[str], at: datetime) -> dict[str, Any]:
    return {
        "new_case_id": case_id,
        "new_keys": keys,
        "new_subcategory": subcategory,
        "new_created_at": at,
    }


async def index_and_find(
    *,
    session: AsyncSession,
    case_id: int,
    keys: Collection[str],
    created_at: datetime,
    lookup: Lookup,
) -> list[IndexedCase]:
    """`candidates(lookup)` and `index_case` for a just-filed case: in one statement where the
    database allows a data-modifying CTE (PostgreSQL: the INSERT runs as a CTE of the look-up,
    which does not see the rows its own statement writes), else one after the other."""
    unique = sorted(set(keys))
    connection = await session.connection()
    if not unique or connection.dialect.name != "postgresql":
        found = await candidates(session=session, lookup=lookup)
        await index_case(
            session=session,
            case_id=case_id,
            subcategory=lookup.subcategory,
            keys=unique,
            created_at=created_at,
        )
        return found
    params = lookup.params() | _key_params(case_id, lookup.subcategory, unique, created_at)
    result = await connection.execute(_INDEX_AND_LOOK_UP, params)
    return [_indexed(row) for row in result.all()]


def _indexed(row: Any) -> IndexedCase:
    fields = (row.id, row.number, row.state, row.unit_name, row.resident_id)
    return IndexedCase(*fields, fingerprint=row.dupe_fingerprint or {})


def _lookup_statement() -> Select[Any]:
    """The candidate look-up, built once with bound parameters (the IN lists expand)."""
    closed_since: BindParameter[Any] = bindparam("closed_since")
    still_relevant = or_(
        Case.state.in_(bindparam("open_states", expanding=True)),
        and_(
            Case.state.in_(bindparam("recent_states", expanding=True)),
            or_(Case.closed_at >= closed_since, Case.resolved_at >= closed_since),
        ),
    )
    where_keys = or_(
        DuplicateKey.place_key.in_(bindparam("keys", expanding=True)),
        and_(
            DuplicateKey.place_key.in_(bindparam("area_keys", expanding=True)),
            DuplicateKey.created_at >= bindparam("area_since"),
        ),
    )
    return (
        # Columns, not ORM entities: no identity-map bookkeeping per row on every filing. Each
        # case once (grouped by its primary key, so its other columns may be selected), the
        # most recently indexed first, at most `limit` of them: the cap is applied by the
        # server, and only cases still relevant reach Python.
        select(
            Case.id,
            Case.number,
            Case.state,
            Case.unit_name,
            Case.resident_id,
            Case.dupe_fingerprint,
        )
        .join(DuplicateKey, DuplicateKey.case_id == Case.id)
        .where(
            DuplicateKey.subcategory == bindparam("subcategory"),
            where_keys,
            DuplicateKey.case_id != bindparam("exclude_case_id"),
            still_relevant,
        )
        .group_by(Case.id)
        .order_by(func.max(DuplicateKey.created_at).desc(), Case.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


_LOOKUP = _lookup_statement()
_INDEX_AND_LOOK_UP = _LOOKUP.add_cte(_INSERT_KEYS.cte("new_keys"))


@dataclass(frozen=True, slots=True)
class Lookup:
    """What to look candidates up by: cases of `subcategory` filed under any of `keys` (a road,
    community … or coordinate cell), or under any of `area_keys` (a subdistrict) since
    `area_since`, that are in `open_states`, or in `recent_states` and closed (or resolved)
    since `closed_since`; never `exclude_case_id`; at most `limit` cases."""

    subcategory: str
    keys: Collection[str]
    area_keys: Collection[str]
    area_since: datetime
    open_states: Collection[str]
    recent_states: Collection[str]
    closed_since: datetime
    exclude_case_id: int
    limit: int = 100

    def params(self) -> dict[str, Any]:
        """The bound values of `candidate_statement()`."""
        return {
            "subcategory": self.subcategory,
            "keys": sorted(set(self.keys)),
            "area_keys": sorted(set(self.area_keys)),
            "area_since": self.area_since,
            "open_states": list(self.open_states),
            "recent_states": list(self.recent_states),
            "closed_since": self.closed_since,
            "exclude_case_id": self.exclude_case_id,
            "limit": self.limit,
        }


def candidate_statement() -> Select[Any]:
    """The look-up `candidates` runs with `Lookup.params()` (also shown by `make bench` with
    EXPLAIN)."""
    return _LOOKUP


async def candidates(*, session: AsyncSession, lookup: Lookup) -> list[IndexedCase]:
    """The cases `lookup` names, newest first, each once. Every branch is a range of
    `ix_duplicate_keys_lookup`; the time bound on the subdistrict keeps a crowded subdistrict
    cell cheap (a same-area suggestion about a months-old case helps nobody; a same-road one
    still counts)."""
    if not lookup.keys and not lookup.area_keys:
        return []
    return [_indexed(row) for row in (await session.execute(_LOOKUP, lookup.params())).all()]


async def prune_index(
    *, session: AsyncSession, done_states: Collection[str], before: datetime
) -> int:
    """Drop the keys of cases that are done (`done_states`) and were filed before `before`."""
    done = select(Case.id).where(Case.state.in_(list(done_states)), Case.created_at < before)
    result = await session.execute(
        delete(DuplicateKey).where(DuplicateKey.created_at < before, DuplicateKey.case_id.in_(done))
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def merged_children(
    session: AsyncSession, case_ids: Collection[int]
) -> dict[int, list[Case]]:
    """For the 台账 export and reports: each given case's merged children (并入的诉求), oldest
    first; cases without children are absent from the result."""
    if not case_ids:
        return {}
    statement = (
        select(Case)
        .where(Case.parent_id.in_(sorted(set(case_ids))))
        .order_by(Case.parent_id, Case.created_at, Case.id)
    )
    children: dict[int, list[Case]] = {}
    for child in (await session.execute(statement)).scalars():
        assert child.parent_id is not None
        children.setdefault(child.parent_id, []).append(child)
    return children


async def children_in_state(
    *, session: AsyncSession, parent_id: int, states: Collection[str]
) -> Sequence[Case]:
    """The parent's children in `states`, locked for update (the merge commands move them)."""
    statement = (
        select(Case)
        .where(Case.parent_id == parent_id, Case.state.in_(list(states)))
        .order_by(Case.id)
        .with_for_update()
    )
    return (await session.execute(statement)).scalars().all()
