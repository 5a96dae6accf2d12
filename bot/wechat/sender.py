"""Pushes to WeChat followers: customer-service messages inside the 48-hour window, a template
or subscribe message outside it (if configured), otherwise held until the person writes.

WeChat lets an account send customer-service (客服) messages only within 48 hours of the
person's last message, and only a few per window (errors 45015 and 45047). Retrying those would
fail the same way, so they become HOLD: the outbox keeps the row and releases it when the
person next writes (see `WeChatTurns`).
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.config import WeChatSettings, WeChatTemplateSettings
from bot.delivery import DeliveryResult, DeliveryStatus
from bot.wechat.api import (
    NOT_FOLLOWING,
    OUT_OF_QUOTA,
    OUT_OF_WINDOW,
    TOKEN_ERRORS,
    WeChatApi,
    WeChatApiError,
)
from bot.wechat.choices import Rendered, render, split_text
from bot.wechat.token import SharedAccessToken
from handlers.context import CoreDeps
from handlers.conversation.messages import Channel, Outbound
from storage.wechat import (
    close_window,
    get_contact,
    reserve_kf_slots,
    return_kf_slots,
    save_menu,
    set_followed,
)

log = logging.getLogger(__name__)


def _hold(reason: str) -> DeliveryResult:
    return DeliveryResult(DeliveryStatus.HOLD, reason=reason)


def _failed(reason: str) -> DeliveryResult:
    return DeliveryResult(DeliveryStatus.FAILED, reason=reason)


def _retry(reason: str, after: float | None = None) -> DeliveryResult:
    return DeliveryResult(DeliveryStatus.RETRY, retry_after=after, reason=reason)


class WeChatSender:
    """The WeChat `ChannelSender`; `recipient` is the person's openid."""

    def __init__(
        self,
        *,
        settings: WeChatSettings,
        api: WeChatApi,
        token: SharedAccessToken,
        deps: CoreDeps,
    ) -> None:
        self._api = api
        self._token = token
        self._sessionmaker, self._clock, self._texts = deps.sessionmaker, deps.clock, deps.texts
        self._zone = deps.zone
        self._window = timedelta(hours=settings.kf_window_hours)
        self._quota = settings.kf_quota_per_window
        self._template = settings.template

    @property
    def channel(self) -> str:
        return Channel.WECHAT.value

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
        """Never raises for platform errors (the ChannelSender contract)."""
        return await self.send(recipient, render([message], self._texts), summary=message.text)

    async def send(self, openid: str, rendered: Rendered, *, summary: str) -> DeliveryResult:
        """Send one rendered text (in as many messages as its length needs)."""
        parts = split_text(rendered.text)
        if not parts:
            return DeliveryResult.sent()
        now = self._clock.now()
        async with self._sessionmaker() as session, session.begin():
            contact = await get_contact(session=session, openid=openid)
            if contact is not None and not contact.followed:
                return _failed("the person unfollowed the account")
            reserved = contact is not None and await reserve_kf_slots(
                session=session,
                openid=openid,
                count=len(parts),
                now=now,
                window=self._window,
                quota=self._quota,
            )
        if not reserved:
            return await self._outside_window(openid, summary, "window closed or quota used")
        for sent, part in enumerate(parts):
            token = ""
            try:
                token = await self._token.get()
                await self._api.send_text(token, openid, part)
            except WeChatApiError as error:
                return await self._on_error(openid, error, token, len(parts) - sent, summary)
        async with self._sessionmaker() as session, session.begin():
            await save_menu(
                session=session, openid=openid, payloads=list(rendered.payloads), now=now
            )
        return DeliveryResult.sent()

    async def _on_error(
        self, openid: str, error: WeChatApiError, token: str, unused: int, summary: str
    ) -> DeliveryResult:
        code = error.errcode
        now = self._clock.now()
        async with self._sessionmaker() as session, session.begin():
            if code in (OUT_OF_WINDOW, OUT_OF_QUOTA):
                # WeChat's count beats ours (e.g. messages sent from the admin console).
                await close_window(
                    session=session,
                    openid=openid,
                    quota=self._quota,
                    now=now,
                    expired=code == OUT_OF_WINDOW,
                )
            else:
                await return_kf_slots(session=session, openid=openid, count=unused)
            if code in NOT_FOLLOWING:
                await set_followed(session=session, openid=openid, followed=False, now=now)
        if code in (OUT_OF_WINDOW, OUT_OF_QUOTA):
            return await self._outside_window(openid, summary, f"WeChat said {error}")
        return await self._classify(error, token)

    async def _classify(self, error: WeChatApiError, token: str) -> DeliveryResult:
        code = error.errcode
        if code in TOKEN_ERRORS:
            if token:
                await self._token.invalidate(token)
            return _retry(f"access token refused: {error}", after=1.0)
        if error.transient:
            return _retry(f"WeChat busy or unreachable: {error}")
        if code in NOT_FOLLOWING:
            return _failed(f"the person cannot be reached: {error}")
        return _failed(f"WeChat refused the message: {error}")

    async def _outside_window(self, openid: str, summary: str, why: str) -> DeliveryResult:
        """A template/subscribe notice if configured; the full text waits either way."""
        template = self._template
        if template is None:
            return _hold(f"outside the customer-service window ({why})")
        token = ""
        try:
            data = self._template_data(template, summary)
            token = await self._token.get()
            if template.kind == "subscribe":
                await self._api.send_subscribe(
                    token, openid, template.template_id, data, template.url
                )
            else:
                await self._api.send_template(
                    token, openid, template.template_id, data, template.url
                )
        except (KeyError, IndexError, ValueError) as exc:
            log.error("wechat: [wechat.template] fields do not format: %r", exc)
            return _hold(f"outside the window; template misconfigured: {exc!r}")
        except WeChatApiError as error:
            if error.errcode in TOKEN_ERRORS or error.transient:
                return await self._classify(error, token)
            if error.errcode in NOT_FOLLOWING:
                return _failed(f"the person cannot be reached: {error}")
            # E.g. 43101: the person did not subscribe to this notice. Wait for them instead.
            return _hold(f"outside the window; template refused: {error}")
        # The notice tells them something happened; the full text goes when they write.
        return _hold(f"outside the window ({why}); {template.kind} notice sent")

    def _template_data(self, template: WeChatTemplateSettings, text: str) -> dict[str, object]:
        summary = next((line for line in text.splitlines() if line.strip()), "")
        values = {
            "summary": summary,
            "text": text,
            "notice": self._texts("wechat.template_summary"),
            "time": self._clock.now().astimezone(self._zone).strftime("%Y-%m-%d %H:%M"),
        }
        limit = template.max_field_chars
        return {
            field: {"value": _cut(pattern.format(**values), limit)}
            for field, pattern in template.fields.items()
        }


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
