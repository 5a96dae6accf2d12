"""Security headers on every response: CSP without inline script, no framing, no sniffing.

Styles may be inline because ECharts positions its tooltips with style attributes; scripts come
only from /static (htmx and ECharts are vendored, the page code is in static/js). Set in
`on_response_prepare`, so streamed downloads and error pages get them too.
"""

from __future__ import annotations

from aiohttp import web

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(HEADERS)
    if not request.path.startswith("/static/"):
        # Case pages hold personal data: no shared or back-button caches.
        response.headers.setdefault("Cache-Control", "no-store")
