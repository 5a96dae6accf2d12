"""The resident's case page, at /chat/case/<token>: the case, its history, and the forms to add
information, withdraw (before the unit signs) and rate. The token is an HMAC of the case id, so
only someone given the link can open it; every action goes through the case seam
(`bot.web.casework`) as the resident who filed the case.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.web import casework
from bot.web.residentchat.casepage import case_view
from bot.web.residentchat.common import CSRF_FIELD, Views, too_many
from handlers.followup.payloads import SATISFACTION
from storage.casequeries import case_events
from storage.models import Case

log = logging.getLogger(__name__)
_MAX_FORM_BYTES = 16 * 1024


class CaseViews(Views):
    async def show(self, request: web.Request) -> web.StreamResponse:
        case = await self._case(request)
        return await self._page(request, case, notice=None)

    async def act(self, request: web.Request) -> web.StreamResponse:
        """POST add | withdraw | rate: one action, then the page again with the outcome."""
        if (request.content_length or 0) > _MAX_FORM_BYTES:
            raise web.HTTPRequestEntityTooLarge(
                max_size=_MAX_FORM_BYTES, actual_size=request.content_length or 0
            )
        form = await request.post()
        token = form.get(CSRF_FIELD)
        resident = self.guard.require_post(request, token if isinstance(token, str) else None)
        if not self.guard.admit_resident(resident):
            return too_many()
        case = await self._case(request)
        action = request.match_info["action"]
        outcome: casework.Outcome
        if action == "add":
            text = form.get("text")
            if not isinstance(text, str) or not text.strip():
                return await self._page(request, case, notice=self.pages.labels["case_add"])
            outcome = await casework.add_info(self.core, case, text.strip())
        elif action == "withdraw":
            version = form.get("version")
            if not isinstance(version, str) or not version.isdigit():
                raise web.HTTPBadRequest(text="version missing")
            outcome = await casework.withdraw(self.core, case, version=int(version))
        else:
            resolved, code = form.get("resolved"), form.get("satisfaction")
            if resolved not in ("y", "n") or not isinstance(code, str) or code not in SATISFACTION:
                return await self._page(request, case, notice=self.pages.labels["case_rate"])
            outcome = await casework.rate(
                self.core, case, resolved=resolved == "y", satisfaction=SATISFACTION[code]
            )
        # The page shows the outcome in the chat's own words (done, or why not).
        notice = outcome.text
        return await self._page(request, await self._case(request), notice=notice)

    async def _case(self, request: web.Request) -> Case:
        case_id = self.signer.case_of(request.match_info["token"])
        if case_id is None:
            raise web.HTTPNotFound()
        async with self.core.sessionmaker() as session:
            case = await session.get(Case, case_id)
        if case is None:
            raise web.HTTPNotFound()
        return case

    async def _page(self, request: web.Request, case: Case, *, notice: str | None) -> web.Response:
        resident, new = self.guard.ensure_resident(request)
        async with self.core.sessionmaker() as session:
            events = await case_events(session=session, case_id=case.id)
        t = self.core.texts
        view = case_view(
            case,
            events,
            labels=self.pages.labels,
            state_label=t(f"state.{case.state}"),
            type_label=t(f"type.{case.request_type}"),
            zone=self.core.zone,
        )
        response = self.pages.render(
            "case.html",
            case=view,
            notice=notice,
            csrf=self.signer.csrf_token(resident),
            action_base=f"/chat/case/{request.match_info['token']}",
            satisfaction=list(SATISFACTION),
        )
        if new:
            self.guard.set_cookie(response, resident)
        return response
