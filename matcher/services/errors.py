"""Errors a use case raises when it refuses; views map them to field errors, flashes or JSON 4xx."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal with a message for a person, and optionally the form field it belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotFound(ServiceError):
    """The object does not exist, or is not the caller's to see."""


class Conflict(ServiceError):
    """The request clashes with the current state (duplicate, beds gone, illegal transition)."""
