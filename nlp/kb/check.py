"""Upkeep checks for `hotline kb check`: entries out of date, near-duplicate entries, and
variants that find another entry first (so a resident asking that way gets the wrong answer)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from pathlib import Path

from nlp.kb.entries import Entry
from nlp.kb.retrieval import KnowledgeBase

# Sibling entries (首次签发 vs 补发, 申领 vs 补领) score 0.55-0.75; a copied entry scores near 1.
DEFAULT_SIMILARITY = 0.8


@dataclass(frozen=True, slots=True)
class DateFinding:
    """An entry that is past its `valid_until` ("expired") or before its `valid_from` ("future")."""

    entry_id: str
    file: Path
    kind: str
    day: date


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    """Two entries whose titles and variants share most of their weighted terms."""

    first: str
    second: str
    similarity: float


@dataclass(frozen=True, slots=True)
class VariantCollision:
    """A variant of `entry_id` whose best match is `found` instead."""

    entry_id: str
    variant: str
    found: str


def date_findings(entries: tuple[Entry, ...], today: date) -> list[DateFinding]:
    findings: list[DateFinding] = []
    for e in entries:
        if e.valid_until < today:
            findings.append(DateFinding(e.id, e.file, "expired", e.valid_until))
        elif e.valid_from > today:
            findings.append(DateFinding(e.id, e.file, "future", e.valid_from))
    return findings


def _vectors(kb: KnowledgeBase) -> dict[str, dict[str, float]]:
    bags = {e.id: Counter(kb.terms(" ".join((*e.phrasings, *e.tags)))) for e in kb.entries}
    df = Counter(t for bag in bags.values() for t in bag)
    n = len(bags)
    vectors: dict[str, dict[str, float]] = {}
    for entry_id, bag in bags.items():
        vec = {t: (1 + math.log(c)) * math.log(1 + n / df[t]) for t, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors[entry_id] = {t: v / norm for t, v in vec.items()}
    return vectors


def near_duplicates(
    kb: KnowledgeBase, threshold: float = DEFAULT_SIMILARITY
) -> list[NearDuplicate]:
    """Entry pairs with TF-IDF cosine similarity of at least `threshold`, most similar first."""
    vectors = _vectors(kb)
    pairs: list[NearDuplicate] = []
    for a, b in combinations(sorted(vectors), 2):
        va, vb = vectors[a], vectors[b]
        sim = sum(w * vb.get(t, 0.0) for t, w in va.items())
        if sim >= threshold:
            pairs.append(NearDuplicate(a, b, round(sim, 3)))
    return sorted(pairs, key=lambda p: (-p.similarity, p.first, p.second))


def variant_collisions(kb: KnowledgeBase, today: date) -> list[VariantCollision]:
    """Variants whose top search result is another entry."""
    found: list[VariantCollision] = []
    for entry in kb.entries:
        for variant in entry.variants:
            top = kb.search(variant, limit=1, today=today)
            if top and top[0].entry.id != entry.id:
                found.append(VariantCollision(entry.id, variant, top[0].entry.id))
    return found
