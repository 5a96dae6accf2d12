"""Who does something to a case: the actor every case command takes (design.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.models import StaffMember


class ActorKind(StrEnum):
    RESIDENT = "resident"  # 群众
    STAFF = "staff"  # 承办人
    HEAD = "head"  # 单位负责人
    DISPATCHER = "dispatcher"  # 派单员
    SUPERVISOR = "supervisor"  # 督查员
    SYSTEM = "system"  # the bot's own follow-ups
    API = "api"  # another system, through Open311


UNIT_KINDS = frozenset({ActorKind.STAFF, ActorKind.HEAD})


@dataclass(frozen=True, slots=True)
class Actor:
    """An actor: its kind, its id (staff id, resident id, API client name) and, for unit staff,
    the unit it works for. Built by the surface from stored records, never from a payload."""

    kind: ActorKind
    id: str | None = None
    unit: str | None = None

    @classmethod
    def of_staff(cls, member: StaffMember) -> Actor:
        kind = ActorKind(member.role)
        return cls(kind, str(member.id), member.unit_name if kind in UNIT_KINDS else None)

    @classmethod
    def of_resident(cls, resident_id: int) -> Actor:
        return cls(ActorKind.RESIDENT, str(resident_id))

    @classmethod
    def api(cls, client: str) -> Actor:
        return cls(ActorKind.API, client)

    @property
    def works_for_unit(self) -> bool:
        return self.kind in UNIT_KINDS

    @property
    def event_actor(self) -> tuple[str, str | None]:
        """(actor_kind, actor_id) as written in the event log: a head acts as the unit's staff."""
        kind = ActorKind.STAFF if self.kind is ActorKind.HEAD else self.kind
        return kind.value, self.id


SYSTEM = Actor(ActorKind.SYSTEM)
