"""The conversation core: one inbound message in, the replies out, in one database transaction.

Channel adapters call `Conversation.handle`; it never sends anything itself. A redelivered
message (same channel and message id) is answered with nothing; a database failure is answered
with an apology and leaves the previous draft as it was (the transaction rolls back whole).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from handlers.context import CoreDeps
from handlers.conversation.dialogs import CASE, INTAKE, open_dialog
from handlers.conversation.flood import FloodGuard, Verdict
from handlers.conversation.messages import Inbound, Outbound
from handlers.conversation.payloads import RESIDENT, parse
from handlers.conversation.turn import Turn
from handlers.desk.workdesk import WorkDesk
from handlers.errors import UserError
from handlers.followup.feedback import FeedbackDesk
from handlers.followup.payloads import is_feedback
from handlers.resident.cases import TRIAGE_ACTIONS, ResidentCases
from handlers.resident.draft import DraftState
from handlers.resident.intake import FILED, Intake
from handlers.resident.queries import ResidentQueries
from storage.identity import Identity, claim_and_identify, load_identity
from storage.outbox import release_held
from storage.replies import journal_replies

log = logging.getLogger(__name__)

_COMMANDS = ("start", "new", "cancel", "mycases", "status", "add", "withdraw", "help")


class Conversation:
    """Routes each inbound message to the resident's dialog or command."""

    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts
        self.intake = Intake(deps)
        self.queries = ResidentQueries(deps)
        self.feedback = FeedbackDesk(deps)
        self.resident_cases = ResidentCases(deps)
        self.desk = WorkDesk(deps)
        policy = deps.policy
        self.flood = FloodGuard(
            limit=policy.flood_messages, window_seconds=policy.flood_window_seconds
        )

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        now = self.deps.clock.now()
        verdict = self.flood.check((inbound.channel, inbound.user_id), now.timestamp())
        if verdict is not Verdict.ADMIT:
            log.warning("flood from %s/%s: %s", inbound.channel, inbound.user_id, verdict.value)
            return [Outbound(self.t("err.rate_limited"))] if verdict is Verdict.WARN else []
        for attempt in (1, 2):
            try:
                return await self._handle_once(inbound, now)
            except DBAPIError as error:
                # A pooled connection the server dropped (a PostgreSQL restart, an idle timeout):
                # nothing was committed, so the whole message is simply tried once more on a
                # fresh connection instead of costing the resident an apology.
                if error.connection_invalidated and attempt == 1:
                    log.warning("database connection lost; retrying %s", inbound.message_id)
                    continue
                self._log_failure(inbound)
            except SQLAlchemyError:
                self._log_failure(inbound)
            break
        return [Outbound(self.t("err.internal"))]

    async def _handle_once(self, inbound: Inbound, now: datetime) -> list[Outbound]:
        async with self.deps.sessionmaker() as session, session.begin():
            # Who is writing is read with the dedupe claim (one round trip on PostgreSQL).
            identity: Identity | None
            if inbound.message_id is None:
                identity = await load_identity(
                    session=session, channel=inbound.channel, user_id=inbound.user_id
                )
            else:
                identity = await claim_and_identify(
                    session=session,
                    channel=inbound.channel,
                    message_id=inbound.message_id,
                    user_id=inbound.user_id,
                    now=now,
                )
            if identity is None:
                log.info("duplicate delivery %s/%s ignored", inbound.channel, inbound.message_id)
                return []
            if inbound.channel in self.deps.holding_channels:
                # The person wrote, so their channel can reach them again (WeChat's 48-hour
                # window): pushes held for them go out, in the same transaction.
                for recipient in {inbound.user_id, inbound.chat_id or inbound.user_id}:
                    await release_held(
                        session=session, channel=inbound.channel, recipient=recipient, now=now
                    )
            turn = Turn(session=session, inbound=inbound, now=now)
            await self._dispatch(turn, identity)
            # issue 9: the turn's replies are committed with the turn (a case number with its
            # case), so a crash before they are sent cannot lose them (storage.replies).
            journal = self.deps.reply_journal
            if journal.covers(inbound.channel, inbound.message_id, [r.text for r in turn.replies]):
                assert inbound.message_id is not None
                await journal_replies(
                    session=session,
                    journal=journal,
                    channel=inbound.channel,
                    recipient=inbound.chat_id or inbound.user_id,
                    message_id=inbound.message_id,
                    payloads=[reply.to_payload() for reply in turn.replies],
                    now=now,
                    group=inbound.chat_id not in (None, inbound.user_id),
                )
        # Only now, after the commit, do replies (and any case number in them) leave the core.
        return turn.replies

    def _log_failure(self, inbound: Inbound) -> None:
        log.exception(
            "database error handling %s message %s from %s",
            inbound.channel,
            inbound.message_id,
            inbound.user_id,
        )

    async def _dispatch(self, turn: Turn, identity: Identity) -> None:
        inbound = turn.inbound
        # Staff, dispatchers, supervisors, group chats and desk buttons: never the intake dialog.
        if await self.desk.handle(turn, identity.member):
            return
        dialog = open_dialog(identity.draft)
        # A pending message about a filed case (补充, or "add or new?") is not an intake draft,
        # nor is an intake already submitted (kept to answer a repeated 提交 with the number).
        pending = dialog if dialog is not None and dialog.dialog is CASE else None
        filed = (
            dialog
            if dialog is not None and dialog.dialog is INTAKE and dialog.step == FILED
            else None
        )
        state = None
        if dialog is not None and dialog.dialog is INTAKE and filed is None:
            state = DraftState.from_json(dialog.step, dialog.data)
        text = (inbound.text or "").strip()
        payload = parse(inbound.choice or "")
        try:
            if inbound.unsupported is not None:
                raise UserError("err.unsupported")
            if inbound.command is not None:
                await self._command(turn, state, pending=pending is not None)
            elif filed is not None and self.intake.is_summary_button(inbound.choice):
                self.intake.answer_filed(turn, filed.data)
            elif pending is not None and (
                inbound.choice is None or (payload and payload.action in TRIAGE_ACTIONS)
            ):
                new_text = await self.resident_cases.resume_pending(
                    turn, pending.step, pending.data
                )
                if new_text is not None:
                    await self.intake.begin(turn, first_text=new_text)
            elif payload and payload.prefix == RESIDENT:
                # A button under a notification about a filed case; any draft stays as it was.
                open_now = dialog is not None and filed is None
                await self.resident_cases.press(turn, payload, draft_open=open_now)
                if state is not None:
                    self.intake.prompt_again(turn, state)
            elif inbound.choice is not None and is_feedback(inbound.choice):
                # An answer to a callback (回访); any draft stays as it was.
                await self.feedback.answer(turn, inbound.choice)
                if state is not None:
                    self.intake.prompt_again(turn, state)
            elif state is not None:
                await self.intake.resume(turn, state)
            elif inbound.choice is not None and inbound.choice.startswith("t:"):
                # A type button from the welcome message, pressed with no draft open.
                await self.intake.resume(turn, DraftState())
            elif inbound.text is not None and text and await self.feedback.take_comment(turn, text):
                pass  # a comment on the rating the resident just gave
            elif inbound.text is not None and text and await self.resident_cases.triage(turn, text):
                pass  # cases are open: asked whether this adds to one or is a new case
            elif inbound.text is not None and text:
                await self.intake.begin(turn, first_text=inbound.text)
            elif inbound.choice is not None:
                raise UserError("err.not_offered")
            elif inbound.text is not None:
                raise UserError("err.empty")
            else:
                raise UserError("err.unsupported")
        except UserError as error:
            turn.say(self.t(error.key, **error.values))
            if state is not None:
                self.intake.prompt_again(turn, state)

    async def _command(self, turn: Turn, state: DraftState | None, *, pending: bool) -> None:
        name, argument = turn.inbound.command or "", turn.inbound.argument
        if name not in _COMMANDS:
            raise UserError("err.unknown_command", command=f"/{name}"[:32])
        if name == "help":
            turn.say(self.t("help"))
            if state is not None:
                self.intake.prompt_again(turn, state)
        elif name in ("start", "new"):
            if name == "start":
                turn.say(self.t("welcome"))
            await self.intake.begin(turn)
        elif name == "cancel":
            if state is None and not pending:
                turn.say(self.t("nothing_to_cancel"))
            else:
                await self.intake.cancel(turn)
        elif name == "mycases":
            await self.queries.my_cases(turn)
        elif name == "add":
            await self.resident_cases.add_command(turn, argument)
        elif name == "withdraw":
            await self.resident_cases.withdraw_command(turn, argument)
        else:
            await self.queries.status(turn, argument)
