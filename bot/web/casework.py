"""The one seam between the web surfaces (Open311, the resident page) and the case commands.

Issue 12 asks every surface to change a case only through the case commands (file_case,
add_info, withdraw, rate; /work/notes/commands_api.md). Until they land on main, these
functions reach the same checks through the existing code paths: filing through
`handlers.cases.filing.file_case`, and the resident's actions through the conversation core
(the very `/add`, `/withdraw` and 回访 buttons a chat resident uses, so ownership, state and
flood checks are the core's own). Switching to the commands changes this file only.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.cases import filing
from handlers.context import CoreDeps
from handlers.conversation.core import Conversation
from handlers.conversation.messages import Inbound, Outbound
from handlers.conversation.turn import Turn
from handlers.followup.payloads import resolved_button, satisfaction_button
from handlers.resident.draft import DraftState
from storage.models import Case, Resident


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


async def file_api_case(deps: CoreDeps, filing_: ApiFiling) -> Case:
    """File the case in one transaction (routed and dispatched, or queued for a dispatcher)."""
    router = deps.router
    place_unit = (
        router.nearest_subdistrict(filing_.latitude, filing_.longitude)
        if filing_.latitude is not None and filing_.longitude is not None
        else router.resolve_subdistrict(filing_.address)
    )
    hint = place_unit or filing_.address
    if filing_.subcategory is not None:
        decision = router.route_category(
            filing_.description, filing_.subcategory, place_hint=hint
        ).to_json()
    else:
        decision = router.route(filing_.description, place_hint=hint).to_json()
        if decision["confidence"] < deps.policy.confidence_threshold:
            # Nobody can ask the client which category it meant: a dispatcher decides (待派单).
            decision["unit"] = None
    if filing_.media_urls:
        decision["media_urls"] = list(filing_.media_urls)
    state = DraftState(
        request_type=filing_.request_type,
        description=filing_.description,
        decision=decision,
        place_text=filing_.address,
        place_unit=place_unit,
        latitude=filing_.latitude,
        longitude=filing_.longitude,
        anonymous=filing_.phone is None,
        phone=filing_.phone,
        share_phone=False,
    )
    user = f"{filing_.client}:{filing_.account or '-'}"[:64]
    inbound = Inbound(channel="open311", user_id=user, chat_id=user)
    async with deps.sessionmaker() as session, session.begin():
        turn = Turn(session=session, inbound=inbound, now=deps.clock.now())
        return await filing.file_case(turn=turn, deps=deps, state=state)


@dataclass(frozen=True, slots=True)
class ResidentRef:
    """Who filed a case, as the core knows them (channel and the channel's user id)."""

    channel: str
    user_id: str

    @classmethod
    def of(cls, resident: Resident) -> ResidentRef:
        return cls(resident.channel, resident.external_id)


async def add_info(
    conversation: Conversation, who: ResidentRef, case: Case, text: str
) -> list[Outbound]:
    """补充: the text is added to the case and relayed to the unit."""
    return await _say(conversation, who, text=f"/add {case.number} {text}")


async def withdraw(conversation: Conversation, who: ResidentRef, case: Case) -> list[Outbound]:
    """撤销, allowed until the unit signs for the case."""
    return await _say(conversation, who, text=f"/withdraw {case.number}")


async def rate(
    conversation: Conversation, who: ResidentRef, case: Case, *, resolved: bool, satisfaction: str
) -> list[Outbound]:
    """The 回访 answers: resolved? (True/False) and satisfied? ("sat" | "basic" | "dis")."""
    first = await _say(conversation, who, choice=resolved_button(case.id, "y" if resolved else "n"))
    second = await _say(conversation, who, choice=satisfaction_button(case.id, satisfaction))
    # The answer to the second question is the outcome; a refusal shows in both, once is enough.
    return second or first


async def _say(
    conversation: Conversation,
    who: ResidentRef,
    *,
    text: str | None = None,
    choice: str | None = None,
) -> list[Outbound]:
    inbound = Inbound(
        channel=who.channel, user_id=who.user_id, chat_id=who.user_id, text=text, choice=choice
    )
    return await conversation.handle(inbound)
