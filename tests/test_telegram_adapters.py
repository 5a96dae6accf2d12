"""Both Telegram adapters against the stand-in Bot API server, with a scripted core.

Every test runs on aiogram and on python-telegram-bot: the behaviour must be the same.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.config import TelegramSettings
from bot.telegram import DeliveryError, RateLimits, TelegramChannel, create_telegram_channel
from bot.telegram.bridge import APOLOGY
from handlers.conversation.messages import Button, Inbound, Location, Outbound
from tests.fakes.core import UNSUPPORTED_REPLY, ScriptedCore
from tests.fakes.telegram_api import FakeLimits, FakeTelegramAPI, free_port

# python-telegram-bot 22 warns inside its own RetryAfter constructor (retry_after becoming a
# timedelta); nothing we call triggers it and the adapter accepts both types.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

# Limits high enough not to slow tests down; tests about limits pass their own.
FAST = RateLimits(bot_rate=1000, private_rate=1000, group_rate=1000, group_period=1.0)
USER = 1001


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as server:
        yield server


@asynccontextmanager
async def running(
    api: FakeTelegramAPI,
    core: ScriptedCore,
    framework: str,
    *,
    limits: RateLimits = FAST,
    **settings: Any,
) -> AsyncIterator[TelegramChannel]:
    config = TelegramSettings(
        token=api.token, api_base_url=api.base_url, framework=framework, **settings
    )
    channel = create_telegram_channel(config, core, limits=limits, poll_timeout=1)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


async def test_text_in_reply_out_with_inline_keyboard(api: FakeTelegramAPI, framework: str) -> None:
    """A typed message reaches the core as an Inbound and its reply comes back with buttons."""
    keyboard = (
        (Button("投诉", "t:complaint"), Button("咨询", "t:question")),
        (Button("取消", "x"),),
    )
    core = ScriptedCore(lambda _: [Outbound("请选择类型", buttons=keyboard)])
    async with running(api, core, framework):
        update_id = api.send_text(USER, "小区路灯坏了")
        [call] = await api.wait_for("sendMessage")
    assert core.inbounds == [
        Inbound(
            channel="telegram",
            user_id=str(USER),
            message_id=str(update_id),
            text="小区路灯坏了",
            chat_id=str(USER),
            display_name="张三",
        )
    ]
    assert call.chat_id == str(USER)
    assert call.text == "请选择类型"
    assert call.buttons == [[("投诉", "t:complaint"), ("咨询", "t:question")], [("取消", "x")]]


async def test_button_press_is_a_choice_and_is_answered(
    api: FakeTelegramAPI, framework: str
) -> None:
    """Pressing an inline button gives Inbound.choice = callback_data and answers the query."""
    core = ScriptedCore()
    async with running(api, core, framework):
        update_id = api.press_button(USER, "t:complaint")
        [answer] = await api.wait_for("answerCallbackQuery")
        [reply] = await api.wait_for("sendMessage")
    [inbound] = core.inbounds
    assert inbound.choice == "t:complaint"
    assert inbound.text is None
    assert inbound.message_id == str(update_id)
    assert inbound.chat_id == str(USER)
    assert answer.params["callback_query_id"]
    assert reply.text == "你选择了：t:complaint"


async def test_photo_maps_to_largest_size_with_caption(
    api: FakeTelegramAPI, framework: str
) -> None:
    """A photo becomes Inbound.photo = file_id of its largest size, caption as text."""
    core = ScriptedCore()
    async with running(api, core, framework):
        _, largest = api.send_photo(USER, caption="垃圾堆")
        await api.wait_for("sendMessage")
    [inbound] = core.inbounds
    assert inbound.photo == largest
    assert inbound.text == "垃圾堆"


async def test_location_maps_to_location(api: FakeTelegramAPI, framework: str) -> None:
    """A shared location becomes Inbound.location."""
    core = ScriptedCore()
    async with running(api, core, framework):
        api.send_location(USER, 36.1056, 103.7189)
        await api.wait_for("sendMessage")
    [inbound] = core.inbounds
    assert inbound.location == Location(36.1056, 103.7189)
    assert inbound.text is None and inbound.photo is None


async def test_unsupported_media_get_the_cores_polite_reply(
    api: FakeTelegramAPI, framework: str
) -> None:
    """Stickers, voice, video, documents and edits reach the core as `unsupported`, nobody
    crashes, each gets the core's reply; a service message (someone joined) is ignored."""
    kinds = ["sticker", "voice", "video", "video_note", "animation", "document"]
    core = ScriptedCore()
    async with running(api, core, framework):
        api.service_message(-100777, new_member_id=2002)
        for kind in kinds:
            api.send_media(USER, kind)
        api.edit_text(USER, "改过的文字")
        api.send_text(USER, "还在吗")  # proves the adapter is still alive afterwards
        calls = await api.wait_for("sendMessage", count=len(kinds) + 2)
    assert [i.unsupported for i in core.inbounds] == [*kinds, "edited_message", None]
    assert all(i.text is None and i.photo is None for i in core.inbounds[:-1])
    assert [c.text for c in calls] == [UNSUPPORTED_REPLY] * (len(kinds) + 1) + ["收到：还在吗"]
    assert not api.calls_to("sendMessage", chat_id=-100777)


async def test_redelivered_update_keeps_its_update_id(api: FakeTelegramAPI, framework: str) -> None:
    """A redelivery reaches the core with the same message_id (the core dedupes on it)."""
    core = ScriptedCore()
    async with running(api, core, framework):
        update_id = api.send_text(USER, "路灯坏了")
        await core.wait_for(1)
        api.redeliver(update_id)
        await core.wait_for(2)
    assert [i.message_id for i in core.inbounds] == [str(update_id)] * 2


async def test_group_message_keeps_group_chat_and_person(
    api: FakeTelegramAPI, framework: str
) -> None:
    """In a group, chat_id is the group and user_id the person; the reply goes to the group."""
    core = ScriptedCore()
    async with running(api, core, framework):
        api.send_text(USER, "/bindgroup ABC123", chat_id=-100555)
        [call] = await api.wait_for("sendMessage")
    [inbound] = core.inbounds
    assert (inbound.chat_id, inbound.user_id) == ("-100555", str(USER))
    assert inbound.text == "/bindgroup ABC123"
    assert call.chat_id == "-100555"


async def test_429_is_honoured_and_the_message_still_goes_out(
    api: FakeTelegramAPI, framework: str
) -> None:
    """A 429 on sendMessage is retried after retry_after and the reply is delivered."""
    core = ScriptedCore()
    api.fail_next("sendMessage", 1, retry_after=1, chat_id=USER)
    async with running(api, core, framework):
        api.send_text(USER, "你好")
        [delivered] = await api.wait_for("sendMessage")
    [refused] = api.calls_to("sendMessage", chat_id=USER)[:1]
    assert refused.status == 429
    assert delivered.text == "收到：你好"
    assert delivered.at - refused.at >= 0.95


async def test_throttle_keeps_one_message_per_interval_per_chat(
    api: FakeTelegramAPI, framework: str
) -> None:
    """Four replies to one chat are spaced by the per-chat interval and Telegram never 429s."""
    api.enforce_limits = True
    api.limits = FakeLimits(private_interval=0.2)
    limits = RateLimits(bot_rate=1000, private_rate=1, private_period=0.2)
    core = ScriptedCore(lambda _: [Outbound(f"第{n}条") for n in range(4)])
    async with running(api, core, framework, limits=limits):
        api.send_text(USER, "你好")
        calls = await api.wait_for("sendMessage", count=4)
    assert api.too_many_requests == 0
    assert [c.text for c in calls] == ["第0条", "第1条", "第2条", "第3条"]
    gaps = [b.at - a.at for a, b in itertools.pairwise(calls)]
    assert min(gaps) >= 0.15, gaps


async def test_long_text_is_split_with_keyboard_on_last_part(
    api: FakeTelegramAPI, framework: str
) -> None:
    """A text over 4096 characters goes out as several messages, cut at a newline."""
    paragraph = "情况说明" * 250  # 1000 characters
    text = "\n".join([paragraph] * 5)  # 5004 characters
    core = ScriptedCore(lambda _: [Outbound(text, buttons=((Button("好", "ok"),),))])
    async with running(api, core, framework):
        api.send_text(USER, "查询")
        calls = await api.wait_for("sendMessage", count=2)
    parts = [c.text or "" for c in calls]
    assert all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    assert [c.buttons for c in calls] == [[], [[("好", "ok")]]]


async def test_oversized_callback_data_drops_only_that_button(
    api: FakeTelegramAPI, framework: str
) -> None:
    """A button payload over 64 bytes is dropped with a logged error; the message still goes."""
    too_long = "案件" * 30  # 180 bytes of UTF-8
    core = ScriptedCore(
        lambda _: [Outbound("请选择", buttons=((Button("坏", too_long), Button("好", "ok")),))]
    )
    async with running(api, core, framework):
        api.send_text(USER, "你好")
        [call] = await api.wait_for("sendMessage")
    assert call.buttons == [[("好", "ok")]]


async def test_core_failure_is_answered_with_an_apology(
    api: FakeTelegramAPI, framework: str
) -> None:
    """If the core raises, the person gets a short apology and the bot keeps running."""

    def script(inbound: Inbound) -> list[Outbound]:
        if inbound.text == "炸":
            raise RuntimeError("boom")
        return [Outbound("正常")]

    core = ScriptedCore(script)
    async with running(api, core, framework):
        api.send_text(USER, "炸")
        api.send_text(USER, "再来")
        calls = await api.wait_for("sendMessage", count=2)
    assert [c.text for c in calls] == [APOLOGY, "正常"]


async def test_one_persons_messages_take_turns_in_order(
    api: FakeTelegramAPI, framework: str
) -> None:
    """Quick messages from one person never run in the core at the same time, and keep order."""
    core = ScriptedCore(delay=0.03)
    async with running(api, core, framework):
        for n in range(6):
            api.send_text(USER, f"第{n}句")
        api.send_text(2002, "别人")
        await api.wait_for("sendMessage", count=7)
    mine = [i.text for i in core.inbounds if i.user_id == str(USER)]
    assert mine == [f"第{n}句" for n in range(6)]
    assert core.max_active_per_user[str(USER)] == 1


async def test_send_pushes_photos_and_text_to_any_chat(
    api: FakeTelegramAPI, framework: str
) -> None:
    """send() delivers an album then the text with its buttons, and returns every message id."""
    photos = tuple(api.add_file(b"jpeg") for _ in range(3))
    card = Outbound("案件 AN20261125-0007", buttons=((Button("签收", "s:7"),),), photos=photos)
    async with running(api, ScriptedCore(), framework) as channel:
        result = await channel.send("-100123", card)
        single = await channel.send("-100123", Outbound("现场照片", photos=photos[:1]))
    [album] = api.calls_to("sendMediaGroup")
    [text] = api.calls_to("sendMessage")
    [photo] = api.calls_to("sendPhoto")
    assert [m["media"] for m in album.params["media"]] == list(photos)
    assert text.buttons == [[("签收", "s:7")]]
    assert photo.params["caption"] == "现场照片"
    assert result.chat_id == "-100123"
    assert len(result.message_ids) == 4
    assert len(single.message_ids) == 1


async def test_send_to_a_blocked_user_raises_permanent_delivery_error(
    api: FakeTelegramAPI, framework: str
) -> None:
    """A 403 from Telegram surfaces as DeliveryError(permanent=True), not as silence."""
    api.fail_next_with("sendMessage", 403, "Forbidden: bot was blocked by the user")
    async with running(api, ScriptedCore(), framework) as channel:
        with pytest.raises(DeliveryError) as caught:
            await channel.send(str(USER), Outbound("您的案件已办结"))
    assert caught.value.permanent
    assert caught.value.chat_id == str(USER)


async def test_webhook_checks_the_secret(api: FakeTelegramAPI, framework: str) -> None:
    """In webhook mode a wrong secret is refused (401) and the right one is handled."""
    port = free_port()
    core = ScriptedCore()
    async with running(
        api,
        core,
        framework,
        mode="webhook",
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
        webhook_secret="s3cret-Token_1",
        webhook_port=port,
    ):
        [registered] = await api.wait_for("setWebhook")
        forged = await api.post_webhook(api.make_update(USER, "伪造"), secret="wrong")
        missing = await api.post_webhook(api.make_update(USER, "伪造"), secret=None)
        api.send_text(USER, "真的")  # the stand-in posts it with the registered secret
        [reply] = await api.wait_for("sendMessage")
    assert registered.params["secret_token"] == "s3cret-Token_1"
    assert (forged, missing) == (401, 401)
    assert [i.text for i in core.inbounds] == ["真的"]
    assert [d.status for d in api.webhook_deliveries] == [200]
    assert reply.text == "收到：真的"
    assert not api.calls_to("getUpdates")


def test_webhook_mode_without_a_secret_is_refused() -> None:
    """Webhook mode will not start unverified (design.md §6)."""
    with pytest.raises(ValueError, match="webhook_secret"):
        settings = TelegramSettings(
            token="123:abc", mode="webhook", webhook_url="https://example.org/telegram/webhook"
        )
        create_telegram_channel(settings, ScriptedCore())


async def test_stop_waits_for_replies_still_in_the_throttle(
    api: FakeTelegramAPI, framework: str
) -> None:
    """stop() lets a running turn deliver its queued replies instead of dropping them."""
    limits = RateLimits(bot_rate=1000, private_rate=1, private_period=0.3)
    core = ScriptedCore(lambda _: [Outbound("一"), Outbound("二")])
    async with running(api, core, framework, limits=limits):
        api.send_text(USER, "你好")
        await api.wait_for("sendMessage")
    assert [c.text for c in api.sent(chat_id=USER)] == ["一", "二"]


async def test_polling_starts_from_a_webhook_left_behind(
    api: FakeTelegramAPI, framework: str
) -> None:
    """Polling removes a stale webhook first (aiogram never does it by itself)."""
    api.webhook_url = "https://old.example.org/hook"
    core = ScriptedCore()
    async with running(api, core, framework):
        await api.wait_for("deleteWebhook")
        api.send_text(USER, "你好")
        await api.wait_for("sendMessage")
    assert api.webhook_url is None


async def test_stand_in_wait_for_times_out_loudly(api: FakeTelegramAPI) -> None:
    """wait_for fails with the call log rather than hanging."""
    start = time.monotonic()
    with pytest.raises(AssertionError, match="sendMessage"):
        await api.wait_for("sendMessage", within=0.1)
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"update_id": "x"}'])
async def test_webhook_answers_400_to_a_body_that_is_not_an_update(
    api: FakeTelegramAPI, framework: str, body: bytes
) -> None:
    """Malformed JSON on the webhook is a 400 (a 500 makes Telegram retry it forever)."""
    import aiohttp

    port = free_port()
    async with running(
        api,
        ScriptedCore(),
        framework,
        mode="webhook",
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
        webhook_secret="s3cret-Token_1",
        webhook_port=port,
    ):
        await api.wait_for("setWebhook")
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/telegram/webhook",
                data=body,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"},
            ) as response,
        ):
            assert response.status == 400
