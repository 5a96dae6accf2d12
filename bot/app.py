"""Composition root: builds the long-lived objects once from the settings and wires them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.knowledge import load_knowledge_base
from bot.logs import mask_all_handlers
from bot.outbox.registry import SenderRegistry
from handlers.context import CoreDeps, IntakePolicy
from handlers.conversation.core import Conversation
from handlers.policy.clock import Clock, SystemClock
from handlers.policy.workcalendar import WorkCalendar
from handlers.texts import Texts
from nlp.directory import Directory
from nlp.duplicates import DuplicateDetector, DuplicateThresholds, load_concepts
from nlp.kb import KnowledgeBase
from nlp.router import Router
from storage.db import create_engine, create_sessionmaker
from storage.media import MediaStore
from storage.migrate import upgrade
from storage.replies import ReplyJournal
from storage.units import UnitRecord, sync_units

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    router: Router
    deps: CoreDeps
    conversation: Conversation
    # Photos as files, shared by the channels (a WeChat photo shown in Telegram and back).
    media: MediaStore
    # Channels register their outbox senders here at start-up (see bot.outbox.registry).
    senders: SenderRegistry = field(default_factory=SenderRegistry)

    async def close(self) -> None:
        await self.engine.dispose()


def load_router(settings: Settings) -> Router:
    """The keyword router; with `[router] model`, one that asks the learned model first."""
    router = Router.load(settings.directory.data_dir)
    if settings.router.model is None:
        return router  # scikit-learn is never imported without a model
    from bot.retrain import model_backed_router

    return model_backed_router(router, settings.router.model)


def build_texts(settings: Settings, directory: Directory) -> Texts:
    """The configured language's texts with this deployment's facts filled in: the district's
    name and hotline from the directory data, and an example case number with its prefix."""
    values = {
        "district": directory.short_name_for(settings.language),
        "hotline": directory.hotline,
        "case_example": f"{settings.intake.case_prefix}20261125-0007",
    }
    return Texts(settings.language, values=values)


def intake_policy(settings: Settings) -> IntakePolicy:
    intake = settings.intake
    return IntakePolicy(
        case_prefix=intake.case_prefix,
        min_description_chars=intake.min_description_chars,
        max_description_chars=intake.max_description_chars,
        max_place_chars=intake.max_place_chars,
        max_photos=intake.max_photos,
        confidence_threshold=settings.router.confidence_threshold,
        max_category_asks=intake.max_category_asks,
        flood_messages=intake.flood_messages,
        flood_window_seconds=intake.flood_window_seconds,
    )


def reply_journal(settings: Settings) -> ReplyJournal:
    """Telegram's replies are journaled with their turn (its bridge settles them, issue 9)."""
    telegram = settings.telegram
    return ReplyJournal(
        channels=frozenset({"telegram"}) if telegram.active else frozenset(),
        lease=timedelta(seconds=telegram.reply_lease_seconds),
    )


async def prepare_database(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], router: Router
) -> None:
    """Migrate the schema to head and bring the units table in line with the directory."""
    await upgrade(engine)
    await sync_directory(sessionmaker, router)


async def sync_directory(sessionmaker: async_sessionmaker[AsyncSession], router: Router) -> None:
    records = [UnitRecord(name=u.name, kind=u.kind, code=u.code) for u in router.directory.units]
    async with sessionmaker() as session, session.begin():
        changed = await sync_units(session=session, units=records)
    if changed:
        log.info("directory: %d units added or changed", changed)


def duplicate_detector(settings: Settings, router: Router) -> DuplicateDetector | None:
    """The duplicate detector from `[duplicates]`; None when switched off."""
    table = settings.duplicates
    if not table.enabled:
        return None
    thresholds = DuplicateThresholds(
        auto=table.auto_similarity,
        suggest=table.suggest_similarity,
        radius_m=table.radius_m,
        closed_days=table.closed_days,
        area_days=table.area_days,
    )
    return DuplicateDetector(router, thresholds, load_concepts(router.directory.data_dir))


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    router: Router | None = None,
    prepare: bool = True,
    knowledge: KnowledgeBase | bool = False,
) -> App:
    """The app with its collaborators. `knowledge`: a knowledge base, or True to load the
    configured one when [kb] is enabled (answers for questions before a case is filed)."""
    engine = create_engine(
        settings.database.url, echo=settings.database.echo, pool_size=settings.database.pool_size
    )
    # echo = true gives SQLAlchemy a log handler of its own: it gets the masking filter too.
    mask_all_handlers()
    sessionmaker = create_sessionmaker(engine)
    router = router or load_router(settings)
    if prepare:
        await prepare_database(engine, sessionmaker, router)
    kb = knowledge if isinstance(knowledge, KnowledgeBase) else None
    if knowledge is True and settings.kb.enabled:
        kb = load_knowledge_base(settings)
    deps = CoreDeps(
        sessionmaker=sessionmaker,
        router=router,
        clock=clock or SystemClock(),
        texts=build_texts(settings, router.directory),
        policy=intake_policy(settings),
        calendar=WorkCalendar(settings.calendar),
        sla=settings.sla,
        knowledge=kb,
        reply_journal=reply_journal(settings),
        duplicates=duplicate_detector(settings, router),
    )
    return App(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        router=router,
        deps=deps,
        conversation=Conversation(deps),
        media=MediaStore(settings.media.dir, max_bytes=settings.media.max_bytes),
    )
