"""Write entries as TOML, the same layout as the shipped files, so an approved proposal or an edit
made in the workbench stays a reviewable file (a `git diff` shows exactly what changed).

`replace_entry` swaps one ``[[entry]]`` table of a file that holds several, keeping the other
tables and every comment as they were; `write_atomically` replaces the file in one rename, so the
loader never reads half a file.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from nlp.kb.entries import Entry

_HEADER = re.compile(r"^\[\[entry\]\]\s*$", re.M)


def _string(value: str) -> str:
    # A JSON string with non-ASCII kept is a valid TOML basic string (same escapes).
    return json.dumps(value, ensure_ascii=False)


def _multiline(value: str) -> str:
    """A TOML multi-line basic string when the text has line breaks (as the shipped answers)."""
    if "\n" not in value:
        return _string(value)
    escaped = []
    for ch in value:
        if ch == "\\":
            escaped.append("\\\\")
        elif ch == '"':
            escaped.append('\\"')
        elif ch != "\n" and not ch.isprintable():
            escaped.append(f"\\u{ord(ch):04x}")
        else:
            escaped.append(ch)
    return '"""' + "".join(escaped) + '"""'


def _strings(values: Sequence[str]) -> str:
    if len(values) <= 1:
        return "[" + ", ".join(_string(v) for v in values) + "]"
    return "[\n" + "".join(f"    {_string(v)},\n" for v in values) + "]"


def entry_table(
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
    source_url: str | None = None,
    source_case: str | None = None,
) -> str:
    """One ``[[entry]]`` table; the source is a page (`source_url`) or a closed case."""
    where = (
        f"url = {_string(source_url)}"
        if source_url is not None
        else f"case = {_string(source_case or '')}"
    )
    lines = [
        "[[entry]]",
        f"id = {_string(entry_id)}",
        f"title = {_string(title)}",
        f"unit = {_string(unit)}",
        f"tags = {_strings(tags)}",
        f"variants = {_strings(variants)}",
        f"valid_from = {valid_from.isoformat()}",
        f"valid_until = {valid_until.isoformat()}",
        f"answer = {_multiline(answer)}",
        f"source = {{ title = {_string(source_title)}, {where} }}",
        "",
    ]
    return "\n".join(lines)


def table_of(entry: Entry) -> str:
    return entry_table(
        entry_id=entry.id,
        title=entry.title,
        answer=entry.answer,
        unit=entry.unit,
        tags=entry.tags,
        variants=entry.variants,
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
        source_title=entry.source.title,
        source_url=entry.source.url,
        source_case=entry.source.case,
    )


def _trailing_comments(chunk: str) -> tuple[str, str]:
    """Split a table's text into its body and the comment/blank lines at its end, which belong
    to the next table (a heading comment written above it)."""
    lines = chunk.splitlines(keepends=True)
    cut = len(lines)
    while cut > 0 and (not lines[cut - 1].strip() or lines[cut - 1].lstrip().startswith("#")):
        cut -= 1
    return "".join(lines[:cut]), "".join(lines[cut:])


def replace_entry(text: str, entry_id: str, table: str) -> str:
    """The file `text` with the ``[[entry]]`` table whose id is `entry_id` replaced by `table`.
    KeyError if no table of the file has that id."""
    starts = [m.start() for m in _HEADER.finditer(text)]
    bounds = [*starts, len(text)]
    for begin, end in zip(starts, bounds[1:], strict=True):
        chunk = text[begin:end]
        body, tail = _trailing_comments(chunk)
        if tomllib.loads(body).get("entry", [{}])[0].get("id") == entry_id:
            return text[:begin] + table.rstrip("\n") + "\n" + (tail or "") + text[end:]
    raise KeyError(entry_id)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path` and rename it over `path` (atomic on
    POSIX): a reader sees the old file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
