"""The Telegram ChannelSender: outbox pushes through a real client library and the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import TelegramSettings
from bot.delivery import DeliveryStatus
from bot.telegram import RateLimits, create_telegram_channel
from bot.telegram.delivery import TelegramSender
from handlers.conversation.messages import Button, Outbound
from tests.fakes.core import ScriptedCore
from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

FAST = RateLimits(
    bot_rate=1000, private_rate=1000, group_rate=1000, group_period=1.0, max_attempts=2
)


@pytest.fixture(params=["aiogram", "ptb"])
async def sender(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[TelegramSender, FakeTelegramAPI]]:
    async with FakeTelegramAPI() as api:
        settings = TelegramSettings(
            token=api.token, api_base_url=api.base_url, framework=request.param
        )
        channel = create_telegram_channel(settings, ScriptedCore(), limits=FAST, poll_timeout=1)
        await channel.start()
        try:
            yield TelegramSender(channel), api
        finally:
            await channel.stop()


async def test_push_is_sent_with_its_buttons(
    sender: tuple[TelegramSender, FakeTelegramAPI],
) -> None:
    """A push reaches the chat with its inline keyboard and is reported sent."""
    telegram, api = sender
    message = Outbound("工单 AN20261125-0001 已签收", ((Button("补充", "r:add:1"),),))
    result = await telegram.deliver("555", message)
    assert result.status is DeliveryStatus.SENT
    [call] = api.sent(chat_id="555")
    assert call.text == message.text and call.buttons == [[("补充", "r:add:1")]]


async def test_blocked_bot_is_a_permanent_failure(
    sender: tuple[TelegramSender, FakeTelegramAPI],
) -> None:
    """A 403 (the resident blocked the bot) dead-letters instead of retrying forever."""
    telegram, api = sender
    api.fail_next_with("sendMessage", 403, "Forbidden: bot was blocked by the user")
    result = await telegram.deliver("556", Outbound("通知"))
    assert result.status is DeliveryStatus.FAILED and "blocked" in (result.reason or "")


async def test_flood_beyond_retries_asks_the_outbox_to_retry_later(
    sender: tuple[TelegramSender, FakeTelegramAPI],
) -> None:
    """Repeated 429s past the throttle's own retries come back as RETRY with retry_after."""
    telegram, api = sender
    api.fail_next("sendMessage", times=5, retry_after=1, chat_id="557")
    result = await telegram.deliver("557", Outbound("通知"))
    assert result.status is DeliveryStatus.RETRY
    assert result.retry_after is not None and result.retry_after >= 1
