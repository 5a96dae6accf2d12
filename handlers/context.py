"""What the core needs to run, built once at start-up and passed in (never module globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.policy.clock import Clock
from handlers.policy.sla import SlaSettings
from handlers.policy.workcalendar import WorkCalendar
from handlers.texts import Texts
from nlp.duplicates import DuplicateDetector
from nlp.kb import KnowledgeBase
from nlp.router import Router
from storage.replies import ReplyJournal


@dataclass(frozen=True, slots=True)
class IntakePolicy:
    """Limits and thresholds of the intake dialog (from the `[intake]` and `[router]` tables)."""

    case_prefix: str = "AN"
    min_description_chars: int = 5
    max_description_chars: int = 1000
    max_place_chars: int = 200
    max_photos: int = 5
    confidence_threshold: float = 0.45
    max_category_asks: int = 1
    # Flood control per person (design.md §6): messages allowed per window.
    flood_messages: int = 30
    flood_window_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class CoreDeps:
    """The long-lived collaborators of the conversation core."""

    sessionmaker: async_sessionmaker[AsyncSession]
    router: Router
    clock: Clock
    texts: Texts
    policy: IntakePolicy
    calendar: WorkCalendar
    sla: SlaSettings
    # Channels whose pushes can be held until the person writes again (WeChat's 48-hour window).
    holding_channels: frozenset[str] = frozenset({"wechat"})
    # Answers for questions (咨询) before a case is filed; None when [kb] is off.
    knowledge: KnowledgeBase | None = None
    # issue 9: channels whose case-number replies are kept in the outbox with the case.
    reply_journal: ReplyJournal = field(default_factory=ReplyJournal)
    # Duplicate candidates on filing (并单, issue 13); None turns detection off.
    duplicates: DuplicateDetector | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The local time zone (case numbers use the local date)."""
        return self.calendar.timezone
