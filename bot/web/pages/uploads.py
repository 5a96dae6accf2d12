"""Photos with the 办结 form: a multipart upload, each file checked and kept in the media store
the resident web chat uses (storage/media.py), so the `resolve` command gets the same
`media:` references a chat close gives it and every channel shows the resident the same photos.

Only the close form is multipart. Its body may be as large as `max_photos` photos of the media
store's size limit; every other form keeps the app's small body limit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiDictProxy

from bot.web.context import WebDeps, deps_of
from storage.media import MediaRejected

log = logging.getLogger(__name__)

FIELD = "photos"
ACCEPT = "image/jpeg,image/png,image/gif,image/webp"
_FORM_ROOM = 64 * 1024  # the form's other fields and the multipart boundaries


class UploadRefused(Exception):
    """The upload was not taken: too large or too many (413); the text is for the person."""

    status = 413


class NotAPhoto(UploadRefused):
    """A file that is no JPEG, PNG, GIF or WebP image."""

    status = 415


def _size(size: int) -> str:
    mb = 1024 * 1024
    return f"{size / mb:g} MB" if size >= mb else f"{size // 1024} KB"


def limits_text(deps: WebDeps) -> str:
    """The limits as the form states them beside the file field."""
    most, size = deps.core.policy.max_photos, _size(deps.app.media.max_bytes)
    return f"最多 {most} 张，每张不超过 {size}（JPG、PNG、GIF、WebP）"


def body_limit(deps: WebDeps) -> int:
    return deps.core.policy.max_photos * deps.app.media.max_bytes + _FORM_ROOM


def _is_upload(request: web.Request) -> bool:
    """The close form's POST; any other form keeps the app's small body limit."""
    return (
        request.method == "POST"
        and request.content_type == "multipart/form-data"
        and request.path.endswith("/resolve")
    )


@web.middleware
async def upload_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Lets the close form (the only multipart one) be as large as its photos may be,
    and answers a body over that in words instead of aiohttp's bare 413. Runs before the CSRF
    check, which reads the form."""
    if not _is_upload(request):
        return await handler(request)
    deps = deps_of(request)
    limit = body_limit(deps)
    too_big = web.HTTPRequestEntityTooLarge(
        max_size=limit,
        actual_size=request.content_length or 0,
        text=f"413 照片太大：{limits_text(deps)}。请返回上一页重新选择。",
    )
    if (request.content_length or 0) > limit:
        raise too_big
    request = request.clone(client_max_size=limit)
    try:
        await request.post()  # read once here; aiohttp caches the form for the handlers
    except web.HTTPRequestEntityTooLarge:
        raise too_big from None
    return await handler(request)


async def stored_photos(deps: WebDeps, form: MultiDictProxy[Any]) -> list[str]:
    """The form's photos kept in the media store, as `media:` references, in upload order.

    An empty file field (nothing chosen) is no photo. Raises `UploadRefused` naming the file
    that is too large or not an image; nothing is passed on then (a photo already stored stays
    in the content-addressed store, unreferenced, as one a resident abandoned would).
    """
    files = [
        item for item in form.getall(FIELD, []) if isinstance(item, web.FileField) and item.filename
    ]
    most = deps.core.policy.max_photos
    if len(files) > most:
        raise UploadRefused(f"照片太多：{limits_text(deps)}。")
    store = deps.app.media
    refs: list[str] = []
    for item in files:
        # Some clients percent-encode a non-ASCII file name (RFC 5987 style); browsers do not.
        name = unquote(item.filename)
        data = await asyncio.to_thread(item.file.read, store.max_bytes + 1)
        if not data:
            continue
        if len(data) > store.max_bytes:
            raise UploadRefused(f"照片「{name}」太大：{limits_text(deps)}。")
        try:
            refs.append(await asyncio.to_thread(store.put, data))
        except MediaRejected as rejected:
            log.info("web: upload %r refused: %s", name, rejected)
            raise NotAPhoto(
                f"「{name}」不是照片：只能上传 JPG、PNG、GIF、WebP 格式。"
            ) from rejected
    return refs
