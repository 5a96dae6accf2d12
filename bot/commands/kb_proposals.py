"""`hotline kb proposals`: list entries proposed by units, approve (write the entry file) or reject.

An approved proposal becomes ``[kb] local_dir/kb-case-ID.toml``, validated like every entry and
loaded at the next start; review and edit it there (tags, more variants) like the shipped ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from datetime import timedelta
from pathlib import Path

from bot.app import App
from nlp.directory import load_directory
from nlp.kb.entries import KbDataError, parse_entry
from nlp.kb.writer import entry_toml
from storage.kb_proposals import (
    PENDING,
    KbProposalError,
    decide_kb_proposal,
    kb_proposals,
)
from storage.models import KbProposal

# An entry from a case is checked again after a year, like the shipped ones.
_VALID_FOR = timedelta(days=365)


async def list_proposals(app: App, args: argparse.Namespace) -> int:
    async with app.sessionmaker() as session:
        rows = await kb_proposals(session=session, status=args.status)
    if args.json:
        out = [
            {
                "id": p.id,
                "case": number,
                "unit": p.unit_name,
                "title": p.title,
                "answer": p.answer,
                "status": p.status,
                "proposed_by": p.proposed_by,
                "decided_by": p.decided_by,
                "entry_id": p.entry_id,
            }
            for p, number in rows
        ]
        print(json.dumps(out, ensure_ascii=False))
        return 0
    if not rows:
        print("no proposals")
    for p, number in rows:
        print(f"#{p.id} [{p.status}] {p.unit_name} from {number}: {p.title}")
    return 0


def _entry_file(app: App, proposal: KbProposal, case_number: str) -> tuple[str, Path, str]:
    today = app.deps.clock.now().astimezone(app.deps.zone).date()
    entry_id = f"kb-case-{proposal.id}"
    text = entry_toml(
        entry_id=entry_id,
        title=proposal.title,
        answer=proposal.answer,
        unit=proposal.unit_name,
        tags=[],
        variants=[],
        valid_from=today,
        valid_until=today + _VALID_FOR,
        source_title=f"{proposal.unit_name} 办结答复",
        source_case=case_number,
        comment=f"Approved proposal #{proposal.id} from case {case_number}; add tags and variants.",
    )
    path = app.settings.kb.local_dir / f"{entry_id}.toml"
    return entry_id, path, text


def _validate(app: App, path: Path, text: str) -> None:
    units = load_directory(app.settings.directory.data_dir).unit_names()
    for i, table in enumerate(tomllib.loads(text)["entry"]):
        parse_entry(path, i, table, units)


async def approve(app: App, args: argparse.Namespace) -> int:
    try:
        async with app.sessionmaker() as session, session.begin():
            rows = await kb_proposals(session=session, status=PENDING)
            match = [(p, n) for p, n in rows if p.id == args.approve]
            if not match:
                raise KbProposalError(f"no pending proposal {args.approve}")
            proposal, number = match[0]
            entry_id, path, text = _entry_file(app, proposal, number)
            _validate(app, path, text)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as fh:  # never overwrite an entry
                fh.write(text)
            try:
                await decide_kb_proposal(
                    session=session,
                    proposal_id=proposal.id,
                    approve=True,
                    now=app.deps.clock.now(),
                    decided_by=args.by,
                    entry_id=entry_id,
                    note=args.note,
                )
            except Exception:
                path.unlink(missing_ok=True)
                raise
    except (KbProposalError, KbDataError, FileExistsError) as exc:
        print(f"hotline kb proposals: {exc}", file=sys.stderr)
        return 2
    print(f"approved #{args.approve}: wrote {path} (entry {entry_id}); loaded at the next start")
    return 0


async def reject(app: App, args: argparse.Namespace) -> int:
    try:
        async with app.sessionmaker() as session, session.begin():
            await decide_kb_proposal(
                session=session,
                proposal_id=args.reject,
                approve=False,
                now=app.deps.clock.now(),
                decided_by=args.by,
                note=args.note,
            )
    except KbProposalError as exc:
        print(f"hotline kb proposals: {exc}", file=sys.stderr)
        return 2
    print(f"rejected #{args.reject}")
    return 0
