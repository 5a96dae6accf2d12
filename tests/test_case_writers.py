"""The case commands (handlers/cases/) are the only writer of a case (issue 8): no other module
of the product sets a case's workflow fields, logs case events or creates case rows."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "handlers", "nlp")
# The case commands themselves; storage is the repository they write through.
WRITERS = ("handlers/cases/",)
# Planning the follow-up timers (next_due_at, clocks_version, missing clocks) is bookkeeping of
# the sweep, derived from the fields the commands wrote; it changes no state and no version.
PLANNING = {
    "handlers/followup/timers.py": {
        "next_due_at",
        "clocks_version",
        "sign_deadline",
        "handle_deadline",
        "return_deadline",
    }
}
WORKFLOW_FIELDS = {
    "state",
    "version",
    "unit_name",
    "dispatched_at",
    "signed_at",
    "resolved_at",
    "closed_at",
    "sign_deadline",
    "handle_deadline",
    "return_deadline",
    "satisfaction",
    "feedback_resolved",
    "reopen_count",
    "callback_for",
    "callback_sent_at",
    "comment_open_until",
    "next_due_at",
    "clocks_version",
    "sign_reminded_for",
    "sign_alerted_for",
    "warned_for",
    "overdue_alerted_for",
    "escalated_for",
}
EVENT_WRITERS = {"add_event", "change_state", "move", "record", "bump"}


def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            found.append((name, ast.parse(path.read_text(encoding="utf-8"), name)))
    return found


def _violations(name: str, tree: ast.Module) -> list[str]:
    if name.startswith(WRITERS):
        return []
    allowed = PLANNING.get(name, set())
    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if (
                    isinstance(part, ast.Attribute)
                    and part.attr in WORKFLOW_FIELDS - allowed
                    and isinstance(part.value, ast.Name)
                    and ("case" in part.value.id or part.value.id in ("locked", "row", "c"))
                ):
                    found.append(f"{name}:{node.lineno} sets .{part.attr}")
        if isinstance(node, ast.ImportFrom) and node.module in (
            "storage.cases",
            "handlers.cases.events",
        ):
            for alias in node.names:
                if alias.name in EVENT_WRITERS:
                    found.append(f"{name}:{node.lineno} imports {node.module}.{alias.name}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Case"
        ):
            found.append(f"{name}:{node.lineno} creates a Case")
    return found


def test_only_the_case_commands_write_a_case() -> None:
    """No module outside handlers/cases/ sets a case's workflow fields, writes its events or
    creates case rows: every surface goes through the case commands."""
    violations = [v for name, tree in _modules() for v in _violations(name, tree)]
    assert violations == []


def test_the_check_finds_a_writer() -> None:
    """The check above is not blind: a surface that moved a case itself would be caught."""
    tree = ast.parse(
        "from storage.cases import add_event\n"
        "def f(case):\n    case.state = 'closed'\n    case.version += 1\n    Case(number='x')\n"
    )
    assert len(_violations("bot/web/pages.py", tree)) == 4
