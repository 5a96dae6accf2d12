"""Knowledge-base entries (知识条目) read from TOML files, validated at load.

A file holds one or more ``[[entry]]`` tables. Every problem (missing field, unknown unit, bad date,
duplicate id) is a `KbDataError` naming the file and the entry, so a reviewer can fix it at once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nlp.errors import NlpError

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_URL = re.compile(r"^https?://\S+$")
_REQUIRED = (
    "id",
    "title",
    "answer",
    "unit",
    "tags",
    "variants",
    "valid_from",
    "valid_until",
    "source",
)


class KbDataError(NlpError):
    """A knowledge-base file or entry is wrong; the message names the file and the entry."""

    def __init__(self, file: Path, entry: str, problem: str) -> None:
        self.file = file
        self.entry = entry
        self.problem = problem
        super().__init__(f"{file}: entry {entry}: {problem}")


@dataclass(frozen=True, slots=True)
class Source:
    """Where an answer comes from: a public page (`url`) or a closed case (`case`, its number)."""

    title: str
    url: str | None = None
    case: str | None = None

    def pointer(self) -> str:
        """One line for the resident: the title and the address (or the case number)."""
        where = self.url or (f"工单 {self.case}" if self.case else "")
        return f"{self.title} {where}".strip()


@dataclass(frozen=True, slots=True)
class Entry:
    """One question–answer entry; `variants` are phrasings residents use."""

    id: str
    title: str
    answer: str
    unit: str
    tags: tuple[str, ...]
    variants: tuple[str, ...]
    valid_from: date
    valid_until: date
    source: Source
    file: Path

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The title and the variants: what a question is compared with."""
        return (self.title, *self.variants)

    def reply_text(self) -> str:
        """The answer as shown to a resident, ending with a pointer to its source."""
        return f"{self.answer.strip()}\n来源：{self.source.pointer()}"


def _text(file: Path, entry: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise KbDataError(file, entry, f"{key}: expected a non-empty string, got {value!r}")
    return value.strip()


def _texts(file: Path, entry: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise KbDataError(file, entry, f"{key}: expected a list of strings, got {value!r}")
    return tuple(_text(file, entry, f"{key}[{i}]", v) for i, v in enumerate(value))


def _date(file: Path, entry: str, key: str, value: object) -> date:
    # TOML has a date type (valid_from = 2026-11-28); an ISO string is accepted too.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise KbDataError(file, entry, f"{key}: expected a date like 2026-11-28, got {value!r}")


def _source(file: Path, entry: str, value: object) -> Source:
    if not isinstance(value, dict):
        raise KbDataError(file, entry, "source: expected a table { title = ..., url = ... }")
    unknown = set(value) - {"title", "url", "case"}
    if unknown:
        raise KbDataError(file, entry, f"source: unknown key {sorted(unknown)[0]!r}")
    title = _text(file, entry, "source.title", value.get("title"))
    url = value.get("url")
    case = value.get("case")
    if (url is None) == (case is None):
        raise KbDataError(file, entry, "source: give exactly one of url (a page) or case")
    if url is not None and not (isinstance(url, str) and _URL.match(url)):
        raise KbDataError(file, entry, f"source.url: expected an http(s) address, got {url!r}")
    return Source(
        title=title,
        url=url,
        case=None if case is None else _text(file, entry, "source.case", case),
    )


def parse_entry(
    file: Path, index: int, table: dict[str, Any], units: Collection[str] | None
) -> Entry:
    """Validate one ``[[entry]]`` table; `units` (None: unchecked) are the directory's names."""
    raw_id = table.get("id")
    label = raw_id if isinstance(raw_id, str) and raw_id else f"#{index + 1}"
    for key in _REQUIRED:
        if key not in table:
            raise KbDataError(file, label, f"missing field {key!r}")
    unknown = set(table) - set(_REQUIRED)
    if unknown:
        raise KbDataError(file, label, f"unknown field {sorted(unknown)[0]!r}")
    entry_id = _text(file, label, "id", raw_id)
    if not _ID.match(entry_id):
        raise KbDataError(file, label, "id: use lower-case letters, digits and '-' (2-64)")
    unit = _text(file, label, "unit", table["unit"])
    if units is not None and unit not in units:
        raise KbDataError(file, label, f"unit {unit!r} is not a unit of the directory")
    valid_from = _date(file, label, "valid_from", table["valid_from"])
    valid_until = _date(file, label, "valid_until", table["valid_until"])
    if valid_until < valid_from:
        raise KbDataError(file, label, "valid_until is before valid_from")
    return Entry(
        id=entry_id,
        title=_text(file, label, "title", table["title"]),
        answer=_text(file, label, "answer", table["answer"]),
        unit=unit,
        tags=_texts(file, label, "tags", table["tags"]),
        variants=_texts(file, label, "variants", table["variants"]),
        valid_from=valid_from,
        valid_until=valid_until,
        source=_source(file, label, table["source"]),
        file=file,
    )


def read_entry_file(file: Path, units: Collection[str] | None) -> list[Entry]:
    """All entries of one file, in file order."""
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KbDataError(file, "(file)", f"cannot read: {exc}") from exc
    tables = data.get("entry")
    unknown = set(data) - {"entry"}
    if unknown:
        raise KbDataError(file, "(file)", f"unknown top-level key {sorted(unknown)[0]!r}")
    if not isinstance(tables, list) or not tables:
        raise KbDataError(file, "(file)", "expected one or more [[entry]] tables")
    return [parse_entry(file, i, t, units) for i, t in enumerate(tables)]


def entry_files(folders: Iterable[Path]) -> list[Path]:
    """The ``*.toml`` files of each folder (a missing folder has none), in a stable order."""
    files: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.toml")))
    return files


def load_entries(files: Iterable[Path], units: Collection[str] | None) -> list[Entry]:
    """Every entry of the files; an id used twice is an error naming both files."""
    entries: list[Entry] = []
    seen: dict[str, Path] = {}
    for file in files:
        for entry in read_entry_file(file, units):
            if entry.id in seen:
                raise KbDataError(file, entry.id, f"duplicate id (also in {seen[entry.id]})")
            seen[entry.id] = file
            entries.append(entry)
    return entries


def load_synonyms(file: Path) -> dict[str, str]:
    """``synonyms.toml``: variant -> canonical term (a missing file has none)."""
    if not file.is_file():
        return {}
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KbDataError(file, "(file)", f"cannot read: {exc}") from exc
    table = data.get("synonyms", {})
    if not isinstance(table, dict):
        raise KbDataError(file, "synonyms", "expected a [synonyms] table")
    mapping: dict[str, str] = {}
    for canonical, variants in table.items():
        for variant in _texts(file, f"synonyms.{canonical}", "variants", variants):
            if variant in mapping and mapping[variant] != canonical:
                raise KbDataError(
                    file,
                    f"synonyms.{canonical}",
                    f"{variant!r} already maps to {mapping[variant]!r}",
                )
            mapping[variant] = canonical
    return mapping
