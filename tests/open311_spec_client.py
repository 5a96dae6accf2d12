"""A GeoReport v2 client written only from the spec (open311.github.io GeoReport_v2/index.md),
sharing no code with the server: form-encoded POST in UTF-8, answers read as JSON or XML.

The `georeport` package on PyPI covers the GET calls but has no POST; this covers POST.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from defusedxml import ElementTree as SafeET


def post_service_request(endpoint: str, fmt: str, fields: dict[str, str]) -> tuple[int, Any]:
    """POST [endpoint]/requests.[fmt]; returns (HTTP status, the parsed list of requests/errors)."""
    body = urllib.parse.urlencode(fields).encode("utf-8")
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"not an http endpoint: {endpoint}")
    request = urllib.request.Request(  # noqa: S310 (checked above: http or https only)
        f"{endpoint}/requests.{fmt}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (test server)
            return response.status, _parse(fmt, response.read())
    except urllib.error.HTTPError as error:
        return error.code, _parse(fmt, error.read())


def _parse(fmt: str, raw: bytes) -> Any:
    if fmt == "json":
        return json.loads(raw.decode("utf-8"))
    root = SafeET.fromstring(raw)
    # Spark convention: the root's children are the list, each child's children its fields.
    return [{field.tag: field.text for field in item} for item in root]
