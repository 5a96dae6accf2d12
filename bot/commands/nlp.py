"""`hotline nlp eval` and `hotline nlp train`: the router's figures, and learning from history."""

from __future__ import annotations

from typing import Any

from bot.commands import nlp_eval, nlp_train


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("nlp", help="router tools (eval, train)")
    sub = parser.add_subparsers(dest="nlp_command", required=True, metavar="SUBCOMMAND")
    nlp_eval.register(sub)
    nlp_train.register(sub)
