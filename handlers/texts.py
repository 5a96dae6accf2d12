"""Every text a person sees, in one catalogue file per language: Chinese by default, English by
configuration.

The catalogues are TOML files in `handlers/catalogues/` (`zh.toml`, `en.toml`), one line per key:
`"key" = "text with {name} fields"`. Adding a text is one line in each file; adding a language is
one more file. `zh` is the reference: every other language has its keys with the same fields
(tests/test_texts.py holds that), and a key missing from another language at run time falls back
to Chinese rather than failing in front of a resident.

`Texts(language, values=...)(key, **values)` formats one text. The `values` given at start-up are
the district's own facts from the directory data ({district}, {hotline}), so another district
swaps data files, not texts or code.
"""

from __future__ import annotations

import string
import tomllib
from collections import ChainMap
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Final

# The language every other catalogue is checked against and falls back to.
REFERENCE_LANGUAGE: Final = "zh"
_PACKAGE: Final = "handlers"
_FOLDER: Final = "catalogues"


class CatalogueError(Exception):
    """A catalogue file is unreadable or holds something other than texts; says file and key."""


def template_fields(template: str) -> frozenset[str]:
    """The {name} fields a text is formatted with."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _read(name: str, raw: bytes) -> dict[str, str]:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{_FOLDER}/{name}: cannot read: {exc}") from exc
    texts: dict[str, str] = {}
    for key, text in data.items():
        # A bare dotted key (type.complaint = ...) would nest into a table: keys must be quoted.
        if not isinstance(text, str):
            raise CatalogueError(f"{_FOLDER}/{name}: {key!r} is not a text (quote dotted keys)")
        try:
            template_fields(text)
        except ValueError as exc:
            raise CatalogueError(f"{_FOLDER}/{name}: {key!r}: bad {{field}}: {exc}") from exc
        texts[key] = text
    return texts


@cache
def catalogues() -> Mapping[str, Mapping[str, str]]:
    """Every language's texts, read from the package's catalogue files once per process.

    Read on first use (the `Texts` built at start-up), never at import time.
    """
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    return {
        language: _read(f"{language}.toml", folder.joinpath(f"{language}.toml").read_bytes())
        for language in languages()
    }


def languages() -> tuple[str, ...]:
    """The languages with a catalogue file, the reference first (lists files, parses none)."""
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    found = {e.name.removesuffix(".toml") for e in folder.iterdir() if e.name.endswith(".toml")}
    if REFERENCE_LANGUAGE not in found:
        raise CatalogueError(f"{_FOLDER}/{REFERENCE_LANGUAGE}.toml: the reference file is missing")
    return (REFERENCE_LANGUAGE, *sorted(found - {REFERENCE_LANGUAGE}))


class Texts:
    """Formats user-facing texts in one language."""

    def __init__(
        self, language: str = REFERENCE_LANGUAGE, *, values: Mapping[str, object] | None = None
    ) -> None:
        all_texts = catalogues()
        if language not in all_texts:
            raise ValueError(f"no texts for language {language!r}")
        self.language = language
        # A key missing in this language falls back to the reference text.
        self._catalogue = ChainMap(dict(all_texts[language]), dict(all_texts[REFERENCE_LANGUAGE]))
        self._values = dict(values or {})

    def __call__(self, key: str, **values: object) -> str:
        return self._catalogue[key].format_map(ChainMap(values, self._values))

    def has(self, key: str) -> bool:
        """Whether a text exists for `key` (for keys built from stored codes, such as events)."""
        return key in self._catalogue
