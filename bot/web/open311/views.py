"""The six GeoReport v2 calls; each parses, calls a query or the case seam, and renders.

Errors leave as Open311Error and become the spec's error document in `Open311Api.guard`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict

from bot.config import Open311Settings
from bot.web import casework
from bot.web.open311 import encode
from bot.web.open311.catalogue import REQUEST_TYPES, Service, ServiceCatalogue
from bot.web.open311.errors import Open311Error, bad_request, forbidden, not_found
from bot.web.open311.params import (
    RequestQuery,
    check_jurisdiction,
    given,
    parse_new_request,
    parse_query,
)
from bot.web.open311.present import (
    CLOSED,
    NOTE_ACTIONS,
    OPEN,
    request_fields,
    service_notice,
    states_for,
)
from handlers.context import CoreDeps
from handlers.conversation.flood import FloodGuard, Verdict
from storage.apikeys import find_active_key
from storage.requestqueries import cases_by_numbers, find_cases, latest_events

log = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Open311Deps:
    """What the API needs: the core's collaborators and the `[open311]` settings."""

    core: CoreDeps
    settings: Open311Settings


def _service_fields(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        # Every service has one attribute (the kind of request), so a definition exists.
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(service.keywords),
        "group": service.group,
    }


def _definition(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": True,
                "code": "request_type",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "诉求类型；不填为投诉 (complaint)",
                "order": 1,
                "description": "诉求类型",
                "values": [{"key": key, "name": name} for key, name in REQUEST_TYPES.items()],
            }
        ],
    }


class Open311Api:
    def __init__(self, deps: Open311Deps) -> None:
        self.core = deps.core
        self.settings = deps.settings
        self.catalogue = ServiceCatalogue(deps.core.router.directory)
        self._status_states = {OPEN: states_for(OPEN), CLOSED: states_for(CLOSED)}
        self._per_key = FloodGuard(limit=deps.settings.posts_per_key_per_minute, window_seconds=60)
        self._per_address = FloodGuard(
            limit=deps.settings.requests_per_address_per_minute, window_seconds=60
        )

    # ── the common wrapper ─────────────────────────────────────────────────────────────────
    def guard(self, handler: Handler) -> Handler:
        """Format, per-address rate limit and jurisdiction for every call; errors as documents."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            fmt = _format(request)
            now = self.core.clock.now().timestamp()
            address = request.remote or "-"
            if self._per_address.check(("open311-addr", address), now) is not Verdict.ADMIT:
                response = encode.error_response(fmt, 429, ["too many requests; slow down"])
                response.headers["Retry-After"] = "60"
                return response
            try:
                check_jurisdiction(request.query, self.settings.jurisdiction_id)
                return await handler(request)
            except Open311Error as error:
                return encode.error_response(fmt, error.status, [error.description])

        return wrapped

    # ── GET services ───────────────────────────────────────────────────────────────────────
    async def services(self, request: web.Request) -> web.StreamResponse:
        rows = [_service_fields(service) for service in self.catalogue]
        return encode.respond(_format(request), "services", "service", rows)

    async def service_definition(self, request: web.Request) -> web.StreamResponse:
        service = self.catalogue.get(request.match_info["code"])
        if service is None:
            raise not_found(f"service_code {request.match_info['code']!r} not found")
        return encode.respond(_format(request), "service_definition", None, _definition(service))

    # ── GET requests ───────────────────────────────────────────────────────────────────────
    async def requests(self, request: web.Request) -> web.StreamResponse:
        query = parse_query(
            request.query,
            catalogue=self.catalogue,
            now=self.core.clock.now(),
            default_days=self.settings.default_days,
            status_states=self._status_states,
        )
        return await self._answer(request, query)

    async def one_request(self, request: web.Request) -> web.StreamResponse:
        number = request.match_info["id"]
        query = RequestQuery(
            ids=[number], subcategories=None, start=_EPOCH, end=_EPOCH, states=None
        )
        return await self._answer(
            request, query, missing=f"service_request_id {number!r} not found"
        )

    async def _answer(
        self, request: web.Request, query: RequestQuery, *, missing: str | None = None
    ) -> web.StreamResponse:
        """The matching requests with their notes, read in one session (two statements)."""
        async with self.core.sessionmaker() as session:
            if query.ids is not None:
                cases = list(await cases_by_numbers(session=session, numbers=query.ids))
            else:
                cases = list(
                    await find_cases(
                        session=session,
                        start=query.start,
                        end=query.end,
                        subcategories=query.subcategories,
                        states=query.states,
                        limit=self.settings.max_requests,
                    )
                )
            if not cases and missing is not None:
                raise not_found(missing)
            notes = await latest_events(
                session=session, case_ids=[c.id for c in cases], actions=NOTE_ACTIONS
            )
        zone = self.core.zone
        rows = [request_fields(c, self.catalogue, zone, notes.get(c.id)) for c in cases]
        return encode.respond(_format(request), "service_requests", "request", rows)

    # ── POST requests ──────────────────────────────────────────────────────────────────────
    async def create(self, request: web.Request) -> web.StreamResponse:
        if (request.content_length or 0) > self.settings.max_body_bytes:
            raise Open311Error(413, "request body too large")
        form = await _form(request, self.settings.max_body_bytes)
        check_jurisdiction(form, self.settings.jurisdiction_id)
        client = await self._client(form)
        now = self.core.clock.now().timestamp()
        if self._per_key.check(("open311-key", client), now) is not Verdict.ADMIT:
            raise Open311Error(429, "too many requests for this api_key; slow down")
        new = parse_new_request(
            form, catalogue=self.catalogue, max_description=self.settings.max_description_chars
        )
        case = await casework.file_api_case(
            self.core,
            casework.ApiFiling(
                client=client,
                account=new.account,
                description=new.description,
                request_type=new.request_type,
                subcategory=new.subcategory,
                latitude=new.latitude,
                longitude=new.longitude,
                address=new.address,
                phone=new.phone,
                media_urls=(new.media_url,) if new.media_url else (),
            ),
        )
        log.info("open311: %s filed %s", client, case.number)
        body = [
            {
                "service_request_id": case.number,
                "service_notice": service_notice(case, self.core.zone),
                "account_id": new.account,
            }
        ]
        return encode.respond(_format(request), "service_requests", "request", body)

    async def _client(self, form: Mapping[str, str]) -> str:
        key = given(form, "api_key")
        if key is None:
            raise forbidden("api_key is missing -- can't proceed with create_request")
        async with self.core.sessionmaker() as session:
            row = await find_active_key(session=session, key=key)
        if row is None:
            raise forbidden("Invalid api_key received -- can't proceed with create_request")
        return row.name


def _format(request: web.Request) -> encode.Format:
    fmt = request.match_info.get("fmt")
    if fmt is None:
        # The catch-all route: answer in the format the path asked for, JSON otherwise.
        fmt = "xml" if request.path.endswith(".xml") else "json"
    return cast(encode.Format, fmt)


async def _form(request: web.Request, limit: int) -> MultiDict[str]:
    """The form fields (the spec sends POST as application/x-www-form-urlencoded)."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise bad_request("send the request as application/x-www-form-urlencoded")
    body = await request.content.read(limit + 1)
    if len(body) > limit:
        raise Open311Error(413, "request body too large")
    try:
        text = body.decode(request.charset or "utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError, LookupError):
        raise bad_request("the form is not valid UTF-8 form data") from None
    return MultiDict(pairs)
