"""The WeChat API, asynchronously: wechatpy's synchronous client run in a thread, with a timeout,
its token taken from the shared store.

wechatpy's `WeChatClient` uses `requests` with no timeout by default and, with `auto_retry`,
refetches the token and retries without limit on token errors; a fetch by one instance then
invalidates every other instance's token (after 5 minutes). So: `auto_retry=False`, a timeout on
every request, and the token comes from `SharedAccessToken`, never from the client itself.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

log = logging.getLogger(__name__)

T = TypeVar("T")

# https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
OUT_OF_WINDOW = 45015  # response out of time limit: more than 48 h since the person wrote
OUT_OF_QUOTA = 45047  # out of response count limit: too many messages in this window
TRANSIENT_ERRORS = frozenset({-1, 45009, 45011})  # system busy, API frequency limits
NOT_FOLLOWING = frozenset({43004, 43019, 40003})  # unfollowed, blocked us, invalid openid


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int


class WeChatApiError(Exception):
    """A call failed: `errcode` from WeChat, or None for HTTP/network failures and timeouts."""

    def __init__(self, errcode: int | None, message: str) -> None:
        super().__init__(f"{errcode}: {message}" if errcode is not None else message)
        self.errcode = errcode

    @property
    def transient(self) -> bool:
        return self.errcode is None or self.errcode in TRANSIENT_ERRORS


class HotlineWeChatClient(WeChatClient):  # type: ignore[misc]  # wechatpy ships no types
    """WeChatClient with a configurable host and an access token handed in by the caller."""

    def __init__(self, app_id: str, secret: str, *, api_base_url: str, timeout: float) -> None:
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        # An instance attribute shadows the class's real host for every API (base.py reads it
        # from `self`); the token URL is hard-coded in fetch_access_token, replaced below.
        self.API_BASE_URL = api_base_url.rstrip("/") + "/"
        # Calls run concurrently in worker threads, each with the token it was handed.
        self._calling = threading.local()

    def use_token(self, token: str) -> None:
        """The token for the calls this thread makes next."""
        self._calling.token = token

    @property
    def access_token(self) -> str:
        # wechatpy would fetch one itself when the session has none; ours comes from the store.
        token: str = getattr(self._calling, "token", "")
        return token

    def fetch_access_token(self) -> dict[str, Any]:
        response = self._http.get(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        if int(result.get("errcode", 0) or 0) != 0:
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self)
        return result


class WeChatApi:
    """Async calls to the WeChat API; every failure becomes a `WeChatApiError`."""

    def __init__(self, client: HotlineWeChatClient, *, timeout: float) -> None:
        self._client = client
        # The thread keeps running after a timeout (it cannot be killed); `requests` has its own
        # timeout, so this is a backstop a little beyond it.
        self._timeout = timeout + 1.0

    async def _call(self, token: str | None, call: Callable[[], T]) -> T:
        def run() -> T:
            if token is not None:
                self._client.use_token(token)
            return call()

        try:
            return await asyncio.wait_for(asyncio.to_thread(run), self._timeout)
        except TimeoutError:
            raise WeChatApiError(None, "timed out") from None
        except WeChatClientException as exc:
            code = exc.errcode
            raise WeChatApiError(int(code) if code is not None else None, str(exc)) from None
        except Exception as exc:  # requests' ConnectionError, JSON decoding, ...
            raise WeChatApiError(None, repr(exc)) from None

    async def fetch_token(self) -> AccessToken:
        result = await self._call(None, self._client.fetch_access_token)
        return AccessToken(str(result["access_token"]), int(result.get("expires_in", 7200)))

    async def send_text(self, token: str, openid: str, content: str) -> None:
        await self._call(token, lambda: self._client.message.send_text(openid, content))

    async def send_template(
        self, token: str, openid: str, template_id: str, data: dict[str, Any], url: str | None
    ) -> None:
        await self._call(
            token, lambda: self._client.message.send_template(openid, template_id, data, url=url)
        )

    async def send_subscribe(
        self, token: str, openid: str, template_id: str, data: dict[str, Any], page: str | None
    ) -> None:
        await self._call(
            token,
            lambda: self._client.message.send_subscribe_message(
                openid, template_id, data, page=page
            ),
        )

    async def create_menu(self, token: str, definition: dict[str, Any]) -> None:
        await self._call(token, lambda: self._client.menu.create(definition))

    async def download_media(self, token: str, media_id: str) -> bytes:
        """A temporary media file (a resident's photo); kept by WeChat for 3 days."""
        response = await self._call(token, lambda: self._client.media.download(media_id))
        if isinstance(response, dict):  # an error JSON that said errcode 0?
            raise WeChatApiError(None, f"media/get answered JSON: {response}")
        content: bytes = response.content
        return content
