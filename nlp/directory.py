"""The district directory (单位目录) and its routing data, read from TOML files in one folder.

A folder holds: ``district.toml``, ``subdistricts.toml``, ``departments.toml``, ``gazetteer.toml``,
``taxonomy.toml``, ``catalogue.toml`` and ``emergency.toml``. Another district swaps the folder;
no code changes. Everything is validated at load: a bad reference fails with the file and key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nlp.cache import read_toml
from nlp.errors import DirectoryDataError

UnitKind = Literal["subdistrict", "department"]
TERRITORIAL = "territorial"
DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data" / "anning"

# Keyword weights by list name in taxonomy.toml.
KEYWORD_WEIGHTS: Mapping[str, float] = {"strong": 3.0, "normal": 2.0, "weak": 1.0}
_PLACE_KINDS = ("communities", "villages", "roads", "landmarks", "estates")
# The kind one place of a list is ("communities" is not "communitie").
_SINGULAR = {
    "communities": "community",
    "villages": "village",
    "roads": "road",
    "landmarks": "landmark",
    "estates": "estate",
}


@dataclass(frozen=True, slots=True)
class Unit:
    """A subdistrict (街道) or department (部门/单位) that can receive cases."""

    name: str
    kind: UnitKind
    code: str
    aliases: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """A gazetteer entry; `subdistrict` is None for district-wide landmarks."""

    name: str
    kind: str
    subdistrict: str | None


@dataclass(frozen=True, slots=True)
class Category:
    """A second-level matter category (二级分类) with its keywords and dispatch target."""

    top: str
    sub: str
    target: str  # a unit name or TERRITORIAL
    keywords: tuple[tuple[str, float], ...]

    @property
    def territorial(self) -> bool:
        return self.target == TERRITORIAL


@dataclass(frozen=True, slots=True)
class EmergencyRule:
    """Messages matching a trigger (after masking) should call `service` at once."""

    kind: str
    service: str
    triggers: tuple[tuple[str, ...], ...]  # each trigger: all parts must occur
    mask: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Directory:
    """Everything the router knows about one district."""

    name: str
    data_dir: Path
    units: tuple[Unit, ...]
    places: tuple[Place, ...]
    tops: tuple[str, ...]
    categories: tuple[Category, ...]
    emergency_rules: tuple[EmergencyRule, ...]
    max_distance_km: float
    fallback_choices: tuple[str, ...]
    # Complaint words that say nothing about the matter ("处理", "投诉"): they never decide alone.
    generic_terms: tuple[str, ...] = ()
    # How texts name the district (安宁区), and in other languages ({"en": "Anning district"}).
    short_name: str = ""
    short_name_in: Mapping[str, str] = field(default_factory=dict)
    # The number residents can phone: the national 12345 government service line unless the
    # district's data names its own.
    hotline: str = "12345"

    def short_name_for(self, language: str) -> str:
        """The district's name in texts of `language` (the Chinese short name if none is given)."""
        return self.short_name_in.get(language) or self.short_name or self.name

    # Context words: places (学校, 楼盘) and conduct (推诿, 态度差) that say where or how, not what.
    # They decide only when the message names no matter at all.
    context_terms: tuple[str, ...] = ()

    def unit(self, name: str) -> Unit | None:
        for unit in self.units:
            if unit.name == name:
                return unit
        return None

    def unit_names(self) -> list[str]:
        return [u.name for u in self.units]

    @property
    def subdistricts(self) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if u.kind == "subdistrict")

    @property
    def departments(self) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if u.kind == "department")


def _read(data_dir: Path, name: str) -> tuple[Path, dict[str, Any]]:
    path = data_dir / name
    try:
        return path, read_toml(path)
    except FileNotFoundError as exc:
        raise DirectoryDataError(path, "(file)", "file not found") from exc
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DirectoryDataError(path, "(file)", f"cannot read: {exc}") from exc


def _str(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DirectoryDataError(path, key, f"expected a non-empty string, got {value!r}")
    return value.strip()


def _strs(path: Path, key: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise DirectoryDataError(path, key, f"expected a list of strings, got {value!r}")
    return tuple(_str(path, f"{key}[{i}]", v) for i, v in enumerate(value))


def _names(path: Path, key: str, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DirectoryDataError(path, key, f"expected a table of language = name, got {value!r}")
    return {str(lang): _str(path, f"{key}.{lang}", name) for lang, name in value.items()}


def _phone(path: Path, key: str, value: object) -> str:
    number = _str(path, key, value)
    if not number.replace("-", "").isdigit():
        raise DirectoryDataError(path, key, f"expected a phone number (digits, '-'), got {value!r}")
    return number


def _float(path: Path, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DirectoryDataError(path, key, f"expected a number, got {value!r}")
    return float(value)


def _table_list(path: Path, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key)
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise DirectoryDataError(path, key, f"expected one or more [[{key}]] tables")
    return items


def _load_units(data_dir: Path) -> tuple[list[Unit], dict[str, Path]]:
    units: list[Unit] = []
    origin: dict[str, Path] = {}
    path, data = _read(data_dir, "subdistricts.toml")
    for i, t in enumerate(_table_list(path, data, "subdistrict")):
        key = f"subdistrict[{i}]"
        units.append(
            Unit(
                name=_str(path, f"{key}.name", t.get("name")),
                kind="subdistrict",
                code=_str(path, f"{key}.code", t.get("code")),
                aliases=_strs(path, f"{key}.aliases", t.get("aliases")),
                lat=_float(path, f"{key}.lat", t.get("lat")),
                lon=_float(path, f"{key}.lon", t.get("lon")),
            )
        )
        origin[units[-1].name] = path
    path, data = _read(data_dir, "departments.toml")
    for i, t in enumerate(_table_list(path, data, "department")):
        key = f"department[{i}]"
        units.append(
            Unit(
                name=_str(path, f"{key}.name", t.get("name")),
                kind="department",
                code=_str(path, f"{key}.code", t.get("code")),
                aliases=_strs(path, f"{key}.aliases", t.get("aliases")),
            )
        )
        if units[-1].name in origin:
            raise DirectoryDataError(path, f"{key}.name", f"duplicate unit {units[-1].name!r}")
        origin[units[-1].name] = path
    return units, origin


def _load_places(data_dir: Path, subdistricts: set[str]) -> list[Place]:
    path, data = _read(data_dir, "gazetteer.toml")
    places: list[Place] = []
    for section, table in data.items():
        if not isinstance(table, dict):
            raise DirectoryDataError(path, section, "expected a table of place lists")
        if section == "district":
            owner: str | None = None
        elif section in subdistricts:
            owner = section
        else:
            raise DirectoryDataError(path, section, "not a subdistrict in subdistricts.toml")
        for kind, names in table.items():
            if kind not in _PLACE_KINDS:
                raise DirectoryDataError(
                    path, f"{section}.{kind}", f"unknown list; use one of {', '.join(_PLACE_KINDS)}"
                )
            for name in _strs(path, f"{section}.{kind}", names):
                places.append(Place(name=name, kind=_SINGULAR[kind], subdistrict=owner))
    return places


def _split_keyword(term: str) -> str:
    # Keywords are matched against NFKC-normalised, lower-cased text.
    return term.lower()


def _load_extra_keywords(data_dir: Path) -> dict[str, dict[str, float]]:
    """Optional ``synonyms.toml``: more keywords (colloquial variants) per second-level category."""
    path = data_dir / "synonyms.toml"
    if not path.is_file():
        return {}
    spath, syn = _read(data_dir, "synonyms.toml")
    extra: dict[str, dict[str, float]] = {}
    for i, t in enumerate(_table_list(spath, syn, "category")):
        key = f"category[{i}]"
        sub = _str(spath, f"{key}.sub", t.get("sub"))
        bad = set(t) - {"sub", *KEYWORD_WEIGHTS}
        if bad:
            raise DirectoryDataError(spath, f"{key}.{sorted(bad)[0]}", "unknown key")
        weights = extra.setdefault(sub, {})
        for list_name, weight in KEYWORD_WEIGHTS.items():
            for term in _strs(spath, f"{key}.{list_name}", t.get(list_name)):
                norm = _split_keyword(term)
                weights[norm] = max(weight, weights.get(norm, 0.0))
    return extra


def _load_categories(data_dir: Path, unit_names: set[str]) -> tuple[list[str], list[Category]]:
    tpath, tax = _read(data_dir, "taxonomy.toml")
    extra_keywords = _load_extra_keywords(data_dir)
    cpath, cat = _read(data_dir, "catalogue.toml")
    tops = list(_strs(tpath, "tops", tax.get("tops")))
    if not tops:
        raise DirectoryDataError(tpath, "tops", "expected the list of top-level categories")
    dispatch = cat.get("dispatch")
    if not isinstance(dispatch, dict):
        raise DirectoryDataError(cpath, "dispatch", "expected a [dispatch] table")
    categories: list[Category] = []
    seen: set[str] = set()
    for i, t in enumerate(_table_list(tpath, tax, "category")):
        key = f"category[{i}]"
        top = _str(tpath, f"{key}.top", t.get("top"))
        sub = _str(tpath, f"{key}.sub", t.get("sub"))
        if top not in tops:
            raise DirectoryDataError(tpath, f"{key}.top", f"{top!r} is not listed in tops")
        if sub in seen:
            raise DirectoryDataError(tpath, f"{key}.sub", f"duplicate category {sub!r}")
        seen.add(sub)
        weights: dict[str, float] = {}  # a term listed twice keeps its highest weight
        for list_name, weight in KEYWORD_WEIGHTS.items():
            for term in _strs(tpath, f"{key}.{list_name}", t.get(list_name)):
                norm = _split_keyword(term)
                weights[norm] = max(weight, weights.get(norm, 0.0))
        for term, weight in extra_keywords.pop(sub, {}).items():
            weights[term] = max(weight, weights.get(term, 0.0))
        keywords = list(weights.items())
        extra = set(t) - {"top", "sub", *KEYWORD_WEIGHTS}
        if extra:
            raise DirectoryDataError(tpath, f"{key}.{sorted(extra)[0]}", "unknown key")
        if sub not in dispatch:
            raise DirectoryDataError(cpath, f"dispatch.{sub}", "category has no dispatch target")
        target = _str(cpath, f"dispatch.{sub}", dispatch[sub])
        if target != TERRITORIAL and target not in unit_names:
            raise DirectoryDataError(
                cpath, f"dispatch.{sub}", f"{target!r} is not a unit name nor {TERRITORIAL!r}"
            )
        categories.append(Category(top=top, sub=sub, target=target, keywords=tuple(keywords)))
    for sub in dispatch:
        if sub not in seen:
            raise DirectoryDataError(cpath, f"dispatch.{sub}", "no such category in taxonomy.toml")
    for sub in extra_keywords:
        raise DirectoryDataError(
            data_dir / "synonyms.toml", sub, "no such category in taxonomy.toml"
        )
    return tops, categories


def _load_term_list(data_dir: Path, key: str) -> tuple[str, ...]:
    """A top-level list of taxonomy.toml ("generic", "context"); absent means empty."""
    tpath, tax = _read(data_dir, "taxonomy.toml")
    return tuple(t.lower() for t in _strs(tpath, key, tax.get(key)))


def _load_rules(data_dir: Path) -> list[EmergencyRule]:
    path, data = _read(data_dir, "emergency.toml")
    if "rule" not in data:
        return []
    rules: list[EmergencyRule] = []
    for i, t in enumerate(_table_list(path, data, "rule")):
        key = f"rule[{i}]"
        triggers = tuple(
            tuple(p.lower() for p in trig.split("+") if p)
            for trig in _strs(path, f"{key}.triggers", t.get("triggers"))
        )
        if not triggers:
            raise DirectoryDataError(path, f"{key}.triggers", "a rule needs triggers")
        rules.append(
            EmergencyRule(
                kind=_str(path, f"{key}.kind", t.get("kind")),
                service=_str(path, f"{key}.service", t.get("service")),
                triggers=triggers,
                mask=tuple(m.lower() for m in _strs(path, f"{key}.mask", t.get("mask"))),
            )
        )
    return rules


def load_directory(data_dir: Path | None = None) -> Directory:
    """Read and validate a directory folder (None: the built-in Anning district)."""
    folder = DEFAULT_DATA_DIR if data_dir is None else Path(data_dir)
    if not folder.is_dir():
        raise DirectoryDataError(folder, "(folder)", "directory data folder not found")
    dpath, district = _read(folder, "district.toml")
    units, _ = _load_units(folder)
    names = {u.name for u in units}
    subdistricts = {u.name for u in units if u.kind == "subdistrict"}
    places = _load_places(folder, subdistricts)
    tops, categories = _load_categories(folder, names)
    subs = {c.sub for c in categories}
    fallback = _strs(dpath, "fallback_choices", district.get("fallback_choices"))
    for i, sub in enumerate(fallback):
        if sub not in subs:
            raise DirectoryDataError(dpath, f"fallback_choices[{i}]", f"no category {sub!r}")
    name = _str(dpath, "name", district.get("name"))
    return Directory(
        name=name,
        data_dir=folder,
        units=tuple(units),
        places=tuple(places),
        tops=tuple(tops),
        categories=tuple(categories),
        emergency_rules=tuple(_load_rules(folder)),
        max_distance_km=_float(dpath, "max_distance_km", district.get("max_distance_km", 30.0)),
        fallback_choices=fallback,
        generic_terms=_load_term_list(folder, "generic"),
        context_terms=_load_term_list(folder, "context"),
        short_name=_str(dpath, "short_name", district.get("short_name", name)),
        short_name_in=_names(dpath, "short_name_in", district.get("short_name_in")),
        hotline=_phone(dpath, "hotline", district.get("hotline", "12345")),
    )
