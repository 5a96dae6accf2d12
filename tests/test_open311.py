"""Open311 GeoReport v2 at /open311/v2/ (issue 12): every call in JSON and XML, field names,
types and encodings as in the spec's own examples, its error documents, keys and limits."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from bot.config import Open311Settings
from bot.web.open311.catalogue import service_code
from handlers.policy.clock import FixedClock
from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.apikeys import revoke_api_key
from storage.models import ApiKey, Case
from tests.desk import Person, case_by_number, file_case, join
from tests.open311_support import BASE, api_key, open311_client, xml_items, xml_root

W3C_LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
REQUEST_FIELDS = [
    "service_request_id", "status", "detailed_status", "status_notes", "service_name",
    "service_code", "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
]  # fmt: skip
STREETLIGHT = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"


def _post_form(key: str, **fields: str) -> dict[str, str]:
    return {
        "api_key": key,
        "lat": "36.1035",
        "long": "103.7246",
        "description": STREETLIGHT,
        **fields,
    }


async def test_services_json_has_the_spec_fields_and_types(app: App, router: Router) -> None:
    """GET services.json: a list with one service per sub-category, fields typed as the spec's."""
    async with open311_client(app) as client:
        response = await client.get(f"{BASE}/services.json")
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        services = await response.json()
    assert len(services) == len(router.categories())
    for service in services:
        assert list(service) == SERVICE_FIELDS
        assert isinstance(service["service_code"], str) and isinstance(service["keywords"], str)
        assert service["metadata"] is True and service["type"] == "realtime"
    lights = next(s for s in services if s["service_name"] == "路灯照明")
    assert lights["service_code"] == service_code("路灯照明") and lights["group"] == "城乡建设"
    assert len({s["service_code"] for s in services}) == len(services)


async def test_services_xml_is_utf8_with_the_declaration_and_one_element_per_service(
    app: App, router: Router
) -> None:
    """GET services.xml: text/xml in UTF-8, the declaration, <services><service> with the fields."""
    async with open311_client(app) as client:
        response = await client.get(f"{BASE}/services.xml")
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        body = await response.text()
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>\n<services>')
    items = xml_items(body)
    assert len(items) == len(router.categories())
    assert all(list(item) == SERVICE_FIELDS for item in items)
    assert {item["metadata"] for item in items} == {"true"}
    assert any(item["service_name"] == "路灯照明" for item in items)


async def test_service_definition_in_json_and_xml(app: App) -> None:
    """GET services/{code}: the definition's attribute with its values, as in the spec's example."""
    code = service_code("路灯照明")
    async with open311_client(app) as client:
        definition = await (await client.get(f"{BASE}/services/{code}.json")).json()
        body = await (await client.get(f"{BASE}/services/{code}.xml")).text()
    assert definition["service_code"] == code
    [attribute] = definition["attributes"]
    assert attribute["variable"] is True and attribute["datatype"] == "singlevaluelist"
    assert attribute["order"] == 1 and attribute["code"] == "request_type"
    assert {"key": "complaint", "name": "投诉"} in attribute["values"]
    root = xml_root(body)
    assert root.tag == "service_definition" and root.findtext("service_code") == code
    values = root.findall("attributes/attribute/values/value")
    assert [v.findtext("key") for v in values][:2] == ["complaint", "help"]
    assert root.findtext("attributes/attribute/required") == "false"


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_unknown_service_codes_and_paths_are_404_error_documents(app: App, fmt: str) -> None:
    """404 with the spec's error document: [{"code", "description"}] or <errors><error>."""
    async with open311_client(app) as client:
        for path in (f"{BASE}/services/nope.{fmt}", f"{BASE}/requests/AN20990101-0001.{fmt}"):
            response = await client.get(path)
            assert response.status == 404
            body = await response.text()
            if fmt == "json":
                [error] = await response.json()
                assert list(error) == ["code", "description"] and error["code"] == 404
            else:
                assert body.startswith('<?xml version="1.0" encoding="utf-8"?>\n<errors>')
                [error] = xml_items(body)
                assert error["code"] == "404" and error["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_post_needs_a_valid_live_api_key(app: App, fmt: str) -> None:
    """A missing, wrong or revoked api_key is 403 and files nothing."""
    key = await api_key(app)
    async with app.sessionmaker() as session, session.begin():
        await revoke_api_key(session=session, name="city-platform", now=app.deps.clock.now())
    async with open311_client(app) as client:
        for form in (_post_form("")), _post_form("o311_wrong"), _post_form(key):
            response = await client.post(f"{BASE}/requests.{fmt}", data=form)
            assert response.status == 403
            text = await response.text()
            assert "api_key" in text
    async with app.sessionmaker() as session:
        assert (await session.execute(select(Case))).first() is None


async def test_post_files_a_case_through_the_command_and_returns_its_id(app: App) -> None:
    """POST requests.json with a service_code files a case (channel open311) of that category."""
    key = await api_key(app)
    code = service_code("路灯照明")
    async with open311_client(app) as client:
        response = await client.post(
            f"{BASE}/requests.json",
            data=_post_form(key, service_code=code, account_id="acct-7", email="a@b.cn"),
        )
        assert response.status == 200
        [created] = await response.json()
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    assert created["account_id"] == "acct-7" and "已派至" in created["service_notice"]
    case = await case_by_number(app, created["service_request_id"])
    assert case.channel == "open311" and case.subcategory == "路灯照明"
    assert case.latitude == 36.1035 and case.state == CaseState.DISPATCHED
    assert case.place_unit is not None


async def test_post_in_xml_and_without_service_code_lets_the_router_decide(app: App) -> None:
    """POST requests.xml with no service_code (an extension): the router picks the category."""
    key = await api_key(app)
    async with open311_client(app) as client:
        response = await client.post(
            f"{BASE}/requests.xml",
            data={"api_key": key, "address_string": "建宁路", "description": STREETLIGHT},
        )
        body = await response.text()
    assert response.status == 200 and body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    [created] = xml_items(body)
    assert created["account_id"] is None
    case = await case_by_number(app, str(created["service_request_id"]))
    assert case.subcategory == "路灯照明" and case.place_text == "建宁路"


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"lat": "", "long": ""}, 400, "location"),
        ({"long": ""}, 400, "together"),
        ({"lat": "91"}, 400, "range"),
        ({"description": ""}, 400, "description"),
        ({"service_code": "zzz"}, 404, "service_code"),
        ({"attribute[request_type]": "rant"}, 400, "request_type"),
        ({"phone": "<script>"}, 400, "phone"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"jurisdiction_id": "other.gov.cn"}, 404, "jurisdiction_id"),
    ],
)
async def test_post_refuses_bad_requests_with_the_spec_codes(
    app: App, fields: dict[str, str], status: int, words: str
) -> None:
    """Missing location, bad values, unknown code or jurisdiction: 400 or 404, nothing filed."""
    key = await api_key(app)
    async with open311_client(app) as client:
        response = await client.post(f"{BASE}/requests.json", data=_post_form(key, **fields))
        assert response.status == status
        [error] = await response.json()
    assert error["code"] == status and words in error["description"]
    async with app.sessionmaker() as session:
        assert (await session.execute(select(Case))).first() is None


async def test_jurisdiction_id_is_checked_on_get(app: App) -> None:
    """The configured jurisdiction_id (or none) is served; another one is 404."""
    async with open311_client(app) as client:
        ok = await client.get(
            f"{BASE}/services.json", params={"jurisdiction_id": "lzanning.gov.cn"}
        )
        assert ok.status == 200
        other = await client.get(f"{BASE}/services.xml", params={"jurisdiction_id": "sfgov.org"})
        assert other.status == 404
        assert "jurisdiction_id" in (await other.text())


async def test_get_requests_defaults_to_the_last_90_days(app: App, clock: FixedClock) -> None:
    """Without dates only requests of the last 90 days are listed, newest first."""
    old = await file_case(app, user_id="r-old")
    clock.advance(timedelta(days=91))
    new = await file_case(app, user_id="r-new")
    async with open311_client(app) as client:
        listed = await (await client.get(f"{BASE}/requests.json")).json()
        assert [r["service_request_id"] for r in listed] == [new]
        start = (clock.now() - timedelta(days=95)).isoformat().replace("+00:00", "Z")
        end = (clock.now() - timedelta(days=10)).isoformat().replace("+00:00", "Z")
        dated = await client.get(
            f"{BASE}/requests.json", params={"start_date": start, "end_date": end}
        )
        assert [r["service_request_id"] for r in await dated.json()] == [old]


async def test_get_requests_limits_dates_and_statuses(app: App) -> None:
    """A span over 90 days, a date without zone and an unknown status are 400."""
    async with open311_client(app) as client:
        for params in (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
            {"start_date": "2026-11-01T00:00:00"},
            {"status": "pending"},
        ):
            response = await client.get(f"{BASE}/requests.json", params=params)
            assert response.status == 400, params


async def test_get_requests_filters_by_status_code_and_id(app: App) -> None:
    """status, service_code and service_request_id (a comma list that overrides the rest) filter."""
    # Three street lights on three roads: distinct matters, so none is merged into another.
    first = await file_case(app, user_id="r1")
    second = await file_case(
        app, "枣林路的路灯坏了一个多月了，晚上一片漆黑，走路很危险", user_id="r2"
    )
    withdrawn = await file_case(
        app, "桃林路的路灯坏了一个多月了，晚上一片漆黑，走路很危险", user_id="r3"
    )
    await Person(app, "r3").send(f"/withdraw {withdrawn}")
    lights = service_code("路灯照明")
    async with open311_client(app) as client:

        async def ids(**params: str) -> list[str]:
            rows: list[dict[str, Any]] = await (
                await client.get(f"{BASE}/requests.json", params=params)
            ).json()
            return [r["service_request_id"] for r in rows]

        assert await ids(status="open") == [second, first]
        assert await ids(status="closed") == [withdrawn]
        assert await ids(status="open,closed") == [withdrawn, second, first]
        assert await ids(service_code=lights) == [withdrawn, second, first]
        assert await ids(service_code=service_code("电梯")) == []
        assert await ids(service_request_id=f"{first},{withdrawn}", status="open") == [
            first,
            withdrawn,
        ]


async def test_get_requests_returns_at_most_max_requests(app: App) -> None:
    """The answer is cut at max_requests (the spec's 1,000 by default)."""
    for i in range(3):
        await file_case(app, user_id=f"r{i}")
    async with open311_client(app, Open311Settings(max_requests=2)) as client:
        assert len(await (await client.get(f"{BASE}/requests.json")).json()) == 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_resolved_request_is_closed_with_the_units_result(
    app: App, router: Router, fmt: str
) -> None:
    """GET requests/{id}: 已办结 maps to closed, detailed_status says resolved, status_notes is the
    result, times are ISO 8601 with +08:00, and the fields are the spec's, in its order."""
    staff = await join(app, "s1", router.route(STREETLIGHT).unit or "")
    number = await file_case(app, user_id="r1")
    case = await case_by_number(app, number)
    await staff.press(f"s:sign:{case.id}:{case.version}")
    await staff.press(f"s:done:{case.id}:{case.version + 1}")
    await staff.send("路灯已修复，恢复照明")
    await staff.press("s:fin")
    async with open311_client(app) as client:
        response = await client.get(f"{BASE}/requests/{number}.{fmt}")
        body = await response.text()
    if fmt == "json":
        [request] = await response.json()
    else:
        [request] = xml_items(body)
    assert list(request) == REQUEST_FIELDS
    assert request["status"] == "closed" and request["detailed_status"] == "resolved"
    assert request["status_notes"] == "路灯已修复，恢复照明"
    assert request["agency_responsible"] == router.route(STREETLIGHT).unit
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C_LOCAL.match(str(request[name])), (name, request[name])
    assert request["service_code"] == service_code("路灯照明")


async def test_no_personal_data_in_any_answer(app: App) -> None:
    """Phone numbers (given or typed into the text), email and names never leave in a response."""
    key = await api_key(app)
    form = _post_form(
        key,
        description=STREETLIGHT + "，我的电话13912345678",
        phone="13987654321",
        email="zhang@example.cn",
        first_name="三",
        last_name="张",
    )
    async with open311_client(app) as client:
        created = await (await client.post(f"{BASE}/requests.json", data=form)).json()
        number = created[0]["service_request_id"]
        bodies = [
            await (await client.get(f"{BASE}/requests/{number}.json")).text(),
            await (await client.get(f"{BASE}/requests.xml")).text(),
        ]
    for body in bodies:
        for secret in ("13912345678", "13987654321", "zhang@example.cn", "张"):
            assert secret not in body
        assert "139****5678" in body
    case = await case_by_number(app, number)
    assert case.contact_phone == "13987654321" and not case.share_identity


async def test_posts_are_rate_limited_per_key(app: App, clock: FixedClock) -> None:
    """Over posts_per_key_per_minute a key gets 429 until the minute has passed."""
    key = await api_key(app)
    async with open311_client(app, Open311Settings(posts_per_key_per_minute=2)) as client:
        statuses = [
            (await client.post(f"{BASE}/requests.json", data=_post_form(key))).status
            for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        clock.advance(timedelta(seconds=61))
        again = await client.post(f"{BASE}/requests.json", data=_post_form(key))
        assert again.status == 200


async def test_gets_are_rate_limited_per_address(app: App) -> None:
    """Over requests_per_address_per_minute an address gets 429 with the error document."""
    async with open311_client(app, Open311Settings(requests_per_address_per_minute=2)) as client:
        statuses = [(await client.get(f"{BASE}/services.json")).status for _ in range(3)]
        limited = await client.get(f"{BASE}/services.xml")
    assert statuses == [200, 200, 429]
    assert limited.headers["Retry-After"] == "60"


async def test_api_keys_are_stored_hashed_and_can_be_rotated(app: App) -> None:
    """Only a SHA-256 of the key is stored; a revoked client may get a new key."""
    key = await api_key(app, "maps")
    async with app.sessionmaker() as session:
        row = (await session.execute(select(ApiKey))).scalar_one()
    assert key not in (row.key_hash, row.prefix) and len(row.key_hash) == 64
    assert key.startswith(row.prefix)
    async with app.sessionmaker() as session, session.begin():
        assert await revoke_api_key(session=session, name="maps", now=app.deps.clock.now())
    second = await api_key(app, "maps")
    assert second != key
    async with app.sessionmaker() as session:
        rows = (await session.execute(select(ApiKey).order_by(ApiKey.id))).scalars().all()
    assert [r.revoked_at is not None for r in rows] == [True, False]


async def test_install_public_wires_both_surfaces_and_their_senders(app: App) -> None:
    """install_public adds /open311/v2 and /chat and registers the web and open311 senders."""
    from aiohttp import web

    from bot.web.public import install_public

    web_app = web.Application()
    install_public(web_app, app)
    paths = {route.resource.canonical for route in web_app.router.routes() if route.resource}
    assert "/chat" in paths and any(p.startswith(BASE) for p in paths)
    assert {"web", "open311"} <= set(app.senders.channels)


async def test_pushes_to_an_api_client_do_not_wait_forever(app: App, router: Router) -> None:
    """A unit's step on an Open311 case is recorded as delivered: the client follows by GET."""
    from bot.outbox.sender import OutboxSender
    from bot.web.open311.sink import Open311Sink
    from storage.models import OutboxMessage

    staff = await join(app, "s1", router.route(STREETLIGHT).unit or "")
    key = await api_key(app)
    async with open311_client(app) as client:
        [created] = await (await client.post(f"{BASE}/requests.json", data=_post_form(key))).json()
    case = await case_by_number(app, created["service_request_id"])
    await staff.press(f"s:sign:{case.id}:{case.version}")
    app.senders.register(Open311Sink())
    sender = OutboxSender(sessionmaker=app.sessionmaker, senders=app.senders, clock=app.deps.clock)
    await sender.drain()
    async with app.sessionmaker() as session:
        rows = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.channel == "open311"))
        ).scalars()
        assert [row.status for row in rows] == ["sent"]


def test_every_internal_state_maps_to_open_or_closed_as_documented() -> None:
    """Open states stay open; 已办结, 已归档, 已撤销 and 已并单 (merged into another request, as
    FixMyStreet closes a duplicate) are closed (as FixMyStreet counts fixed)."""
    from bot.web.open311.present import status_of

    expected = {
        "submitted": "open",
        "pending_dispatch": "open",
        "dispatched": "open",
        "accepted": "open",
        "reopened": "open",
        "resolved": "closed",
        "closed": "closed",
        "cancelled": "closed",
        "merged": "closed",
    }
    assert {state.value: status_of(state.value) for state in CaseState} == expected


async def test_markup_in_a_description_is_escaped_in_xml(app: App) -> None:
    """A description with markup comes back as text in XML (escaped), never as elements."""
    key = await api_key(app)
    form = _post_form(key, description=STREETLIGHT + "<b>&</b><script>x</script>")
    async with open311_client(app) as client:
        [created] = await (await client.post(f"{BASE}/requests.json", data=form)).json()
        body = await (
            await client.get(f"{BASE}/requests/{created['service_request_id']}.xml")
        ).text()
    assert "&lt;b&gt;&amp;&lt;/b&gt;&lt;script&gt;" in body
    [request] = xml_items(body)
    assert str(request["description"]).endswith("<b>&</b><script>x</script>")


async def test_oversized_post_bodies_are_refused(app: App) -> None:
    """A POST body over max_body_bytes is refused with 413 before it is read whole."""
    key = await api_key(app)
    async with open311_client(app, Open311Settings(max_body_bytes=2048)) as client:
        response = await client.post(
            f"{BASE}/requests.json", data=_post_form(key, description="路灯" * 2000)
        )
        assert response.status == 413
        [error] = await response.json()
    assert error["code"] == 413
