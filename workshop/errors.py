"""One hierarchy of domain errors, each with a stable machine-readable code.

Services raise these; the HTTP layer turns them into pages or JSON with the
matching status, the socket layer into ``{"ok": false, "error": {...}}``.
Codes are part of the public protocol (docs/protocol.md): never rename one.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a request the domain refuses, with a reason a person can read."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def as_dict(self) -> dict[str, object]:
        """The error as it travels in JSON and socket acknowledgements."""
        payload: dict[str, object] = {"code": self.code, "message": self.message}
        if self.details:
            payload["details"] = self.details
        return payload


class ValidationFailed(DomainError):
    """The input is malformed, empty, too long or otherwise unusable."""

    code = "invalid"
    status = 400


class NotAuthenticated(DomainError):
    """Nobody we know is asking (no login, no participant token)."""

    code = "not_authenticated"
    status = 401


class Forbidden(DomainError):
    """The person is known but may not do this here."""

    code = "forbidden"
    status = 403


class NotFound(DomainError):
    """The thing does not exist, or the person may not know it exists."""

    code = "not_found"
    status = 404


class InvalidState(DomainError):
    """The action is valid in general but not now (wrong phase, closed voting)."""

    code = "invalid_state"
    status = 409


class WorkshopFull(InvalidState):
    """The workshop has as many participants as its facilitator allows; nobody new joins."""

    code = "workshop_full"
    status = 409


class Conflict(DomainError):
    """Someone else changed the thing first; nothing was overwritten."""

    code = "conflict"
    status = 409
