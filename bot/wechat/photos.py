"""A resident's WeChat photo, fetched into the media store as soon as it arrives.

A WeChat MediaId is useless to Telegram and gone after 3 days (temporary media,
https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html),
so the core is handed `media:<sha256>` instead. If the download fails the message still goes
through with the MediaId, as before: a lost photo is better than a lost message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from bot.wechat.api import TOKEN_ERRORS, WeChatApi, WeChatApiError
from bot.wechat.token import SharedAccessToken
from handlers.conversation.messages import Inbound
from storage.media import MediaError, MediaStore

log = logging.getLogger(__name__)


class PhotoKeeper:
    def __init__(self, *, api: WeChatApi, token: SharedAccessToken, media: MediaStore) -> None:
        self._api = api
        self._token = token
        self._media = media

    async def keep(self, inbound: Inbound) -> Inbound:
        """`inbound` with its photo as a media-store reference, or unchanged if that failed."""
        media_id = inbound.photo
        if media_id is None:
            return inbound
        try:
            data = await self._download(media_id)
            # File writes block; the event loop serves other residents meanwhile.
            ref = await asyncio.to_thread(self._media.put, data)
        except (WeChatApiError, MediaError, OSError) as exc:
            log.warning(
                "wechat: photo %s from %s not kept, passed on as its media id: %s",
                media_id,
                inbound.user_id,
                exc,
            )
            return inbound
        log.info("wechat: photo %s from %s kept as %s", media_id, inbound.user_id, ref)
        return dataclasses.replace(inbound, photo=ref)

    async def _download(self, media_id: str) -> bytes:
        # WeChatApi runs the request in a thread with a timeout (api_timeout_seconds).
        token = await self._token.get()
        try:
            return await self._api.download_media(token, media_id)
        except WeChatApiError as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            # Another instance refreshed the token: once more with a fresh one.
            await self._token.invalidate(token)
            return await self._api.download_media(await self._token.get(), media_id)
