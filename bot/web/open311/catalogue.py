"""The service list (GET services) from the router's taxonomy: one service per sub-category.

A service_code is the first 8 hex digits of the SHA-256 of the sub-category's name: stable
across restarts, reordering of the taxonomy file and other districts' data, and ASCII so it
sits in a URL path unescaped. Renaming a sub-category gives it a new code (it is a new
service to the clients).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from nlp.directory import Directory

# The service definition's one attribute: which kind of request this is (投诉/求助/…).
REQUEST_TYPES: dict[str, str] = {
    "complaint": "投诉",
    "help": "求助",
    "suggestion": "建议",
    "question": "咨询",
    "praise": "表扬",
}
DEFAULT_REQUEST_TYPE = "complaint"
_KEYWORDS_SHOWN = 8


def service_code(subcategory: str) -> str:
    return hashlib.sha256(subcategory.encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    name: str  # the sub-category (二级分类)
    group: str  # its top level (一级分类)
    agency: str  # the unit it goes to, or the note that the place's subdistrict handles it
    keywords: tuple[str, ...]

    @property
    def description(self) -> str:
        return f"{self.group} / {self.name}: {self.agency}"


class ServiceCatalogue:
    def __init__(self, directory: Directory) -> None:
        services: dict[str, Service] = {}
        for category in directory.categories:
            code = service_code(category.sub)
            if code in services:  # a collision would silently merge two services
                raise ValueError(f"service code {code} of {category.sub!r} is not unique")
            strongest = sorted(category.keywords, key=lambda kw: -kw[1])[:_KEYWORDS_SHOWN]
            services[code] = Service(
                code=code,
                name=category.sub,
                group=category.top,
                agency="属地街道" if category.territorial else category.target,
                keywords=tuple(term.replace("+", " ") for term, _ in strongest),
            )
        self._by_code = services
        self._by_name = {s.name: s for s in services.values()}

    def __iter__(self) -> Iterator[Service]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Service | None:
        return self._by_code.get(code)

    def by_name(self, subcategory: str | None) -> Service | None:
        return None if subcategory is None else self._by_name.get(subcategory)
