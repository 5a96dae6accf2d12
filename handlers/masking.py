"""Masking phone and ID numbers in any format people type them (issue 9), for staff and logs.

Matching the raw text missed 139-1234-5678, 139 1234 5678, +86 139 1234 5678, 8613912345678,
full-width digits (１３９…), landlines (0931-8123456) and ID numbers typed with spaces or in the
old 15-digit form. So the text is *normalised before matching*: each run of digit groups joined
by separators (spaces, hyphens, dots, brackets; at most two characters between groups) is read
as its ASCII digits, and contiguous groups are tried as a whole number, from the longest span
down. A number must start and end on a group boundary, so a date or a case number next to a
phone does not hide it, and digits inside a longer number are not taken for one.
"""

from __future__ import annotations

import re
import unicodedata

# Separators people put inside numbers: ASCII and full-width spaces, hyphens and dashes, dots,
# brackets (around an area code).
_SEP = r"[\s\u3000\-\u2010\u2011\u2012\u2013\u2014\uff0d.\uff0e()\uff08\uff09/]"
_RUN = re.compile(rf"[+\uff0b]?\d+[Xx\uff38\uff58]?(?:{_SEP}{{1,2}}\d+[Xx\uff38\uff58]?)*")
_GROUP = re.compile(r"\d+[Xx\uff38\uff58]?")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# IDs: a region code, then the birth date (YYYYMMDD, or YYMMDD in the old 15-digit form), which
# must be a plausible date, so dates and amounts that happen to have 15 or 18 digits are left.
_ID18 = re.compile(r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]")
_ID15 = re.compile(r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}")
# Area code 0 + 2-3 digits (never 00: that is an international prefix), then 7-8 digits.
_LANDLINE = re.compile(r"0[1-9]\d{8,10}")
# A number spans at most this many groups (+86 139 1234 5678 is four; an ID in 4-digit blocks
# is five): longer runs are tried window by window.
_MAX_GROUPS = 6


def mask_personal_data(text: str) -> str:
    """The text with every phone, landline and ID-card number masked, whatever its format."""
    if not any(ch.isdigit() for ch in text):
        return text
    return _RUN.sub(_mask_run, text)


def _ascii(chunk: str) -> str:
    """Digits as ASCII (full-width and other Unicode digits too), a trailing x/Ｘ as X."""
    out = []
    for ch in chunk:
        if ch.isdigit():
            out.append(str(unicodedata.digit(ch)))
        elif ch in "Xx\uff38\uff58":
            out.append("X")
    return "".join(out)


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    # Digits glued to a letter (a case number AN20261125-0007, a reference) are only taken for
    # a mobile number, the one format distinctive enough to mask inside other text.
    glued = (
        match.start() > 0
        and match.string[match.start() - 1].isascii()
        and (match.string[match.start() - 1].isalpha())
    )
    groups = [(g.start(), g.end(), _ascii(g.group(0))) for g in _GROUP.finditer(run)]
    pieces: list[str] = []
    cursor = 0
    i = 0
    while i < len(groups):
        found = None
        for j in range(min(len(groups), i + _MAX_GROUPS) - 1, i - 1, -1):
            digits = "".join(g[2] for g in groups[i : j + 1])
            masked = _mask_number(digits, mobile_only=glued and i == 0)
            if masked is not None:
                found = (j, masked)
                break
        if found is None:
            i += 1
            continue
        j, masked = found
        start = groups[i][0]
        if i == 0 and run[:1] in "+\uff0b":
            start = 0  # "+86 ..." goes with the number
        pieces.append(run[cursor:start])
        pieces.append(masked)
        cursor = groups[j][1]
        i = j + 1
    pieces.append(run[cursor:])
    return "".join(pieces)


def _mask_number(digits: str, *, mobile_only: bool = False) -> str | None:
    """The masked form if `digits` is one whole personal number, else None."""
    if "X" in digits[:-1]:
        return None
    local = digits
    if local.startswith("0086"):
        local = local[4:]
    elif local.startswith("86") and len(local) == 13:
        local = local[2:]
    if _MOBILE.fullmatch(local):
        return f"{local[:3]}****{local[-4:]}"
    if mobile_only:
        return None
    if _ID18.fullmatch(digits):
        return f"{digits[:6]}********{digits[-4:]}"
    if _ID15.fullmatch(digits):
        return f"{digits[:6]}******{digits[-3:]}"
    if _LANDLINE.fullmatch(digits):
        # Beijing 010 and the 02x cities have 3-digit area codes, everyone else 4 (0931).
        area = digits[:3] if digits[1] in "12" else digits[:4]
        return f"{area}-****{digits[-3:]}"
    return None
