"""Tables: units, staff, residents, cases and their event log, drafts, inbound dedupe, outbox,
knowledge-base questions and proposals.

One DeclarativeBase; typed columns. Times are stored as timezone-aware UTC (`UtcDateTime`), so
SQLite and PostgreSQL compare them the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """A datetime that goes in and comes out timezone-aware in UTC on every backend.

    SQLite has no time zones: it would hand back naive datetimes, which compare wrongly against
    aware ones. Naive input is rejected rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Unit(Base):
    """A subdistrict (街道) or department (部门/单位) that handles cases; from the directory."""

    __tablename__ = "units"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "subdistrict" | "department" | "centre"
    code: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StaffMember(Base):
    """A person who works cases: unit staff, unit head, dispatcher or supervisor."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_staff_identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_name: Mapped[str] = mapped_column(ForeignKey("units.name"))
    role: Mapped[str] = mapped_column(String(16))  # staff | head | dispatcher | supervisor
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Invite(Base):
    """A one-time code that binds a chat account (or a group) to a unit and role."""

    __tablename__ = "invites"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_name: Mapped[str] = mapped_column(ForeignKey("units.name"))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(96))


class UnitChat(Base):
    """A group chat bound to a unit: its case cards go there."""

    __tablename__ = "unit_chats"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_name: Mapped[str] = mapped_column(ForeignKey("units.name"), index=True)
    created_at: Mapped[datetime]


class Resident(Base):
    """A member of the public, per channel identity (a Telegram user, a WeChat openid, ...)."""

    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_resident_identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Case(Base):
    """A case (工单): the current state; its history is in `CaseEvent`."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_unit_state", "unit_name", "state"),
        Index("ix_cases_state_created", "state", "created_at"),
        # The figures, 台账 and trends take the cases received in a date range (issue 11).
        Index("ix_cases_created_at", "created_at"),
        Index("uq_cases_filing_key", "filing_key", unique=True),
        # The follow-up sweep (issue 4) reads only these two partial indexes, so a pass costs
        # what is due, not how many cases exist.
        Index(
            "ix_cases_next_due",
            "next_due_at",
            postgresql_where=text("next_due_at IS NOT NULL"),
            sqlite_where=text("next_due_at IS NOT NULL"),
        ),
        Index(
            "ix_cases_unplanned",
            "id",
            postgresql_where=text("clocks_version IS DISTINCT FROM version"),
            sqlite_where=text("clocks_version IS NOT version"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    request_type: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    state: Mapped[str] = mapped_column(String(24))
    category: Mapped[str | None] = mapped_column(String(32))
    subcategory: Mapped[str | None] = mapped_column(String(64))
    unit_name: Mapped[str | None] = mapped_column(ForeignKey("units.name"))
    confidence: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)
    place_text: Mapped[str | None] = mapped_column(String(256))
    place_unit: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    share_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency: Mapped[str | None] = mapped_column(String(32))
    routing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The draft this case was filed from (issue 9): unique, so two instances racing on one
    # resident's 提交 can never both file it. NULL for cases made otherwise (imports, tests).
    filing_key: Mapped[str | None] = mapped_column(String(64))
    # Bumped on every transition: a button from an older card carries an older version.
    version: Mapped[int] = mapped_column(Integer, default=1)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    sign_deadline: Mapped[datetime | None] = mapped_column(index=True)
    handle_deadline: Mapped[datetime | None] = mapped_column(index=True)
    return_deadline: Mapped[datetime | None]
    # -- follow-up timers (issue 4), kept by handlers.followup --
    # The earliest instant the sweep has something to do for this case; NULL: nothing pending.
    next_due_at: Mapped[datetime | None]
    # The `version` the timers were planned for. Any transition bumps `version`, so the sweep
    # sees the mismatch and plans again, whoever made the change.
    clocks_version: Mapped[int | None] = mapped_column(Integer)
    # Each reminder records the deadline it fired for: the same deadline never fires twice, and a
    # moved deadline (extension, re-dispatch, 重办) arms it again.
    sign_reminded_for: Mapped[datetime | None]
    sign_alerted_for: Mapped[datetime | None]
    warned_for: Mapped[datetime | None]
    overdue_alerted_for: Mapped[datetime | None]
    escalated_for: Mapped[datetime | None]
    # The callback (回访): the `resolved_at` it was sent for, and when; then the answers.
    callback_for: Mapped[datetime | None]
    callback_sent_at: Mapped[datetime | None]
    feedback_resolved: Mapped[bool | None] = mapped_column(Boolean)
    # satisfied (满意) | basic (基本满意) | dissatisfied (不满意) | unrated (未评价)
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    # Until when the resident's next plain text is taken as a comment on the rating.
    comment_open_until: Mapped[datetime | None]
    # 并单 (issue 13): the case this one was merged into (state "merged"), kept after the merged
    # case is resolved with its parent so reports and the 台账 can show the family.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # What the duplicate detector compares (issue 13), once per case, in a compact form
    # (handlers/cases/commands/duplicates.py): written with the filing's own UPDATE of the
    # case, read only by the duplicate look-up, so deferred: case lists never load it.
    dupe_fingerprint: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), deferred=True
    )

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", lazy="raise"
    )


class CaseEvent(Base):
    """One transition or action on a case; append-only, the source of every statistic."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[str] = mapped_column(
        String(16)
    )  # resident|staff|dispatcher|supervisor|system
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events", lazy="raise")


class DuplicateKey(Base):
    """The duplicate index (issue 13): a filed case under each of its place keys, so finding
    candidates is an index range, not a scan of open cases. The fingerprint compared is stored
    once per case (`cases.dupe_fingerprint`), not on every key.

    `place_key`: "sd:<subdistrict>", "road:<name>", "community:<name>" …, "geo:<row>:<col>".
    Rows of cases closed long ago are pruned by the hotspot job.
    """

    __tablename__ = "duplicate_keys"
    __table_args__ = (
        Index("ix_duplicate_keys_lookup", "subcategory", "place_key", "created_at"),
        Index("ix_duplicate_keys_recent", "created_at"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    place_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    subcategory: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class HotspotAlert(Base):
    """A spike (热点) already announced: one row per cell and period, so neither a second run
    nor a second instance alerts again (the insert is the claim)."""

    __tablename__ = "hotspot_alerts"
    __table_args__ = (
        UniqueConstraint("subcategory", "place_key", "period", name="uq_hotspot_cell_period"),
        Index("ix_hotspot_alerts_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subcategory: Mapped[str] = mapped_column(String(64))
    place_key: Mapped[str] = mapped_column(String(96))
    period: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    case_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    terms: Mapped[list[Any]] = mapped_column(JSON, default=list)


class CaseCounter(Base):
    """The last sequence number handed out for one prefix and day (e.g. AN20261125)."""

    __tablename__ = "case_counters"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Draft(Base):
    """A conversation in progress, per channel identity, so a restart resumes it."""

    __tablename__ = "drafts"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class ProcessedMessage(Base):
    """An inbound delivery already handled (Telegram update_id, WeChat MsgId)."""

    __tablename__ = "processed_messages"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class LabelledExample(Base):
    """A routing example with the right answer (dispatcher corrections, returns, imports)."""

    __tablename__ = "labelled_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    unit_name: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(32))
    subcategory: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """A push waiting to be sent, written in the same transaction as the change that caused it.

    `idempotency_key` is unique: writing the same notification twice keeps one row.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # Per-recipient order (issue 4): "is an earlier row of this chat still unsent?" and
        # releasing held rows both read only the open rows of one recipient.
        Index(
            "ix_outbox_recipient_open",
            "channel",
            "recipient",
            "id",
            postgresql_where=text("status IN ('pending', 'held')"),
            sqlite_where=text("status IN ('pending', 'held')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # pending | sent | dead | held | superseded (storage.outbox)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class FollowupRun(Base):
    """A periodic job done for one period (a day's digest, a week's bulletin): done once only.

    Inserted in the same transaction as the job's outbox rows, so a restart or a second instance
    neither repeats nor loses it.
    """

    __tablename__ = "followup_runs"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime]


class WeChatContact(Base):
    """What the WeChat channel must remember per follower (openid), across restarts and instances.

    The 48-hour customer-service window opens at the person's last message (`last_inbound_at`);
    `kf_sent` counts customer-service messages sent since then (WeChat allows a few per window).
    `menu` holds the button payloads last shown as numbered choices, so a reply "2" maps back to
    them; `menu_current` is False once a later reply showed no choices (the numbers are stale).
    `expect` is a one-shot hint for the next text (e.g. "status": a case number is expected).
    """

    __tablename__ = "wechat_contacts"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    followed: Mapped[bool] = mapped_column(Boolean, default=True)
    last_inbound_at: Mapped[datetime | None]
    kf_sent: Mapped[int] = mapped_column(Integer, default=0)
    menu: Mapped[list[Any]] = mapped_column(JSON, default=list)
    menu_current: Mapped[bool] = mapped_column(Boolean, default=False)
    expect: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class WeChatToken(Base):
    """The access token of one WeChat app, shared by every instance (a new fetch invalidates the
    old token after 5 minutes, so instances must not each fetch their own).

    `lease_owner`/`lease_until`: the one instance currently allowed to refresh it.
    """

    __tablename__ = "wechat_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str | None] = mapped_column(String(512))
    expires_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]


class WebAccount(Base):
    """A staff member's login to the web workbench; the person is the `staff` record (one
    person, one staff record, whether they work in chat, in the browser or both).

    `setup_hash` is the SHA-256 of a one-time link that sets the password (first login, reset).
    """

    __tablename__ = "web_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), unique=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    setup_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    password_set_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser. Only a keyed hash of the cookie's token is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("web_accounts.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    address: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(Base):
    """One try at the login form, kept a while for the per-account and per-address limits."""

    __tablename__ = "web_login_attempts"
    __table_args__ = (
        Index("ix_web_login_attempts_login_at", "login", "at"),
        Index("ix_web_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class KbQuery(Base):
    """A question the knowledge base was asked in a chat, what it showed and what came of it.

    `outcome`: shown (an answer is on screen, no reply yet), solved (已解决), unsolved (未解决,
    a case follows), handoff (转人工), no_match (no entry scored enough; a case follows).
    """

    __tablename__ = "kb_queries"
    __table_args__ = (Index("ix_kb_queries_asked", "asked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    text: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[str | None] = mapped_column(String(64), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(12))
    outcome_at: Mapped[datetime | None]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))


class KbProposal(Base):
    """A knowledge entry proposed by unit staff from a closed 咨询 case; a supervisor decides.

    `status`: pending | approved | rejected. On approval `entry_id` names the entry written.
    """

    __tablename__ = "kb_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    unit_name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    created_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[str | None] = mapped_column(String(64))


def utcnow() -> datetime:
    return datetime.now(UTC)


class ApiKey(Base):
    """A key an Open311 client files requests with; only its SHA-256 is stored (issue 12).

    The key itself is shown once, at creation. A revoked key stays as a row so the log of who
    filed what keeps its name.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One live key per name; a revoked name may get a new key (rotation).
    name: Mapped[str] = mapped_column(String(64), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the key, to tell keys apart in `hotline api-key list`.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
