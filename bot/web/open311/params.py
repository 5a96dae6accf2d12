"""Query and form parameters of the API, checked and typed; Open311Error says what is wrong.

"Optional" in the spec means an empty parameter counts as absent, so blanks are dropped first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.web.open311.catalogue import DEFAULT_REQUEST_TYPE, REQUEST_TYPES, ServiceCatalogue
from bot.web.open311.errors import bad_request, not_found
from bot.web.open311.present import CLOSED, OPEN

MAX_SPAN = timedelta(days=90)
_PHONE = re.compile(r"^\+?[0-9 ()-]{5,32}$")
_URL = re.compile(r"^https?://\S{1,2000}$")
_CASE_ID = re.compile(r"^[A-Za-z0-9-]{1,32}$")


def given(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def check_jurisdiction(params: Mapping[str, str], served: str) -> None:
    asked = given(params, "jurisdiction_id")
    if asked is not None and asked != served:
        raise not_found(f"jurisdiction_id {asked!r} not found: this endpoint serves {served}")


def _comma_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or None


def _w3c(params: Mapping[str, str], name: str) -> datetime | None:
    value = given(params, name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise bad_request(f"{name} must be a w3 datetime, e.g. 2026-11-01T00:00:00Z") from None
    if moment.tzinfo is None:
        raise bad_request(f"{name} must include a time zone (Z or +08:00)")
    return moment


@dataclass(frozen=True, slots=True)
class RequestQuery:
    """GET requests: by ids (which override everything else), or by filters."""

    ids: list[str] | None
    subcategories: list[str] | None
    start: datetime
    end: datetime
    states: set[str] | None  # None: every state


def parse_query(
    params: Mapping[str, str],
    *,
    catalogue: ServiceCatalogue,
    now: datetime,
    default_days: int,
    status_states: Mapping[str, set[str]],
) -> RequestQuery:
    ids = _comma_list(given(params, "service_request_id"))
    if ids is not None:
        if not all(_CASE_ID.match(i) for i in ids):
            raise bad_request("service_request_id: comma-separated request ids")
        return RequestQuery(ids=ids, subcategories=None, start=now, end=now, states=None)
    codes = _comma_list(given(params, "service_code"))
    # An unknown code matches nothing, as a filter should, rather than failing the query.
    subcategories = (
        None
        if codes is None
        else [s.name for s in (catalogue.get(code) for code in codes) if s is not None]
    )
    start, end = _w3c(params, "start_date"), _w3c(params, "end_date")
    default = timedelta(days=default_days)
    if start is None and end is None:
        end, start = now, now - default
    elif start is None:
        assert end is not None
        start = end - default
    elif end is None:
        end = start + default
    if end < start:
        raise bad_request("end_date is before start_date")
    if end - start > MAX_SPAN:
        raise bad_request("start_date and end_date may not span more than 90 days")
    statuses = _comma_list(given(params, "status"))
    states: set[str] | None = None
    if statuses is not None:
        unknown = [s for s in statuses if s not in (OPEN, CLOSED)]
        if unknown:
            raise bad_request(f"status must be open or closed, not {unknown[0]!r}")
        states = set().union(*(status_states[s] for s in statuses))
    return RequestQuery(ids=None, subcategories=subcategories, start=start, end=end, states=states)


@dataclass(frozen=True, slots=True)
class NewRequest:
    """POST requests, checked. Email and names are accepted and not stored (data minimisation:
    a case record keeps a phone number for call-backs, nothing else about the person)."""

    subcategory: str | None
    request_type: str
    description: str
    latitude: float | None
    longitude: float | None
    address: str | None
    phone: str | None
    account: str | None
    media_url: str | None


def _coordinate(params: Mapping[str, str], name: str, limit: float) -> float | None:
    value = given(params, name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise bad_request(f"{name} must be a number (WGS84 degrees)") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise bad_request(f"{name} is out of range")
    return number


def parse_new_request(
    form: Mapping[str, str], *, catalogue: ServiceCatalogue, max_description: int
) -> NewRequest:
    code = given(form, "service_code")
    subcategory = None
    if code is not None:
        service = catalogue.get(code)
        if service is None:
            raise not_found(f"service_code {code!r} not found")
        subcategory = service.name
    lat, lon = _coordinate(form, "lat", 90.0), _coordinate(form, "long", 180.0)
    if (lat is None) != (lon is None):
        raise bad_request("lat and long must be sent together")
    address = given(form, "address_string")
    if lat is None and address is None:
        raise bad_request("a location is required: lat and long, or address_string")
    if address is not None and len(address) > 256:
        raise bad_request("address_string is longer than 256 characters")
    description = given(form, "description")
    if description is None or len(description) < 5:
        raise bad_request("description is required (at least 5 characters)")
    if len(description) > max_description:
        raise bad_request(f"description is longer than {max_description} characters")
    request_type = given(form, "attribute[request_type]") or DEFAULT_REQUEST_TYPE
    if request_type not in REQUEST_TYPES:
        raise bad_request(f"attribute[request_type] must be one of {', '.join(REQUEST_TYPES)}")
    phone = given(form, "phone")
    if phone is not None and not _PHONE.match(phone):
        raise bad_request("phone is not a phone number")
    media_url = given(form, "media_url")
    if media_url is not None and not _URL.match(media_url):
        raise bad_request("media_url must be an http or https URL")
    account = given(form, "account_id") or given(form, "device_id")
    return NewRequest(
        subcategory=subcategory,
        request_type=request_type,
        description=description,
        latitude=lat,
        longitude=lon,
        address=address,
        phone=phone,
        account=account[:32] if account else None,
        media_url=media_url,
    )
