"""The media store (storage/media.py): photos as content-addressed files, images only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.config import load_settings
from storage.media import MediaMissing, MediaRejected, MediaStore, image_type, is_media_ref

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"a photo" + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"another photo"
GIF = b"GIF89a" + b"a moving photo"
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"a small photo"


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media", max_bytes=1024)


def stored_files(store: MediaStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file()]


def test_a_photo_comes_back_by_its_reference(store: MediaStore) -> None:
    """put() answers media:<sha256 of the bytes>, and open() of that gives the same bytes."""
    ref = store.put(JPEG)
    assert ref == "media:" + hashlib.sha256(JPEG).hexdigest()
    assert is_media_ref(ref)
    assert store.open(ref) == JPEG


def test_the_same_photo_is_stored_once(store: MediaStore) -> None:
    """Content addressing: the same bytes twice are one file and one reference."""
    assert store.put(PNG) == store.put(PNG)
    assert store.put(JPEG) != store.put(PNG)
    assert len(stored_files(store)) == 2


@pytest.mark.parametrize("data", [JPEG, PNG, GIF, WEBP])
def test_every_image_type_is_taken(store: MediaStore, data: bytes) -> None:
    """JPEG, PNG, GIF and WebP are known by their first bytes."""
    assert image_type(data) is not None
    assert store.open(store.put(data)) == data


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-1.7 not a photo",
        b"<html><script>alert(1)</script></html>",
        b'{"errcode":40007,"errmsg":"invalid media_id"}',
        b"MZ\x90\x00 an executable",
    ],
)
def test_anything_but_an_image_is_refused(store: MediaStore, data: bytes) -> None:
    """Not an image by its magic bytes, whatever it claims to be: refused, nothing written."""
    with pytest.raises(MediaRejected):
        store.put(data)
    assert stored_files(store) == []


def test_an_oversize_photo_is_refused(store: MediaStore) -> None:
    """A photo over max_bytes is refused; one of exactly max_bytes is kept."""
    exact = JPEG + b"\x00" * (store.max_bytes - len(JPEG))
    assert store.open(store.put(exact)) == exact
    with pytest.raises(MediaRejected, match="more than"):
        store.put(exact + b"\x00")
    assert len(stored_files(store)) == 1


@pytest.mark.parametrize(
    "ref",
    [
        "media:" + "0" * 64,  # well-formed, never stored
        "AgACAgFAKE000001",  # a Telegram file_id
        "media:../../etc/passwd",  # never a path
        "media:" + "A" * 64,
    ],
)
def test_opening_what_is_not_stored_says_so(store: MediaStore, ref: str) -> None:
    """open() of an unknown or malformed reference raises MediaMissing, never reads elsewhere."""
    with pytest.raises(MediaMissing):
        store.open(ref)


def test_platform_ids_are_not_media_references() -> None:
    """WeChat media ids and Telegram file_ids are told apart from store references."""
    assert not is_media_ref("WX-MEDIA-ID-1")
    assert not is_media_ref("AgACAgFAKE000001")
    assert not is_media_ref("media:abc")


def test_media_table_is_read_from_the_config(tmp_path: Path) -> None:
    """[media] dir and max_bytes come from the file; the defaults are ./var/media and 10 MB."""
    assert load_settings(env={}).media.max_bytes == 10 * 1024 * 1024
    assert load_settings(env={}).media.dir == Path("var/media")
    config = tmp_path / "config.toml"
    config.write_text('[media]\ndir = "/srv/hotline/media"\nmax_bytes = 2048\n', encoding="utf-8")
    media = load_settings(config, env={}).media
    assert (media.dir, media.max_bytes) == (Path("/srv/hotline/media"), 2048)
