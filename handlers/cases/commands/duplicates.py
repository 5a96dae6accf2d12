"""Duplicate candidates on filing (issue 13): index the new case, look up the cases of its cell,
merge a near-certain duplicate at once, or show the likely ones to people.

Candidates come from the duplicate index by (sub-category, place key): the new case's road,
community, village, estate or landmark, its subdistrict, and the 3 × 3 coordinate cells around
its point. Open cases count, and those resolved or archived within `closed_days`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from handlers.cases import notify
from handlers.cases.actor import SYSTEM
from handlers.cases.commands.context import CommandContext, Step
from handlers.cases.commands.merge import merge
from handlers.conversation import payloads as p
from handlers.conversation.messages import Button, Outbound
from handlers.desk.cards import DuplicateHint
from handlers.policy.lifecycle import OPEN_STATES, CaseState
from handlers.validation import mask_personal_data
from nlp.duplicates import DuplicateDetector, Fingerprint, Verdict
from storage.duplicates import IndexedCase, Lookup, index_and_find
from storage.models import Case

# Resolved or archived cases still count for `closed_days`; merged and withdrawn ones never.
_RECENT_STATES = (CaseState.RESOLVED.value, CaseState.CLOSED.value)
_MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    case: IndexedCase
    verdict: Verdict
    similarity: float


def fingerprint_case(detector: DuplicateDetector, case: Case) -> Fingerprint:
    return detector.fingerprint(
        case.description,
        place_text=case.place_text,
        subdistrict=case.place_unit or (case.routing or {}).get("subdistrict"),
        latitude=case.latitude,
        longitude=case.longitude,
    )


def pack_fingerprint(fingerprint: Fingerprint) -> dict[str, Any]:
    """The compact form stored once per case (`cases.dupe_fingerprint`); the numbered places
    keep the one the report is about first. Read back by `unpack_fingerprint`."""
    first = fingerprint.first_number
    rest = sorted(fingerprint.numbers - {first} if first else fingerprint.numbers)
    return {
        "f": fingerprint.features,
        "w": fingerprint.weight,
        "p": sorted(fingerprint.places),
        "n": [first, *rest] if first else rest,
        "r": fingerprint.recurrence,
        "sd": fingerprint.subdistrict,
        "lat": fingerprint.latitude,
        "lon": fingerprint.longitude,
    }


def unpack_fingerprint(packed: dict[str, Any]) -> Fingerprint:
    numbers = list(packed.get("n") or ())
    features = dict(packed.get("f") or {})
    return Fingerprint(
        features=features,
        places=frozenset(packed.get("p") or ()),
        subdistrict=packed.get("sd"),
        latitude=packed.get("lat"),
        longitude=packed.get("lon"),
        numbers=frozenset(numbers),
        first_number=numbers[0] if numbers else None,
        recurrence=bool(packed.get("r")),
        weight=packed.get("w", sum(features.values())),
    )


def prepare(detector: DuplicateDetector, case: Case) -> Fingerprint:
    """The new case's fingerprint, stored on it before its INSERT (no write of its own)."""
    fingerprint = fingerprint_case(detector, case)
    case.dupe_fingerprint = pack_fingerprint(fingerprint)
    return fingerprint


async def find_duplicates(
    ctx: CommandContext, case: Case, fingerprint: Fingerprint | None = None
) -> list[Candidate]:
    """Index the just-filed case (flushed, so it has an id) and rank its candidates, best first.
    `fingerprint` is `prepare`'s (else it is made and stored with the case's next write).

    Returns [] when detection is off or the router gave no sub-category (no cell to look in).
    """
    detector = ctx.deps.duplicates
    if detector is None or not case.subcategory:
        return []
    if fingerprint is None:
        fingerprint = prepare(detector, case)
    keys = fingerprint.lookup_keys()
    thresholds = detector.thresholds
    lookup = Lookup(
        subcategory=case.subcategory,
        keys=[k for k in keys if not k.startswith("sd:")],
        area_keys=[k for k in keys if k.startswith("sd:")],
        area_since=ctx.now - timedelta(days=thresholds.area_days),
        open_states=[s.value for s in OPEN_STATES],
        recent_states=_RECENT_STATES,
        closed_since=ctx.now - timedelta(days=thresholds.closed_days),
        exclude_case_id=case.id,
    )
    rows = await index_and_find(
        session=ctx.session,
        case_id=case.id,
        keys=fingerprint.index_keys(),
        created_at=ctx.now,
        lookup=lookup,
    )
    found: list[Candidate] = []
    for row in rows:
        if not row.fingerprint:
            continue
        verdict, score = detector.verdict(fingerprint, unpack_fingerprint(row.fingerprint))
        if verdict is not Verdict.NONE:
            found.append(Candidate(row, verdict, score))
    # Near-certain first, then by similarity; an open case before a finished one on a tie.
    found.sort(
        key=lambda c: (
            c.verdict is not Verdict.AUTO,
            -c.similarity,
            CaseState(c.case.state) not in OPEN_STATES,
        )
    )
    return found


def automatic_parent(case: Case, found: list[Candidate]) -> Candidate | None:
    """The case to merge into without asking: a near-certain match that is still open and was
    filed by someone else (a resident writing again about their own case is chasing it or
    adding to it; a person decides that)."""
    for candidate in found:
        if (
            candidate.verdict is Verdict.AUTO
            and CaseState(candidate.case.state) in OPEN_STATES
            and candidate.case.resident_id != case.resident_id
        ):
            return candidate
    return None


async def merge_automatically(ctx: CommandContext, case: Case, parent: Candidate) -> Case:
    """The system merges the new case; the filing surface tells the resident (its receipt)."""
    return await merge(
        ctx,
        SYSTEM,
        case.id,
        parent.case.case_id,
        version=case.version,
        similarity=round(parent.similarity, 3),
        tell_resident=False,
    )


def card_hints(found: list[Candidate]) -> tuple[DuplicateHint, ...]:
    """The likely duplicates the new case's own card shows (best first)."""
    return tuple(
        DuplicateHint(c.case.case_id, c.case.number, c.case.state, c.similarity)
        for c in found[:_MAX_SUGGESTIONS]
    )


async def suggest_duplicates(ctx: CommandContext, case: Case, found: list[Candidate]) -> None:
    """可能重复: recorded on the case. Nothing is merged until a person presses 并单.

    The case's own card already carries the lines with 并单 / 不是重复 (`card_hints`): the
    unit's card, or the dispatchers' queue card while it waits. Dispatchers of a case that went
    straight to a unit get no card of it, so they alone get a separate notice."""
    shown = found[:_MAX_SUGGESTIONS]
    if not shown:
        return
    event = await ctx.record(
        case,
        Step(
            SYSTEM,
            "duplicate_suggested",
            data={
                "candidates": [
                    {"case": c.case.case_id, "number": c.case.number, "similarity": c.similarity}
                    for c in shown
                ]
            },
        ),
    )
    if CaseState(case.state) is CaseState.PENDING_DISPATCH:
        return
    recipients = await notify.dispatchers(ctx.session)
    for candidate in shown:
        other = await ctx.session.get(Case, candidate.case.case_id)
        text = ctx.t(
            "merge.suggest",
            parent=candidate.case.number,
            score=f"{candidate.similarity:.2f}",
            number=case.number,
            text=mask_personal_data(case.description),
            state=ctx.t(f"state.{candidate.case.state}"),
            other=mask_personal_data(other.description if other else ""),
        )
        buttons = (
            Button(
                ctx.t("btn.merge"), p.merge_action(case.id, candidate.case.case_id, case.version)
            ),
            Button(ctx.t("btn.not_duplicate"), p.dismiss_action(case.id, candidate.case.case_id)),
        )
        await ctx.tell(
            kind="dupe",
            case=case,
            stamp=f"{notify.event_stamp(event.id)}:{candidate.case.case_id}",
            recipients=recipients,
            message=Outbound(text, (buttons,)),
        )
