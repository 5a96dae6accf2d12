"""Planning Telegram messages from an Outbound, and the outbound throttle, without a network."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable

import pytest

from bot.telegram.render import (
    AlbumStep,
    PhotoStep,
    TextStep,
    plan,
    split_text,
    utf16_len,
)
from bot.telegram.throttle import OutboundThrottle, RateLimits
from bot.telegram.types import DeliveryError
from handlers.conversation.messages import Button, Outbound


def test_split_prefers_newlines_and_keeps_everything() -> None:
    """A long text is cut at a newline and nothing is lost."""
    text = "\n".join(["甲" * 3000, "乙" * 3000, "丙" * 100])
    parts = split_text(text)
    assert parts == ["甲" * 3000, "乙" * 3000 + "\n" + "丙" * 100]


def test_split_falls_back_to_sentence_end_then_hard_cut() -> None:
    """Without newlines the cut is after a Chinese full stop, else at the limit."""
    sentence = "路灯不亮了。" * 1000  # 6000 characters, no newline
    parts = split_text(sentence)
    assert all(p.endswith("。") and utf16_len(p) <= 4096 for p in parts)
    assert "".join(parts) == sentence
    blob = "x" * 9000
    assert [len(p) for p in split_text(blob)] == [4096, 4096, 808]


def test_split_counts_utf16_units_like_telegram() -> None:
    """An emoji counts as two characters, so 4096 emoji need two messages."""
    parts = split_text("😀" * 4096)
    assert [utf16_len(p) for p in parts] == [4096, 4096]


def test_plan_text_with_buttons() -> None:
    """A short text with buttons is one sendMessage carrying the keyboard."""
    out = Outbound("请选择", buttons=((Button("是", "y"), Button("否", "n")),))
    assert plan(out) == [TextStep("请选择", ((("是", "y"), ("否", "n")),))]


def test_plan_drops_oversized_callback_data(caplog: pytest.LogCaptureFixture) -> None:
    """A payload over 64 bytes loses its button (logged), not the message."""
    out = Outbound("请选择", buttons=((Button("长", "x" * 65),), (Button("短", "ok"),)))
    assert plan(out) == [TextStep("请选择", ((("短", "ok"),),))]
    assert "callback_data is 65 bytes" in caplog.text


def test_plan_single_photo_with_caption_or_separate_text() -> None:
    """One photo takes the text as caption when it fits 1024, else the text follows."""
    assert plan(Outbound("现场", photos=("p1",))) == [PhotoStep("p1", caption="现场")]
    long = "描述" * 600  # 1200 characters: too long for a caption
    assert plan(Outbound(long, photos=("p1",))) == [PhotoStep("p1"), TextStep(long)]


def test_plan_album_then_text_with_keyboard() -> None:
    """Photos go as albums of at most 10 (no keyboard allowed), then the text with buttons."""
    photos = tuple(f"p{i}" for i in range(11))
    out = Outbound("案件卡片", buttons=((Button("签收", "s:1"),),), photos=photos)
    assert plan(out) == [
        AlbumStep(photos[:10]),
        PhotoStep("p10"),
        TextStep("案件卡片", ((("签收", "s:1"),),)),
    ]
    assert plan(Outbound("两张", photos=("a", "b"))) == [AlbumStep(("a", "b"), caption="两张")]


def test_plan_empty_outbound_sends_nothing() -> None:
    """Telegram refuses empty text, so an empty outbound plans no call."""
    assert plan(Outbound("  ")) == []


class FakeRetryAfter(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def _retry_after_of(exc: BaseException) -> float | None:
    return exc.seconds if isinstance(exc, FakeRetryAfter) else None


async def test_throttle_spaces_one_chat_but_not_two() -> None:
    """Per-chat buckets space one chat's messages; another chat is not held up."""
    limits = RateLimits(bot_rate=1000, private_rate=1, private_period=0.1)
    throttle = OutboundThrottle(_retry_after_of, limits)
    stamps: dict[str, list[float]] = {"1": [], "2": []}

    def sender(chat: str) -> Callable[[], Awaitable[None]]:
        async def send() -> None:
            stamps[chat].append(time.monotonic())

        return send

    await asyncio.gather(*(throttle.call(chat, sender(chat)) for chat in ["1", "1", "1", "2"]))
    gaps = [b - a for a, b in itertools.pairwise(stamps["1"])]
    assert min(gaps) >= 0.08
    assert stamps["2"][0] - stamps["1"][0] < 0.05


async def test_throttle_group_limit_is_per_minute_style() -> None:
    """A group's bucket allows its burst, then waits (negative chat ids are groups)."""
    limits = RateLimits(bot_rate=1000, group_rate=3, group_period=0.3)
    throttle = OutboundThrottle(_retry_after_of, limits)
    stamps: list[float] = []

    async def send() -> None:
        stamps.append(time.monotonic())

    await asyncio.gather(*(throttle.call("-1009", send) for _ in range(4)))
    assert stamps[2] - stamps[0] < 0.05  # the burst of 3
    assert stamps[3] - stamps[0] >= 0.08  # the 4th waits for a drop to leak


async def test_throttle_retries_after_429_then_gives_up_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """retry_after is slept through; after max_attempts a DeliveryError is raised and logged."""
    throttle = OutboundThrottle(_retry_after_of, RateLimits(private_rate=1000, max_attempts=3))
    attempts: list[float] = []

    async def flaky() -> str:
        attempts.append(time.monotonic())
        if len(attempts) < 2:
            raise FakeRetryAfter(0.05)
        return "sent"

    assert await throttle.call("1", flaky) == "sent"
    assert attempts[1] - attempts[0] >= 0.05

    async def always_429() -> str:
        raise FakeRetryAfter(0.01)

    with pytest.raises(DeliveryError) as caught:
        await throttle.call("2", always_429)
    assert not caught.value.permanent
    assert "giving up" in caplog.text


async def test_throttle_refuses_to_sleep_through_a_huge_retry_after() -> None:
    """A retry_after beyond max_retry_wait fails fast with it, for the outbox to reschedule."""
    throttle = OutboundThrottle(_retry_after_of, RateLimits(max_retry_wait=5))

    async def flood() -> None:
        raise FakeRetryAfter(3600)

    with pytest.raises(DeliveryError) as caught:
        await throttle.call("1", flood)
    assert caught.value.retry_after == 3600


async def test_throttle_passes_other_errors_through() -> None:
    """Errors that are not 429 are the adapter's to classify."""
    throttle = OutboundThrottle(_retry_after_of)

    async def broken() -> None:
        raise ValueError("bad request")

    with pytest.raises(ValueError, match="bad request"):
        await throttle.call("1", broken)
