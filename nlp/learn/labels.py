"""What a learned label is: a unit of the directory, or a category of the taxonomy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from nlp.errors import NlpError
from nlp.router import Router

LabelKind = Literal["unit", "category"]
LABEL_KINDS: tuple[LabelKind, ...] = ("unit", "category")


class UnknownLabelError(NlpError):
    """Labels that the directory does not know (a unit or category name it lacks)."""


def known_labels(router: Router, kind: LabelKind) -> tuple[str, ...]:
    """Every label of this kind the directory can name: units, or top- and second-level
    categories (a centre's 台账 may use either level)."""
    if kind == "unit":
        return tuple(router.unit_names())
    infos = router.categories()
    return tuple(dict.fromkeys([*(c.top for c in infos), *(c.sub for c in infos)]))


def check_labels(router: Router, kind: LabelKind, labels: Iterable[str], where: str) -> None:
    """Fail with the first few labels the directory does not know."""
    known = set(known_labels(router, kind))
    unknown = sorted({label for label in labels if label not in known})
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise UnknownLabelError(
            f"{where}: {len(unknown)} {kind} label(s) unknown to the directory: {shown}{more}"
        )
