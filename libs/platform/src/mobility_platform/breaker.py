"""A consecutive-failure circuit breaker for asyncio callers.

Written here rather than taken from purgatory/aiobreaker: those route every call through an
internal message bus (purgatory) or are unmaintained (aiobreaker), read the wall clock directly
(no injectable clock for tests) and export no Prometheus state. This is the whole mechanism:
closed -> open after `threshold` consecutive failures -> half-open after `reset_after_s`, where
exactly one trial call is let through; its success closes the circuit, its failure re-opens it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from prometheus_client import Counter, Gauge

from mobility_platform.errors import DependencyUnavailableError

BREAKER_STATE = Gauge(
    "circuit_breaker_state", "0 closed, 1 open, 2 half-open", ["breaker"], multiprocess_mode="max"
)
BREAKER_OPENED = Counter("circuit_breaker_opened_total", "Times a circuit opened", ["breaker"])


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


_GAUGE_VALUE = {BreakerState.CLOSED: 0, BreakerState.OPEN: 1, BreakerState.HALF_OPEN: 2}


class CircuitOpenError(DependencyUnavailableError):
    """The circuit is open: the call was not attempted."""


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        threshold: int = 3,
        reset_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.threshold = threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        BREAKER_STATE.labels(name).set(0)

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.reset_after_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def before_call(self) -> None:
        """Raise CircuitOpenError unless a call may go ahead now."""
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            BREAKER_STATE.labels(self.name).set(_GAUGE_VALUE[state])
            return
        remaining = self.reset_after_s - (self._clock() - (self._opened_at or 0.0))
        raise CircuitOpenError(
            self.name, retry_after_s=max(1, int(remaining + 0.999)), reason="circuit open"
        )

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False
        BREAKER_STATE.labels(self.name).set(0)

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_in_flight or self._failures >= self.threshold:
            if self._opened_at is None or self._trial_in_flight:
                BREAKER_OPENED.labels(self.name).inc()
            self._opened_at = self._clock()
            self._trial_in_flight = False
            BREAKER_STATE.labels(self.name).set(1)
