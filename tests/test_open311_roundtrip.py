"""Open311 round trip with independent clients over real HTTP: the `georeport` package for the
GET calls and a client written only from the spec for POST, in JSON and in XML."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from georeport import GeoReport

from bot.app import App
from bot.config import Open311Settings
from bot.web.open311 import Open311Deps, install
from bot.web.open311.catalogue import service_code
from tests.open311_spec_client import post_service_request
from tests.open311_support import api_key

STREETLIGHT = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_round_trip_with_independent_clients(app: App, fmt: str) -> None:
    """List services, read a definition, file a request, then find it by id and in the list."""
    key = await api_key(app)
    web_app = web.Application()
    install(web_app, Open311Deps(core=app.deps, settings=Open311Settings()))
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    endpoint = str(server.make_url("/open311/v2")).rstrip("/")
    try:
        client = GeoReport(endpoint, jurisdiction="lzanning.gov.cn", output_format=fmt)
        services = await asyncio.to_thread(client.get_service_list)
        lights = next(s for s in services if s["service_name"] == "路灯照明")
        assert lights["service_code"] == service_code("路灯照明")
        definition = await asyncio.to_thread(client.get_service_definition, lights["service_code"])
        assert definition["service_code"] == lights["service_code"]

        status, created = await asyncio.to_thread(
            post_service_request,
            endpoint,
            fmt,
            {
                "api_key": key,
                "jurisdiction_id": "lzanning.gov.cn",
                "service_code": lights["service_code"],
                "lat": "36.1035",
                "long": "103.7246",
                "description": STREETLIGHT,
                "attribute[request_type]": "complaint",
            },
        )
        assert status == 200, created
        number = created[0]["service_request_id"]

        one = await asyncio.to_thread(client.get_service_request, number)
        assert one["service_request_id"] == number and one["status"] == "open"
        assert one["service_name"] == "路灯照明" and one["description"] == STREETLIGHT
        listed = await asyncio.to_thread(client.get_service_requests, service_request_id=number)
        # xmltodict gives a single <request> as a dict, several as a list.
        rows = listed if isinstance(listed, list) else [listed]
        assert [r["service_request_id"] for r in rows] == [number]

        refused, errors = await asyncio.to_thread(
            post_service_request, endpoint, fmt, {"api_key": "wrong", "description": "x"}
        )
        assert refused == 403 and str(errors[0]["code"]) == "403"
    finally:
        await server.close()
