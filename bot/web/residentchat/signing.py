"""HMAC-signed values: the resident's cookie, CSRF tokens and case-page links.

One secret signs all three, each under its own purpose, so a value signed for one use never
verifies for another (a case link is not a cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_MAC_CHARS = 32  # 128 bits of HMAC-SHA256: unguessable, and short enough for a link


class Signer:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the signing secret must be at least 16 bytes")
        self._secret = secret

    def mac(self, purpose: str, value: str) -> str:
        message = f"{purpose}\x00{value}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:_MAC_CHARS]

    def sign(self, purpose: str, value: str) -> str:
        return f"{value}.{self.mac(purpose, value)}"

    def unsign(self, purpose: str, token: str | None) -> str | None:
        """The value if `token` was signed by us for `purpose`, else None."""
        if not token or "." not in token:
            return None
        value, _, mac = token.rpartition(".")
        return value if hmac.compare_digest(mac, self.mac(purpose, value)) else None

    # ── the three uses ─────────────────────────────────────────────────────────────────────
    def resident_cookie(self, resident: str) -> str:
        return self.sign("resident", resident)

    def resident_of(self, cookie: str | None) -> str | None:
        return self.unsign("resident", cookie)

    def csrf_token(self, resident: str) -> str:
        return self.mac("csrf", resident)

    def csrf_ok(self, resident: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf_token(resident))

    def case_token(self, case_id: int) -> str:
        return f"{case_id}-{self.mac('case', str(case_id))}"

    def case_of(self, token: str) -> int | None:
        case_id, _, mac = token.partition("-")
        if not case_id.isdigit() or not hmac.compare_digest(mac, self.mac("case", case_id)):
            return None
        return int(case_id)


def new_resident_id() -> str:
    """An anonymous web resident: 'w' and 128 random bits (fits the 64-character user id)."""
    return "w" + secrets.token_urlsafe(16)
