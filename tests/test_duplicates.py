"""The duplicate detector (nlp/duplicates.py) on its own: the similarity, the place rules, the
two thresholds, and its measured precision and recall on the labelled pairs."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from nlp.duplicates import (
    DuplicateDetector,
    DuplicateThresholds,
    Verdict,
    load_concepts,
    similarity,
)
from nlp.duplicates_eval import evaluate, read_pairs
from nlp.router import Router
from storage.db import create_engine
from storage.duplicates import Lookup, candidates, index_and_find, index_case
from storage.migrate import alembic_config
from storage.models import Case, DuplicateKey, Resident
from tests.schema_diff import schema_diffs

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def detector(router: Router) -> DuplicateDetector:
    return DuplicateDetector(
        router, DuplicateThresholds(), load_concepts(router.directory.data_dir)
    )


def test_similarity_is_the_weighted_overlap_of_the_smaller_side() -> None:
    """Shared weight over the smaller side's total: containment counts fully, nothing shared
    is 0, and the measure is symmetric."""
    short = {"路灯": 2.0, "不亮": 1.0}
    long = {"路灯": 2.0, "不亮": 1.0, "晚上": 1.0, "害怕": 1.0}
    assert similarity(short, long) == 1.0 == similarity(long, short)
    assert similarity({"停水": 2.0}, {"停电": 2.0}) == 0.0
    assert similarity({"路灯": 2.0, "坏": 1.0}, {"路灯": 1.0, "不亮": 2.0}) == pytest.approx(1 / 3)
    assert similarity({}, long) == 0.0


def test_same_matter_same_road_is_merged_without_asking(detector: DuplicateDetector) -> None:
    """Two reports of the light on 建宁路 are near-certain duplicates."""
    a = detector.fingerprint("建宁路上的路灯坏了一个多月了，晚上一片漆黑")
    b = detector.fingerprint("建宁路路灯坏了一个月了")
    assert detector.verdict(a, b)[0] is Verdict.AUTO


def test_different_roads_buildings_or_a_recurrence_are_never_merged_automatically(
    detector: DuplicateDetector,
) -> None:
    """Another road is no duplicate; another building number is none; "也" (also) leaves the
    decision to a person; broken again (又坏了, 上个月…又) or repaired and broken again is another
    occurrence, a new matter; "再次反映" is the same matter reported again."""
    light = detector.fingerprint("建宁路路灯坏了")
    assert detector.verdict(light, detector.fingerprint("安宁西路路灯坏了"))[0] is Verdict.NONE
    five = detector.fingerprint("师大社区5号楼暖气不热")
    seven = detector.fingerprint("师大社区7号楼暖气不热")
    assert detector.verdict(five, seven)[0] is Verdict.NONE
    also = detector.fingerprint("建宁路路灯也坏了")
    assert detector.verdict(light, also)[0] is Verdict.SUGGEST
    again = detector.fingerprint("建宁路路灯今天又坏了")
    assert detector.verdict(light, again)[0] is Verdict.NONE
    drain = detector.fingerprint("建宁路下水道堵了，污水冒出来")
    back = detector.fingerprint("建宁路下水道上个月疏通了一次，这两天又堵上了")
    assert detector.verdict(drain, back)[0] is Verdict.NONE
    reported_again = detector.fingerprint("再次反映建宁路路灯坏了，一直没人修")
    assert detector.verdict(light, reported_again)[0] is not Verdict.NONE
    repaired = detector.fingerprint("建宁路路灯上周修好了，今天又坏了")
    assert detector.verdict(light, repaired)[0] is Verdict.NONE
    assert detector.verdict(repaired, detector.fingerprint("建宁路路灯修好了又不亮了"))[0] in (
        Verdict.SUGGEST,
        Verdict.AUTO,
    )


def test_paraphrases_sharing_no_word_meet_through_concepts(
    router: Router, detector: DuplicateDetector
) -> None:
    """停暖 and 暖气冰凉, 小贩 and 摆摊 name one problem (dupe_concepts.toml): without the
    concept file they share nothing."""
    plain = DuplicateDetector(router, detector.thresholds)
    pairs = [
        ("师大社区停暖了", "师大社区暖气冰凉"),
        ("建宁路有小贩", "建宁路有人摆摊"),
        ("交大社区没水了", "交大社区停水"),
    ]
    for first, second in pairs:
        a, b = detector.fingerprint(first), detector.fingerprint(second)
        assert detector.verdict(a, b)[0] is not Verdict.NONE, (first, second)
        assert plain.verdict(plain.fingerprint(first), plain.fingerprint(second))[0] is Verdict.NONE


def test_the_same_thing_with_different_problems_is_no_duplicate(
    detector: DuplicateDetector,
) -> None:
    """Sharing the object (暖气, 燃气) is not enough when both name different problems; a shared
    problem without a shared word (井盖碎了, 人行道砖松了) is never merged without asking."""
    cases = [
        ("科苑社区暖气不热", "科苑社区暖气管道漏水了"),
        ("万里社区燃气费太贵", "万里社区燃气泄漏"),
    ]
    for first, second in cases:
        assert detector.verdict(detector.fingerprint(first), detector.fingerprint(second))[0] is (
            Verdict.NONE
        )
    lid = detector.fingerprint("万新路井盖碎了")
    assert detector.verdict(lid, detector.fingerprint("万新路人行道砖松了"))[0] is not Verdict.AUTO


def test_points_within_the_radius_are_one_place(detector: DuplicateDetector) -> None:
    """Two shared locations 100 m apart are the same place; 2 km apart are not."""
    here = detector.fingerprint("路灯坏了", latitude=36.1000, longitude=103.7200)
    near = detector.fingerprint("路灯坏了", latitude=36.1009, longitude=103.7200)
    far = detector.fingerprint("路灯坏了", latitude=36.1200, longitude=103.7200)
    assert detector.verdict(here, near)[0] is Verdict.AUTO
    assert detector.verdict(here, far)[0] is Verdict.NONE
    assert set(near.index_keys()) & set(here.lookup_keys())


def test_thresholds_hold_on_our_own_dev_pairs(router: Router, detector: DuplicateDetector) -> None:
    """On tests/data/dupe_dev.csv (152 pairs written by us; thresholds, rules and the concept
    file were chosen on it) every automatic merge is right and suggestions are mostly right
    (measured: auto 31 at 1.000, recall 0.397; suggestions 42 at 0.952; flagged 0.910)."""
    scores = evaluate(router, detector, read_pairs(DATA / "dupe_dev.csv"))
    assert scores.pairs == 152
    assert scores.auto_precision == 1.0
    assert scores.auto_recall >= 0.37
    assert scores.suggest_precision >= 0.9
    assert scores.flagged_recall >= 0.88


def test_measured_on_the_independent_labelled_pairs(
    router: Router, detector: DuplicateDetector
) -> None:
    """tests/data/dupe_pairs.csv (250 pairs labelled by someone who never saw the detector):
    floors a little under the figures in the README (second run after the concept file, with
    the another-occurrence rule chosen on dupe_dev2.csv: auto 1.000 / 0.143, suggest 0.852,
    merged or suggested 0.607)."""
    pairs = read_pairs(DATA / "dupe_pairs.csv")
    assert len(pairs) == 250
    scores = evaluate(router, detector, pairs)
    assert scores.auto_precision >= 0.95
    assert scores.auto_recall >= 0.12
    assert scores.suggest_precision >= 0.82
    assert scores.flagged_recall >= 0.58


def test_measured_on_the_second_dev_set_written_blind(
    router: Router, detector: DuplicateDetector
) -> None:
    """tests/data/dupe_dev2.csv (160 pairs in the labelled set's mix of kinds, written by a
    helper that saw neither the detector nor the labelled set; the another-occurrence rule was
    chosen on it): suggestions 0.852 (0.719 before the rule), merged or suggested 0.403."""
    scores = evaluate(router, detector, read_pairs(DATA / "dupe_dev2.csv"))
    assert scores.pairs == 160
    assert scores.auto_precision == 1.0
    assert scores.suggest_precision >= 0.83
    assert scores.flagged_recall >= 0.38


async def test_migrated_merge_tables_match_the_models(db_url: str) -> None:
    """Autogenerate finds no difference touching duplicate_keys, hotspot_alerts or
    cases.parent_id or cases.dupe_fingerprint after the upgrade (0009_merge, 0012_merge2)."""
    diffs = await schema_diffs(db_url)
    found = repr(diffs)
    # SQLite cannot add the parent_id constraint to an existing table (see the migration).
    relevant = [
        d
        for d in diffs
        if any(
            k in repr(d)
            for k in ("duplicate_keys", "hotspot_alerts", "parent_id", "dupe_fingerprint")
        )
        and not (db_url.startswith("sqlite") and "ForeignKeyConstraint" in repr(d))
    ]
    assert relevant == [], found


def _migrate_sync(connection: Any, url: str, revision: str, *, down: bool) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


async def test_0011_moves_the_fingerprint_from_every_index_row_to_the_case(db_url: str) -> None:
    """Upgrading 0010 → 0011 keeps one packed fingerprint per case (from its index rows) and
    drops the copies on the rows; downgrading puts them back on every row."""
    engine = create_engine(db_url)
    url = engine.url.render_as_string(False)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_migrate_sync, url, "0011_web2", down=True)
            await conn.execute(
                text(
                    "INSERT INTO residents (id, channel, external_id, reachable, created_at) "
                    "VALUES (1, 'telegram', '1', true, :now)"
                ),
                {"now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO cases (id, number, resident_id, channel, request_type, urgency,"
                    " state, description, photos, anonymous, share_identity, version,"
                    " reopen_count, routing, created_at, updated_at) VALUES (1, 'AN1', 1,"
                    " 'telegram', 'complaint', 'normal', 'dispatched', '建宁路路灯坏了', '[]',"
                    " true, false,"
                    " 1, 0, '{}', :now, :now)"
                ),
                {"now": now},
            )
            for key in ("road:建宁路", "sd:培黎街道"):
                await conn.execute(
                    text(
                        "INSERT INTO duplicate_keys (case_id, place_key, subcategory, created_at,"
                        " features, places, numbers, recurrence, subdistrict) VALUES (1, :key,"
                        " '路灯照明', :now, :features, :places, :numbers, false, '培黎街道')"
                    ),
                    {
                        "key": key,
                        "now": now,
                        "features": json.dumps({"路灯": 2.0, "坏": 1.0}),
                        "places": json.dumps(["road:建宁路"]),
                        "numbers": json.dumps(["3号院", "5号院"]),
                    },
                )
            await conn.run_sync(_migrate_sync, url, "0012_merge2", down=False)
            packed = (await conn.execute(text("SELECT dupe_fingerprint FROM cases"))).scalar_one()
            packed = json.loads(packed) if isinstance(packed, str) else packed
            assert packed["f"] == {"路灯": 2.0, "坏": 1.0} and packed["w"] == 3.0
            assert packed["p"] == ["road:建宁路"] and packed["n"] == ["3号院", "5号院"]
            assert packed["sd"] == "培黎街道" and packed["r"] is False
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("duplicate_keys")}
            )
            assert columns == {"case_id", "place_key", "subcategory", "created_at"}
            await conn.run_sync(_migrate_sync, url, "0011_web2", down=True)
            rows = (await conn.execute(text("SELECT features FROM duplicate_keys"))).all()
            assert len(rows) == 2
            assert all(
                (json.loads(r[0]) if isinstance(r[0], str) else r[0]) == {"路灯": 2.0, "坏": 1.0}
                for r in rows
            )
            await conn.execute(text("DELETE FROM duplicate_keys"))
            await conn.execute(text("DELETE FROM cases"))
            await conn.execute(text("DELETE FROM residents"))
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(_migrate_sync, url, "head", down=False)
        await engine.dispose()


async def test_the_lookup_returns_each_case_once_newest_first_capped_by_the_server(
    db_url: str,
) -> None:
    """Three cases under two keys each (written with one multi-row INSERT per case): the look-up
    returns every relevant case once with its stored fingerprint, newest first, at most
    `limit`; a finished case, another sub-category and the case itself are left out; filing's
    combined look-up and index write finds the same and writes its rows."""
    engine = create_engine(db_url)
    made = async_sessionmaker(engine, expire_on_commit=False)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    try:
        async with made() as session, session.begin():
            session.add(Resident(id=1, channel="telegram", external_id="1", created_at=now))
            await session.flush()  # no relationship orders the two inserts
            for n, (state, sub) in enumerate(
                [
                    ("dispatched", "路灯照明"),
                    ("dispatched", "路灯照明"),
                    ("dispatched", "路灯照明"),
                    ("withdrawn", "路灯照明"),
                    ("dispatched", "供水"),
                ],
                start=1,
            ):
                session.add(
                    Case(
                        id=n, number=f"AN{n}", resident_id=1, channel="telegram",
                        request_type="complaint", urgency="normal", state=state, version=1,
                        subcategory=sub, description="路灯坏了", routing={}, photos=[],
                        created_at=now, updated_at=now, dupe_fingerprint={"f": {"路灯": 2.0}},
                    )
                )  # fmt: skip
            await session.flush()
            for n in range(1, 6):
                await index_case(
                    session=session,
                    case_id=n,
                    subcategory="路灯照明" if n < 5 else "供水",
                    keys=["road:建宁路", "sd:培黎街道"],
                    created_at=now + timedelta(minutes=n),
                )
        lookup = Lookup(
            subcategory="路灯照明",
            keys=["road:建宁路"],
            area_keys=["sd:培黎街道"],
            area_since=now - timedelta(days=14),
            open_states=["dispatched"],
            recent_states=["resolved", "closed"],
            closed_since=now - timedelta(days=7),
            exclude_case_id=1,
        )
        async with made() as session:
            assert await session.scalar(select(func.count()).select_from(DuplicateKey)) == 10
            found = await candidates(session=session, lookup=lookup)
            assert [c.case_id for c in found] == [3, 2]
            assert found[0].fingerprint == {"f": {"路灯": 2.0}}
            capped = await candidates(session=session, lookup=replace(lookup, limit=1))
            assert [c.case_id for c in capped] == [3]
        # Filing's path: the look-up and the new rows together (one statement on PostgreSQL);
        # the look-up does not see the rows it writes.
        async with made() as session, session.begin():
            found = await index_and_find(
                session=session,
                case_id=1,
                keys=["geo:1:1"],
                created_at=now + timedelta(hours=1),
                lookup=lookup,
            )
            assert [c.case_id for c in found] == [3, 2]
        async with made() as session:
            assert await session.scalar(select(func.count()).select_from(DuplicateKey)) == 11
    finally:
        await engine.dispose()
