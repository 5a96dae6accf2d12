"""Errors as the spec shapes them: an HTTP status and `[{"code", "description"}]`."""

from __future__ import annotations


class Open311Error(Exception):
    """A request the API answers with an error document (404, 403 or 400)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


def bad_request(description: str) -> Open311Error:
    return Open311Error(400, description)


def forbidden(description: str) -> Open311Error:
    return Open311Error(403, description)
