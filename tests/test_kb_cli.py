"""`hotline kb search|check|eval|stats|proposals` as an operator uses them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import create_engine, create_sessionmaker
from storage.kb import record_kb_answer, record_kb_outcome
from storage.kb_proposals import propose_kb_entry
from storage.models import Case, Resident, StaffMember
from tests.kb_files import entry, kb_folder

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
UNIT = "区人力资源和社会保障局"


def _config(tmp_path: Path, kb_dir: Path | None = None) -> Path:
    file = tmp_path / "config.toml"
    lines = [
        "[database]",
        f'url = "sqlite+aiosqlite:///{tmp_path / "hotline.db"}"',
        "[kb]",
        f'local_dir = "{tmp_path / "local-kb"}"',
    ]
    if kb_dir is not None:
        lines.append(f'data_dir = "{kb_dir}"')
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return file


def test_search_json_explains_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    """`kb search --json` names the answer, the matched terms and the question reading."""
    assert main(["kb", "search", "--json", "--today", "2026-12-01", "社保卡丢了怎么补办？"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["answer"] == "kb-shebaoka-lost" and out["question"] and not out["complaint"]
    assert "社保卡" in out["results"][0]["matched"]


def test_search_never_answers_a_complaint(capsys: pytest.CaptureFixture[str]) -> None:
    """A complaint that matches an entry still gets no answer."""
    assert main(["kb", "search", "--json", "身份证补办窗口态度太差了，我要投诉"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["complaint"] and out["answer"] is None


def test_check_reports_dates_and_duplicates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kb check` lists expired, not-yet-valid and near-duplicate entries and exits 1."""
    folder = kb_folder(
        tmp_path,
        entry("kb-a"),
        entry("kb-b"),
        entry(
            "kb-old",
            title="身份证丢失怎么补办",
            variants=("身份证丢了",),
            valid_from="2020-01-01",
            valid_until="2021-01-01",
        ),
        entry(
            "kb-later",
            title="驾驶证到期怎么换证",
            variants=("驾照到期",),
            valid_from="2030-01-01",
            valid_until="2031-01-01",
        ),
    )
    code = main(
        ["kb", "check", "--today", "2026-12-01", "--config", str(_config(tmp_path, folder))]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "kb-old (c.toml) past valid_until 2021-01-01" in out
    assert "kb-later (d.toml) not valid before 2030-01-01" in out
    assert "near-duplicate: kb-a ~ kb-b" in out


def test_check_passes_on_the_shipped_entries(capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped entries have no finding on a day inside their validity."""
    assert main(["kb", "check", "--today", "2026-12-01"]) == 0
    assert "no findings" in capsys.readouterr().out


def test_check_fails_clearly_on_an_invalid_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid entry makes `kb check` exit 2 with the file and entry in the message."""
    folder = kb_folder(tmp_path, entry(unit="不存在局"))
    assert main(["kb", "check", "--config", str(_config(tmp_path, folder))]) == 2
    assert "a.toml: entry kb-test-lost: unit '不存在局'" in capsys.readouterr().err


def test_eval_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """`kb eval --json` prints top-1, top-3 and the share of "none" questions answered."""
    data = Path(__file__).resolve().parent / "data" / "kb_dev.csv"
    assert main(["kb", "eval", "--json", "--today", "2026-12-01", str(data)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["questions"] == 45 and out["top1"] >= 0.85 and "none_answered" in out


async def _seed(url: str) -> None:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as s, s.begin():
            # `hotline db upgrade` has already added the directory's units.
            s.add(Resident(id=1, channel="console", external_id="r1", created_at=T0))
            await s.flush()
            s.add(
                Case(
                    id=1,
                    number="AN20261125-0001",
                    resident_id=1,
                    channel="console",
                    request_type="question",
                    state="closed",
                    unit_name=UNIT,
                    description="问题",
                    created_at=T0,
                    updated_at=T0,
                )
            )
            s.add(
                StaffMember(
                    id=1, unit_name=UNIT, role="staff", channel="tg", external_id="1", created_at=T0
                )
            )
            await s.flush()
            q = await record_kb_answer(
                session=s,
                channel="web",
                text="社保卡丢了",
                entry_id="kb-shebaoka-lost",
                score=7.0,
                now=datetime.now(UTC),
            )
            await record_kb_answer(
                session=s,
                channel="web",
                text="暖气费在哪交",
                entry_id=None,
                score=None,
                now=datetime.now(UTC),
            )
            await record_kb_outcome(
                session=s, query_id=q.id, outcome="solved", now=datetime.now(UTC)
            )
            await propose_kb_entry(
                session=s,
                case_id=1,
                proposed_by=1,
                title="社保卡怎么补办",
                answer="带身份证到社保卡服务网点办理。",
                now=T0,
                request_type="question",
                closed_states=("closed",),
            )
    finally:
        await engine.dispose()


def test_stats_and_proposals_from_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kb stats` shows the figures; approving a proposal writes an entry that then loads."""
    config = str(_config(tmp_path))
    assert main(["db", "upgrade", "--config", config]) == 0
    asyncio.run(_seed(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"))
    capsys.readouterr()
    assert main(["kb", "stats", "--json", "--config", config]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["asked"], stats["answered_without_case"], stats["no_match"]) == (2, 1, 1)
    assert stats["solved_rate"] == 1.0 and stats["unmatched"] == [
        {"text": "暖气费在哪交", "count": 1}
    ]

    assert main(["kb", "proposals", "--config", config]) == 0
    assert "#1 [pending] 区人力资源和社会保障局 from AN20261125-0001" in capsys.readouterr().out
    assert main(["kb", "proposals", "--approve", "1", "--config", config]) == 0
    written = tmp_path / "local-kb" / "kb-case-1.toml"
    assert written.is_file()
    assert main(["kb", "proposals", "--approve", "1", "--config", config]) == 2
    assert "no pending proposal 1" in capsys.readouterr().err
    assert main(["kb", "search", "--json", "--config", config, "社保卡怎么补办"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "kb-case-1" in [r["id"] for r in out["results"]]
