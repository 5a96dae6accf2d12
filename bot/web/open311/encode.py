"""JSON and XML bodies as GeoReport v2 writes them.

XML: the root element, one child per item (`<services><service>…`), empty elements for absent
values, booleans as true/false, the declaration with encoding="utf-8" (the spec requires it).
JSON follows the spec's Spark convention: the root becomes a list of the items. Built with the
standard library's ElementTree, which escapes text and attributes; nothing here parses XML.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from xml.etree import ElementTree as ET

from aiohttp import web

Format = Literal["json", "xml"]
JSON_TYPE = "application/json"
XML_TYPE = "text/xml"
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Child element names of the lists inside an item (the service definition's attributes).
_SINGULAR = {"attributes": "attribute", "values": "value", "errors": "error"}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _append(element, key, inner)
    elif isinstance(value, list | tuple):
        child = _SINGULAR.get(name, "item")
        for inner in value:
            _append(element, child, inner)
    else:
        element.text = _text(value)


def xml_document(
    root: str, item: str | None, body: Sequence[Mapping[str, Any]] | Mapping[str, Any]
) -> str:
    """`<root><item>…</item>…</root>`; with `item` None, `body` is the root's own fields."""
    element = ET.Element(root)
    if item is None:
        assert isinstance(body, Mapping)
        for key, value in body.items():
            _append(element, key, value)
    else:
        for row in body:
            _append(element, item, row)
    ET.indent(element, space="  ")
    return _DECLARATION + ET.tostring(element, encoding="unicode") + "\n"


def respond(
    fmt: Format,
    root: str,
    item: str | None,
    body: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    if fmt == "xml":
        text = xml_document(root, item, body)
        return web.Response(text=text, status=status, content_type=XML_TYPE, charset="utf-8")
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return web.Response(text=data, status=status, content_type=JSON_TYPE, charset="utf-8")


def error_response(fmt: Format, status: int, descriptions: Sequence[str]) -> web.Response:
    errors = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt, "errors", "error", errors, status=status)
