"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation).

Hashing takes tens of milliseconds of CPU by design, so it runs in a worker thread and never
stalls the event loop that also serves the chat channels.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 256


@cache
def _dummy_hash() -> str:
    """Verified when an account has no password yet, so an unknown login name takes as long as
    a wrong password and timing does not tell which accounts exist. Made on first use, not at
    import (hashing is deliberately slow)."""
    return _HASHER.hash("not a real password, never matches")


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    # A hash made with older parameters: store `PasswordHasher().hash(...)` anew.
    needs_rehash: bool = False


def password_problem(password: str, login: str) -> str | None:
    """Why a new password is not acceptable, in words for the set-up page; None if it is."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    if len(password) > MAX_LENGTH:
        return f"密码最多 {MAX_LENGTH} 个字符"
    if password.strip().lower() == login.strip().lower():
        return "密码不能与登录名相同"
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


def _verify(stored: str | None, password: str) -> Verdict:
    try:
        _HASHER.verify(stored or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Verdict(ok=False)
    if stored is None:
        return Verdict(ok=False)
    return Verdict(ok=True, needs_rehash=_HASHER.check_needs_rehash(stored))


async def verify_password(stored: str | None, password: str) -> Verdict:
    return await asyncio.to_thread(_verify, stored, password)
