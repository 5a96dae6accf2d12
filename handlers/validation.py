"""Checks on what people type (text, phone and case numbers), and masking for staff views."""

from __future__ import annotations

import re
import unicodedata

from handlers import masking
from handlers.errors import UserError

# Mainland mobile numbers (1[3-9] + 9 digits), optionally +86; landlines with an area code.
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^(0\d{2,3})(\d{7,8})$")
_CASE_NUMBER = re.compile(r"^[A-Z]{1,6}\d{8}-\d{4,6}$")


def clean_text(raw: str | None, *, min_chars: int, max_chars: int) -> str:
    """The text stripped of outer whitespace, or a UserError saying what is wrong with it."""
    if raw is None or not raw.strip():
        raise UserError("err.empty")
    text = raw.strip()
    if any(_is_control(ch) for ch in text):
        raise UserError("err.control_chars")
    # Zero-width and other format characters carry nothing a case handler can read.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()
    if not text:
        raise UserError("err.empty")
    if len(text) > max_chars:
        raise UserError("err.too_long", n=len(text), max=max_chars)
    if len(text) < min_chars:
        raise UserError("err.too_short", min=min_chars)
    return text


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" and ch not in "\n\t\r"


def normalise_phone(raw: str) -> str | None:
    """A canonical phone number (digits, landline as 0931-1234567), or None if it is not one."""
    digits = re.sub(r"[\s\-()（）]", "", raw.strip())
    if m := _MOBILE.match(digits):
        return m.group(1)
    if m := _LANDLINE.match(digits):
        return f"{m.group(1)}-{m.group(2)}"
    return None


def is_case_number(text: str) -> bool:
    return bool(_CASE_NUMBER.match(text))


def mask_phone(phone: str | None) -> str:
    """139****5678: enough for staff to recognise a number, not to dial it from a screenshot."""
    if not phone:
        return ""
    digits = phone.replace("-", "")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_personal_data(text: str) -> str:
    """The text with phone and ID-card numbers masked, for staff views and logs.

    issue 9: every format (separators, +86, full-width digits, landlines, 15/18-digit IDs) is
    normalised before matching; see handlers.masking.
    """
    return masking.mask_personal_data(text)
