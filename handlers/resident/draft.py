"""The intake draft: what a resident has told us so far, stored as JSON between messages."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    """Where the resident is in the intake dialog."""

    TYPE = "type"
    DESCRIBE = "describe"
    CATEGORY = "category"
    PLACE = "place"
    PHOTOS = "photos"
    CONTACT = "contact"
    PHONE = "phone"
    SHARE = "share"
    CONFIRM = "confirm"
    EDIT = "edit"
    ANSWERED = "kb"  # a knowledge-base answer shown: 已解决 / 未解决 / 转人工?


@dataclass(slots=True)
class DraftState:
    step: Step = Step.TYPE
    request_type: str | None = None
    description: str | None = None
    # The router's decision (RouteDecision.to_json()), refreshed whenever its inputs change.
    decision: dict[str, Any] | None = None
    chosen_subcategory: str | None = None
    unsure_category: bool = False
    category_options: list[str] = field(default_factory=list)
    category_asks: int = 0
    place_text: str | None = None
    place_unit: str | None = None
    place_asked: bool = False
    latitude: float | None = None
    longitude: float | None = None
    photos: list[str] = field(default_factory=list)
    photos_asked: bool = False
    anonymous: bool | None = None
    phone: str | None = None
    # Whether the unit may see the phone number to call back (design.md §6: only if allowed).
    share_phone: bool | None = None
    # True while the resident changes one item from the summary: after it, back to the summary.
    editing: bool = False
    # The knowledge-base answer shown for this question (kb_queries row and entry ids), so the
    # case filed after 未解决 carries what the resident was already told; 转人工 sends the case
    # to the hotline centre's dispatchers rather than straight to a unit.
    kb_query: int | None = None
    kb_shown: list[str] = field(default_factory=list)
    kb_handoff: bool = False
    # issue 9: names this draft's one filing; cases.filing_key is unique, so however two
    # instances interleave two presses of 提交, a draft becomes at most one case.
    filing_key: str = field(default_factory=lambda: secrets.token_hex(16))

    def to_json(self) -> dict[str, Any]:
        # Field by field with one-level copies, not `asdict`/`deepcopy`: this runs on every
        # message, and the values are plain JSON (lists of strings, the router's decision dict,
        # which is replaced, never changed in place).
        data = {name: _copy(getattr(self, name)) for name in _FIELDS}
        data["step"] = str(self.step)
        return data

    @classmethod
    def from_json(cls, step: str, data: dict[str, Any]) -> DraftState:
        # Copies, so changing the state never changes the loaded row's value.
        values = {k: _copy(v) for k, v in data.items() if k in _FIELDS and k != "step"}
        return cls(step=Step(step), **values)

    @property
    def unit(self) -> str | None:
        return None if self.decision is None else self.decision.get("unit")

    @property
    def category(self) -> str | None:
        return None if self.decision is None else self.decision.get("category")

    @property
    def subcategory(self) -> str | None:
        return None if self.decision is None else self.decision.get("subcategory")


_FIELDS = tuple(f.name for f in fields(DraftState))


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
