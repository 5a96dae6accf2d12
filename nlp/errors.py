"""Errors raised by the router package."""

from __future__ import annotations

from pathlib import Path


class NlpError(Exception):
    """Base class of the router's errors."""


class DirectoryDataError(NlpError):
    """A directory data file is missing or wrong; the message names the file and the key."""

    def __init__(self, file: Path, key: str, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        super().__init__(f"{file}: {key}: {problem}")


class UnknownCategoryError(NlpError, ValueError):
    """A category name that the taxonomy does not have."""
