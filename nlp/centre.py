"""A receiving centre's catalogue (派单目录) mapping: the router's second-level categories to the
labels and units the centre itself uses.

A city 12345 centre has its own classification and its own names for the units; a deployment
whose scheme differs maps here instead of editing keywords. The file is optional:
``centre_catalogue.toml`` in the directory's data folder, or ``[router] centre_catalogue``.

    name = "兰州市12345热线"
    [map."路灯照明"]
    label = "城乡建设/市政设施/路灯"
    unit = "安宁区城管局"          # optional: without it the router's unit (renamed by [units])
    [units]
    "培黎街道" = "安宁区培黎街道办事处"   # the centre's name for a directory unit
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.directory import Directory
from nlp.errors import DirectoryDataError
from nlp.router import RouteDecision

FILE_NAME = "centre_catalogue.toml"


@dataclass(frozen=True, slots=True)
class CentreEntry:
    label: str
    unit: str | None


@dataclass(frozen=True, slots=True)
class CentreCatalogue:
    """The mapping, validated against the directory it maps from."""

    name: str
    path: Path
    entries: dict[str, CentreEntry]  # router sub-category -> centre label and unit
    units: dict[str, str]  # directory unit -> the centre's name for it

    def map(self, decision: RouteDecision) -> dict[str, Any]:
        """The centre's label and unit for a decision (None where the mapping has nothing)."""
        entry = self.entries.get(decision.subcategory or "")
        unit = entry.unit if entry and entry.unit else None
        if unit is None and decision.unit:
            unit = self.units.get(decision.unit, decision.unit)
        return {
            "centre": self.name,
            "label": entry.label if entry else None,
            "unit": unit,
        }


def _text(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DirectoryDataError(path, key, f"expected a non-empty string, got {value!r}")
    return value.strip()


def load_centre_catalogue(path: Path, directory: Directory) -> CentreCatalogue:
    """Read and check a mapping file; a bad entry fails naming the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DirectoryDataError(path, "(file)", "file not found") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DirectoryDataError(path, "(file)", f"cannot read: {exc}") from exc
    unknown = set(data) - {"name", "map", "units"}
    if unknown:
        raise DirectoryDataError(path, sorted(unknown)[0], "unknown key; use name, map, units")
    name = _text(path, "name", data.get("name", path.stem))
    subs = {c.sub for c in directory.categories}
    mapping = data.get("map", {})
    if not isinstance(mapping, dict):
        raise DirectoryDataError(path, "map", 'expected a table of [map."sub-category"] tables')
    entries: dict[str, CentreEntry] = {}
    for sub, table in mapping.items():
        key = f"map.{sub}"
        if sub not in subs:
            raise DirectoryDataError(path, key, "no such sub-category in taxonomy.toml")
        if not isinstance(table, dict):
            raise DirectoryDataError(path, key, "expected a table with label (and unit)")
        extra = set(table) - {"label", "unit"}
        if extra:
            raise DirectoryDataError(path, f"{key}.{sorted(extra)[0]}", "unknown key")
        unit = table.get("unit")
        entries[sub] = CentreEntry(
            label=_text(path, f"{key}.label", table.get("label")),
            unit=None if unit is None else _text(path, f"{key}.unit", unit),
        )
    units_table = data.get("units", {})
    if not isinstance(units_table, dict):
        raise DirectoryDataError(path, "units", "expected a table: directory unit = centre name")
    known = set(directory.unit_names())
    units: dict[str, str] = {}
    for unit, centre_name in units_table.items():
        if unit not in known:
            raise DirectoryDataError(path, f"units.{unit}", "not a unit of the directory")
        units[unit] = _text(path, f"units.{unit}", centre_name)
    return CentreCatalogue(name, path, entries, units)


def find_centre_catalogue(configured: Path | None, directory: Directory) -> CentreCatalogue | None:
    """The configured mapping, else the data folder's, else None (no mapping)."""
    if configured is not None:
        return load_centre_catalogue(configured, directory)
    default = directory.data_dir / FILE_NAME
    return load_centre_catalogue(default, directory) if default.is_file() else None
