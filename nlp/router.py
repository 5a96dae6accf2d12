"""The router (派单): category from keywords, place from the gazetteer, unit from the catalogue.

See design.md §4. Scoring is deliberately simple and explainable: every keyword found in the
message adds its weight to its category; a mention of a unit ("交警", "城管") adds to that unit's
categories; the best category wins and the catalogue names its unit, or, for a territorial
category (属地管理), the subdistrict of the place named in the text or given as a hint.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, pairwise
from operator import itemgetter
from pathlib import Path
from typing import Any

from nlp.directory import (
    KEYWORD_WEIGHTS,
    TERRITORIAL,
    Category,
    Directory,
    Place,
    Unit,
    UnitKind,
    load_directory,
)
from nlp.emergency import EmergencyDetector
from nlp.errors import UnknownCategoryError
from nlp.geo import haversine_km
from nlp.segment import Segmenter

# A mention of a unit's name or alias adds this much to each of the unit's categories.
_ALIAS_WEIGHT = 1.5
# Below this best score nothing is decided (e.g. "你好", "我要投诉").
_MIN_SCORE = 1.0
# Generic complaint words ("处理", "投诉", "没人管") count this fraction of their weight, and a
# category hit only by them stays below _MIN_SCORE.
_GENERIC_FACTOR = 0.3
_GENERIC_CAP = 0.9 * _MIN_SCORE
# Each further keyword of a category counts this much less than the previous one.
_DECAY = 0.8
# A context word (a place such as 学校 or 楼盘, conduct such as 推诿) counts this fraction of its
# weight when the message also names a matter; and so does a word that an "A+B" rule of another
# category has explained ("污水" in "污水+排放" is water pollution, not drainage).
_CONTEXT_FACTOR = 0.3
# A "strong" keyword of taxonomy.toml decides the matter on its own.
_DECIDING_WEIGHT = KEYWORD_WEIGHTS["strong"]
# Two characters right before a term that negate it.
_NEGATIONS = frozenset({"不是", "并非", "不属", "无关"})
# What a hit says: the matter itself, only where or how (context), nothing (generic), or which
# unit the resident named (alias).
_MATTER, _CONTEXT, _GENERIC, _ALIAS = "matter", "context", "generic", "alias"


# Confidence falls with the ratio rival / best, where the rival is the best category that goes to
# another unit. Fitted by eye on the dev split and labelled.csv: with a ratio of 0.7 or more the
# router was right only about 60 % of the time, so such decisions land below the 0.45 at which the
# bot asks the resident to choose.
_MARGIN_CURVE = ((0.0, 1.0), (0.3, 0.95), (0.5, 0.82), (0.7, 0.48), (0.85, 0.38), (1.0, 0.3))


def _margin_factor(ratio: float) -> float:
    if ratio >= 1.0:
        return _MARGIN_CURVE[-1][1] / ratio
    for (x0, y0), (x1, y1) in pairwise(_MARGIN_CURVE):
        if ratio <= x1:
            return y0 + (y1 - y0) * (ratio - x0) / (x1 - x0)
    return _MARGIN_CURVE[-1][1]  # pragma: no cover


def _confidence(score: float, rival: float) -> float:
    """High when the score is large and well ahead of the best rival; in [0, 1)."""
    if score <= 0:
        return 0.0
    strength = 1.0 - math.exp(-score / 2.0)
    return round(strength * _margin_factor(max(0.0, rival) / score), 3)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, no control characters."""
    text = unicodedata.normalize("NFKC", text).lower()
    if text.isprintable():  # nearly always: one C-level check instead of a loop per character
        return text
    return "".join(ch if ch.isprintable() else " " for ch in text)


@dataclass(frozen=True, slots=True)
class Alternative:
    """A runner-up category and the unit it would go to."""

    unit: str | None
    unit_kind: UnitKind | None
    category: str
    subcategory: str
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "unit_kind": self.unit_kind,
            "category": self.category,
            "subcategory": self.subcategory,
            "confidence": self.confidence,
        }


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """What the router decided for one message, and why."""

    unit: str | None
    unit_kind: UnitKind | None
    category: str | None
    subcategory: str | None
    confidence: float
    matched: tuple[str, ...] = ()
    place: str | None = None
    subdistrict: str | None = None  # of the place (or of the hint)
    territorial: bool = False
    alternatives: tuple[Alternative, ...] = ()
    emergency: str | None = None

    @property
    def needs_place(self) -> bool:
        """A territorial category whose subdistrict is not known yet: ask the resident where."""
        return self.territorial and self.unit is None

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "unit_kind": self.unit_kind,
            "category": self.category,
            "subcategory": self.subcategory,
            "confidence": self.confidence,
            "matched": list(self.matched),
            "place": self.place,
            "subdistrict": self.subdistrict,
            "territorial": self.territorial,
            "alternatives": [a.to_json() for a in self.alternatives],
            "emergency": self.emergency,
        }


EMPTY_DECISION = RouteDecision(None, None, None, None, 0.0)


@dataclass(frozen=True, slots=True)
class KeywordEvidence:
    """The keyword router's decision and what it saw: scores and hits of every category that
    scored (by second-level name), and the message cut into words."""

    decision: RouteDecision
    scores: dict[str, float]
    hits: dict[str, tuple[str, ...]]
    words: tuple[str, ...]
    norm: str = ""  # the normalised text (a model's character n-grams need it too)


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """A second-level category, its top level and its dispatch target (unit or "territorial")."""

    top: str
    sub: str
    target: str

    @property
    def territorial(self) -> bool:
        return self.target == TERRITORIAL


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """A place named in a text; `subdistrict` is None for district-wide landmarks."""

    name: str
    subdistrict: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class _Scores:
    """Per category: score, the terms that hit it, and how specific its evidence is."""

    scores: list[float]
    hits: list[list[str]]
    # Sum over the distinct matter terms of 1 / (number of categories listing the term): a term
    # only one category lists is strong evidence for it; one shared by four is weak.
    specificity: list[float]
    # Characters of the distinct matter terms: "出生医学证明" says more than "丢了".
    length: list[int]

    def ranked(
        self, names: Sequence[str], targets: Sequence[str], *, scored_only: bool = False
    ) -> list[int]:
        """Category indexes, best first. Ties go to the stronger evidence, never to file order:
        equal scores are ordered by specificity, then by the length of the terms, then by the
        support of other categories of the same unit ("物业" backs "电梯"), and only then by name.
        `scored_only`: leave out the categories that scored nothing (most of them).
        """
        scores, specificity, length = self.scores, self.specificity, self.length
        live = list(compress(range(len(scores)), scores))  # the few that scored, in order
        support: dict[str, float] = {}
        for i in live:
            if targets[i] != TERRITORIAL:
                support[targets[i]] = support.get(targets[i], 0.0) + scores[i]
        indexes = [i for i in live if scores[i] > 0] if scored_only else range(len(scores))
        # Sort keys built in one comprehension (no key function call per category); the index
        # last keeps equal keys in index order, as the stable sort by key did.
        keyed = sorted(
            [
                (
                    -round(scores[i], 6),
                    -round(specificity[i], 6),
                    -length[i],
                    -round(support.get(targets[i], 0.0), 6),
                    names[i],
                    i,
                )
                for i in indexes
            ]
        )
        return [k[-1] for k in keyed]


@dataclass(frozen=True, slots=True)
class _Combo:
    """An "A+B" keyword rule: all its parts must occur in the text."""

    parts: tuple[str, ...]
    rest: tuple[str, ...]  # the parts after the first
    category: int
    weight: float
    combo: str  # as written, "A+B"
    kind: str  # _MATTER, _CONTEXT or _GENERIC


@dataclass(slots=True)
class _Analysis:
    terms: list[str] = field(default_factory=list)  # accepted terms, in text order, unique
    norm: str = ""  # the normalised text
    tokens: list[str] = field(default_factory=list)  # the segmenter's words


class Router:
    """Routes messages for one district. Build once with `Router.load()`; thread-safe to use."""

    def __init__(
        self,
        directory: Directory,
        segmenter: Segmenter | None = None,
        *,
        cache_dir: Path | None = None,
    ) -> None:
        self._dir = directory
        cats = directory.categories
        self._cats = cats
        self._cat_by_sub: dict[str, int] = {c.sub: i for i, c in enumerate(cats)}
        self._term_index: dict[str, list[tuple[int, float]]] = {}
        self._combos: list[tuple[tuple[str, ...], int, float]] = []
        for ci, cat in enumerate(cats):
            for term, weight in cat.keywords:
                parts = tuple(p for p in term.split("+") if p)
                if len(parts) > 1:
                    self._combos.append((parts, ci, weight))
                elif parts:
                    self._term_index.setdefault(parts[0], []).append((ci, weight))
        self._units: dict[str, Unit] = {u.name: u for u in directory.units}
        # Unit mentions: name or alias -> unit name. Subdistrict names are places instead.
        self._unit_terms: dict[str, str] = {}
        self._unit_cats: dict[str, list[int]] = {}
        for ci, cat in enumerate(cats):
            if not cat.territorial:
                self._unit_cats.setdefault(cat.target, []).append(ci)
        for unit in directory.departments:
            for term in (unit.name, *unit.aliases):
                self._unit_terms[normalise(term)] = unit.name
        self._places: dict[str, Place] = {}
        for unit in directory.subdistricts:
            for term in (unit.name, *unit.aliases):
                self._places[normalise(term)] = Place(term, "subdistrict", unit.name)
        for place in directory.places:
            self._places.setdefault(normalise(place.name), place)
        vocab: set[str] = set(self._term_index) | set(self._unit_terms) | set(self._places)
        for parts, _, _ in self._combos:
            vocab.update(parts)
        self._vocab = frozenset(vocab)
        self._generic = frozenset(normalise(t) for t in directory.generic_terms)
        self._context = frozenset(normalise(t) for t in directory.context_terms)
        # Per term, everything _score does with it, worked out once: (category, weight, kind,
        # whether it is a unit mention) for its keyword entries, then for the unit it names.
        self._term_plan: dict[str, tuple[tuple[int, float, str, bool], ...]] = {}
        for term in vocab:
            kind = (
                _GENERIC
                if term in self._generic
                else _CONTEXT
                if term in self._context
                else _MATTER
            )
            plan = [(ci, weight, kind, False) for ci, weight in self._term_index.get(term, ())]
            named = self._unit_terms.get(term)
            if named is not None:
                plan.extend(
                    (ci, _ALIAS_WEIGHT, _ALIAS, True) for ci in self._unit_cats.get(named, ())
                )
            if plan:
                self._term_plan[term] = tuple(plan)
        self._sub_names = tuple(c.sub for c in cats)
        self._targets = tuple(c.target for c in cats)
        # How many categories list each term (for the specificity of the evidence).
        self._spread: dict[str, int] = {
            t: len({ci for ci, _ in v}) for t, v in self._term_index.items()
        }
        # "A+B" keywords grouped by their first part, checked only when that part occurs, each
        # with what _score needs worked out once: the other parts, category, weight, the rule as
        # written and what it says (a pair of context or generic words, "工作人员+态度", is still
        # only context).
        self._combos_by_first: dict[str, list[_Combo]] = {}
        for parts, ci, weight in self._combos:
            combo = "+".join(parts)
            kind = (
                _GENERIC
                if combo in self._generic
                else _CONTEXT
                if all(p in self._generic or p in self._context for p in parts)
                else _MATTER
            )
            rule = _Combo(parts, parts[1:], ci, weight, combo, kind)
            self._combos_by_first.setdefault(parts[0], []).append(rule)
        # The first parts by their first character, and each first part's place in the order
        # above (hits are listed in that order): a message checks only the first parts that
        # start with a character it has, in C-level passes (filter, map), not all two hundred.
        self._first_rank = {first: rank for rank, first in enumerate(self._combos_by_first)}
        by_char: dict[str, list[str]] = {}
        for first in self._combos_by_first:
            by_char.setdefault(first[0], []).append(first)
        self._firsts_by_char = {ch: tuple(firsts) for ch, firsts in by_char.items()}
        self._first_chars = tuple(by_char)
        long_by_prefix: dict[str, set[int]] = {}
        for term in vocab:
            if len(term) >= 3:
                long_by_prefix.setdefault(term[:2], set()).add(len(term))
        self._long_by_prefix: dict[str, tuple[int, ...]] = {
            k: tuple(sorted(v, reverse=True)) for k, v in long_by_prefix.items()
        }
        if segmenter is None:
            segmenter = Segmenter(vocab, cache_dir=cache_dir)
        self._segmenter = segmenter
        self._emergency = EmergencyDetector(directory.emergency_rules)

    @classmethod
    def load(cls, data_dir: Path | None = None, *, cache_dir: Path | None = None) -> Router:
        """Read a directory folder (None: built-in Anning district) and load the segmenter."""
        return cls(load_directory(data_dir), cache_dir=cache_dir)

    # ── the directory ────────────────────────────────────────────────────────────────────────
    @property
    def directory(self) -> Directory:
        return self._dir

    def unit_names(self) -> list[str]:
        return self._dir.unit_names()

    def categories(self) -> list[CategoryInfo]:
        return [CategoryInfo(c.top, c.sub, c.target) for c in self._cats]

    # ── places ───────────────────────────────────────────────────────────────────────────────
    def locate(self, text: str) -> PlaceMatch | None:
        """The first place the text names that has a subdistrict, else any place it names."""
        return self._pick_place(self._analyse(text).terms)

    def nearest_subdistrict(self, lat: float, lon: float) -> str | None:
        """The subdistrict whose centre is nearest; None when farther than the district allows."""
        best: tuple[float, str] | None = None
        for unit in self._dir.subdistricts:
            if unit.lat is None or unit.lon is None:
                continue
            d = haversine_km(lat, lon, unit.lat, unit.lon)
            if best is None or d < best[0]:
                best = (d, unit.name)
        if best is None or best[0] > self._dir.max_distance_km:
            return None
        return best[1]

    def places_in(self, text: str) -> list[PlaceMatch]:
        """Every gazetteer place the text names, in text order (duplicate detection keys on all
        of them, not only the one routing picked)."""
        found: list[PlaceMatch] = []
        for term in self._analyse(text).terms:
            place = self._places.get(term)
            # "安宁区" names the whole district: it places nothing.
            if place is None or (place.subdistrict is None and place.name in self._dir.name):
                continue
            found.append(PlaceMatch(place.name, place.subdistrict, place.kind))
        return found

    def is_place(self, term: str) -> bool:
        """Whether `term` (normalised) names a place or a subdistrict."""
        return term in self._places

    def is_keyword(self, term: str) -> bool:
        """Whether `term` is a taxonomy keyword (it names a matter)."""
        return term in self._term_index

    def segment(self, text: str) -> list[str]:
        """The project's jieba cut of the normalised text, with every keyword and place whole."""
        return self._segmenter.cut(normalise(text))

    def unit_for_subcategory(self, subcategory: str, subdistrict: str | None) -> str | None:
        """The unit the catalogue gives a second-level category (at `subdistrict` if
        territorial); None when unknown or when a territorial category has no subdistrict."""
        index = self._cat_by_sub.get(subcategory)
        if index is None:
            return None
        return self._unit_for(self._cats[index], subdistrict)[0]

    def resolve_subdistrict(self, name: str | None) -> str | None:
        """A subdistrict name from a name, alias or any place in it (None if unknown)."""
        if not name:
            return None
        place = self._places.get(normalise(name).strip())
        if place is not None:
            return place.subdistrict
        found = self.locate(name)
        return found.subdistrict if found else None

    def emergency(self, text: str) -> str | None:
        """The service to call at once ("火警 119"...), or None."""
        return self._emergency.detect(normalise(text))

    # ── routing ──────────────────────────────────────────────────────────────────────────────
    def route(self, text: str, *, place_hint: str | None = None) -> RouteDecision:
        """Decide category, unit and place for a free-text message."""
        if not text or not text.strip():
            return EMPTY_DECISION
        norm = normalise(text)
        analysis = self._analyse_normalised(norm)
        return self._decide(norm, analysis, self._score(analysis), place_hint)

    def evidence(self, text: str, *, place_hint: str | None = None) -> KeywordEvidence:
        """The decision with everything behind it: every category's score and hits, the words.

        A learned model stacks on these (nlp.learn); `route()` keeps only the decision.
        """
        norm = normalise(text or "")
        analysis = self._analyse_normalised(norm)
        scored = self._score(analysis)
        return KeywordEvidence(
            decision=self._decide(norm, analysis, scored, place_hint),
            scores={c.sub: s for c, s in zip(self._cats, scored.scores, strict=True) if s > 0},
            hits={c.sub: tuple(h) for c, h in zip(self._cats, scored.hits, strict=True) if h},
            words=tuple(filter(str.strip, analysis.tokens)),  # no whitespace-only tokens
            norm=norm,
        )

    def words(self, text: str) -> list[str]:
        """The text cut into words by the router's segmenter (keywords and places stay whole)."""
        return [w for w in self._segmenter.cut(normalise(text)) if w.strip()]

    def unit_for(self, subcategory: str, subdistrict: str | None) -> str | None:
        """The unit a category goes to: its department, or for a territorial one the subdistrict."""
        return self._unit_for(self._cats[self._cat_by_sub[subcategory]], subdistrict)[0]

    def _decide(
        self, norm: str, analysis: _Analysis, scored: _Scores, place_hint: str | None
    ) -> RouteDecision:
        if not norm.strip():
            return EMPTY_DECISION
        scores, hits = scored.scores, scored.hits
        emergency = self._emergency.detect(norm)
        place = self._pick_place(analysis.terms)
        subdistrict = place.subdistrict if place else None
        if subdistrict is None:
            subdistrict = self.resolve_subdistrict(place_hint)
        # Only categories that scored can win, be the rival or an alternative.
        order = scored.ranked(self._sub_names, self._targets, scored_only=True)
        best = order[0] if order else -1
        if best < 0 or scores[best] < _MIN_SCORE:
            return RouteDecision(
                None, None, None, None, 0.0,
                matched=tuple(analysis.terms),
                place=place.name if place else None,
                subdistrict=subdistrict,
                emergency=emergency,
            )  # fmt: skip
        cat = self._cats[best]
        rival = max(
            (scores[i] for i in order[1:] if self._cats[i].target != cat.target), default=0.0
        )
        # Other categories of the same unit support the unit decision ("电梯" with "物业").
        support = sum(scores[i] for i in order[1:] if self._cats[i].target == cat.target)
        unit, kind = self._unit_for(cat, subdistrict)
        alternatives: list[Alternative] = []
        for i in order[1:]:
            if scores[i] <= 0 or len(alternatives) == 3:
                break
            alt = self._cats[i]
            alt_unit, alt_kind = self._unit_for(alt, subdistrict)
            alternatives.append(
                Alternative(
                    alt_unit, alt_kind, alt.top, alt.sub, _confidence(scores[i], scores[best])
                )
            )
        return RouteDecision(
            unit=unit,
            unit_kind=kind,
            category=cat.top,
            subcategory=cat.sub,
            confidence=_confidence(scores[best] + 0.5 * support, rival),
            matched=tuple(hits[best]),
            place=place.name if place else None,
            subdistrict=subdistrict,
            territorial=cat.territorial,
            alternatives=tuple(alternatives),
            emergency=emergency,
        )

    def route_category(
        self, text: str, subcategory: str, *, place_hint: str | None = None
    ) -> RouteDecision:
        """Decision when the resident chose the category (a second- or top-level name)."""
        norm = normalise(text or "")
        analysis = self._analyse_normalised(norm)
        scored = self._score(analysis)
        hits = scored.hits
        if subcategory in self._cat_by_sub:
            index = self._cat_by_sub[subcategory]
        else:
            within = {i for i, c in enumerate(self._cats) if c.top == subcategory}
            if not within:
                raise UnknownCategoryError(f"unknown category: {subcategory!r}")
            index = next(i for i in scored.ranked(self._sub_names, self._targets) if i in within)
        cat = self._cats[index]
        place = self._pick_place(analysis.terms)
        subdistrict = place.subdistrict if place else None
        if subdistrict is None:
            subdistrict = self.resolve_subdistrict(place_hint)
        unit, kind = self._unit_for(cat, subdistrict)
        return RouteDecision(
            unit=unit,
            unit_kind=kind,
            category=cat.top,
            subcategory=cat.sub,
            confidence=1.0,
            matched=tuple(hits[index]),
            place=place.name if place else None,
            subdistrict=subdistrict,
            territorial=cat.territorial,
            emergency=self._emergency.detect(norm),
        )

    def top_choices(self, decision: RouteDecision, n: int = 3) -> list[CategoryInfo]:
        """Categories to offer as buttons: the decision's, its alternatives, then the defaults."""
        names: list[str] = []
        if decision.subcategory:
            names.append(decision.subcategory)
        names.extend(a.subcategory for a in decision.alternatives)
        names.extend(self._dir.fallback_choices)
        seen: list[CategoryInfo] = []
        for name in names:
            info = self._info(name)
            if info is not None and info not in seen:
                seen.append(info)
            if len(seen) == n:
                break
        return seen

    def route_many(self, texts: Sequence[str]) -> list[RouteDecision]:
        return [self.route(t) for t in texts]

    # ── internals ────────────────────────────────────────────────────────────────────────────
    def _info(self, sub: str) -> CategoryInfo | None:
        i = self._cat_by_sub.get(sub)
        if i is None:
            return None
        c = self._cats[i]
        return CategoryInfo(c.top, c.sub, c.target)

    def _unit_for(
        self, cat: Category, subdistrict: str | None
    ) -> tuple[str | None, UnitKind | None]:
        if cat.territorial:
            return (subdistrict, "subdistrict") if subdistrict else (None, None)
        return cat.target, self._units[cat.target].kind

    def _analyse(self, text: str) -> _Analysis:
        return self._analyse_normalised(normalise(text))

    def _analyse_normalised(self, norm: str) -> _Analysis:
        vocab = self._vocab
        # (-length, start char, end char, term): a plain tuple sort puts longer spans first, then
        # earlier ones (no key function to call per span).
        spans: list[tuple[int, int, int, str]] = []
        # Terms of three or more characters are found wherever they occur, whatever jieba did.
        by_prefix = self._long_by_prefix
        for i in range(len(norm) - 2):
            lengths = by_prefix.get(norm[i : i + 2])
            if lengths:
                for length in lengths:
                    piece = norm[i : i + length]
                    if piece in vocab:
                        spans.append((-length, i, i + length, piece))
        tokens = self._segmenter.cut(norm)
        n = len(tokens)
        pos = 0
        for i, tok in enumerate(tokens):
            start = pos
            pos += len(tok)
            if tok in vocab:
                spans.append((start - pos, start, pos, tok))
            elif len(tok) > 2:
                # jieba sometimes glues a particle to a keyword ("偷了", "被偷"): try without it.
                for s0, piece in ((start, tok[:-1]), (start + 1, tok[1:])):
                    if piece in vocab:
                        spans.append((-len(piece), s0, s0 + len(piece), piece))
            elif len(tok) == 1 and i + 1 < n and len(tokens[i + 1]) == 1:
                pair = tok + tokens[i + 1]  # two characters jieba left single
                if pair in vocab:
                    spans.append((-2, start, start + 2, pair))
        # A term inside a longer matched term does not count on its own ("噪音" in "装修噪音").
        spans.sort()
        accepted: list[tuple[int, int, int, str]] = []
        # reach[i]: the furthest end of an accepted span covering position i. Longer spans come
        # first, so a span lies inside an accepted one exactly when reach[start] >= its end;
        # linear in the text, where comparing with every accepted span was quadratic.
        reach = [0] * (max((sp[2] for sp in spans), default=0) + 1)
        for span in spans:
            _, start, end, _ = span
            if reach[start] >= end:
                continue
            accepted.append(span)
            for i in range(start, end):
                if reach[i] < end:
                    reach[i] = end
        accepted.sort(key=itemgetter(1))  # text order (no two accepted spans share a start)
        terms: list[str] = []
        seen: set[str] = set()
        for _, start, _, term in accepted:
            if term in seen:
                continue
            # Light negation: "不是物业的问题", "并非噪音" do not count for the term.
            if norm[max(0, start - 2) : start] in _NEGATIONS and term not in self._places:
                continue
            terms.append(term)
            seen.add(term)
        return _Analysis(terms=terms, norm=norm, tokens=tokens)

    def _score(self, analysis: _Analysis) -> _Scores:
        n = len(self._cats)
        # Per category: (term, weight, kind) for every hit, weighed once all hits are known.
        found: list[list[tuple[str, float, str]]] = [[] for _ in range(n)]
        hits: list[list[str]] = [[] for _ in range(n)]
        plans = self._term_plan
        for term in analysis.terms:
            for ci, weight, kind, alias in plans.get(term, ()):
                found[ci].append((term, weight, kind))
                if not alias or term not in hits[ci]:
                    hits[ci].append(term)
        # "A+B" rules: the rule's category takes the pair; its parts are explained for the others.
        explained: dict[str, set[int]] = {}
        norm = analysis.norm
        firsts = self._firsts_by_char
        # Which first characters occur: 180 one-character searches cost half of set(norm),
        # which builds a string object per character of the text.
        chars = filter(norm.__contains__, self._first_chars)
        present = list(
            filter(norm.__contains__, chain.from_iterable(map(firsts.__getitem__, chars)))
        )
        present.sort(key=self._first_rank.__getitem__)
        for first in present:
            for rule in self._combos_by_first[first]:
                if all(map(norm.__contains__, rule.rest)):
                    found[rule.category].append((rule.combo, rule.weight, rule.kind))
                    hits[rule.category].append(rule.combo)
                    if rule.kind == _MATTER:
                        for part in rule.parts:
                            explained.setdefault(part, set()).add(rule.category)
        # A matter is named when a word strong enough to decide alone occurs; "单位" or "证明"
        # (normal weight) only help, and do not silence the context.
        names_a_matter = any(
            kind == _MATTER and weight >= _DECIDING_WEIGHT for hs in found for _, weight, kind in hs
        )
        scores = [0.0] * n
        specificity = [0.0] * n
        length = [0] * n
        for ci, hs in enumerate(found):
            if not hs:
                continue
            weights: list[float] = []
            generic = 0.0
            in_full = False
            for term, weight, kind in hs:
                if kind == _GENERIC:
                    generic += weight * _GENERIC_FACTOR
                    continue
                owners = explained.get(term)
                if (kind == _CONTEXT and names_a_matter) or (owners and ci not in owners):
                    weights.append(weight * _CONTEXT_FACTOR)
                    continue
                weights.append(weight)
                in_full = True
                if kind == _MATTER:
                    specificity[ci] += 1.0 / self._spread.get(term, 1)
                    length[ci] += len(term.replace("+", ""))
            if weights:
                # Diminishing returns: many small context words in a long message do not add up
                # to one specific matter word.
                weights.sort(reverse=True)
                total = 0.0
                factor = 1.0
                for w in weights:
                    total += w * factor
                    factor *= _DECAY
                scores[ci] = total + generic
                if not in_full:
                    # Only context next to a matter: however many such words, never a decision.
                    scores[ci] = min(scores[ci], _GENERIC_CAP)
            elif generic:
                scores[ci] = min(generic, _GENERIC_CAP)  # never enough to decide alone
        return _Scores(scores, hits, specificity, length)

    def _pick_place(self, terms: Sequence[str]) -> PlaceMatch | None:
        fallback: PlaceMatch | None = None
        for term in terms:
            place = self._places.get(term)
            if place is None:
                continue
            match = PlaceMatch(place.name, place.subdistrict, place.kind)
            if place.subdistrict is not None:
                return match
            if fallback is None:
                fallback = match
        return fallback
