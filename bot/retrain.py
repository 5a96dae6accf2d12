"""The learned router in the running bot: loading the configured model, the nightly retrain on
the examples the database holds (issue 10), claimed so that of several `hotline run` instances
exactly one trains each night, and the watch by which the others load the model it wrote."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.examples import training_examples
from storage.periods import claim_period

if TYPE_CHECKING:
    from bot.app import App
    from nlp.learn.retrain import RetrainOutcome
    from nlp.learn.routing import ModelBackedRouter

log = logging.getLogger(__name__)

# A case its unit carried to the end names the right unit.
CLOSED_STATES = (CaseState.RESOLVED.value, CaseState.CLOSED.value)


def model_backed_router(router: Router, model_path: Path) -> ModelBackedRouter:
    """The router for `[router] model`. A missing file is not fatal: the keywords route until
    the first retrain writes one (a broken file is, so nobody runs on a model they did not mean).
    """
    from nlp.learn.modelfile import load_model
    from nlp.learn.routing import ModelBackedRouter

    backed = ModelBackedRouter(router)
    if not model_path.is_file():
        log.warning("router model %s does not exist yet: routing by keywords", model_path)
        return backed
    loaded = load_model(model_path, router)
    backed.use_model(loaded.model, loaded.meta.label_kind)
    log.info(
        "router model %s: %s labels, trained %s on %d rows from %s",
        model_path, loaded.meta.label_kind, loaded.meta.trained_at, loaded.meta.rows,
        loaded.meta.source,
    )  # fmt: skip
    return backed


# The claim's kind in `followup_runs`; the period is the local date of the run.
RETRAIN_KIND = "router-retrain"


async def retrain_router(app: App, *, now: datetime | None = None) -> RetrainOutcome:
    """Train on the stored examples; replace the model file (and the running model) only when
    the new one is no worse on the newest weeks. Logs what it did.

    Every instance schedules the job; the first to insert the night's claim row trains, the
    others skip (and pick the new file up through `ModelWatch`). A run that dies after its
    claim leaves that night without a retrain; the next night tries again.
    """
    from nlp.learn.retrain import RetrainOutcome, retrain_if_not_worse
    from nlp.learn.routing import ModelBackedRouter
    from nlp.learn.table import LabelledRows

    settings = app.settings.router
    assert settings.model is not None  # the config refuses retrain without a model path
    when = now or app.deps.clock.now()
    period = when.astimezone(app.deps.zone).date().isoformat()
    async with app.sessionmaker() as session, session.begin():
        claimed = await claim_period(session, RETRAIN_KIND, period, when)
    if not claimed:
        log.info("router retrain for %s: claimed by another instance, skipped", period)
        reason = f"the retrain for {period} was claimed by another run"
        return RetrainOutcome(False, reason, 0, claimed=False)
    log.info("router retrain for %s claimed by %s", period, _instance())
    async with app.sessionmaker() as session:
        examples = await training_examples(session=session, closed_states=CLOSED_STATES)
    rows = LabelledRows(
        tuple(e.text for e in examples),
        tuple(e.unit for e in examples),
        tuple(e.at for e in examples),
    )
    # CPU-bound for seconds to minutes: off the event loop, so chats keep flowing.
    outcome = await asyncio.to_thread(
        retrain_if_not_worse,
        app.router,
        rows,
        settings.model,
        now=when,
        recent=timedelta(weeks=settings.retrain_recent_weeks),
        min_rows=settings.retrain_min_examples,
    )
    against = "current model" if outcome.current_is_model else "keyword router"
    log.info(
        "router retrain: %s (%s); %d examples, %d in the newest %d weeks; new %s vs %s %s",
        "model replaced" if outcome.replaced else "model kept", outcome.reason, outcome.rows,
        outcome.recent_rows, settings.retrain_recent_weeks, outcome.candidate_accuracy, against,
        outcome.current_accuracy,
    )  # fmt: skip
    if outcome.replaced and outcome.model is not None and isinstance(app.router, ModelBackedRouter):
        app.router.use_model(outcome.model, "unit")
    return outcome


def _instance() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class _Version:
    mtime_ns: int
    size: int
    sha256: str


def _version(path: Path, known: _Version | None) -> _Version | None:
    """The file's version; hashed only when its time or size moved (a touch is not a change)."""
    try:
        stat = path.stat()
        if known is not None and (stat.st_mtime_ns, stat.st_size) == (known.mtime_ns, known.size):
            return known
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    return _Version(stat.st_mtime_ns, stat.st_size, digest)


class ModelWatch:
    """Loads `[router] model` again when the file changes under a running bot: another
    instance's retrain replaced it (or an operator did). The file is replaced by rename, so a
    reader never sees half of it; a file that does not load is logged and the running model
    kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = _version(path, None)

    def note_current(self) -> None:
        """This process wrote the file itself (its own retrain): nothing to load."""
        self._seen = _version(self.path, None)

    async def check(self, app: App) -> bool:
        """Load the file if it changed since last seen; True when the running model changed."""
        from nlp.learn.modelfile import ModelFileError, load_model
        from nlp.learn.routing import ModelBackedRouter

        found = await asyncio.to_thread(_version, self.path, self._seen)
        if found is None:
            return False
        if self._seen is not None and found.sha256 == self._seen.sha256:
            self._seen = found  # touched or rewritten alike: the running model is this one
            return False
        if not isinstance(app.router, ModelBackedRouter):
            return False
        try:
            loaded = await asyncio.to_thread(load_model, self.path, app.router)
        except ModelFileError as exc:
            log.error("router model %s changed but does not load (%s): model kept", self.path, exc)
            self._seen = found  # reported once, not every minute
            return False
        app.router.use_model(loaded.model, loaded.meta.label_kind)
        self._seen = found
        log.info(
            "router model %s changed: now %s labels, trained %s on %d rows",
            self.path, loaded.meta.label_kind, loaded.meta.trained_at, loaded.meta.rows,
        )  # fmt: skip
        return True
