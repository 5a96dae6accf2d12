"""`hotline kb proposals`: list entries proposed by units, approve (write the entry file) or reject.

An approved proposal becomes ``[kb] local_dir/kb-case-ID.toml``, validated like every entry and
loaded at the next start; review and edit it there (tags, more variants) like the shipped ones.
The decision itself is `bot.kbdesk`'s, shared with the workbench (the proposer is told).
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.app import App
from bot.kbdesk import approve_proposal, reject_proposal
from nlp.kb.entries import KbDataError
from storage.kb_proposals import KbProposalError, kb_proposals


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


async def approve(app: App, args: argparse.Namespace) -> int:
    try:
        entry_id, path = await approve_proposal(
            app, args.approve, decided_by=args.by, note=args.note
        )
    except (KbProposalError, KbDataError, FileExistsError) as exc:
        print(f"hotline kb proposals: {exc}", file=sys.stderr)
        return 2
    print(f"approved #{args.approve}: wrote {path} (entry {entry_id}); loaded at the next start")
    return 0


async def reject(app: App, args: argparse.Namespace) -> int:
    try:
        await reject_proposal(app, args.reject, decided_by=args.by, note=args.note)
    except KbProposalError as exc:
        print(f"hotline kb proposals: {exc}", file=sys.stderr)
        return 2
    print(f"rejected #{args.reject}")
    return 0
