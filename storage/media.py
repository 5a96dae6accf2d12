"""The media store: residents' and staff's photos as files, so a photo crosses channels.

A platform's photo id means nothing on another platform (a WeChat media_id to Telegram, a
Telegram file_id to WeChat), and WeChat deletes temporary media after 3 days. A photo kept
here is known by a channel-neutral reference, `media:<sha256 hex>` (content-addressed: the
same photo sent twice is stored once), and each channel uploads the bytes when it shows it.

    store = MediaStore(Path("var/media"), max_bytes=10 * 1024 * 1024)
    ref = store.put(data)        # "media:9f86d0...", raises MediaRejected for non-images
    data = store.open(ref)       # raises MediaMissing if the file is gone

Blocking file I/O: callers on an event loop run these in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

PREFIX = "media:"
_REF = re.compile(r"^media:([0-9a-f]{64})$")

# Image types by their leading bytes (the name or a declared content type proves nothing).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


class MediaError(Exception):
    """A photo could not be stored or read."""


class MediaRejected(MediaError):
    """Not stored: empty, too large, or not an image this hotline takes."""


class MediaMissing(MediaError):
    """No stored file for this reference (never stored here, or deleted)."""


def is_media_ref(value: str) -> bool:
    """Whether `value` is a reference into the media store rather than a platform id."""
    return _REF.fullmatch(value) is not None


def image_type(data: bytes) -> str | None:
    """The file extension for the image type `data` starts with, or None for anything else."""
    for magic, extension in _MAGIC:
        if data.startswith(magic):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


class MediaStore:
    """Photos as files under `root`, named by the SHA-256 of their content."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def put(self, data: bytes) -> str:
        """Store `data` (once per content) and return its reference."""
        if not data:
            raise MediaRejected("empty file")
        if len(data) > self.max_bytes:
            raise MediaRejected(f"{len(data)} bytes, more than the {self.max_bytes} allowed")
        if image_type(data) is None:
            raise MediaRejected(f"not a JPEG, PNG, GIF or WebP image (starts {data[:8]!r})")
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write aside, then rename: a reader never sees half a file, and two writers of
            # the same photo (two instances) both end with the same complete one.
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return PREFIX + digest

    def open(self, ref: str) -> bytes:
        """The bytes of a stored photo; raises MediaMissing."""
        match = _REF.fullmatch(ref)
        if match is None:
            raise MediaMissing(f"not a media reference: {ref!r}")
        try:
            return self._path(match.group(1)).read_bytes()
        except FileNotFoundError:
            raise MediaMissing(f"no stored file for {ref}") from None

    def _path(self, digest: str) -> Path:
        # Two levels of fan-out keep any one folder small.
        return self.root / digest[:2] / digest
