"""One error base class for the rules; one place maps it to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. Services raise these; controllers never build HTTP errors."""

    code = "error"
    status_code = 400

    def __init__(
        self, detail: str, *, fields: dict[str, str] | None = None, code: str | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or {}
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class Conflict(DomainError):
    code = "conflict"
    status_code = 409


class Invalid(DomainError):
    """Input that breaks a rule; `fields` names each bad field."""

    code = "invalid"
    status_code = 422


class Forbidden(DomainError):
    code = "forbidden"
    status_code = 403


class Throttled(DomainError):
    code = "rate_limited"
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
