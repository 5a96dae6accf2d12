"""`hotline nlp eval FILE`: the router's accuracy on a labelled CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("nlp", help="router tools")
    sub = parser.add_subparsers(dest="nlp_command", required=True, metavar="SUBCOMMAND")
    ev = sub.add_parser("eval", help="accuracy on a CSV with text and unit and/or category")
    ev.add_argument("file", help="UTF-8 CSV: text, unit and/or category columns")
    ev.add_argument(
        "--min-accuracy",
        type=float,
        default=None,
        metavar="X",
        help="exit 1 when an accuracy (0..1) is below X",
    )
    ev.add_argument("--confusions", type=int, default=10, help="how many confusions to list")
    ev.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from nlp.errors import NlpError
    from nlp.evaluation import evaluate, format_report, read_labelled_csv
    from nlp.router import Router

    try:
        labelled = read_labelled_csv(Path(args.file))
        settings = load_settings(args.config)
        router = Router.load(settings.directory.data_dir)
    except NlpError as exc:
        print(f"hotline nlp eval: {exc}", file=sys.stderr)
        return 2
    decisions = [router.route(t) for t in labelled.texts]
    predicted = {
        "unit": [d.unit or "" for d in decisions],
        "category": [d.category or "" for d in decisions],
    }
    failed = False
    print(f"{len(labelled.texts)} messages from {args.file}")
    for column, gold in labelled.labels.items():
        report = evaluate(gold, predicted[column], top_confusions=args.confusions)
        print(format_report(column, report))
        if args.min_accuracy is not None and report.accuracy < args.min_accuracy:
            print(
                f"{column} accuracy {report.accuracy:.3f} is below {args.min_accuracy}",
                file=sys.stderr,
            )
            failed = True
    return 1 if failed else 0
