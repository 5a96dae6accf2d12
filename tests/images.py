"""Small real images for tests that upload photos (no imaging library needed)."""

from __future__ import annotations

import struct
import zlib


def photo_png(width: int = 160, height: int = 110) -> bytes:
    """A small real PNG (a sky-to-road gradient), written with zlib alone."""
    rows = b"".join(
        b"\0" + b"".join(bytes((40 + x // 2, 80 + y, 200 - y)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
