"""Questions answered from the knowledge base in chat (issue 14): the answer first, with
已解决 / 未解决 / 转人工; a case only when it did not help; complaints never deflected."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.config import Settings
from handlers.policy.clock import FixedClock
from handlers.policy.lifecycle import CaseState
from nlp.kb import KnowledgeBase
from nlp.router import Router
from storage.models import Case, KbQuery
from tests.desk import NUMBER
from tests.support import ResidentClient, running_app

LOST_CARD = "社保卡丢了怎么补办？"


@pytest.fixture
async def kb_app(
    settings: Settings, router: Router, clock: FixedClock, knowledge_base: KnowledgeBase
) -> AsyncIterator[App]:
    async with running_app(settings, router, clock, knowledge=knowledge_base) as built:
        yield built


async def _finish_intake(client: ResidentClient) -> None:
    """Answer the rest of the intake (skip, anonymous, submit) until the case number comes."""
    for _ in range(8):
        if NUMBER.search(client.text()):
            break
        labels = [b.label for b in client.buttons()]
        for choice in ("跳过", "匿名", "提交", "都不是 / 不确定"):
            if choice in labels:
                await client.click(choice)
                break
        else:
            await client.send("培黎街道")
    assert NUMBER.search(client.text()), client.text()


async def _cases(app: App) -> list[Case]:
    async with app.sessionmaker() as session:
        return list((await session.execute(select(Case))).scalars())


async def _queries(app: App) -> list[KbQuery]:
    async with app.sessionmaker() as session:
        return list((await session.execute(select(KbQuery).order_by(KbQuery.id))).scalars())


async def test_lost_card_question_is_answered_at_once_and_files_nothing(kb_app: App) -> None:
    """Asking how to replace a lost 社保卡 gets the answer in the chat at once; 已解决 files no
    case and is counted as solved."""
    client = ResidentClient(kb_app.conversation)
    await client.send(LOST_CARD)
    assert "社保卡" in client.text() and "来源" in client.text()
    assert [b.label for b in client.buttons()] == ["已解决", "未解决", "转人工"]
    await client.click("已解决")
    assert "很高兴帮到您" in client.text()
    assert await _cases(kb_app) == []
    [asked] = await _queries(kb_app)
    assert (asked.entry_id, asked.outcome) == ("kb-shebaoka-lost", "solved")


async def test_unsolved_question_becomes_a_question_case_with_what_was_shown(kb_app: App) -> None:
    """未解决 goes on into a normal 咨询 case that carries the question and the answer shown."""
    client = ResidentClient(kb_app.conversation)
    await client.send(LOST_CARD)
    await client.click("未解决")
    assert "咨询工单" in client.text()
    await _finish_intake(client)
    [case] = await _cases(kb_app)
    assert case.request_type == "question" and case.description == LOST_CARD
    assert case.routing["kb_shown"] == ["kb-shebaoka-lost"]
    [asked] = await _queries(kb_app)
    assert (asked.outcome, asked.case_id) == ("unsolved", case.id)


async def test_handoff_sends_the_question_to_the_dispatchers(kb_app: App) -> None:
    """转人工 files the question for a person at the hotline centre (待派单), not a unit."""
    client = ResidentClient(kb_app.conversation)
    await client.send(LOST_CARD)
    await client.click("转人工")
    await _finish_intake(client)
    [case] = await _cases(kb_app)
    assert case.state == CaseState.PENDING_DISPATCH.value and case.unit_name is None


async def test_a_complaint_is_never_deflected_to_an_answer(kb_app: App) -> None:
    """A complaint that names a service in the knowledge base still goes to intake."""
    client = ResidentClient(kb_app.conversation)
    await client.send("我的社保卡补办了一个月还没拿到，窗口人员态度很差，一直推诿")
    assert "解决了您的问题" not in client.text()
    assert "已解决" not in [b.label for b in client.buttons()]


async def test_a_question_no_entry_answers_is_counted(kb_app: App) -> None:
    """A question with no answer goes on to intake and is recorded as unmatched."""
    client = ResidentClient(kb_app.conversation)
    await client.send("请问养狗要办狗证吗，去哪里办？")
    assert "已解决" not in [b.label for b in client.buttons()]
    async with kb_app.sessionmaker() as session:
        unmatched = (
            await session.execute(
                select(func.count()).select_from(KbQuery).where(KbQuery.outcome == "no_match")
            )
        ).scalar_one()
    assert unmatched == 1
