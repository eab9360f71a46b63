"""How a use case says no. Nothing has changed when one of these is raised.

``code`` is for programs, ``detail`` for people. The API maps each kind to its
HTTP status (api/errors.py); the CLI prints the detail.
"""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    code = "refused"

    def __init__(
        self, detail: str, fields: list[dict[str, Any]] | None = None, code: str = ""
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or []
        self.code = code or self.code


class NotFound(Refused):
    code = "not_found"


class Unauthorized(Refused):
    code = "unauthorized"


class Forbidden(Refused):
    """A good key (or viewer) that may not do this."""

    code = "forbidden"


class Conflict(Refused):
    code = "conflict"


class Invalid(Refused):
    code = "invalid_request"


class TooLarge(Refused):
    code = "too_large"


class TooMany(Refused):
    """Too many requests from one client, or for one address: try again in ``retry_after``."""

    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
