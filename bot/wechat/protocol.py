"""The callback protocol: who may call us, and how bodies and replies are (de)crypted.

Every request carries `signature = sha1(sort(token, timestamp, nonce))` in its query; in safe
(安全) mode the body is AES-encrypted and signed again (`msg_signature`), and our passive reply
must be encrypted the same way. wechatpy does the cryptography; this module decides what to
refuse. https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot.config import WeChatSettings
from handlers.policy.clock import Clock

# The answer that tells WeChat "received, nothing to reply" (it then neither retries nor shows
# the person "该公众号暂时无法提供服务").
SUCCESS = "success"


class CallbackRejected(Exception):
    """The request is refused with `status`; `reason` goes to the log, never to the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class CallbackCodec:
    """Checks signatures and timestamps, decrypts callbacks and renders passive replies."""

    def __init__(self, settings: WeChatSettings, clock: Clock) -> None:
        assert settings.token is not None and settings.app_id is not None
        self._token = settings.token.get_secret_value()
        self._mode = settings.mode
        self._window = settings.timestamp_window_seconds
        self._clock = clock
        self._crypto: Any = None
        if settings.mode != "plain":
            assert settings.encoding_aes_key is not None
            self._crypto = WeChatCrypto(
                self._token, settings.encoding_aes_key.get_secret_value(), settings.app_id
            )

    def verify(self, query: Mapping[str, str]) -> None:
        """The request comes from WeChat and is recent; CallbackRejected(403) if not."""
        signature = query.get("signature", "")
        timestamp = query.get("timestamp", "")
        nonce = query.get("nonce", "")
        if not (signature and timestamp and nonce):
            raise CallbackRejected(403, "signature, timestamp or nonce missing")
        try:
            check_signature(self._token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise CallbackRejected(403, "bad signature") from None
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise CallbackRejected(403, f"timestamp not a number: {timestamp[:20]!r}") from None
        # The signature alone does not stop a captured request being replayed later.
        skew = abs(self._clock.now().timestamp() - sent_at)
        if skew > self._window:
            raise CallbackRejected(403, f"timestamp {skew:.0f} s away from our clock")

    def decode(self, query: Mapping[str, str], body: bytes) -> Any:
        """The wechatpy message or event of a verified POST; CallbackRejected(400/403) if the
        body is not a callback we accept."""
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        if encrypted and self._crypto is None:
            raise CallbackRejected(400, "encrypted callback, but mode is plain")
        if not encrypted and self._mode == "safe":
            raise CallbackRejected(400, "unencrypted callback in safe mode")
        try:
            if encrypted:
                xml = self._crypto.decrypt_message(
                    body,
                    query.get("msg_signature", ""),
                    query.get("timestamp", ""),
                    query.get("nonce", ""),
                )
            else:
                xml = body.decode("utf-8")
            message = parse_message(xml)
        except (InvalidSignatureException, InvalidAppIdException) as exc:
            raise CallbackRejected(403, f"bad message signature or app id: {exc!r}") from None
        except Exception as exc:
            # Malformed XML (ExpatError), a missing field (KeyError), entities (ValueError), bad
            # base64 or padding inside the ciphertext...: all the caller's fault.
            raise CallbackRejected(400, f"unreadable callback body: {exc!r}") from None
        if message is None:
            raise CallbackRejected(400, "empty callback body")
        return message

    def reply(self, query: Mapping[str, str], message: Any, text: str) -> str:
        """The response body: a passive text reply to `message`, or `success` for no text."""
        if not text:
            return SUCCESS
        xml: str = create_reply(text, message, render=True)
        if query.get("encrypt_type", "raw").lower() != "aes":
            return xml
        timestamp = str(int(self._clock.now().timestamp()))
        encrypted: str = self._crypto.encrypt_message(xml, secrets.token_hex(8), timestamp)
        return encrypted
