"""Emergency detection (紧急情况): which number the resident must call at once."""

from __future__ import annotations

from collections.abc import Sequence

from nlp.directory import EmergencyRule


class EmergencyDetector:
    """First matching rule wins; text must already be normalised (NFKC, lower case)."""

    def __init__(self, rules: Sequence[EmergencyRule]) -> None:
        self._rules = tuple(rules)

    def detect(self, text: str) -> str | None:
        for rule in self._rules:
            masked = text
            for phrase in rule.mask:
                if phrase in masked:
                    masked = masked.replace(phrase, "　")
            contains = masked.__contains__
            for parts in rule.triggers:
                if all(map(contains, parts)):  # C-level: no generator frame per trigger
                    return rule.service
        return None
