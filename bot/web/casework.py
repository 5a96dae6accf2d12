"""The one seam between the web surfaces (Open311, the resident's case page) and the case
commands (handlers.cases.commands, the only writer of a case).

Each function opens the transaction, builds the actor from stored records (the API client's
key, the case's own resident), calls one command and words the outcome; a `Refusal` becomes the
resident's words (the same texts the chat uses) or the caller's error.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.cases import commands as cmd
from handlers.cases.commands import Actor, CommandContext, NewCase, Refusal, RefusalCode
from handlers.context import CoreDeps
from handlers.policy.lifecycle import OPEN_STATES, CaseState
from storage.models import Case
from storage.residents import ensure_resident_id

OPEN311_CHANNEL = "open311"


@dataclass(frozen=True, slots=True)
class ApiFiling:
    """A case as an Open311 client files it; `subcategory` None lets the router decide."""

    client: str
    account: str | None
    description: str
    request_type: str
    subcategory: str | None
    latitude: float | None
    longitude: float | None
    address: str | None
    phone: str | None
    media_urls: tuple[str, ...] = ()


def _decision(deps: CoreDeps, filing: ApiFiling, place_unit: str | None) -> dict[str, object]:
    router = deps.router
    hint = place_unit or filing.address
    if filing.subcategory is not None:
        decision = router.route_category(
            filing.description, filing.subcategory, place_hint=hint
        ).to_json()
    else:
        decision = router.route(filing.description, place_hint=hint).to_json()
        if decision["confidence"] < deps.policy.confidence_threshold:
            # Nobody can ask the client which category it meant: a dispatcher decides (待派单).
            decision["unit"] = None
    if filing.media_urls:
        decision["media_urls"] = list(filing.media_urls)
    return decision


async def file_api_case(deps: CoreDeps, filing: ApiFiling) -> Case:
    """File the case in one transaction (routed and dispatched, or queued for a dispatcher).

    The "resident" of an API case is the client (and the account it names): pushes to it are
    recorded as delivered by the open311 sink, and the client follows the case by GET.
    """
    router = deps.router
    if filing.latitude is not None and filing.longitude is not None:
        place_unit = router.nearest_subdistrict(filing.latitude, filing.longitude)
    else:
        place_unit = router.resolve_subdistrict(filing.address)
    user = f"{filing.client}:{filing.account or '-'}"[:64]
    now = deps.clock.now()
    async with deps.sessionmaker() as session, session.begin():
        resident_id = await ensure_resident_id(
            session=session, channel=OPEN311_CHANNEL, external_id=user, chat_id=user, now=now
        )
        return await cmd.file_case(
            CommandContext(session, deps, now),
            Actor.api(filing.client),
            NewCase(
                resident_id=resident_id,
                channel=OPEN311_CHANNEL,
                request_type=filing.request_type,
                description=filing.description,
                decision=_decision(deps, filing, place_unit),
                place_text=filing.address,
                place_unit=place_unit,
                latitude=filing.latitude,
                longitude=filing.longitude,
                phone=filing.phone,
                share_identity=False,
            ),
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a resident's action came to, in their words."""

    done: bool
    text: str


def _refused(deps: CoreDeps, refusal: Refusal) -> Outcome:
    t = deps.texts
    if refusal.code is RefusalCode.WRONG_STATE and "state" in refusal.values:
        still_open = CaseState(str(refusal.values["state"])) in OPEN_STATES
        return Outcome(False, t("resident.cannot_withdraw" if still_open else "resident.not_open"))
    if refusal.code is RefusalCode.BAD_INPUT:
        return Outcome(False, t("refusal.bad_input"))
    if refusal.code is RefusalCode.ALREADY_RATED:
        return Outcome(False, t("refusal.already_rated"))
    return Outcome(False, t("status.not_found"))


async def add_info(deps: CoreDeps, case: Case, text: str) -> Outcome:
    """补充, as the resident who filed the case: recorded and relayed to the unit."""
    try:
        async with deps.sessionmaker() as session, session.begin():
            ctx = CommandContext(session, deps, deps.clock.now())
            await cmd.add_info(ctx, Actor.of_resident(case.resident_id), case.id, text=text)
    except Refusal as refusal:
        return _refused(deps, refusal)
    return Outcome(True, deps.texts("resident.info_added"))


async def withdraw(deps: CoreDeps, case: Case, *, version: int) -> Outcome:
    """撤销 of the version the page showed, allowed until the unit signs for the case."""
    try:
        async with deps.sessionmaker() as session, session.begin():
            ctx = CommandContext(session, deps, deps.clock.now())
            done = await cmd.withdraw(
                ctx, Actor.of_resident(case.resident_id), case.id, version=version
            )
    except Refusal as refusal:
        if refusal.code is RefusalCode.STALE:
            return Outcome(False, deps.texts("desk.stale"))
        return _refused(deps, refusal)
    return Outcome(True, deps.texts("resident.withdrawn", number=done.number))


async def rate(deps: CoreDeps, case: Case, *, resolved: bool, satisfaction: str) -> Outcome:
    """The 回访 answers in one go: resolved? and satisfied? ("satisfied" | "basic" |
    "dissatisfied"); 不满意 reopens the case (or sends it to review), as in the chat."""
    actor = Actor.of_resident(case.resident_id)
    try:
        async with deps.sessionmaker() as session, session.begin():
            ctx = CommandContext(session, deps, deps.clock.now())
            await cmd.answer_resolved(ctx, actor, case.id, resolved=resolved)
            rated = await cmd.rate(ctx, actor, case.id, satisfaction=satisfaction)
    except Refusal as refusal:
        return _refused(deps, refusal)
    t = deps.texts
    if rated.state == CaseState.CLOSED.value and satisfaction != "dissatisfied":
        return Outcome(True, t("fu.thanks", number=rated.number))
    if rated.state == CaseState.CLOSED.value:
        return Outcome(True, t("fu.review_resident", number=rated.number))
    deadline = rated.handle_deadline or rated.sign_deadline
    return Outcome(
        True,
        t(
            "fu.reopened_resident",
            number=rated.number,
            unit=rated.unit_name or "-",
            deadline=deadline.astimezone(deps.zone).strftime("%Y-%m-%d %H:%M") if deadline else "-",
        ),
    )
