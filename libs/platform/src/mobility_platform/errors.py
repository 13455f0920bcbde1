"""Infrastructure failures the problem handlers know how to answer (503 / 504)."""

from __future__ import annotations


class DependencyUnavailableError(Exception):
    """A dependency is down or its circuit is open: answer 503 with Retry-After."""

    def __init__(self, dependency: str, *, retry_after_s: int = 1, reason: str = "") -> None:
        super().__init__(f"{dependency} unavailable{': ' + reason if reason else ''}")
        self.dependency = dependency
        self.retry_after_s = retry_after_s


class PeerTimeoutError(Exception):
    """A peer did not answer in time: answer 504."""

    code = "peer_timeout"

    def __init__(self, dependency: str, message: str | None = None) -> None:
        super().__init__(message or f"{dependency} did not answer in time")
        self.dependency = dependency
