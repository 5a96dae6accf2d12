"""`hotline hotspots [--from DATE] [--to DATE] [--json]`: the 热点 alerts of a period, the spikes
the job would see at its end, and the period's commonest words (what the digest and the weekly
通报 show)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.app import App
from bot.commands.common import add_period_args, app_command, read_period
from bot.scheduler import hotspot_policy
from handlers.followup.hotspots import period_hotspots


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "hotspots", help="hotspot (热点) alerts, current spikes and the period's common words"
    )
    add_period_args(parser, default_days=7)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=_hotspots)


@app_command
async def _hotspots(args: argparse.Namespace, app: App) -> int:
    zone = app.deps.zone
    now = app.deps.clock.now()
    period = read_period(args, app.deps, default_days=7)
    first, last, start, end = period.first, period.last, period.start, min(period.end, now)
    policy = hotspot_policy(app.settings.hotspots)
    async with app.sessionmaker() as session:
        found = await period_hotspots(
            session, app.deps, policy, start=start, end=end, spikes_at=end, terms_since=start
        )
    alerts, spikes, terms = found.alerts, found.spiking, found.terms
    report: dict[str, Any] = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "top_terms": terms,
        "alerts": [
            {
                "at": a.at.astimezone(zone).isoformat(timespec="minutes"),
                "subcategory": a.subcategory,
                "place": a.place,
                "count": a.count,
                "baseline": round(a.baseline, 2),
                "terms": a.terms,
                "cases": len(a.numbers),
            }
            for a in alerts
        ],
        "spiking_now": [s.to_json() for s in spikes],
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"热点 {first} – {last}")
    print(f"高频词: {'、'.join(terms) or '-'}")
    print(f"预警 {len(alerts)} 次:")
    for row in report["alerts"]:
        print(
            f"  {row['at']} {row['place']}「{row['subcategory']}」{row['count']} 件"
            f"（往常约 {row['baseline']}）常见词: {'、'.join(row['terms']) or '-'}"
        )
    print(f"当前超出基线的格子 {len(spikes)} 个:")
    for spot in spikes:
        print(
            f"  {spot.place}「{spot.subcategory}」{spot.count} 件（往常约 {spot.baseline:.1f}）"
            f" {'、'.join(spot.numbers[:10])}"
        )
    return 0
