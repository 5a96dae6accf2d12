"""Duplicate reports (重复诉求): is this new filing the same matter at the same place as an
earlier case? Pure and fast: a fingerprint per text, a similarity between two fingerprints.

* Terms: the project's jieba cut, minus stop words, punctuation and place names (the place is
  compared on its own, so "建宁路" must not make two different matters on 建宁路 look alike),
  plus the character bigrams inside each longer word, so "路灯不亮" and "路灯坏了" still share
  "路灯" when jieba cuts them differently.
* Similarity: weighted overlap (shared weight over the smaller side's) of those features; a
  word weighs 2 when it is a taxonomy keyword (it names the matter), 1 otherwise; a bigram 1
  inside a keyword, 0.5 otherwise.
* Place: two fingerprints share a *specific* place (the same road, community, village, estate or
  landmark, or coordinates within `radius_m`), only an *area* (the same subdistrict, and at
  least one of them names nothing finer), or nothing (different subdistricts, or two different
  places of the same kind: 建宁路 is not 安宁西路).

Two thresholds make the verdict: `auto` (near-certain: merged without asking) needs a specific
place; `suggest` (likely: shown to the dispatcher and the unit) needs at least the area.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from nlp.geo import haversine_km

# Words that say nothing about the matter: particles, pronouns, time words, complaint filler.
_STOP_TEXT = """
的 了 是 在 有 和 就 都 也 还 又 很 太 再 才 把 被 让 给 对 从 到
往 向 跟 与 及 或 而 但 这 那 这个 那个 这些 那些 这里 那里 这边 那边
这儿 那儿 里 上 下 边 旁 门口 附近 外面 里面 我 我们 你 你们 他 她 他们
它 咱 咱们 大家 人家 自己 谁 啥 什么 怎么 咋 咋回事 为什么 怎么办 吗 呢
吧 啊 呀 哦 嘛 啦 哎 唉 哈 么 嗯 个 一个 一些 一下 一直 已经 现在 今天
昨天 前天 明天 最近 这几天 几天 好几天 天天 每天 早上 晚上 上午 下午 中午
半夜 夜里 时候 一天 两天 三天 多 好 没 没有 不 不是 能 会 要 想 说 看
去 来 过 着 得 地 等 等等 请 麻烦 希望 尽快 赶紧 赶快 帮 帮忙 帮助 解决
处理 反映 投诉 举报 问题 情况 事情 一下子 管 没人管 有人 人 政府 区 市
安宁 安宁区 兰州 兰州市 街道 社区 小区 村 路 号 楼 单元 户 家 家里 我家
住户 居民 业主 群众 非常 特别 严重 真的 实在 根本 完全 一点 有点 好像 可能
应该 必须 总是 经常 老是 始终 多次 多少 几个 所以 因为 如果 然后 而且 并且
还是 就是 只是 但是 可是 不过 虽然 已 该 其
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_BIGRAM_WEIGHT = 0.5
_KEYWORD_WEIGHT = 2.0
_WORD_WEIGHT = 1.0
# The router's kind for a subdistrict named as a place; every other kind (road, community,
# village, estate, landmark) is finer than a subdistrict.
AREA_KIND = "subdistrict"
# Coordinates are bucketed into cells of this size (degrees) for the index: a point's own cell
# and its 8 neighbours cover every point within `radius_m` as long as radius < cell size
# (0.005° of latitude is 555 m; of longitude at Lanzhou's 36° N, 450 m).
GEO_CELL_DEGREES = 0.005


# A numbered building, courtyard, entrance or house: "3号院" and "5号院" are two places.
_NUMBERED = re.compile(r"(\d+)\s*(号楼|号院|号|栋|幢|单元|楼)")
_CN_DIGITS = str.maketrans("一二三四五六七八九十", "1234567890")
# A report that the matter came back after a repair (修好了…又坏了) is a new matter in 12345
# practice, never silently merged into the old case.
# "又"/"再次" (again) and "也" (also) mark another occurrence or another spot of the matter:
# a person decides those.
_RECURRENCE = re.compile(r"又|再次|也")
_REPAIRED = (
    r"(修好|修过|刚修|处理过|处理完|弄好|解决过|解决了|好了|管了|管过|疏通完|疏通过|填过|填好)"
)
_AGAIN_AFTER_REPAIR = re.compile(
    rf"{_REPAIRED}.{{0,20}}(又|再次|还是)|(又|再次).{{0,20}}{_REPAIRED}"
)
# Another occurrence in time: the matter happened before and is back (去年…又, 又堵了, 又开始吵,
# 再次 — but not 再次反映, which is the same matter reported again), or was dealt with once
# (整治过, 换了新的). Against a report that says no such thing it is a different matter: the
# centre opens a case for the new occurrence rather than suggesting a merge with the old one.
# Chosen on tests/data/dupe_dev2.csv (written without seeing the detector).
_ANOTHER_TIME = re.compile(
    r"(去年|前年|上个?月|上周|上次|之前|以前|前几天|前阵子).{0,20}(又|再次)"
    r"|又(开始|坏|堵|漏|回来|摆|出现|来了|停|响|吵|不亮|冒|塌|丢|被)"
    r"|再次(?!反映|投诉|举报|来电|咨询)|整治过|换了新"
)
# Concept features ("what goes wrong", dupe_concepts.toml) are keyed with this prefix, apart
# from words; the marker says "it was repaired and is broken again" (or is back another time).
CONCEPT_PREFIX = "§"
AGAIN_MARKER = f"{CONCEPT_PREFIX}!修后复发"
_CONCEPT_WEIGHT = 2.0
CONCEPTS_FILE = "dupe_concepts.toml"


@dataclass(frozen=True, slots=True)
class Concept:
    """One kind of problem (停水, 不热, 占道摆摊 …) and the phrases residents write for it."""

    name: str
    phrases: tuple[str, ...]


def load_concepts(data_dir: Path) -> tuple[Concept, ...]:
    """`dupe_concepts.toml` of a district's data folder; none when the file is absent."""
    path = data_dir / CONCEPTS_FILE
    if not path.exists():
        return ()
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    concepts = []
    for entry in data.get("concept", []):
        name, phrases = entry.get("name"), entry.get("phrases")
        if not isinstance(name, str) or not isinstance(phrases, list) or not phrases:
            raise ValueError(f"{path}: every [[concept]] needs a name and phrases")
        concepts.append(Concept(name, tuple(str(x) for x in phrases)))
    return tuple(concepts)


class PlaceMatch(StrEnum):
    SPECIFIC = "specific"  # the same road / community / landmark, or within the radius
    AREA = "area"  # the same subdistrict only
    NONE = "none"


class Verdict(StrEnum):
    AUTO = "auto"  # near-certain: merge without asking
    SUGGEST = "suggest"  # likely: a person decides
    NONE = "none"


@dataclass(frozen=True, slots=True)
class DuplicateThresholds:
    """From `[duplicates]` in the config; see config.example.toml for why these values."""

    auto: float = 0.5
    suggest: float = 0.15
    radius_m: float = 300.0
    # A case resolved or closed within this many days is still a candidate (the same broken
    # light reported again the day after 办结 is the same matter).
    closed_days: int = 7
    # A match on the subdistrict alone is looked for among cases filed in this many days.
    area_days: int = 14


class PlaceSource(Protocol):
    """What the detector needs of the router (nlp.router.Router satisfies it)."""

    def segment(self, text: str) -> list[str]: ...

    def is_place(self, term: str) -> bool: ...

    def is_keyword(self, term: str) -> bool: ...

    def places_in(self, text: str) -> Sequence[_NamedPlace]: ...


class _NamedPlace(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def subdistrict(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What is compared: weighted features, the places named, the subdistrict, a point."""

    features: dict[str, float]
    places: frozenset[str]  # "road:建宁路", "community:交大社区" ...
    subdistrict: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    numbers: frozenset[str] = frozenset()  # "3号院", "18号楼"
    first_number: str | None = None  # the building the report is about: the first one named
    recurrence: bool = False  # "又 / 再次 / 也": never merged automatically
    weight: float = -1.0  # Σ of the features' weights; computed when not given

    def __post_init__(self) -> None:
        if self.weight < 0:
            object.__setattr__(self, "weight", float(sum(self.features.values())))

    def index_keys(self) -> list[str]:
        """The keys this fingerprint is filed under in the duplicate index (storage)."""
        keys = sorted(self.places)
        if self.subdistrict:
            keys.append(f"sd:{self.subdistrict}")
        if self.latitude is not None and self.longitude is not None:
            keys.append(geo_key(self.latitude, self.longitude))
        return keys

    def lookup_keys(self) -> list[str]:
        """The keys to look candidates up by: its own, and the 8 cells around its point."""
        keys = [k for k in self.index_keys() if not k.startswith("geo:")]
        if self.latitude is not None and self.longitude is not None:
            keys += geo_neighbours(self.latitude, self.longitude)
        return keys


def geo_key(lat: float, lon: float) -> str:
    return f"geo:{math.floor(lat / GEO_CELL_DEGREES)}:{math.floor(lon / GEO_CELL_DEGREES)}"


def geo_neighbours(lat: float, lon: float) -> list[str]:
    row, col = math.floor(lat / GEO_CELL_DEGREES), math.floor(lon / GEO_CELL_DEGREES)
    return [f"geo:{row + dr}:{col + dc}" for dr in (-1, 0, 1) for dc in (-1, 0, 1)]


def _content(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


class DuplicateDetector:
    """Fingerprints and compares filings. Build once (it holds the router); thread-safe."""

    def __init__(
        self,
        places: PlaceSource,
        thresholds: DuplicateThresholds,
        concepts: Sequence[Concept] = (),
    ) -> None:
        self._places = places
        self.thresholds = thresholds
        self._concepts = tuple(concepts)

    def concepts(self, text: str) -> set[str]:
        """The problems the text names (concept features), and the after-repair marker."""
        plain = unicodedata.normalize("NFKC", text)
        found = {
            f"{CONCEPT_PREFIX}{c.name}"
            for c in self._concepts
            if any(phrase in plain for phrase in c.phrases)
        }
        if _AGAIN_AFTER_REPAIR.search(plain) or _ANOTHER_TIME.search(plain):
            found.add(AGAIN_MARKER)
        return found

    def terms(self, text: str) -> list[str]:
        """The words of the text that describe the matter (no stop words, no place names)."""
        words: list[str] = []
        for token in self._places.segment(text):
            token = token.strip()
            if not token or not _content(token) or token in STOP_WORDS:
                continue
            if self._places.is_place(token) or token.isdigit():
                continue
            words.append(token)
        return words

    def features(self, text: str) -> dict[str, float]:
        """Each word (2 if a taxonomy keyword, else 1) and the character bigrams inside each
        longer word (1 inside a keyword, else 0.5), in one namespace, so the word "路灯" meets
        the "路灯" inside "路灯坏" however jieba cut the other text."""
        weights: dict[str, float] = {}

        def add(key: str, weight: float) -> None:
            weights[key] = max(weights.get(key, 0.0), weight)

        for word in self.terms(text):
            keyword = self._places.is_keyword(word)
            if len(word) > 1 or keyword:
                add(word, _KEYWORD_WEIGHT if keyword else _WORD_WEIGHT)
            if len(word) > 2 and not word.isascii():
                for i in range(len(word) - 1):
                    add(word[i : i + 2], _WORD_WEIGHT if keyword else _BIGRAM_WEIGHT)
        for concept in self.concepts(text):
            weights[concept] = _CONCEPT_WEIGHT
        return weights

    def fingerprint(
        self,
        text: str,
        *,
        place_text: str | None = None,
        subdistrict: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> Fingerprint:
        named = list(self._places.places_in(f"{text} {place_text or ''}"))
        places = frozenset(f"{p.kind}:{p.name}" for p in named if p.kind != AREA_KIND)
        if subdistrict is None:
            subdistrict = next((p.subdistrict for p in named if p.subdistrict), None)
        plain = unicodedata.normalize("NFKC", f"{text} {place_text or ''}")
        named_numbers = [f"{n}{kind}" for n, kind in _NUMBERED.findall(plain.translate(_CN_DIGITS))]
        numbers = frozenset(named_numbers)
        return Fingerprint(
            self.features(text),
            places,
            subdistrict,
            latitude,
            longitude,
            numbers,
            named_numbers[0] if named_numbers else None,
            bool(_RECURRENCE.search(plain)),
        )

    def place_match(self, a: Fingerprint, b: Fingerprint) -> PlaceMatch:
        if (
            a.latitude is not None
            and a.longitude is not None
            and b.latitude is not None
            and b.longitude is not None
        ):
            metres = haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) * 1000
            if metres <= self.thresholds.radius_m:
                return PlaceMatch.SPECIFIC
        shared = a.places & b.places
        if shared:
            # An intersection is named by both its roads: sharing one of two is only the area.
            kinds = {p.split(":", 1)[0] for p in shared}
            if all(_of_kind(a.places, k) == _of_kind(b.places, k) for k in kinds):
                return PlaceMatch.SPECIFIC
        if a.subdistrict is not None and b.subdistrict is not None:
            if a.subdistrict != b.subdistrict:
                return PlaceMatch.NONE
        elif not (a.places and b.places):
            return PlaceMatch.NONE  # nothing to tie them to one area
        kinds_a = {p.split(":", 1)[0] for p in a.places}
        kinds_b = {p.split(":", 1)[0] for p in b.places}
        if kinds_a & kinds_b and not shared:
            return PlaceMatch.NONE  # two different roads (or communities) are two places
        if a.subdistrict is None or b.subdistrict is None:
            return PlaceMatch.NONE
        return PlaceMatch.AREA

    def verdict(self, a: Fingerprint, b: Fingerprint) -> tuple[Verdict, float]:
        """The verdict for two filings of the same sub-category, and their similarity."""
        where = self.place_match(a, b)
        if where is PlaceMatch.NONE or (
            a.first_number and b.first_number and a.first_number != b.first_number
        ):
            return Verdict.NONE, 0.0
        if different_matters(a.features, b.features):
            return Verdict.NONE, 0.0
        score = similarity(a.features, b.features, totals=(a.weight, b.weight))
        # Near-certain also needs the thing itself in common (a shared word, not only the kind
        # of problem: 井盖碎了 and 人行道砖松了 are both 破损 but two matters).
        certain = (
            where is PlaceMatch.SPECIFIC
            and not (a.recurrence or b.recurrence)
            and shares_word(a.features, b.features)
        )
        if certain and score >= self.thresholds.auto:
            return Verdict.AUTO, score
        if score >= self.thresholds.suggest:
            return Verdict.SUGGEST, score
        return Verdict.NONE, score


def _concepts_of(features: dict[str, float]) -> set[str]:
    return {k for k in features if k.startswith(CONCEPT_PREFIX) and k != AGAIN_MARKER}


def different_matters(a: dict[str, float], b: dict[str, float]) -> bool:
    """Both name what goes wrong and nothing in common (暖气不热 vs 暖气漏水), or one says it
    was repaired and broke again while the other does not (a new matter in 12345 practice)."""
    if (AGAIN_MARKER in a) != (AGAIN_MARKER in b):
        return True
    concepts_a, concepts_b = _concepts_of(a), _concepts_of(b)
    return bool(concepts_a and concepts_b and not concepts_a & concepts_b)


def shares_word(a: dict[str, float], b: dict[str, float]) -> bool:
    """A word (not a concept, not a bigram of an ordinary word) found in both."""
    return any(
        w >= _WORD_WEIGHT and not k.startswith(CONCEPT_PREFIX) and k in b for k, w in a.items()
    )


def _of_kind(places: frozenset[str], kind: str) -> frozenset[str]:
    return frozenset(p for p in places if p.startswith(f"{kind}:"))


def similarity(
    a: dict[str, float], b: dict[str, float], *, totals: tuple[float, float] | None = None
) -> float:
    """Weighted overlap: Σ min(w) over shared features / the smaller side's Σ w; 0 for empty.

    The smaller side, not the union (Jaccard), because a second report of one matter often
    says less or more than the first ("交大社区停暖了" against a paragraph about the same
    outage): what the shorter one says should be found in the longer one. `totals` are the
    two sides' Σ w when already known (stored with the fingerprint).
    """
    if not a or not b:
        return 0.0
    # Set intersection of the keys (C speed), then the weights of the few shared ones: this
    # runs once per candidate on every filing (see `make bench`).
    shared = sum(min(a[key], b[key]) for key in a.keys() & b.keys())
    if not shared:
        return 0.0
    total_a, total_b = totals if totals is not None else (sum(a.values()), sum(b.values()))
    smaller = min(total_a, total_b)
    return shared / smaller if smaller else 0.0


def top_terms(texts: Iterable[str], detector: DuplicateDetector, *, n: int = 8) -> list[str]:
    """The commonest matter words over `texts` (each text counts a word once): 热点 words."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in set(detector.terms(text)):
            if len(word) > 1:
                counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:n]]
