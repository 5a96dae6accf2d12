"""The workbench's 知识库 page: entries edited into their files and answered at once, proposals
from closed 咨询 cases decided by supervisors, and the figures of `hotline kb stats`."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tomllib
from collections.abc import AsyncIterator
from dataclasses import fields
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.config import Settings
from bot.knowledge import load_knowledge_base
from handlers.policy.casetypes import RequestType
from handlers.policy.clock import FixedClock
from handlers.validation import mask_personal_data
from nlp.kb import KnowledgeBase
from nlp.kb.entries import read_entry_file
from nlp.kb.retrieval import DEFAULT_KB_DIR
from nlp.router import Router
from storage.kb import record_kb_answer, record_kb_outcome
from storage.staff import CENTRE_UNIT
from tests.followup_support import OTHER_UNIT, UNIT, dispatched_case, local, move, outbox
from tests.support import running_app
from tests.web_helpers import Browser, browsing, web_staff

HRSS = "区人力资源和社会保障局"
ANSWER = "带身份证到区政务服务中心社保窗口办理，当场领取。"


@pytest.fixture
async def kb_app(
    settings: Settings,
    router: Router,
    clock: FixedClock,
    tmp_path: Path,
    knowledge_base: KnowledgeBase,
) -> AsyncIterator[App]:
    """The app with a running knowledge base read from a copy of the shipped entries (the
    tests write into it) and its own folder for new entries."""
    shutil.copytree(DEFAULT_KB_DIR, tmp_path / "kb")
    settings = settings.model_copy(
        update={
            "kb": settings.kb.model_copy(
                update={"data_dir": tmp_path / "kb", "local_dir": tmp_path / "local-kb"}
            )
        }
    )
    kb = load_knowledge_base(settings, segmenter=knowledge_base.segmenter)
    async with running_app(settings, router, clock, knowledge=kb) as built:
        yield built


@pytest.fixture
async def browser(kb_app: App) -> AsyncIterator[Browser]:
    async with browsing(kb_app) as opened:
        yield opened


def _kb(app: App) -> KnowledgeBase:
    assert app.deps.knowledge is not None
    return app.deps.knowledge


def _form(app: App, entry_id: str) -> dict[str, str]:
    """What the edit form posts for an entry as it stands."""
    from bot.kbdesk import EntryForm, read_library

    entry = read_library(app).entry(entry_id)
    assert entry is not None
    form = EntryForm.of(entry)
    return {f.name: getattr(form, f.name) for f in fields(form)}


def _errors(html: str) -> dict[str, str]:
    return {
        name: unescape(text) for name, text in re.findall(r'id="error-([a-z_]+)">([^<]*)<', html)
    }


async def _supervisor(app: App, browser: Browser) -> None:
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    assert (await browser.login("boss")).status == 303


async def test_a_supervisor_edits_an_entry_in_its_file_and_the_chat_answers_at_once(
    kb_app: App, browser: Browser
) -> None:
    await _supervisor(kb_app, browser)
    question = "卡片弄丢后到哪个窗口重新领一张新的社会保障凭证"
    before = _kb(kb_app).best(question)
    assert before is None or before.entry.id != "kb-shebaoka-lost"
    entry = _kb(kb_app).entry("kb-shebaoka-lost")
    assert entry is not None
    file = entry.file
    original = file.read_text(encoding="utf-8")
    data = _form(kb_app, "kb-shebaoka-lost")
    data["variants"] += "\n" + question
    response = await browser.post_form(
        "/desk/kb/entries/kb-shebaoka-lost", data, from_page="/desk/kb/entries/kb-shebaoka-lost"
    )
    assert response.status == 303, await response.text()
    # The running index answers the new phrasing without a restart.
    answer = _kb(kb_app).best(question)
    assert answer is not None and answer.entry.id == "kb-shebaoka-lost"
    # Only that entry's table changed; the file's comments and the other entries stay as they
    # were, and the file loads as every entry file does.
    text = file.read_text(encoding="utf-8")
    assert text.startswith(original.split("[[entry]]")[0])
    assert question in text
    before_tables = tomllib.loads(original)["entry"]
    after_tables = tomllib.loads(text)["entry"]
    assert [t for t in after_tables if t["id"] != "kb-shebaoka-lost"] == [
        t for t in before_tables if t["id"] != "kb-shebaoka-lost"
    ]
    edited = next(t for t in after_tables if t["id"] == "kb-shebaoka-lost")
    assert edited["answer"] == entry.answer and edited["variants"][-1] == question
    assert "kb-shebaoka-lost" in [e.id for e in read_entry_file(file, None)]


async def test_a_bad_form_names_each_field_and_writes_nothing(
    kb_app: App, browser: Browser
) -> None:
    await _supervisor(kb_app, browser)
    entry = _kb(kb_app).entry("kb-shebaoka-lost")
    assert entry is not None
    original = entry.file.read_text(encoding="utf-8")
    data = _form(kb_app, "kb-shebaoka-lost")
    data.update(
        title="", valid_until="2026-13-01", source_url="ftp://x", unit="火星办事处", answer=" "
    )
    response = await browser.post_form(
        "/desk/kb/entries/kb-shebaoka-lost", data, from_page="/desk/kb/entries/kb-shebaoka-lost"
    )
    assert response.status == 422
    errors = _errors(await response.text())
    assert set(errors) == {"title", "answer", "unit", "valid_until", "source_url"}, errors
    assert "火星办事处" in errors["unit"] and "2026-13-01" in errors["valid_until"]
    assert entry.file.read_text(encoding="utf-8") == original
    # Dates in the wrong order are an error of the end date.
    data = _form(kb_app, "kb-shebaoka-lost")
    data.update(valid_from="2027-01-01", valid_until="2026-01-01")
    response = await browser.post_form(
        "/desk/kb/entries/kb-shebaoka-lost", data, from_page="/desk/kb/entries/kb-shebaoka-lost"
    )
    assert response.status == 422 and set(_errors(await response.text())) == {"valid_until"}


async def test_a_stale_form_does_not_undo_a_newer_edit(kb_app: App, browser: Browser) -> None:
    await _supervisor(kb_app, browser)
    first = _form(kb_app, "kb-shebaoka-lost")
    second = dict(first)
    first["title"] = "社保卡丢了如何挂失补办"
    path = "/desk/kb/entries/kb-shebaoka-lost"
    assert (await browser.post_form(path, first, from_page=path)).status == 303
    second["title"] = "旧表单的标题"
    response = await browser.post_form(path, second, from_page=path)
    assert response.status == 422 and "changed meanwhile" in await response.text()
    entry = _kb(kb_app).entry("kb-shebaoka-lost")
    assert entry is not None and entry.title == "社保卡丢了如何挂失补办"


async def test_a_new_entry_gets_its_own_file_and_is_answered(kb_app: App, browser: Browser) -> None:
    await _supervisor(kb_app, browser)
    data = {
        "id": "kb-test-heating",
        "title": "供暖费在哪里缴纳",
        "answer": '第一行\n第二行 "引号" 与 \\ 反斜杠',
        "unit": HRSS,
        "tags": "供暖费，暖气费",
        "variants": "暖气费去哪交\n取暖费怎么缴",
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
        "source_title": "测试来源",
        "source_url": "https://example.gov.cn/heating",
    }
    response = await browser.post_form("/desk/kb/new", data, from_page="/desk/kb/new")
    assert response.status == 303, await response.text()
    written = kb_app.settings.kb.local_dir / "kb-test-heating.toml"
    table = tomllib.loads(written.read_text(encoding="utf-8"))["entry"][0]
    assert table["answer"] == data["answer"] and table["tags"] == ["供暖费", "暖气费"]
    answer = _kb(kb_app).best("暖气费去哪交")
    assert answer is not None and answer.entry.id == "kb-test-heating"
    # The same id again is refused on the id field.
    response = await browser.post_form("/desk/kb/new", data, from_page="/desk/kb/new")
    assert response.status == 422 and "already used" in _errors(await response.text())["id"]
    # A file of that name holding another id is never overwritten.
    other = kb_app.settings.kb.local_dir / "kb-test-other.toml"
    other.write_text(written.read_text(encoding="utf-8").replace("kb-test-heating", "kb-x"))
    response = await browser.post_form(
        "/desk/kb/new", {**data, "id": "kb-test-other"}, from_page="/desk/kb/new"
    )
    assert response.status == 422 and "already exists" in _errors(await response.text())["id"]
    assert "kb-x" in other.read_text(encoding="utf-8")


async def test_unit_staff_read_entries_but_may_not_edit(kb_app: App, browser: Browser) -> None:
    await web_staff(kb_app, "clerk", HRSS)
    await browser.login("clerk")
    status, html = await browser.page("/desk/kb?q=社保卡")
    assert status == 200 and "kb-shebaoka-lost" in html and "kb-figures" not in html
    status, html = await browser.page("/desk/kb/entries/kb-shebaoka-lost")
    assert status == 200 and "<fieldset disabled>" in html
    assert (await browser.page("/desk/kb/new"))[0] == 403
    response = await browser.post_form(
        "/desk/kb/entries/kb-shebaoka-lost",
        {**_form(kb_app, "kb-shebaoka-lost"), "title": "改了"},
        from_page="/desk/kb",
    )
    assert response.status == 403
    entry = _kb(kb_app).entry("kb-shebaoka-lost")
    assert entry is not None and entry.title != "改了"


async def test_the_list_filters_by_unit_and_validity(
    kb_app: App, browser: Browser, clock: FixedClock
) -> None:
    await _supervisor(kb_app, browser)
    _, html = await browser.page(f"/desk/kb?unit={HRSS}&validity=valid")
    listed = set(re.findall(r'href="/desk/kb/entries/([a-z0-9-]+)"', html))
    today = clock.now().astimezone(kb_app.deps.zone).date()
    expected = {e.id for e in _kb(kb_app).entries if e.unit == HRSS and e.valid_on(today)}
    assert listed == expected
    _, html = await browser.page(f"/desk/kb?unit={HRSS}&validity=future")
    listed = set(re.findall(r'href="/desk/kb/entries/([a-z0-9-]+)"', html))
    assert listed == {e.id for e in _kb(kb_app).entries if e.unit == HRSS and e.valid_from > today}
    clock.set(clock.now() + timedelta(days=3 * 365))  # every shipped entry is past its date
    await browser.login("boss")  # the session has expired meanwhile
    _, html = await browser.page("/desk/kb?validity=valid")
    assert "没有符合条件的条目" in html
    _, html = await browser.page("/desk/kb?validity=expired")
    assert "kb-shebaoka-lost" in html


def _figure_rows(html: str) -> dict[str, list[str]]:
    section = html.split('id="kb-figures"', 1)[1]
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S):
        cells = [unescape(c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


async def test_figures_equal_hotline_kb_stats(
    kb_app: App, browser: Browser, settings: Settings, tmp_path: Path
) -> None:
    at = local(2026, 11, 20, 10)
    async with kb_app.sessionmaker() as session, session.begin():
        for text, entry_id, reply in [
            ("社保卡丢了怎么办", "kb-shebaoka-lost", "solved"),
            ("社保卡丢了怎么补", "kb-shebaoka-lost", "unsolved"),
            ("居住证怎么办", "kb-juzhuzheng", "handoff"),
            ("居住证要什么材料", "kb-juzhuzheng", None),
            ("暖气费在哪交", None, None),
            ("暖气费在哪交", None, None),
            ("水费怎么交", None, None),
            ("我电话13912345678，暖气不热找谁", None, None),
        ]:
            q = await record_kb_answer(
                session=session,
                channel="telegram",
                text=text,
                entry_id=entry_id,
                score=5.0 if entry_id else None,
                now=at,
            )
            if reply:
                await record_kb_outcome(session=session, query_id=q.id, outcome=reply, now=at)
        # Outside the range: not counted.
        await record_kb_answer(
            session=session,
            channel="web",
            text="暖气费在哪交",
            entry_id=None,
            score=None,
            now=local(2026, 10, 1, 10),
        )
    await _supervisor(kb_app, browser)
    _, html = await browser.page("/desk/kb?from=2026-11-01&to=2026-11-30")
    config = tmp_path / "stats.toml"
    config.write_text(f'[database]\nurl = "{settings.database.url}"\n', encoding="utf-8")
    args = ["kb", "stats", "--json", "--from", "2026-11-01", "--to", "2026-11-30"]
    out = await asyncio.to_thread(_run_cli, [*args, "--config", str(config)])
    stats = json.loads(out)
    rows = _figure_rows(html)
    assert rows["咨询问题"] == [str(stats["asked"])] and stats["asked"] == 8
    assert rows["已解决（未立工单）"] == [str(stats["answered_without_case"])]
    assert rows["未解决"] == [str(stats["unsolved"])] and rows["转人工"] == [str(stats["handoff"])]
    assert rows["无匹配条目"] == [str(stats["no_match"])]
    assert rows["已解决率"] == [f"{stats['solved_rate'] * 100:.1f}%"]
    unmatched = re.findall(r"<li>(\d+) × ([^<]+)</li>", html.split('id="kb-unmatched"')[1])
    assert [(int(n), unescape(t)) for n, t in unmatched] == [
        (u["count"], mask_personal_data(u["text"])) for u in stats["unmatched"]
    ]
    assert "13912345678" not in html  # the resident's number is masked on the page
    assert unmatched[0] == ("2", "暖气费在哪交")
    for e in stats["entries"]:
        assert rows[e["entry_id"]] == [
            str(e[k]) for k in ("shown", "solved", "unsolved", "handoff")
        ]


def _run_cli(argv: list[str]) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(argv) == 0
    return buffer.getvalue()


# -- proposals -------------------------------------------------------------------------------


async def _closed_question(app: App, unit: str = UNIT) -> tuple[int, str]:
    at = local(2026, 11, 24, 9)
    case_id = await dispatched_case(app, at, unit=unit, request_type=RequestType.QUESTION)
    await move(app, case_id, "accepted", at + timedelta(hours=1))
    await move(app, case_id, "resolved", at + timedelta(hours=2), note=ANSWER)
    from tests.followup_support import get_case

    return case_id, (await get_case(app, case_id)).number


async def test_a_unit_proposes_from_its_closed_question_and_a_supervisor_approves(
    kb_app: App, browser: Browser
) -> None:
    _, number = await _closed_question(kb_app)
    clerk = await web_staff(kb_app, "clerk", UNIT)
    await browser.login("clerk")
    _, case_html = await browser.page(f"/desk/cases/{number}")
    assert f'href="/desk/kb/propose/{number}"' in case_html
    status, html = await browser.page(f"/desk/kb/propose/{number}")
    assert status == 200 and ANSWER in html  # pre-filled with the unit's answer
    response = await browser.post_form(
        f"/desk/kb/propose/{number}",
        {"title": "社保卡在哪里领", "answer": ANSWER},
        from_page=f"/desk/kb/propose/{number}",
    )
    assert response.status == 303
    _, html = await browser.page("/desk/kb")
    assert "社保卡在哪里领" in html and "待审核" in html
    # A unit member may not approve, even by posting the form.
    response = await browser.post_form("/desk/kb/proposals/1/approve", {}, from_page="/desk/kb")
    assert response.status == 403
    await browser.post_form("/desk/logout", {}, from_page="/desk/kb")

    boss = Browser(browser.client)
    await _supervisor(kb_app, boss)
    _, html = await boss.page("/desk/kb")
    assert 'action="/desk/kb/proposals/1/approve"' in html
    response = await boss.post_form("/desk/kb/proposals/1/approve", {}, from_page="/desk/kb")
    assert response.status == 303 and response.headers["Location"].startswith(
        "/desk/kb/entries/kb-case-1"
    )
    written = kb_app.settings.kb.local_dir / "kb-case-1.toml"
    assert tomllib.loads(written.read_text(encoding="utf-8"))["entry"][0]["source"] == {
        "title": f"{UNIT} 办结答复",
        "case": number,
    }
    answer = _kb(kb_app).best("社保卡在哪里领")
    assert answer is not None and answer.entry.id == "kb-case-1"
    told = [m for m in await outbox(kb_app) if m.recipient == clerk.external_id]
    assert len(told) == 1 and "kb-case-1" in told[0].payload["text"]
    # Deciding twice is refused.
    response = await boss.post_form("/desk/kb/proposals/1/approve", {}, from_page="/desk/kb")
    assert response.status == 409
    # The approved entry is edited like any other (its source stays the case).
    data = _form(kb_app, "kb-case-1")
    data["variants"] = "去哪里领社保卡"
    path = "/desk/kb/entries/kb-case-1"
    assert (await boss.post_form(path, data, from_page=path)).status == 303
    edited = _kb(kb_app).entry("kb-case-1")
    assert edited is not None and edited.variants == ("去哪里领社保卡",)
    assert edited.source.case == number


async def test_a_rejection_needs_a_reason_and_the_proposer_is_told(
    kb_app: App, browser: Browser
) -> None:
    case_id, _ = await _closed_question(kb_app)
    clerk = await web_staff(kb_app, "clerk", UNIT)
    from bot.kbdesk import propose

    await propose(kb_app, clerk, case_id, title="路灯", answer="已修")
    await _supervisor(kb_app, browser)
    response = await browser.post_form("/desk/kb/proposals/1/reject", {}, from_page="/desk/kb")
    assert response.status == 409
    response = await browser.post_form(
        "/desk/kb/proposals/1/reject", {"note": "只适用于这一件"}, from_page="/desk/kb"
    )
    assert response.status == 303
    told = [m for m in await outbox(kb_app) if m.recipient == clerk.external_id]
    assert len(told) == 1 and "只适用于这一件" in told[0].payload["text"]
    assert not (kb_app.settings.kb.local_dir / "kb-case-1.toml").exists()
    _, html = await browser.page("/desk/kb")
    assert "已退回：只适用于这一件" in html


async def test_only_the_closing_unit_proposes_from_a_closed_question(
    kb_app: App, browser: Browser
) -> None:
    _, number = await _closed_question(kb_app)
    await web_staff(kb_app, "other", OTHER_UNIT)
    await browser.login("other")
    assert (await browser.page(f"/desk/kb/propose/{number}"))[0] == 403
    response = await browser.post_form(
        f"/desk/kb/propose/{number}", {"title": "t", "answer": "a"}, from_page="/desk/kb"
    )
    assert response.status == 403
    await browser.post_form("/desk/logout", {}, from_page="/desk/kb")
    # A supervisor does not propose (they write entries directly).
    await _supervisor(kb_app, browser)
    assert (await browser.page(f"/desk/kb/propose/{number}"))[0] == 403
    # A complaint, or a question still open, is not proposed from.
    at = local(2026, 11, 24, 9)
    open_question = await dispatched_case(kb_app, at, request_type=RequestType.QUESTION)
    from tests.followup_support import get_case

    open_number = (await get_case(kb_app, open_question)).number
    complaint = await dispatched_case(kb_app, at, user="u2")
    await move(kb_app, complaint, "accepted", at + timedelta(hours=1))
    await move(kb_app, complaint, "resolved", at + timedelta(hours=2), note="已修")
    closed_complaint = (await get_case(kb_app, complaint)).number
    fresh = Browser(browser.client)
    await web_staff(kb_app, "clerk", UNIT)
    await fresh.login("clerk")
    for target in (open_number, closed_complaint):
        _, case_html = await fresh.page(f"/desk/cases/{target}")
        assert "/desk/kb/propose/" not in case_html
        assert (await fresh.page(f"/desk/kb/propose/{target}"))[0] == 403
