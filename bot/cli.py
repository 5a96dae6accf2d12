"""The `hotline` command: one sub-command module per job, imported lazily so that quick commands
(`hotline route`) do not pay for the database or the messaging libraries at start-up."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bot.config import ConfigError

# Each module exposes `register(subparsers)`; it sets `func(args) -> int` on its parser.
# Importing them is cheap: heavy imports happen inside each command's `func`.
_COMMAND_MODULES = (
    "bot.commands.route",
    "bot.commands.nlp_eval",
    "bot.commands.db",
    "bot.commands.chat",
    "bot.commands.cases",
    "bot.commands.run",
    "bot.commands.sweep",
    "bot.commands.outbox",
    "bot.commands.report",
    "bot.commands.staff",
    "bot.commands.wechat",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="District hotline bot.")
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="configuration file (TOML); default: $HOTLINE_CONFIG, else built-in defaults",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command not built yet
        module.register(sub)
    _accept_config_anywhere(parser)
    return parser


def _accept_config_anywhere(parser: argparse.ArgumentParser) -> None:
    """Let `--config PATH` also follow a sub-command (`hotline staff invite ... --config X`).

    SUPPRESS as default keeps the top-level value unless the option is given again later.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.add_argument(
                    "--config",
                    metavar="PATH",
                    default=argparse.SUPPRESS,
                    help="configuration file (TOML)",
                )
                _accept_config_anywhere(child)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
