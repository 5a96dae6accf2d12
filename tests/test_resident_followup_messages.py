"""A resident writing again about a case already filed: add to it, or start a new case."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from storage.models import Case, CaseEvent, Draft
from tests.support import ResidentClient, texts

CLEAR = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"


async def _file(client: ResidentClient) -> str:
    await client.send("/new")
    await client.click("投诉")
    await client.send(CLEAR)
    await client.click("跳过")
    await client.click("匿名")
    await client.click("提交")
    async with client.conversation.deps.sessionmaker() as session:
        return (await session.execute(select(Case.number))).scalar_one()


async def _info_events(app: App) -> list[str | None]:
    async with app.sessionmaker() as session:
        rows = await session.execute(
            select(CaseEvent.note).where(CaseEvent.action == "info_added").order_by(CaseEvent.id)
        )
        return list(rows.scalars())


async def test_free_text_with_an_open_case_shows_its_state_and_asks(app: App) -> None:
    """'Any news?' with a case open shows that case's state and offers add / new."""
    client = ResidentClient(app.conversation)
    number = await _file(client)
    replies = await client.send("请问我反映的路灯问题有进展了吗")
    reply = texts(replies)
    assert number in reply and "已派单" in reply and "区城市管理局" in reply
    assert [b.label for b in client.buttons()] == [f"补充到 {number}", "新的诉求"]
    await client.click(f"补充到 {number}")
    assert "补充信息已记录" in client.text()
    assert await _info_events(app) == ["请问我反映的路灯问题有进展了吗"]


async def test_choosing_new_case_keeps_the_text_as_description(app: App) -> None:
    """'新的诉求' starts an intake whose description is the text already sent."""
    client = ResidentClient(app.conversation)
    await _file(client)
    await client.send("孔家崖街道科苑社区门口的路灯坏了好几天了")
    await client.click("新的诉求")
    # A plain complaint: the type is not asked; description and place are already known.
    assert "已收到您的描述" in client.text() and "照片" in client.text()
    assert await _info_events(app) == []


async def test_add_button_asks_for_the_information_then_relays_it(app: App) -> None:
    """补充 under a notification asks for the text; the next message is added to the case."""
    client = ResidentClient(app.conversation)
    number = await _file(client)
    add = next(b for b in client.buttons() if b.label == "补充")
    await client.press(add.payload)
    assert number in client.text() and "/cancel" in client.text()
    await client.send("灯杆上还有电线裸露")
    assert "补充信息已记录" in client.text()
    assert await _info_events(app) == ["灯杆上还有电线裸露"]
    async with app.sessionmaker() as session:
        assert (await session.execute(select(Draft))).first() is None


async def test_pending_question_can_be_cancelled(app: App) -> None:
    """/cancel drops a pending 'add or new?' question; nothing is added."""
    client = ResidentClient(app.conversation)
    await _file(client)
    await client.send("还有一个问题想说一下")
    assert "已取消" in texts(await client.send("/cancel"))
    assert await _info_events(app) == []


async def test_triage_button_for_a_case_not_offered_is_refused(app: App) -> None:
    """A forged 'add to case' payload for another case changes nothing."""
    client = ResidentClient(app.conversation)
    await _file(client)
    await client.send("补充一点情况说明")
    replies = await client.press("r:ta:999")
    assert "无法执行" in texts(replies)
    assert await _info_events(app) == []
