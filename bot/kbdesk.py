"""Keeping the knowledge base (知识库) from the workbench and the command line: save an entry
(validated like the files are at start, written atomically into its file), approve or reject a
unit's proposal (the proposer is told), and the figures `hotline kb stats` prints.

Web edits are written straight into the entry files (never into a database table): the files
stay the one place entries live, reviewable and swappable with the directory data, and the
running index is reloaded at once. An edit of a shipped entry rewrites only that entry's table
of its file; a new entry or an approved proposal gets a file of its own in ``[kb] local_dir``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import App
from bot.knowledge import kb_folder
from handlers.cases.notify import Recipient, tell
from handlers.conversation.messages import Outbound
from handlers.desk.kbpropose import CLOSED_STATES, QUESTION
from nlp.directory import load_directory
from nlp.kb.entries import Entry, KbDataError, entry_files, load_entries, parse_entry
from nlp.kb.writer import entry_table, replace_entry, table_of, write_atomically
from storage.kb import entry_figures, kb_figures, unmatched_questions
from storage.kb_proposals import (
    PENDING,
    KbProposalError,
    decide_kb_proposal,
    kb_proposals,
    propose_kb_entry,
)
from storage.models import KbProposal, StaffMember

# An entry from a case is checked again after a year, like the shipped ones.
VALID_FOR = timedelta(days=365)
# One writer of entry files at a time in this process (read, change, rename).
_WRITE_LOCK = asyncio.Lock()
_SPLIT = re.compile(r"[\n,，、;；]+")


# -- entries ---------------------------------------------------------------------------------


@dataclass(slots=True)
class EntryForm:
    """An entry as the form holds it: text fields; tags and variants one per line."""

    id: str = ""
    title: str = ""
    answer: str = ""
    unit: str = ""
    tags: str = ""
    variants: str = ""
    valid_from: str = ""
    valid_until: str = ""
    source_title: str = ""
    source_url: str = ""
    # An entry from an approved proposal cites its case instead of a page (kept as it is).
    source_case: str = ""
    # The digest of the entry as it was when the form was opened: a save over someone else's
    # newer edit is refused instead of silently undoing it.
    digest: str = ""

    @classmethod
    def of(cls, entry: Entry) -> EntryForm:
        return cls(
            id=entry.id,
            title=entry.title,
            answer=entry.answer,
            unit=entry.unit,
            tags="\n".join(entry.tags),
            variants="\n".join(entry.variants),
            valid_from=entry.valid_from.isoformat(),
            valid_until=entry.valid_until.isoformat(),
            source_title=entry.source.title,
            source_url=entry.source.url or "",
            source_case=entry.source.case or "",
            digest=digest(entry),
        )

    @classmethod
    def posted(cls, data: Mapping[str, Any]) -> EntryForm:
        values = {f.name: data.get(f.name) for f in fields(cls)}
        return cls(**{k: v.strip() if isinstance(v, str) else "" for k, v in values.items()})

    def table(self) -> dict[str, Any]:
        """The ``[[entry]]`` table this form stands for, checked by `parse_entry` as a file is."""
        return {
            "id": self.id,
            "title": self.title,
            "answer": self.answer.replace("\r\n", "\n"),
            "unit": self.unit,
            "tags": _lines(self.tags),
            "variants": [v for v in self.variants.replace("\r\n", "\n").split("\n") if v.strip()],
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "source": {
                "title": self.source_title,
                "url": self.source_url or None,
                "case": self.source_case or None,
            },
        }


def _lines(text: str) -> list[str]:
    return [t.strip() for t in _SPLIT.split(text) if t.strip()]


def digest(entry: Entry) -> str:
    return hashlib.sha256(table_of(entry).encode()).hexdigest()[:16]


# What a stand-in value is for each field, so one bad field does not hide the others' errors.
_STAND_IN: dict[str, Any] = {
    "id": "kb-stand-in",
    "title": "-",
    "answer": "-",
    "tags": [],
    "variants": [],
    "valid_from": "2000-01-01",
    "valid_until": "2999-12-31",
}
_FIELD = re.compile(r"^(?:missing field ')?([a-z_]+)")


def _field_of(problem: str) -> str:
    """The form field a `KbDataError` problem names ("source.url: ..." -> source_url)."""
    if problem.startswith("source: give exactly one"):
        return "source_url"
    match = _FIELD.match(problem.replace("source.", "source_"))
    name = match.group(1) if match else ""
    if name == "source":
        return "source_title"
    return name if name in {f.name for f in fields(EntryForm)} else "id"


class EntryErrors(ValueError):
    """Per field, what is wrong (the messages the loader gives for a file)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def check_form(form: EntryForm, file: Path, units: Collection[str]) -> Entry:
    """The entry if the form is valid, else `EntryErrors` with every bad field."""
    table = form.table()
    errors: dict[str, str] = {}
    for _ in range(len(table) + 1):
        try:
            entry = parse_entry(file, 0, table, units)
        except KbDataError as exc:
            name = _field_of(exc.problem)
            if name in errors:  # the stand-in did not help: stop rather than loop
                break
            errors[name] = exc.problem
            if name.startswith("source"):
                table["source"] = {"title": "-", "url": "https://example.org/"}
            elif name == "unit":
                table["unit"] = next(iter(units))
            else:
                table[name] = _STAND_IN[name]
            if name in ("valid_from", "valid_until"):
                table["valid_from"], table["valid_until"] = "2000-01-01", "2999-12-31"
            continue
        if not errors:
            return entry
        break
    raise EntryErrors(errors)


@dataclass(frozen=True, slots=True)
class Library:
    """The entries as the files hold them now (read afresh for every page), with the units."""

    entries: list[Entry]
    units: list[str]
    local_dir: Path

    def entry(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


def read_library(app: App) -> Library:
    settings = app.settings
    units = load_directory(settings.directory.data_dir).unit_names()
    files = entry_files([kb_folder(settings) / "entries", settings.kb.local_dir])
    return Library(load_entries(files, units), sorted(units), settings.kb.local_dir)


async def _reload(app: App) -> None:
    """The running index from the files just written: built in a worker thread (5,000 entries
    take seconds) and swapped in on the loop, so the chat keeps answering meanwhile."""
    kb = app.deps.knowledge
    if kb is not None:
        kb.swap(await asyncio.to_thread(kb.rebuilt))


async def save_entry(app: App, form: EntryForm, *, editing: str | None, who: str) -> Entry:
    """Write the entry (`editing`: the id of the entry being changed; None: a new one) and
    reload the running index. `EntryErrors` for a bad form or a stale one."""
    async with _WRITE_LOCK:
        library = read_library(app)
        if editing is None:
            if library.entry(form.id) is not None:
                raise EntryErrors({"id": f"id {form.id!r} is already used"})
            file = library.local_dir / f"{form.id}.toml"
            entry = check_form(form, file, library.units)
            if file.exists():  # a file of that name holding other ids: never overwrite it
                raise EntryErrors({"id": f"{file.name} already exists: choose another id"})
            text = f"# Written in the workbench by {who}.\n\n{table_of(entry)}"
        else:
            old = library.entry(editing)
            if old is None:
                raise EntryErrors({"id": f"no entry {editing!r}"})
            form = replace(form, id=editing)
            if form.digest != digest(old):
                raise EntryErrors({"id": "the entry was changed meanwhile: reload and edit again"})
            file = old.file
            entry = check_form(form, file, library.units)
            text = replace_entry(file.read_text(encoding="utf-8"), editing, table_of(entry))
        # The whole file is checked again as the loader will read it before it replaces the old.
        for i, table in enumerate(tomllib.loads(text)["entry"]):
            parse_entry(file, i, table, library.units)
        write_atomically(file, text)
        await _reload(app)
        return entry


# -- proposals -------------------------------------------------------------------------------


async def propose(
    app: App, member: StaffMember, case_id: int, *, title: str, answer: str
) -> KbProposal:
    """A unit's proposal from one of its closed 咨询 cases (storage checks unit, type, state)."""
    if member.role not in ("staff", "head"):
        raise KbProposalError("only the unit that closed the case proposes an entry")
    async with app.sessionmaker() as session, session.begin():
        return await propose_kb_entry(
            session=session,
            case_id=case_id,
            proposed_by=member.id,
            title=title,
            answer=answer,
            now=app.deps.clock.now(),
            request_type=QUESTION,
            closed_states=CLOSED_STATES,
        )


def _proposal_file(app: App, proposal: KbProposal, case_number: str) -> tuple[str, Path, str]:
    today = app.deps.clock.now().astimezone(app.deps.zone).date()
    entry_id = f"kb-case-{proposal.id}"
    table = entry_table(
        entry_id=entry_id,
        title=proposal.title,
        answer=proposal.answer,
        unit=proposal.unit_name,
        tags=[],
        variants=[],
        valid_from=today,
        valid_until=today + VALID_FOR,
        source_title=f"{proposal.unit_name} 办结答复",
        source_case=case_number,
    )
    head = f"# Approved proposal #{proposal.id} from case {case_number}; add tags and variants.\n"
    return entry_id, app.settings.kb.local_dir / f"{entry_id}.toml", f"{head}\n{table}"


def _write_proposal(app: App, proposal: KbProposal, case_number: str) -> tuple[str, Path]:
    """The proposal as its own entry file, checked like every entry; never over an existing one."""
    entry_id, path, text = _proposal_file(app, proposal, case_number)
    units = load_directory(app.settings.directory.data_dir).unit_names()
    for i, table in enumerate(tomllib.loads(text)["entry"]):
        parse_entry(path, i, table, units)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as fh:
        fh.write(text)
    return entry_id, path


async def _tell_proposer(
    app: App, session: Any, proposal: KbProposal, case_number: str, now: datetime
) -> None:
    member = await session.get(StaffMember, proposal.proposed_by)
    if member is None:
        return
    texts = app.deps.texts
    if proposal.status == PENDING:
        return
    key = "kb.proposal_approved" if proposal.entry_id else "kb.proposal_rejected"
    text = texts(
        key,
        title=proposal.title,
        case=case_number,
        entry=proposal.entry_id or "",
        note=proposal.note or "—",
    )
    await tell(
        session=session,
        kind="kb_proposal",
        case_id=proposal.case_id,
        stamp=f"p{proposal.id}",
        recipients=[Recipient(member.channel, member.external_id)],
        message=Outbound(text=text),
        now=now,
    )


async def _pending(session: Any, proposal_id: int) -> tuple[KbProposal, str]:
    rows = await kb_proposals(session=session, status=PENDING)
    match = [(p, n) for p, n in rows if p.id == proposal_id]
    if not match:
        raise KbProposalError(f"no pending proposal {proposal_id}")
    return match[0]


async def decide_proposal(
    app: App, proposal_id: int, *, approve: bool, decided_by: int | None, note: str | None
) -> tuple[str, Path] | None:
    """Approve (write ``local_dir/kb-case-ID.toml``, reload the index; returns the entry id and
    file) or reject a pending proposal; the proposer is told either way. `decided_by` is the
    supervisor's staff id, None from the command line."""
    now = app.deps.clock.now()
    async with _WRITE_LOCK, app.sessionmaker() as session, session.begin():
        proposal, number = await _pending(session, proposal_id)
        written = _write_proposal(app, proposal, number) if approve else None
        try:
            await decide_kb_proposal(
                session=session,
                proposal_id=proposal.id,
                approve=approve,
                now=now,
                decided_by=decided_by,
                entry_id=written[0] if written else None,
                note=note,
            )
            await _tell_proposer(app, session, proposal, number, now)
        except Exception:
            if written:  # the decision was not stored: no entry without it
                written[1].unlink(missing_ok=True)
            raise
    if written:
        await _reload(app)
    return written


async def approve_proposal(
    app: App, proposal_id: int, *, decided_by: int | None, note: str | None = None
) -> tuple[str, Path]:
    written = await decide_proposal(
        app, proposal_id, approve=True, decided_by=decided_by, note=note
    )
    if written is None:  # an approval writes its file or raises; this keeps the types honest
        raise KbProposalError(f"proposal {proposal_id} was not written")
    return written


async def reject_proposal(
    app: App, proposal_id: int, *, decided_by: int | None, note: str | None
) -> None:
    """Reject with a reason (kept with the decision and sent to the proposer)."""
    await decide_proposal(app, proposal_id, approve=False, decided_by=decided_by, note=note)


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KbStats:
    """The figures of `hotline kb stats` and of the workbench's 知识库 page (one computation)."""

    first: date
    last: date
    asked: int
    answered_without_case: int
    shown: int
    solved: int
    unsolved: int
    handoff: int
    no_reply: int
    no_match: int
    solved_rate: float | None
    entries: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["from"], out["to"] = self.first.isoformat(), self.last.isoformat()
        del out["first"], out["last"]
        return out


async def kb_stats(
    app: App, *, since: datetime, until: datetime, first: date, last: date, limit: int = 20
) -> KbStats:
    async with app.sessionmaker() as session:
        figures = await kb_figures(session=session, since=since, until=until)
        per_entry = await entry_figures(session=session, since=since, until=until)
        unmatched = await unmatched_questions(
            session=session, since=since, until=until, limit=limit
        )
    return KbStats(
        first=first,
        last=last,
        asked=figures.asked,
        answered_without_case=figures.solved,
        shown=figures.shown,
        solved=figures.solved,
        unsolved=figures.unsolved,
        handoff=figures.handoff,
        no_reply=figures.unanswered,
        no_match=figures.no_match,
        solved_rate=figures.solved_rate,
        entries=[asdict(e) for e in per_entry],
        unmatched=[{"text": t, "count": n} for t, n in unmatched],
    )
