"""The `hotline` command: one sub-command module per job, imported lazily so that quick commands
(`hotline route`) do not pay for the database or the messaging libraries at start-up."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bot.commands.errors import EXIT_CONFIG, OneLineParser, UsageError, explain, report
from bot.configfile import ConfigError

# Command name -> (module, one-line help). Only the module of the command being run is
# imported, so `hotline route` never pays for SQLAlchemy, aiogram or wechatpy; `hotline --help`
# lists the table without importing anything. Each module's `register(subparsers)` adds its
# parser(s) and sets `func(args) -> int`.
_COMMANDS: dict[str, tuple[str, str]] = {
    "route": ("bot.commands.route", "show how the router decides for a text"),
    "nlp": ("bot.commands.nlp", "router tools (eval, train)"),
    "kb": ("bot.commands.kb", "knowledge base for questions (search, check, stats, eval)"),
    "db": ("bot.commands.db", "database maintenance"),
    "chat": ("bot.commands.chat", "talk to the bot as a resident in this terminal"),
    "case": ("bot.commands.cases", "one case with its history"),
    "cases": ("bot.commands.cases", "list cases"),
    "run": ("bot.commands.run", "start the bot"),
    "sweep": ("bot.commands.sweep", "run one follow-up pass (reminders, alerts, callbacks)"),
    "outbox": ("bot.commands.outbox", "pushes waiting, sent and dead-lettered"),
    "report": ("bot.commands.report", "supervisor figures per unit"),
    "hotspots": ("bot.commands.hotspots", "hotspot (热点) alerts and the period's common words"),
    "staff": ("bot.commands.staff", "unit staff, dispatchers and supervisors"),
    "wechat": ("bot.commands.wechat", "WeChat Official Account"),
    "api-key": ("bot.commands.apikey", "keys of Open311 GeoReport v2 clients"),
    "web": ("bot.commands.web", "web workbench accounts (first login, set-up links)"),
    "export": ("bot.commands.export", "the case ledger (台账) as Excel or CSV"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `command`, only that command's module is imported and registered."""
    parser = OneLineParser(prog="hotline", description="District hotline bot.")
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="configuration file (TOML); default: $HOTLINE_CONFIG, else built-in defaults",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = [command] if command in _COMMANDS else list(_COMMANDS) if command == "*" else []
    for module in dict.fromkeys(_COMMANDS[name][0] for name in wanted):
        importlib.import_module(module).register(sub)
    for name, (_, help_text) in _COMMANDS.items():
        if name not in sub.choices:
            sub.add_parser(name, help=help_text)  # listed in --help; imported when chosen
    _accept_config_anywhere(parser)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """The sub-command named in argv (the first word that is not an option)."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_name(arguments))
    args = parser.parse_args(arguments)
    try:
        code: int = args.func(args)
    except (ConfigError, UsageError) as exc:
        return report(EXIT_CONFIG, str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Configuration and connection errors (database, Bot API, Redis) are one line each;
        # anything else is a bug and keeps its traceback.
        known = explain(exc)
        if known is None:
            raise
        return report(*known)
    return code


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


if __name__ == "__main__":
    sys.exit(main())
