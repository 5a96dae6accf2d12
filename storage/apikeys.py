"""API keys of Open311 clients: created once (the key shown once), checked by hash, revoked.

Keys are 256-bit random strings, so a plain SHA-256 is enough at rest: a slow password hash
protects guessable secrets, and nobody guesses 256 random bits. A fast hash also keeps the
check cheap on every POST.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ApiKey

KEY_PREFIX = "o311_"


class ApiKeyNameTaken(Exception):
    """A client of that name already has a key (revoke it, or choose another name)."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(*, session: AsyncSession, name: str, now: datetime) -> tuple[ApiKey, str]:
    """A new key for client `name`: the stored row and the key itself (not stored)."""
    live = await session.execute(
        select(ApiKey.id).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
    )
    if live.first() is not None:
        raise ApiKeyNameTaken(name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(key), prefix=key[:12], created_at=now)
    session.add(row)
    await session.flush()
    return row, key


async def find_active_key(*, session: AsyncSession, key: str) -> ApiKey | None:
    """The live (not revoked) key row for a presented key, or None."""
    result = await session.execute(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    )
    return result.scalar_one_or_none()


async def list_api_keys(*, session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.execute(select(ApiKey).order_by(ApiKey.id))).scalars().all()


async def revoke_api_key(*, session: AsyncSession, name: str, now: datetime) -> bool:
    """Revoke the live key of client `name`; False if there is none."""
    result = await session.execute(
        select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
    )
    row = result.scalar_one_or_none()
    if row is None:
        return False
    row.revoked_at = now
    return True
