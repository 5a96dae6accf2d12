"""Open311 GeoReport v2 at /open311/v2/: other systems list services, file and follow cases.

    install(app, Open311Deps(core=hotline_app.deps, settings=settings.open311))

adds the routes to an existing aiohttp application (the web server of `hotline run`). The calls
and their fields are the spec's (wiki.open311.org/GeoReport_v2); the extensions are documented
in the README: POST without service_code (the router decides), `detailed_status` on requests,
and the `request_type` attribute of every service.
"""

from __future__ import annotations

from aiohttp import web

from bot.web.open311.views import Open311Api, Open311Deps

__all__ = ["PREFIX", "Open311Deps", "install"]

PREFIX = "/open311/v2"
_FMT = "{fmt:json|xml}"


def install(app: web.Application, deps: Open311Deps) -> None:
    api = Open311Api(deps)
    guard = api.guard
    app.router.add_get(f"{PREFIX}/services.{_FMT}", guard(api.services))
    app.router.add_get(
        f"{PREFIX}/services/{{code:[0-9A-Za-z_-]+}}.{_FMT}", guard(api.service_definition)
    )
    app.router.add_get(f"{PREFIX}/requests.{_FMT}", guard(api.requests))
    app.router.add_post(f"{PREFIX}/requests.{_FMT}", guard(api.create))
    app.router.add_get(f"{PREFIX}/requests/{{id:[0-9A-Za-z-]+}}.{_FMT}", guard(api.one_request))
    # Anything else under the prefix: the spec's 404 document rather than the server's page.
    app.router.add_route("*", PREFIX + "/{tail:.*}", guard(_unknown))


async def _unknown(request: web.Request) -> web.StreamResponse:
    from bot.web.open311.errors import not_found

    raise not_found(f"no such resource: {request.path}")
