"""The chat page and its calls: send a message, a photo or a location; live pushes; my cases.

Each call is parse → the conversation core (channel "web") → JSON for the page's script, which
shows every text with textContent (never as HTML).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from typing import Any

from aiohttp import BodyPartReader, web

from bot.web.residentchat.common import CSRF_HEADER, Views, too_many
from bot.web.residentchat.live import CHANNEL
from handlers.conversation.messages import Inbound, Location, Outbound
from handlers.validation import is_case_number
from storage.cases import cases_of_resident, get_case
from storage.media import MediaRejected
from storage.models import Resident
from storage.outbox import release_held
from storage.residents import get_resident

log = logging.getLogger(__name__)
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_NUMBER_IN_TEXT = re.compile(r"[A-Z]{1,8}\d{8}-\d{4}")
_HEARTBEAT_SECONDS = 15.0


def outbound_json(message: Outbound) -> dict[str, Any]:
    return {
        "text": message.text,
        "buttons": [
            [{"label": b.label, "payload": b.payload} for b in row] for row in message.buttons
        ],
        "photos": len(message.photos),
    }


class ChatViews(Views):
    # ── the page ───────────────────────────────────────────────────────────────────────────
    async def page(self, request: web.Request) -> web.StreamResponse:
        resident, new = self.guard.ensure_resident(request)
        response = self.pages.render("chat.html", csrf=self.signer.csrf_token(resident))
        if new:
            self.guard.set_cookie(response, resident)
        return response

    # ── messages ───────────────────────────────────────────────────────────────────────────
    async def send(self, request: web.Request) -> web.StreamResponse:
        resident = self.guard.require_post(request, request.headers.get(CSRF_HEADER))
        if not self.guard.admit_resident(resident):
            return too_many()
        body = await _json_body(request, self.deps.settings.max_message_bytes)
        fields = _message_fields(body, max_chars=self.core.policy.max_description_chars * 2)
        return await self._turn(resident, _message_id(body), **fields)

    async def photo(self, request: web.Request) -> web.StreamResponse:
        resident = self.guard.require_post(request, request.headers.get(CSRF_HEADER))
        if not self.guard.admit_resident(resident):
            return too_many()
        limit = self.deps.media.max_bytes
        if (request.content_length or 0) > limit + 64 * 1024:
            return web.json_response({"error": "photo_too_big"}, status=413)
        data, message_id = await _read_photo(request, limit)
        if data is None:
            return web.json_response({"error": "photo_too_big"}, status=413)
        try:
            ref = await asyncio.to_thread(self.deps.media.put, data)
        except MediaRejected as rejected:
            log.info("web photo refused from %s: %s", resident, rejected)
            return web.json_response({"error": "photo_not_image"}, status=415)
        return await self._turn(resident, message_id, photo=ref)

    async def _turn(self, resident: str, message_id: str | None, **fields: Any) -> web.Response:
        inbound = Inbound(
            channel=CHANNEL,
            user_id=resident,
            chat_id=resident,
            # Scoped to the resident: one browser cannot spend another's message ids.
            message_id=f"{resident}:{message_id}" if message_id else None,
            **fields,
        )
        replies = await self.deps.conversation.handle(inbound)
        payload: dict[str, Any] = {"replies": [outbound_json(r) for r in replies]}
        if any(_NUMBER_IN_TEXT.search(r.text) for r in replies):
            payload["cases"] = await self._cases(resident)
        return web.json_response(payload)

    # ── live pushes ────────────────────────────────────────────────────────────────────────
    async def events(self, request: web.Request) -> web.StreamResponse:
        resident = self.guard.resident(request)
        if resident is None:
            raise web.HTTPForbidden(text="no resident cookie: open /chat first")
        queue = self.deps.pages.open(resident)
        if queue is None:
            return too_many()
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                # Tell a buffering reverse proxy (nginx) to pass events on at once.
                "X-Accel-Buffering": "no",
            }
        )
        try:
            await response.prepare(request)
            await self._release_held(resident)
            await response.write(b"retry: 3000\n\n")
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), _HEARTBEAT_SECONDS)
                except TimeoutError:
                    await response.write(b": ping\n\n")
                    continue
                data = json.dumps(outbound_json(message), ensure_ascii=False)
                await response.write(f"event: push\ndata: {data}\n\n".encode())
        except ConnectionResetError:
            pass  # the page closed; a push that was on its way waits for the next page
        finally:
            self.deps.pages.close(resident, queue)
        return response

    async def _release_held(self, resident: str) -> None:
        """Pushes held while no page was open go out now (the outbox job sends them)."""
        async with self.core.sessionmaker() as session, session.begin():
            await release_held(
                session=session, channel=CHANNEL, recipient=resident, now=self.core.clock.now()
            )

    # ── my cases ───────────────────────────────────────────────────────────────────────────
    async def mine(self, request: web.Request) -> web.StreamResponse:
        resident = self.guard.resident(request)
        cases = await self._cases(resident) if resident else []
        return web.json_response({"cases": cases}, headers={"Cache-Control": "no-store"})

    async def find(self, request: web.Request) -> web.StreamResponse:
        """Come back on another device: a phone number given in a case, and that case's number."""
        self.guard.require_post(request, request.headers.get(CSRF_HEADER))
        if not self.guard.admit_lookup(request):
            return too_many()
        body = await _json_body(request, 1024)
        phone = re.sub(r"\D", "", str(body.get("phone", "")))
        number = str(body.get("number", "")).strip().upper()
        if len(phone) < 5 or not is_case_number(number):
            return web.json_response({"error": "find_none"}, status=404)
        async with self.core.sessionmaker() as session:
            case = await get_case(session=session, number=number)
            owner = await session.get(Resident, case.resident_id) if case else None
        stored = re.sub(r"\D", "", (case.contact_phone or "") if case else "")
        if owner is None or owner.channel != CHANNEL or stored != phone:
            return web.json_response({"error": "find_none"}, status=404)
        response = web.json_response({"cases": await self._cases(owner.external_id)})
        self.guard.set_cookie(response, owner.external_id)
        return response

    async def _cases(self, resident: str) -> list[dict[str, str]]:
        t = self.core.texts
        async with self.core.sessionmaker() as session:
            row = await get_resident(session=session, channel=CHANNEL, external_id=resident)
            cases = (
                await cases_of_resident(session=session, resident_id=row.id, limit=20)
                if row
                else []
            )
        return [
            {
                "number": case.number,
                "state": t(f"state.{case.state}"),
                "url": f"/chat/case/{self.signer.case_token(case.id)}",
            }
            for case in cases
        ]


async def _json_body(request: web.Request, limit: int) -> dict[str, Any]:
    if (request.content_length or 0) > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length or 0)
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(raw))
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="expected a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


def _message_id(body: dict[str, Any]) -> str | None:
    value = body.get("id")
    return value if isinstance(value, str) and _MESSAGE_ID.match(value) else None


def _message_fields(body: dict[str, Any], *, max_chars: int) -> dict[str, Any]:
    """Exactly one of text, choice (a button's payload) or location {lat, lon}."""
    text, choice, location = body.get("text"), body.get("choice"), body.get("location")
    if isinstance(text, str) and choice is None and location is None:
        # Longer than the intake accepts is refused by the core with its own message; this
        # only bounds what reaches it.
        return {"text": text[:max_chars]}
    if isinstance(choice, str) and text is None and location is None and len(choice) <= 64:
        return {"choice": choice}
    if isinstance(location, dict) and text is None and choice is None:
        with contextlib.suppress(TypeError, ValueError):
            lat, lon = float(location["lat"]), float(location["lon"])
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return {"location": Location(lat, lon)}
    raise web.HTTPBadRequest(text="send one of text, choice or location")


async def _read_photo(request: web.Request, limit: int) -> tuple[bytes | None, str | None]:
    """The uploaded photo's bytes (None if over `limit`) and the message id field."""
    if not request.content_type.startswith("multipart/"):
        raise web.HTTPBadRequest(text="send the photo as multipart/form-data")
    reader = await request.multipart()
    data: bytes | None = b""
    message_id: str | None = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "id":
            value = (await part.read(decode=True)).decode(errors="replace")[:64]
            message_id = value if _MESSAGE_ID.match(value) else None
        elif part.name == "photo":
            chunks: list[bytes] = []
            size = 0
            while chunk := await part.read_chunk(64 * 1024):
                size += len(chunk)
                if size > limit:
                    return None, message_id
                chunks.append(chunk)
            data = b"".join(chunks)
    if not data:
        raise web.HTTPBadRequest(text="no photo in the form")
    return data, message_id
