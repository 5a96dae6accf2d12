"""A WeChat photo fetched into the media store on arrival (bot/wechat/photos.py), and what
happens when WeChat will not hand it over in time."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, cast

import pytest

from bot.wechat.api import HotlineWeChatClient, WeChatApi, WeChatApiError
from bot.wechat.photos import PhotoKeeper
from handlers.conversation.messages import Channel, Inbound
from storage.media import MediaStore

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"a photo" + b"\xff\xd9"


class StubToken:
    """SharedAccessToken's two calls: a token, and forgetting one WeChat refused."""

    def __init__(self) -> None:
        self.tokens = ["TOKEN-1", "TOKEN-2"]
        self.invalidated: list[str] = []

    async def get(self) -> str:
        return self.tokens[0]

    async def invalidate(self, token: str) -> None:
        self.invalidated.append(token)
        self.tokens.pop(0)


class StubApi:
    """download_media answering from a script: bytes, or an error to raise."""

    def __init__(self, *answers: bytes | WeChatApiError) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str]] = []

    async def download_media(self, token: str, media_id: str) -> bytes:
        self.calls.append((token, media_id))
        answer = self.answers.pop(0)
        if isinstance(answer, WeChatApiError):
            raise answer
        return answer


def photo(media_id: str = "WX-MEDIA-1") -> Inbound:
    return Inbound(
        channel=Channel.WECHAT, user_id="oOPENID", chat_id="oOPENID", message_id="1", photo=media_id
    )


def keeper(api: Any, tmp_path: Path, token: StubToken | None = None) -> PhotoKeeper:
    store = MediaStore(tmp_path / "media", max_bytes=1024)
    return PhotoKeeper(api=cast(Any, api), token=cast(Any, token or StubToken()), media=store)


async def test_a_downloaded_photo_becomes_a_media_reference(tmp_path: Path) -> None:
    """The core is handed media:<sha256> instead of the WeChat media id."""
    api = StubApi(JPEG)
    kept = await keeper(api, tmp_path).keep(photo())
    assert kept.photo == "media:" + hashlib.sha256(JPEG).hexdigest()
    assert api.calls == [("TOKEN-1", "WX-MEDIA-1")]


async def test_a_refused_token_is_replaced_once(tmp_path: Path) -> None:
    """40001 (another instance refreshed the token): the token is forgotten, one more try."""
    token = StubToken()
    api = StubApi(WeChatApiError(40001, "invalid credential"), JPEG)
    kept = await keeper(api, tmp_path, token).keep(photo())
    assert kept.photo is not None and kept.photo.startswith("media:")
    assert token.invalidated == ["TOKEN-1"]
    assert [t for t, _ in api.calls] == ["TOKEN-1", "TOKEN-2"]


@pytest.mark.parametrize(
    "answer",
    [
        WeChatApiError(40007, "invalid media_id"),
        WeChatApiError(None, "timed out"),
        b"<html>not an image</html>",
        JPEG + b"\x00" * 2048,  # over max_bytes
    ],
)
async def test_a_photo_not_kept_goes_on_as_its_media_id(
    tmp_path: Path, answer: bytes | WeChatApiError, caplog: pytest.LogCaptureFixture
) -> None:
    """Any failure (WeChat error, timeout, not an image, too large) leaves the message as it
    was, with a warning: the message is never lost."""
    inbound = photo()
    assert await keeper(StubApi(answer), tmp_path).keep(inbound) == inbound
    assert "not kept" in caplog.text


async def test_a_message_without_a_photo_is_left_alone(tmp_path: Path) -> None:
    """Text and other messages pass without a call to WeChat."""
    api = StubApi()
    text = Inbound(channel=Channel.WECHAT, user_id="o", chat_id="o", message_id="2", text="hi")
    assert await keeper(api, tmp_path).keep(text) == text
    assert api.calls == []


async def test_a_download_that_hangs_times_out(tmp_path: Path) -> None:
    """The real WeChatApi gives up after its timeout (the request runs in a thread)."""

    class HangingMedia:
        def download(self, media_id: str) -> Any:
            import time

            time.sleep(0.5)
            raise AssertionError("should have timed out first")

    client = HotlineWeChatClient(
        "wx1234567890abcdef", "secret", api_base_url="http://127.0.0.1:9/", timeout=0.05
    )
    client.media = HangingMedia()
    api = WeChatApi(client, timeout=0.05)
    api._timeout = 0.1  # the backstop, tightened for the test
    inbound = photo()
    started = asyncio.get_running_loop().time()
    assert await keeper(api, tmp_path).keep(inbound) == inbound
    assert asyncio.get_running_loop().time() - started < 0.45
