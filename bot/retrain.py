"""The learned router in the running bot: loading the configured model, and the nightly retrain
on the examples the database holds (issue 10)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.examples import training_examples

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


async def retrain_router(app: App, *, now: datetime | None = None) -> RetrainOutcome:
    """Train on the stored examples; replace the model file (and the running model) only when
    the new one is no worse on the newest weeks. Logs what it did."""
    from nlp.learn.retrain import retrain_if_not_worse
    from nlp.learn.routing import ModelBackedRouter
    from nlp.learn.table import LabelledRows

    settings = app.settings.router
    assert settings.model is not None  # the config refuses retrain without a model path
    when = now or app.deps.clock.now()
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
