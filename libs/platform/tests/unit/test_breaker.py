from __future__ import annotations

import pytest
from mobility_platform.breaker import BreakerState, CircuitBreaker, CircuitOpenError


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(clock: FakeMonotonic) -> CircuitBreaker:
    return CircuitBreaker("peer", threshold=3, reset_after_s=5.0, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.before_call()
        breaker.record_failure()


def test_opens_after_three_consecutive_failures() -> None:
    breaker = make(FakeMonotonic())
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpenError) as raised:
        breaker.before_call()
    assert raised.value.retry_after_s == 5


def test_a_success_resets_the_consecutive_count() -> None:
    breaker = make(FakeMonotonic())
    fail(breaker, 2)
    breaker.before_call()
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED


def test_half_open_lets_one_trial_through_and_recovers_on_success() -> None:
    clock = FakeMonotonic()
    breaker = make(clock)
    fail(breaker, 3)
    clock.now += 5.0
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.before_call()
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # a second caller during the trial is refused
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.before_call()


def test_failed_trial_reopens_for_a_full_cool_down() -> None:
    clock = FakeMonotonic()
    breaker = make(clock)
    fail(breaker, 3)
    clock.now += 5.0
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now += 4.9
    assert breaker.state is BreakerState.OPEN
    clock.now += 0.1
    assert breaker.state is BreakerState.HALF_OPEN
