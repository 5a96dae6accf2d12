"""`hotline nlp eval FILE`: the router's accuracy on a labelled file; with `--cv K` or a time
split, the learned model beside plain TF-IDF + LinearSVC and the keywords, on the same folds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    ev = sub.add_parser(
        "eval", help="accuracy on a labelled file; --cv K or --test-from for the learned model"
    )
    ev.add_argument("file", help="UTF-8 CSV (text, unit and/or category columns); .xlsx with --cv")
    ev.add_argument(
        "--min-accuracy",
        type=float,
        default=None,
        metavar="X",
        help="exit 1 when an accuracy (0..1) is below X",
    )
    ev.add_argument("--confusions", type=int, default=10, help="how many confusions to list")
    ev.add_argument("--model", metavar="MODEL", default=None, help="score a learned model file")
    ev.add_argument(
        "--cv", type=int, default=None, metavar="K", help="stratified K-fold of the learned model"
    )
    ev.add_argument("--time-column", metavar="NAME", default=None, help="column with the date")
    ev.add_argument(
        "--test-from", metavar="DATE", default=None, help="train before DATE, test from it on"
    )
    ev.add_argument("--text-column", metavar="NAME", default="text")
    ev.add_argument("--label-column", metavar="NAME", default=None, help="default: the label kind")
    ev.add_argument("--label-kind", choices=("unit", "category"), default="unit")
    ev.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nlp.errors import NlpError

    try:
        if args.cv is not None or args.test_from is not None:
            return _learned_figures(args)
        return _keyword_figures(args)
    except NlpError as exc:
        print(f"hotline nlp eval: {exc}", file=sys.stderr)
        return 2


def _learned_figures(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from nlp.learn.table import parse_time, read_labelled_rows
    from nlp.learn.validation import cross_validate, format_comparison, time_split
    from nlp.router import Router

    if args.test_from is not None and args.time_column is None:
        print("hotline nlp eval: --test-from needs --time-column", file=sys.stderr)
        return 2
    settings = load_settings(args.config)
    rows = read_labelled_rows(
        Path(args.file),
        text_column=args.text_column,
        label_column=args.label_column or args.label_kind,
        time_column=args.time_column,
    )
    router = Router.load(settings.directory.data_dir)
    threshold = settings.router.confidence_threshold
    print(f"{len(rows)} labelled rows from {args.file} ({rows.skipped} without text or label)")
    if args.cv is not None:
        if args.cv < 2:
            print("hotline nlp eval: --cv needs K ≥ 2", file=sys.stderr)
            return 2
        result = cross_validate(router, rows, args.label_kind, args.cv)
        print(format_comparison(f"{args.cv}-fold cross-validation", result, threshold=threshold))
    if args.test_from is not None:
        start = parse_time(args.test_from)
        if start is None:
            print(f"hotline nlp eval: cannot read the date {args.test_from!r}", file=sys.stderr)
            return 2
        result = time_split(router, rows, args.label_kind, start)
        title = (
            f"time split: train before {start:%Y-%m-%d} ({result.train_rows[0]} rows), test from it"
        )
        print(format_comparison(title, result, threshold=threshold))
    return 0


def _keyword_figures(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from nlp.evaluation import evaluate, format_report, read_labelled_csv
    from nlp.router import RouteDecision, Router

    labelled = read_labelled_csv(Path(args.file))
    settings = load_settings(args.config)
    router = Router.load(settings.directory.data_dir)
    decisions: list[RouteDecision]
    if args.model is not None:
        from nlp.learn.modelfile import load_model
        from nlp.learn.routing import LearnedRouter

        loaded = load_model(Path(args.model), router)
        learned = LearnedRouter(router, loaded.model, loaded.meta.label_kind, explain=False)
        decisions = learned.route_many(labelled.texts)
    else:
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
