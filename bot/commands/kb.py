"""`hotline kb search|check|stats|eval|proposals`: the knowledge base for questions (咨询).

search, check and eval read only the entry files; stats and proposals read the database.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.commands.common import add_actions
from bot.config import load_settings

if TYPE_CHECKING:
    from bot.app import App
    from nlp.kb import KnowledgeBase


def register(sub: Any) -> None:
    kb_sub = add_actions(sub, "kb", "the knowledge base for questions (咨询)")

    search = kb_sub.add_parser("search", help="which entries answer a question, and why")
    search.add_argument("text")
    search.add_argument("--limit", type=int, default=3)
    search.add_argument("--today", type=date.fromisoformat, help="date for validity (ISO)")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.set_defaults(func=_search)

    check = kb_sub.add_parser("check", help="validate entries; dates, near-duplicates, collisions")
    check.add_argument("--today", type=date.fromisoformat, help="date for validity (ISO)")
    check.add_argument(
        "--similarity", type=float, default=None, help="near-duplicate threshold (0-1)"
    )
    check.set_defaults(func=_check)

    stats = kb_sub.add_parser("stats", help="questions answered, 已解决 rate, unmatched questions")
    stats.add_argument("--from", dest="start", type=date.fromisoformat, help="first day")
    stats.add_argument("--to", dest="end", type=date.fromisoformat, help="last day, included")
    stats.add_argument("--limit", type=int, default=20, help="unmatched questions to list")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=_stats)

    ev = kb_sub.add_parser("eval", help="top-1/top-3 accuracy on a labelled CSV")
    ev.add_argument("file", type=Path, help="CSV with id,question,entry_id ('none' if uncovered)")
    ev.add_argument("--today", type=date.fromisoformat, help="date for validity (ISO)")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=_eval)

    prop = kb_sub.add_parser("proposals", help="entries proposed by units; approve or reject")
    decide = prop.add_mutually_exclusive_group()
    decide.add_argument("--approve", type=int, metavar="ID", help="write it as an entry file")
    decide.add_argument("--reject", type=int, metavar="ID")
    prop.add_argument("--by", type=int, metavar="STAFF_ID", help="the deciding supervisor")
    prop.add_argument("--note", help="reason (kept with the decision)")
    prop.add_argument("--status", choices=("pending", "approved", "rejected"))
    prop.add_argument("--json", action="store_true")
    prop.set_defaults(func=_proposals)


def _load(args: argparse.Namespace) -> KnowledgeBase | None:
    from bot.knowledge import load_knowledge_base
    from nlp.errors import NlpError

    try:
        return load_knowledge_base(load_settings(args.config))
    except NlpError as exc:
        print(f"hotline kb: {exc}", file=sys.stderr)
        return None


def _search(args: argparse.Namespace) -> int:
    from nlp.kb import read_intent

    kb = _load(args)
    if kb is None:
        return 2
    reading = read_intent(args.text)
    found = kb.search(args.text, limit=args.limit, today=args.today)
    best = kb.best(args.text, today=args.today)
    answered = best is not None and not reading.complaint
    if args.json:
        out = {
            "text": args.text,
            "question": reading.question,
            "complaint": reading.complaint,
            "cues": list(reading.question_cues + reading.complaint_cues),
            "min_score": kb.min_score,
            "min_coverage": kb.min_coverage,
            "answer": best.entry.id if answered and best else None,
            "results": [a.to_json() for a in found],
        }
        print(json.dumps(out, ensure_ascii=False))
        return 0
    kind = "投诉 complaint" if reading.complaint else "咨询 question" if reading.question else "-"
    cues = ", ".join(reading.question_cues + reading.complaint_cues) or "-"
    print(f"读作 reads as:   {kind} (cues: {cues})")
    print(f"阈值 threshold:  score ≥ {kb.min_score:g}, coverage ≥ {kb.min_coverage:g}")
    if not found:
        print("没有匹配 no entry matched")
    for i, a in enumerate(found, 1):
        mark = "*" if answered and best and a.entry.id == best.entry.id else " "
        print(
            f"{mark}{i}. {a.entry.id}  {a.entry.title}  score {a.score:.2f}"
            f"  coverage {a.coverage:.2f}"
        )
        print(f"     依据 matched: {', '.join(a.matched)}  (via: {a.phrasing})")
    if answered and best:
        print("\n" + best.entry.reply_text())
    elif reading.complaint:
        print("\n投诉不以知识库答复 a complaint is never answered from the knowledge base")
    return 0


def _check(args: argparse.Namespace) -> int:
    from nlp.kb.check import DEFAULT_SIMILARITY, date_findings, near_duplicates, variant_collisions

    kb = _load(args)
    if kb is None:
        return 2
    today = args.today or date.today()
    threshold = DEFAULT_SIMILARITY if args.similarity is None else args.similarity
    dates = date_findings(kb.entries, today)
    dups = near_duplicates(kb, threshold)
    collisions = variant_collisions(kb, today)
    print(f"{len(kb.entries)} entries valid in their files")
    for d in dates:
        word = "past valid_until" if d.kind == "expired" else "not valid before"
        print(f"date: {d.entry_id} ({d.file.name}) {word} {d.day.isoformat()}")
    for p in dups:
        print(f"near-duplicate: {p.first} ~ {p.second} (similarity {p.similarity:.2f})")
    for c in collisions:
        print(f"collision: a variant of {c.entry_id} finds {c.found} first: {c.variant}")
    if not (dates or dups or collisions):
        print("no findings")
    return 1 if dates or dups or collisions else 0


def _period(app: App, start: date | None, end: date | None) -> tuple[datetime, datetime]:
    zone = app.deps.zone
    today = app.deps.clock.now().astimezone(zone).date()
    last = end or today
    first = start or last - timedelta(days=29)
    return (
        datetime.combine(first, time(0), zone),
        datetime.combine(last + timedelta(days=1), time(0), zone),
    )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _stats(args: argparse.Namespace) -> int:
    from bot.commands.common import run_with_app
    from bot.kbdesk import kb_stats

    async def body(app: App) -> int:
        since, until = _period(app, args.start, args.end)
        last = (until - timedelta(days=1)).date()
        stats = await kb_stats(
            app, since=since, until=until, first=since.date(), last=last, limit=args.limit
        )
        if args.json:
            print(json.dumps(stats.to_json(), ensure_ascii=False))
            return 0
        print(f"{stats.first} – {stats.last}")
        print(f"咨询 questions asked:          {stats.asked}")
        print(f"答复 answers shown:            {stats.shown}")
        print(f"已解决 answered without a case: {stats.solved}")
        print(f"未解决 / 转人工:               {stats.unsolved} / {stats.handoff}")
        print(f"未回复 no reply yet:           {stats.no_reply}")
        print(f"已解决率 solved rate:          {_percent(stats.solved_rate)}")
        print(f"无匹配 no entry matched:       {stats.no_match}")
        for e in stats.entries[:10]:
            print(
                f"  {e['entry_id']}: shown {e['shown']}, solved {e['solved']},"
                f" unsolved {e['unsolved']}"
            )
        if stats.unmatched:
            print("无匹配的问题 questions no entry matched (write these next):")
            for row in stats.unmatched:
                print(f"  {row['count']} × {row['text']}")
        return 0

    return run_with_app(args, body, log_level="WARNING")


def _eval(args: argparse.Namespace) -> int:
    from nlp.kb.evaluation import evaluate, read_questions

    try:
        questions = read_questions(args.file)
    except (OSError, ValueError) as exc:
        print(f"hotline kb eval: {exc}", file=sys.stderr)
        return 2
    kb = _load(args)
    if kb is None:
        return 2
    result = evaluate(kb, questions, today=args.today)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    print(
        f"questions {len(result.results)}: answerable {len(result.answerable)}, none "
        f"{len(result.unanswerable)} (labels for entries not in the knowledge base: "
        f"{result.unknown_labels}, counted as none)"
    )
    print(f"top-1 accuracy (answerable):        {result.top1:.1%}")
    print(f"top-3 (answerable):                 {result.top3:.1%}")
    print(f"wrong entry answered (answerable):  {result.wrong_answer:.1%}")
    print(f"'none' questions wrongly answered:  {result.none_answered:.1%}")
    print(f"overall (none counts when silent):  {result.accuracy:.1%}")
    for r in result.results:
        if not r.correct:
            print(
                f"  {r.question.id}: expected {r.expected or 'none'}, got {r.offered or 'none'}"
                f" ({r.score:.2f}) {r.question.question}"
            )
    return 0


def _proposals(args: argparse.Namespace) -> int:
    from bot.commands.common import run_with_app
    from bot.commands.kb_proposals import approve, list_proposals, reject

    if args.approve is not None:
        return run_with_app(args, lambda app: approve(app, args), log_level="WARNING")
    if args.reject is not None:
        return run_with_app(args, lambda app: reject(app, args), log_level="WARNING")
    return run_with_app(args, lambda app: list_proposals(app, args), log_level="WARNING")
