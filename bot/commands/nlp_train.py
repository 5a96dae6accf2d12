"""`hotline nlp train`: a learned model from a centre's history (CSV or Excel 台账) or from the
examples stored in the database (dispatcher corrections, returns' final units, closed cases)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app import App
    from nlp.learn.table import LabelledRows


def register(sub: Any) -> None:
    tr = sub.add_parser("train", help="train a learned model on a history file or the database")
    source = tr.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="PATH", help="a .csv (UTF-8) or .xlsx history")
    source.add_argument(
        "--from-db", action="store_true", help="the labelled examples stored by the bot"
    )
    tr.add_argument("--text-column", metavar="NAME", default="text")
    tr.add_argument("--label-column", metavar="NAME", default=None, help="default: the label kind")
    tr.add_argument("--label-kind", choices=("unit", "category"), default="unit")
    tr.add_argument(
        "--time-column", metavar="NAME", default=None, help="hold out the newest fifth by this"
    )
    tr.add_argument("--out", metavar="MODEL", required=True, help="the model file to write")
    tr.set_defaults(func=run)


def _from_db(args: argparse.Namespace) -> LabelledRows:
    from bot.commands.common import run_with_app
    from handlers.policy.lifecycle import CaseState
    from nlp.learn.table import LabelledRows
    from storage.examples import training_examples

    found: list[LabelledRows] = []

    async def body(app: App) -> int:
        async with app.sessionmaker() as session:
            examples = await training_examples(
                session=session, closed_states=(CaseState.RESOLVED, CaseState.CLOSED)
            )
        found.append(
            LabelledRows(
                tuple(e.text for e in examples),
                tuple(e.unit for e in examples),
                tuple(e.at for e in examples),
            )
        )
        return 0

    run_with_app(args, body, log_level="WARNING")
    return found[0]


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from nlp.errors import NlpError
    from nlp.learn.modelfile import save_model
    from nlp.learn.table import read_labelled_rows
    from nlp.learn.training import train
    from nlp.router import Router

    if args.from_db and args.label_kind != "unit":
        print(
            "hotline nlp train: --from-db trains units (the examples name units)", file=sys.stderr
        )
        return 2
    settings = load_settings(args.config)
    try:
        if args.from_db:
            rows = _from_db(args)
            source = "database"
        else:
            path = Path(args.file)
            rows = read_labelled_rows(
                path,
                text_column=args.text_column,
                label_column=args.label_column or args.label_kind,
                time_column=args.time_column,
            )
            source = path.name
        router = Router.load(settings.directory.data_dir)
        model, meta = train(router, rows, args.label_kind, source=source)
        save_model(Path(args.out), model, meta)
    except NlpError as exc:
        print(f"hotline nlp train: {exc}", file=sys.stderr)
        return 2
    print(f"trained a {meta.label_kind} model on {meta.rows} rows from {meta.source}", end="")
    print(f" ({rows.skipped} skipped without text or label)" if rows.skipped else "")
    print(f"  labels: {len(meta.labels)}; scikit-learn {meta.sklearn_version}; {meta.trained_at}")
    held = meta.held_out
    if held:
        print(
            f"  held-out {int(held['rows'])} rows: accuracy {held['accuracy']:.1%}, macro-F1"
            f" {held['macro_f1']:.1%} (keywords alone {held['keyword_accuracy']:.1%});"
            f" answers {held['answered']:.1%} without asking, {held['accuracy_answered']:.1%} right"
        )
    else:
        print("  too few rows for held-out figures")
    print(f"  written to {args.out}")
    return 0
