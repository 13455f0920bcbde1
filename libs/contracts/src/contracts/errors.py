"""The root of every business rejection.

It lives here (pure stdlib) so each service's domain can subclass it and the shared problem
handler in the platform can render any of them as RFC 9457 without knowing the service.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A business rule said no. The message is safe to show to the caller.

    `extensions` become extra members of the problem body (JSON-serialisable values only);
    `retry_after_s` becomes a Retry-After header.
    """

    code: ClassVar[str] = "domain_error"
    title: ClassVar[str] = "Request rejected"

    def __init__(
        self,
        message: str | None = None,
        *,
        extensions: dict[str, Any] | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(message or self.title)
        self.extensions = extensions or {}
        self.retry_after_s = retry_after_s

    @property
    def message(self) -> str:
        return str(self)
