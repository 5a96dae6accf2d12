"""Write an entry as a TOML file: an approved proposal becomes a reviewable file like the rest."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date


def _string(value: str) -> str:
    # A JSON string with non-ASCII kept is a valid TOML basic string (same escapes).
    return json.dumps(value, ensure_ascii=False)


def _strings(values: Sequence[str]) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"


def entry_toml(
    *,
    entry_id: str,
    title: str,
    answer: str,
    unit: str,
    tags: Sequence[str],
    variants: Sequence[str],
    valid_from: date,
    valid_until: date,
    source_title: str,
    source_case: str,
    comment: str,
) -> str:
    """One ``[[entry]]`` file whose source is a closed case."""
    lines = [
        *(f"# {line}" for line in comment.splitlines()),
        "",
        "[[entry]]",
        f"id = {_string(entry_id)}",
        f"title = {_string(title)}",
        f"unit = {_string(unit)}",
        f"tags = {_strings(tags)}",
        f"variants = {_strings(variants)}",
        f"valid_from = {valid_from.isoformat()}",
        f"valid_until = {valid_until.isoformat()}",
        f"answer = {_string(answer)}",
        f"source = {{ title = {_string(source_title)}, case = {_string(source_case)} }}",
        "",
    ]
    return "\n".join(lines)
